-- django-pggit core: the install's last steps: every function's owner and rights by its class
-- (105_privileges.sql; again, for functions of files after 110), then DDL capture on (see
-- 040_ddl_capture.sql).
--
-- Installed by migration 0001_initial; from the first release on, frozen (docs/upgrading.md).
-- Last, so that the functions of every file are classified, and the DDL of the install itself
-- (tables, functions, roles and grants) is not captured as the database's history.

SELECT pggit.apply_privileges();

SELECT pggit.enable_ddl_capture();
