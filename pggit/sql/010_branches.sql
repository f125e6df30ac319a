-- django-pggit core: branches.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).

CREATE TABLE pggit.branches (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid             uuid NOT NULL DEFAULT pggit.generate_trinity_id()::uuid UNIQUE,
    name             text NOT NULL,
    status           text NOT NULL DEFAULT 'ACTIVE'
                     CHECK (status IN ('ACTIVE', 'MERGED', 'DELETED')),
    head_hash        text,          -- FK to pggit.commits(hash), added with that table
    parent_branch_id bigint REFERENCES pggit.branches (id),
    base_hash        text,          -- the commit this branch was created from (NULL: empty history)
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL DEFAULT pggit.current_author(),
    deleted_at       timestamptz,
    CHECK ((status = 'DELETED') = (deleted_at IS NOT NULL))
);

COMMENT ON TABLE pggit.branches IS
    'Named pointers into the commit graph. Soft-deleted rows (status DELETED) keep their history; '
    'a name is unique among branches that are not deleted, so it can be reused after a delete.';

-- A name is taken while its branch is not deleted; creation races resolve through this index.
CREATE UNIQUE INDEX branches_live_name_key ON pggit.branches (name) WHERE status <> 'DELETED';

CREATE INDEX branches_name_idx ON pggit.branches (name);

-- ref_name_problem(name)
-- Purpose: what makes name unfit for a ref (branch or tag), as git check-ref-format would
--   refuse it: NULL, empty, over 255 bytes, control characters, space, ~ ^ : ? * [ \, "..",
--   "@{", "//", a leading/trailing "/", a component starting with "." or ending with ".lock",
--   a trailing ".", or "@". NULL when the name is fine.
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.ref_name_problem(p_name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RETURN CASE
        WHEN p_name IS NULL THEN 'must not be NULL'
        WHEN octet_length(p_name) > 255 THEN format('is %s bytes long; the limit is 255 bytes', octet_length(p_name))
        WHEN btrim(p_name, E' \t\r\n') = '' THEN 'must not be empty or whitespace'
        WHEN p_name ~ '[[:cntrl:]]' THEN 'contains a control character'
        WHEN p_name ~ '[ ~^:?*\[\\]' THEN 'contains a space or one of ~ ^ : ? * [ \'
        WHEN strpos(p_name, '..') > 0 THEN 'contains ".."'
        WHEN strpos(p_name, '@{') > 0 OR p_name = '@' THEN 'contains "@{" or is "@"'
        WHEN p_name ~ '(^/|/$|//)' THEN 'starts or ends with "/" or contains "//"'
        WHEN p_name ~ '(^|/)\.' THEN 'has a component starting with "."'
        WHEN p_name ~ '\.lock(/|$)' THEN 'has a component ending with ".lock"'
        WHEN p_name ~ '\.$' THEN 'ends with "."'
    END;
END;
$$;

-- validate_branch_name(name)
-- Purpose: refuse names Git would refuse (git check-ref-format, see ref_name_problem), so
--   every branch name can be a Git ref.
-- Arguments: name text.
-- Errors: PGB04 with the rule that was broken.  Locks: none.
CREATE FUNCTION pggit.validate_branch_name(p_name text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_problem text := pggit.ref_name_problem(p_name);
BEGIN
    IF v_problem IS NOT NULL THEN
        PERFORM pggit.raise_invalid_ref_name('branch', p_name, v_problem);
    END IF;
END;
$$;

-- raise_invalid_ref_name(kind, name, problem)
-- Purpose: the one error for a branch or tag name that breaks a rule (ref_name_problem's
--   answer, or a tag's own rule), naming the rule.
-- Errors: always: PGB04 for a branch, PGR05 for a tag.
CREATE FUNCTION pggit.raise_invalid_ref_name(p_kind text, p_name text, p_problem text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = CASE p_kind WHEN 'branch' THEN 'PGB04' ELSE 'PGR05' END,
        MESSAGE = format('invalid %s name %s: it %s', p_kind, coalesce(quote_literal(left(p_name, 80)), 'NULL'),
                         p_problem),
        HINT = CASE p_kind
               WHEN 'branch' THEN 'Branch names follow Git''s ref-name rules, e.g. "feature/user-profiles".'
               ELSE 'Tag names follow Git''s ref-name rules, e.g. "v1.2.0" or "release/2026-11".' END;
END;
$$;

-- find_branch(name, lock)
-- Purpose: the live (not deleted) branch called name, optionally locked FOR UPDATE.
-- Arguments: name text; for_update boolean (default false).
-- Errors: PGB04 invalid name; PGB05 when the name only belongs to deleted branches;
--   PGB01 when no branch ever had that name.
-- Locks: the branch row FOR UPDATE when for_update.
CREATE FUNCTION pggit.find_branch(p_name text, p_for_update boolean DEFAULT false)
RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_branch pggit.branches;
BEGIN
    PERFORM pggit.validate_branch_name(p_name);
    IF p_for_update THEN
        SELECT * INTO v_branch FROM pggit.branches
         WHERE name = p_name AND status <> 'DELETED' FOR UPDATE;
    ELSE
        SELECT * INTO v_branch FROM pggit.branches
         WHERE name = p_name AND status <> 'DELETED';
    END IF;
    IF v_branch.id IS NULL THEN
        PERFORM pggit.raise_missing_branch(p_name);
    END IF;
    RETURN v_branch;
END;
$$;

-- history_branch(name)
-- Purpose: the branch whose history a read (log, reflog, graph, object_log) shows for name:
--   the live branch called name, else the latest deleted one (a deleted branch's history
--   stays readable while no live branch has taken its name); no row when none ever had it.
--   The name is not validated here: log() reads any ref (main~2) when no branch has the name.
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.history_branch(p_name text) RETURNS SETOF pggit.branches
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit ROWS 1 SET jit = off AS $$
    SELECT * FROM pggit.branches b WHERE b.name = p_name
     ORDER BY (b.status <> 'DELETED') DESC, b.id DESC LIMIT 1
$$;

-- raise_missing_branch(name)
-- Purpose: the one place that says why a branch name resolves to nothing.
-- Errors: always PGB05 (only deleted branches had the name) or PGB01 (never existed).
CREATE FUNCTION pggit.raise_missing_branch(p_name text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pggit.branches WHERE name = p_name) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'PGB05',
            MESSAGE = format('branch %L is deleted', p_name),
            HINT = 'Create it again with pggit.create_branch() to reuse the name; its old history is kept.';
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'PGB01',
        MESSAGE = format('branch %L does not exist', p_name),
        HINT = 'List branches with: SELECT name FROM pggit.branches WHERE status <> ''DELETED''.';
END;
$$;

-- create_branch(name, from_branch)
-- Purpose: a new branch whose head is the commit from_branch names; records the branch point
--   (base_hash) and builds its workspace: one namespace per tracked schema holding the
--   objects of that commit (structure only), created from their stored definitions.
--   from_branch is any ref (a branch, a tag, HEAD, a hash or a unique prefix, ref~N: see
--   pggit.resolve). The parameter keeps its name because FROM is reserved in SQL (and in
--   Python): create_branch('x', from_branch => 'v1.2.0'). From a branch, the new branch's
--   parent is that branch and it inherits its object versions; from any other commit, the
--   parent is the commit's branch and the versions of the objects that commit holds.
-- Arguments: name text; from_branch text (default 'main').
-- Returns: the new pggit.branches row.
-- Errors: PGB04 invalid name; PGB01/PGB05 from_branch names a missing or deleted branch;
--   PGC03/PGR01 from resolve; PGB02 name taken; PGR04 name is a tag's or HEAD.
-- Locks: from_branch's row FOR SHARE when it is a branch (its head cannot move or be deleted
--   meanwhile); an advisory lock on the name; the unique index on live names settles
--   concurrent creations of one name (one wins, the others get PGB02).
CREATE FUNCTION pggit.create_branch(name text, from_branch text DEFAULT 'main')
RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_source pggit.branches;
    v_new    pggit.branches;
    v_start  text;
    v_parent bigint;
BEGIN
    PERFORM pggit.validate_branch_name(create_branch.name);
    SELECT * INTO v_source FROM pggit.branches b
     WHERE b.name = from_branch AND b.status <> 'DELETED' FOR SHARE;
    IF v_source.id IS NOT NULL THEN
        v_start := v_source.head_hash;
        v_parent := v_source.id;
    ELSE
        v_start := pggit.resolve_ref(from_branch, true);
        SELECT c.branch_id INTO v_parent FROM pggit.commits c WHERE c.hash = v_start;
    END IF;
    PERFORM pggit.refuse_ref_collision(create_branch.name, 'branch');

    INSERT INTO pggit.branches AS b (name, head_hash, base_hash, parent_branch_id)
    VALUES (create_branch.name, v_start, v_start, v_parent)
    ON CONFLICT (name) WHERE status <> 'DELETED' DO NOTHING
    RETURNING * INTO v_new;

    IF v_new.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'PGB02',
            MESSAGE = format('branch %L already exists', create_branch.name),
            HINT = 'Choose another name, or delete the existing branch first.';
    END IF;
    PERFORM pggit.create_workspace(v_new.id, v_start);
    PERFORM pggit.inherit_versions(v_new.id, v_parent, v_start);
    PERFORM pggit.record_head_move(v_new.id, NULL, v_start, 'create',
                                   format('branch %s from %s', create_branch.name, left(from_branch, 200)));
    RETURN v_new;
END;
$$;

-- delete_branch(name, force)
-- Purpose: soft-delete a branch: status DELETED, history kept, name free for reuse; its
--   workspace namespaces and data branches are dropped in the same transaction.
-- Arguments: name text; force boolean (default false) deletes even with unmerged commits.
-- Returns: the deleted pggit.branches row. The reflog records the delete (new head NULL).
-- Errors: PGB04 invalid name; PGB01/PGB05 missing or already deleted; PGB03 'main';
--   PGB06 unmerged commits without force.
-- Locks: the branch row FOR UPDATE (waits for commits in flight on it).
CREATE FUNCTION pggit.delete_branch(name text, force boolean DEFAULT false)
RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_branch   pggit.branches;
    v_unmerged bigint;
BEGIN
    IF delete_branch.name = 'main' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'PGB03',
            MESSAGE = 'branch ''main'' is protected and cannot be deleted',
            HINT = 'main is the database''s own schema; delete other branches instead.';
    END IF;
    v_branch := pggit.find_branch(delete_branch.name, true);

    IF NOT coalesce(force, false) THEN
        v_unmerged := pggit.unmerged_commits(v_branch.id);
        IF v_unmerged > 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'PGB06',
                MESSAGE = format('branch %L has %s commit(s) not merged into any other branch',
                                 delete_branch.name, v_unmerged),
                HINT = 'Merge it first, or delete with force => true to discard them (history is kept).';
        END IF;
    END IF;

    PERFORM pggit.drop_data_branches(v_branch.id);
    PERFORM pggit.drop_workspace(v_branch.id);
    -- data stores kept for tables that are gone: the workspace's (the DDL event trigger drops
    -- them; without it, here), and others dropped while DDL capture was off
    PERFORM pggit.drop_unused_data_stores('{}');
    PERFORM pggit.record_head_move(v_branch.id, v_branch.head_hash, NULL, 'delete',
                                   format('delete branch %s%s', v_branch.name,
                                          CASE WHEN coalesce(force, false) THEN ' (forced)' ELSE '' END));
    -- clock_timestamp(): the moment of deletion, after any commit it waited for
    UPDATE pggit.branches b SET status = 'DELETED', deleted_at = clock_timestamp()
     WHERE b.id = v_branch.id
    RETURNING * INTO v_branch;
    RETURN v_branch;
END;
$$;

INSERT INTO pggit.branches (name) VALUES ('main');
