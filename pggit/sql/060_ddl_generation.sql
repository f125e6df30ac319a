-- django-pggit core: DDL generated from stored definitions.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- Definitions are schema-independent (same-schema references are unqualified), so the DDL
-- generated here is unqualified too: it is meant to run with search_path set to the target
-- namespace alone (pg_catalog is then searched first implicitly). Every statement carries a
-- phase (type pggit.ddl_phase, below); running statements in phase order respects
-- dependencies.

-- ddl_phase: the order DDL runs in, each phase named once (an enum sorts in declaration order).
CREATE TYPE pggit.ddl_phase AS ENUM (
    'drop_triggers_fks',                  -- triggers, foreign keys
    'drop_views_constraints',             -- views, late functions (see tree_ddl), indexes,
                                          -- other constraints
    'drop_domain_checks_rename_columns',  -- a domain's CHECKs (they may call functions), renames
    'drop_tables_functions',              -- columns, tables, functions
    'drop_types_sequences',
    'create_types',                       -- create or alter types (enums, domains, composites)
    'create_sequences',
    'create_functions',
    'add_domain_checks',                  -- after the functions they may call
    'create_tables',                      -- tables, columns, a new table's own-row constraints
    'add_constraints',                    -- other constraints, partitions attached
    'add_foreign_keys',
    'create_indexes',
    'create_views',                       -- views, materialized views, late functions
    'create_triggers',
    'comments_ownership'                  -- comments, sequence ownership, row level security
);

-- column_sql(column): a column definition for CREATE TABLE / ADD COLUMN.
CREATE FUNCTION pggit.column_sql(c jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT quote_ident(c->>'name') || ' ' || (c->>'type')
        || coalesce(' COLLATE ' || (c->>'collation'), '')
        || coalesce(' GENERATED ALWAYS AS (' || (c->>'generated') || ') STORED', '')
        || coalesce(' GENERATED ' || (c->>'identity') || ' AS IDENTITY', '')
        || coalesce(' DEFAULT ' || (c->>'default'), '')
        || CASE WHEN (c->>'not_null')::boolean THEN ' NOT NULL' ELSE '' END
$$;

-- object_name_sql(type, definition): how DDL names the object (functions with arguments).
CREATE FUNCTION pggit.object_name_sql(p_type text, d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT quote_ident(d->>'name')
        || CASE WHEN p_type IN ('function', 'procedure')
                THEN '(' || coalesce(d->>'identity_arguments', d->>'arguments') || ')' ELSE '' END
$$;

-- comment_ddl(what, comment): COMMENT ON ... IS ... (NULL comment removes it).
CREATE FUNCTION pggit.comment_ddl(p_what text, p_comment text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT format('COMMENT ON %s IS %s', p_what, coalesce(quote_literal(p_comment), 'NULL'))
$$;

-- sql_keyword(type): the DDL keyword of an object type.
CREATE FUNCTION pggit.sql_keyword(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT CASE p_type
        WHEN 'materialized_view' THEN 'MATERIALIZED VIEW'
        WHEN 'enum' THEN 'TYPE' WHEN 'composite_type' THEN 'TYPE'
        ELSE upper(p_type) END
$$;

-- table_comments_ddl(definition): the COMMENT statements of a table, its columns, constraints
-- and indexes.
CREATE FUNCTION pggit.table_comments_ddl(d jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 2 SET jit = off AS $$
    SELECT pggit.comment_ddl('TABLE ' || quote_ident(d->>'name'), d->>'comment') WHERE d ? 'comment'
    UNION ALL
    SELECT pggit.comment_ddl(format('COLUMN %I.%I', d->>'name', c->>'name'), c->>'comment')
      FROM jsonb_array_elements(d->'columns') c WHERE c ? 'comment'
    UNION ALL
    SELECT pggit.comment_ddl(format('CONSTRAINT %I ON %I', k.key, d->>'name'), k.value->>'comment')
      FROM jsonb_each(coalesce(d->'constraints', '{}')) k WHERE k.value ? 'comment'
    UNION ALL
    SELECT pggit.comment_ddl(format('INDEX %I', i.key), i.value->>'comment')
      FROM jsonb_each(coalesce(d->'indexes', '{}')) i WHERE i.value ? 'comment'
$$;

-- create_table_ddl(definition): create_ddl for a table. Constraints that only read the
-- table's own row (primary key, unique, check, exclusion) go into CREATE TABLE: one statement
-- instead of one ALTER TABLE each (a third of create_branch's DDL time). Not foreign keys (the
-- tables they reference may come later), not NOT VALID ones (CREATE TABLE would mark them
-- valid, and the branch's definition would differ), not those of a partition (attached
-- later, with the constraints it inherits). Then indexes, triggers, row security, comments.
CREATE FUNCTION pggit.create_table_ddl(d jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 4 SET jit = off AS $$
DECLARE
    v_name text := quote_ident(d->>'name');
    v_inline text[];
BEGIN
    SELECT array_agg(k.key ORDER BY k.key) INTO v_inline
      FROM jsonb_each(coalesce(d->'constraints', '{}')) k
     WHERE NOT d ? 'partition_of'
       AND k.value->>'definition' NOT LIKE 'FOREIGN KEY%'
       AND k.value->>'definition' NOT LIKE '% NOT VALID';
    phase := 'create_tables';
    statement := format('CREATE %sTABLE %s (%s)%s',
        CASE WHEN (d->>'unlogged')::boolean THEN 'UNLOGGED ' ELSE '' END, v_name,
        concat_ws(', ',
            (SELECT string_agg(pggit.column_sql(c), ', ' ORDER BY o)
               FROM jsonb_array_elements(d->'columns') WITH ORDINALITY AS x(c, o)),
            (SELECT string_agg(format('CONSTRAINT %I %s', k, d->'constraints'->k->>'definition'), ', '
                               ORDER BY k)
               FROM unnest(v_inline) k)),
        coalesce(' PARTITION BY ' || (d->>'partition_key'), ''));
    RETURN NEXT;
    IF d ? 'partition_of' THEN
        phase := 'add_constraints';
        statement := format('ALTER TABLE %s ATTACH PARTITION %s %s',
                            d->>'partition_of', v_name, d->>'partition_bound');
        RETURN NEXT;
    END IF;
    RETURN QUERY
        SELECT CASE WHEN k.value->>'definition' LIKE 'FOREIGN KEY%' THEN 'add_foreign_keys'::pggit.ddl_phase
                    ELSE 'add_constraints' END,
               format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_name, k.key, k.value->>'definition')
          FROM jsonb_each(coalesce(d->'constraints', '{}')) k
         WHERE NOT k.key = ANY (coalesce(v_inline, '{}')) ORDER BY k.key;
    RETURN QUERY SELECT 'create_indexes'::pggit.ddl_phase, i.value->>'definition'
                   FROM jsonb_each(coalesce(d->'indexes', '{}')) i ORDER BY i.key;
    RETURN QUERY SELECT 'create_triggers'::pggit.ddl_phase, t.value #>> '{}'
                   FROM jsonb_each(coalesce(d->'triggers', '{}')) t ORDER BY t.key;
    IF (d->>'row_security')::boolean THEN
        phase := 'comments_ownership'; statement := format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_name); RETURN NEXT;
    END IF;
    RETURN QUERY SELECT 'comments_ownership'::pggit.ddl_phase, c FROM pggit.table_comments_ddl(d) c;
END;
$$;

-- create_function_ddl(type, definition): create_ddl for a function or procedure: one CREATE OR
-- REPLACE with its attributes and settings; a SQL-standard body is written as is.
-- Errors: PGD01 aggregates and window functions.
CREATE FUNCTION pggit.create_function_ddl(p_type text, d jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 1 SET jit = off AS $$
BEGIN
    IF d->>'kind' NOT IN ('f', 'p') THEN
        RAISE EXCEPTION USING ERRCODE = 'PGD01',
            MESSAGE = format('cannot recreate %s: aggregates and window functions are not supported', d->>'name'),
            HINT = 'Create them in the target workspace by hand.';
    END IF;
    phase := 'create_functions';
    statement := format('CREATE OR REPLACE %s %s(%s)%s LANGUAGE %s%s%s%s%s%s %s',
        upper(p_type), quote_ident(d->>'name'), d->>'arguments',
        CASE WHEN p_type = 'function' THEN ' RETURNS ' || (d->>'result') ELSE '' END,
        quote_ident(d->>'language'),
        CASE WHEN p_type = 'function' THEN
            CASE d->>'volatility' WHEN 'i' THEN ' IMMUTABLE' WHEN 's' THEN ' STABLE' ELSE ' VOLATILE' END
        ELSE '' END,
        CASE WHEN (d->>'strict')::boolean THEN ' STRICT' ELSE '' END,
        CASE WHEN (d->>'security_definer')::boolean THEN ' SECURITY DEFINER' ELSE '' END,
        CASE WHEN p_type = 'function' THEN
            CASE d->>'parallel' WHEN 's' THEN ' PARALLEL SAFE' WHEN 'r' THEN ' PARALLEL RESTRICTED' ELSE '' END
        ELSE '' END || CASE WHEN (d->>'leakproof')::boolean THEN ' LEAKPROOF' ELSE '' END,
        coalesce((SELECT string_agg(format(' SET %I = %s', split_part(cfg, '=', 1),
                                           quote_literal(substr(cfg, strpos(cfg, '=') + 1))), '')
                    FROM jsonb_array_elements_text(d->'config') cfg), ''),
        -- a SQL-standard body (BEGIN ATOMIC ... END / RETURN ...) is written as is
        CASE WHEN (d->>'sql_body')::boolean THEN d->>'body' ELSE 'AS ' || quote_literal(d->>'body') END);
    RETURN NEXT;
END;
$$;

-- create_type_ddl(type, definition): create_ddl for an enum, a domain (its CHECKs as ALTER
-- DOMAIN, which tree_ddl moves after the functions they may call) or a composite type.
CREATE FUNCTION pggit.create_type_ddl(p_type text, d jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 2 SET jit = off AS $$
    SELECT 'create_types'::pggit.ddl_phase,
           CASE p_type
           WHEN 'enum' THEN
               format('CREATE TYPE %I AS ENUM (%s)', d->>'name',
                      coalesce((SELECT string_agg(quote_literal(l), ', ' ORDER BY o)
                                  FROM jsonb_array_elements_text(d->'labels') WITH ORDINALITY AS x(l, o)), ''))
           WHEN 'domain' THEN
               format('CREATE DOMAIN %I AS %s%s%s', d->>'name', d->>'base_type',
                      coalesce(' DEFAULT ' || (d->>'default'), ''),
                      CASE WHEN (d->>'not_null')::boolean THEN ' NOT NULL' ELSE '' END)
           WHEN 'composite_type' THEN
               format('CREATE TYPE %I AS (%s)', d->>'name',
                      coalesce((SELECT string_agg(quote_ident(a->>0) || ' ' || (a->>1), ', ' ORDER BY o)
                                  FROM jsonb_array_elements(d->'attributes') WITH ORDINALITY AS x(a, o)), ''))
           END
    UNION ALL
    (SELECT 'create_types', format('ALTER DOMAIN %I ADD CONSTRAINT %I %s', d->>'name', c.key, c.value #>> '{}')
       FROM jsonb_each(coalesce(d->'constraints', '{}')) c
      WHERE p_type = 'domain'
      ORDER BY c.key)
$$;

-- create_ddl(type, definition)
-- Purpose: the statements that create an object from its definition, with their phases
--   (tables, functions and types by create_table_ddl, create_function_ddl, create_type_ddl).
-- Errors: PGD01 for an object type pggit cannot recreate (aggregates).
CREATE FUNCTION pggit.create_ddl(p_type text, d jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 4 SET jit = off AS $$
DECLARE
    v_name text := quote_ident(d->>'name');
BEGIN
    CASE p_type
    WHEN 'table' THEN
        RETURN QUERY SELECT * FROM pggit.create_table_ddl(d);
    WHEN 'view' THEN
        phase := 'create_views'; statement := format('CREATE VIEW %s AS %s', v_name, rtrim(d->>'query', '; ')); RETURN NEXT;
    WHEN 'materialized_view' THEN
        phase := 'create_views';
        statement := format('CREATE MATERIALIZED VIEW %s AS %s WITH NO DATA', v_name, rtrim(d->>'query', '; '));
        RETURN NEXT;
        RETURN QUERY SELECT 'create_views'::pggit.ddl_phase, i.value #>> '{}'
                       FROM jsonb_each(coalesce(d->'indexes', '{}')) i ORDER BY i.key;
    WHEN 'sequence' THEN
        phase := 'create_sequences';
        statement := format('CREATE SEQUENCE %s AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s',
            v_name, d->>'data_type', d->>'start', d->>'increment', d->>'min', d->>'max', d->>'cache',
            CASE WHEN (d->>'cycle')::boolean THEN 'CYCLE' ELSE 'NO CYCLE' END);
        RETURN NEXT;
        IF d ? 'owned_by' THEN
            phase := 'comments_ownership'; statement := format('ALTER SEQUENCE %s OWNED BY %s', v_name, d->>'owned_by'); RETURN NEXT;
        END IF;
    WHEN 'function', 'procedure' THEN
        RETURN QUERY SELECT * FROM pggit.create_function_ddl(p_type, d);
    WHEN 'enum', 'domain', 'composite_type' THEN
        RETURN QUERY SELECT * FROM pggit.create_type_ddl(p_type, d);
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'PGD01', MESSAGE = format('cannot recreate object type %s', p_type),
            HINT = 'Please report this: pggit should know every type it tracks.';
    END CASE;
    IF p_type <> 'table' AND d ? 'comment' THEN
        phase := 'comments_ownership';
        statement := pggit.comment_ddl(pggit.sql_keyword(p_type) || ' ' || pggit.object_name_sql(p_type, d), d->>'comment');
        RETURN NEXT;
    END IF;
END;
$$;

-- drop_ddl(type, definition): the statement that drops an object, with its phase.
CREATE FUNCTION pggit.drop_ddl(p_type text, d jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 1 SET jit = off AS $$
    SELECT CASE WHEN p_type IN ('view', 'materialized_view') THEN 'drop_views_constraints'::pggit.ddl_phase
                WHEN p_type IN ('table', 'function', 'procedure') THEN 'drop_tables_functions'
                ELSE 'drop_types_sequences' END,
           format('DROP %s %s', pggit.sql_keyword(p_type), pggit.object_name_sql(p_type, d))
$$;

-- alter_sequence_ddl(old, new): alter_ddl for a sequence: its parameters, owner and comment.
CREATE FUNCTION pggit.alter_sequence_ddl(p_old jsonb, p_new jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 3 SET jit = off AS $$
DECLARE
    v_name text := quote_ident(p_new->>'name');
BEGIN
    phase := 'create_sequences';
    statement := format('ALTER SEQUENCE %s AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s',
        v_name, p_new->>'data_type', p_new->>'start', p_new->>'increment', p_new->>'min', p_new->>'max',
        p_new->>'cache', CASE WHEN (p_new->>'cycle')::boolean THEN 'CYCLE' ELSE 'NO CYCLE' END);
    RETURN NEXT;
    phase := 'comments_ownership';
    statement := format('ALTER SEQUENCE %s OWNED BY %s', v_name, coalesce(p_new->>'owned_by', 'NONE'));
    RETURN NEXT;
    IF (p_old->>'comment') IS DISTINCT FROM (p_new->>'comment') THEN
        statement := pggit.comment_ddl('SEQUENCE ' || v_name, p_new->>'comment'); RETURN NEXT;
    END IF;
END;
$$;

-- enum_labels_added(old, new): whether an enum only gained labels, every old one kept in its
-- order: then ALTER TYPE ... ADD VALUE changes it in place (a type a column uses cannot be
-- dropped and re-created).
CREATE FUNCTION pggit.enum_labels_added(p_old jsonb, p_new jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT (p_old - 'labels') = (p_new - 'labels')
       AND NOT EXISTS (SELECT 1 FROM pggit.definition_changes(p_old, p_new) x WHERE x.change = 'removed')
       AND (SELECT array_agg(l) FROM jsonb_array_elements_text(p_old->'labels') l)
         = (SELECT array_agg(l) FROM jsonb_array_elements_text(p_new->'labels') l WHERE p_old->'labels' ? l)
$$;

-- alter_column_ddl(table, column, change, old, new, renames): alter_ddl for one column of a
-- table (a definition_changes row): a rename (renames: old name -> new name, see
-- column_renames), ADD, DROP, a generated column re-created, or each attribute altered in place
-- (identity, default, type with a USING cast, NOT NULL, comment).
CREATE FUNCTION pggit.alter_column_ddl(v_name text, p_column text, p_change text, v_old jsonb, v_new jsonb,
                                       v_renames jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 2 SET jit = off AS $$
BEGIN
    IF p_change = 'removed' AND v_renames ? p_column THEN
        phase := 'drop_domain_checks_rename_columns';
        statement := format('ALTER TABLE %s RENAME COLUMN %I TO %I', v_name, p_column, v_renames->>p_column);
        RETURN NEXT;
    ELSIF p_change = 'added' AND EXISTS (SELECT 1 FROM jsonb_each_text(v_renames) r WHERE r.value = p_column) THEN
        NULL;  -- the rename above created it
    ELSIF p_change = 'added' THEN
        phase := 'create_tables'; statement := format('ALTER TABLE %s ADD COLUMN %s', v_name, pggit.column_sql(v_new)); RETURN NEXT;
        IF v_new ? 'comment' THEN
            phase := 'comments_ownership'; statement := pggit.comment_ddl(format('COLUMN %s.%I', v_name, p_column), v_new->>'comment'); RETURN NEXT;
        END IF;
    ELSIF p_change = 'removed' THEN
        phase := 'drop_tables_functions'; statement := format('ALTER TABLE %s DROP COLUMN %I', v_name, p_column); RETURN NEXT;
    ELSIF (v_old->>'generated') IS DISTINCT FROM (v_new->>'generated') THEN
        phase := 'drop_tables_functions'; statement := format('ALTER TABLE %s DROP COLUMN %I', v_name, p_column); RETURN NEXT;
        phase := 'create_tables'; statement := format('ALTER TABLE %s ADD COLUMN %s', v_name, pggit.column_sql(v_new)); RETURN NEXT;
    ELSE
        phase := 'create_tables';
        IF (v_old->>'identity') IS NOT NULL AND (v_new->>'identity') IS DISTINCT FROM (v_old->>'identity') THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %I DROP IDENTITY', v_name, p_column); RETURN NEXT;
        END IF;
        IF (v_old->>'default') IS NOT NULL AND (v_new->>'default') IS DISTINCT FROM (v_old->>'default') THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', v_name, p_column); RETURN NEXT;
        END IF;
        IF (v_old->>'type') <> (v_new->>'type') OR (v_old->>'collation') IS DISTINCT FROM (v_new->>'collation') THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %I TYPE %s%s USING %I::%s', v_name, p_column,
                                v_new->>'type', coalesce(' COLLATE ' || (v_new->>'collation'), ''), p_column, v_new->>'type');
            RETURN NEXT;
        END IF;
        IF (v_new->>'default') IS NOT NULL AND (v_new->>'default') IS DISTINCT FROM (v_old->>'default') THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', v_name, p_column, v_new->>'default'); RETURN NEXT;
        END IF;
        IF coalesce((v_old->>'not_null')::boolean, false) <> coalesce((v_new->>'not_null')::boolean, false) THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %I %s NOT NULL', v_name, p_column,
                                CASE WHEN (v_new->>'not_null')::boolean THEN 'SET' ELSE 'DROP' END);
            RETURN NEXT;
        END IF;
        IF (v_new->>'identity') IS NOT NULL AND (v_new->>'identity') IS DISTINCT FROM (v_old->>'identity') THEN
            statement := format('ALTER TABLE %s ALTER COLUMN %I ADD GENERATED %s AS IDENTITY', v_name, p_column, v_new->>'identity');
            RETURN NEXT;
        END IF;
        IF (v_old->>'comment') IS DISTINCT FROM (v_new->>'comment') THEN
            phase := 'comments_ownership'; statement := pggit.comment_ddl(format('COLUMN %s.%I', v_name, p_column), v_new->>'comment'); RETURN NEXT;
        END IF;
    END IF;
END;
$$;

-- alter_table_element_ddl(table, new table, element, name, change, old, new): alter_ddl for one
-- constraint, index, trigger or table property (a definition_changes row): dropped and added
-- again when its definition changes (foreign keys in their own phases), comments set;
-- UNLOGGED and row security switched in place.
-- Errors: PGD01 a property that cannot change in place.
CREATE FUNCTION pggit.alter_table_element_ddl(v_name text, p_new jsonb, p_element text, p_name text,
                                              p_change text, v_old jsonb, v_new jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 2 SET jit = off AS $$
BEGIN
    CASE p_element
    WHEN 'constraint' THEN
        IF p_change <> 'added' AND (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition') OR p_change = 'removed' THEN
            phase := CASE WHEN v_old->>'definition' LIKE 'FOREIGN KEY%' THEN 'drop_triggers_fks'::pggit.ddl_phase
                            ELSE 'drop_views_constraints' END;
            statement := format('ALTER TABLE %s DROP CONSTRAINT %I', v_name, p_name); RETURN NEXT;
        END IF;
        IF p_change = 'added' OR (p_change = 'modified' AND (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition')) THEN
            phase := CASE WHEN v_new->>'definition' LIKE 'FOREIGN KEY%' THEN 'add_foreign_keys'::pggit.ddl_phase
                            ELSE 'add_constraints' END;
            statement := format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_name, p_name, v_new->>'definition'); RETURN NEXT;
        END IF;
        IF p_change <> 'removed' AND (v_new ? 'comment' OR (v_old->>'comment') IS DISTINCT FROM (v_new->>'comment')) THEN
            phase := 'comments_ownership'; statement := pggit.comment_ddl(format('CONSTRAINT %I ON %s', p_name, v_name), v_new->>'comment'); RETURN NEXT;
        END IF;
    WHEN 'index' THEN
        IF p_change = 'removed' OR (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition') AND p_change = 'modified' THEN
            phase := 'drop_views_constraints'; statement := format('DROP INDEX %I', p_name); RETURN NEXT;
        END IF;
        IF p_change = 'added' OR (p_change = 'modified' AND (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition')) THEN
            phase := 'create_indexes'; statement := v_new->>'definition'; RETURN NEXT;
        END IF;
        IF p_change <> 'removed' AND (v_new ? 'comment' OR (v_old->>'comment') IS DISTINCT FROM (v_new->>'comment')) THEN
            phase := 'comments_ownership'; statement := pggit.comment_ddl(format('INDEX %I', p_name), v_new->>'comment'); RETURN NEXT;
        END IF;
    WHEN 'trigger' THEN
        IF p_change <> 'added' THEN
            phase := 'drop_triggers_fks'; statement := format('DROP TRIGGER %I ON %s', p_name, v_name); RETURN NEXT;
        END IF;
        IF p_change <> 'removed' THEN
            phase := 'create_triggers'; statement := v_new #>> '{}'; RETURN NEXT;
        END IF;
    WHEN 'property' THEN
        phase := 'comments_ownership';
        CASE p_name
        WHEN 'comment' THEN statement := pggit.comment_ddl('TABLE ' || v_name, p_new->>'comment'); RETURN NEXT;
        WHEN 'unlogged' THEN
            statement := format('ALTER TABLE %s SET %s', v_name, CASE WHEN (p_new->>'unlogged')::boolean THEN 'UNLOGGED' ELSE 'LOGGED' END);
            RETURN NEXT;
        WHEN 'row_security' THEN
            statement := format('ALTER TABLE %s %s ROW LEVEL SECURITY', v_name,
                                CASE WHEN (p_new->>'row_security')::boolean THEN 'ENABLE' ELSE 'DISABLE' END);
            RETURN NEXT;
        WHEN 'name', 'type' THEN NULL;
        ELSE
            RAISE EXCEPTION USING ERRCODE = 'PGD01',
                MESSAGE = format('cannot change %s of table %s in place', p_name, p_new->>'name'),
                HINT = 'Change it by hand (e.g. re-create the table) and commit.';
        END CASE;
    ELSE
        NULL;
    END CASE;
END;
$$;

-- column_renames(old, new): the columns a table change renames (old name -> new name): a column
-- removed and one added at the same position with the same attributes is a rename, which keeps
-- the column (and its data) in place.
CREATE FUNCTION pggit.column_renames(p_old jsonb, p_new jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT coalesce(jsonb_object_agg(o.c->>'name', n.c->>'name'), '{}')
      FROM jsonb_array_elements(p_old->'columns') WITH ORDINALITY AS o(c, pos)
      JOIN jsonb_array_elements(p_new->'columns') WITH ORDINALITY AS n(c, pos) ON n.pos = o.pos
     WHERE o.c->>'name' <> n.c->>'name' AND (o.c - 'name') = (n.c - 'name')
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_new->'columns') x WHERE x->>'name' = o.c->>'name')
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_old->'columns') x WHERE x->>'name' = n.c->>'name')
$$;

-- function_replaceable(old, new): whether a changed function or procedure keeps its name,
-- arguments, result and language, so CREATE OR REPLACE changes it in place (its body,
-- volatility, strictness, security, leakproofness, parallel safety, settings, comment);
-- otherwise alter_ddl drops and re-creates it.
CREATE FUNCTION pggit.function_replaceable(p_old jsonb, p_new jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT (p_old - 'body' - 'comment' - 'volatility' - 'strict' - 'security_definer' - 'leakproof' - 'parallel'
                  - 'config')
         = (p_new - 'body' - 'comment' - 'volatility' - 'strict' - 'security_definer' - 'leakproof' - 'parallel'
                  - 'config')
$$;

-- enum_add_ddl(old, new): an enum that only gains labels (enum_labels_added decides that):
-- ALTER TYPE ... ADD VALUE for each new label, BEFORE the next old label when it is not last.
CREATE FUNCTION pggit.enum_add_ddl(p_old jsonb, p_new jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 1 SET jit = off AS $$
    SELECT 'create_types'::pggit.ddl_phase,
           format('ALTER TYPE %I ADD VALUE %L%s', p_new->>'name', x.l,
                  coalesce(' BEFORE ' || quote_literal(
                      (SELECT y.n FROM jsonb_array_elements_text(p_new->'labels') WITH ORDINALITY AS y(n, k)
                        WHERE y.k > x.o AND p_old->'labels' ? y.n ORDER BY y.k LIMIT 1)), ''))
      FROM jsonb_array_elements_text(p_new->'labels') WITH ORDINALITY AS x(l, o)
     WHERE NOT p_old->'labels' ? x.l
     ORDER BY x.o
$$;

-- alter_ddl(type, old, new)
-- Purpose: the statements that turn an object defined as old into one defined as new, in
--   place where PostgreSQL allows it: tables column by column (renames kept as renames) and
--   element by element (alter_column_ddl, alter_table_element_ddl), sequences, functions
--   whose signature stays (CREATE OR REPLACE), enums that only gain labels; otherwise drop
--   and re-create.
CREATE FUNCTION pggit.alter_ddl(p_type text, p_old jsonb, p_new jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 4 SET jit = off AS $$
DECLARE
    v_name text := quote_ident(p_new->>'name');
    v_renames jsonb;
    d record;
BEGIN
    IF p_old = p_new THEN
        RETURN;
    ELSIF p_type = 'sequence' THEN
        RETURN QUERY SELECT * FROM pggit.alter_sequence_ddl(p_old, p_new);
    ELSIF p_type IN ('function', 'procedure') AND pggit.function_replaceable(p_old, p_new) THEN
        RETURN QUERY SELECT * FROM pggit.create_ddl(p_type, p_new - 'comment');
        IF (p_old->>'comment') IS DISTINCT FROM (p_new->>'comment') THEN
            phase := 'comments_ownership';
            statement := pggit.comment_ddl(pggit.sql_keyword(p_type) || ' ' || pggit.object_name_sql(p_type, p_new),
                                           p_new->>'comment');
            RETURN NEXT;
        END IF;
    ELSIF p_type = 'enum' AND pggit.enum_labels_added(p_old, p_new) THEN
        RETURN QUERY SELECT * FROM pggit.enum_add_ddl(p_old, p_new);
    ELSIF p_type <> 'table' THEN
        -- views, materialized views, other types: drop and re-create
        RETURN QUERY SELECT * FROM pggit.drop_ddl(p_type, p_old);
        RETURN QUERY SELECT * FROM pggit.create_ddl(p_type, p_new);
    ELSE
        v_renames := pggit.column_renames(p_old, p_new);
        -- element by element, each one's statements in the order they must run
        FOR d IN SELECT * FROM pggit.definition_changes(p_old, p_new) ORDER BY element, name LOOP
            IF d.element = 'column' THEN
                RETURN QUERY SELECT * FROM pggit.alter_column_ddl(v_name, d.name, d.change, d.old_value,
                                                                 d.new_value, v_renames);
            ELSE
                RETURN QUERY SELECT * FROM pggit.alter_table_element_ddl(v_name, p_new, d.element, d.name,
                                                                        d.change, d.old_value, d.new_value);
            END IF;
        END LOOP;
    END IF;
END;
$$;

-- enum_rename_ddl(old, new): an enum whose labels were only renamed, position by position
-- (tree_ddl decides that): ALTER TYPE ... RENAME VALUE for each renamed label, and its comment.
-- Dropping and re-creating the type would fail while a column uses it.
CREATE FUNCTION pggit.enum_rename_ddl(p_old jsonb, p_new jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 2 SET jit = off AS $$
    SELECT 'create_types'::pggit.ddl_phase,
           format('ALTER TYPE %s RENAME VALUE %L TO %L', quote_ident(p_new->>'name'), o.l, n.l)
      FROM jsonb_array_elements_text(p_old->'labels') WITH ORDINALITY o(l, i)
      JOIN jsonb_array_elements_text(p_new->'labels') WITH ORDINALITY n(l, i) ON n.i = o.i
     WHERE o.l <> n.l
    UNION ALL
    SELECT 'comments_ownership', pggit.comment_ddl('TYPE ' || quote_ident(p_new->>'name'), p_new->>'comment')
     WHERE (p_old->>'comment') IS DISTINCT FROM (p_new->>'comment')
$$;

-- domain_alter_ddl(old, new): a domain whose base type stays (tree_ddl decides that), altered
-- in place: changed CHECKs dropped first (they may call functions that are about to go) and
-- added after the functions, default and NOT NULL set, comment. Dropping and re-creating the
-- domain would fail while a column uses it.
CREATE FUNCTION pggit.domain_alter_ddl(p_old jsonb, p_new jsonb)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 2 SET jit = off AS $$
    SELECT 'drop_domain_checks_rename_columns'::pggit.ddl_phase,
           format('ALTER DOMAIN %s DROP CONSTRAINT %I', quote_ident(p_new->>'name'), o.key)
      FROM jsonb_each_text(coalesce(p_old->'constraints', '{}')) o
     WHERE (p_new->'constraints'->>o.key) IS DISTINCT FROM o.value
    UNION ALL
    SELECT 'add_domain_checks', format('ALTER DOMAIN %s ADD CONSTRAINT %I %s', quote_ident(p_new->>'name'), n.key, n.value)
      FROM jsonb_each_text(coalesce(p_new->'constraints', '{}')) n
     WHERE (p_old->'constraints'->>n.key) IS DISTINCT FROM n.value
    UNION ALL
    SELECT 'add_domain_checks', format('ALTER DOMAIN %s %s', quote_ident(p_new->>'name'),
                                       coalesce('SET DEFAULT ' || (p_new->>'default'), 'DROP DEFAULT'))
     WHERE (p_old->>'default') IS DISTINCT FROM (p_new->>'default')
    UNION ALL
    SELECT 'add_domain_checks', format('ALTER DOMAIN %s %s NOT NULL', quote_ident(p_new->>'name'),
                                       CASE WHEN (p_new->>'not_null')::boolean THEN 'SET' ELSE 'DROP' END)
     WHERE coalesce((p_old->>'not_null')::boolean, false) <> coalesce((p_new->>'not_null')::boolean, false)
    UNION ALL
    SELECT 'comments_ownership', pggit.comment_ddl('DOMAIN ' || quote_ident(p_new->>'name'), p_new->>'comment')
     WHERE (p_old->>'comment') IS DISTINCT FROM (p_new->>'comment')
$$;

-- argument_types(arguments): the types of pg_get_function_arguments' text, without modes, names
--   and defaults ("OUT n integer, r users DEFAULT NULL" -> "integer users"), so an argument
--   named like a table is not read as a use of it. An argument is "[mode] [name] type
--   [DEFAULT expr]": with a name, the type is every token after the first; a multi-word type
--   without a name loses its first word, which never names a relation (it is a keyword).
CREATE FUNCTION pggit.argument_types(p_arguments text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT string_agg(array_to_string(CASE WHEN cardinality(t.tokens) > 1 THEN t.tokens[2:] ELSE t.tokens END, ' '),
                      ' ' ORDER BY a.n)
      FROM regexp_split_to_table(p_arguments, ', ') WITH ORDINALITY AS a(arg, n)
     CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT m[1] FROM regexp_matches(
                   regexp_replace(regexp_replace(a.arg, ' DEFAULT .*$', ''), '^(IN|OUT|INOUT|VARIADIC) ', ''),
                   '"(?:[^"]|"")*"|[[:alpha:]_][[:alnum:]_$]*', 'g') AS m) AS tokens
     ) t
$$;

-- domain_alters_in_place(old, new): whether a changed domain keeps its base type (and all but
-- its constraints, default, NOT NULL and comment), so tree_ddl alters it in place
-- (domain_alter_ddl): dropping and re-creating it, as alter_ddl does, fails while a column uses it.
CREATE FUNCTION pggit.domain_alters_in_place(p_old jsonb, p_new jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT p_old <> p_new
       AND (p_old - 'constraints' - 'default' - 'not_null' - 'comment')
         = (p_new - 'constraints' - 'default' - 'not_null' - 'comment')
$$;

-- enum_labels_renamed(old, new): whether a changed enum only renamed labels, position by
-- position (no label moved to another position, none added or removed), so tree_ddl renames
-- them (enum_rename_ddl) instead of dropping and re-creating the type in use.
CREATE FUNCTION pggit.enum_labels_renamed(p_old jsonb, p_new jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT p_old <> p_new
       AND (p_old - 'labels' - 'comment') = (p_new - 'labels' - 'comment')
       AND jsonb_array_length(p_old->'labels') = jsonb_array_length(p_new->'labels')
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements_text(p_old->'labels') WITH ORDINALITY o(l, i)
             JOIN jsonb_array_elements_text(p_new->'labels') WITH ORDINALITY n(l, i) ON n.i = o.i
            WHERE o.l <> n.l AND (p_new->'labels' ? o.l OR p_old->'labels' ? n.l))
$$;

-- object_ddl(type, old, new, rebuilt)
-- Purpose: tree_ddl's statements for one object, in the order they run within a phase: create
--   it (no old), drop it (no new), rebuild it (rebuilt: the same definition on both sides,
--   dropped and created again because something it uses is), or change it: a domain that
--   keeps its base type in place (domain_alters_in_place), an enum whose labels are only
--   renamed by RENAME VALUE (enum_labels_renamed), anything else by alter_ddl. A domain's
--   CHECKs may call functions: they are added after those (add_domain_checks) and, when the
--   domain goes or is re-created, dropped before them (drop_domain_checks_rename_columns).
-- Returns: (phase, statement).  Errors: those of create_ddl and alter_ddl.
CREATE FUNCTION pggit.object_ddl(p_type text, p_old jsonb, p_new jsonb, p_rebuilt boolean)
RETURNS TABLE (phase pggit.ddl_phase, statement text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit ROWS 4 SET jit = off AS $$
    SELECT CASE WHEN p_type = 'domain' AND x.phase = 'create_types' AND x.statement LIKE 'ALTER DOMAIN %'
                THEN 'add_domain_checks'::pggit.ddl_phase ELSE x.phase END,
           x.statement
      FROM (SELECT CASE WHEN p_old IS NULL THEN 'create' WHEN p_new IS NULL THEN 'drop'
                        WHEN p_rebuilt THEN 'rebuild'
                        WHEN p_type = 'domain' AND pggit.domain_alters_in_place(p_old, p_new) THEN 'alter_domain'
                        WHEN p_type = 'enum' AND pggit.enum_labels_renamed(p_old, p_new) THEN 'rename_labels'
                        ELSE 'alter' END) w(how)
     CROSS JOIN LATERAL (
        SELECT * FROM pggit.drop_ddl(p_type, p_old) WHERE w.how IN ('drop', 'rebuild')
        UNION ALL
        SELECT * FROM pggit.create_ddl(p_type, p_new) WHERE w.how IN ('create', 'rebuild')
        UNION ALL
        SELECT * FROM pggit.alter_ddl(p_type, p_old, p_new) WHERE w.how = 'alter'
        UNION ALL
        SELECT * FROM pggit.domain_alter_ddl(p_old, p_new) WHERE w.how = 'alter_domain'
        UNION ALL
        SELECT * FROM pggit.enum_rename_ddl(p_old, p_new) WHERE w.how = 'rename_labels'
        UNION ALL  -- a domain that goes or is re-created lets go of the functions its CHECKs call
        SELECT 'drop_domain_checks_rename_columns', format('ALTER DOMAIN %I DROP CONSTRAINT %I', p_old->>'name', c.key)
          FROM jsonb_each(coalesce(p_old->'constraints', '{}')) c
         WHERE p_type = 'domain' AND w.how IN ('drop', 'alter')
     ) x
$$;

-- reference_text(type, definition): the text tree_ddl reads an object's references to other
-- views, types and functions from: a view's query; a function's argument and result types
-- (not the argument names) and a SQL-standard body (parsed at creation); a domain's base type;
-- a composite type's attribute types. NULL for an enum (it uses nothing).
CREATE FUNCTION pggit.reference_text(p_type text, d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    SELECT CASE WHEN p_type IN ('view', 'materialized_view') THEN d->>'query'
                WHEN p_type IN ('function', 'procedure') THEN
                    concat_ws(' ', pggit.argument_types(d->>'arguments'), d->>'result',
                              CASE WHEN (d->>'sql_body')::boolean THEN d->>'body' END)
                WHEN p_type = 'domain' THEN d->>'base_type'
                WHEN p_type = 'composite_type' THEN
                    (SELECT string_agg(a->>1, ', ') FROM jsonb_array_elements(d->'attributes') a)
           END
$$;

-- columns_retyped(old, new): whether a table keeps a column under another type or collation.
-- PostgreSQL refuses ALTER COLUMN ... TYPE under a view, so tree_ddl drops and re-creates the
-- views over such a table (on the branch they were re-created with the same text).
CREATE FUNCTION pggit.columns_retyped(p_old jsonb, p_new jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog SET jit = off AS $$
    SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(p_old->'columns') o
                     JOIN jsonb_array_elements(p_new->'columns') n ON n->>'name' = o->>'name'
                    WHERE (n->>'type', n->>'collation') IS DISTINCT FROM (o->>'type', o->>'collation'))
$$;

-- tree_definitions(from_tree, to_tree)
-- Purpose: tree_ddl's first step: every entry of the two trees with its old and new hash, and
--   the definitions tree_ddl reads: of the entries that change and, when views, types and
--   functions must be ordered (one of them changes, or a column of a table changes type:
--   columns_retyped), of every view, type and function (then ordered). Other unchanged
--   entries come without definitions.
-- Each definition is looked up by hash, one index probe per entry (a join to pggit.objects,
-- planned for a function scan's default 100 rows, read every definition ever stored).
CREATE FUNCTION pggit.tree_definitions(p_from jsonb, p_to jsonb)
RETURNS TABLE (object_key text, object_type text, old_hash text, new_hash text, old_def jsonb, new_def jsonb,
               ordered boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH entries AS MATERIALIZED (
        SELECT k.object_key, k.object_type, f.value AS old_hash, t.value AS new_hash,
               k.object_type IN ('view', 'materialized_view', 'enum', 'domain', 'composite_type',
                                 'function', 'procedure') AS orderable
          FROM jsonb_each_text(coalesce(p_from, '{}')) f
          FULL JOIN jsonb_each_text(coalesce(p_to, '{}')) t ON t.key = f.key
         CROSS JOIN LATERAL (SELECT coalesce(t.key, f.key), split_part(coalesce(t.key, f.key), ':', 1))
                            k(object_key, object_type)
    ), changed AS MATERIALIZED (
        SELECT e.*, (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.old_hash) AS old_def,
               (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.new_hash) AS new_def
          FROM entries e
         WHERE e.old_hash IS DISTINCT FROM e.new_hash
    ), ordering AS (
        SELECT EXISTS (SELECT 1 FROM changed c
                        WHERE c.orderable OR (c.object_type = 'table' AND pggit.columns_retyped(c.old_def, c.new_def)))
               AS needed
    )
    SELECT c.object_key, c.object_type, c.old_hash, c.new_hash, c.old_def, c.new_def, c.orderable AND o.needed
      FROM changed c CROSS JOIN ordering o
    UNION ALL
    SELECT e.object_key, e.object_type, e.old_hash, e.new_hash, d.definition, d.definition, e.orderable AND o.needed
      FROM entries e CROSS JOIN ordering o
     CROSS JOIN LATERAL (SELECT CASE WHEN e.orderable AND o.needed THEN
                                    (SELECT x.definition FROM pggit.objects x WHERE x.hash = e.old_hash) END) d(definition)
     WHERE e.old_hash = e.new_hash
$$;

-- ddl_node: a view, type or function on one side ('old', 'new') of tree_ddl's trees, or a table
-- as a name the others may mention. token: its name as a query writes it (quote_ident);
-- source: the text its references are read from (reference_text); drops_dependents: on the old
-- side, a view the script drops (removed or changed) or a table whose columns change type
-- (columns_retyped): the views that use it are dropped too.
CREATE TYPE pggit.ddl_node AS (side text, object_key text, object_type text, token text, source text,
                               drops_dependents boolean);

-- ddl_dependencies(nodes)
-- Purpose: tree_ddl's dependency order among views, types and functions, on each side: the
--   "uses" edges are the names a node's source mentions (identifier tokens; a string literal is
--   one token) that are another node's token. Returns per view, type and function its depth
--   (the longest chain of uses below it: create deepest last, drop it first), whether it is a
--   late function (its signature or SQL-standard body names a table or view, or it calls a late
--   function: it goes with the views), and on the old side whether the script drops it because
--   it uses, directly or through other views, a node that drops its dependents (rebuilt when
--   unchanged). A cycle of false edges (a column that happens to carry an object's name) is cut
--   at as many levels as there are nodes.
CREATE FUNCTION pggit.ddl_dependencies(p_nodes pggit.ddl_node[])
RETURNS TABLE (side text, object_key text, depth integer, late boolean, dropped boolean)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH RECURSIVE nodes AS MATERIALIZED (
        SELECT n.*, n.object_type IN ('table', 'view', 'materialized_view') AS is_relation,
               n.object_type IN ('view', 'materialized_view') AS is_view,
               n.object_type IN ('function', 'procedure') AS is_function
          FROM unnest(p_nodes) n
    ), tokens AS MATERIALIZED (
        SELECT DISTINCT x.side, x.object_key, x.is_view, x.is_function, m.token[1] AS token
          FROM nodes x
         CROSS JOIN LATERAL regexp_matches(x.source, '''(?:[^'']|'''')*''|"(?:[^"]|"")*"|[[:alpha:]_][[:alnum:]_$]*', 'g') AS m(token)
    ), uses AS (  -- on one side, x's text names y
        SELECT DISTINCT t.side, t.object_key AS x, t.is_view AS x_is_view, t.is_function AS x_is_function,
               y.object_key AS y
          FROM tokens t
          JOIN nodes y ON y.side = t.side AND y.token = t.token AND y.object_key <> t.object_key
                      AND y.object_type <> 'table'
    ), late(side, object_key) AS (
        SELECT t.side, t.object_key FROM tokens t JOIN nodes r ON r.side = t.side AND r.token = t.token
         WHERE t.is_function AND r.is_relation
        UNION
        SELECT u.side, u.x FROM uses u JOIN late l ON l.side = u.side AND l.object_key = u.y
         WHERE u.x_is_function
    ), depth(side, object_key, depth) AS (
        SELECT v.side, v.object_key, 0 FROM nodes v WHERE v.object_type <> 'table'
        UNION
        SELECT u.side, u.x, d.depth + 1 FROM uses u JOIN depth d ON d.side = u.side AND d.object_key = u.y
         WHERE d.depth < (SELECT count(*) FROM nodes WHERE object_type <> 'table')
    ), dropped(object_key) AS (  -- old side: views that drop, and the views using what drops
        SELECT n.object_key FROM nodes n WHERE n.side = 'old' AND n.is_view AND n.drops_dependents
        UNION
        SELECT t.object_key FROM tokens t
          JOIN nodes r ON r.side = 'old' AND r.object_type = 'table' AND r.drops_dependents AND r.token = t.token
         WHERE t.side = 'old' AND t.is_view
        UNION
        SELECT u.x FROM uses u JOIN dropped d ON u.side = 'old' AND u.x_is_view AND u.y = d.object_key
    )
    SELECT d.side, d.object_key, max(d.depth),
           EXISTS (SELECT 1 FROM late l WHERE l.side = d.side AND l.object_key = d.object_key),
           d.side = 'old' AND EXISTS (SELECT 1 FROM dropped x WHERE x.object_key = d.object_key)
      FROM depth d GROUP BY d.side, d.object_key
$$;

-- tree_ddl(from_tree, to_tree)
-- Purpose: the DDL that turns a workspace holding from_tree into one holding to_tree, in
--   dependency order (phase, then dependency rank, then object key, then statement order).
-- Returns: (step, phase, object_key, change, statement).
-- Views, types and functions in dependency order. Ordering a phase by object key alone cannot
-- create a view over a view whose name sorts after it, nor drop it before it; changing a view
-- that unchanged views depend on fails at its DROP, as does a merge that changes the type of a
-- column a view uses; a domain sorts before the enums it may use; a function returning SETOF a
-- table or with a SQL-standard body reading one must come after the tables; a domain's CHECK
-- may call a function. So, when a view, materialized view, type, function or column type
-- changes:
--   * the names each view's query, each function's signature and SQL-standard body and each
--     type's definition mention give the "uses" edges between these objects in each tree: the
--     identifier tokens of the query, the argument types (not their names) and result type,
--     the body, a domain's base type, a composite type's attribute types, compared with
--     quote_ident of the other objects' names (string literals are skipped);
--   * a function whose signature or SQL-standard body names a table or view (or that calls such
--     a function) is a late function: created with the views (create_views, after every
--     table) and dropped with them (drop_views_constraints, before any table); the others stay
--     in create_functions and drop_tables_functions, so a table default, check or index can
--     still use them;
--   * a domain's CHECK constraints are added after the functions (add_domain_checks), not with
--     the domain (create_types), and dropped before them (drop_domain_checks_rename_columns)
--     when the domain goes or changes;
--   * a domain whose base type stays is altered in place (constraints, default, NOT NULL,
--     comment), and an enum whose labels are only renamed gets RENAME VALUE: dropping and
--     re-creating them, as alter_ddl does, fails while a column uses them, so no merge could
--     change a domain in use or fix a label's spelling;
--   * all of them are created in dependency order (create_types, create_functions,
--     create_views: deepest dependency first) and dropped in the reverse order (the drop_
--     phases, dependents first);
--   * an unchanged view that uses, directly or through other views, one that is dropped or
--     re-created, or a table one of whose columns changes type (ALTER COLUMN ... TYPE is refused
--     under a view, so on the branch the view was dropped and re-created with the same text),
--     is dropped and re-created with it (change 'rebuilt'). A rebuilt materialized view is
--     created WITH NO DATA like any other: reading it raises "has not been populated" until it
--     is refreshed.
-- Stored definitions hold text, not references, so the edges come from tokens: a column or alias
-- that happens to carry another object's name adds an edge that only affects the order (a cycle
-- such false edges could form is cut at as many levels as there are objects, and its objects
-- then go in key order). Types are only ordered: a type that changes is dropped and re-created,
-- which fails while a table column uses it.
-- Trees without such a change skip all this.
-- Steps: tree_definitions (entries and the definitions read), ddl_dependencies (the order of
-- views, types and functions, late functions, views to rebuild), object_ddl (each object's
-- statements), then the late functions' phases and the order within each phase.
CREATE FUNCTION pggit.tree_ddl(p_from jsonb, p_to jsonb)
RETURNS TABLE (step bigint, phase pggit.ddl_phase, object_key text, change text, statement text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pggit SET jit = off AS $$
    WITH entries AS MATERIALIZED (
        SELECT * FROM pggit.tree_definitions(p_from, p_to)
    ), dependencies AS MATERIALIZED (  -- views, types and functions of each side, when ordered,
                                 -- with every table's name on each side (see ddl_node)
        SELECT * FROM pggit.ddl_dependencies(ARRAY(
            SELECT ROW(s.side, e.object_key, e.object_type,
                       CASE WHEN e.object_type = 'table'  -- the key's part after the schema (object_key)
                            THEN substring(e.object_key FROM '^[a-z_]+:(?:"(?:[^"]|"")*"|[^".]*)\.(.*)$')
                            ELSE quote_ident(s.definition->>'name') END,
                       pggit.reference_text(e.object_type, s.definition),
                       s.side = 'old' AND CASE WHEN e.object_type = 'table' THEN pggit.columns_retyped(e.old_def, e.new_def)
                                               WHEN e.object_type IN ('view', 'materialized_view')
                                               THEN e.old_hash IS DISTINCT FROM e.new_hash
                                               ELSE false END)::pggit.ddl_node
              FROM entries e
             CROSS JOIN LATERAL (VALUES ('old', e.old_hash, e.old_def), ('new', e.new_hash, e.new_def)) s(side, hash, definition)
             WHERE s.hash IS NOT NULL
               AND (e.ordered OR (e.object_type = 'table' AND EXISTS (SELECT 1 FROM entries o WHERE o.ordered)))))
    ), pairs AS (  -- the objects that change, and the unchanged views rebuilt with them
        SELECT e.object_key, e.object_type, e.old_def, e.new_def, coalesce(e.old_hash = e.new_hash, false) AS rebuilt,
               o.depth AS old_depth, n.depth AS new_depth, o.late AS old_late, n.late AS new_late
          FROM entries e
          LEFT JOIN dependencies o ON o.side = 'old' AND o.object_key = e.object_key
          LEFT JOIN dependencies n ON n.side = 'new' AND n.object_key = e.object_key
         WHERE e.old_hash IS DISTINCT FROM e.new_hash OR (e.new_hash IS NOT NULL AND o.dropped)
    ), statements AS (  -- each object's statements (object_ddl); a late function is created with
                        -- the views, after every table, and dropped with them, before any table
        SELECT p.object_key, p.old_depth, p.new_depth, s.statement, s.ord,
               CASE WHEN p.rebuilt THEN 'rebuilt' WHEN p.old_def IS NULL THEN 'added'
                    WHEN p.new_def IS NULL THEN 'removed' ELSE 'modified' END AS change,
               CASE WHEN s.phase = 'create_functions' AND p.new_late THEN 'create_views'
                    WHEN s.phase = 'drop_tables_functions' AND p.old_late THEN 'drop_views_constraints'
                    ELSE s.phase END AS phase
          FROM pairs p
         CROSS JOIN LATERAL (SELECT o.phase, o.statement, row_number() OVER () AS ord
                               FROM pggit.object_ddl(p.object_type, p.old_def, p.new_def, p.rebuilt) o) s
    )
    SELECT row_number() OVER (ORDER BY s.phase, r.rank, s.object_key, s.ord), s.phase, s.object_key, s.change,
           s.statement
      FROM statements s
     CROSS JOIN LATERAL (  -- within a phase, drops: dependents first; creates: dependencies first
        SELECT CASE WHEN s.phase IN ('drop_views_constraints', 'drop_tables_functions', 'drop_types_sequences')
                    THEN -coalesce(s.old_depth, 0)
                    WHEN s.phase IN ('create_types', 'create_functions', 'create_views') THEN coalesce(s.new_depth, 0)
                    ELSE 0 END) r(rank)
     ORDER BY 1
$$;
