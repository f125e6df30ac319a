-- django-pggit core: the install's last step: DDL capture on (see 040_ddl_capture.sql).
--
-- Installed by migration 0001_initial; from the first release on, frozen (docs/upgrading.md).
-- Last, so that the DDL of the install itself (tables, functions, roles and grants) is not
-- captured as the database's history.

SELECT pggit.enable_ddl_capture();
