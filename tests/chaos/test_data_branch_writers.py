"""Concurrent writers on a source table and on its data branch keep both consistent."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connections

from pggit import api
from tests.helpers import ident, run, run_threads, sql_rows

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

ROWS = 50
WRITES = 60


def test_concurrent_writers_on_source_and_branch(unique):
    table = ident("cw", unique)
    run(
        f"CREATE TABLE {table} (id int PRIMARY KEY, v int NOT NULL)",
        f"INSERT INTO {table} SELECT g, 0 FROM generate_series(1, {ROWS}) g",
    )
    api.commit(f"add {table}")
    branch = unique("cw")
    view = api.create_data_branch(table, "main", branch)
    errors: list[BaseException] = []

    def writer(relation: str, value: int, seed: int) -> None:
        rng = random.Random(seed)
        try:
            with connections["default"].cursor() as cursor:
                for _ in range(WRITES):
                    cursor.execute(
                        f"UPDATE {relation} SET v = %s WHERE id = %s", [value, rng.randint(1, ROWS)]
                    )
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=writer, args=(rel, val, seed))
        for seed, (rel, val) in enumerate([(table, 1), (table, 1), (view, 2), (view, 2)])
    ]
    try:
        run_threads(threads, timeout=120)
        assert errors == []
        # The source only ever holds its own writes (1) or the original (0), the branch only
        # its own (2) or the value at the branch point (0): no write crossed over.
        assert {v for (v,) in sql_rows(f"SELECT v FROM {table}")} <= {0, 1}
        assert {v for (v,) in sql_rows(f"SELECT v FROM {view}")} <= {0, 2}
        assert sql_rows(f"SELECT count(*) FROM {view}") == [(ROWS,)]
        touched = {key["id"] for key in (c.key for c in api.diff_data(table, "main", branch))}
        assert touched, "both sides wrote"
        assert api.verify() == []
    finally:
        api.delete_branch(branch, force=True)
        run(f"DROP TABLE {table}")
        api.commit(f"drop {table}")
