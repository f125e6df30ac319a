-- django-pggit: remove every object of pggit from this database.
-- Event triggers are database-wide objects: drop them before the schema their functions live in.
DROP EVENT TRIGGER IF EXISTS pggit_capture_ddl;
DROP EVENT TRIGGER IF EXISTS pggit_capture_drop;
-- Branch workspaces live in their own namespaces (pggit_b<id>_<n>, and pggit_b<id>_<n>_data for
-- data branches), commit checkouts in pggit_c<hash digits>_<n>, outside schema pggit.
DO $uninstall$
DECLARE
    v_namespace text;
BEGIN
    FOR v_namespace IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^pggit_b[0-9]+_[0-9]+(_data)?$'
                              OR nspname ~ '^pggit_c[0-9a-f]{12}_[0-9]+$' LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', v_namespace);
    END LOOP;
END;
$uninstall$;
DROP SCHEMA IF EXISTS pggit CASCADE;
-- The roles are cluster-wide: drop them unless another database still uses them.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['pggit_writer', 'pggit_reader', 'pggit_owner'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_role) THEN
            BEGIN
                EXECUTE format('REVOKE ALL ON DATABASE %I FROM %I', current_database(), v_role);
                EXECUTE format('DROP OWNED BY %I', v_role);
                EXECUTE format('DROP ROLE %I', v_role);
            EXCEPTION WHEN dependent_objects_still_exist OR insufficient_privilege THEN
                RAISE NOTICE 'pggit: role % kept: another database still uses it', v_role;
            END;
        END IF;
    END LOOP;
END;
$roles$;
