-- django-pggit: remove every object of pggit from this database.
DROP SCHEMA IF EXISTS pggit CASCADE;
