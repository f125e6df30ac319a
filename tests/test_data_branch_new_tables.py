"""Data branches of tables not committed yet: pgGit's CREATE TABLE, INSERT, create_data_branch
works the same from SQL, Python and pggit_data_branch (the table is committed on from_branch
first, with a message that says why)."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command

from pggit import api
from pggit.exceptions import NoPrimaryKey, NotATable, SchemaNotTracked, TableNotFound
from pggit.models import Branch, Commit
from tests.helpers import ident, manage, run, snapshot_counts, sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def by_sql(table: str, to_branch: str) -> str:
    return str(sql_scalar("SELECT pggit.create_data_branch(%s, 'main', %s)", [table, to_branch]))


def by_api(table: str, to_branch: str) -> str:
    return api.create_data_branch(table, "main", to_branch)


def by_command(table: str, to_branch: str) -> str:
    out = StringIO()
    call_command(
        "pggit_data_branch",
        "create",
        table,
        "--from",
        "main",
        "--to",
        to_branch,
        "--create",
        "--json",
        stdout=out,
    )
    return str(json.loads(out.getvalue())["relation"])


@pytest.mark.parametrize("create", [by_sql, by_api, by_command], ids=["sql", "api", "command"])
def test_a_new_table_with_rows_can_be_branched_at_once(unique, create: Callable[[str, str], str]):
    t = ident("newt", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, name text)",
        f"INSERT INTO {t} VALUES (1, 'one'), (2, 'two')",
    )
    head = Branch.objects.get(name="main", status="ACTIVE").head_id
    feature = unique("feature")
    view = create(t, feature)

    committed = Commit.objects.get(hash=Branch.objects.get(name="main", status="ACTIVE").head_id)
    assert committed.parent_id == head, "one commit on main, made for the data branch"
    assert t in committed.message and feature in committed.message
    assert "create_data_branch" in committed.message
    version = api.get_version(t)
    assert version is not None and version.committed
    assert Branch.objects.get(name=feature, status="ACTIVE").head_id == committed.hash

    assert sql_rows(f"SELECT id, name FROM {view} ORDER BY id") == [(1, "one"), (2, "two")]
    run(f"INSERT INTO {view} VALUES (3, 'only on the branch')", f"DELETE FROM {view} WHERE id = 1")
    assert sql_rows(f"SELECT id FROM {t} ORDER BY id") == [(1,), (2,)], "main's rows untouched"
    assert sql_rows(f"SELECT id FROM {view} ORDER BY id") == [(2,), (3,)]
    assert create(t, feature) == view, "repeating the call returns the same relation"


def test_a_committed_table_is_not_committed_again(unique):
    t = ident("done", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)", f"INSERT INTO {t} VALUES (1)")
    api.commit(f"add {t}")
    head = Branch.objects.get(name="main", status="ACTIVE").head_id
    view = api.create_data_branch(t, "main", unique("nocommit"))
    assert Branch.objects.get(name="main", status="ACTIVE").head_id == head
    assert sql_scalar(f"SELECT count(*) FROM {view}") == 1


def test_a_table_changed_since_the_head_is_committed_first(unique):
    t = ident("chg", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
    api.commit(f"add {t}")
    run(f"ALTER TABLE {t} ADD COLUMN note text", f"INSERT INTO {t} VALUES (1, 'n')")
    view = api.create_data_branch(t, "main", unique("chg"))
    assert sql_rows(f"SELECT id, note FROM {view}") == [(1, "n")]
    version = api.get_version(t)
    assert version is not None and version.committed


def test_a_new_table_of_another_branch_is_committed_on_that_branch(unique):
    source = unique("src")
    api.create_branch(source)
    t = ident("onb", unique)
    with api.checkout(source):
        run(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)", f"INSERT INTO {t} VALUES (1, 'a')")
    main_head = Branch.objects.get(name="main", status="ACTIVE").head_id
    target = unique("dst")
    view = api.create_data_branch(t, source, target)
    assert Branch.objects.get(name="main", status="ACTIVE").head_id == main_head
    head = Commit.objects.get(hash=Branch.objects.get(name=source, status="ACTIVE").head_id)
    assert t in head.message and target in head.message
    assert sql_rows(f"SELECT id, v FROM {view}") == [(1, "a")]


@pytest.mark.django_db(transaction=True)
def test_pggit_data_branch_create_in_a_subprocess(unique):
    t = ident("subp", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)", f"INSERT INTO {t} VALUES (7)")
    feature = unique("subp")
    done = manage("pggit_data_branch", "create", t, "--to", feature, "--create")
    try:
        assert done.returncode == 0, done.stderr
        view = done.stdout.strip().rsplit(": ", 1)[1]
        assert sql_scalar(f"SELECT id FROM {view}") == 7
        latest = Commit.objects.filter(branch__name="main").first()
        assert latest is not None and "create_data_branch" in latest.message
    finally:
        if Branch.objects.filter(name=feature, status="ACTIVE").exists():
            api.delete_branch(feature, force=True)
        run(f"DROP TABLE {t}")
        api.commit(f"drop {t}")


def test_bad_sources_are_refused_and_nothing_is_written(unique):
    schema = ident("elsewhere", unique)
    view = ident("v", unique)
    run(
        f"CREATE SCHEMA {schema}",
        f"CREATE TABLE {schema}.t (id int PRIMARY KEY)",
        f"CREATE VIEW {view} AS SELECT 1 AS id",
    )
    nopk = ident("nopk", unique)
    run(f"CREATE TABLE {nopk} (id int)")
    missing = ident("missing", unique)
    cases = [
        (view, NotATable, "PGT03", view),
        (missing, TableNotFound, "PGT02", missing),
        (nopk, NoPrimaryKey, "PGX01", nopk),
        (f"{schema}.t", SchemaNotTracked, "PGT06", schema),
    ]
    for table, error, sqlstate, named in cases:
        to_branch = unique("refused")
        before = snapshot_counts()
        with pytest.raises(error) as info:
            api.create_data_branch(table, "main", to_branch)
        assert named in str(info.value) and info.value.hint
        err = sql_error("SELECT pggit.create_data_branch(%s, 'main', %s)", [table, to_branch])
        assert err.sqlstate == sqlstate
        assert snapshot_counts() == before, f"{table}: nothing written"
        assert not Branch.objects.filter(name=to_branch).exists()
