-- django-pggit 0003: incremental snapshots.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 130_incremental_snapshot_reverse.sql.
--
-- Before: a commit after any DDL re-serialized every tracked object (about 0.1 ms per table:
-- PostgreSQL's deparsers), so changing one table of a 1,000-table schema cost ~100 ms.
-- Now DDL capture also records each command's catalog address (classid, objid), and a commit
-- re-serializes only
--   * the objects its pending DDL events name (an index, constraint, trigger, column default,
--     rule or policy stands for its table; a table's row type for the table),
--   * every object that depends on those, transitively (pg_depend): a view over a renamed
--     column, a foreign key naming a renamed table, a table whose column type was renamed,
--     a function whose argument type was renamed...,
--   * every object that has no entry in the parent tree (created without a followable event),
-- and takes every other object's hash from the parent commit's tree. Objects that no longer
-- exist drop out because the tree is built from a listing of the workspace's objects, which
-- costs a catalog scan and no deparsing.
-- It falls back to the full snapshot whenever an event cannot be followed object by object:
-- a DROP (sql_drop: cascades reach objects the event does not name), an event without a
-- catalog address (e.g. recorded before this migration, or pggit's own "tracked schemas
-- changed"), schemas and other object classes, partitioned tables and partitions (ATTACH and
-- DETACH change the child without naming it), or a change that reaches more than a quarter
-- of the tree. GRANT, REVOKE and ALTER DEFAULT PRIVILEGES change no definition and are skipped.
-- A property test checks the law "incremental tree = full tree" over random schema changes.
--
-- Which branch an event belongs to, made exact: triggers, policies and rules have no schema in
-- pg_event_trigger_ddl_commands() and went to the session's current branch, now to the branch
-- owning their table; DDL on an object outside the tracked schemas and workspaces went to no
-- branch (so a commit reused a stale tree after, say, a type its tables use was renamed), now
-- to every branch whose objects depend on it; a DROP ... CASCADE reaching another schema's
-- objects now records an event for that schema's branch too.
--
-- Event triggers only see what runs while they are enabled: DDL run with capture disabled (or
-- under session_replication_role = replica) leaves no event, as before; pggit.status() shows
-- such drift between the head's tree and the workspace.

-- DDL captured earlier in this transaction (e.g. an install of every file at once) leaves
-- deferred foreign-key checks queued on ddl_events, and ALTER TABLE refuses a table with pending
-- trigger events: run them now.
SET CONSTRAINTS pggit.ddl_events_commit_id_fkey IMMEDIATE;
ALTER TABLE pggit.ddl_events
    ADD COLUMN classid oid,
    ADD COLUMN objid oid;
COMMENT ON COLUMN pggit.ddl_events.classid IS
    'catalog of the object the command created or altered (NULL for drops and commands without one)';
COMMENT ON COLUMN pggit.ddl_events.objid IS 'that object''s oid in its catalog';

-- tracked_owner(classid, objid)
-- Purpose: the tracked object a catalog object belongs to, as the oid namespace_objects lists
--   it under: a table, view, materialized view or sequence (pg_class), a function (pg_proc),
--   an enum, domain or composite type (pg_type). Indexes, constraints, triggers, column
--   defaults, rules, policies and row types stand for their table or domain.
-- Returns: that oid; NULL when the object is gone or of a class snapshots do not follow.
-- Errors: none.  Locks: none.
CREATE FUNCTION pggit.tracked_owner(p_classid oid, p_objid oid) RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN CASE p_classid
        WHEN 'pg_class'::regclass THEN
            (SELECT CASE WHEN c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') THEN c.oid
                         WHEN c.relkind = 'c' THEN c.reltype
                         WHEN c.relkind IN ('i', 'I') THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid)
                         END  -- a TOAST table is reached only from its own table
               FROM pg_class c WHERE c.oid = p_objid)
        WHEN 'pg_type'::regclass THEN
            (SELECT CASE WHEN t.typrelid <> 0 AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) <> 'c'
                         THEN t.typrelid ELSE t.oid END
               FROM pg_type t WHERE t.oid = p_objid)
        WHEN 'pg_proc'::regclass THEN (SELECT p.oid FROM pg_proc p WHERE p.oid = p_objid)
        WHEN 'pg_constraint'::regclass THEN
            (SELECT CASE WHEN k.conrelid <> 0 THEN k.conrelid ELSE k.contypid END FROM pg_constraint k WHERE k.oid = p_objid)
        WHEN 'pg_trigger'::regclass THEN (SELECT g.tgrelid FROM pg_trigger g WHERE g.oid = p_objid)
        WHEN 'pg_attrdef'::regclass THEN (SELECT d.adrelid FROM pg_attrdef d WHERE d.oid = p_objid)
        WHEN 'pg_rewrite'::regclass THEN (SELECT w.ev_class FROM pg_rewrite w WHERE w.oid = p_objid)
        WHEN 'pg_policy'::regclass THEN (SELECT y.polrelid FROM pg_policy y WHERE y.oid = p_objid)
    END;
END;
$$;

-- owner_schema(classid, objid): the schema of the table a trigger, policy or rule belongs to
-- (pg_event_trigger_ddl_commands() reports them without one); NULL for anything else.
CREATE FUNCTION pggit.owner_schema(p_classid oid, p_objid oid) RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    IF p_classid NOT IN ('pg_trigger'::regclass, 'pg_policy'::regclass, 'pg_rewrite'::regclass) THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = pggit.tracked_owner(p_classid, p_objid));
END;
$$;

-- branch_of_namespace(schema_name): result unchanged (040_ddl_capture.sql). Its branch lookup
-- had a CASE in the WHERE clause, so it scanned pggit.branches for every DDL statement: every
-- commit updates its branch's row, and on a busy database that scan reads many dead row versions
-- (about 0.1 ms per DDL statement measured). Each case is now an index lookup by name.
CREATE OR REPLACE FUNCTION pggit.branch_of_namespace(p_schema text) RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
BEGIN
    IF p_schema IS NULL THEN
        RETURN (SELECT b.id FROM pggit.branches b WHERE b.name = pggit.current_branch() AND b.status <> 'DELETED');
    END IF;
    RETURN coalesce(
        (SELECT w.branch_id FROM pggit.workspaces w WHERE w.namespace = p_schema),
        CASE WHEN EXISTS (SELECT 1 FROM pggit.tracked_schemas t WHERE t.schema_name = p_schema) THEN
            (SELECT b.id FROM pggit.branches b WHERE b.name = 'main' AND b.status <> 'DELETED') END);
END;
$$;

-- dependents_closure(seeds)
-- Purpose: the seeds and every object that depends on them through pg_depend, transitively,
--   each as tracked_owner numbers it (a view's rule counts as the view, a column default as
--   its table...); a table's row type leads to what uses it (functions, other tables' columns).
-- Returns: the oids, seeds included.  Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.dependents_closure(p_seeds oid[]) RETURNS oid[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    WITH RECURSIVE closure(oid) AS (
        SELECT unnest(p_seeds)
        UNION
        SELECT pggit.tracked_owner(d.classid, d.objid)
          FROM closure x
         CROSS JOIN LATERAL (SELECT x.oid UNION ALL
                             SELECT c.reltype FROM pg_class c WHERE c.oid = x.oid AND c.reltype <> 0) r(ref)
          JOIN pg_depend d ON d.refclassid IN ('pg_class'::regclass, 'pg_type'::regclass, 'pg_proc'::regclass)
                          AND d.refobjid = r.ref
         WHERE x.oid IS NOT NULL AND d.deptype <> 'p'
    )
    SELECT coalesce(array_agg(oid), '{}') FROM closure WHERE oid IS NOT NULL
$$;

-- dependent_branches(classid, objid)
-- Purpose: the branches whose workspaces hold an object depending (transitively) on the given
--   one: DDL on an object outside every tracked schema and workspace (a type or function in
--   another schema, say) can still change their definitions, so its event is recorded for them
--   too. Called by capture_ddl_command for such objects only.
-- Returns: branch ids.  Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.dependent_branches(p_classid oid, p_objid oid) RETURNS SETOF bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    SELECT DISTINCT b.branch_id
      FROM unnest(pggit.dependents_closure(ARRAY[pggit.tracked_owner(p_classid, p_objid)])) o(oid)
     CROSS JOIN LATERAL (SELECT coalesce((SELECT c.relnamespace FROM pg_class c WHERE c.oid = o.oid),
                                         (SELECT p.pronamespace FROM pg_proc p WHERE p.oid = o.oid),
                                         (SELECT t.typnamespace FROM pg_type t WHERE t.oid = o.oid)) AS ns) n
     CROSS JOIN LATERAL (SELECT pggit.branch_of_namespace(s.nspname::text) AS branch_id
                           FROM pg_namespace s WHERE s.oid = n.ns) b
     WHERE n.ns IS NOT NULL AND b.branch_id IS NOT NULL
$$;

-- capture_ddl_command(): event trigger function for ddl_command_end (see 040_ddl_capture.sql);
-- now records the catalog address of each object; the branch of a schema-less object (trigger,
-- policy, rule) is the branch owning its table; and DDL on an object outside the tracked
-- schemas and workspaces is also recorded for every branch whose objects depend on it.
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
    WITH commands AS MATERIALIZED (
        SELECT r.command_tag, r.object_type, r.schema_name, r.object_identity, r.classid, r.objid,
               pggit.branch_of_namespace(coalesce(r.schema_name, pggit.owner_schema(r.classid, r.objid))) AS branch_id
          FROM pg_event_trigger_ddl_commands() r
         WHERE NOT r.in_extension
           AND coalesce(r.schema_name, '') <> 'pggit'
           AND coalesce(r.schema_name, '') !~ '^pg_(temp|toast)'
    )
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name, classid, objid)
    SELECT c.branch_id, c.command_tag, c.object_type, c.schema_name, c.object_identity,
           current_query(), pggit.ddl_role(), c.classid, c.objid
      FROM commands c
    UNION ALL
    -- an untracked object that tracked objects depend on: an event for each of their branches
    SELECT d.branch_id, c.command_tag, c.object_type, c.schema_name, c.object_identity,
           current_query(), pggit.ddl_role(), c.classid, c.objid
      FROM commands c CROSS JOIN LATERAL pggit.dependent_branches(c.classid, c.objid) d(branch_id)
     WHERE c.branch_id IS NULL AND c.objid IS NOT NULL AND c.command_tag NOT IN ('GRANT', 'REVOKE');
END;
$$;

-- capture_ddl_drop(): event trigger function for sql_drop (see 040_ddl_capture.sql); now also
-- records, for each other schema where the command dropped objects by CASCADE (a column default
-- or a trigger on a tracked table that used a dropped function, say), one event for that
-- schema's branch, whose next commit then reads its whole workspace.
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
    WITH dropped AS MATERIALIZED (
        -- a column default, trigger, policy or rule has no schema here: its table's is the first
        -- of its address names
        SELECT o.original, o.object_type, o.object_identity,
               coalesce(o.schema_name, CASE WHEN o.object_type IN ('default value', 'trigger', 'policy', 'rule')
                                            THEN o.address_names[1] END) AS schema_name
          FROM pg_event_trigger_dropped_objects() o
         WHERE NOT o.is_temporary
           AND coalesce(o.schema_name, '') <> 'pggit'
           AND NOT (o.object_type = 'schema' AND o.object_identity = 'pggit')
    )
    INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, schema_name,
                                  object_identity, statement, role_name)
    SELECT pggit.branch_of_namespace(d.schema_name), tg_tag, d.object_type, d.schema_name,
           d.object_identity, current_query(), pggit.ddl_role()
      FROM dropped d WHERE d.original
    UNION ALL
    SELECT x.branch_id, tg_tag, x.object_type, x.schema_name, x.object_identity, current_query(), pggit.ddl_role()
      FROM (SELECT DISTINCT ON (d.schema_name) d.schema_name, d.object_type, d.object_identity,
                   pggit.branch_of_namespace(d.schema_name) AS branch_id
              FROM dropped d
             WHERE NOT d.original AND d.schema_name IS NOT NULL
               AND d.schema_name NOT IN (SELECT o.schema_name FROM dropped o
                                          WHERE o.original AND o.schema_name IS NOT NULL)
             ORDER BY d.schema_name, d.object_identity) x
     WHERE x.branch_id IS NOT NULL;
END;
$$;

-- changed_objects(commit_id)
-- Purpose: the objects a commit must re-serialize: the owners of its DDL events (already
--   attached to it) and everything that depends on them, transitively (see the file header).
-- Returns: their oids (tracked_owner's numbering), or NULL when the commit needs a full
--   snapshot because an event cannot be followed.
-- Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.changed_objects(p_commit_id bigint) RETURNS oid[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_seeds oid[];
BEGIN
    SELECT array_agg(DISTINCT pggit.tracked_owner(e.classid, e.objid)) INTO v_seeds
      FROM pggit.ddl_events e
     WHERE e.commit_id = p_commit_id
       AND e.command_tag NOT IN ('GRANT', 'REVOKE', 'ALTER DEFAULT PRIVILEGES');
    IF v_seeds IS NULL THEN
        RETURN '{}';
    END IF;
    IF array_position(v_seeds, NULL) IS NOT NULL
       OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = ANY (v_seeds) AND (c.relkind = 'p' OR c.relispartition)) THEN
        RETURN NULL;
    END IF;
    RETURN pggit.dependents_closure(v_seeds);
END;
$$;

-- object_key(type, schema, name) and hash_definition(definition): results unchanged
-- (030_snapshots.sql); now inlined by the planner (no SET clause, every function and operator
-- schema-qualified), where each was a separate function call per object of every snapshot.
CREATE OR REPLACE FUNCTION pggit.object_key(p_type text, p_schema text, p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_type OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p_schema)
           OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
           CASE WHEN p_type OPERATOR(pg_catalog.=) ANY (ARRAY['function', 'procedure']) THEN p_name
                ELSE pg_catalog.quote_ident(p_name) END
$$;

CREATE OR REPLACE FUNCTION pggit.hash_definition(p_definition jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE  -- convert_to is STABLE, and an IMMUTABLE function is inlined only if its body is
AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_definition::pg_catalog.text, 'UTF8')), 'hex')
$$;

-- namespace_objects(namespace, serialize)
-- Purpose: every tracked object of one namespace, as namespace_objects(namespace) lists them
--   (same rules, same definitions), with its oid (tracked_owner's numbering); the definition
--   is computed only for the oids in serialize (for all when serialize is NULL) and is NULL
--   for the others, which costs a catalog lookup per object and no deparsing. The caller sets
--   search_path (see table_definition in 030_snapshots.sql).
--   The namespace's members are found through pg_depend's reference index (every table, view,
--   sequence, function and standalone type records a dependency on its namespace, moved by
--   SET SCHEMA): pg_class, pg_proc and pg_type have no index on their namespace column, so a
--   filter on it alone scanned those catalogs whole, work that grew with every branch's
--   workspace (500 branches of a 5-table schema: 10,000 pg_class rows read per namespace).
--   Those columns are not filtered on at all: a filter on one lets the planner answer with a
--   whole-catalog scan, or with a full scan of an index that ends with it (pg_proc's
--   proname_args_nsp), instead of a lookup by oid per member.
CREATE FUNCTION pggit.namespace_objects(p_namespace oid, p_serialize oid[])
RETURNS TABLE (object_type text, object_name text, object_oid oid, definition jsonb)
LANGUAGE sql STABLE
AS $$
    -- tables
    SELECT 'table', c.relname::text, c.oid,
           CASE WHEN p_serialize IS NULL OR c.oid = ANY (p_serialize) THEN pggit.table_definition(c.oid) END
      FROM pg_class c
     WHERE c.oid IN (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
                                                 AND d.refobjid = p_namespace AND d.classid = 'pg_class'::regclass)
       AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.relname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                          AND e.objid = c.oid AND e.deptype = 'e')
    UNION ALL
    -- partitions are tables too, with their bound
    SELECT 'table', c.relname::text, c.oid,
           CASE WHEN p_serialize IS NULL OR c.oid = ANY (p_serialize) THEN
               pggit.table_definition(c.oid)
               || jsonb_build_object('partition_of', i.inhparent::regclass::text,
                                     'partition_bound', pg_get_expr(c.relpartbound, c.oid)) END
      FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
     WHERE c.oid IN (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
                                                 AND d.refobjid = p_namespace AND d.classid = 'pg_class'::regclass)
       AND c.relkind IN ('r', 'p') AND c.relispartition
    UNION ALL
    -- views and materialized views
    SELECT CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized_view' END, c.relname::text, c.oid,
           CASE WHEN p_serialize IS NULL OR c.oid = ANY (p_serialize) THEN
           jsonb_strip_nulls(jsonb_build_object(
               'type', CASE c.relkind WHEN 'v' THEN 'view' ELSE 'materialized_view' END,
               'name', c.relname,
               'query', pg_get_viewdef(c.oid, true),
               'comment', obj_description(c.oid, 'pg_class'),
               'indexes', (SELECT jsonb_object_agg(ic.relname,
                                      pggit.unqualify(pg_get_indexdef(i.indexrelid), n.nspname, c.relname))
                             FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                            WHERE i.indrelid = c.oid))) END
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid IN (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
                                                 AND d.refobjid = p_namespace AND d.classid = 'pg_class'::regclass)
       AND c.relkind IN ('v', 'm') AND c.relname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                          AND e.objid = c.oid AND e.deptype = 'e')
    UNION ALL
    -- sequences (not identity sequences; serial sequences say which column owns them)
    SELECT 'sequence', c.relname::text, c.oid,
           CASE WHEN p_serialize IS NULL OR c.oid = ANY (p_serialize) THEN
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
               'comment', obj_description(c.oid, 'pg_class'))) END
      FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
     WHERE c.oid IN (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
                                                 AND d.refobjid = p_namespace AND d.classid = 'pg_class'::regclass)
       AND c.relkind = 'S' AND c.relname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('i', 'e'))
    UNION ALL
    -- functions, procedures, aggregates, window functions
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END,
           p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', p.oid,
           CASE WHEN p_serialize IS NULL OR p.oid = ANY (p_serialize) THEN
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
               'comment', obj_description(p.oid, 'pg_proc'))) END
      FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.oid IN (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
                                                 AND d.refobjid = p_namespace AND d.classid = 'pg_proc'::regclass)
       AND p.proname !~ '^pggit_'
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                          AND e.objid = p.oid AND e.deptype = 'e')
    UNION ALL
    -- enums, domains, standalone composite types (not table row types or arrays)
    SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'composite_type' END,
           t.typname::text, t.oid,
           CASE WHEN p_serialize IS NULL OR t.oid = ANY (p_serialize) THEN
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
               'comment', obj_description(t.oid, 'pg_type'))) END
      FROM pg_type t
     WHERE t.oid IN (SELECT d.objid FROM pg_depend d WHERE d.refclassid = 'pg_namespace'::regclass
                                                 AND d.refobjid = p_namespace AND d.classid = 'pg_type'::regclass)
       AND t.typname !~ '^pggit_'
       AND (t.typtype IN ('e', 'd')
            OR (t.typtype = 'c' AND (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c'))
       AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
                          AND e.objid = t.oid AND e.deptype = 'e')
$$;

-- namespace_objects(namespace): every tracked object of one namespace with its definition;
-- now namespace_objects(namespace, NULL), so the serialization rules live in one place.
CREATE OR REPLACE FUNCTION pggit.namespace_objects(p_namespace oid)
RETURNS TABLE (object_type text, object_name text, definition jsonb)
LANGUAGE sql STABLE
AS $$
    SELECT o.object_type, o.object_name, o.definition FROM pggit.namespace_objects(p_namespace, NULL) o
$$;

-- workspace_objects(branch_id, serialize)
-- Purpose: every tracked object of a branch's workspace (see workspace_objects(branch_id))
--   with its oid; definition and hash only for the oids in serialize (all when NULL).
-- Locks: none (catalog reads).
CREATE FUNCTION pggit.workspace_objects(p_branch_id bigint, p_serialize oid[])
RETURNS TABLE (object_key text, object_type text, schema_name text, object_name text,
               object_oid oid, definition jsonb, hash text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_ns record;
BEGIN
    FOR v_ns IN SELECT * FROM pggit.branch_namespaces(p_branch_id) LOOP
        -- Same-schema references deparse unqualified (see 030_snapshots.sql); the function's
        -- SET clause restores search_path on exit.
        PERFORM set_config('search_path', 'pg_catalog, ' || quote_ident(v_ns.namespace::regnamespace::text), true);
        RETURN QUERY
            SELECT pggit.object_key(o.object_type, v_ns.logical_schema, o.object_name),
                   o.object_type, v_ns.logical_schema, o.object_name, o.object_oid, o.definition,
                   pggit.hash_definition(o.definition)
              FROM pggit.namespace_objects(v_ns.namespace, p_serialize) o;
    END LOOP;
END;
$$;

-- workspace_objects(branch_id): unchanged contract (030_snapshots.sql); now
-- workspace_objects(branch_id, NULL).
CREATE OR REPLACE FUNCTION pggit.workspace_objects(p_branch_id bigint)
RETURNS TABLE (object_key text, object_type text, schema_name text, object_name text,
               definition jsonb, hash text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    SELECT w.object_key, w.object_type, w.schema_name, w.object_name, w.definition, w.hash
      FROM pggit.workspace_objects(p_branch_id, NULL) w
$$;

-- store_tree(branch_id, parent_tree, changed)
-- Purpose: snapshot a branch's workspace as store_tree(branch_id) does, re-serializing only the
--   objects in changed plus those the parent tree has no entry for, and taking every other
--   object's hash from the parent tree (see the file header). changed NULL, or more changed
--   objects than a quarter of the parent's entries: serialize all.
--   Stores new definitions and the tree (each once per distinct hash).
-- Returns: the tree hash.  Locks: none beyond the inserted rows.
CREATE FUNCTION pggit.store_tree(p_branch_id bigint, p_parent_tree text, p_changed oid[]) RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_parent jsonb;
    v_hash text;
BEGIN
    IF p_changed IS NOT NULL THEN
        SELECT t.entries INTO v_parent FROM pggit.trees t WHERE t.hash = p_parent_tree;
        IF cardinality(p_changed) > greatest(16, (SELECT count(*) FROM jsonb_object_keys(v_parent)) / 4) THEN
            v_parent := NULL;  -- a change this wide: serialize everything in one pass
        END IF;
    END IF;
    -- The parent's entries are joined, not looked up per object: a stored tree is a compressed
    -- jsonb, and each lookup in it would decompress it again.
    WITH listed AS MATERIALIZED (
        SELECT w.object_key, w.object_type, w.object_oid, w.definition, coalesce(w.hash, p.value) AS hash
          FROM pggit.workspace_objects(p_branch_id, CASE WHEN v_parent IS NOT NULL THEN p_changed END) w
          LEFT JOIN jsonb_each_text(v_parent) p ON p.key = w.object_key
    ), unknown AS MATERIALIZED (
        -- objects the parent tree has no entry for: serialized in a second pass (rare)
        SELECT array_agg(l.object_oid) AS oids FROM listed l WHERE l.hash IS NULL
    ), current_objects AS MATERIALIZED (
        SELECT l.object_key, l.object_type, l.definition, l.hash FROM listed l WHERE l.hash IS NOT NULL
        UNION ALL
        SELECT w.object_key, w.object_type, w.definition, w.hash
          FROM unknown u CROSS JOIN LATERAL pggit.workspace_objects(p_branch_id, u.oids) w
         WHERE u.oids IS NOT NULL AND w.object_oid = ANY (u.oids)
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
          FROM current_objects o WHERE o.definition IS NOT NULL AND EXISTS (SELECT 1 FROM new_tree)
        ON CONFLICT (hash) DO NOTHING
    ), stored_tree AS (
        INSERT INTO pggit.trees (hash, entries) SELECT hash, entries FROM new_tree
        ON CONFLICT (hash) DO NOTHING
    )
    SELECT hash INTO v_hash FROM tree;
    RETURN v_hash;
END;
$$;

-- store_tree(branch_id): unchanged contract (030_snapshots.sql): the full snapshot.
CREATE OR REPLACE FUNCTION pggit.store_tree(p_branch_id bigint) RETURNS text
LANGUAGE sql
SET search_path = pg_catalog, pggit
AS $$
    SELECT pggit.store_tree(p_branch_id, NULL, NULL)
$$;

-- record_commit(branch, message, author, merge_parent_hash, full_snapshot)
-- Purpose: the one place a commit is written (contract as in 120_commit_path.sql): attach the
--   branch's pending DDL, snapshot its workspace, insert the commit with parent = head, move
--   the head, bump object versions. The snapshot reuses the head's tree when no DDL of the
--   branch was captured since the head, re-serializes only what the captured DDL changed
--   otherwise (store_tree with changed_objects), and reads everything when DDL capture is
--   off, the branch has no head, full_snapshot is true, or changed_objects says so.
--   The caller has validated the input and holds the branch row FOR UPDATE.
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
    v_head_tree text;
    v_head_branch bigint;
    v_pending boolean;
    v_reused boolean := false;
BEGIN
    v_commit.id := nextval('pggit.commits_id_seq'::regclass);
    v_commit.parent_hash := p_branch.head_hash;
    v_commit.merge_parent_hash := p_merge_parent_hash;
    v_commit.branch_id := p_branch.id;
    -- Attach captured DDL first, then read the catalog: DDL committed in between is seen by
    -- the snapshot and its event goes to the next commit, so the tree is never stale.
    UPDATE pggit.ddl_events SET commit_id = v_commit.id
     WHERE branch_id = p_branch.id AND commit_id IS NULL;
    v_pending := FOUND;
    IF NOT p_full_snapshot AND p_branch.head_hash IS NOT NULL AND pggit.ddl_capture_enabled() THEN
        SELECT c.tree_hash, c.branch_id INTO v_head_tree, v_head_branch
          FROM pggit.commits c WHERE c.hash = p_branch.head_hash;
    END IF;
    IF v_head_tree IS NULL THEN
        v_commit.tree_hash := pggit.store_tree(p_branch.id);
    ELSIF NOT v_pending THEN
        v_commit.tree_hash := v_head_tree;
        v_reused := true;
    ELSE
        v_commit.tree_hash := pggit.store_tree(p_branch.id, v_head_tree, pggit.changed_objects(v_commit.id));
    END IF;
    v_commit.message := p_message;
    v_commit.author := p_author;
    v_commit.committed_at := clock_timestamp();
    v_commit.uuid := pggit.generate_trinity_id()::uuid;
    v_commit.hash := pggit.commit_hash(v_commit);

    INSERT INTO pggit.commits SELECT v_commit.*;
    UPDATE pggit.branches SET head_hash = v_commit.hash, status = 'ACTIVE' WHERE id = p_branch.id;
    -- a reused tree on the same branch changes no object: versions stay as they are
    IF NOT v_reused OR v_head_branch <> p_branch.id THEN
        PERFORM pggit.record_versions(p_branch.id, v_commit.hash);
    END IF;
    RETURN v_commit.hash;
END;
$$;

-- record_versions(branch_id, commit_hash): contract unchanged (050_changes.sql). When the
-- parent commit is on the same branch, the branch's versions already reflect the parent's tree,
-- so only the entries that differ from it are reconciled (not every object of the schema).
CREATE OR REPLACE FUNCTION pggit.record_versions(p_branch_id bigint, p_commit_hash text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_commit pggit.commits;
    v_parent pggit.commits;
    v_parent_entries jsonb;
BEGIN
    SELECT * INTO v_commit FROM pggit.commits WHERE hash = p_commit_hash;
    SELECT * INTO v_parent FROM pggit.commits WHERE hash = v_commit.parent_hash;
    IF v_parent.branch_id = p_branch_id THEN
        IF v_parent.tree_hash = v_commit.tree_hash THEN
            RETURN;
        END IF;
        SELECT t.entries INTO v_parent_entries FROM pggit.trees t WHERE t.hash = v_parent.tree_hash;
    END IF;

    WITH entries AS (
        SELECT e.key AS object_key, e.value AS object_hash
          FROM pggit.trees t CROSS JOIN LATERAL jsonb_each_text(t.entries) e
          LEFT JOIN jsonb_each_text(v_parent_entries) p ON p.key = e.key  -- joined: see store_tree
         WHERE t.hash = v_commit.tree_hash AND p.value IS DISTINCT FROM e.value
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
