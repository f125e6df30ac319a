-- django-pggit core: integrity verification.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).

-- verify()
-- Purpose: check the history and the objects pggit manages; returns one row per finding
--   (none when everything holds):
--   commit_hash        a commit's hash does not recompute from its row (forged or corrupted)
--   tree_hash          a tree's hash does not recompute from its entries
--   object_hash        a definition's hash does not recompute, or a tree names a missing one
--   head               a live branch's head is not a commit of its own chain (its commits, its
--                      branch point, the result or source head of a merge into it: a
--                      fast-forward moves the head to the source's commit, or the target of
--                      a reset recorded in its reflog)
--   chain_gap          a commit's first parent is outside its branch's chain (or a reset target)
--   chain_fork         two commits of one branch share a first parent (not a reset target)
--   reflog             a live branch's head is not its last reflog entry's new head (a head
--                      moved outside the API); an entry does not hash to its hash or does not
--                      chain to the branch's previous entry (an entry edited, deleted or
--                      inserted); a commit has no reflog entry on its branch
--   ddl_events         a commit's captured DDL events are fewer or more than its reflog entry
--                      recorded (rows deleted or re-attached)
--   object_versions    a live branch has fewer object_versions rows than its last reflog
--                      entry recorded (rows deleted); the missing rows of its head's objects
--                      are named
--   reference          a commit's parent, merge parent, tree or branch, or a branch's head, is
--                      not stored (these are not foreign keys: see 020_commits.sql)
--   append_only        an append-only trigger (commits, reflog, objects, trees, object_versions,
--                      ddl_events) is missing or disabled
--   workspace          a live branch's workspace namespace is missing, or a pggit_b* namespace
--                      belongs to no live branch
--   data_branch        a live data branch's view/delta/pre-image is missing, or a pggit
--                      data_* table belongs to no live data branch
-- Returns: (check, subject, detail).  Errors: none.  Locks: none (reads only).
CREATE FUNCTION pggit.verify()
RETURNS TABLE ("check" text, subject text, detail text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    -- the commits a branch's chain may go on from besides its own (head and chain_gap): the
    -- result or source head of a merge into it, and the targets of its resets
    WITH chain_joins(branch_id, hash) AS (
        SELECT m.target_branch_id, h.hash
          FROM pggit.merges m CROSS JOIN LATERAL (VALUES (m.result_hash), (m.source_hash)) h(hash)
         WHERE m.status = 'COMPLETED'
        UNION ALL
        SELECT r.branch_id, r.new_hash FROM pggit.reflog r WHERE r.operation = 'reset'
    )
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
       AND NOT EXISTS (SELECT 1 FROM chain_joins j WHERE j.branch_id = b.id AND j.hash = b.head_hash)
    UNION ALL
    -- each branch's commits form one chain: no gaps, no forks
    SELECT 'chain_gap', c.hash, format('parent %s is not on branch %s''s chain', c.parent_hash, b.name)
      FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id
     WHERE c.parent_hash IS DISTINCT FROM b.base_hash
       AND NOT EXISTS (SELECT 1 FROM pggit.commits p WHERE p.hash = c.parent_hash AND p.branch_id = c.branch_id)
       AND NOT EXISTS (SELECT 1 FROM chain_joins j WHERE j.branch_id = b.id AND j.hash = c.parent_hash)
    UNION ALL
    SELECT 'chain_fork', b.name, format('%s commits share the parent %s', count(*), coalesce(c.parent_hash, '(none)'))
      FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id
     WHERE NOT EXISTS (SELECT 1 FROM pggit.reflog r WHERE r.branch_id = c.branch_id AND r.operation = 'reset'
                          AND r.new_hash = c.parent_hash)
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
    -- the reflog: heads are its last entries, entries chain, every commit has one, counts hold
    SELECT 'reflog', b.name, format('head %s is not the last reflog entry''s new head (%s)',
                                    coalesce(b.head_hash, '(none)'), coalesce(l.new_hash, '(none)'))
      FROM pggit.branches b
      LEFT JOIN LATERAL (SELECT r.new_hash FROM pggit.reflog r WHERE r.branch_id = b.id
                          ORDER BY r.id DESC LIMIT 1) l ON true
     WHERE b.status <> 'DELETED' AND b.head_hash IS DISTINCT FROM l.new_hash
    UNION ALL
    SELECT 'reflog', coalesce(b.name, r.branch_id::text),
           format('reflog entry %s (%s %s) %s', r.id, r.operation, coalesce(left(r.new_hash, 12), '-'),
                  CASE WHEN r.entry_hash <> r.recomputed THEN 'does not hash to its hash'
                       ELSE format('does not chain to the previous entry (expected %s)', coalesce(r.expected, '(none)')) END)
      FROM (SELECT x.*, lag(x.entry_hash) OVER (PARTITION BY x.branch_id ORDER BY x.id) AS expected,
                   pggit.reflog_hash(x) AS recomputed
              FROM pggit.reflog x) r
      LEFT JOIN pggit.branches b ON b.id = r.branch_id
     WHERE r.entry_hash <> r.recomputed OR r.prev_hash IS DISTINCT FROM r.expected
    UNION ALL
    SELECT 'reflog', b.name, format('commit %s has no reflog entry', c.hash)
      FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id
     WHERE NOT EXISTS (SELECT 1 FROM pggit.reflog r WHERE r.new_hash = c.hash AND r.branch_id = c.branch_id
                          AND r.ddl_events IS NOT NULL)
    UNION ALL
    SELECT 'ddl_events', b.name, format('commit %s recorded %s captured DDL event(s); %s stored',
                                        c.hash, r.ddl_events, n.stored)
      FROM pggit.reflog r JOIN pggit.commits c ON c.hash = r.new_hash
      JOIN pggit.branches b ON b.id = r.branch_id
     CROSS JOIN LATERAL (SELECT count(*) AS stored FROM pggit.ddl_events e WHERE e.commit_id = c.id) n
     WHERE r.ddl_events IS NOT NULL AND r.ddl_events <> n.stored
    UNION ALL
    SELECT 'object_versions', b.name,
           format('%s object_versions row(s) missing (the reflog recorded %s, %s stored)%s',
                  l.versions - n.stored, l.versions, n.stored,
                  coalesce(': ' || (SELECT string_agg(e.key, ', ' ORDER BY e.key)
                                      FROM pggit.commits c JOIN pggit.trees t ON t.hash = c.tree_hash
                                     CROSS JOIN LATERAL jsonb_object_keys(t.entries) e(key)
                                     WHERE c.hash = b.head_hash
                                       AND NOT EXISTS (SELECT 1 FROM pggit.object_versions v
                                                        WHERE v.branch_id = b.id AND v.object_key = e.key)), ''))
      FROM pggit.branches b
      JOIN LATERAL (SELECT r.versions FROM pggit.reflog r WHERE r.branch_id = b.id ORDER BY r.id DESC LIMIT 1) l ON true
     CROSS JOIN LATERAL (SELECT count(*) AS stored FROM pggit.object_versions v WHERE v.branch_id = b.id) n
     WHERE b.status <> 'DELETED' AND n.stored < l.versions
    UNION ALL
    SELECT 'append_only', t.rel, format('trigger %s is missing or disabled', t.name)
      FROM (VALUES ('pggit.commits', 'commits_append_only'), ('pggit.commits', 'commits_no_truncate'),
                   ('pggit.objects', 'objects_append_only'), ('pggit.objects', 'objects_no_truncate'),
                   ('pggit.trees', 'trees_append_only'), ('pggit.trees', 'trees_no_truncate'),
                   ('pggit.object_versions', 'object_versions_append_only'),
                   ('pggit.object_versions', 'object_versions_no_truncate'),
                   ('pggit.ddl_events', 'ddl_events_append_only'), ('pggit.ddl_events', 'ddl_events_no_delete'),
                   ('pggit.ddl_events', 'ddl_events_no_truncate'),
                   ('pggit.reflog', 'reflog_append_only'), ('pggit.reflog', 'reflog_no_truncate')) t(rel, name)
     WHERE NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = t.rel::regclass
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
    SELECT 'data_branch', 'pggit.' || c.relname, 'table belongs to no data store'
      FROM pg_class c
     WHERE c.relnamespace = 'pggit'::regnamespace AND c.relkind = 'r' AND c.relname ~ '^data_[0-9]+_(delta|pre)$'
       AND NOT EXISTS (SELECT 1 FROM pggit.data_stores s WHERE 'pggit.' || c.relname IN (s.delta_table, s.preimage_table))
    UNION ALL
    SELECT 'data_branch', x.name, format('data store %s of %s is missing its table', s.id, s.source_relid)
      FROM pggit.data_stores s CROSS JOIN LATERAL (VALUES (s.delta_table), (s.preimage_table)) x(name)
     WHERE to_regclass(x.name) IS NULL
    UNION ALL
    SELECT 'data_branch', d.view_name, format('data branch %s uses no registered data store', d.id)
      FROM pggit.data_branches d
     WHERE d.status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM pggit.data_stores s WHERE s.delta_table = d.delta_table
                                                  AND s.preimage_table = d.preimage_table)
$$;
