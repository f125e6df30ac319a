"""Install, uninstall, reinstall: `migrate pggit zero` leaves no trace of pggit."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from pggit.operations import RunSQLFiles
from tests.helpers import sql_rows, sql_scalar

LEFTOVERS = """
SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname ILIKE 'pggit%%'
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
  JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname ILIKE 'pggit%%' OR n.nspname ILIKE 'pggit%%'
UNION ALL
SELECT 'type ' || t.oid::regtype::text FROM pg_type t
  JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname ILIKE 'pggit%%'
UNION ALL
SELECT 'event trigger ' || evtname FROM pg_event_trigger
 WHERE evtfoid IN (SELECT p.oid FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                    WHERE n.nspname ILIKE 'pggit%%') OR evtname ILIKE 'pggit%%'
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgname ILIKE 'pggit%%'
"""


ROLES_LEFT_UNUSED = """
SELECT r.rolname::text FROM pg_roles r
 WHERE r.rolname IN ('pggit_reader', 'pggit_writer', 'pggit_owner')
   AND NOT EXISTS (SELECT 1 FROM pg_shdepend d
                    WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = r.oid
                      AND d.dbid NOT IN (0, (SELECT oid FROM pg_database
                                              WHERE datname = current_database())))
   AND NOT EXISTS (SELECT 1 FROM pg_database db
                    WHERE db.datname <> current_database()
                      AND db.datacl::text LIKE '%%' || r.rolname || '=%%')
"""


@pytest.mark.django_db(transaction=True)
def test_uninstall_leaves_no_trace_and_reinstall_works():
    assert sql_scalar("SELECT count(*) FROM pggit.branches WHERE name = 'main'") == 1
    try:
        call_command("migrate", "pggit", "zero", verbosity=0)
        assert sql_rows(LEFTOVERS) == []
        # the roles are cluster-wide: they stay only while another database still uses them
        assert sql_rows(ROLES_LEFT_UNUSED) == []
        assert not MigrationRecorder.Migration.objects.filter(app="pggit").exists()
    finally:
        call_command("migrate", "pggit", verbosity=0)
    assert sql_scalar("SELECT count(*) FROM pggit.branches WHERE name = 'main'") == 1
    # capture is switched on last, so the install's own DDL (tables, functions, roles, grants)
    # is not the first commit's "captured DDL"
    assert sql_scalar("SELECT pggit.ddl_capture_enabled()") is True
    assert sql_scalar("SELECT count(*) FROM pggit.ddl_events") == 0
    assert sql_scalar("SELECT pggit.commit_changes('main', 'after reinstall')")


def test_sql_operation_describes_and_deconstructs_itself():
    op = RunSQLFiles(files=["000_schema.sql"], reverse=["uninstall.sql"])
    assert op.describe() == "Install pggit SQL 000_schema.sql"
    path, args, kwargs = op.deconstruct()
    assert path == "pggit.operations.RunSQLFiles"
    assert kwargs == {"files": ["000_schema.sql"], "reverse": ["uninstall.sql"]}
    assert "CREATE SCHEMA pggit" in op.sql[0]
    assert op.reversible


def test_sql_operation_refuses_other_databases():
    from django.db import NotSupportedError

    class FakeEditor:
        class connection:  # noqa: N801 - stands in for a non-PostgreSQL connection
            vendor = "sqlite"
            alias = "other"

    with pytest.raises(NotSupportedError, match="needs PostgreSQL"):
        RunSQLFiles(files=["000_schema.sql"])._run_sql(FakeEditor, ["SELECT 1"])  # type: ignore[arg-type]
    assert connection.vendor == "postgresql"


FOREIGN_KEYS = """
SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname IN
 ('commits_parent_hash_fkey', 'commits_merge_parent_hash_fkey', 'commits_tree_hash_fkey',
  'commits_branch_id_fkey', 'branches_head_hash_fkey') ORDER BY conname
"""


@pytest.mark.django_db
def test_the_commit_path_checks_hashes_without_foreign_keys():
    """The commit row's references are not foreign keys (verify() checks them: see
    020_commits.sql) and the hash checks avoid the bounded-repetition regex."""
    assert sql_rows(FOREIGN_KEYS) == []
    for check in (
        "commits_hash_check",
        "commits_tree_hash_check",
        "objects_hash_check",
        "trees_hash_check",
    ):
        definition = sql_scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s", [check]
        )
        assert "octet_length" in definition and "{64}" not in definition, check
