-- django-pggit 0002: a cheaper commit path.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 120_commit_path_reverse.sql, which restores the 0001 definitions.
--
-- Profiling a no-change commit (pgbench, track_functions, clock_timestamp() between the
-- statements of a copy of record_commit) found its time in two places:
--   * CHECK (hash ~ '^[0-9a-f]{64}$'): PostgreSQL's regex engine expands the bounded
--     repetition into 64 states and rebuilds its DFA on every match, about 20 us per check;
--     a commit row has two, every stored object and tree one. The same rule written as a
--     length test plus a one-class regex costs well under 1 us.
--   * a dozen nested PL/pgSQL calls, each with a SET clause (a GUC save and restore and a
--     search_path recomputation per call, 5-20 us each with their query).
-- So: the hash checks are rewritten; commit_payload, commit_hash, generate_trinity_id and
-- current_author become SQL functions the planner inlines into their callers (no SET clause,
-- so every function, operator and type in them is schema-qualified and they do not depend on
-- the caller's search_path); record_commit does its work in one body (attach_pending_ddl and
-- snapshot are folded into it) and skips record_versions when the head's tree was reused on
-- the same branch; commit_changes locks an existing branch directly.
--
-- The foreign keys a commit row and a head move were checked against (parent, merge parent,
-- tree, branch; branches.head_hash) are dropped: each check is a query that locks the
-- referenced row FOR KEY SHARE, about a third of a no-change commit's time, and concurrent
-- commits on different branches all lock the same tree row, which PostgreSQL records as a new
-- MultiXact every time (8 workers on their own branches: 2,100 -> 3,400 commits/s without
-- them, measured with pgbench). The lock guards against the referenced row being deleted or
-- its key changed, which cannot happen here: commits are append-only (trigger), trees and
-- objects are content-addressed and never deleted, branches are soft-deleted. record_commit
-- takes every reference from rows it has just read or written under the branch lock, and
-- verify() now reports any dangling reference ("reference").

-- Same rule as '^[0-9a-f]{64}$': 64 bytes, none outside [0-9a-f].
ALTER TABLE pggit.commits
    DROP CONSTRAINT commits_hash_check,
    ADD CONSTRAINT commits_hash_check CHECK (octet_length(hash) = 64 AND hash !~ '[^0-9a-f]'),
    DROP CONSTRAINT commits_tree_hash_check,
    ADD CONSTRAINT commits_tree_hash_check CHECK (octet_length(tree_hash) = 64 AND tree_hash !~ '[^0-9a-f]');
ALTER TABLE pggit.objects
    DROP CONSTRAINT objects_hash_check,
    ADD CONSTRAINT objects_hash_check CHECK (octet_length(hash) = 64 AND hash !~ '[^0-9a-f]');
ALTER TABLE pggit.trees
    DROP CONSTRAINT trees_hash_check,
    ADD CONSTRAINT trees_hash_check CHECK (octet_length(hash) = 64 AND hash !~ '[^0-9a-f]');

-- generate_trinity_id(): a UUIDv7 as text, as before (its time field now rounds down, as RFC 9562
-- asks, where 0001 rounded to the nearest millisecond); now inlined by the planner.
CREATE OR REPLACE FUNCTION pggit.generate_trinity_id() RETURNS text
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    -- Overlay the 48-bit Unix time in ms on a random v4 UUID, then turn version 4 into 7
    -- (bits 52 and 53 of the big-endian bytea are the low bits of the version nibble).
    SELECT pg_catalog.encode(
               pg_catalog.set_bit(pg_catalog.set_bit(
                   pg_catalog.overlay(
                       pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                       pg_catalog.substring(pg_catalog.int8send(
                           pg_catalog.trunc(pg_catalog.date_part('epoch', pg_catalog.clock_timestamp())
                                            OPERATOR(pg_catalog.*) 1000)::pg_catalog.int8), 3),
                       1, 6),
                   52, 1), 53, 1),
               'hex')::pg_catalog.uuid::pg_catalog.text
$$;

-- current_author(): unchanged result; now inlined by the planner.
CREATE OR REPLACE FUNCTION pggit.current_author() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN pg_catalog.current_setting('pggit.author', true) OPERATOR(pg_catalog.<>) ''
                THEN pg_catalog.current_setting('pggit.author', true)
                ELSE CURRENT_USER::pg_catalog.text END
$$;

-- commit_payload(...): unchanged result; now inlined by the planner.
CREATE OR REPLACE FUNCTION pggit.commit_payload(
    p_id bigint, p_tree_hash text, p_parent_hash text, p_merge_parent_hash text,
    p_author text, p_committed_at timestamptz, p_message text
) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT 'commit ' OPERATOR(pg_catalog.||) p_id::pg_catalog.text
        OPERATOR(pg_catalog.||) E'\ntree ' OPERATOR(pg_catalog.||) p_tree_hash
        OPERATOR(pg_catalog.||) E'\nparent ' OPERATOR(pg_catalog.||) coalesce(p_parent_hash, '-')
        OPERATOR(pg_catalog.||) E'\nmerge-parent ' OPERATOR(pg_catalog.||) coalesce(p_merge_parent_hash, '-')
        OPERATOR(pg_catalog.||) E'\nauthor ' OPERATOR(pg_catalog.||) p_author
        OPERATOR(pg_catalog.||) E'\ndate ' OPERATOR(pg_catalog.||)
            pg_catalog.to_char(pg_catalog.timezone('UTC', p_committed_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        OPERATOR(pg_catalog.||) E'\n\n' OPERATOR(pg_catalog.||) p_message
$$;

-- commit_hash(commit): unchanged result; now inlined by the planner.
CREATE OR REPLACE FUNCTION pggit.commit_hash(c pggit.commits) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(pggit.commit_payload(
        c.id, c.tree_hash, c.parent_hash, c.merge_parent_hash, c.author, c.committed_at, c.message
    ), 'UTF8')), 'hex')
$$;

-- record_commit(branch, message, author, merge_parent_hash, full_snapshot)
-- Purpose: the one place a commit is written: attach the branch's pending DDL, snapshot its
--   workspace (reusing the head's tree when DDL capture is on, no DDL of the branch was
--   captured since the head, and full_snapshot is false), insert the commit with parent =
--   head, move the head, bump object versions (not needed when the head's tree is reused on
--   the same branch: no object changed). Used by commit_changes, merge and revert; the caller
--   has validated the input and holds the branch row FOR UPDATE.
-- Returns: the new commit's hash.
CREATE OR REPLACE FUNCTION pggit.record_commit(p_branch pggit.branches, p_message text, p_author text,
                                               p_merge_parent_hash text DEFAULT NULL,
                                               p_full_snapshot boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_commit pggit.commits;
    v_head   pggit.commits;  -- set only when its tree is reused
BEGIN
    v_commit.id := nextval('pggit.commits_id_seq'::regclass);
    v_commit.parent_hash := p_branch.head_hash;
    v_commit.merge_parent_hash := p_merge_parent_hash;
    v_commit.branch_id := p_branch.id;
    -- Attach captured DDL first, then read the catalog: DDL committed in between is seen by
    -- the snapshot and its event goes to the next commit, so the tree is never stale.
    UPDATE pggit.ddl_events SET commit_id = v_commit.id
     WHERE branch_id = p_branch.id AND commit_id IS NULL;
    IF NOT FOUND AND NOT p_full_snapshot AND p_branch.head_hash IS NOT NULL
       AND pggit.ddl_capture_enabled() THEN
        SELECT * INTO v_head FROM pggit.commits WHERE hash = p_branch.head_hash;
        v_commit.tree_hash := v_head.tree_hash;
    ELSE
        v_commit.tree_hash := pggit.store_tree(p_branch.id);
    END IF;
    v_commit.message := p_message;
    v_commit.author := p_author;
    v_commit.committed_at := clock_timestamp();
    v_commit.uuid := pggit.generate_trinity_id()::uuid;
    v_commit.hash := pggit.commit_hash(v_commit);

    INSERT INTO pggit.commits SELECT v_commit.*;
    UPDATE pggit.branches SET head_hash = v_commit.hash, status = 'ACTIVE' WHERE id = p_branch.id;
    IF v_head.branch_id IS DISTINCT FROM p_branch.id THEN
        PERFORM pggit.record_versions(p_branch.id, v_commit.hash);
    END IF;
    RETURN v_commit.hash;
END;
$$;

-- commit_changes(branch, message, author): contract unchanged (see 020_commits.sql). A live
-- branch of that name is locked directly (its name was validated when it was created);
-- lock_branch_for_commit validates, refuses or creates otherwise.
CREATE OR REPLACE FUNCTION pggit.commit_changes(branch text, message text DEFAULT '', author text DEFAULT NULL)
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

DROP FUNCTION pggit.snapshot(pggit.branches, boolean);
DROP FUNCTION pggit.attach_pending_ddl(bigint, bigint);

ALTER TABLE pggit.commits
    DROP CONSTRAINT commits_parent_hash_fkey,
    DROP CONSTRAINT commits_merge_parent_hash_fkey,
    DROP CONSTRAINT commits_tree_hash_fkey,
    DROP CONSTRAINT commits_branch_id_fkey;
ALTER TABLE pggit.branches
    DROP CONSTRAINT branches_head_hash_fkey;

-- verify()
-- Purpose: check the history and the objects pggit manages; returns one row per finding
--   (none when everything holds):
--   commit_hash        a commit's hash does not recompute from its row (forged or corrupted)
--   tree_hash          a tree's hash does not recompute from its entries
--   object_hash        a definition's hash does not recompute, or a tree names a missing one
--   head               a live branch's head is not a commit of its own chain (its commits, its
--                      branch point, or the result or source head of a merge into it: a
--                      fast-forward moves the head to the source's commit)
--   chain_gap          a commit's first parent is outside its branch's chain
--   chain_fork         two commits of one branch share a first parent
--   reference          a commit's parent, merge parent, tree or branch, or a branch's head, is
--                      not stored (these are not foreign keys: see 120_commit_path.sql)
--   append_only        the append-only trigger on pggit.commits is missing or disabled
--   workspace          a live branch's workspace namespace is missing, or a pggit_b* namespace
--                      belongs to no live branch
--   data_branch        a live data branch's view/delta/pre-image is missing, or a pggit
--                      data_* table belongs to no live data branch
-- Returns: (check, subject, detail).  Errors: none.  Locks: none (reads only).
CREATE OR REPLACE FUNCTION pggit.verify()
RETURNS TABLE ("check" text, subject text, detail text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    -- every commit hash recomputes
    SELECT 'commit_hash', c.hash, format('commit %s recomputes to %s', c.id, pggit.commit_hash(c))
      FROM pggit.commits c WHERE pggit.commit_hash(c) <> c.hash
    UNION ALL
    -- trees and definitions recompute; trees reference stored definitions
    SELECT 'tree_hash', t.hash, 'tree entries do not hash to the tree''s hash'
      FROM pggit.trees t
     WHERE encode(sha256(convert_to(coalesce((SELECT string_agg(e.key || ' ' || e.value, E'\n' ORDER BY e.key)
                                                FROM jsonb_each_text(t.entries) e), ''), 'UTF8')), 'hex') <> t.hash
    UNION ALL
    SELECT 'object_hash', o.hash, 'definition does not hash to its key'
      FROM pggit.objects o WHERE pggit.hash_definition(o.definition) <> o.hash
    UNION ALL
    SELECT 'object_hash', e.value, format('tree %s names a definition that is not stored (%s)', t.hash, e.key)
      FROM pggit.trees t CROSS JOIN LATERAL jsonb_each_text(t.entries) e
     WHERE NOT EXISTS (SELECT 1 FROM pggit.objects o WHERE o.hash = e.value)
    UNION ALL
    -- heads belong to their branch's chain
    SELECT 'head', b.name, format('head %s is not a commit of the branch, its base or a merge into it', b.head_hash)
      FROM pggit.branches b
     WHERE b.status <> 'DELETED' AND b.head_hash IS NOT NULL
       AND b.head_hash IS DISTINCT FROM b.base_hash
       AND NOT EXISTS (SELECT 1 FROM pggit.commits c WHERE c.hash = b.head_hash AND c.branch_id = b.id)
       AND NOT EXISTS (SELECT 1 FROM pggit.merges m WHERE m.target_branch_id = b.id AND m.status = 'COMPLETED'
                          AND b.head_hash IN (m.result_hash, m.source_hash))
    UNION ALL
    -- each branch's commits form one chain: no gaps, no forks
    SELECT 'chain_gap', c.hash, format('parent %s is not on branch %s''s chain', c.parent_hash, b.name)
      FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id
     WHERE c.parent_hash IS DISTINCT FROM b.base_hash
       AND NOT EXISTS (SELECT 1 FROM pggit.commits p WHERE p.hash = c.parent_hash AND p.branch_id = c.branch_id)
       AND NOT EXISTS (SELECT 1 FROM pggit.merges m WHERE m.target_branch_id = b.id AND m.status = 'COMPLETED'
                          AND c.parent_hash IN (m.result_hash, m.source_hash))
    UNION ALL
    SELECT 'chain_fork', b.name, format('%s commits share the parent %s', count(*), coalesce(c.parent_hash, '(none)'))
      FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id
     GROUP BY b.name, c.branch_id, c.parent_hash HAVING count(*) > 1
    UNION ALL
    SELECT 'reference', c.hash, format('commit %s names a %s that is not stored: %s', c.id, r.kind, r.ref)
      FROM pggit.commits c
     CROSS JOIN LATERAL (VALUES ('parent', c.parent_hash), ('merge parent', c.merge_parent_hash)) r(kind, ref)
     WHERE r.ref IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pggit.commits p WHERE p.hash = r.ref)
    UNION ALL
    SELECT 'reference', c.hash, format('commit %s names a tree that is not stored: %s', c.id, c.tree_hash)
      FROM pggit.commits c WHERE NOT EXISTS (SELECT 1 FROM pggit.trees t WHERE t.hash = c.tree_hash)
    UNION ALL
    SELECT 'reference', c.hash, format('commit %s names a branch that does not exist: %s', c.id, c.branch_id)
      FROM pggit.commits c WHERE NOT EXISTS (SELECT 1 FROM pggit.branches b WHERE b.id = c.branch_id)
    UNION ALL
    SELECT 'reference', b.name, format('head %s is not a stored commit', b.head_hash)
      FROM pggit.branches b
     WHERE b.head_hash IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pggit.commits c WHERE c.hash = b.head_hash)
    UNION ALL
    SELECT 'append_only', 'pggit.commits', format('trigger %s is missing or disabled', t.name)
      FROM (VALUES ('commits_append_only'), ('commits_no_truncate')) t(name)
     WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = 'pggit.commits'::regclass
                          AND g.tgname = t.name AND g.tgenabled <> 'D')
    UNION ALL
    -- workspaces and namespaces match
    SELECT 'workspace', w.namespace, format('workspace of branch %s is missing', b.name)
      FROM pggit.workspaces w JOIN pggit.branches b ON b.id = w.branch_id
     WHERE b.status <> 'DELETED' AND NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = w.namespace)
    UNION ALL
    SELECT 'workspace', n.nspname, 'namespace belongs to no live branch'
      FROM pg_namespace n
     WHERE n.nspname ~ '^pggit_b[0-9]+_[0-9]+(_data)?$'
       AND NOT EXISTS (SELECT 1 FROM pggit.workspaces w JOIN pggit.branches b ON b.id = w.branch_id
                        WHERE b.status <> 'DELETED' AND n.nspname IN (w.namespace, w.namespace || '_data'))
    UNION ALL
    -- data branches and their objects match
    SELECT 'data_branch', d.view_name, format('data branch %s of %s on branch %s is missing %s', d.id, d.source_name, b.name, x.name)
      FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id
     CROSS JOIN LATERAL (VALUES (d.view_name), (d.delta_table), (d.preimage_table)) x(name)
     WHERE d.status = 'ACTIVE' AND to_regclass(x.name) IS NULL
    UNION ALL
    SELECT 'data_branch', 'pggit.' || c.relname, 'table belongs to no live data branch'
      FROM pg_class c
     WHERE c.relnamespace = 'pggit'::regnamespace AND c.relkind = 'r' AND c.relname ~ '^data_[0-9]+_(delta|pre)$'
       AND NOT EXISTS (SELECT 1 FROM pggit.data_branches d
                        WHERE d.status = 'ACTIVE' AND 'pggit.' || c.relname IN (d.delta_table, d.preimage_table))
$$;
