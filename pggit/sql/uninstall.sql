-- django-pggit: remove every object of pggit from this database.
-- Event triggers are database-wide objects: drop them before the schema their functions live in.
DROP EVENT TRIGGER IF EXISTS pggit_capture_ddl;
DROP EVENT TRIGGER IF EXISTS pggit_capture_drop;
DROP SCHEMA IF EXISTS pggit CASCADE;
