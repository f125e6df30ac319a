-- django-pggit core: schema snapshots, content-addressed object definitions, schema hashing.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- A tracked object (table, view, materialized view, sequence, function/procedure, enum, domain,
-- composite type) is serialized to a normalized jsonb definition. Normalized means: no OIDs,
-- no dropped-column leftovers, constraints/indexes/triggers keyed by name (creation order does
-- not matter), and references to objects of the object's own schema written unqualified
-- (serialization runs with search_path = pg_catalog, <that schema>), so the same DDL in two
-- schemas or two databases gives the same definition. Its SHA-256 is the object's hash.
-- A tree maps object keys ("table:public.users") to object hashes; its hash covers the sorted
-- entries. Definitions and trees are stored once per distinct hash.
--
-- Incremental snapshots. Serializing costs about 0.1 ms per table (PostgreSQL's deparsers), so
-- a commit does not re-serialize what cannot have changed. DDL capture records each command's
-- catalog address (ddl_events.classid, objid), and a commit re-serializes only
--   * the objects its pending DDL events name (an index, constraint, trigger, column default,
--     rule or policy stands for its table; a table's row type for the table),
--   * every object that depends on those, transitively (pg_depend): a view over a renamed
--     column, a foreign key naming a renamed table, a table whose column type was renamed,
--     a function whose argument type was renamed...,
--   * every object that has no entry in the parent tree (created without a followable event),
-- and takes every other object's hash from the parent commit's tree. Objects that no longer
-- exist drop out because the tree is built from a listing of the workspace's objects, which
-- costs a catalog scan and no deparsing. It falls back to the full snapshot whenever an event
-- cannot be followed object by object: a DROP (sql_drop: cascades reach objects the event does
-- not name), an event without a catalog address (pggit's own "tracked schemas changed"),
-- schemas and other object classes, partitioned tables and partitions (ATTACH and DETACH
-- change the child without naming it), or a change that reaches more than a quarter of the
-- tree. GRANT, REVOKE and ALTER DEFAULT PRIVILEGES change no definition and are skipped. A
-- property test checks the law "incremental tree = full tree" over random schema changes.
-- Event triggers only see what runs while they are enabled: DDL run with capture disabled (or
-- under session_replication_role = replica) leaves no event; pggit.status() shows such drift
-- and commit_changes(..., full => true) records it.

CREATE TABLE pggit.tracked_schemas (
    schema_name text PRIMARY KEY
                CHECK (schema_name <> 'pggit' AND schema_name !~ '^pg_' AND schema_name !~ '^pggit_b[0-9]'),
    added_at    timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pggit.tracked_schemas IS
    'Schemas whose objects main''s commits snapshot (synced from settings.PGGIT["TRACKED_SCHEMAS"]).';

INSERT INTO pggit.tracked_schemas (schema_name) VALUES ('public');

CREATE TABLE pggit.objects (
    hash        text PRIMARY KEY
                CONSTRAINT objects_hash_check CHECK (octet_length(hash) = 64 AND hash !~ '[^0-9a-f]'),
    object_type text NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pggit.objects IS 'Content-addressed object definitions: one row per distinct hash.';

CREATE TABLE pggit.trees (
    hash       text PRIMARY KEY
               CONSTRAINT trees_hash_check CHECK (octet_length(hash) = 64 AND hash !~ '[^0-9a-f]'),
    entries    jsonb NOT NULL,   -- {"table:public.users": "<object hash>", ...}
    created_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE pggit.trees IS 'Content-addressed trees: object key -> object hash.';

-- The empty tree exists from the start, so every commit's tree_hash has a row.
INSERT INTO pggit.trees (hash, entries) VALUES (encode(sha256(''::bytea), 'hex'), '{}');

-- Content-addressed rows are never changed or removed (refuse_history_rewrite, 020_commits.sql).
CREATE TRIGGER objects_append_only BEFORE UPDATE OR DELETE ON pggit.objects
    FOR EACH ROW EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER objects_no_truncate BEFORE TRUNCATE ON pggit.objects
    FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER trees_append_only BEFORE UPDATE OR DELETE ON pggit.trees
    FOR EACH ROW EXECUTE FUNCTION pggit.refuse_history_rewrite();

CREATE TRIGGER trees_no_truncate BEFORE TRUNCATE ON pggit.trees
    FOR EACH STATEMENT EXECUTE FUNCTION pggit.refuse_history_rewrite();

-- set_tracked_schemas(schemas)
-- Purpose: replace the list of tracked schemas (used by the Django app's post_migrate sync);
--   a change makes main's next commit read the catalog.
-- Arguments: schemas text[] of existing schema names, not pggit or pg_*.
-- Errors: PGT05 for an unknown or forbidden schema.  Locks: pggit.tracked_schemas rows.
CREATE FUNCTION pggit.set_tracked_schemas(schemas text[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_schema  text;
    v_removed integer;
    v_added   integer;
BEGIN
    IF schemas IS NULL OR cardinality(schemas) = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT05', MESSAGE = 'at least one schema must be tracked',
            HINT = 'The default is ARRAY[''public''].';
    END IF;
    FOREACH v_schema IN ARRAY schemas LOOP
        IF v_schema IS NULL OR v_schema = 'pggit' OR v_schema ~ '^pg_' OR v_schema ~ '^pggit_b[0-9]'
           OR NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = v_schema) THEN
            RAISE EXCEPTION USING ERRCODE = 'PGT05',
                MESSAGE = format('cannot track schema %s', coalesce(quote_literal(v_schema), 'NULL')),
                HINT = 'Track existing user schemas only; pggit and pg_* schemas are never tracked.';
        END IF;
    END LOOP;
    DELETE FROM pggit.tracked_schemas WHERE schema_name <> ALL (schemas);
    GET DIAGNOSTICS v_removed = ROW_COUNT;
    INSERT INTO pggit.tracked_schemas (schema_name) SELECT DISTINCT unnest(schemas)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_added = ROW_COUNT;
    IF v_removed + v_added > 0 THEN
        -- main's workspace changed without DDL: make its next commit read the catalog
        INSERT INTO pggit.ddl_events (branch_id, command_tag, object_type, statement, role_name)
        SELECT b.id, 'PGGIT TRACK SCHEMAS', 'schema', format('tracked schemas: %s', array_to_string(schemas, ', ')),
               pggit.ddl_role()
          FROM pggit.branches b WHERE b.name = 'main' AND b.status <> 'DELETED';
    END IF;
END;
$$;

-- hash_definition(definition): SHA-256 hex of a definition's canonical jsonb text.
-- Inlined by the planner (no SET clause; every name schema-qualified): it runs once per object
-- of every snapshot. STABLE, not IMMUTABLE: convert_to is STABLE, and an IMMUTABLE SQL
-- function whose body calls a STABLE one is never inlined.
CREATE FUNCTION pggit.hash_definition(p_definition jsonb) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(p_definition::pg_catalog.text, 'UTF8')), 'hex')
$$;

-- unqualify(text, schema, name): replace "schema.name" by "name" where a deparsed definition
-- always qualifies its own table (pg_get_indexdef, pg_get_triggerdef).
-- No SET clause, so the planner inlines it: table_definition runs once per table, and a
-- non-inlined SQL function called inside it is parsed and planned again on every run.
-- Its functions are schema-qualified, so it does not depend on the caller's search_path.
CREATE FUNCTION pggit.unqualify(p_text text, p_schema name, p_name name) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.replace(
               p_text,
               ' ON ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p_schema) OPERATOR(pg_catalog.||) '.'
                      OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p_name) OPERATOR(pg_catalog.||) ' ',
               ' ON ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p_name) OPERATOR(pg_catalog.||) ' ')
$$;

-- table_definition(relid)
-- Purpose: the normalized definition of a table (relkind r or p): columns in order (type,
--   default, not null, identity, generated expression, collation, comment), constraints,
--   indexes that do not back a constraint, triggers, comment. The caller sets search_path to
--   pg_catalog, <the table's schema> (see the file header).
--   Comments are read from pg_description directly rather than through obj_description() and
--   col_description(): those are SQL functions, and inside a function that runs once per table
--   each call would be parsed and planned again (about 0.1 ms each; most of a tree's cost).
--   PL/pgSQL, not SQL: PL/pgSQL keeps the query's plan for the session, while a SQL function
--   that cannot be inlined (this one has subqueries) is planned again in every statement that
--   calls it: 2-3 ms a call, most of calculate_schema_hash's cost when a client asks for one
--   table per round trip. No search_path in its SET clause: it reads the caller's (see above).
CREATE FUNCTION pggit.table_definition(p_relid oid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET jit = off AS $$
BEGIN
    RETURN (SELECT jsonb_strip_nulls(jsonb_build_object(
        'type', 'table',
        'name', c.relname,
        'partition_key', CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
        'unlogged', CASE WHEN c.relpersistence = 'u' THEN true END,
        'row_security', CASE WHEN c.relrowsecurity THEN true END,
        'comment', (SELECT ds.description FROM pg_description ds
                     WHERE ds.objoid = c.oid AND ds.classoid = 'pg_class'::regclass AND ds.objsubid = 0),
        'columns', coalesce((
            SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
                       'name', a.attname,
                       'type', format_type(a.atttypid, a.atttypmod),
                       'not_null', a.attnotnull,
                       'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                       'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END,
                       'identity', CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
                       'collation', CASE WHEN a.attcollation <> t.typcollation THEN
                                        (SELECT CASE WHEN co.collnamespace = 'pg_catalog'::regnamespace
                                                     THEN quote_ident(co.collname)
                                                     ELSE co.oid::regcollation::text END
                                           FROM pg_collation co WHERE co.oid = a.attcollation) END,
                       'comment', cd.description
                   )) ORDER BY a.attnum)
              FROM pg_attribute a
              JOIN pg_type t ON t.oid = a.atttypid
              LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
              LEFT JOIN pg_description cd
                     ON cd.objoid = a.attrelid AND cd.classoid = 'pg_class'::regclass AND cd.objsubid = a.attnum
             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'::jsonb),
        'constraints', (
            SELECT jsonb_object_agg(k.conname, jsonb_strip_nulls(jsonb_build_object(
                       'definition', pg_get_constraintdef(k.oid),
                       'comment', kd.description)))
              FROM pg_constraint k
              LEFT JOIN pg_description kd
                     ON kd.objoid = k.oid AND kd.classoid = 'pg_constraint'::regclass AND kd.objsubid = 0
             WHERE k.conrelid = c.oid),
        'indexes', (
            SELECT jsonb_object_agg(ic.relname, jsonb_strip_nulls(jsonb_build_object(
                       'definition', pggit.unqualify(pg_get_indexdef(i.indexrelid), n.nspname, c.relname),
                       'comment', id.description)))
              FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
              LEFT JOIN pg_description id
                     ON id.objoid = i.indexrelid AND id.classoid = 'pg_class'::regclass AND id.objsubid = 0
             WHERE i.indrelid = c.oid
               AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                WHERE k.conrelid = c.oid AND k.conindid = i.indexrelid)),
        'triggers', (
            SELECT jsonb_object_agg(tg.tgname,
                       pggit.unqualify(pg_get_triggerdef(tg.oid), n.nspname, c.relname))
              FROM pg_trigger tg
             WHERE tg.tgrelid = c.oid AND NOT tg.tgisinternal
               AND tg.tgname !~ '^pggit_')  -- data-branch capture triggers are pggit's, not the table's
    ))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = p_relid AND c.relkind IN ('r', 'p'));
END;
$$;

-- table_definition_of(relid): table_definition read with search_path = pg_catalog, <the table's
-- own schema> (the precondition above), which the SET clause puts back on return. NULL for a
-- relation that does not exist.
CREATE FUNCTION pggit.table_definition_of(p_relid oid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    PERFORM set_config('search_path', 'pg_catalog, ' || quote_ident(
        (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = p_relid)), true);
    RETURN pggit.table_definition(p_relid);
END;
$$;

-- namespace_objects(namespace, serialize)
-- Purpose: every tracked object of one namespace with its oid (tracked_owner's numbering) and
--   its definition. Extension members and pggit's internal objects (name prefix "pggit_") are
--   excluded, as are identity sequences (part of their column). The definition is computed
--   only for the oids in serialize (for all when serialize is NULL) and is NULL for the
--   others, which costs a catalog lookup per object and no deparsing. The caller sets
--   search_path (see table_definition). No SET clause: inlined into workspace_objects' query.
--   The namespace's members are found through pg_depend's reference index (every table, view,
--   sequence, function and standalone type records a dependency on its namespace, moved by
--   SET SCHEMA): pg_class, pg_proc and pg_type have no index on their namespace column, so a
--   filter on it alone scanned those catalogs whole, work that grew with every branch's
--   workspace (500 branches of a 5-table schema: 10,000 pg_class rows read per namespace).
--   Those columns are not filtered on at all: a filter on one lets the planner answer with a
--   whole-catalog scan, or with a full scan of an index that ends with it (pg_proc's
--   proname_args_nsp), instead of a lookup by oid per member.
CREATE FUNCTION pggit.namespace_objects(p_namespace oid, p_serialize oid[] DEFAULT NULL)
RETURNS TABLE (object_type text, object_name text, object_oid oid, definition jsonb)
LANGUAGE sql STABLE AS $$
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

-- committable_table_definition(relid)
-- Purpose: the definition a commit would store now for one table of a workspace namespace
--   (namespace_objects restricted to its oid, serialized in its own schema: partitions carry
--   their bound), without listing or serializing anything else; NULL when the relation does
--   not exist or is not a tracked table (an extension's member, pggit's own, not a table).
--   Its hash_definition is the table's entry in the tree a commit would make.
-- Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.committable_table_definition(p_relid oid) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_namespace oid;
BEGIN
    SELECT c.relnamespace INTO v_namespace FROM pg_class c WHERE c.oid = p_relid;
    IF v_namespace IS NULL THEN
        RETURN NULL;
    END IF;
    -- same-schema references deparse unqualified; the SET clause restores search_path
    PERFORM set_config('search_path', 'pg_catalog, ' || quote_ident(v_namespace::regnamespace::text), true);
    RETURN (SELECT o.definition FROM pggit.namespace_objects(v_namespace, ARRAY[p_relid]) o
             WHERE o.object_oid = p_relid AND o.object_type = 'table');
END;
$$;

-- object_key(type, schema, name): the tree key of an object, e.g. table:public.users.
-- Inlined by the planner (no SET clause; every function and operator schema-qualified): it
-- runs once per object of every snapshot.
CREATE FUNCTION pggit.object_key(p_type text, p_schema text, p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_type OPERATOR(pg_catalog.||) ':' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(p_schema)
           OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||)
           CASE WHEN p_type OPERATOR(pg_catalog.=) ANY (ARRAY['function', 'procedure']) THEN p_name
                ELSE pg_catalog.quote_ident(p_name) END
$$;

-- workspace_objects(branch_id, serialize)
-- Purpose: every tracked object of a branch's workspace, read from the catalog and keyed by
--   logical schema, with its oid; its current definition and hash only for the oids in
--   serialize (all when NULL, the default).
-- Locks: none (catalog reads).
CREATE FUNCTION pggit.workspace_objects(p_branch_id bigint, p_serialize oid[] DEFAULT NULL)
RETURNS TABLE (object_key text, object_type text, schema_name text, object_name text,
               object_oid oid, definition jsonb, hash text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_ns record;
BEGIN
    FOR v_ns IN SELECT * FROM pggit.branch_namespaces(p_branch_id) LOOP
        -- Same-schema references deparse unqualified (see the file header); the function's
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

-- store_tree(branch_id, parent_tree, changed)
-- Purpose: snapshot a branch's workspace: store new definitions and the tree (each once per
--   distinct hash; a tree already stored writes nothing). Tree hash = SHA-256 of the sorted
--   lines "<object key> <object hash>". With changed, only the objects in changed plus those
--   the parent tree has no entry for are re-serialized, and every other object's hash is
--   taken from the parent tree (see the file header); changed NULL (the default), or more
--   changed objects than a quarter of the parent's entries: serialize all.
-- Returns: the tree hash.  Locks: none beyond the inserted rows.
CREATE FUNCTION pggit.store_tree(p_branch_id bigint, p_parent_tree text DEFAULT NULL,
                                 p_changed oid[] DEFAULT NULL) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
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

-- table_name_parts(name)
-- Purpose: a user-supplied table name ("name" or "schema.name", quoted identifiers allowed)
--   split into its identifiers, for every function that takes a table by name.
-- Errors: PGT01 NULL, empty, syntactically invalid, or more than schema.table.
CREATE FUNCTION pggit.table_name_parts(p_name text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_parts text[];
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT01', MESSAGE = 'table name must not be NULL or empty',
            HINT = 'Pass "table" or "schema.table"; quote identifiers that need it.';
    END IF;
    BEGIN
        v_parts := parse_ident(p_name);
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT01',
            MESSAGE = format('invalid table name %L', left(p_name, 200)),
            HINT = 'Pass "table" or "schema.table"; double-quote identifiers with special characters, e.g. "My Table".';
    END;
    IF cardinality(v_parts) > 2 THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT01',
            MESSAGE = format('invalid table name %L: at most schema.table', left(p_name, 200)),
            HINT = 'Cross-database references are not supported.';
    END IF;
    RETURN v_parts;
END;
$$;

-- resolve_table(name)
-- Purpose: the table a user-supplied "name" or "schema.name" (quoted identifiers allowed)
--   denotes; an unqualified name is looked up in the tracked schemas in name order.
-- Returns: the relation's oid, or NULL when it does not exist.
-- Errors: PGT01 empty or syntactically invalid name; PGT03 the name is not a table.
CREATE FUNCTION pggit.resolve_table(p_name text) RETURNS oid
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_parts text[];
    v_oid   oid;
    v_kind  "char";
BEGIN
    v_parts := pggit.table_name_parts(p_name);
    IF cardinality(v_parts) = 2 THEN
        SELECT c.oid, c.relkind INTO v_oid, v_kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = v_parts[1] AND c.relname = v_parts[2];
    ELSE
        SELECT c.oid, c.relkind INTO v_oid, v_kind
          FROM pggit.tracked_schemas t
          JOIN pg_namespace n ON n.nspname = t.schema_name
          JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = v_parts[1]
         ORDER BY t.schema_name LIMIT 1;
    END IF;
    IF v_oid IS NOT NULL AND v_kind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION USING ERRCODE = 'PGT03',
            MESSAGE = format('%s is a %s, not a table', p_name, CASE v_kind
                WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'S' THEN 'sequence'
                WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'f' THEN 'foreign table'
                WHEN 'c' THEN 'composite type' ELSE 'relation' END),
            HINT = 'Pass an ordinary or partitioned table.';
    END IF;
    RETURN v_oid;
END;
$$;

-- calculate_schema_hash(table)
-- Purpose: SHA-256 hex of the table's normalized definition (see table_definition):
--   independent of OIDs, dropped columns, creation order of constraints and indexes, the
--   schema and the database; equal to the table's object hash in commit trees.
-- Arguments: table text: "name" or "schema.name", quoted identifiers allowed.
-- Returns: the hash, or NULL when the table does not exist (never an error for that).
-- Errors: PGT01 empty/invalid name; PGT03 the relation is not a table.  Locks: none.
CREATE FUNCTION pggit.calculate_schema_hash("table" text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_oid oid := pggit.resolve_table("table");
BEGIN
    IF v_oid IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN pggit.hash_definition(pggit.table_definition_of(v_oid));
END;
$$;

-- changed_objects(commit_id)
-- Purpose: the objects a commit must re-serialize: the owners of its DDL events (already
--   attached to it) and everything that depends on them, transitively (see the file header).
-- Returns: their oids (tracked_owner's numbering), or NULL when the commit needs a full
--   snapshot because an event cannot be followed.
-- Errors: none.  Locks: none (catalog reads).
CREATE FUNCTION pggit.changed_objects(p_commit_id bigint) RETURNS oid[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
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
