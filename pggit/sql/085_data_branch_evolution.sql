-- django-pggit core: a data-branched table's structure changed on its branch, and merged.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- A branch made with data reads a table's rows through its data branch (080_data_branches.sql)
-- and keeps the table's structure in its workspace, as for any other table: the workspace's
-- copy of the table (empty) is what DDL on the branch changes and what its commits record. A
-- migration that adds a column to such a table (Django's AddField, the most common one) runs
-- there as anywhere else; the data branch then follows the copy's new structure (evolves):
--   ADD COLUMN        the delta and pre-image tables get the column (moved to a store of their
--                     own first: own_data_store), and the view serves, for the source's rows
--                     (main's, which have no such column), the value the ADD COLUMN gave the
--                     existing rows: PostgreSQL keeps it with the column
--                     (pg_attribute.attmissingval: a non-volatile default, evaluated once by the
--                     ADD COLUMN), NULL for a column added without a default. It is captured
--                     when the data branch evolves (right after the statement: the event trigger
--                     calls evolve), stored in data_branches.added_values and never evaluated
--                     again, so "ADD COLUMN ... DEFAULT 0 NOT NULL" then "DROP DEFAULT" (what
--                     Django emits) leaves main's rows at 0 on the branch;
--   DROP COLUMN       of a column the branch added: it goes from the delta and pre-image tables;
--   SET/DROP DEFAULT  the view's column default follows the branch's;
--   CREATE/DROP INDEX, constraints, comments: nothing to follow (the view has no index; the
--                     merge creates them on the target's table, which checks its rows).
-- Anything else would make the view disagree with the structure the branch shows (a type or
-- nullability change, a rename, dropping a column of the source, a new primary key, a generated
-- or identity column, a volatile default, NOT NULL without a value for the existing rows,
-- dropping the table): refused (PGW03, PGW04) with nothing changed.
-- Why this design: the source table stays untouched on main's path (no branch's column may
-- appear there before the merge), no row is copied, and the value of the new column for main's
-- rows is fixed once, as the ADD COLUMN fixed it for the rows it filled.
--
-- The merge (complete_merge, 090_merge.sql) brings it to the target in this order, in one
-- transaction: the columns the data branch added are added to the target's table first, with
-- the value the branch's rows of main had as a default, so a NOT NULL column fills the existing
-- rows instead of failing (add_data_branch_columns); then the rest of the schema change (the
-- tree's DDL: dropping that default, indexes...); then the data branch is rebased onto the new
-- structure (rebase_data_branch, which keeps the branch's values of the columns it added) and
-- its rows are merged as any data branch's.

-- data_branch_copy(data_branch): the branch's own copy of the table (in its workspace), NULL
-- when it is gone.
CREATE FUNCTION pggit.data_branch_copy(d pggit.data_branches) RETURNS oid
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT c.oid FROM pggit.workspaces w
      JOIN pg_namespace n ON n.nspname = w.namespace
      JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = d.table_name AND c.relkind = 'r'
     WHERE w.branch_id = d.branch_id AND w.logical_schema = d.logical_schema
$$;

-- refuse_structure_change(data_branch, what, hint): PGW03 naming the table, its branch and the
-- change that a data branch cannot follow.
CREATE FUNCTION pggit.refuse_structure_change(d pggit.data_branches, p_what text, p_hint text DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'PGW03',
        MESSAGE = format('cannot %s table %I.%I on branch %L: the branch reads its rows through a data branch',
                         p_what, d.logical_schema, d.table_name,
                         (SELECT b.name FROM pggit.branches b WHERE b.id = d.branch_id)),
        HINT = coalesce(p_hint, 'A data-branched table can get new columns, defaults and indexes on its branch. '
                                'Make this change on main, or create the branch with data for the other tables '
                                'only (pggit_branch create NAME --with-data --tables ...).');
END;
$$;

-- added_column_value(copy, attnum, data_branch)
-- Purpose: the value a column just added to a branch's copy of a data-branched table gives the
--   source's rows, as a SQL literal of the column's type: the value the ADD COLUMN stored for
--   existing rows (attmissingval: PostgreSQL keeps it for a non-volatile default), else NULL
--   for a column without a default.
-- Errors: PGW04 a default but no kept value: a volatile default (each row would get its own
--   value; a default set after the column was added when evolving late, without event
--   triggers, looks the same), or a NOT NULL column without a value; PGW03 a generated or
--   identity column.
CREATE FUNCTION pggit.added_column_value(p_copy oid, p_attnum smallint, d pggit.data_branches) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    a pg_attribute;
    v_default text;
    v_value text;
BEGIN
    SELECT * INTO a FROM pg_attribute WHERE attrelid = p_copy AND attnum = p_attnum;
    IF a.attgenerated <> '' OR a.attidentity <> '' THEN
        PERFORM pggit.refuse_structure_change(d, format('add the %s column %I to',
                                                        CASE WHEN a.attidentity <> '' THEN 'identity' ELSE 'generated' END,
                                                        a.attname));
    END IF;
    SELECT pg_get_expr(ad.adbin, ad.adrelid) INTO v_default FROM pg_attrdef ad
     WHERE ad.adrelid = p_copy AND ad.adnum = p_attnum;
    IF a.atthasmissing THEN
        v_value := (a.attmissingval::text::text[])[1];
    ELSIF v_default IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'PGW04',
            MESSAGE = format('cannot add column %I to table %I.%I on a data branch: its default %s is volatile',
                             a.attname, d.logical_schema, d.table_name, v_default),
            HINT = 'Each of main''s rows would get its own value. Add the column without a default (or with a '
                   'constant one) and fill it in a data migration.';
    END IF;
    IF v_value IS NULL AND a.attnotnull THEN
        RAISE EXCEPTION USING ERRCODE = 'PGW04',
            MESSAGE = format('cannot add column %I to table %I.%I on a data branch: it is NOT NULL and main''s rows have no value for it',
                             a.attname, d.logical_schema, d.table_name),
            HINT = 'Add it with a default (Django: a default on the field), or nullable.';
    END IF;
    RETURN format('%s::%s', coalesce(quote_literal(v_value), 'NULL'), format_type(a.atttypid, a.atttypmod));
END;
$$;

-- evolve_data_branch_structure(id)
-- Purpose: bring a live data branch to its branch's copy of the table (see the file header):
--   columns added at the copy's end are added to the delta and pre-image tables (their value
--   for the source's rows: added_column_value) and the view; columns the branch had added and
--   dropped go; the view's defaults follow the copy's where the branch changed them. Nothing
--   when the structure already matches.
-- Returns: whether it changed the data branch.
-- Errors: PGW03 a change it cannot follow (naming it); PGW04 (added_column_value).
-- Locks: the data branch row FOR UPDATE.
CREATE FUNCTION pggit.evolve_data_branch_structure(p_id bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_internal text := pggit.begin_internal();
    d pggit.data_branches;
    v_copy oid;
    v_names text[];
    v_changed boolean := false;
    v_what text;
    c record;
    v_keep text[] := '{}';
    v_keep_values text[] := '{}';
    v_keep_numbers smallint[] := '{}';
    v_dropped text[] := '{}';
    v_value text;
    v_copy_def jsonb;
    v_source_def jsonb;
BEGIN
    SELECT * INTO d FROM pggit.data_branches WHERE id = p_id AND status = 'ACTIVE' FOR UPDATE;
    IF d.id IS NULL THEN
        PERFORM pggit.end_internal(v_internal);
        RETURN false;
    END IF;
    v_copy := pggit.data_branch_copy(d);
    IF v_copy IS NULL THEN
        PERFORM pggit.refuse_structure_change(d, 'drop',
            format('Delete its data branch first: SELECT pggit.delete_data_branch(%L, %L).',
                   format('%I.%I', d.logical_schema, d.table_name),
                   (SELECT b.name FROM pggit.branches b WHERE b.id = d.branch_id)));
    END IF;
    v_names := ARRAY(SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = v_copy AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum);
    -- the source's columns: first, in order, with the types and nullability the view serves
    v_what := (SELECT string_agg(quote_ident(x.c), ', ') FROM unnest(d.columns) x(c) WHERE x.c <> ALL (v_names));
    IF v_what IS NOT NULL THEN
        PERFORM pggit.refuse_structure_change(d, 'drop or rename column ' || v_what || ' of');
    END IF;
    -- the columns the branch added: kept (same number and name), dropped, or renamed (refused)
    FOR c IN SELECT x.name, x.value, x.num, a.attname::text AS now_named
               FROM unnest(d.added_columns, d.added_values, d.added_numbers) WITH ORDINALITY x(name, value, num, o)
               LEFT JOIN pg_attribute a ON a.attrelid = v_copy AND a.attnum = x.num AND NOT a.attisdropped
              ORDER BY x.o LOOP
        IF c.now_named IS NULL THEN
            v_dropped := v_dropped || c.name;
        ELSIF c.now_named <> c.name THEN
            PERFORM pggit.refuse_structure_change(d, format('rename column %I of', c.name));
        ELSE
            v_keep := v_keep || c.name;
            v_keep_values := v_keep_values || c.value;
            v_keep_numbers := v_keep_numbers || c.num;
        END IF;
    END LOOP;
    IF v_names[1:cardinality(d.columns) + cardinality(v_keep)] IS DISTINCT FROM d.columns || v_keep THEN
        PERFORM pggit.refuse_structure_change(d, 'reorder the columns of');
    END IF;
    v_what := (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                 FROM pg_attribute a JOIN pg_attribute x ON x.attrelid = to_regclass(d.delta_table) AND x.attname = a.attname
                WHERE a.attrelid = v_copy AND a.attnum > 0 AND NOT a.attisdropped
                  AND (a.atttypid, a.atttypmod, a.attcollation, a.attnotnull)
                      IS DISTINCT FROM (x.atttypid, x.atttypmod, x.attcollation, x.attnotnull));
    IF v_what IS NOT NULL THEN
        PERFORM pggit.refuse_structure_change(d, 'change the type or nullability of column ' || v_what || ' of');
    END IF;
    IF (SELECT array_agg(a.attname::text ORDER BY k.o)
          FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, o)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
         WHERE i.indrelid = v_copy AND i.indisprimary) IS DISTINCT FROM d.key_columns THEN
        PERFORM pggit.refuse_structure_change(d, 'change the primary key of');
    END IF;
    IF cardinality(v_dropped) > 0 THEN
        -- the view uses them (CREATE OR REPLACE VIEW cannot drop a column): made again below
        EXECUTE format('DROP VIEW %s', d.view_name);
        d := pggit.own_data_store(d.id);  -- the store's other data branches keep the columns
        EXECUTE format('ALTER TABLE %s %s', d.delta_table,
                       (SELECT string_agg(format('DROP COLUMN %I', x), ', ') FROM unnest(v_dropped) x));
        EXECUTE format('ALTER TABLE %s %s', d.preimage_table,
                       (SELECT string_agg(format('DROP COLUMN %I', x), ', ') FROM unnest(v_dropped) x));
        v_changed := true;
    END IF;
    -- new columns (after the ones the data branch has)
    FOR c IN SELECT a.attnum, a.attname::text AS name, a.attnotnull,
                    format_type(a.atttypid, a.atttypmod)
                    || CASE WHEN a.attcollation <> t.typcollation
                            THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END AS type
               FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
              WHERE a.attrelid = v_copy AND a.attnum > 0 AND NOT a.attisdropped
                AND a.attname <> ALL (d.columns || v_keep)
              ORDER BY a.attnum LOOP
        v_value := pggit.added_column_value(v_copy, c.attnum, d);
        d := pggit.own_data_store(d.id);  -- the store's other data branches do not get the column
        -- existing delta and pre-image rows get the value too (rows the branch changed before
        -- the ADD COLUMN got it on the branch; pre-images are source rows), and so do
        -- pre-images saved from now on (capture_source_changes copies the source's columns)
        EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s DEFAULT %s%s', d.delta_table, c.name, c.type, v_value,
                       CASE WHEN c.attnotnull THEN ' NOT NULL' ELSE '' END);
        EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s DEFAULT %s', d.preimage_table, c.name, c.type, v_value);
        v_keep := v_keep || c.name;
        v_keep_values := v_keep_values || v_value;
        v_keep_numbers := v_keep_numbers || c.attnum;
        v_changed := true;
    END LOOP;
    IF v_changed THEN
        UPDATE pggit.data_branches
           SET added_columns = v_keep, added_values = v_keep_values, added_numbers = v_keep_numbers
         WHERE id = d.id;
        IF cardinality(v_dropped) > 0 THEN
            PERFORM pggit.create_data_branch_view(d.id);
        ELSE
            EXECUTE pggit.data_branch_view_sql(d.id);
        END IF;
    END IF;
    -- the view's defaults: the branch's where its copy's differ from the source's (the others,
    -- identity columns above all, keep drawing from the source's sequences)
    v_copy_def := pggit.table_definition_of(v_copy);
    v_source_def := pggit.table_definition_of(d.source_relid);
    FOR c IN SELECT x.col->>'name' AS name, pg_get_expr(ad.adbin, ad.adrelid) AS expr
               FROM jsonb_array_elements(v_copy_def->'columns') x(col)
               JOIN pg_attribute a ON a.attrelid = v_copy AND a.attname = x.col->>'name'
               LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
              WHERE x.col->>'identity' IS NULL AND x.col->>'generated' IS NULL
                AND (x.col->>'name' = ANY (v_keep)
                     OR (x.col->>'default') IS DISTINCT FROM
                        (SELECT s.col->>'default' FROM jsonb_array_elements(v_source_def->'columns') s(col)
                          WHERE s.col->>'name' = x.col->>'name')) LOOP
        EXECUTE format('ALTER VIEW %s ALTER COLUMN %I %s', d.view_name, c.name,
                       coalesce('SET DEFAULT ' || c.expr, 'DROP DEFAULT'));
    END LOOP;
    PERFORM pggit.end_internal(v_internal);
    RETURN v_changed;
END;
$$;

-- evolve_data_branch(table, branch): the public entry of evolve_data_branch_structure, for
-- DDL run without event triggers (an install by a role that is not a superuser; the DDL event
-- trigger calls it otherwise). Calling it again changes nothing. table is "name" or
-- "schema.name"; returns the branch's table (its view). Errors: PGB0x branch; PGT01 invalid
-- name; PGY02 no live data branch of it; PGW03, PGW04 (see above). Locks: the data branch row.
CREATE FUNCTION pggit.evolve_data_branch("table" text, branch text) RETURNS text
LANGUAGE sql SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT d.view_name FROM pggit.find_data_branch(evolve_data_branch."table", evolve_data_branch.branch) d
     CROSS JOIN LATERAL pggit.evolve_data_branch_structure(d.id) x
$$;

-- evolve_data_branches_of(relids): the DDL event trigger's call (capture_ddl_command): evolve
-- the live data branches whose branch's copy of the table is one of the altered tables.
-- It runs for every DDL statement: nothing to do without an altered table, and the altered
-- tables are looked up first (one index probe each), not joined with every live data branch
-- (which cost 0.5-1.7 ms per statement with 300 of them, pggit's own DDL included).
CREATE FUNCTION pggit.evolve_data_branches_of(p_relids oid[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_id bigint;
BEGIN
    IF coalesce(cardinality(p_relids), 0) = 0 THEN
        RETURN;
    END IF;
    FOR v_id IN WITH altered AS MATERIALIZED (
                    SELECT n.nspname::text AS nspname, c.relname::text AS relname FROM unnest(p_relids) r(relid)
                      JOIN pg_class c ON c.oid = r.relid
                      JOIN pg_namespace n ON n.oid = c.relnamespace)
                SELECT DISTINCT d.id
                  FROM altered a
                  JOIN pggit.workspaces w ON w.namespace = a.nspname
                  JOIN pggit.data_branches d ON d.branch_id = w.branch_id AND d.logical_schema = w.logical_schema
                                            AND d.table_name = a.relname AND d.status = 'ACTIVE' LOOP
        PERFORM pggit.evolve_data_branch_structure(v_id);
    END LOOP;
END;
$$;

-- refuse_data_branch_copy_drop(schemas, names): the sql_drop event trigger's call
-- (capture_ddl_drop): dropping a branch's copy of a table its data branch serves would leave
-- the data branch without a structure.
-- Errors: PGW03 naming the table and how to go on.
CREATE FUNCTION pggit.refuse_data_branch_copy_drop(p_schemas text[], p_names text[]) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    d pggit.data_branches;
BEGIN
    IF cardinality(p_names) = 0 THEN
        RETURN;
    END IF;
    SELECT x.* INTO d FROM unnest(p_schemas, p_names) t(schema_name, table_name)
      JOIN pggit.workspaces w ON w.namespace = t.schema_name
      JOIN pggit.data_branches x ON x.branch_id = w.branch_id AND x.logical_schema = w.logical_schema
                                AND x.table_name = t.table_name AND x.status = 'ACTIVE'
     LIMIT 1;
    IF d.id IS NOT NULL THEN
        PERFORM pggit.evolve_data_branch_structure(d.id);  -- raises: its copy is gone
    END IF;
END;
$$;

-- data_branch_added_columns(data_branch_ids)
-- Purpose: the columns the branches of these data branches added to their tables that the
--   tables (the data branches' sources) do not have yet: each with the statement that adds it
--   to the source with the value the branch's rows of it had as the default (NOT NULL as on the
--   branch), and its entry in a table definition (table_definition's format) as that statement
--   makes it. Read by add_data_branch_columns (the merge) and merge_preview.
-- Returns: (data_branch_id, object_key, statement, definition jsonb), in column order.
CREATE FUNCTION pggit.data_branch_added_columns(p_ids bigint[])
RETURNS TABLE (data_branch_id bigint, object_key text, statement text, definition jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT d.id, pggit.object_key('table', d.logical_schema, d.table_name),
           format('ALTER TABLE %I ADD COLUMN %I %s%s%s', d.table_name, x.name,
                  format_type(a.atttypid, a.atttypmod)
                  || CASE WHEN a.attcollation <> t.typcollation
                          THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END,
                  ' DEFAULT ' || v.value, CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END),
           jsonb_strip_nulls(jsonb_build_object('name', x.name, 'type', format_type(a.atttypid, a.atttypmod),
                                                'not_null', a.attnotnull, 'default', v.value))
      FROM pggit.data_branches d
     CROSS JOIN LATERAL unnest(d.added_columns, d.added_values) WITH ORDINALITY x(name, given, o)
     -- a NULL value is no default (PostgreSQL stores none for DEFAULT NULL)
     CROSS JOIN LATERAL (SELECT CASE WHEN x.given NOT LIKE 'NULL::%' THEN x.given END AS value) v
      JOIN pg_attribute a ON a.attrelid = to_regclass(d.delta_table) AND a.attname = x.name
      JOIN pg_type t ON t.oid = a.atttypid
     WHERE d.id = ANY (p_ids)
       AND NOT EXISTS (SELECT 1 FROM pg_attribute s WHERE s.attrelid = d.source_relid
                          AND s.attname = x.name AND NOT s.attisdropped)
     ORDER BY d.id, x.o
$$;

-- add_data_branch_columns(data_branch_ids, target_id, record)
-- Purpose: the first step of a merge that brings data branches whose branch added columns to
--   their table: add those columns to the target's table (data_branch_added_columns), so the
--   target's existing rows are filled with the branch's values. Run as the merge's DDL
--   (apply_tree; with record, logged as the target's pending DDL). Columns the target's table
--   has already are left to the 3-way merge of the schemas.
-- Returns: the target's tree entries of those tables as they are now (jsonb {object_key:
--   hash}, their definitions stored): apply_tree starts from them, so the rest of the schema
--   change (dropping that default, indexes...) follows.
-- Errors: PGM03 the source branch has uncommitted changes (the columns would not be in the
--   merged schema); the failing statement's own.
CREATE FUNCTION pggit.add_data_branch_columns(p_ids bigint[], p_target_id bigint, p_record boolean)
RETURNS jsonb
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    v_statements jsonb;
    v_entries jsonb := '{}';
    d pggit.data_branches;
    v_definition jsonb;
BEGIN
    SELECT jsonb_agg(jsonb_build_object('object_key', c.object_key, 'statement', c.statement) ORDER BY c.o),
           array_agg(DISTINCT c.data_branch_id)
      INTO v_statements, p_ids
      FROM pggit.data_branch_added_columns(p_ids) WITH ORDINALITY c(data_branch_id, object_key, statement, definition, o);
    IF v_statements IS NULL THEN
        RETURN '{}';
    END IF;
    PERFORM pggit.refuse_uncommitted(b) FROM pggit.branches b
      WHERE b.id IN (SELECT x.branch_id FROM pggit.data_branches x WHERE x.id = ANY (p_ids));
    PERFORM pggit.apply_tree(p_target_id, '{}', '{}', v_statements, p_record);
    FOR d IN SELECT * FROM pggit.data_branches WHERE id = ANY (p_ids) LOOP
        v_definition := pggit.committable_table_definition(d.source_relid);
        INSERT INTO pggit.objects (hash, object_type, definition)
        VALUES (pggit.hash_definition(v_definition), 'table', v_definition) ON CONFLICT (hash) DO NOTHING;
        v_entries := v_entries || jsonb_build_object(pggit.object_key('table', d.logical_schema, d.table_name),
                                                     pggit.hash_definition(v_definition));
    END LOOP;
    RETURN v_entries;
END;
$$;

-- preview_added_columns(tree, data_branch_ids)
-- Purpose: merge_preview's view of add_data_branch_columns, without running it: the statements
--   it would run, and the tree with those tables' definitions as the statements would leave
--   them (stored), for tree_ddl to start from.
-- Returns: (statements jsonb [text], tree jsonb).
CREATE FUNCTION pggit.preview_added_columns(p_tree jsonb, p_ids bigint[], OUT statements jsonb, OUT tree jsonb)
LANGUAGE plpgsql SET search_path = pg_catalog, pggit SET jit = off AS $$
DECLARE
    c record;
    v_definition jsonb;
BEGIN
    statements := '[]';
    tree := p_tree;
    FOR c IN SELECT a.object_key, jsonb_agg(a.statement ORDER BY a.o) AS statements,
                    jsonb_agg(a.definition ORDER BY a.o) AS columns
               FROM pggit.data_branch_added_columns(p_ids) WITH ORDINALITY a(data_branch_id, object_key, statement, definition, o)
              WHERE p_tree ? a.object_key
              GROUP BY a.object_key LOOP
        v_definition := (SELECT o.definition FROM pggit.objects o WHERE o.hash = p_tree->>c.object_key);
        v_definition := jsonb_set(v_definition, '{columns}', (v_definition->'columns') || c.columns);
        INSERT INTO pggit.objects (hash, object_type, definition)
        VALUES (pggit.hash_definition(v_definition), 'table', v_definition) ON CONFLICT (hash) DO NOTHING;
        tree := jsonb_set(tree, ARRAY[c.object_key], to_jsonb(pggit.hash_definition(v_definition)));
        statements := statements || c.statements;
    END LOOP;
END;
$$;
