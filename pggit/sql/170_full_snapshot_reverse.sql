-- django-pggit 0007 reversed: restores 120_commit_path.sql's commit_changes (copied verbatim).
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.

DROP FUNCTION pggit.commit_changes(text, text, text, boolean);

-- commit_changes(branch, message, author): contract unchanged (see 020_commits.sql). A live
-- branch of that name is locked directly (its name was validated when it was created);
-- lock_branch_for_commit validates, refuses or creates otherwise.
CREATE FUNCTION pggit.commit_changes(branch text, message text DEFAULT '', author text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_message text := coalesce(commit_changes.message, '');
    v_author  text := coalesce(commit_changes.author, pggit.current_author());
    v_branch  pggit.branches;
BEGIN
    PERFORM pggit.validate_commit_input(v_message, v_author);
    SELECT * INTO v_branch FROM pggit.branches b
     WHERE b.name = commit_changes.branch AND b.status <> 'DELETED' FOR UPDATE;
    IF NOT FOUND THEN
        v_branch := pggit.lock_branch_for_commit(commit_changes.branch);
    END IF;
    RETURN pggit.record_commit(v_branch, v_message, v_author);
END;
$$;
