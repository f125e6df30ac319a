"""A data-branched table's structure changed on its branch (issue 16, item 4): the data branch
follows an added column (with the value the ADD COLUMN gave main's rows, captured once), a
dropped added column, new defaults and indexes; the merge adds the column to main first,
filled with the branch's values, then the rest of the schema, then the rows; what a data
branch cannot follow is refused (PGW03/PGW04) with nothing changed."""

from __future__ import annotations

import pytest
from django.db import transaction

from pggit import api
from pggit.exceptions import (
    DataBranchColumnWithoutValue,
    DataBranchStructureRefused,
    LiveDataBranches,
    MergeConflict,
    RebaseWouldLoseColumns,
)
from tests import helpers
from tests.helpers import on_branch, run, sql_error, sql_rows, sql_scalar, table_columns

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(unique):
    t = helpers.ident("shelf", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, name text NOT NULL, price int NOT NULL)",
        f"INSERT INTO {t} VALUES (1, 'pen', 3), (2, 'ink', 5), (3, 'cap', 7)",
    )
    api.commit(f"add {t}")
    return t


def added(table: str, branch: str) -> tuple:
    return sql_rows(
        "SELECT d.added_columns, d.added_values FROM pggit.data_branches d"
        " JOIN pggit.branches b ON b.id = d.branch_id"
        " WHERE b.name = %s AND d.table_name = %s AND d.status = 'ACTIVE'",
        [branch, table],
    )[0]


def add_stock(shelf: str, branch: str, *more: str) -> str:
    """A data branch of shelf on branch, then on the branch, as Django emits AddField(default=1)
    (the default fills the rows, then goes) and AddField(null=True), an index and ``more``."""
    view = api.create_data_branch(shelf, "main", branch)
    on_branch(
        branch,
        f"ALTER TABLE {shelf} ADD COLUMN stock integer DEFAULT 1 NOT NULL",
        f"ALTER TABLE {shelf} ALTER COLUMN stock DROP DEFAULT",
        f"ALTER TABLE {shelf} ADD COLUMN note text",
        f"CREATE INDEX {shelf}_stock_idx ON {shelf} (stock)",
        *more,
    )
    return view


def test_an_added_column_shows_main_rows_with_the_value_the_add_gave_them(unique, shelf):
    branch = unique("stock")
    view = add_stock(
        shelf, branch, f"ALTER TABLE {shelf} ADD COLUMN label varchar(10) DEFAULT 'new'"
    )
    assert added(shelf, branch) == (
        ["stock", "note", "label"],
        ["'1'::integer", "NULL::text", "'new'::character varying(10)"],
    )
    rows = f"SELECT id, name, price, stock, note, label FROM {view} ORDER BY id"
    assert sql_rows(rows) == [
        (1, "pen", 3, 1, None, "new"),
        (2, "ink", 5, 1, None, "new"),
        (3, "cap", 7, 1, None, "new"),
    ]
    # writes on the branch use the new columns and their defaults; main sees none of them
    run(
        f"UPDATE {view} SET stock = 10, note = 'restocked' WHERE id = 1",
        f"INSERT INTO {view} (id, name, price, stock) VALUES (4, 'cup', 2, 4)",
    )
    # main's writes after the branch point stay invisible to the branch
    run(f"UPDATE {shelf} SET price = 50 WHERE id = 2", f"INSERT INTO {shelf} VALUES (9, 'hat', 1)")
    assert sql_rows(rows) == [
        (1, "pen", 3, 10, "restocked", "new"),
        (2, "ink", 5, 1, None, "new"),
        (3, "cap", 7, 1, None, "new"),
        (4, "cup", 2, 4, None, "new"),
    ]
    assert table_columns("public", shelf) == ["id", "name", "price"]
    assert sql_rows(f"SELECT id, price FROM {shelf} ORDER BY id") == [
        (1, 3),
        (2, 50),
        (3, 7),
        (9, 1),
    ]
    # a branch without a default for stock: an insert must give it, as on a real table
    err = sql_error(f"INSERT INTO {view} (id, name, price) VALUES (5, 'mug', 1)")
    assert err.sqlstate == "23502"
    # a default set on the branch is the view's default
    on_branch(branch, f"ALTER TABLE {shelf} ALTER COLUMN stock SET DEFAULT 7")
    run(f"INSERT INTO {view} (id, name, price) VALUES (5, 'mug', 1)")
    assert sql_scalar(f"SELECT stock FROM {view} WHERE id = 5") == 7


def test_the_merge_adds_the_column_filled_then_the_schema_then_the_rows(unique, shelf):
    branch = unique("stock")
    view = add_stock(shelf, branch)
    run(f"UPDATE {view} SET stock = 10, note = 'restocked', price = 4 WHERE id = 1")
    # main moves on meanwhile: another table (a 3-way merge) and rows of this one
    other = helpers.ident("other", unique)
    run(f"CREATE TABLE {other} (id int PRIMARY KEY)")
    api.commit(f"add {other}")
    run(f"UPDATE {shelf} SET price = 50 WHERE id = 2", f"INSERT INTO {shelf} VALUES (9, 'hat', 1)")

    # the preview says so too
    ddl = api.merge_preview(branch)["ddl"]
    assert ddl[:2] == [
        f"ALTER TABLE {shelf} ADD COLUMN stock integer DEFAULT '1'::integer NOT NULL",
        f"ALTER TABLE {shelf} ADD COLUMN note text",
    ]
    assert f"ALTER TABLE {shelf} ALTER COLUMN stock DROP DEFAULT" in ddl[2:]
    assert not [s for s in ddl[2:] if "ADD COLUMN" in s]

    result = api.merge(branch)
    assert result.status == "merged"
    assert sql_rows(f"SELECT id, name, price, stock, note FROM {shelf} ORDER BY id") == [
        (1, "pen", 4, 10, "restocked"),
        (2, "ink", 50, 1, None),
        (3, "cap", 7, 1, None),
        (9, "hat", 1, 1, None),
    ]
    # the column is main's as the branch has it: NOT NULL, no default; the index is there
    assert sql_rows(
        "SELECT is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s AND column_name = 'stock'",
        [shelf],
    ) == [("NO", None)]
    assert sql_scalar("SELECT to_regclass(%s) IS NOT NULL", [f"public.{shelf}_stock_idx"])
    # in this order: the column added with the branch's value for main's rows, then the
    # tree's DDL (its default dropped), recorded by the merge commit
    statements = [
        s
        for (s,) in sql_rows(
            "SELECT e.statement FROM pggit.ddl_events e JOIN pggit.commits c ON c.id = e.commit_id"
            " WHERE c.hash = %s AND e.object_identity = %s ORDER BY e.id",
            [result.commit_hash, f"table:public.{shelf}"],
        )
    ]
    assert (
        statements[0]
        == f"ALTER TABLE {shelf} ADD COLUMN stock integer DEFAULT '1'::integer NOT NULL"
    )
    assert statements[1] == f"ALTER TABLE {shelf} ADD COLUMN note text"
    assert f"ALTER TABLE {shelf} ALTER COLUMN stock DROP DEFAULT" in statements[2:]
    assert api.status() == []
    assert (
        sql_scalar(
            "SELECT count(*) FROM pggit.data_branches WHERE table_name = %s AND status = 'ACTIVE'",
            [shelf],
        )
        == 0
    )


def test_a_row_changed_on_both_sides_is_a_conflict_and_nothing_is_applied(unique, shelf):
    branch = unique("stock")
    view = api.create_data_branch(shelf, "main", branch)
    on_branch(branch, f"ALTER TABLE {shelf} ADD COLUMN stock integer DEFAULT 1 NOT NULL")
    run(f"UPDATE {view} SET stock = 10, price = 4 WHERE id = 1")
    run(f"UPDATE {shelf} SET price = 40 WHERE id = 1")
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    key = f'row:public.{shelf}:{{"id": 1}}'
    assert [c["object"] for c in info.value.conflicts] == [key]
    assert table_columns("public", shelf) == ["id", "name", "price"], "nothing applied"
    assert sql_scalar(f"SELECT price FROM {shelf} WHERE id = 1") == 40
    assert api.resolve_conflict(info.value.merge_id, key, "theirs") is not None
    assert sql_rows(f"SELECT id, price, stock FROM {shelf} ORDER BY id") == [
        (1, 4, 10),
        (2, 5, 1),
        (3, 7, 1),
    ]


@pytest.mark.parametrize(
    "statement, sqlstate, said",
    [
        ("ALTER TABLE {t} ALTER COLUMN price TYPE bigint", "PGW03", "nullability of column"),
        ("ALTER TABLE {t} ALTER COLUMN price DROP NOT NULL", "PGW03", "nullability of column"),
        ("ALTER TABLE {t} RENAME COLUMN price TO cost", "PGW03", "drop or rename column price"),
        ("ALTER TABLE {t} DROP COLUMN price", "PGW03", "drop or rename column price"),
        (
            "ALTER TABLE {t} ADD COLUMN n int NOT NULL",
            "PGW04",
            "it is NOT NULL and main's rows have no value",
        ),
        (
            "ALTER TABLE {t} ADD COLUMN at timestamptz DEFAULT clock_timestamp()",
            "PGW04",
            "is volatile",
        ),
        (
            "ALTER TABLE {t} ADD COLUMN g int GENERATED ALWAYS AS (price * 2) STORED",
            "PGW03",
            "generated column g",
        ),
        (
            "ALTER TABLE {t} DROP CONSTRAINT {t}_pkey, ADD PRIMARY KEY (name)",
            "PGW03",
            "change the primary key",
        ),
        ("DROP TABLE {t}", "PGW03", "cannot drop table"),
    ],
)
def test_a_change_the_data_branch_cannot_follow_is_refused_and_changes_nothing(
    unique, shelf, statement, sqlstate, said
):
    branch = unique("refused")
    view = api.create_data_branch(shelf, "main", branch)
    before = (
        helpers.hash_in(helpers.namespace_of(branch), shelf),
        added(shelf, branch),
        helpers.snapshot_counts(),
    )
    with api.checkout(branch):
        err = sql_error(statement.format(t=shelf))
    assert err.sqlstate == sqlstate, err
    message = err.diag.message_primary
    assert said in message and shelf in message, message
    if sqlstate == "PGW03":
        assert f"on branch '{branch}'" in message
    assert (
        helpers.hash_in(helpers.namespace_of(branch), shelf),
        added(shelf, branch),
        helpers.snapshot_counts(),
    ) == before
    assert sql_rows(f"SELECT * FROM {view} ORDER BY id")[0] == (1, "pen", 3)


def test_without_event_triggers_evolve_follows_and_a_dropped_added_column_goes(unique, shelf):
    branch = unique("late")
    view = api.create_data_branch(shelf, "main", branch)
    with transaction.atomic(), api.checkout(branch):
        # replica mode fires no event trigger: as on an install by a non-superuser
        run(
            "SET LOCAL session_replication_role = replica",
            f"ALTER TABLE {shelf} ADD COLUMN stock integer DEFAULT 2 NOT NULL",
            f"ALTER TABLE {shelf} ADD COLUMN note text",
            "SET LOCAL session_replication_role = origin",
        )
    assert "stock" not in table_columns(view.split(".")[0], shelf)
    assert sql_scalar("SELECT pggit.evolve_data_branch(%s, %s)", [shelf, branch]) == view
    assert sql_rows(f"SELECT id, stock, note FROM {view} ORDER BY id")[0] == (1, 2, None)
    assert sql_scalar("SELECT pggit.evolve_data_branch(%s, %s)", [shelf, branch]) == view
    run(f"UPDATE {view} SET note = 'x' WHERE id = 1")
    on_branch(branch, f"ALTER TABLE {shelf} DROP COLUMN note")
    assert added(shelf, branch)[0] == ["stock"]
    assert sql_rows(f"SELECT * FROM {view} ORDER BY id")[0] == (1, "pen", 3, 2)
    # a rebase onto a source that lacks the branch's column would lose it: refused
    with transaction.atomic():
        run(
            "SET LOCAL session_replication_role = replica",
            f"ALTER TABLE {shelf} ADD COLUMN other int",
            "SET LOCAL session_replication_role = origin",
        )
        with pytest.raises(RebaseWouldLoseColumns, match="the columns the branch added"):
            api.rebase_data_branch(shelf, branch)
        transaction.set_rollback(True)
    # Python types: both refusals are DataBranchStructureRefused
    assert issubclass(DataBranchColumnWithoutValue, DataBranchStructureRefused)


def test_another_live_data_branch_of_the_table_blocks_the_merge(unique, shelf):
    branch, other = unique("stock"), unique("other")
    api.create_data_branch(shelf, "main", branch)
    api.create_data_branch(shelf, "main", other)
    on_branch(branch, f"ALTER TABLE {shelf} ADD COLUMN stock integer DEFAULT 1 NOT NULL")
    before = helpers.snapshot_counts()
    with pytest.raises(LiveDataBranches, match=other):
        api.merge(branch)
    assert helpers.snapshot_counts() == before
    assert table_columns("public", shelf) == ["id", "name", "price"]
