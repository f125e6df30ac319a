"""Concurrency smoke test: many sessions committing to one branch lose nothing."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections

from pggit import api
from pggit.models import Branch, Commit

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

THREADS = 8
COMMITS_PER_THREAD = 25


def _commit_many(worker: int) -> list[str]:
    try:
        return [
            api.commit(f"worker {worker} commit {i}", branch="main", author=f"w{worker}").hash
            for i in range(COMMITS_PER_THREAD)
        ]
    finally:
        connections.close_all()  # each thread has its own Django connection


def test_concurrent_commits_on_main_form_one_chain():
    head_before = Branch.objects.get(name="main", status="ACTIVE").head_id
    with ThreadPoolExecutor(THREADS) as pool:
        hashes = [h for batch in pool.map(_commit_many, range(THREADS)) for h in batch]

    assert len(hashes) == THREADS * COMMITS_PER_THREAD
    assert len(set(hashes)) == len(hashes)
    head = Branch.objects.get(name="main", status="ACTIVE").head_id
    chain: list[str] = []
    parents = dict(Commit.objects.filter(hash__in=hashes).values_list("hash", "parent_id"))
    current = head
    while current in parents:  # walk back from the head through the new commits
        chain.append(current)
        current = parents[current]
    assert current == head_before, "the chain must end at the head we started from"
    assert sorted(chain) == sorted(hashes), "every commit is on the one chain, none orphaned"
    assert api.verify() == []
