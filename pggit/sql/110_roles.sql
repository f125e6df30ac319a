-- django-pggit core: roles.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- pggit_reader  reads history: SELECT on pggit's tables (and the read functions, which only
--               read). It cannot write history: the write functions need INSERT/UPDATE.
-- pggit_writer  a reader that can also commit, branch, merge and branch data: write access to
--               pggit's tables and sequences, and CREATE on the database for workspaces.
-- Grant them to your login roles: GRANT pggit_writer TO app;
-- Roles are cluster-wide: an install that may not create roles (no CREATEROLE) skips them
-- with a WARNING; concurrent installs in several databases tolerate each other.
-- The grants are pggit's own DDL: marked internal (pggit.internal, transaction-local), so that
-- running this file again once DDL capture is on (as the WARNING's hint says) records nothing.

DO $roles$
DECLARE
    v_role text;
    v_internal text := current_setting('pggit.internal', true);
BEGIN
    PERFORM set_config('pggit.internal', 'on', true);
    FOREACH v_role IN ARRAY ARRAY['pggit_reader', 'pggit_writer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION
                WHEN unique_violation OR duplicate_object THEN
                    NULL;  -- another database's install created it at the same moment
                WHEN insufficient_privilege THEN
                    RAISE WARNING USING
                        MESSAGE = format('pggit: cannot create role %s (the installing role lacks CREATEROLE)', v_role),
                        HINT = 'Create pggit_reader and pggit_writer as a privileged role, then run pggit/sql/110_roles.sql again.';
            END;
        END IF;
    END LOOP;
    IF (SELECT count(*) FROM pg_roles WHERE rolname IN ('pggit_reader', 'pggit_writer')) < 2 THEN
        PERFORM set_config('pggit.internal', coalesce(v_internal, ''), true);
        RETURN;
    END IF;
    GRANT USAGE ON SCHEMA pggit TO pggit_reader, pggit_writer;
    GRANT SELECT ON ALL TABLES IN SCHEMA pggit TO pggit_reader, pggit_writer;
    GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pggit TO pggit_writer;
    REVOKE UPDATE, DELETE ON pggit.commits FROM pggit_writer;  -- history is append-only
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA pggit TO pggit_writer;
    EXECUTE format('GRANT CREATE ON DATABASE %I TO pggit_writer', current_database());
    -- Data-branch tables are created later in schema pggit by the installing role.
    ALTER DEFAULT PRIVILEGES IN SCHEMA pggit GRANT SELECT ON TABLES TO pggit_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA pggit GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO pggit_writer;
    PERFORM set_config('pggit.internal', coalesce(v_internal, ''), true);
END;
$roles$;
