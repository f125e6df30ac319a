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


@pytest.mark.django_db(transaction=True)
def test_uninstall_leaves_no_trace_and_reinstall_works():
    assert sql_scalar("SELECT count(*) FROM pggit.branches WHERE name = 'main'") == 1
    try:
        call_command("migrate", "pggit", "zero", verbosity=0)
        assert sql_rows(LEFTOVERS) == []
        assert not MigrationRecorder.Migration.objects.filter(app="pggit").exists()
    finally:
        call_command("migrate", "pggit", verbosity=0)
    assert sql_scalar("SELECT count(*) FROM pggit.branches WHERE name = 'main'") == 1
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
        RunSQLFiles(files=["000_schema.sql"])._run_sql(FakeEditor, ["SELECT 1"])
    assert connection.vendor == "postgresql"


FOREIGN_KEYS = """
SELECT conname FROM pg_constraint WHERE contype = 'f' AND conname IN
 ('commits_parent_hash_fkey', 'commits_merge_parent_hash_fkey', 'commits_tree_hash_fkey',
  'commits_branch_id_fkey', 'branches_head_hash_fkey') ORDER BY conname
"""
HASH_CHECK = "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'commits_hash_check'"


@pytest.mark.django_db(transaction=True)
def test_the_commit_path_migration_reverses_to_0001_and_back():
    """0002 replaces the hash checks, drops the commit-path foreign keys and folds two helpers
    into record_commit; unapplying it restores 0001's definitions, and both states commit and
    verify clean."""
    assert sql_rows(FOREIGN_KEYS) == []
    assert "{64}" not in sql_scalar(HASH_CHECK)
    try:
        call_command("migrate", "pggit", "0001", verbosity=0)
        assert [r[0] for r in sql_rows(FOREIGN_KEYS)] == [
            "branches_head_hash_fkey", "commits_branch_id_fkey", "commits_merge_parent_hash_fkey",
            "commits_parent_hash_fkey", "commits_tree_hash_fkey"]
        assert "{64}" in sql_scalar(HASH_CHECK)
        assert sql_scalar("SELECT to_regprocedure('pggit.snapshot(pggit.branches, boolean)') IS NOT NULL")
        assert sql_scalar("SELECT pggit.commit_changes('main', 'on 0001')")
        assert sql_rows("SELECT * FROM pggit.verify()") == []
    finally:
        call_command("migrate", "pggit", verbosity=0)
    assert sql_rows(FOREIGN_KEYS) == []
    assert sql_scalar("SELECT to_regprocedure('pggit.snapshot(pggit.branches, boolean)') IS NULL")
    assert sql_scalar("SELECT pggit.commit_changes('main', 'on 0002')")
    assert sql_rows("SELECT * FROM pggit.verify()") == []
