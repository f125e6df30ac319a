-- django-pggit core: DDL generated from stored definitions.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
--
-- Definitions are schema-independent (same-schema references are unqualified), so the DDL
-- generated here is unqualified too: it is meant to run with search_path set to the target
-- namespace alone (pg_catalog is then searched first implicitly). Every statement carries a
-- phase; running statements in phase order respects dependencies:
--   10 drop triggers, foreign keys        20 drop views, indexes, other constraints
--   25 rename columns
--   30 drop columns/tables/functions      40 drop sequences and types
--   50 create/alter types                 60 create/alter sequences
--   70 create/replace functions           80 create/alter tables (columns; a new table's
--                                             own-row constraints)
--   90 add constraints (not FK)          100 add foreign keys
--  110 create indexes                    120 create views, materialized views
--  130 create triggers                   140 sequence ownership, comments

-- column_sql(column): a column definition for CREATE TABLE / ADD COLUMN.
CREATE FUNCTION pggit.column_sql(c jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$
    SELECT quote_ident(c->>'name') || ' ' || (c->>'type')
        || coalesce(' COLLATE ' || (c->>'collation'), '')
        || coalesce(' GENERATED ALWAYS AS (' || (c->>'generated') || ') STORED', '')
        || coalesce(' GENERATED ' || (c->>'identity') || ' AS IDENTITY', '')
        || coalesce(' DEFAULT ' || (c->>'default'), '')
        || CASE WHEN (c->>'not_null')::boolean THEN ' NOT NULL' ELSE '' END
$$;

-- object_name_sql(type, definition): how DDL names the object (functions with arguments).
CREATE FUNCTION pggit.object_name_sql(p_type text, d jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$
    SELECT quote_ident(d->>'name')
        || CASE WHEN p_type IN ('function', 'procedure')
                THEN '(' || coalesce(d->>'identity_arguments', d->>'arguments') || ')' ELSE '' END
$$;

-- comment_ddl(what, comment): COMMENT ON ... IS ... (NULL comment removes it).
CREATE FUNCTION pggit.comment_ddl(p_what text, p_comment text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$
    SELECT format('COMMENT ON %s IS %s', p_what, coalesce(quote_literal(p_comment), 'NULL'))
$$;

-- sql_keyword(type): the DDL keyword of an object type.
CREATE FUNCTION pggit.sql_keyword(p_type text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$
    SELECT CASE p_type
        WHEN 'materialized_view' THEN 'MATERIALIZED VIEW'
        WHEN 'enum' THEN 'TYPE' WHEN 'composite_type' THEN 'TYPE'
        ELSE upper(p_type) END
$$;

-- create_ddl(type, definition)
-- Purpose: the statements that create an object from its definition, with their phases.
-- Errors: PGD01 for an object type pggit cannot recreate (aggregates).
CREATE FUNCTION pggit.create_ddl(p_type text, d jsonb)
RETURNS TABLE (phase integer, statement text)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_name text := quote_ident(d->>'name');
    v_key text;
    v_value jsonb;
    v_inline text[];
BEGIN
    CASE p_type
    WHEN 'table' THEN
        -- Constraints that only read the table's own row (primary key, unique, check,
        -- exclusion) go into CREATE TABLE: one statement instead of one ALTER TABLE each
        -- (a third of create_branch's DDL time). Not foreign keys (the tables they reference
        -- may come later), not NOT VALID ones (CREATE TABLE would mark them valid, and the
        -- branch's definition would differ), not those of a partition (attached later, with
        -- the constraints it inherits).
        SELECT array_agg(k.key ORDER BY k.key) INTO v_inline
          FROM jsonb_each(coalesce(d->'constraints', '{}')) k
         WHERE NOT d ? 'partition_of'
           AND k.value->>'definition' NOT LIKE 'FOREIGN KEY%'
           AND k.value->>'definition' NOT LIKE '% NOT VALID';
        phase := 80;
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
            phase := 90;
            statement := format('ALTER TABLE %s ATTACH PARTITION %s %s',
                                d->>'partition_of', v_name, d->>'partition_bound');
            RETURN NEXT;
        END IF;
        FOR v_key, v_value IN SELECT * FROM jsonb_each(coalesce(d->'constraints', '{}'))
                               WHERE NOT key = ANY (coalesce(v_inline, '{}')) ORDER BY 1 LOOP
            phase := CASE WHEN v_value->>'definition' LIKE 'FOREIGN KEY%' THEN 100 ELSE 90 END;
            statement := format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_name, v_key, v_value->>'definition');
            RETURN NEXT;
        END LOOP;
        FOR v_key, v_value IN SELECT * FROM jsonb_each(coalesce(d->'indexes', '{}')) ORDER BY 1 LOOP
            phase := 110; statement := v_value->>'definition'; RETURN NEXT;
        END LOOP;
        FOR v_key, v_value IN SELECT * FROM jsonb_each(coalesce(d->'triggers', '{}')) ORDER BY 1 LOOP
            phase := 130; statement := v_value #>> '{}'; RETURN NEXT;
        END LOOP;
        IF (d->>'row_security')::boolean THEN
            phase := 140; statement := format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_name); RETURN NEXT;
        END IF;
        phase := 140;
        FOR statement IN
            SELECT pggit.comment_ddl('TABLE ' || v_name, d->>'comment') WHERE d ? 'comment'
            UNION ALL
            SELECT pggit.comment_ddl(format('COLUMN %s.%I', v_name, c->>'name'), c->>'comment')
              FROM jsonb_array_elements(d->'columns') c WHERE c ? 'comment'
            UNION ALL
            SELECT pggit.comment_ddl(format('CONSTRAINT %I ON %s', k.key, v_name), k.value->>'comment')
              FROM jsonb_each(coalesce(d->'constraints', '{}')) k WHERE k.value ? 'comment'
            UNION ALL
            SELECT pggit.comment_ddl(format('INDEX %I', i.key), i.value->>'comment')
              FROM jsonb_each(coalesce(d->'indexes', '{}')) i WHERE i.value ? 'comment'
        LOOP
            RETURN NEXT;
        END LOOP;
    WHEN 'view' THEN
        phase := 120; statement := format('CREATE VIEW %s AS %s', v_name, rtrim(d->>'query', '; ')); RETURN NEXT;
    WHEN 'materialized_view' THEN
        phase := 120;
        statement := format('CREATE MATERIALIZED VIEW %s AS %s WITH NO DATA', v_name, rtrim(d->>'query', '; '));
        RETURN NEXT;
        FOR v_key, v_value IN SELECT * FROM jsonb_each(coalesce(d->'indexes', '{}')) ORDER BY 1 LOOP
            phase := 120; statement := v_value #>> '{}'; RETURN NEXT;
        END LOOP;
    WHEN 'sequence' THEN
        phase := 60;
        statement := format('CREATE SEQUENCE %s AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s',
            v_name, d->>'data_type', d->>'start', d->>'increment', d->>'min', d->>'max', d->>'cache',
            CASE WHEN (d->>'cycle')::boolean THEN 'CYCLE' ELSE 'NO CYCLE' END);
        RETURN NEXT;
        IF d ? 'owned_by' THEN
            phase := 140; statement := format('ALTER SEQUENCE %s OWNED BY %s', v_name, d->>'owned_by'); RETURN NEXT;
        END IF;
    WHEN 'function', 'procedure' THEN
        IF d->>'kind' NOT IN ('f', 'p') THEN
            RAISE EXCEPTION USING ERRCODE = 'PGD01',
                MESSAGE = format('cannot recreate %s: aggregates and window functions are not supported', d->>'name'),
                HINT = 'Create them in the target workspace by hand.';
        END IF;
        phase := 70;
        statement := format('CREATE OR REPLACE %s %s(%s)%s LANGUAGE %s%s%s%s%s%s %s',
            upper(p_type), v_name, d->>'arguments',
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
    WHEN 'enum' THEN
        phase := 50;
        statement := format('CREATE TYPE %s AS ENUM (%s)', v_name,
            coalesce((SELECT string_agg(quote_literal(l), ', ' ORDER BY o)
                        FROM jsonb_array_elements_text(d->'labels') WITH ORDINALITY AS x(l, o)), ''));
        RETURN NEXT;
    WHEN 'domain' THEN
        phase := 50;
        statement := format('CREATE DOMAIN %s AS %s%s%s', v_name, d->>'base_type',
            coalesce(' DEFAULT ' || (d->>'default'), ''),
            CASE WHEN (d->>'not_null')::boolean THEN ' NOT NULL' ELSE '' END);
        RETURN NEXT;
        FOR v_key, v_value IN SELECT * FROM jsonb_each(coalesce(d->'constraints', '{}')) ORDER BY 1 LOOP
            statement := format('ALTER DOMAIN %s ADD CONSTRAINT %I %s', v_name, v_key, v_value #>> '{}');
            RETURN NEXT;
        END LOOP;
    WHEN 'composite_type' THEN
        phase := 50;
        statement := format('CREATE TYPE %s AS (%s)', v_name,
            coalesce((SELECT string_agg(quote_ident(a->>0) || ' ' || (a->>1), ', ' ORDER BY o)
                        FROM jsonb_array_elements(d->'attributes') WITH ORDINALITY AS x(a, o)), ''));
        RETURN NEXT;
    ELSE
        RAISE EXCEPTION USING ERRCODE = 'PGD01', MESSAGE = format('cannot recreate object type %s', p_type),
            HINT = 'Please report this: pggit should know every type it tracks.';
    END CASE;
    IF p_type <> 'table' AND d ? 'comment' THEN
        phase := 140;
        statement := pggit.comment_ddl(pggit.sql_keyword(p_type) || ' ' || pggit.object_name_sql(p_type, d), d->>'comment');
        RETURN NEXT;
    END IF;
END;
$$;

-- drop_ddl(type, definition): the statement that drops an object, with its phase.
CREATE FUNCTION pggit.drop_ddl(p_type text, d jsonb)
RETURNS TABLE (phase integer, statement text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pggit
AS $$
    SELECT CASE p_type WHEN 'view' THEN 20 WHEN 'materialized_view' THEN 20
                       WHEN 'table' THEN 30 WHEN 'function' THEN 30 WHEN 'procedure' THEN 30
                       ELSE 40 END,
           format('DROP %s %s', pggit.sql_keyword(p_type), pggit.object_name_sql(p_type, d))
$$;

-- alter_ddl(type, old, new)
-- Purpose: the statements that turn an object defined as old into one defined as new, in
--   place where PostgreSQL allows it (tables column by column, renames kept as renames,
--   constraints, indexes,
--   triggers, comments; sequences; enum labels; domains); otherwise drop and re-create.
CREATE FUNCTION pggit.alter_ddl(p_type text, p_old jsonb, p_new jsonb)
RETURNS TABLE (phase integer, statement text)
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pggit
AS $$
DECLARE
    v_name text := quote_ident(p_new->>'name');
    d record;
    v_old jsonb;
    v_new jsonb;
    v_renames jsonb;
BEGIN
    IF p_old = p_new THEN
        RETURN;
    END IF;
    IF p_type = 'sequence' THEN
        phase := 60;
        statement := format('ALTER SEQUENCE %s AS %s START %s INCREMENT %s MINVALUE %s MAXVALUE %s CACHE %s %s',
            v_name, p_new->>'data_type', p_new->>'start', p_new->>'increment', p_new->>'min', p_new->>'max',
            p_new->>'cache', CASE WHEN (p_new->>'cycle')::boolean THEN 'CYCLE' ELSE 'NO CYCLE' END);
        RETURN NEXT;
        phase := 140;
        statement := format('ALTER SEQUENCE %s OWNED BY %s', v_name, coalesce(p_new->>'owned_by', 'NONE'));
        RETURN NEXT;
        IF (p_old->>'comment') IS DISTINCT FROM (p_new->>'comment') THEN
            statement := pggit.comment_ddl('SEQUENCE ' || v_name, p_new->>'comment'); RETURN NEXT;
        END IF;
        RETURN;
    END IF;
    IF p_type IN ('function', 'procedure') AND (p_old - 'body' - 'comment' - 'volatility' - 'strict'
            - 'security_definer' - 'leakproof' - 'parallel' - 'config') = (p_new - 'body' - 'comment'
            - 'volatility' - 'strict' - 'security_definer' - 'leakproof' - 'parallel' - 'config') THEN
        RETURN QUERY SELECT * FROM pggit.create_ddl(p_type, p_new - 'comment');
        IF (p_old->>'comment') IS DISTINCT FROM (p_new->>'comment') THEN
            phase := 140;
            statement := pggit.comment_ddl(pggit.sql_keyword(p_type) || ' ' || pggit.object_name_sql(p_type, p_new), p_new->>'comment');
            RETURN NEXT;
        END IF;
        RETURN;
    END IF;
    IF p_type = 'enum' AND (p_old - 'labels') = (p_new - 'labels')
       AND NOT EXISTS (SELECT 1 FROM pggit.definition_changes(p_old, p_new) x WHERE x.change = 'removed')
       AND (SELECT array_agg(l) FROM jsonb_array_elements_text(p_old->'labels') l)
         = (SELECT array_agg(l) FROM jsonb_array_elements_text(p_new->'labels') l WHERE p_old->'labels' ? l) THEN
        phase := 50;
        FOR statement IN
            SELECT format('ALTER TYPE %s ADD VALUE %L%s', v_name, l,
                          coalesce(' BEFORE ' || quote_literal(
                              (SELECT n FROM jsonb_array_elements_text(p_new->'labels') WITH ORDINALITY AS y(n, k)
                                WHERE y.k > x.o AND p_old->'labels' ? n ORDER BY y.k LIMIT 1)), ''))
              FROM jsonb_array_elements_text(p_new->'labels') WITH ORDINALITY AS x(l, o)
             WHERE NOT p_old->'labels' ? l ORDER BY x.o
        LOOP
            RETURN NEXT;
        END LOOP;
        RETURN;
    END IF;
    IF p_type <> 'table' THEN
        -- views, materialized views, other types: drop and re-create
        RETURN QUERY SELECT * FROM pggit.drop_ddl(p_type, p_old);
        RETURN QUERY SELECT * FROM pggit.create_ddl(p_type, p_new);
        RETURN;
    END IF;

    -- A column removed and one added at the same position with the same attributes is a
    -- rename: keep the column (and its data) in place.
    SELECT coalesce(jsonb_object_agg(o.c->>'name', n.c->>'name'), '{}') INTO v_renames
      FROM jsonb_array_elements(p_old->'columns') WITH ORDINALITY AS o(c, pos)
      JOIN jsonb_array_elements(p_new->'columns') WITH ORDINALITY AS n(c, pos) ON n.pos = o.pos
     WHERE o.c->>'name' <> n.c->>'name' AND (o.c - 'name') = (n.c - 'name')
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_new->'columns') x WHERE x->>'name' = o.c->>'name')
       AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(p_old->'columns') x WHERE x->>'name' = n.c->>'name');

    FOR d IN SELECT * FROM pggit.definition_changes(p_old, p_new) ORDER BY element, name LOOP
        v_old := d.old_value; v_new := d.new_value;
        CASE d.element
        WHEN 'column' THEN
            IF d.change = 'removed' AND v_renames ? d.name THEN
                phase := 25;
                statement := format('ALTER TABLE %s RENAME COLUMN %I TO %I', v_name, d.name, v_renames->>d.name);
                RETURN NEXT;
            ELSIF d.change = 'added' AND EXISTS (SELECT 1 FROM jsonb_each_text(v_renames) r WHERE r.value = d.name) THEN
                NULL;  -- the rename above created it
            ELSIF d.change = 'added' THEN
                phase := 80; statement := format('ALTER TABLE %s ADD COLUMN %s', v_name, pggit.column_sql(v_new)); RETURN NEXT;
                IF v_new ? 'comment' THEN
                    phase := 140; statement := pggit.comment_ddl(format('COLUMN %s.%I', v_name, d.name), v_new->>'comment'); RETURN NEXT;
                END IF;
            ELSIF d.change = 'removed' THEN
                phase := 30; statement := format('ALTER TABLE %s DROP COLUMN %I', v_name, d.name); RETURN NEXT;
            ELSIF (v_old->>'generated') IS DISTINCT FROM (v_new->>'generated') THEN
                phase := 30; statement := format('ALTER TABLE %s DROP COLUMN %I', v_name, d.name); RETURN NEXT;
                phase := 80; statement := format('ALTER TABLE %s ADD COLUMN %s', v_name, pggit.column_sql(v_new)); RETURN NEXT;
            ELSE
                phase := 80;
                IF (v_old->>'identity') IS NOT NULL AND (v_new->>'identity') IS DISTINCT FROM (v_old->>'identity') THEN
                    statement := format('ALTER TABLE %s ALTER COLUMN %I DROP IDENTITY', v_name, d.name); RETURN NEXT;
                END IF;
                IF (v_old->>'default') IS NOT NULL AND (v_new->>'default') IS DISTINCT FROM (v_old->>'default') THEN
                    statement := format('ALTER TABLE %s ALTER COLUMN %I DROP DEFAULT', v_name, d.name); RETURN NEXT;
                END IF;
                IF (v_old->>'type') <> (v_new->>'type') OR (v_old->>'collation') IS DISTINCT FROM (v_new->>'collation') THEN
                    statement := format('ALTER TABLE %s ALTER COLUMN %I TYPE %s%s USING %I::%s', v_name, d.name,
                                        v_new->>'type', coalesce(' COLLATE ' || (v_new->>'collation'), ''), d.name, v_new->>'type');
                    RETURN NEXT;
                END IF;
                IF (v_new->>'default') IS NOT NULL AND (v_new->>'default') IS DISTINCT FROM (v_old->>'default') THEN
                    statement := format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', v_name, d.name, v_new->>'default'); RETURN NEXT;
                END IF;
                IF coalesce((v_old->>'not_null')::boolean, false) <> coalesce((v_new->>'not_null')::boolean, false) THEN
                    statement := format('ALTER TABLE %s ALTER COLUMN %I %s NOT NULL', v_name, d.name,
                                        CASE WHEN (v_new->>'not_null')::boolean THEN 'SET' ELSE 'DROP' END);
                    RETURN NEXT;
                END IF;
                IF (v_new->>'identity') IS NOT NULL AND (v_new->>'identity') IS DISTINCT FROM (v_old->>'identity') THEN
                    statement := format('ALTER TABLE %s ALTER COLUMN %I ADD GENERATED %s AS IDENTITY', v_name, d.name, v_new->>'identity');
                    RETURN NEXT;
                END IF;
                IF (v_old->>'comment') IS DISTINCT FROM (v_new->>'comment') THEN
                    phase := 140; statement := pggit.comment_ddl(format('COLUMN %s.%I', v_name, d.name), v_new->>'comment'); RETURN NEXT;
                END IF;
            END IF;
        WHEN 'constraint' THEN
            IF d.change <> 'added' AND (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition') OR d.change = 'removed' THEN
                phase := CASE WHEN v_old->>'definition' LIKE 'FOREIGN KEY%' THEN 10 ELSE 20 END;
                statement := format('ALTER TABLE %s DROP CONSTRAINT %I', v_name, d.name); RETURN NEXT;
            END IF;
            IF d.change = 'added' OR (d.change = 'modified' AND (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition')) THEN
                phase := CASE WHEN v_new->>'definition' LIKE 'FOREIGN KEY%' THEN 100 ELSE 90 END;
                statement := format('ALTER TABLE %s ADD CONSTRAINT %I %s', v_name, d.name, v_new->>'definition'); RETURN NEXT;
            END IF;
            IF d.change <> 'removed' AND (v_new ? 'comment' OR (v_old->>'comment') IS DISTINCT FROM (v_new->>'comment')) THEN
                phase := 140; statement := pggit.comment_ddl(format('CONSTRAINT %I ON %s', d.name, v_name), v_new->>'comment'); RETURN NEXT;
            END IF;
        WHEN 'index' THEN
            IF d.change = 'removed' OR (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition') AND d.change = 'modified' THEN
                phase := 20; statement := format('DROP INDEX %I', d.name); RETURN NEXT;
            END IF;
            IF d.change = 'added' OR (d.change = 'modified' AND (v_old->>'definition') IS DISTINCT FROM (v_new->>'definition')) THEN
                phase := 110; statement := v_new->>'definition'; RETURN NEXT;
            END IF;
            IF d.change <> 'removed' AND (v_new ? 'comment' OR (v_old->>'comment') IS DISTINCT FROM (v_new->>'comment')) THEN
                phase := 140; statement := pggit.comment_ddl(format('INDEX %I', d.name), v_new->>'comment'); RETURN NEXT;
            END IF;
        WHEN 'trigger' THEN
            IF d.change <> 'added' THEN
                phase := 10; statement := format('DROP TRIGGER %I ON %s', d.name, v_name); RETURN NEXT;
            END IF;
            IF d.change <> 'removed' THEN
                phase := 130; statement := v_new #>> '{}'; RETURN NEXT;
            END IF;
        WHEN 'property' THEN
            phase := 140;
            CASE d.name
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
                    MESSAGE = format('cannot change %s of table %s in place', d.name, p_new->>'name'),
                    HINT = 'Change it by hand (e.g. re-create the table) and commit.';
            END CASE;
        ELSE
            NULL;
        END CASE;
    END LOOP;
END;
$$;

-- tree_ddl(from_tree, to_tree)
-- Purpose: the DDL that turns a workspace holding from_tree into one holding to_tree, in
--   dependency order (phase, then object key, then statement order).
-- Returns: (step, phase, object_key, change, statement).
CREATE FUNCTION pggit.tree_ddl(p_from jsonb, p_to jsonb)
RETURNS TABLE (step bigint, phase integer, object_key text, change text, statement text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    WITH pairs AS (
        SELECT coalesce(t.key, f.key) AS object_key, split_part(coalesce(t.key, f.key), ':', 1) AS object_type,
               fo.definition AS old_def, tob.definition AS new_def
          FROM jsonb_each_text(coalesce(p_from, '{}')) f
          FULL JOIN jsonb_each_text(coalesce(p_to, '{}')) t ON t.key = f.key
          LEFT JOIN pggit.objects fo ON fo.hash = f.value
          LEFT JOIN pggit.objects tob ON tob.hash = t.value
         WHERE f.value IS DISTINCT FROM t.value
    ), statements AS (
        SELECT p.object_key, CASE WHEN p.old_def IS NULL THEN 'added' WHEN p.new_def IS NULL THEN 'removed' ELSE 'modified' END AS change,
               s.phase, s.statement, s.ord
          FROM pairs p
         CROSS JOIN LATERAL (
            SELECT x.phase, x.statement, row_number() OVER () AS ord FROM (
                SELECT * FROM pggit.create_ddl(p.object_type, p.new_def) WHERE p.old_def IS NULL
                UNION ALL
                SELECT * FROM pggit.drop_ddl(p.object_type, p.old_def) WHERE p.new_def IS NULL
                UNION ALL
                SELECT * FROM pggit.alter_ddl(p.object_type, p.old_def, p.new_def)
                 WHERE p.old_def IS NOT NULL AND p.new_def IS NOT NULL
            ) x
         ) s
    )
    SELECT row_number() OVER (ORDER BY s.phase, s.object_key, s.ord), s.phase, s.object_key, s.change, s.statement
      FROM statements s
     ORDER BY 1
$$;
