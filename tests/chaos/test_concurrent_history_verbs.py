"""Concurrent commit checkouts of one commit, and concurrent cherry-picks of one commit onto one
branch, on real connections from threads."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from pggit import api
from pggit.models import Branch
from tests.helpers import ident, on_branch, run, run_threads, sql_scalar, table_columns

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def test_a_checkout_waits_for_a_concurrent_checkout_of_the_same_commit(unique, connect):
    table = ident("cc", unique)
    run(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    head = api.commit(f"add {table}").hash
    first, second = connect(), connect()
    try:
        with first.transaction():
            first.execute("SELECT * FROM pggit.checkout_commit(%s)", [head])
            result: list = []
            waiting = threading.Thread(
                target=lambda: result.extend(
                    second.execute("SELECT * FROM pggit.checkout_commit(%s)", [head]).fetchall()
                )
            )
            waiting.start()
            waiting.join(timeout=1)
            assert waiting.is_alive(), "the second checkout waits for the first"
        waiting.join(timeout=30)
        assert result == [("public", f"pggit_c{head[:12]}_1")]
        assert sql_scalar(f'SELECT count(*) FROM "pggit_c{head[:12]}_1".{table}') == 0
    finally:
        api.drop_commit_checkout(head)
        run(f"DROP TABLE IF EXISTS {table}")
        api.commit(f"drop {table}")


def test_two_concurrent_picks_of_one_commit_apply_it_once(unique):
    table = ident("cp", unique)
    run(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    api.commit(f"add {table}")
    branch = unique("cpc")
    api.create_branch(branch)
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN once int")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def pick() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(api.cherry_pick(picked.hash, "main").status)
        except Exception as exc:  # reported below; a thread must not swallow it
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        run_threads([threading.Thread(target=pick) for _ in range(2)], timeout=60)
        assert errors == []
        assert sorted(results) == ["already-applied", "picked"], results
        assert table_columns("public", table) == ["id", "once"]
        assert Branch.objects.get(name=branch, status="ACTIVE").status == "ACTIVE"
        assert api.verify() == []
    finally:
        run(f"DROP TABLE IF EXISTS {table}")
        api.commit(f"drop {table}")
