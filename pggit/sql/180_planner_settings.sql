-- django-pggit 0008: what the planner should know about pggit's functions: they run without
-- JIT, and the DDL generators return a few rows, not a thousand.
--
-- FROZEN once shipped: a change is a new file loaded by a new migration.
-- Reversed by 180_planner_settings_reverse.sql.
--
-- Stock PostgreSQL builds (Debian's, Ubuntu's, most images and managed services) ship with
-- jit = on and jit_above_cost = 100000. The statements inside tree_ddl, diff, merge,
-- create_data_branch and friends read small jsonb trees and catalogs, but their estimates (a set
-- returning function is assumed to return 100 or 1000 rows, joined several times over) often
-- cross that cost, and each crossing compiles a few hundred expressions with LLVM: 100-300 ms a
-- call on Debian's PostgreSQL 15, where the work itself takes a few milliseconds.
--
-- So every function of schema pggit runs with jit = off (a SET clause: restored when the
-- function returns, so the caller's own queries keep the caller's setting), except the LANGUAGE
-- sql functions that have no SET clause: those are inlined into the statement that calls them
-- (a SET clause would prevent that, and their callers in pggit run with jit = off already).
-- tests/test_jit.py keeps this true for every function, including ones added later: a
-- CREATE OR REPLACE FUNCTION drops the setting, so a later migration that replaces a function
-- must say SET jit = off itself.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_language l ON l.oid = p.prolang
         WHERE p.pronamespace = 'pggit'::regnamespace
           AND p.prokind = 'f'
           AND NOT (l.lanname = 'sql' AND p.proconfig IS NULL)
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET jit = off', f);
    END LOOP;
END;
$$;

-- Row estimates. A set-returning function is assumed to return 1000 rows (ROWS 1000), and
-- tree_ddl calls create_ddl, alter_ddl or drop_ddl once per changed object in a lateral join:
-- 100 objects were estimated at 540,300 statements (cost 400,000, four times the JIT
-- threshold) when they give 300. A function that generates one object's DDL returns a
-- statement or a few (a table: CREATE TABLE, its indexes, its comments); definition_changes
-- returns one row per changed element of one object.
ALTER FUNCTION pggit.create_ddl(text, jsonb) ROWS 4;
ALTER FUNCTION pggit.alter_ddl(text, jsonb, jsonb) ROWS 4;
ALTER FUNCTION pggit.drop_ddl(text, jsonb) ROWS 1;
ALTER FUNCTION pggit.definition_changes(jsonb, jsonb) ROWS 5;
