"""The delta and pre-image tables of a table's data branches are one store, shared by the data
branches made with the same structure (080_data_branches.sql): each sees only its own rows and
leaves it without touching the others', one whose structure departs moves to a store of its own,
the store stays (emptied) for the table's next data branch and goes with the table or its old
structure, and it is never dropped under a data branch that takes it up concurrently."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from pggit import api
from pggit.models import DataBranch
from tests.helpers import committed_table, ident, on_branch, run, run_threads, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(unique):
    return committed_table(
        unique,
        "stock",
        "(id int PRIMARY KEY, name text NOT NULL, qty int CHECK (qty >= 0))",
        "INSERT INTO {t} SELECT g, 'n' || g, g FROM generate_series(1, 10) g",
    )


def store_of(view: str) -> tuple[str, str]:
    data = DataBranch.objects.get(view_name=view, status="ACTIVE")
    return data.delta_table, data.preimage_table


def exists(relation: str) -> bool:
    return sql_scalar("SELECT to_regclass(%s) IS NOT NULL", [relation])


def rows(relation: str) -> list[tuple]:
    return sql_rows(f"SELECT id, name, qty FROM {relation} ORDER BY id")


def test_data_branches_of_a_table_share_one_store_and_see_only_their_own_rows(unique, stock):
    a, b = unique("a"), unique("b")
    view_a = api.create_data_branch(stock, "main", a)
    view_b = api.create_data_branch(stock, "main", b)
    assert store_of(view_a) == store_of(view_b)
    run(
        f"UPDATE {view_a} SET qty = 100 WHERE id = 1",
        f"DELETE FROM {view_a} WHERE id = 2",
        f"INSERT INTO {view_b} VALUES (11, 'b row', 0)",
        f"UPDATE {view_b} SET qty = 200 WHERE id = 1",
        f"UPDATE {stock} SET name = 'main' WHERE id = 3",
        f"DELETE FROM {stock} WHERE id = 4",
    )
    base = [(i, f"n{i}", i) for i in range(1, 11)]
    assert rows(view_a) == [(1, "n1", 100)] + base[2:]
    assert rows(view_b) == [(1, "n1", 200)] + base[1:] + [(11, "b row", 0)]
    assert [c.key for c in api.diff_data(stock, "main", a)] == [
        {"id": 1},
        {"id": 2},
        {"id": 3},
        {"id": 4},
    ]
    counts = {
        r[0]: r[1:]
        for r in sql_rows(
            "SELECT branch_name, rows_written, rows_deleted, source_rows_changed"
            " FROM pggit.list_data_branches() WHERE branch_name IN (%s, %s)",
            [a, b],
        )
    }
    # each counts its own writes; both saved the two source rows main changed
    assert counts == {a: (1, 1, 2), b: (2, 0, 2)}
    pre = store_of(view_a)[1]
    assert sql_rows(f"SELECT _pggit_data, count(*) FROM {pre} GROUP BY 1 ORDER BY 1") == sql_rows(
        "SELECT id, 2 FROM pggit.data_branches WHERE view_name IN (%s, %s) ORDER BY id",
        [view_a, view_b],
    )


def test_ending_a_data_branch_keeps_the_others_rows_and_the_last_empties_the_store(unique, stock):
    a, b = unique("a"), unique("b")
    view_a = api.create_data_branch(stock, "main", a)
    view_b = api.create_data_branch(stock, "main", b)
    delta, pre = store_of(view_b)
    run(
        f"UPDATE {view_a} SET qty = 1000",
        f"UPDATE {view_b} SET qty = 7 WHERE id = 5",
        f"UPDATE {stock} SET name = 'main' WHERE id = 6",
    )
    api.delete_branch(a, force=True)
    assert exists(delta) and exists(pre)
    assert sql_scalar(f"SELECT count(*) FROM {delta}") == 1
    assert rows(view_b)[4:6] == [(5, "n5", 7), (6, "n6", 6)]
    api.merge(b, "main")
    assert [sql_scalar(f"SELECT count(*) FROM {t}") for t in (delta, pre)] == [0, 0]
    assert rows(stock)[4:6] == [(5, "n5", 7), (6, "main", 6)]
    assert api.verify() == []


def test_a_branch_adding_a_column_moves_to_a_store_of_its_own(unique, stock):
    a, b = unique("a"), unique("b")
    view_a = api.create_data_branch(stock, "main", a)
    view_b = api.create_data_branch(stock, "main", b)
    run(f"UPDATE {view_a} SET qty = 50 WHERE id = 1", f"UPDATE {view_b} SET qty = 60 WHERE id = 1")
    shared = store_of(view_b)
    on_branch(a, f"ALTER TABLE {stock} ADD COLUMN note text DEFAULT 'x'")
    assert store_of(view_a) != shared and store_of(view_b) == shared
    assert "note" not in sql_scalar(
        "SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND attnum > 0 AND NOT attisdropped",
        [shared[0]],
    )
    assert sql_rows(f"SELECT id, qty, note FROM {view_a} WHERE id IN (1, 2) ORDER BY id") == [
        (1, 50, "x"),
        (2, 2, "x"),
    ]
    assert rows(view_b)[0] == (1, "n1", 60)
    # a new data branch joins the store whose structure is the source's, not the moved one
    c = unique("c")
    assert store_of(api.create_data_branch(stock, "main", c)) == shared
    assert api.verify() == []


@pytest.mark.django_db(transaction=True)
def test_ending_and_joining_a_store_at_once_fail_nothing_and_lose_nothing(unique, stock):
    """Each round, one session ends the table's only data branch (emptying its store) while
    another makes a new one (which joins that store): end_data_branch and add_data_branch lock
    the source against each other, so neither fails and the new one's rows stay its own."""
    for n in range(12):
        old, new = unique(f"old{n}"), unique(f"new{n}")
        old_view = api.create_data_branch(stock, "main", old)
        run(f"UPDATE {old_view} SET qty = qty + 100")
        api.create_branch(new)
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def work(call, start=start, errors=errors) -> None:
            try:
                start.wait()
                call()
            except BaseException as exc:  # reported by the assertion below
                errors.append(exc)
            finally:
                connections.close_all()

        run_threads(
            [
                threading.Thread(
                    target=work, args=(lambda old=old: api.delete_data_branch(stock, old),)
                ),
                threading.Thread(
                    target=work, args=(lambda new=new: api.create_data_branch(stock, "main", new),)
                ),
            ],
            timeout=60,
        )
        assert errors == []
        view = DataBranch.objects.get(branch__name=new, status="ACTIVE").view_name
        assert all(exists(t) for t in store_of(view))
        before = rows(stock)
        run(
            f"UPDATE {view} SET name = 'new' WHERE id = 1",
            f"UPDATE {stock} SET qty = qty + 1 WHERE id = 2",
        )
        assert rows(view) == [(1, "new", before[0][2])] + before[1:]
        api.delete_branch(new, force=True)
        api.delete_branch(old, force=True)
    assert api.verify() == []


def test_a_tables_next_data_branch_finds_its_emptied_store(unique, stock):
    first = unique("first")
    view = api.create_data_branch(stock, "main", first)
    store = store_of(view)
    run(f"UPDATE {view} SET qty = 0", f"UPDATE {stock} SET name = 'main' WHERE id = 1")
    api.delete_branch(first, force=True)
    assert [sql_scalar(f"SELECT count(*) FROM {t}") for t in store] == [0, 0]
    second = unique("second")
    view = api.create_data_branch(stock, "main", second)
    assert store_of(view) == store
    assert rows(view) == rows(stock), "nothing of the first data branch shows"
    assert api.verify() == []


def test_a_store_goes_with_its_table_or_its_tables_old_structure(unique, stock):
    view = api.create_data_branch(stock, "main", unique("a"))
    store = store_of(view)
    api.delete_branch(DataBranch.objects.get(view_name=view).branch.name, force=True)
    # the table's structure changed: its next data branch gets a new store, the old one goes
    run(f"ALTER TABLE {stock} ADD COLUMN note text")
    api.commit(f"note on {stock}")
    view = api.create_data_branch(stock, "main", unique("b"))
    new = store_of(view)
    assert new != store and not exists(store[0]) and not exists(store[1])
    assert "note" in sql_scalar(
        "SELECT string_agg(attname, ',') FROM pg_attribute WHERE attrelid = %s::regclass"
        " AND attnum > 0 AND NOT attisdropped",
        [new[0]],
    )
    api.delete_branch(DataBranch.objects.get(view_name=view).branch.name, force=True)
    run(f"DROP TABLE {stock}")
    assert not exists(new[0]) and not exists(new[1]), "the store went with its table"
    assert (
        sql_scalar("SELECT count(*) FROM pggit.data_stores WHERE delta_table = %s", [new[0]]) == 0
    )
    assert api.verify() == []


def test_a_kept_store_never_holds_up_a_change_to_its_tables_types(unique):
    """A kept store has the table's columns, so it depends on their types: once the table's
    structure changes, its unused stores go at once, and the type can be dropped."""
    mood = ident("mood", unique)
    run(f"CREATE TYPE {mood} AS ENUM ('ok', 'meh')")
    t = committed_table(
        unique, "feel", f"(id int PRIMARY KEY, m {mood})", "INSERT INTO {t} VALUES (1, 'ok')"
    )
    view = api.create_data_branch(t, "main", unique("a"))
    store = store_of(view)
    api.delete_branch(DataBranch.objects.get(view_name=view).branch.name, force=True)
    assert exists(store[0]), "kept for the next data branch"
    run(f"ALTER TABLE {t} DROP COLUMN m", f"DROP TYPE {mood}")
    assert not exists(store[0]) and not exists(store[1])
    assert api.verify() == []


@pytest.mark.django_db(transaction=True)
def test_a_data_branch_ending_waits_for_one_joining_its_store_and_keeps_its_rows(unique, stock):
    """A session ends the table's only data branch while another, in an open transaction, has
    just joined the same store and written a row: the end waits for the joiner to commit, then
    sees it and takes out its own rows only (without the lock, it saw no other data branch and
    emptied the whole store, the joiner's row with it)."""
    old, new = unique("old"), unique("new")
    api.create_data_branch(stock, "main", old)
    run(f"UPDATE {DataBranch.objects.get(branch__name=old).view_name} SET qty = 0")
    api.create_branch(new)
    pid: list[int] = []
    errors: list[BaseException] = []

    def end_old() -> None:
        try:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                pid.append(cursor.fetchone()[0])
            api.delete_data_branch(stock, old)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=end_old)
    with transaction.atomic():
        view = api.create_data_branch(stock, "main", new)
        thread.start()
        deadline = time.monotonic() + 30
        with connection.cursor() as cursor:
            while True:
                cursor.execute(
                    "SELECT cardinality(pg_blocking_pids(%s)) > 0", [pid[0] if pid else 0]
                )
                if cursor.fetchone()[0] or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        run(f"INSERT INTO {view} VALUES (99, 'joiner', 9)")
    thread.join(timeout=60)
    assert not thread.is_alive() and errors == []
    assert sql_rows(f"SELECT id, name, qty FROM {view} WHERE id = 99") == [(99, "joiner", 9)]
    assert store_of(view)[0] == DataBranch.objects.get(branch__name=old).delta_table
    assert api.verify() == []
