"""Laws of pggit.compare_histories (ahead, behind, merge base), which walks only as deep as two
histories differ: on random histories as pggit makes them (a parent is always older than its
child; merges reach far back; several roots), its answers equal those of a full walk, computed
here in Python from the same rows. The histories are long enough (up to 400 commits) that the
walk must deepen its floor (first 64 commits below the newer head, then 4x) and meet merges that
cross it."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

DB_SETTINGS = settings(settings.get_profile("ci-db"))
pytestmark = pytest.mark.django_db


@st.composite
def histories(draw) -> list[tuple[int, ...]]:
    """parents[i]: the indexes of commit i's parents (first parent, then merge parent)."""
    n = draw(st.integers(1, 400))
    parents: list[tuple[int, ...]] = []
    for i in range(n):
        if i == 0 or draw(st.integers(0, 40)) == 0:
            parents.append(())  # a root
            continue
        first = draw(st.integers(max(0, i - 5), i - 1))  # a line of work
        second = draw(st.one_of(st.none(), st.integers(0, i - 1)))  # a merge, possibly far back
        parents.append((first,) if second is None or second == first else (first, second))
    return parents


def reaches(parents: list[tuple[int, ...]], head: int) -> set[int]:
    seen, todo = set(), [head]
    while todo:
        i = todo.pop()
        if i not in seen:
            seen.add(i)
            todo.extend(parents[i])
    return seen


@DB_SETTINGS
@given(histories(), st.data())
def test_compare_histories_equals_a_full_walk(parents, data):
    n = len(parents)
    a = data.draw(st.integers(0, n - 1), label="a")
    b = data.draw(st.one_of(st.integers(0, n - 1), st.none()), label="b (None: no head)")
    salt = uuid.uuid4().hex
    hashes = [hashlib.sha256(f"{salt}:{i}".encode()).hexdigest() for i in range(n)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) + 1 FROM pggit.commits")
        first_id = cursor.fetchone()[0]
        cursor.executemany(
            "INSERT INTO pggit.commits (id, hash, parent_hash, merge_parent_hash, branch_id,"
            " tree_hash, message, author, committed_at)"
            " VALUES (%s, %s, %s, %s, 1, repeat('0', 64), 'm', 'a', now())",
            [
                (
                    first_id + i,
                    hashes[i],
                    *(hashes[p] for p in ps),
                    *([None] * (2 - len(ps))),
                )
                for i, ps in enumerate(parents)
            ],
        )
        cursor.execute(
            "SELECT ahead, behind, base FROM pggit.compare_histories(%s, %s)",
            [hashes[a], hashes[b] if b is not None else None],
        )
        ahead, behind, base = cursor.fetchone()
        cursor.execute(
            "SELECT pggit.is_ancestor(%s, %s)", [hashes[b] if b is not None else None, hashes[a]]
        )
        b_in_a = cursor.fetchone()[0]
        transaction.set_rollback(True)  # the rows exist only for this example

    left = reaches(parents, a)
    right = reaches(parents, b) if b is not None else set()
    common = left & right
    assert (ahead, behind) == (len(left - right), len(right - left))
    assert base == (hashes[max(common)] if common else None)
    assert b_in_a == (b is not None and b in left)
