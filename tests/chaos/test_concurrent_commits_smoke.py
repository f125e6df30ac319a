"""Concurrency smoke test: many sessions committing to one branch lose nothing."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from pggit import api
from pggit.models import Branch, Commit

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

THREADS = 8
COMMITS_PER_THREAD = 25


def test_concurrent_commits_on_main_form_one_chain(connect):
    """All threads start while a holder keeps main's row locked (a commit in an open
    transaction), so every one of them waits for it: the contention is observed, not assumed."""
    holder = connect(autocommit=False)
    held = holder.execute("SELECT pggit.commit_changes('main', 'holder')").fetchone()[0]
    pids: list[int] = []

    def commit_many(worker: int) -> list[str]:
        try:
            connection.ensure_connection()
            pids.append(connection.connection.info.backend_pid)
            return [
                api.commit(f"worker {worker} commit {i}", branch="main", author=f"w{worker}").hash
                for i in range(COMMITS_PER_THREAD)
            ]
        finally:
            connections.close_all()  # each thread has its own Django connection

    waiting = "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)"
    with ThreadPoolExecutor(THREADS) as pool:
        batches = pool.map(commit_many, range(THREADS))
        deadline = time.monotonic() + 60
        try:
            while len(pids) < THREADS or holder.execute(waiting, [pids]).fetchone()[0] < THREADS:
                assert time.monotonic() < deadline, f"{len(pids)} threads started, not all waited"
                time.sleep(0.02)
        finally:
            holder.commit()
        hashes = [h for batch in batches for h in batch]

    assert len(hashes) == THREADS * COMMITS_PER_THREAD
    assert len(set(hashes)) == len(hashes)
    head = Branch.objects.get(name="main", status="ACTIVE").head_id
    chain: list[str] = []
    parents = dict(Commit.objects.filter(hash__in=hashes).values_list("hash", "parent_id"))
    current = head
    while current in parents:  # walk back from the head through the new commits
        chain.append(current)
        current = parents[current]
    assert current == held, "the chain must end at the holder's commit, made first"
    assert sorted(chain) == sorted(hashes), "every commit is on the one chain, none orphaned"
    assert api.verify() == []
