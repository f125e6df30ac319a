"""Many sessions sending one commit ID at once: exactly one commit, the others get its hash."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from pggit.models import Commit

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

WORKERS = 20


def race(
    connect, jobs: list[tuple[str, str, str]], isolation: str, retries: list[int] | None = None
) -> list[tuple[str, str]]:
    """Run commit_changes(branch, message, id) for each job from its own connection and thread,
    all released together; a worker retries 40001 as the Python API does (each retry is
    appended to ``retries``). Each result is ("ok", hash) or ("error", sqlstate)."""
    conns = [connect(autocommit=False) for _ in jobs]
    barrier = threading.Barrier(len(jobs))

    def work(n: int) -> tuple[str, str]:
        conn = conns[n]
        branch, message, commit_id = jobs[n]
        barrier.wait()
        for _attempt in range(50):
            try:
                conn.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                h = conn.execute(
                    "SELECT pggit.commit_changes(%s, %s, %s)", [branch, message, commit_id]
                ).fetchone()[0]
                conn.commit()
                return ("ok", h)
            except psycopg.errors.SerializationFailure:
                conn.rollback()
                if retries is not None:
                    retries.append(n)
            except psycopg.Error as exc:
                conn.rollback()
                return ("error", str(exc.sqlstate))
        return ("error", "retries spent")

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(work, range(len(jobs))))


@pytest.mark.parametrize("isolation", ["READ COMMITTED", "REPEATABLE READ"])
def test_twenty_workers_with_one_id_make_one_commit(connect, unique, isolation):
    commit_id = unique("race")
    branch = unique("race-branch")  # a new branch: its creation races too
    retries: list[int] = []
    results = race(connect, [(branch, "Add users", commit_id)] * WORKERS, isolation, retries)
    assert {r[0] for r in results} == {"ok"}, results
    if isolation == "READ COMMITTED":
        assert retries == [], "the ID's lock settles the race: no worker needs a retry"
    hashes = {r[1] for r in results}
    assert len(hashes) == 1
    made = Commit.objects.filter(commit_id=commit_id)
    assert [c.hash for c in made] == list(hashes)
    assert Commit.objects.filter(branch__name=branch).count() == 1


def test_one_id_on_two_branches_at_once_makes_one_commit_and_refuses_the_rest(connect, unique):
    commit_id = unique("race2")
    a, b = unique("left"), unique("right")
    jobs = [(a if n % 2 else b, "same message", commit_id) for n in range(WORKERS)]
    retries: list[int] = []
    results = race(connect, jobs, "READ COMMITTED", retries)
    assert retries == []
    made = Commit.objects.select_related("branch").get(commit_id=commit_id)
    for (branch, _message, _id), (kind, value) in zip(jobs, results, strict=True):
        if branch == made.branch.name:
            assert (kind, value) == ("ok", made.hash)
        else:
            assert (kind, value) == ("error", "PGC06"), "a typed error, never 23505"
    loser = b if made.branch.name == a else a
    assert not Commit.objects.filter(branch__name=loser).exists()
