-- django-pggit core: roles.
--
-- Installed by migration 0001_initial, which holds the live definition of every function of
-- this concern until the first release; from then on the file is frozen (docs/upgrading.md).
--
-- pggit_reader  reads history: SELECT on pggit's tables, EXECUTE on the read functions.
-- pggit_writer  a reader that may also call the write functions (commit, branch, merge, revert,
--               data branches); no INSERT/UPDATE/DELETE/TRUNCATE on pggit's tables.
-- pggit_owner   NOLOGIN: owns pggit; the write functions run as it (105_privileges.sql).
-- Grant the first two to your login roles: GRANT pggit_writer TO app;
-- Roles are cluster-wide: an install that may not create roles (no CREATEROLE) skips them
-- with a WARNING; concurrent installs in several databases tolerate each other. The rights
-- are then applied by pggit.apply_privileges() (105_privileges.sql), so running this file
-- again after creating the roles by hand gives them their rights.
-- The grants are pggit's own DDL: marked internal (pggit.internal, transaction-local), so that
-- running this file again once DDL capture is on (as the WARNING's hint says) records nothing.

DO $roles$
DECLARE
    v_role text;
    v_internal text := current_setting('pggit.internal', true);
BEGIN
    PERFORM set_config('pggit.internal', 'on', true);
    FOREACH v_role IN ARRAY ARRAY['pggit_reader', 'pggit_writer', 'pggit_owner'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
            EXCEPTION
                WHEN unique_violation OR duplicate_object THEN
                    NULL;  -- another database's install created it at the same moment
                WHEN insufficient_privilege THEN
                    RAISE WARNING USING
                        MESSAGE = format('pggit: cannot create role %s (the installing role lacks CREATEROLE)', v_role),
                        HINT = 'Create pggit_reader and pggit_writer as a privileged role (and pggit_owner, all NOLOGIN), '
                               'then run pggit/sql/110_roles.sql again.';
            END;
        END IF;
    END LOOP;
    PERFORM set_config('pggit.internal', coalesce(v_internal, ''), true);
END;
$roles$;

SELECT pggit.apply_privileges();
