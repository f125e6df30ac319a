-- django-pggit core: schema snapshots, content-addressed object definitions, schema hashing.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
--
-- A tracked object (table, view, materialized view, sequence, function/procedure, enum, domain,
-- composite type) is serialized to a normalized jsonb definition. Normalized means: no OIDs,
-- no dropped-column leftovers, constraints/indexes/triggers keyed by name (creation order does
-- not matter), and references to objects of the object's own schema written unqualified
-- (serialization runs with search_path = pg_catalog, <that schema>), so the same DDL in two
-- schemas or two databases gives the same definition. Its SHA-256 is the object's hash.
-- A tree maps object keys ("table:public.users") to object hashes; its hash covers the sorted
-- entries. Definitions and trees are stored once per distinct hash.

CREATE TABLE pggit.tracked_schemas (
    schema_name text PRIMARY KEY
                CHECK (schema_name <> 'pggit' AND schema_name !~ '^pg_' AND schema_name !~ '^pggit_b[0-9]'),
    added_at    timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pggit.tracked_schemas IS
    'Schemas whose objects main''s commits snapshot (synced from settings.PGGIT["TRACKED_SCHEMAS"]).';
INSERT INTO pggit.tracked_schemas (schema_name) VALUES ('public');

CREATE TABLE pggit.objects (
    hash        text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    object_type text NOT NULL,
    definition  jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pggit.objects IS 'Content-addressed object definitions: one row per distinct hash.';

CREATE TABLE pggit.trees (
    hash       text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    entries    jsonb NOT NULL,   -- {"table:public.users": "<object hash>", ...}
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pggit.trees IS 'Content-addressed trees: object key -> object hash.';

-- The empty tree exists from the start, so every commit's tree_hash has a row.
INSERT INTO pggit.trees (hash, entries) VALUES (encode(sha256(''::bytea), 'hex'), '{}');
ALTER TABLE pggit.commits
    ADD CONSTRAINT commits_tree_hash_fkey FOREIGN KEY (tree_hash) REFERENCES pggit.trees (hash);

-- set_tracked_schemas(schemas)
-- Purpose: replace the list of tracked schemas (used by the Django app's post_migrate sync);
--   a change makes main's next commit read the catalog.
-- Arguments: schemas text[] of existing schema names, not pggit or pg_*.
-- Errors: PGT05 for an unknown or forbidden schema.  Locks: pggit.tracked_schemas rows.
CREATE FUNCTION pggit.set_tracked_schemas(schemas text[]) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pggit
AS $$
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
               current_user
          FROM pggit.branches b WHERE b.name = 'main' AND b.status <> 'DELETED';
    END IF;
END;
$$;

CREATE TABLE pggit.workspaces (
    branch_id      bigint NOT NULL REFERENCES pggit.branches (id),
    logical_schema text NOT NULL,
    namespace      text NOT NULL UNIQUE,
    PRIMARY KEY (branch_id, logical_schema)
);
COMMENT ON TABLE pggit.workspaces IS
    'Namespace holding a branch''s version of each tracked schema (main''s are the schemas '
    'themselves and are not listed). Names are derived from the branch id: pggit_b<id>_<n>.';

-- Copy-on-write data branches of a branch's tables (see 090_data_branches.sql).
CREATE TABLE pggit.data_branches (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid            uuid NOT NULL DEFAULT pggit.generate_trinity_id()::uuid UNIQUE,
    branch_id       bigint NOT NULL REFERENCES pggit.branches (id),
    from_branch_id  bigint NOT NULL REFERENCES pggit.branches (id),
    logical_schema  text NOT NULL,
    table_name      text NOT NULL,
    source_relid    oid NOT NULL,      -- from_branch's table
    source_name     text NOT NULL,     -- its qualified name, for messages and SQL
    view_name       text NOT NULL,     -- the branch's table (qualified)
    delta_table     text NOT NULL,     -- qualified
    preimage_table  text NOT NULL,     -- qualified
    key_columns     text[] NOT NULL,
    columns         text[] NOT NULL,
    status          text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'MERGED', 'DROPPED')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz
);
CREATE UNIQUE INDEX data_branches_live_key ON pggit.data_branches (branch_id, logical_schema, table_name)
    WHERE status = 'ACTIVE';
CREATE INDEX data_branches_source_idx ON pggit.data_branches (source_relid) WHERE status = 'ACTIVE';
COMMENT ON TABLE pggit.data_branches IS 'Copy-on-write data branches: one table''s rows for one branch.';

-- branch_namespaces(branch_id)
-- Purpose: the namespaces holding a branch's version of each tracked schema. main's
--   workspace is the tracked schemas themselves; other branches' are in pggit.workspaces.
-- Returns: (logical_schema, namespace oid), by logical schema.
CREATE FUNCTION pggit.branch_namespaces(p_branch_id bigint)
RETURNS TABLE (logical_schema text, namespace oid)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    SELECT t.schema_name, n.oid
      FROM pggit.tracked_schemas t JOIN pg_namespace n ON n.nspname = t.schema_name
     WHERE EXISTS (SELECT 1 FROM pggit.branches b WHERE b.id = p_branch_id AND b.name = 'main')
    UNION ALL
    SELECT w.logical_schema, n.oid
      FROM pggit.workspaces w JOIN pg_namespace n ON n.nspname = w.namespace
     WHERE w.branch_id = p_branch_id
     ORDER BY 1
$$;

-- hash_definition(definition): SHA-256 hex of a definition's canonical jsonb text.
CREATE FUNCTION pggit.hash_definition(p_definition jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT encode(sha256(convert_to(p_definition::text, 'UTF8')), 'hex')
$$;

-- unqualify(text, schema, name): replace "schema.name" by "name" where a deparsed definition
-- always qualifies its own table (pg_get_indexdef, pg_get_triggerdef).
-- No SET clause, so the planner inlines it: table_definition runs once per table, and a
-- non-inlined SQL function called inside it is parsed and planned again on every run.
-- Its functions are schema-qualified, so it does not depend on the caller's search_path.
CREATE FUNCTION pggit.unqualify(p_text text, p_schema name, p_name name) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
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
LANGUAGE plpgsql STABLE
AS $$
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

-- namespace_objects(namespace)
-- Purpose: every tracked object of one namespace with its definition (see table_definition
--   for the search_path precondition). Extension members and pggit's internal objects
--   (name prefix "pggit_") are excluded, as are identity sequences (part of their column).
CREATE FUNCTION pggit.namespace_objects(p_namespace oid)
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

-- object_key(type, schema, name): the tree key of an object, e.g. table:public.users.
CREATE FUNCTION pggit.object_key(p_type text, p_schema text, p_name text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog
AS $$
    SELECT p_type || ':' || quote_ident(p_schema) || '.'
        || CASE WHEN p_type IN ('function', 'procedure') THEN p_name ELSE quote_ident(p_name) END
$$;

-- workspace_objects(branch_id)
-- Purpose: the current definition and hash of every tracked object of a branch's workspace,
--   read from the catalog, keyed by logical schema.
-- Locks: none (catalog reads).
CREATE FUNCTION pggit.workspace_objects(p_branch_id bigint)
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

-- store_tree(branch_id)
-- Purpose: snapshot a branch's workspace: store new definitions and the tree (each once per
--   distinct hash) and return the tree hash. A schema whose tree is already stored writes
--   nothing. Tree hash = SHA-256 of the sorted lines "<object key> <object hash>".
-- Locks: none beyond the inserted rows.
CREATE FUNCTION pggit.store_tree(p_branch_id bigint) RETURNS text
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

-- resolve_table(name)
-- Purpose: the table a user-supplied "name" or "schema.name" (quoted identifiers allowed)
--   denotes; an unqualified name is looked up in the tracked schemas in name order.
-- Returns: the relation's oid, or NULL when it does not exist.
-- Errors: PGT01 empty or syntactically invalid name; PGT03 the name is not a table.
CREATE FUNCTION pggit.resolve_table(p_name text) RETURNS oid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_parts text[];
    v_oid   oid;
    v_kind  "char";
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
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_oid oid := pggit.resolve_table("table");
BEGIN
    IF v_oid IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('search_path',
        'pg_catalog, ' || (SELECT quote_ident(n.nspname) FROM pg_class c JOIN pg_namespace n
                            ON n.oid = c.relnamespace WHERE c.oid = v_oid), true);
    RETURN pggit.hash_definition(pggit.table_definition(v_oid));
END;
$$;

-- snapshot(branch, changed)
-- Purpose: the tree hash for a new commit on branch (called by commit_changes, which holds
--   the branch lock). When DDL capture is on and no DDL of the branch was captured since its
--   last commit (changed = false), the head's tree is reused without reading the catalog;
--   otherwise the workspace is serialized and stored.
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

-- current_branch(): the branch this session works on (pggit.checkout sets it; default main).
CREATE FUNCTION pggit.current_branch() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
AS $$
BEGIN
    RETURN coalesce(nullif(current_setting('pggit.branch', true), ''), 'main');
END;
$$;
