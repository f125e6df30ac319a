"""Concurrent merges into one branch serialize on its row and both land."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from pggit import api
from pggit.models import Branch
from tests.helpers import ident, run, run_threads, table_columns

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def test_two_concurrent_merges_into_main_both_land(unique):
    table = ident("cm", unique)
    run(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    api.commit(f"add {table}")
    branches = [unique("cm-a"), unique("cm-b")]
    for n, branch in enumerate(branches):
        api.create_branch(branch)
        with api.checkout(branch):
            run(f"ALTER TABLE {table} ADD COLUMN col_{n} int")
        api.commit(f"col_{n}", branch=branch)

    barrier = threading.Barrier(len(branches))
    results, errors = {}, []

    def merge(branch: str) -> None:
        try:
            barrier.wait(timeout=10)
            results[branch] = api.merge(branch, "main").status
        except Exception as exc:  # reported below; a thread must not swallow it
            errors.append(exc)
        finally:
            connections.close_all()

    try:
        run_threads([threading.Thread(target=merge, args=(b,)) for b in branches], timeout=60)
        assert errors == []
        assert sorted(results.values()) == ["fast-forward", "merged"], results
        assert sorted(table_columns("public", table)) == ["col_0", "col_1", "id"]
        assert api.status("main") == []
        assert all(Branch.objects.get(name=b).status == "MERGED" for b in branches)
        assert api.verify() == []
    finally:
        run(f"DROP TABLE IF EXISTS {table}")
        api.commit(f"drop {table}")
