"""get_version answers for the working tree: committed versions, and for uncommitted DDL the
version the next commit records."""

from __future__ import annotations

import pytest

from pggit import api
from pggit.exceptions import InvalidTableName, NotATable
from tests.helpers import ident, run, snapshot_counts, sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def answer(table: str) -> tuple[str, bool] | None:
    v = api.get_version(table)
    return (v.full_version, v.committed) if v else None


def test_pggit_sequence_a_new_table_reads_1_0_0_before_its_first_commit(unique):
    t = ident("fresh", unique)
    run(f"CREATE TABLE {t} (id int)")
    assert sql_rows("SELECT * FROM pggit.get_version(%s)", [t]) == [(1, 0, 0, "1.0.0", False)]
    api.commit(f"add {t}")
    assert sql_rows("SELECT * FROM pggit.get_version(%s)", [t]) == [(1, 0, 0, "1.0.0", True)]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("ALTER TABLE {t} ADD COLUMN extra text", "1.1.0"),
        ("ALTER TABLE {t} DROP COLUMN name", "2.0.0"),
        ("CREATE INDEX ON {t} (name)", "1.0.1"),
        ("COMMENT ON TABLE {t} IS 'documented'", "1.0.1"),
    ],
)
def test_uncommitted_change_reads_as_the_version_the_next_commit_records(unique, change, expected):
    t = ident("wv", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, name text)")
    api.commit(f"add {t}")
    run(change.format(t=t))
    before = snapshot_counts()
    assert answer(t) == (expected, False)
    assert snapshot_counts() == before, "get_version writes nothing"
    api.commit(f"change {t}")
    assert answer(t) == (expected, True), "the commit records what get_version said"


def test_a_table_recreated_after_a_committed_drop_reads_the_next_major(unique):
    t = ident("again", unique)
    run(f"CREATE TABLE {t} (id int)")
    api.commit("create")
    run(f"DROP TABLE {t}")
    api.commit("drop")
    assert api.get_version(t) is None, "a missing table has no row"
    run(f"CREATE TABLE {t} (id int)")
    assert answer(t) == ("3.0.0", False)
    api.commit("create again")
    assert answer(t) == ("3.0.0", True)


def test_versions_follow_the_checked_out_branch_workspace(unique, table):
    branch = unique("wvb")
    api.create_branch(branch)
    with api.checkout(branch):
        assert answer(table) == ("1.0.0", True), "a new branch starts with its parent's versions"
        run(f"ALTER TABLE {table} ADD COLUMN only_here int")
        assert answer(table) == ("1.1.0", False)
        assert answer(f"public.{table}") == ("1.1.0", False)
    assert answer(table) == ("1.0.0", True), "main's table did not change"
    api.commit("on the branch", branch=branch)
    with api.checkout(branch):
        assert answer(table) == ("1.1.0", True)


def test_missing_untracked_and_wrong_objects(unique):
    schema = ident("untracked", unique)
    run(f"CREATE SCHEMA {schema}", f"CREATE TABLE {schema}.t (id int)")
    assert api.get_version(f"{schema}.t") is None, "not in a tracked schema"
    assert api.get_version(ident("nope", unique)) is None
    assert sql_rows("SELECT * FROM pggit.get_version('pg_catalog.pg_class')") == []
    v = ident("view", unique)
    run(f"CREATE VIEW {v} AS SELECT 1 AS x")
    with pytest.raises(NotATable):
        api.get_version(v)
    for bad in ["", "a.b.c", '"unclosed']:
        with pytest.raises(InvalidTableName):
            api.get_version(bad)
    assert sql_error("SELECT * FROM pggit.get_version('')").sqlstate == "PGT01"


def test_get_version_serializes_only_the_table_asked_for(unique):
    """Cheap: it must not snapshot the schema. Function call counts of this transaction show
    table_definition ran once, however many tables the schema has."""
    tables = [ident("many", unique) for _ in range(5)]
    run(*(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)" for t in tables))
    api.commit("five tables")
    run(f"ALTER TABLE {tables[0]} ADD COLUMN w int")
    run("SET LOCAL track_functions = 'pl'")
    calls = """SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions
                WHERE schemaname = 'pggit' AND funcname = 'table_definition'"""
    before = sql_scalar(calls)
    assert answer(tables[0]) == ("1.1.0", False)
    assert answer(tables[1]) == ("1.0.0", True)
    assert sql_scalar(calls) - before == 2


def test_increment_version_keeps_its_contract():
    assert sql_rows("SELECT * FROM pggit.increment_version(1, 2, 3, 'minor')") == [
        (1, 3, 0, "1.3.0")
    ]
