-- django-pggit 0005 reversed: restores 060_ddl_generation.sql's tree_ddl (copied verbatim):
-- statements of one phase in object-key order, no rebuilt views; drops argument_types.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.

-- tree_ddl(from_tree, to_tree)
-- Purpose: the DDL that turns a workspace holding from_tree into one holding to_tree, in
--   dependency order (phase, then object key, then statement order).
-- Returns: (step, phase, object_key, change, statement).
CREATE OR REPLACE FUNCTION pggit.tree_ddl(p_from jsonb, p_to jsonb)
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

DROP FUNCTION pggit.argument_types(text);
