-- django-pggit 0007: commit_changes(..., full_snapshot) reads the whole workspace on request;
-- its branch lock no longer blocks foreign-key checks.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 170_full_snapshot_reverse.sql.
--
-- A commit takes its tree from the captured DDL (the head's tree when there was none). DDL that
-- the event triggers did not see (run while they were disabled, or under
-- session_replication_role = replica, as pg_restore and logical replication do) leaves no
-- event, so later commits kept the stale tree while status() showed the drift, with no way to
-- record it. full_snapshot => true serializes every object of the workspace, as the first
-- commit does. record_commit already takes the flag (merge and revert use it).
--
-- The branch row is now locked FOR NO KEY UPDATE (was FOR UPDATE). Commits, deletes, merges
-- and data-branch creation still exclude each other on it (the two modes conflict with each
-- other and with FOR SHARE), but the foreign-key checks of rows that reference the branch (FOR
-- KEY SHARE: the DDL events that capture records, data branches, merges) no longer wait for a
-- commit in flight: DDL on a branch used to stall until any open transaction that had committed
-- to that branch ended. Branch rows are never deleted and their ids never change, so the
-- stronger lock protected nothing those checks need.

DROP FUNCTION pggit.commit_changes(text, text, text);

-- commit_changes(branch, message, author, full_snapshot): 020_commits.sql's contract; with
-- full_snapshot the tree is a full snapshot of the workspace, whatever was captured. Locks the
-- branch row FOR NO KEY UPDATE (lock_branch_for_commit, for a name not yet live, FOR UPDATE).
CREATE FUNCTION pggit.commit_changes(branch text, message text DEFAULT '', author text DEFAULT NULL,
                                     full_snapshot boolean DEFAULT false)
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
     WHERE b.name = commit_changes.branch AND b.status <> 'DELETED' FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        v_branch := pggit.lock_branch_for_commit(commit_changes.branch);
    END IF;
    RETURN pggit.record_commit(v_branch, v_message, v_author, NULL, coalesce(commit_changes.full_snapshot, false));
END;
$$;
