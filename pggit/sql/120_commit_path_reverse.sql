-- django-pggit 0002 reversed: restores the 0001 definitions that 120_commit_path.sql replaced
-- (copied verbatim from 000_schema.sql, 020_commits.sql, 030_snapshots.sql, 040_ddl_capture.sql,
-- 100_verify.sql).
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.

ALTER TABLE pggit.commits
    DROP CONSTRAINT commits_hash_check,
    ADD CONSTRAINT commits_hash_check CHECK (hash ~ '^[0-9a-f]{64}$'),
    DROP CONSTRAINT commits_tree_hash_check,
    ADD CONSTRAINT commits_tree_hash_check CHECK (tree_hash ~ '^[0-9a-f]{64}$');
ALTER TABLE pggit.commits
    ADD CONSTRAINT commits_parent_hash_fkey FOREIGN KEY (parent_hash) REFERENCES pggit.commits (hash),
    ADD CONSTRAINT commits_merge_parent_hash_fkey FOREIGN KEY (merge_parent_hash) REFERENCES pggit.commits (hash),
    ADD CONSTRAINT commits_tree_hash_fkey FOREIGN KEY (tree_hash) REFERENCES pggit.trees (hash),
    ADD CONSTRAINT commits_branch_id_fkey FOREIGN KEY (branch_id) REFERENCES pggit.branches (id);
ALTER TABLE pggit.branches
    ADD CONSTRAINT branches_head_hash_fkey FOREIGN KEY (head_hash) REFERENCES pggit.commits (hash);
ALTER TABLE pggit.objects
    DROP CONSTRAINT objects_hash_check,
    ADD CONSTRAINT objects_hash_check CHECK (hash ~ '^[0-9a-f]{64}$');
ALTER TABLE pggit.trees
    DROP CONSTRAINT trees_hash_check,
    ADD CONSTRAINT trees_hash_check CHECK (hash ~ '^[0-9a-f]{64}$');

CREATE OR REPLACE FUNCTION pggit.generate_trinity_id() RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
BEGIN
    -- Overlay the 48-bit Unix time in ms on a random v4 UUID, then turn version 4 into 7
    -- (bits 52 and 53 of the big-endian bytea are the low bits of the version nibble).
    RETURN encode(
        set_bit(set_bit(
            overlay(uuid_send(gen_random_uuid())
                    PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                    FROM 1 FOR 6),
            52, 1), 53, 1),
        'hex')::uuid::text;
END;
$$;

CREATE OR REPLACE FUNCTION pggit.current_author() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('pggit.author', true), ''), current_user::text);
END;
$$;

CREATE OR REPLACE FUNCTION pggit.commit_payload(
    p_id bigint, p_tree_hash text, p_parent_hash text, p_merge_parent_hash text,
    p_author text, p_committed_at timestamptz, p_message text
) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN 'commit ' || p_id
        || E'\ntree ' || p_tree_hash
        || E'\nparent ' || coalesce(p_parent_hash, '-')
        || E'\nmerge-parent ' || coalesce(p_merge_parent_hash, '-')
        || E'\nauthor ' || p_author
        || E'\ndate ' || to_char(p_committed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        || E'\n\n' || p_message;
END;
$$;

CREATE OR REPLACE FUNCTION pggit.commit_hash(c pggit.commits) RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    RETURN encode(sha256(convert_to(pggit.commit_payload(
        c.id, c.tree_hash, c.parent_hash, c.merge_parent_hash, c.author, c.committed_at, c.message
    ), 'UTF8')), 'hex');
END;
$$;

CREATE FUNCTION pggit.snapshot(p_branch pggit.branches, p_changed boolean) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_head_tree text;
BEGIN
    IF NOT p_changed AND p_branch.head_hash IS NOT NULL AND pggit.ddl_capture_enabled() THEN
        SELECT tree_hash INTO v_head_tree FROM pggit.commits WHERE hash = p_branch.head_hash;
        RETURN v_head_tree;
    END IF;
    RETURN pggit.store_tree(p_branch.id);
END;
$$;

CREATE FUNCTION pggit.attach_pending_ddl(p_branch_id bigint, p_commit_id bigint) RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    UPDATE pggit.ddl_events SET commit_id = p_commit_id
     WHERE branch_id = p_branch_id AND commit_id IS NULL;
    RETURN FOUND;
END;
$$;

CREATE OR REPLACE FUNCTION pggit.record_commit(p_branch pggit.branches, p_message text, p_author text,
                                    p_merge_parent_hash text DEFAULT NULL,
                                    p_full_snapshot boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_commit pggit.commits;
    v_pending boolean;
BEGIN
    v_commit.id := nextval(pg_get_serial_sequence('pggit.commits', 'id'));
    v_commit.parent_hash := p_branch.head_hash;
    v_commit.merge_parent_hash := p_merge_parent_hash;
    v_commit.branch_id := p_branch.id;
    -- Attach captured DDL first, then read the catalog: DDL committed in between is seen by
    -- the snapshot and its event goes to the next commit, so the tree is never stale.
    v_pending := pggit.attach_pending_ddl(p_branch.id, v_commit.id);
    v_commit.tree_hash := pggit.snapshot(p_branch, v_pending OR p_full_snapshot);
    v_commit.message := p_message;
    v_commit.author := p_author;
    v_commit.committed_at := clock_timestamp();
    v_commit.uuid := pggit.generate_trinity_id()::uuid;
    v_commit.hash := pggit.commit_hash(v_commit);

    INSERT INTO pggit.commits SELECT v_commit.*;
    UPDATE pggit.branches SET head_hash = v_commit.hash, status = 'ACTIVE' WHERE id = p_branch.id;
    PERFORM pggit.record_versions(p_branch.id, v_commit.hash);
    RETURN v_commit.hash;
END;
$$;

CREATE OR REPLACE FUNCTION pggit.commit_changes(branch text, message text DEFAULT '', author text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_message text := coalesce(commit_changes.message, '');
    v_author  text := coalesce(commit_changes.author, pggit.current_author());
BEGIN
    PERFORM pggit.validate_commit_input(v_message, v_author);
    RETURN pggit.record_commit(pggit.lock_branch_for_commit(commit_changes.branch), v_message, v_author);
END;
$$;

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
