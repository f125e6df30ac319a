-- django-pggit 0003 reversed: restores the definitions 130_incremental_snapshot.sql replaced
-- (copied verbatim from 040_ddl_capture.sql, 120_commit_path.sql, 050_changes.sql and
-- 030_snapshots.sql) and drops what it added.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.

CREATE OR REPLACE FUNCTION pggit.capture_ddl_command() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    PERFORM pggit.refuse_data_branch_source_change(
        ARRAY(SELECT r.objid FROM pg_event_trigger_ddl_commands() r
               WHERE r.object_type = 'table' AND r.command_tag = 'ALTER TABLE'));
    IF current_setting('pggit.internal', true) = 'on' THEN
        RETURN;  -- pggit's own DDL (workspaces, data branches) is not user history
    END IF;
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name)
    SELECT pggit.branch_of_namespace(r.schema_name), r.command_tag, r.object_type, r.schema_name,
           r.object_identity, current_query(), pggit.ddl_role()
      FROM pg_event_trigger_ddl_commands() r
     WHERE NOT r.in_extension
       AND coalesce(r.schema_name, '') <> 'pggit'
       AND coalesce(r.schema_name, '') !~ '^pg_(temp|toast)';
END;
$$;

CREATE OR REPLACE FUNCTION pggit.capture_ddl_drop() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    PERFORM pggit.refuse_data_branch_source_change(
        ARRAY(SELECT o.objid FROM pg_event_trigger_dropped_objects() o WHERE o.object_type = 'table'));
    IF current_setting('pggit.internal', true) = 'on' THEN
        RETURN;
    END IF;
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name)
    SELECT pggit.branch_of_namespace(o.schema_name), tg_tag, o.object_type, o.schema_name,
           o.object_identity, current_query(), pggit.ddl_role()
      FROM pg_event_trigger_dropped_objects() o
     WHERE o.original AND NOT o.is_temporary
       AND coalesce(o.schema_name, '') <> 'pggit'
       AND NOT (o.object_type = 'schema' AND o.object_identity = 'pggit');
END;
$$;


CREATE OR REPLACE FUNCTION pggit.branch_of_namespace(p_schema text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    RETURN coalesce(
        (SELECT w.branch_id FROM pggit.workspaces w WHERE w.namespace = p_schema),
        (SELECT b.id FROM pggit.branches b
          WHERE b.status <> 'DELETED'
            AND CASE WHEN p_schema IS NULL THEN b.name = pggit.current_branch()
                     ELSE b.name = 'main' AND EXISTS (SELECT 1 FROM pggit.tracked_schemas t
                                                       WHERE t.schema_name = p_schema) END));
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

CREATE OR REPLACE FUNCTION pggit.record_versions(p_branch_id bigint, p_commit_hash text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_commit pggit.commits;
    v_parent pggit.commits;
BEGIN
    SELECT * INTO v_commit FROM pggit.commits WHERE hash = p_commit_hash;
    SELECT * INTO v_parent FROM pggit.commits WHERE hash = v_commit.parent_hash;
    IF v_parent.branch_id = p_branch_id AND v_parent.tree_hash = v_commit.tree_hash THEN
        RETURN;
    END IF;

    WITH entries AS (
        SELECT e.key AS object_key, e.value AS object_hash
          FROM pggit.trees t CROSS JOIN LATERAL jsonb_each_text(t.entries) e
         WHERE t.hash = v_commit.tree_hash
    )
    INSERT INTO pggit.object_versions AS v
           (branch_id, object_key, object_type, major, minor, patch, object_hash, dropped, commit_hash)
    SELECT p_branch_id, e.object_key, split_part(e.object_key, ':', 1), 1, 0, 0, e.object_hash, false, p_commit_hash
      FROM entries e
    ON CONFLICT (branch_id, object_key) DO UPDATE
       SET (major, minor, patch) = (
               SELECT i.major, i.minor, i.patch
                 FROM pggit.increment_version(v.major, v.minor, v.patch,
                          CASE WHEN v.dropped THEN 'major'
                               ELSE coalesce(pggit.classify_change(
                                        (SELECT o.definition FROM pggit.objects o WHERE o.hash = v.object_hash),
                                        (SELECT o.definition FROM pggit.objects o WHERE o.hash = excluded.object_hash)),
                                    'patch') END) i),
           object_hash = excluded.object_hash, dropped = false,
           commit_hash = excluded.commit_hash, updated_at = now()
     WHERE v.object_hash IS DISTINCT FROM excluded.object_hash OR v.dropped;

    UPDATE pggit.object_versions v
       SET major = v.major + 1, minor = 0, patch = 0, dropped = true, object_hash = NULL,
           commit_hash = p_commit_hash, updated_at = now()
      FROM pggit.trees t
     WHERE t.hash = v_commit.tree_hash AND v.branch_id = p_branch_id AND NOT v.dropped
       AND NOT t.entries ? v.object_key;
END;
$$;

CREATE OR REPLACE FUNCTION pggit.store_tree(p_branch_id bigint) RETURNS text
LANGUAGE sql
SET search_path = pg_catalog, pggit
AS $$
    WITH current_objects AS MATERIALIZED (
        SELECT w.object_key, w.object_type, w.definition, w.hash
          FROM pggit.workspace_objects(p_branch_id) w
    ), tree AS MATERIALIZED (
        SELECT encode(sha256(convert_to(coalesce(
                   string_agg(o.object_key || ' ' || o.hash, E'\n' ORDER BY o.object_key), ''), 'UTF8')), 'hex') AS hash,
               coalesce(jsonb_object_agg(o.object_key, o.hash), '{}'::jsonb) AS entries
          FROM current_objects o
    ), new_tree AS (
        SELECT t.* FROM tree t WHERE NOT EXISTS (SELECT 1 FROM pggit.trees s WHERE s.hash = t.hash)
    ), stored_objects AS (
        INSERT INTO pggit.objects (hash, object_type, definition)
        SELECT DISTINCT ON (o.hash) o.hash, o.object_type, o.definition
          FROM current_objects o WHERE EXISTS (SELECT 1 FROM new_tree)
        ON CONFLICT (hash) DO NOTHING
    ), stored_tree AS (
        INSERT INTO pggit.trees (hash, entries) SELECT hash, entries FROM new_tree
        ON CONFLICT (hash) DO NOTHING
    )
    SELECT hash FROM tree
$$;

CREATE OR REPLACE FUNCTION pggit.workspace_objects(p_branch_id bigint)
RETURNS TABLE (object_key text, object_type text, schema_name text, object_name text,
               definition jsonb, hash text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_ns record;
BEGIN
    FOR v_ns IN SELECT * FROM pggit.branch_namespaces(p_branch_id) LOOP
        -- Same-schema references deparse unqualified (see the file header); the function's
        -- SET clause restores search_path on exit.
        PERFORM set_config('search_path', 'pg_catalog, ' || quote_ident(v_ns.namespace::regnamespace::text), true);
        RETURN QUERY
            SELECT pggit.object_key(o.object_type, v_ns.logical_schema, o.object_name),
                   o.object_type, v_ns.logical_schema, o.object_name, o.definition,
                   pggit.hash_definition(o.definition)
              FROM pggit.namespace_objects(v_ns.namespace) o;
    END LOOP;
END;
$$;

CREATE OR REPLACE FUNCTION pggit.namespace_objects(p_namespace oid)
RETURNS TABLE (object_type text, object_name text, definition jsonb)
LANGUAGE sql STABLE
AS $$
    -- tables
    SELECT 'table', c.relname::text, pggit.table_definition(c.oid)
      FROM pg_class c
     WHERE c.relnamespace = p_namespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                          AND e.objid = c.oid AND e.deptype = 'e')
    UNION ALL
    -- partitions are tables too, with their bound
    SELECT 'table', c.relname::text,
           pggit.table_definition(c.oid)
           || jsonb_build_object('partition_of', i.inhparent::regclass::text,
                                 'partition_bound', pg_get_expr(c.relpartbound, c.oid))
      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.relnamespace = p_namespace AND c.relkind IN ('r', 'p') AND c.relispartition
    UNION ALL
    -- views and materialized views
    SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized_view' END, c.relname::text,
           jsonb_strip_nulls(jsonb_build_object(
               'type', CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized_view' END,
               'name', c.relname,
               'query', pg_get_viewdef(c.oid, true),
               'comment', obj_description(c.oid, 'pg_class'),
               'indexes', (SELECT jsonb_object_agg(ic.relname,
                                      pggit.unqualify(pg_get_indexdef(i.indexrelid), n.nspname, c.relname))
                             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                            WHERE i.indrelid = c.oid)))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relnamespace = p_namespace AND c.relkind IN ('v', 'm') AND c.relname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                          AND e.objid = c.oid AND e.deptype = 'e')
    UNION ALL
    -- sequences (not identity sequences; serial sequences say which column owns them)
    SELECT 'sequence', c.relname::text,
           jsonb_strip_nulls(jsonb_build_object(
               'type', 'sequence', 'name', c.relname,
               'data_type', format_type(s.seqtypid, NULL),
               'start', s.seqstart, 'increment', s.seqincrement,
               'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
               'owned_by', (SELECT quote_ident(oc.relname) || '.' || quote_ident(a.attname)
                              FROM pg_depend d
                              JOIN pg_class oc ON oc.oid = d.refobjid
                              JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                             WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                               AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a'),
               'comment', obj_description(c.oid, 'pg_class')))
      FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
     WHERE c.relnamespace = p_namespace AND c.relkind = 'S' AND c.relname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    -- functions, procedures, aggregates, window functions
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
           p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
           jsonb_strip_nulls(jsonb_build_object(
               'type', CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
               'name', p.proname,
               'kind', p.prokind,
               'arguments', pg_get_function_arguments(p.oid),
               'identity_arguments', pg_get_function_identity_arguments(p.oid),
               'sql_body', CASE WHEN p.prosqlbody IS NOT NULL THEN true END,
               'result', pg_get_function_result(p.oid),
               'language', l.lanname,
               'body', CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END,
               'volatility', p.provolatile, 'strict', p.proisstrict,
               'security_definer', p.prosecdef, 'leakproof', p.proleakproof,
               'parallel', p.proparallel, 'config', p.proconfig,
               'comment', obj_description(p.oid, 'pg_proc')))
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = p_namespace AND p.proname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                          AND e.objid = p.oid AND e.deptype = 'e')
    UNION ALL
    -- enums, domains, standalone composite types (not table row types or arrays)
    SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'composite_type' END,
           t.typname::text,
           jsonb_strip_nulls(jsonb_build_object(
               'type', CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'composite_type' END,
               'name', t.typname,
               'labels', CASE WHEN t.typtype = 'e' THEN
                   (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END,
               'base_type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
               'not_null', CASE WHEN t.typtype = 'd' THEN t.typnotnull END,
               'default', t.typdefault,
               'constraints', CASE WHEN t.typtype = 'd' THEN
                   (SELECT jsonb_object_agg(k.conname, pg_get_constraintdef(k.oid))
                      FROM pg_constraint k WHERE k.contypid = t.oid) END,
               'attributes', CASE WHEN t.typtype = 'c' THEN
                   (SELECT jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                      FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END,
               'comment', obj_description(t.oid, 'pg_type')))
      FROM pg_type t
     WHERE t.typnamespace = p_namespace AND t.typname !~ '^pggit_'
       AND (t.typtype IN ('e', 'd')
            OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
                          AND e.objid = t.oid AND e.deptype = 'e')
$$;

CREATE OR REPLACE FUNCTION pggit.object_key(p_type text, p_schema text, p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT p_type || ':' || quote_ident(p_schema) || '.'
        || CASE WHEN p_type IN ('function', 'procedure') THEN p_name ELSE quote_ident(p_name) END
$$;

CREATE OR REPLACE FUNCTION pggit.hash_definition(p_definition jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT encode(sha256(convert_to(p_definition::text, 'UTF8')), 'hex')
$$;

DROP FUNCTION pggit.store_tree(bigint, text, oid[]);
DROP FUNCTION pggit.workspace_objects(bigint, oid[]);
DROP FUNCTION pggit.namespace_objects(oid, oid[]);
DROP FUNCTION pggit.changed_objects(bigint);
DROP FUNCTION pggit.dependent_branches(oid, oid);
DROP FUNCTION pggit.dependents_closure(oid[]);
DROP FUNCTION pggit.owner_schema(oid, oid);
DROP FUNCTION pggit.tracked_owner(oid, oid);
-- DDL captured earlier in this transaction (e.g. an install of every file at once) leaves
-- deferred foreign-key checks queued on ddl_events, and ALTER TABLE refuses a table with pending
-- trigger events: run them now.
SET CONSTRAINTS pggit.ddl_events_commit_id_fkey IMMEDIATE;
ALTER TABLE pggit.ddl_events DROP COLUMN classid, DROP COLUMN objid;
