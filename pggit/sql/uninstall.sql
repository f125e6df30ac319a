-- django-pggit: remove every object of pggit from this database.
-- Event triggers are database-wide objects: drop them before the schema their functions live in.
DROP EVENT TRIGGER IF EXISTS pggit_capture_ddl;
DROP EVENT TRIGGER IF EXISTS pggit_capture_drop;
-- Branch workspaces live in their own namespaces (pggit_b<id>_<n>, and pggit_b<id>_<n>_data for
-- data branches), outside schema pggit.
DO $uninstall$
DECLARE
    v_namespace text;
BEGIN
    FOR v_namespace IN SELECT nspname FROM pg_namespace WHERE nspname ~ '^pggit_b[0-9]+_[0-9]+(_data)?$' LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', v_namespace);
    END LOOP;
END;
$uninstall$;
DROP SCHEMA IF EXISTS pggit CASCADE;
