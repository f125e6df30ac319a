-- django-pggit core: 3-way merge, conflicts and their resolution, revert.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).

CREATE TABLE pggit.merges (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid             uuid NOT NULL DEFAULT pggit.generate_trinity_id()::uuid UNIQUE,
    kind             text NOT NULL DEFAULT 'merge' CHECK (kind IN ('merge', 'cherry-pick')),
    source_branch_id bigint NOT NULL REFERENCES pggit.branches (id),
    target_branch_id bigint NOT NULL REFERENCES pggit.branches (id),
    base_hash        text REFERENCES pggit.commits (hash),
    source_hash      text NOT NULL REFERENCES pggit.commits (hash),
    target_hash      text REFERENCES pggit.commits (hash),
    status           text NOT NULL CHECK (status IN ('CONFLICTED', 'COMPLETED', 'ABANDONED')),
    message          text,
    author           text NOT NULL,
    result_hash      text REFERENCES pggit.commits (hash),
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz
);

COMMENT ON TABLE pggit.merges IS
    'Merges and cherry-picks that stopped on conflicts or completed. A cherry-pick''s source is '
    'the picked commit (source_hash, on its branch source_branch_id) and its base that commit''s '
    'parent.';

CREATE TABLE pggit.merge_conflicts (
    merge_id       bigint NOT NULL REFERENCES pggit.merges (id),
    object_key     text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('modify/modify', 'add/add', 'delete/modify', 'modify/delete',
                                                 'row modify/modify', 'row add/add', 'row delete/modify',
                                                 'row modify/delete')),
    base_hash      text,
    ours_hash      text,      -- the target's version
    theirs_hash    text,      -- the source's version
    detail         text,
    resolution     text CHECK (resolution IN ('ours', 'theirs', 'ddl', 'value')),
    resolution_value text,    -- the DDL, or the row (jsonb text) chosen for a row conflict
    resolved_at    timestamptz,
    PRIMARY KEY (merge_id, object_key)
);

COMMENT ON TABLE pggit.merge_conflicts IS
    'Objects (and data-branch rows, keys "row:<table>:<key>") changed differently on both sides '
    'of a merge; nothing is applied until all are resolved.';

-- walk_commits(head, floor): the commits reachable from head through parents and merge
-- parents, walked down to floor: every commit with id >= floor, plus the first one below floor
-- on each path (exit = true), which is not walked further. A parent's id is always smaller than
-- its child's (a commit row is inserted after its parents are committed), so the walk never
-- misses a commit >= floor, and the commits below floor that head reaches are exactly the exits
-- and their ancestors.
CREATE FUNCTION pggit.walk_commits(p_head text, p_floor bigint)
RETURNS TABLE (id bigint, hash text, exit boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH RECURSIVE walk AS (
        SELECT c.id, c.hash, c.parent_hash, c.merge_parent_hash FROM pggit.commits c WHERE c.hash = p_head
        UNION
        SELECT c.id, c.hash, c.parent_hash, c.merge_parent_hash
          FROM walk w CROSS JOIN LATERAL (VALUES (w.parent_hash), (w.merge_parent_hash)) p(parent)
          JOIN pggit.commits c ON c.hash = p.parent
         WHERE w.id >= p_floor
    )
    SELECT w.id, w.hash, w.id < p_floor FROM walk w
$$;

-- compare_histories(a, b)
-- Purpose: what the histories of commits a and b share, without walking all of it: how many
--   commits a reaches that b does not (ahead) and the reverse (behind), and the merge base (the
--   latest commit both reach, NULL if none). Both walks go down to a floor below the newer
--   head, deepened 4x at a time until the sides leave the walked range through the same exit
--   commits: below the floor the two reach the same commits then, so the counts above it are
--   the answer, and the merge base is the latest shared commit above it or else the latest
--   exit. A feature branch costs what it has walked since it forked, not the whole history.
-- Errors: none (an unknown or NULL hash reaches nothing).  Locks: none.
CREATE FUNCTION pggit.compare_histories(a text, b text)
RETURNS TABLE (ahead bigint, behind bigint, base text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_top   bigint := coalesce((SELECT max(c.id) FROM pggit.commits c WHERE c.hash IN (a, b)), 0);
    v_span  bigint := 64;
    v_floor bigint;
BEGIN
    LOOP
        v_floor := CASE WHEN v_span >= v_top THEN 0 ELSE v_top - v_span END;
        RETURN QUERY
            WITH x AS MATERIALIZED (SELECT * FROM pggit.walk_commits(a, v_floor)),
                 y AS MATERIALIZED (SELECT * FROM pggit.walk_commits(b, v_floor))
            SELECT (SELECT count(*) FROM x WHERE NOT x.exit AND NOT EXISTS (SELECT 1 FROM y WHERE y.hash = x.hash)),
                   (SELECT count(*) FROM y WHERE NOT y.exit AND NOT EXISTS (SELECT 1 FROM x WHERE x.hash = y.hash)),
                   coalesce((SELECT x.hash FROM x JOIN y USING (hash) WHERE NOT x.exit ORDER BY x.id DESC LIMIT 1),
                            (SELECT x.hash FROM x WHERE x.exit ORDER BY x.id DESC LIMIT 1))
             WHERE v_floor = 0
                OR ARRAY(SELECT x.hash FROM x WHERE x.exit ORDER BY 1) = ARRAY(SELECT y.hash FROM y WHERE y.exit ORDER BY 1);
        EXIT WHEN FOUND;
        v_span := v_span * 4;
    END LOOP;
END;
$$;

-- merge_base(a, b): the best common ancestor of two commits (the latest one), or NULL.
CREATE FUNCTION pggit.merge_base(a text, b text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT h.base FROM pggit.compare_histories(a, b) h
$$;

-- is_ancestor(commit, head): whether head's history contains commit (head itself counts).
CREATE FUNCTION pggit.is_ancestor(p_commit text, p_head text) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT p_commit IS NOT NULL AND (p_commit = p_head OR pggit.merge_base(p_commit, p_head) IS NOT DISTINCT FROM p_commit)
$$;

-- commit_tree(hash): a commit's tree entries ('{}' for NULL, the empty history).
CREATE FUNCTION pggit.commit_tree(p_hash text) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT coalesce((SELECT t.entries FROM pggit.commits c JOIN pggit.trees t ON t.hash = c.tree_hash
                      WHERE c.hash = p_hash), '{}'::jsonb)
$$;

-- merge_definitions(base, ours, theirs)
-- Purpose: combine two edits of one table made on different elements (columns, constraints,
--   indexes, triggers, properties). Returns NULL when both sides changed the same element
--   differently, or either reordered columns: that is a conflict.
CREATE FUNCTION pggit.merge_definitions(p_base jsonb, p_ours jsonb, p_theirs jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_result jsonb := p_ours;
    c record;
    v_field text;
BEGIN
    IF EXISTS (SELECT 1 FROM pggit.definition_changes(p_base, p_ours) o
                 JOIN pggit.definition_changes(p_base, p_theirs) t USING (element, name)
                WHERE o.new_value IS DISTINCT FROM t.new_value OR o.change <> t.change)
       OR EXISTS (SELECT 1 FROM pggit.definition_changes(p_base, p_ours) WHERE name = 'column_order')
       OR EXISTS (SELECT 1 FROM pggit.definition_changes(p_base, p_theirs) WHERE name = 'column_order') THEN
        RETURN NULL;
    END IF;
    FOR c IN SELECT t.* FROM pggit.definition_changes(p_base, p_theirs) t
              WHERE NOT EXISTS (SELECT 1 FROM pggit.definition_changes(p_base, p_ours) o
                                 WHERE o.element = t.element AND o.name = t.name) LOOP
        IF c.element = 'column' THEN
            v_result := jsonb_set(v_result, '{columns}', coalesce((
                SELECT jsonb_agg(CASE WHEN col->>'name' = c.name THEN c.new_value ELSE col END ORDER BY o)
                  FROM jsonb_array_elements(v_result->'columns') WITH ORDINALITY AS x(col, o)
                 WHERE NOT (col->>'name' = c.name AND c.change = 'removed')), '[]'::jsonb)
                || CASE WHEN c.change = 'added' THEN jsonb_build_array(c.new_value) ELSE '[]'::jsonb END);
        ELSIF c.element IN ('constraint', 'index', 'trigger') THEN
            v_field := CASE c.element WHEN 'constraint' THEN 'constraints' WHEN 'index' THEN 'indexes' ELSE 'triggers' END;
            v_result := jsonb_set(v_result, ARRAY[v_field], coalesce(v_result->v_field, '{}'::jsonb));
            IF c.change = 'removed' THEN
                v_result := jsonb_set(v_result, ARRAY[v_field], (v_result->v_field) - c.name);
            ELSE
                v_result := jsonb_set(v_result, ARRAY[v_field, c.name], c.new_value);
            END IF;
            IF v_result->v_field = '{}'::jsonb THEN
                v_result := v_result - v_field;  -- definitions omit empty maps
            END IF;
        ELSIF c.element = 'property' THEN
            v_result := CASE WHEN c.change = 'removed' THEN v_result - c.name
                             ELSE jsonb_set(v_result, ARRAY[c.name], c.new_value) END;
        ELSE
            RETURN NULL;
        END IF;
    END LOOP;
    RETURN v_result;
END;
$$;

-- plan_merge(base, ours, theirs)
-- Purpose: the 3-way merge of three trees (entries jsonb). For each object theirs changed:
--   'theirs' when ours did not touch it (result = theirs' hash, NULL = removed); 'merged' when
--   both edited a table on different elements (result = the combined definition's hash,
--   stored in pggit.objects); 'conflict' otherwise (modify/modify, add/add, delete/modify,
--   modify/delete). Objects both sides changed identically, or only ours changed, are absent.
CREATE FUNCTION pggit.plan_merge(p_base jsonb, p_ours jsonb, p_theirs jsonb)
RETURNS TABLE (object_key text, outcome text, conflict_kind text, base_hash text, ours_hash text,
               theirs_hash text, result_hash text)
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    r record;
    v_merged jsonb;
BEGIN
    FOR r IN
        SELECT k.key, p_base->>k.key AS b, p_ours->>k.key AS o, p_theirs->>k.key AS t
          FROM (SELECT jsonb_object_keys(p_base) UNION SELECT jsonb_object_keys(p_ours)
                UNION SELECT jsonb_object_keys(p_theirs)) k(key)
         WHERE (p_theirs->>k.key) IS DISTINCT FROM (p_base->>k.key)
           AND (p_ours->>k.key) IS DISTINCT FROM (p_theirs->>k.key)
         ORDER BY 1
    LOOP
        object_key := r.key; base_hash := r.b; ours_hash := r.o; theirs_hash := r.t;
        conflict_kind := NULL; result_hash := NULL;
        IF r.o IS NOT DISTINCT FROM r.b THEN
            outcome := 'theirs'; result_hash := r.t;
        ELSIF split_part(r.key, ':', 1) = 'table' AND r.b IS NOT NULL AND r.o IS NOT NULL AND r.t IS NOT NULL THEN
            v_merged := pggit.merge_definitions(
                (SELECT definition FROM pggit.objects WHERE hash = r.b),
                (SELECT definition FROM pggit.objects WHERE hash = r.o),
                (SELECT definition FROM pggit.objects WHERE hash = r.t));
            IF v_merged IS NULL THEN
                outcome := 'conflict'; conflict_kind := 'modify/modify';
            ELSE
                outcome := 'merged';
                result_hash := pggit.hash_definition(v_merged);
                INSERT INTO pggit.objects (hash, object_type, definition)
                VALUES (result_hash, 'table', v_merged) ON CONFLICT (hash) DO NOTHING;
            END IF;
        ELSE
            outcome := 'conflict';
            conflict_kind := CASE WHEN r.b IS NULL THEN 'add/add' WHEN r.o IS NULL THEN 'delete/modify'
                                  WHEN r.t IS NULL THEN 'modify/delete' ELSE 'modify/modify' END;
        END IF;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- apply_tree(branch_id, from_tree, to_tree, extra, record)
-- Purpose: bring a branch's workspace from one tree to another by running tree_ddl, then the
--   extra statements (jsonb [{object_key, statement}], e.g. conflict resolutions). With
--   record, each statement is logged in ddl_events as pending DDL of the branch, so the
--   commit that follows shows it.
CREATE FUNCTION pggit.apply_tree(p_branch_id bigint, p_from jsonb, p_to jsonb,
                                 p_extra jsonb DEFAULT '[]', p_record boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_statements jsonb;
BEGIN
    v_statements := coalesce((
        SELECT jsonb_agg(jsonb_build_object('object_key', d.object_key, 'statement', d.statement) ORDER BY d.step)
          FROM pggit.tree_ddl(p_from, p_to) d), '[]'::jsonb) || coalesce(p_extra, '[]');
    PERFORM pggit.run_statements(p_branch_id, v_statements);
    IF p_record THEN
        INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, object_identity, statement, role_name)
        SELECT p_branch_id, upper(coalesce(substring(s->>'statement' FROM '^\s*(\w+(?:\s+OR\s+REPLACE)?\s+\w+)'), 'DDL')),
               split_part(s->>'object_key', ':', 1), s->>'object_key', s->>'statement', pggit.ddl_role()
          FROM jsonb_array_elements(v_statements) s;
    END IF;
END;
$$;

-- refuse_uncommitted(branch): merges and reverts need a clean workspace.
-- Errors: PGM03 listing the first uncommitted objects.
CREATE FUNCTION pggit.refuse_uncommitted(p_branch pggit.branches) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_objects text;
BEGIN
    SELECT string_agg(s.object_key, ', ') INTO v_objects
      FROM (SELECT st.object_key FROM pggit.status(p_branch.name) st LIMIT 5) s;
    IF v_objects IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM03',
            MESSAGE = format('branch %L has uncommitted changes (%s)', p_branch.name, v_objects),
            HINT = format('Commit them first: SELECT pggit.commit_changes(%L, ''...'').', p_branch.name);
    END IF;
END;
$$;

-- refuse_self_merge(source, target): PGM02 when both name the same branch (merge, merge_preview).
CREATE FUNCTION pggit.refuse_self_merge(p_source pggit.branches, p_target pggit.branches) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    IF p_source.id = p_target.id THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM02',
            MESSAGE = format('cannot merge branch %L into itself', p_source.name),
            HINT = 'Name two different branches.';
    END IF;
END;
$$;

-- lock_two_branches(a, b): lock two branch rows FOR UPDATE in primary-key order (no deadlock
-- between opposite-order merges by construction) and return them fresh.
CREATE FUNCTION pggit.lock_two_branches(p_a bigint, p_b bigint) RETURNS SETOF pggit.branches
LANGUAGE sql SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT * FROM pggit.branches WHERE id IN (p_a, p_b) ORDER BY id FOR UPDATE
$$;

-- merge_mode(source_hash, target_hash, base_hash): how the schemas merge: 'none' (target
-- already contains source), 'ff' (fast-forward) or '3way'.
CREATE FUNCTION pggit.merge_mode(p_source text, p_target text, p_base text) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT CASE WHEN p_source IS NULL OR pggit.is_ancestor(p_source, p_target) THEN 'none'
                WHEN p_target IS NULL OR p_base = p_target THEN 'ff'
                ELSE '3way' END
$$;

-- merging_data_branches(source_id, target_id): the live data branches a merge of source into
-- target merges (those branched from target's table).
CREATE FUNCTION pggit.merging_data_branches(p_source bigint, p_target bigint) RETURNS SETOF bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT id FROM pggit.data_branches
     WHERE branch_id = p_source AND from_branch_id = p_target AND status = 'ACTIVE' ORDER BY id
$$;

-- lock_merge_for_completion(merge_id)
-- Purpose: the merge row, locked, after its two branches (lock order everywhere: branch rows in
--   primary-key order, then the merge row), when it can still complete as planned.
-- Errors: PGM07 the merge is not waiting to complete; PGM04 a branch was deleted or moved
--   since it was planned (the merge stays CONFLICTED until a new pggit.merge() of the same
--   branches supersedes it: the error rolls back whatever this transaction would record).
-- Locks: both branch rows FOR UPDATE, the merge row FOR UPDATE.
CREATE FUNCTION pggit.lock_merge_for_completion(p_merge_id bigint) RETURNS pggit.merges
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_merge pggit.merges;
BEGIN
    SELECT * INTO v_merge FROM pggit.merges WHERE id = p_merge_id;
    PERFORM pggit.lock_two_branches(v_merge.source_branch_id, v_merge.target_branch_id);
    SELECT * INTO v_merge FROM pggit.merges WHERE id = p_merge_id FOR UPDATE;
    IF v_merge.status IS DISTINCT FROM 'CONFLICTED' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM07',
            MESSAGE = format('merge %s is not waiting to complete (%s)', p_merge_id,
                             coalesce(lower(v_merge.status), 'unknown')),
            HINT = 'Another session completed or abandoned it.';
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.branches b
                WHERE (b.id = v_merge.source_branch_id AND v_merge.kind = 'merge'  -- a picked commit stays
                       AND (b.status = 'DELETED' OR b.head_hash IS DISTINCT FROM v_merge.source_hash))
                   OR (b.id = v_merge.target_branch_id
                       AND (b.status = 'DELETED' OR b.head_hash IS DISTINCT FROM v_merge.target_hash))) THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM04',
            MESSAGE = format('merge %s is stale: a branch was deleted or moved since it was planned', p_merge_id),
            HINT = 'Run pggit.merge() again.';
    END IF;
    RETURN v_merge;
END;
$$;

-- merged_data_rows(merge_id, data_branch_id)
-- Purpose: the rows a merge writes into the target's table for one of the source's data
--   branches (jsonb array of {key, row}; row NULL deletes): the planned result of each changed
--   key, or for a conflict its resolution (theirs: the branch's row; value: the given row;
--   ours: nothing written).
-- Errors: PGM04 a conflict that was not recorded when the merge was planned (run the merge
--   again); PGM01 an unresolved conflict.  Locks: none (reads).
CREATE FUNCTION pggit.merged_data_rows(p_merge_id bigint, p_data_id bigint) RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_rows jsonb[] := '{}';  -- appended in place (an expanded array); jsonb || would copy it each time
    p      record;
BEGIN
    FOR p IN SELECT m.*, c.resolution, c.resolution_value, c.object_key IS NOT NULL AS recorded
               FROM pggit.plan_data_merge(p_data_id) m
               LEFT JOIN pggit.merge_conflicts c ON c.merge_id = p_merge_id AND c.object_key = m.object_key LOOP
        IF p.outcome = 'conflict' AND NOT p.recorded THEN
            RAISE EXCEPTION USING ERRCODE = 'PGM04',
                MESSAGE = format('merge %s is stale: a new conflict appeared on %s', p_merge_id, p.object_key),
                HINT = 'Run pggit.merge() again.';
        ELSIF p.outcome = 'conflict' AND p.resolution IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PGM01',
                MESSAGE = format('merge %s has an unresolved conflict on %s', p_merge_id, p.object_key),
                HINT = 'Resolve it with pggit.resolve_conflict(merge, object, ''ours''|''theirs''|row json).';
        END IF;
        CONTINUE WHEN p.resolution = 'ours';
        v_rows := array_append(v_rows, jsonb_build_object('key', p.key, 'row',
            CASE WHEN p.resolution = 'theirs' THEN p.theirs_row
                 WHEN p.resolution = 'value' THEN p.resolution_value::jsonb
                 ELSE p.result_row END));
    END LOOP;
    RETURN to_jsonb(v_rows);
END;
$$;

-- merged_tree(merge)
-- Purpose: the target's tree after a 3-way merge: the target's tree with the source's and the
--   combined changes the plan takes, and each conflict's resolution (ours: the target's entry
--   stays; theirs: the source's entry; ddl: the target's entry stays and the given statement
--   runs after the tree's DDL, returned in extra as [{object_key, statement}]).
-- Errors: PGM01 an unresolved conflict.  Locks: none (reads).
CREATE FUNCTION pggit.merged_tree(p_merge pggit.merges, OUT result jsonb, OUT extra jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    p      record;
    v_hash text;
BEGIN
    result := pggit.commit_tree(p_merge.target_hash);
    extra := '[]';
    FOR p IN SELECT m.*, c.resolution, c.resolution_value
               FROM pggit.plan_merge(pggit.commit_tree(p_merge.base_hash), result,
                                     pggit.commit_tree(p_merge.source_hash)) m
               LEFT JOIN pggit.merge_conflicts c ON c.merge_id = p_merge.id AND c.object_key = m.object_key LOOP
        IF p.outcome = 'conflict' AND p.resolution IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'PGM01',
                MESSAGE = format('merge %s has an unresolved conflict on %s', p_merge.id, p.object_key),
                HINT = 'Resolve it with pggit.resolve_conflict(merge, object, ''ours''|''theirs''|ddl).';
        END IF;
        IF p.outcome IN ('theirs', 'merged') OR p.resolution = 'theirs' THEN
            v_hash := CASE WHEN p.outcome = 'conflict' THEN p.theirs_hash ELSE p.result_hash END;
            result := CASE WHEN v_hash IS NULL THEN result - p.object_key
                           ELSE jsonb_set(result, ARRAY[p.object_key], to_jsonb(v_hash)) END;
        ELSIF p.resolution = 'ddl' THEN
            extra := extra || jsonb_build_array(jsonb_build_object('object_key', p.object_key,
                                                                   'statement', p.resolution_value));
        END IF;
    END LOOP;
END;
$$;

-- fast_forward(target, source, author, applied)
-- Purpose: complete_merge's fast-forward: the target's workspace gets the source head's tree,
--   its object versions and head follow the source's head (a reflog entry says so). applied:
--   tree entries of the target's head already changed in its workspace (the columns
--   add_data_branch_columns added first). Returns the target's row as updated. No commit is
--   recorded.
CREATE FUNCTION pggit.fast_forward(p_target pggit.branches, p_source pggit.branches, p_author text,
                                   p_applied jsonb)
RETURNS pggit.branches
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_target pggit.branches;
BEGIN
    PERFORM pggit.apply_tree(p_target.id, pggit.commit_tree(p_target.head_hash) || p_applied,
                             pggit.commit_tree(p_source.head_hash), '[]', false);
    PERFORM pggit.record_versions(p_target.id, p_source.head_hash);
    PERFORM pggit.record_head_move(p_target.id, p_target.head_hash, p_source.head_hash, 'fast-forward',
                                   format('fast-forward %s to %s', p_target.name, p_source.name), p_author);
    UPDATE pggit.branches SET head_hash = p_source.head_hash WHERE id = p_target.id RETURNING * INTO v_target;
    RETURN v_target;
END;
$$;

-- merge_commit(merge, source, target, mode, merged_data)
-- Purpose: complete_merge's commit on the target, once the merge is applied: a cherry-pick
--   (mode 'pick') records a commit with one parent; a 3-way merge a commit with the source's
--   head as merge parent; a fast-forward or up-to-date merge that brought data branches' rows a
--   commit with one parent ("Merge data of branch ..."); a plain fast-forward none. Returns
--   the hash the merge completed at (the target's head).
CREATE FUNCTION pggit.merge_commit(p_merge pggit.merges, p_source pggit.branches, p_target pggit.branches,
                                   p_mode text, p_merged_data boolean) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF p_mode = 'pick' THEN
        RETURN pggit.record_commit(p_target, p_merge.message, p_merge.author, NULL, true, NULL, 'cherry-pick');
    ELSIF p_mode = '3way' OR p_merged_data THEN
        RETURN pggit.record_commit(p_target,
            coalesce(p_merge.message, format('Merge %sbranch %L into %L',
                                             CASE WHEN p_mode = '3way' THEN '' ELSE 'data of ' END,
                                             p_source.name, p_target.name)),
            p_merge.author, CASE WHEN p_mode = '3way' THEN p_merge.source_hash END, p_mode = '3way',
            p_operation => 'merge');
    END IF;
    RETURN p_target.head_hash;
END;
$$;

-- complete_merge(merge_id)
-- Purpose: apply a merge whose conflicts are all resolved (or that had none), in the caller's
--   transaction: the schema first (fast-forward, or the merged tree into the target's
--   workspace), starting with the columns the source's data branches added, filled with the
--   values the branch's rows had (add_data_branch_columns; the data branches' own tables may be
--   altered: pggit.merging_data); then each data branch is rebased onto its table's new
--   structure (rebase_data_branch) and its rows go into the target's table, which checks them
--   against the new constraints; then a commit on the target (with two parents for a 3-way
--   merge; none for a plain fast-forward). See 085_data_branch_evolution.sql. The source
--   becomes MERGED; its merged data branches end.
--   A cherry-pick (kind 'cherry-pick') always applies its merged tree and records a commit
--   with one parent (the target's head); its source branch and data branches are untouched.
-- Errors: PGM07, PGM04 (see lock_merge_for_completion, merged_data_rows); PGM01 unresolved
--   conflict; any failing statement's own error, naming the statement (nothing is applied).
CREATE FUNCTION pggit.complete_merge(p_merge_id bigint) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_merge  pggit.merges := pggit.lock_merge_for_completion(p_merge_id);
    v_source pggit.branches;
    v_target pggit.branches;
    v_mode   text := CASE WHEN v_merge.kind = 'cherry-pick' THEN 'pick'
                          ELSE pggit.merge_mode(v_merge.source_hash, v_merge.target_hash, v_merge.base_hash) END;
    v_tree   record;
    v_data   pggit.data_branches;
    v_ids    bigint[];
    v_added  jsonb;
    v_merged_data boolean := false;
    v_hash   text;
BEGIN
    SELECT * INTO v_source FROM pggit.branches WHERE id = v_merge.source_branch_id;
    SELECT * INTO v_target FROM pggit.branches WHERE id = v_merge.target_branch_id;
    IF v_mode <> 'none' THEN
        PERFORM pggit.refuse_uncommitted(v_target);
    END IF;
    v_ids := ARRAY(SELECT pggit.merging_data_branches(v_source.id, v_target.id) WHERE v_mode <> 'pick');
    PERFORM set_config('pggit.merging_data', array_to_string(v_ids, ','), true);
    v_added := pggit.add_data_branch_columns(v_ids, v_target.id, v_mode = '3way');

    IF v_mode = 'ff' THEN
        v_target := pggit.fast_forward(v_target, v_source, v_merge.author, v_added);
    ELSIF v_mode IN ('3way', 'pick') THEN
        v_tree := pggit.merged_tree(v_merge);
        PERFORM pggit.apply_tree(v_target.id, pggit.commit_tree(v_merge.target_hash) || v_added,
                                 v_tree.result, v_tree.extra);
    END IF;
    PERFORM set_config('pggit.merging_data', '', true);
    FOR v_data IN SELECT * FROM pggit.data_branches WHERE id = ANY (v_ids) ORDER BY id LOOP
        IF pggit.data_branch_staleness(v_data.id) IS NOT NULL THEN  -- the schema changed its table
            PERFORM pggit.rebase_data_branch(format('%I.%I', v_data.logical_schema, v_data.table_name), v_source.name);
        END IF;
        PERFORM pggit.apply_data_rows(v_data.id, pggit.merged_data_rows(p_merge_id, v_data.id));
        PERFORM pggit.end_data_branch(v_data.id, 'MERGED');
        v_merged_data := true;
    END LOOP;

    v_hash := pggit.merge_commit(v_merge, v_source, v_target, v_mode, v_merged_data);
    UPDATE pggit.merges SET status = 'COMPLETED', result_hash = v_hash, completed_at = now() WHERE id = p_merge_id;
    IF v_mode <> 'pick' THEN
        UPDATE pggit.branches SET status = 'MERGED' WHERE id = v_source.id;
    END IF;
    RETURN v_hash;
END;
$$;

-- record_schema_conflicts(merge_id, base, ours, theirs)
-- Purpose: record the schema conflicts of a 3-way merge of three commits' trees (plan_merge)
--   on a merge or cherry-pick, each with what differs between ours and theirs.
-- Returns: how many conflicts it recorded.
CREATE FUNCTION pggit.record_schema_conflicts(p_merge_id bigint, p_base text, p_ours text, p_theirs text)
RETURNS integer
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_count integer;
BEGIN
    INSERT INTO pggit.merge_conflicts (merge_id, object_key, kind, base_hash, ours_hash, theirs_hash, detail)
    SELECT p_merge_id, p.object_key, p.conflict_kind, p.base_hash, p.ours_hash, p.theirs_hash,
           CASE WHEN p.ours_hash IS NOT NULL AND p.theirs_hash IS NOT NULL THEN
               pggit.change_detail((SELECT o.definition FROM pggit.objects o WHERE o.hash = p.ours_hash),
                                   (SELECT o.definition FROM pggit.objects o WHERE o.hash = p.theirs_hash)) END
      FROM pggit.plan_merge(pggit.commit_tree(p_base), pggit.commit_tree(p_ours), pggit.commit_tree(p_theirs)) p
     WHERE p.outcome = 'conflict';
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$$;

-- merge(source, target, message)
-- Purpose: merge source's committed history, and the rows of its data branches, into target.
--   Schemas: up to date when target already contains source's head; fast-forward when
--   target's head is an ancestor of source's (the target's workspace is brought to source's
--   tree and its head moves, no merge commit); otherwise a 3-way merge against the merge
--   base: changes made on one side combine, tables edited on both sides combine element by
--   element, anything else changed differently on both sides is a conflict. Data: each live
--   data branch of source taken from target's table merges 3-way by primary key
--   (plan_data_merge). With conflicts nothing is applied: the merge and its conflicts are
--   recorded (pggit.merges, pggit.merge_conflicts) and returned. Without, everything is
--   applied in one transaction (complete_merge). The source becomes MERGED.
-- Arguments: source text; target text (default 'main'); message text (default
--   "Merge branch 'source' into 'target'").
-- Returns: (status 'up-to-date'|'fast-forward'|'merged'|'conflicts', merge_id, commit_hash,
--   conflicts).
-- Errors: PGB04/PGB01/PGB05 for either branch; PGM02 source = target; PGM03 target has
--   uncommitted changes; a failing statement's own SQLSTATE, naming it (nothing applied).
-- Locks: both branch rows FOR UPDATE, in primary-key order.
CREATE FUNCTION pggit.merge(source text, target text DEFAULT 'main', message text DEFAULT NULL)
RETURNS TABLE (status text, merge_id bigint, commit_hash text, conflicts integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_source pggit.branches := pggit.find_branch(merge.source);
    v_target pggit.branches := pggit.find_branch(merge.target);
    v_base   text;
    v_mode   text;
    v_data   boolean;
    v_merge  pggit.merges;
    v_count  integer;
    v_extra  integer;
BEGIN
    PERFORM pggit.refuse_self_merge(v_source, v_target);
    PERFORM pggit.validate_commit_input(coalesce(merge.message, ''), pggit.current_author());
    PERFORM pggit.lock_two_branches(v_source.id, v_target.id);
    SELECT * INTO v_source FROM pggit.branches b WHERE b.id = v_source.id;
    SELECT * INTO v_target FROM pggit.branches b WHERE b.id = v_target.id;
    IF v_source.status = 'DELETED' OR v_target.status = 'DELETED' THEN
        PERFORM pggit.raise_missing_branch(CASE WHEN v_source.status = 'DELETED' THEN v_source.name ELSE v_target.name END);
    END IF;

    v_base := pggit.merge_base(v_source.head_hash, v_target.head_hash);
    v_mode := pggit.merge_mode(v_source.head_hash, v_target.head_hash, v_base);
    v_data := EXISTS (SELECT 1 FROM pggit.merging_data_branches(v_source.id, v_target.id));
    IF v_mode = 'none' AND NOT v_data THEN
        RETURN QUERY SELECT 'up-to-date'::text, NULL::bigint, v_target.head_hash, 0;
        RETURN;
    END IF;
    IF v_mode <> 'none' THEN
        PERFORM pggit.refuse_uncommitted(v_target);
    END IF;

    -- A new attempt supersedes open merges of the same pair.
    UPDATE pggit.merges m SET status = 'ABANDONED', completed_at = now()
     WHERE m.source_branch_id = v_source.id AND m.target_branch_id = v_target.id AND m.status = 'CONFLICTED'
       AND m.kind = 'merge';
    INSERT INTO pggit.merges (source_branch_id, target_branch_id, base_hash, source_hash, target_hash,
                              status, message, author)
    VALUES (v_source.id, v_target.id, v_base, coalesce(v_source.head_hash, v_target.head_hash), v_target.head_hash,
            'CONFLICTED', merge.message, pggit.current_author())
    RETURNING * INTO v_merge;

    v_count := CASE WHEN v_mode = '3way'
                    THEN pggit.record_schema_conflicts(v_merge.id, v_base, v_target.head_hash, v_source.head_hash)
                    ELSE 0 END;
    INSERT INTO pggit.merge_conflicts (merge_id, object_key, kind, detail)
    SELECT v_merge.id, p.object_key, p.conflict_kind,
           coalesce(p.detail || '; ', '') || format('base %s, ours %s, theirs %s',
                    coalesce(p.base_row::text, 'none'), coalesce(p.ours_row::text, 'deleted'), coalesce(p.theirs_row::text, 'deleted'))
      FROM pggit.merging_data_branches(v_source.id, v_target.id) d
     CROSS JOIN LATERAL pggit.plan_data_merge(d) p
     WHERE p.outcome = 'conflict';
    GET DIAGNOSTICS v_extra = ROW_COUNT;
    v_count := v_count + v_extra;
    IF v_count > 0 THEN
        RETURN QUERY SELECT 'conflicts'::text, v_merge.id, NULL::text, v_count;
        RETURN;
    END IF;
    RETURN QUERY SELECT CASE WHEN v_mode = 'ff' AND NOT v_data THEN 'fast-forward' ELSE 'merged' END,
                        v_merge.id, pggit.complete_merge(v_merge.id), 0;
END;
$$;

-- json_object_or_null(text): the text as a jsonb object, or NULL when it is not one.
CREATE FUNCTION pggit.json_object_or_null(p_text text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
BEGIN
    RETURN CASE WHEN jsonb_typeof(p_text::jsonb) = 'object' THEN p_text::jsonb END;
EXCEPTION WHEN invalid_text_representation THEN
    RETURN NULL;
END;
$$;

-- resolve_conflict(merge, object, resolution)
-- Purpose: resolve one conflict of a merge: 'ours' keeps the target's version, 'theirs' takes
--   the source's; for a schema object anything else is DDL run in the target's workspace
--   (unqualified, with search_path set to the object's schema), for a row ("row:..." keys) it
--   is the row to write, as a JSON object. When it was the last open conflict, the merge
--   completes (see complete_merge).
-- Returns: the merge commit's hash when the merge completed, else NULL.
-- Errors: PGM07 merge not open; PGM08 no such conflict; PGM09 empty resolution; those of
--   complete_merge.
-- Locks: both branch rows FOR UPDATE in primary-key order, then the merge row FOR UPDATE.
CREATE FUNCTION pggit.resolve_conflict(merge bigint, object text, resolution text) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_variable
DECLARE
    v_merge pggit.merges;
    v_kind  text := CASE WHEN lower(btrim(resolution)) IN ('ours', 'theirs') THEN lower(btrim(resolution))
                         WHEN btrim(coalesce(resolution, '')) = '' THEN NULL
                         WHEN object LIKE 'row:%' THEN 'value' ELSE 'ddl' END;
BEGIN
    -- Lock order everywhere: branch rows (primary-key order), then the merge row.
    SELECT * INTO v_merge FROM pggit.merges m WHERE m.id = resolve_conflict.merge;
    IF v_merge.id IS NOT NULL THEN
        PERFORM pggit.lock_two_branches(v_merge.source_branch_id, v_merge.target_branch_id);
        SELECT * INTO v_merge FROM pggit.merges m WHERE m.id = resolve_conflict.merge FOR UPDATE;
    END IF;
    IF v_merge.id IS NULL OR v_merge.status <> 'CONFLICTED' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM07',
            MESSAGE = format('merge %s is not waiting for conflict resolution (%s)', merge,
                             coalesce(lower(v_merge.status), 'no such merge')),
            HINT = 'List open merges: SELECT * FROM pggit.merges WHERE status = ''CONFLICTED''.';
    END IF;
    IF v_kind IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM09', MESSAGE = 'a resolution must be ''ours'', ''theirs'' or DDL',
            HINT = 'E.g. SELECT pggit.resolve_conflict(7, ''table:public.users'', ''theirs'').';
    END IF;
    IF v_kind = 'value' AND pggit.json_object_or_null(resolution) IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM09',
            MESSAGE = 'a row conflict is resolved with ''ours'', ''theirs'' or the row as a JSON object',
            HINT = 'E.g. ''{"id": 5, "price": 10}''.';
    END IF;
    UPDATE pggit.merge_conflicts c
       SET resolution = v_kind, resolution_value = CASE WHEN v_kind IN ('ddl', 'value') THEN resolve_conflict.resolution END,
           resolved_at = now()
     WHERE c.merge_id = v_merge.id AND c.object_key = resolve_conflict.object;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM08',
            MESSAGE = format('merge %s has no conflict on %s', merge, coalesce(quote_literal(object), 'NULL')),
            HINT = format('SELECT object_key FROM pggit.merge_conflicts WHERE merge_id = %s.', merge);
    END IF;
    IF EXISTS (SELECT 1 FROM pggit.merge_conflicts c WHERE c.merge_id = v_merge.id AND c.resolution IS NULL) THEN
        RETURN NULL;
    END IF;
    RETURN pggit.complete_merge(v_merge.id);
END;
$$;

-- chosen_parent(commit, parent, operation)
-- Purpose: the parent a revert or cherry-pick of commit works against: its parent, or for a
--   merge commit the one the caller chose (1: first parent, 2: merge parent).
-- Errors: PGM06 a merge commit without parent (the hint says what each choice means for
--   the operation); PGC04 parent not 1 or 2, or 2 for a commit that is not a merge.
CREATE FUNCTION pggit.chosen_parent(p_commit pggit.commits, p_parent integer, p_operation text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    IF p_commit.merge_parent_hash IS NOT NULL AND p_parent IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM06',
            MESSAGE = format('commit %s is a merge: say which parent %s', left(p_commit.hash, 12),
                             CASE p_operation WHEN 'revert' THEN 'to revert to' ELSE '''s change to pick' END),
            HINT = CASE p_operation
                   WHEN 'revert' THEN 'Pass parent => 1 (the branch merged into) or parent => 2 (the merged branch).'
                   ELSE 'Choose a parent: parent => 1 (the change the merge brought to its branch) or '
                        'parent => 2 (the change against the merged branch).' END;
    END IF;
    IF p_parent IS NOT NULL AND p_parent NOT IN (1, 2) OR (p_parent = 2 AND p_commit.merge_parent_hash IS NULL) THEN
        RAISE EXCEPTION USING ERRCODE = 'PGC04', MESSAGE = format('invalid parent %s for this commit', p_parent),
            HINT = 'parent is 1, or 2 for a merge commit.';
    END IF;
    RETURN CASE WHEN p_parent = 2 THEN p_commit.merge_parent_hash ELSE p_commit.parent_hash END;
END;
$$;

-- revert(commit, parent)
-- Purpose: a new commit on the commit's branch that undoes its changes (3-way: base = the
--   commit's tree, theirs = its parent's, ours = the branch head).
-- Arguments: commit text (any ref, see resolve_commit); parent integer: for a merge commit, 1 (first
--   parent) or 2 (merge parent) says which side to go back to; NULL otherwise.
-- Returns: the revert commit's hash.
-- Errors: PGC03 unknown commit; PGB05 its branch is deleted; PGM06 merge commit without
--   parent; PGC04 parent not 1 or 2; PGM03 uncommitted changes; PGM01 when later commits
--   changed the same objects (nothing is applied; the conflicting objects are listed).
-- Locks: the branch row FOR UPDATE.
CREATE FUNCTION pggit.revert("commit" text, parent integer DEFAULT NULL) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_hash text;
    v_commit pggit.commits;
    v_branch pggit.branches;
    v_parent text;
    v_head_tree jsonb;
    v_result jsonb;
    v_conflicts text;
    p record;
BEGIN
    -- Resolved first, as in show(): in the WHERE it is not called when the plan reads no row.
    v_hash := pggit.resolve_commit("commit");
    SELECT * INTO v_commit FROM pggit.commits c WHERE c.hash = v_hash;
    v_parent := pggit.chosen_parent(v_commit, parent, 'revert');
    SELECT * INTO v_branch FROM pggit.branches b WHERE b.id = v_commit.branch_id FOR UPDATE;
    IF v_branch.status = 'DELETED' THEN
        PERFORM pggit.raise_missing_branch(v_branch.name);
    END IF;
    PERFORM pggit.refuse_uncommitted(v_branch);

    v_head_tree := pggit.commit_tree(v_branch.head_hash);
    v_result := v_head_tree;
    FOR p IN SELECT * FROM pggit.plan_merge(pggit.commit_tree(v_commit.hash), v_head_tree,
                                            pggit.commit_tree(v_parent)) LOOP
        IF p.outcome = 'conflict' THEN
            v_conflicts := concat_ws(', ', v_conflicts, p.object_key);
        ELSE
            v_result := CASE WHEN p.result_hash IS NULL THEN v_result - p.object_key
                             ELSE jsonb_set(v_result, ARRAY[p.object_key], to_jsonb(p.result_hash)) END;
        END IF;
    END LOOP;
    IF v_conflicts IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGM01',
            MESSAGE = format('cannot revert %s: later commits changed %s', left(v_commit.hash, 12), v_conflicts),
            HINT = 'Revert the later commits first, or change the objects by hand and commit.';
    END IF;
    PERFORM pggit.apply_tree(v_branch.id, v_head_tree, v_result);
    RETURN pggit.record_commit(v_branch,
        format(E'Revert "%s"\n\nThis reverts commit %s.', split_part(v_commit.message, E'\n', 1), v_commit.hash),
        pggit.current_author(), NULL, true, p_operation => 'revert');
END;
$$;

-- count_ahead_behind(a, b): commits reachable from commit a and not from b, and the reverse.
CREATE FUNCTION pggit.count_ahead_behind(a text, b text) RETURNS TABLE (ahead bigint, behind bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT h.ahead, h.behind FROM pggit.compare_histories(a, b) h
$$;

-- ahead_behind(branch, other)
-- Purpose: how many commits branch has that other does not reach (ahead), and the reverse
--   (behind), through parents and merge parents, like git rev-list --count --left-right.
-- Arguments: branch text; other text (default 'main').
-- Errors: PGB04/PGB01/PGB05 for either branch.  Locks: none.
CREATE FUNCTION pggit.ahead_behind(branch text, other text DEFAULT 'main')
RETURNS TABLE (ahead bigint, behind bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT * FROM pggit.count_ahead_behind((pggit.find_branch(ahead_behind.branch)).head_hash,
                                           (pggit.find_branch(ahead_behind.other)).head_hash)
$$;

-- merge_preview(source, target)
-- Purpose: what pggit.merge(source, target) would do now, without doing it: the mode
--   ('up-to-date', 'fast-forward' or '3way'), the merge base, each object it would change
--   (outcome 'theirs', 'merged' or 'conflict' with its kind), the DDL it would run on the
--   target's workspace (conflicted objects left as the target has them; first the columns the
--   data branches added, see add_data_branch_columns), and per data branch the rows it would
--   write and the row conflicts.
-- Arguments: source text; target text (default 'main').
-- Returns: jsonb {mode, base, objects: [{object, outcome, conflict}], ddl: [statement],
--   data: [{table, rows, conflicts}], conflicts: total}.
-- Errors: PGB04/PGB01/PGB05 for either branch; PGM02 source = target.  Locks: none (a
--   later merge() plans again under its locks).
CREATE FUNCTION pggit.merge_preview(source text, target text DEFAULT 'main') RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_source  pggit.branches := pggit.find_branch(merge_preview.source);
    v_target  pggit.branches := pggit.find_branch(merge_preview.target);
    v_base    text;
    v_mode    text;
    v_ours    jsonb;
    v_result  jsonb;
    v_objects jsonb := '[]';
    v_data    jsonb;
    v_added   record;
BEGIN
    PERFORM pggit.refuse_self_merge(v_source, v_target);
    v_base := pggit.merge_base(v_source.head_hash, v_target.head_hash);
    v_mode := pggit.merge_mode(v_source.head_hash, v_target.head_hash, v_base);
    v_ours := pggit.commit_tree(v_target.head_hash);
    v_result := v_ours;
    IF v_mode = 'ff' THEN
        v_result := pggit.commit_tree(v_source.head_hash);
        SELECT coalesce(jsonb_agg(jsonb_build_object('object', k, 'outcome', 'theirs', 'conflict', NULL) ORDER BY k), '[]')
          INTO v_objects
          FROM (SELECT key FROM jsonb_each_text(v_ours) UNION SELECT key FROM jsonb_each_text(v_result)) x(k)
         WHERE v_ours->>k IS DISTINCT FROM v_result->>k;
    ELSIF v_mode = '3way' THEN
        -- target's tree with every non-conflicting outcome applied (a NULL result removes it)
        SELECT coalesce(jsonb_agg(jsonb_build_object('object', m.object_key, 'outcome', m.outcome,
                                                     'conflict', m.conflict_kind) ORDER BY m.object_key), '[]'),
               (v_ours - coalesce(array_agg(m.object_key) FILTER (WHERE m.outcome <> 'conflict'), '{}'))
               || coalesce(jsonb_object_agg(m.object_key, m.result_hash)
                               FILTER (WHERE m.outcome <> 'conflict' AND m.result_hash IS NOT NULL), '{}')
          INTO v_objects, v_result
          FROM pggit.plan_merge(pggit.commit_tree(v_base), v_ours, pggit.commit_tree(v_source.head_hash)) m;
    END IF;
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'table', d.logical_schema || '.' || d.table_name, 'rows', n.rows, 'conflicts', n.conflicts)
             ORDER BY d.id), '[]')
      INTO v_data
      FROM pggit.data_branches d
     CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE m.outcome <> 'conflict') AS rows,
                                count(*) FILTER (WHERE m.outcome = 'conflict') AS conflicts
                           FROM pggit.plan_data_merge(d.id) m) n
     WHERE d.id IN (SELECT pggit.merging_data_branches(v_source.id, v_target.id));
    -- first the columns the data branches added, as complete_merge adds them
    v_added := pggit.preview_added_columns(v_ours, ARRAY(SELECT pggit.merging_data_branches(v_source.id, v_target.id)));
    RETURN jsonb_build_object(
        'mode', CASE v_mode WHEN 'none' THEN 'up-to-date' WHEN 'ff' THEN 'fast-forward' ELSE v_mode END,
        'base', v_base,
        'objects', v_objects,
        'ddl', v_added.statements || (SELECT coalesce(jsonb_agg(t.statement ORDER BY t.step), '[]')
                                        FROM pggit.tree_ddl(v_added.tree, v_result) t),
        'data', v_data,
        'conflicts', (SELECT count(*) FROM jsonb_array_elements(v_objects) o WHERE o->>'outcome' = 'conflict')
                     + (SELECT coalesce(sum((x->>'conflicts')::bigint), 0) FROM jsonb_array_elements(v_data) x));
END;
$$;

-- cherry_pick_message(message, hash): the picked commit's message + "(cherry picked from
--   commit <hash>)", as git cherry-pick -x writes it. The original loses only as many trailing
--   characters as the 64 KiB commit message limit needs: each pass drops a quarter of the excess
--   bytes in characters (a character is 1 to 4 bytes), so it never cuts more than it must.
CREATE FUNCTION pggit.cherry_pick_message(p_message text, p_hash text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
DECLARE
    v_suffix text := format(E'\n\n(cherry picked from commit %s)', p_hash);
    v_message text := p_message;
    v_excess integer;
BEGIN
    LOOP
        v_excess := octet_length(v_message) + octet_length(v_suffix) - 65536;
        EXIT WHEN v_excess <= 0;
        v_message := left(v_message, char_length(v_message) - (v_excess + 3) / 4);
    END LOOP;
    RETURN v_message || v_suffix;
END;
$$;

-- cherry_pick(commit, onto_branch, parent)
-- Purpose: apply one commit's schema change to a branch as a new commit, like git
--   cherry-pick -x: a 3-way merge with base = the picked commit's parent tree (the chosen
--   parent for a merge commit), theirs = its tree, ours = the branch's head tree. Objects the
--   branch changed too are combined element by element as in a merge; anything else changed
--   differently is a conflict, recorded in pggit.merges (kind 'cherry-pick') and
--   pggit.merge_conflicts with nothing applied, and resolved with resolve_conflict /
--   complete_merge exactly as a merge's. The new commit has one parent (the branch's head) and
--   the message 'original message' + "(cherry picked from commit <hash>)". Schema only: data
--   branches are not touched. No-ops that say so (a NOTICE and the status): 'already-applied'
--   when the commit is already in the branch's history (or a completed pick of it is), and
--   'empty' when the branch already has the change.
-- Arguments: commit text (pggit.resolve_commit); onto_branch text; parent integer: for a merge
--   commit, 1 (first parent) or 2 (merge parent) says which side's change to take; NULL
--   otherwise.
-- Returns: (status 'picked'|'conflicts'|'already-applied'|'empty', merge_id, commit_hash,
--   conflicts); commit_hash is the new commit, or the branch's head for a no-op.
-- Errors: PGC03 unknown/ambiguous commit; PGM06 merge commit without parent; PGC04 parent not
--   1 or 2 (2 only for a merge commit); PGB04/PGB01/PGB05 onto_branch; PGM03 the branch has
--   uncommitted changes; a failing statement's own SQLSTATE, naming it (nothing applied).
-- Locks: the picked commit's branch row and the target's FOR UPDATE, in primary-key order.
CREATE FUNCTION pggit.cherry_pick("commit" text, onto_branch text, parent integer DEFAULT NULL)
RETURNS TABLE (status text, merge_id bigint, commit_hash text, conflicts integer)
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_hash   text := pggit.resolve_commit("commit");
    v_commit pggit.commits;
    v_target pggit.branches;
    v_base   text;
    v_picked text;
    v_merge  pggit.merges;
    v_count  integer;
BEGIN
    SELECT * INTO v_commit FROM pggit.commits c WHERE c.hash = v_hash;
    v_base := pggit.chosen_parent(v_commit, parent, 'cherry-pick');
    v_target := pggit.find_branch(onto_branch);
    PERFORM pggit.validate_commit_input('', pggit.current_author());
    PERFORM pggit.lock_two_branches(v_commit.branch_id, v_target.id);
    SELECT * INTO v_target FROM pggit.branches b WHERE b.id = v_target.id;
    IF v_target.status = 'DELETED' THEN
        PERFORM pggit.raise_missing_branch(v_target.name);
    END IF;

    IF pggit.is_ancestor(v_hash, v_target.head_hash) THEN
        RAISE NOTICE 'pggit: commit % is already on branch %: nothing to pick', left(v_hash, 12), v_target.name;
        RETURN QUERY SELECT 'already-applied'::text, NULL::bigint, v_target.head_hash, 0;
        RETURN;
    END IF;
    SELECT m.result_hash INTO v_picked FROM pggit.merges m
     WHERE m.kind = 'cherry-pick' AND m.source_hash = v_hash AND m.target_branch_id = v_target.id
       AND m.status = 'COMPLETED'
       AND pggit.is_ancestor(m.result_hash, v_target.head_hash)
     ORDER BY m.id DESC LIMIT 1;
    IF FOUND THEN
        RAISE NOTICE 'pggit: commit % was already picked onto branch % as %: nothing to pick',
            left(v_hash, 12), v_target.name, left(v_picked, 12);
        RETURN QUERY SELECT 'already-applied'::text, NULL::bigint, v_target.head_hash, 0;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pggit.plan_merge(pggit.commit_tree(v_base), pggit.commit_tree(v_target.head_hash),
                                                  pggit.commit_tree(v_hash))) THEN
        RAISE NOTICE 'pggit: branch % already has the change of commit %: nothing to pick',
            v_target.name, left(v_hash, 12);
        RETURN QUERY SELECT 'empty'::text, NULL::bigint, v_target.head_hash, 0;
        RETURN;
    END IF;
    PERFORM pggit.refuse_uncommitted(v_target);  -- after the no-ops: they apply nothing

    -- A new attempt supersedes open picks of the same commit onto the same branch.
    UPDATE pggit.merges m SET status = 'ABANDONED', completed_at = now()
     WHERE m.kind = 'cherry-pick' AND m.source_hash = v_hash AND m.target_branch_id = v_target.id
       AND m.status = 'CONFLICTED';
    INSERT INTO pggit.merges (kind, source_branch_id, target_branch_id, base_hash, source_hash, target_hash,
                              status, message, author)
    VALUES ('cherry-pick', v_commit.branch_id, v_target.id, v_base, v_hash, v_target.head_hash, 'CONFLICTED',
            pggit.cherry_pick_message(v_commit.message, v_hash),
            pggit.current_author())
    RETURNING * INTO v_merge;
    v_count := pggit.record_schema_conflicts(v_merge.id, v_base, v_target.head_hash, v_hash);
    IF v_count > 0 THEN
        RETURN QUERY SELECT 'conflicts'::text, v_merge.id, NULL::text, v_count;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'picked'::text, v_merge.id, pggit.complete_merge(v_merge.id), 0;
END;
$$;
