-- django-pggit 0008 reversed: pggit's functions run with the caller's jit setting again, and
-- the DDL generators get the default row estimate back.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'pggit'::regnamespace
           AND 'jit=off' = ANY (p.proconfig)
    LOOP
        EXECUTE format('ALTER FUNCTION %s RESET jit', f);
    END LOOP;
END;
$$;

ALTER FUNCTION pggit.create_ddl(text, jsonb) ROWS 1000;
ALTER FUNCTION pggit.alter_ddl(text, jsonb, jsonb) ROWS 1000;
ALTER FUNCTION pggit.drop_ddl(text, jsonb) ROWS 1000;
ALTER FUNCTION pggit.definition_changes(jsonb, jsonb) ROWS 1000;
