-- django-pggit 0005: views, types and SQL-standard functions in dependency order.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 150_dependency_order_reverse.sql.
--
-- tree_ddl ordered the statements of one phase by object key, so a view over a view whose name
-- sorts after it could not be created (create_branch failed: "relation ... does not exist"),
-- nor dropped before it, and changing a view that unchanged views depend on failed at its DROP
-- ("cannot drop view ... because other objects depend on it"), as did a merge that changes the
-- type of a column a view uses. Types had the same problem: every domain sorts before the enums
-- and a composite type before the domains it may use ("type ... does not exist"). Functions
-- were created before every table, so one returning SETOF a table or taking its row type, or
-- with a SQL-standard body (BEGIN ATOMIC / RETURN, parsed at creation) reading a table, failed;
-- and a domain's CHECK calling a function was added before any function existed. Now, when a
-- view, a materialized view, a type, a function or a column type changes:
--   * the names each view's query, each function's signature and SQL-standard body and each
--     type's definition mention give the "uses" edges between these objects in each tree: the
--     identifier tokens of the query, the argument types (not their names) and result type,
--     the body, a domain's base type, a composite type's attribute types, compared with
--     quote_ident of the other objects' names (string literals are skipped);
--   * a function whose signature or SQL-standard body names a table or view (or that calls such
--     a function) is created with the views (phase 120, after every table) and dropped with them
--     (phase 20, before any table); the others stay with the functions (phases 70 and 30), so
--     a table default, check or index can still use them;
--   * a domain's CHECK constraints are added after the functions (phase 75) instead of with the
--     domain (phase 50), and dropped before them (phase 25) when the domain goes or changes;
--   * a domain whose base type stays is altered in place (constraints, default, NOT NULL,
--     comment), and an enum whose labels are only renamed gets RENAME VALUE: dropping and
--     re-creating them, as alter_ddl does, fails while a column uses them, so no merge could
--     change a domain in use or fix a label's spelling;
--   * all of them are created in dependency order (types in phase 50, functions in 70, views
--     and late functions in 120, deepest dependency first) and dropped in the reverse order
--     (phases 20, 30 and 40, dependents first);
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
-- which fails while a table column uses it, as before.
-- Trees without such a change skip all this.

-- argument_types(arguments): the types of pg_get_function_arguments' text, without modes, names
--   and defaults ("OUT n integer, r users DEFAULT NULL" -> "integer users"), so an argument
--   named like a table is not read as a use of it. An argument is "[mode] [name] type
--   [DEFAULT expr]": with a name, the type is every token after the first; a multi-word type
--   without a name loses its first word, which never names a relation (it is a keyword).
CREATE FUNCTION pggit.argument_types(p_arguments text) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog
AS $$
    SELECT string_agg(array_to_string(CASE WHEN cardinality(t.tokens) > 1 THEN t.tokens[2:] ELSE t.tokens END, ' '),
                      ' ' ORDER BY a.n)
      FROM regexp_split_to_table(p_arguments, ', ') WITH ORDINALITY AS a(arg, n)
     CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT m[1] FROM regexp_matches(
                   regexp_replace(regexp_replace(a.arg, ' DEFAULT .*$', ''), '^(IN|OUT|INOUT|VARIADIC) ', ''),
                   '"(?:[^"]|"")*"|[[:alpha:]_][[:alnum:]_$]*', 'g') AS m) AS tokens
     ) t
$$;

-- tree_ddl(from_tree, to_tree): contract unchanged (060_ddl_generation.sql), plus the ordering
-- and the rebuilt views described above. Each definition it reads is looked up by hash, one
-- index probe per entry (a join to pggit.objects, planned for a function scan's default 100
-- rows, read every definition ever stored: work that grew with the history).
CREATE OR REPLACE FUNCTION pggit.tree_ddl(p_from jsonb, p_to jsonb)
RETURNS TABLE (step bigint, phase integer, object_key text, change text, statement text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pggit
AS $$
    WITH RECURSIVE entries AS (
        SELECT coalesce(t.key, f.key) AS object_key, split_part(coalesce(t.key, f.key), ':', 1) AS object_type,
               f.value AS old_hash, t.value AS new_hash
          FROM jsonb_each_text(coalesce(p_from, '{}')) f
          FULL JOIN jsonb_each_text(coalesce(p_to, '{}')) t ON t.key = f.key
    ), changed_tables AS MATERIALIZED (
        SELECT e.object_key,
               (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.old_hash) AS old_def,
               (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.new_hash) AS new_def
          FROM entries e
         WHERE e.object_type = 'table' AND e.old_hash <> e.new_hash
    ), retyped AS (  -- tables whose columns change type: PostgreSQL refuses that under a view
        SELECT c.object_key, c.old_def->>'name' AS name
          FROM changed_tables c
         WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(c.old_def->'columns') o
                         JOIN jsonb_array_elements(c.new_def->'columns') n ON n->>'name' = o->>'name'
                        WHERE (n->>'type', n->>'collation') IS DISTINCT FROM (o->>'type', o->>'collation'))
    ), ordering_needed AS (
        SELECT EXISTS (SELECT 1 FROM entries e WHERE e.old_hash IS DISTINCT FROM e.new_hash
                          AND e.object_type IN ('view', 'materialized_view', 'enum', 'domain', 'composite_type',
                                                'function', 'procedure'))
            OR EXISTS (SELECT 1 FROM retyped) AS yes
    ), defs AS MATERIALIZED (  -- the definitions the script reads: of the changed entries, and of
                               -- every view, type and function when they are ordered
        SELECT e.object_key, e.object_type, e.old_hash, e.new_hash,
               (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.old_hash) AS old_def,
               (SELECT o.definition FROM pggit.objects o WHERE o.hash = e.new_hash) AS new_def
          FROM entries e
         WHERE e.old_hash IS DISTINCT FROM e.new_hash
            OR (e.object_type IN ('view', 'materialized_view', 'enum', 'domain', 'composite_type',
                                  'function', 'procedure')
                AND (SELECT yes FROM ordering_needed))
    ), nodes AS (  -- views, types and functions of each side, with the text their references
                   -- are read from
        SELECT e.object_key, e.object_type IN ('view', 'materialized_view') AS is_view,
               e.object_type IN ('function', 'procedure') AS is_function, o.side,
               o.definition->>'name' AS name,
               CASE WHEN e.object_type IN ('view', 'materialized_view') THEN o.definition->>'query'
                    -- the signature's types; a SQL-standard body is parsed at creation too
                    WHEN e.object_type IN ('function', 'procedure') THEN
                        concat_ws(' ', pggit.argument_types(o.definition->>'arguments'), o.definition->>'result',
                                  CASE WHEN (o.definition->>'sql_body')::boolean THEN o.definition->>'body' END)
                    WHEN e.object_type = 'domain' THEN o.definition->>'base_type'
                    ELSE (SELECT string_agg(a->>1, ', ') FROM jsonb_array_elements(o.definition->'attributes') a)
               END AS source
          FROM defs e
         CROSS JOIN LATERAL (VALUES ('old', e.old_def), ('new', e.new_def)) o(side, definition)
         WHERE o.definition IS NOT NULL
           AND e.object_type IN ('view', 'materialized_view', 'enum', 'domain', 'composite_type',
                                 'function', 'procedure')
           AND (SELECT yes FROM ordering_needed)
    ), tokens AS MATERIALIZED (  -- each node's identifiers (a string literal is one token)
        SELECT DISTINCT x.side, x.object_key, x.is_view, x.is_function, m.token[1] AS token
          FROM nodes x
         CROSS JOIN LATERAL regexp_matches(x.source, '''(?:[^'']|'''')*''|"(?:[^"]|"")*"|[[:alpha:]_][[:alnum:]_$]*', 'g') AS m(token)
    ), uses AS (  -- on one side, x's text names y
        SELECT DISTINCT t.side, t.object_key AS x, t.is_view AS x_is_view, t.is_function AS x_is_function,
               y.object_key AS y
          FROM tokens t
          JOIN nodes y ON y.side = t.side AND quote_ident(y.name) = t.token AND y.object_key <> t.object_key
    ), relations AS (  -- the tables' and views' names on each side, as a query would write them:
                       -- the key's part after the schema is quote_ident(name) (see object_key)
        SELECT DISTINCT s.side, substring(e.object_key FROM '^[a-z_]+:(?:"(?:[^"]|"")*"|[^".]*)\.(.*)$') AS token
          FROM entries e
         CROSS JOIN LATERAL (VALUES ('old', e.old_hash), ('new', e.new_hash)) s(side, hash)
         WHERE s.hash IS NOT NULL AND e.object_type IN ('table', 'view', 'materialized_view')
           AND (SELECT yes FROM ordering_needed)
    ), late(side, object_key) AS (  -- functions whose signature or SQL-standard body names a table
                                    -- or view, or that call such functions: they go with the views
        SELECT t.side, t.object_key FROM tokens t JOIN relations r ON r.side = t.side AND r.token = t.token
         WHERE t.is_function
        UNION
        SELECT u.side, u.x FROM uses u JOIN late l ON l.side = u.side AND l.object_key = u.y
         WHERE u.x_is_function
    ), depth(side, object_key, depth) AS (  -- x has a chain of uses depth long below it
        SELECT v.side, v.object_key, 0 FROM nodes v
        UNION
        SELECT u.side, u.x, d.depth + 1 FROM uses u JOIN depth d ON d.side = u.side AND d.object_key = u.y
         WHERE d.depth < (SELECT count(*) FROM nodes)  -- bounds a cycle of false edges
    ), levels AS (
        SELECT d.side, d.object_key, max(d.depth) AS depth FROM depth d GROUP BY d.side, d.object_key
    ), dropped(object_key) AS (  -- views the script drops: removed, re-created, using a retyped
                                 -- table, or using those
        SELECT e.object_key FROM entries e
         WHERE e.object_type IN ('view', 'materialized_view') AND e.old_hash IS NOT NULL
           AND e.old_hash IS DISTINCT FROM e.new_hash AND (SELECT yes FROM ordering_needed)
        UNION
        SELECT t.object_key FROM tokens t JOIN retyped r ON t.side = 'old' AND t.is_view AND t.token = quote_ident(r.name)
        UNION
        SELECT u.x FROM uses u JOIN dropped d ON u.side = 'old' AND u.x_is_view AND u.y = d.object_key
    ), pairs AS (
        SELECT e.object_key, e.object_type, e.old_def, e.new_def,
               coalesce(e.old_hash = e.new_hash, false) AS rebuilt,
               -- a domain keeps its base type: alter it in place (alter_ddl drops and re-creates
               -- it, which PostgreSQL refuses while a column uses it)
               coalesce(e.object_type = 'domain' AND e.old_hash <> e.new_hash
                        AND (e.old_def - 'constraints' - 'default' - 'not_null' - 'comment')
                          = (e.new_def - 'constraints' - 'default' - 'not_null' - 'comment'), false)
                   AS domain_in_place,
               -- an enum whose labels are only renamed, position by position: RENAME VALUE
               coalesce(e.object_type = 'enum' AND e.old_hash <> e.new_hash
                        AND (e.old_def - 'labels' - 'comment') = (e.new_def - 'labels' - 'comment')
                        AND jsonb_array_length(e.old_def->'labels') = jsonb_array_length(e.new_def->'labels')
                        AND NOT EXISTS (
                            SELECT 1 FROM jsonb_array_elements_text(e.old_def->'labels') WITH ORDINALITY o(l, i)
                              JOIN jsonb_array_elements_text(e.new_def->'labels') WITH ORDINALITY n(l, i) ON n.i = o.i
                             WHERE o.l <> n.l AND (e.new_def->'labels' ? o.l OR e.old_def->'labels' ? n.l)), false)
                   AS enum_renamed
          FROM defs e
         WHERE e.old_hash IS DISTINCT FROM e.new_hash
            OR (e.new_hash IS NOT NULL AND e.object_key IN (SELECT d.object_key FROM dropped d))
    ), statements AS (
        SELECT p.object_key,
               CASE WHEN p.rebuilt THEN 'rebuilt' WHEN p.old_def IS NULL THEN 'added'
                    WHEN p.new_def IS NULL THEN 'removed' ELSE 'modified' END AS change,
               -- a function whose signature or SQL-standard body (parsed at creation) names a
               -- table or view is created with the views (after every table) and dropped with
               -- them (before any table); a domain's CHECKs may call functions: after those
               CASE WHEN p.object_type = 'domain' AND s.phase = 50 AND s.statement LIKE 'ALTER DOMAIN %' THEN 75
                    WHEN p.object_type NOT IN ('function', 'procedure') THEN s.phase
                    WHEN s.phase = 70 AND p.object_key IN (SELECT l.object_key FROM late l WHERE l.side = 'new') THEN 120
                    WHEN s.phase = 30 AND p.object_key IN (SELECT l.object_key FROM late l WHERE l.side = 'old') THEN 20
                    ELSE s.phase END AS phase,
               s.statement, s.ord
          FROM pairs p
         CROSS JOIN LATERAL (
            SELECT x.phase, x.statement, row_number() OVER () AS ord FROM (
                SELECT * FROM pggit.create_ddl(p.object_type, p.new_def) WHERE p.old_def IS NULL
                UNION ALL
                SELECT * FROM pggit.drop_ddl(p.object_type, p.old_def) WHERE p.new_def IS NULL
                UNION ALL
                SELECT * FROM pggit.alter_ddl(p.object_type, p.old_def, p.new_def)
                 WHERE p.old_def IS NOT NULL AND p.new_def IS NOT NULL AND NOT p.rebuilt AND NOT p.domain_in_place
                   AND NOT p.enum_renamed
                UNION ALL
                SELECT 50, format('ALTER TYPE %s RENAME VALUE %L TO %L', quote_ident(p.new_def->>'name'), o.l, n.l)
                  FROM jsonb_array_elements_text(p.old_def->'labels') WITH ORDINALITY o(l, i)
                  JOIN jsonb_array_elements_text(p.new_def->'labels') WITH ORDINALITY n(l, i) ON n.i = o.i
                 WHERE p.enum_renamed AND o.l <> n.l
                UNION ALL
                SELECT 140, pggit.comment_ddl('TYPE ' || quote_ident(p.new_def->>'name'), p.new_def->>'comment')
                 WHERE p.enum_renamed AND (p.old_def->>'comment') IS DISTINCT FROM (p.new_def->>'comment')
                UNION ALL
                SELECT d.phase, d.statement FROM (
                    SELECT 25 AS phase, format('ALTER DOMAIN %s DROP CONSTRAINT %I', quote_ident(p.new_def->>'name'), o.key) AS statement
                      FROM jsonb_each_text(coalesce(p.old_def->'constraints', '{}')) o
                     WHERE (p.new_def->'constraints'->>o.key) IS DISTINCT FROM o.value
                    UNION ALL
                    SELECT 75, format('ALTER DOMAIN %s ADD CONSTRAINT %I %s', quote_ident(p.new_def->>'name'), n.key, n.value)
                      FROM jsonb_each_text(coalesce(p.new_def->'constraints', '{}')) n
                     WHERE (p.old_def->'constraints'->>n.key) IS DISTINCT FROM n.value
                    UNION ALL
                    SELECT 75, format('ALTER DOMAIN %s %s', quote_ident(p.new_def->>'name'),
                                      coalesce('SET DEFAULT ' || (p.new_def->>'default'), 'DROP DEFAULT'))
                     WHERE (p.old_def->>'default') IS DISTINCT FROM (p.new_def->>'default')
                    UNION ALL
                    SELECT 75, format('ALTER DOMAIN %s %s NOT NULL', quote_ident(p.new_def->>'name'),
                                      CASE WHEN (p.new_def->>'not_null')::boolean THEN 'SET' ELSE 'DROP' END)
                     WHERE coalesce((p.old_def->>'not_null')::boolean, false)
                           <> coalesce((p.new_def->>'not_null')::boolean, false)
                    UNION ALL
                    SELECT 140, pggit.comment_ddl('DOMAIN ' || quote_ident(p.new_def->>'name'), p.new_def->>'comment')
                     WHERE (p.old_def->>'comment') IS DISTINCT FROM (p.new_def->>'comment')
                ) d WHERE p.domain_in_place
                UNION ALL
                SELECT * FROM pggit.drop_ddl(p.object_type, p.old_def) WHERE p.rebuilt
                UNION ALL
                SELECT * FROM pggit.create_ddl(p.object_type, p.new_def) WHERE p.rebuilt
                UNION ALL  -- a domain that goes or is re-created lets go of the functions its
                           -- CHECKs call before they are dropped (phase 30)
                SELECT 25, format('ALTER DOMAIN %s DROP CONSTRAINT %I', quote_ident(p.old_def->>'name'), c.key)
                  FROM jsonb_each(coalesce(p.old_def->'constraints', '{}')) c
                 WHERE p.object_type = 'domain' AND p.old_def IS NOT NULL AND NOT p.rebuilt AND NOT p.domain_in_place
            ) x
         ) s
    ), ordered AS (  -- drops: dependents first; creates: dependencies first
        SELECT s.*, CASE WHEN s.phase IN (20, 30, 40) THEN -coalesce(o.depth, 0)
                         WHEN s.phase IN (50, 70, 120) THEN coalesce(n.depth, 0)
                         ELSE 0 END AS dependency_rank
          FROM statements s
          LEFT JOIN levels o ON o.side = 'old' AND o.object_key = s.object_key
          LEFT JOIN levels n ON n.side = 'new' AND n.object_key = s.object_key
    )
    SELECT row_number() OVER (ORDER BY s.phase, s.dependency_rank, s.object_key, s.ord),
           s.phase, s.object_key, s.change, s.statement
      FROM ordered s
     ORDER BY 1
$$;
