"""The Python API retries serialization failures with backoff when it owns the transaction,
and nothing else: a timeout the caller set surfaces at once."""

from __future__ import annotations

import logging
import threading

import psycopg
import pytest
from django.db import OperationalError, connection, connections
from django.test import override_settings

from pggit import api
from pggit.exceptions import RETRYABLE_SQLSTATES, LockNotAvailable, RetryableError, sqlstate_of
from tests.helpers import run_threads

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]


def test_api_commits_retry_40001_until_all_land(unique, caplog):
    branch = unique("retry")
    api.create_branch(branch)
    barrier = threading.Barrier(4)
    landed, errors = [], []

    def worker(n: int) -> None:
        try:
            connection.ensure_connection()
            connection.connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            barrier.wait(timeout=30)
            for i in range(8):
                landed.append(api.commit(f"{n}-{i}", branch=branch).hash)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    with (
        caplog.at_level(logging.INFO, logger="pggit"),
        override_settings(PGGIT={"RETRY_ATTEMPTS": 100}),
    ):
        run_threads([threading.Thread(target=worker, args=(n,)) for n in range(4)], timeout=120)
    assert errors == []
    assert len(landed) == len(set(landed)) == 32
    assert {c.hash for c in api.log(branch, limit=40)} >= set(landed)
    retries = [r for r in caplog.records if "retrying after 40001" in r.getMessage()]
    assert retries, "REPEATABLE READ writers on one branch must have collided and retried"
    assert api.verify() == []


def test_inside_a_callers_transaction_the_error_is_left_to_the_caller(unique, connect):
    """No retry inside the caller's own transaction (only the caller can repeat all of it):
    the conflict surfaces as RetryableError with SQLSTATE 40001."""
    from django.db import transaction

    branch = unique("owned")
    api.create_branch(branch)
    other = connect()
    connection.ensure_connection()
    connection.connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    try:
        with pytest.raises(RetryableError) as info, transaction.atomic():
            connection.cursor().execute("SELECT 1")  # this transaction's snapshot is taken
            other.execute("SELECT pggit.commit_changes(%s, 'moved the head')", [branch])
            api.commit("mine", branch=branch)
        assert info.value.sqlstate == "40001"
    finally:
        connection.connection.isolation_level = None
    assert [c.message for c in api.log(branch, limit=1)] == ["moved the head"]


def test_only_serialization_failures_and_deadlocks_are_retryable():
    assert RETRYABLE_SQLSTATES == {"40001", "40P01"}
    assert not issubclass(LockNotAvailable, RetryableError)


@pytest.mark.parametrize(
    "setting,raised,state",
    [
        ("lock_timeout", LockNotAvailable, "55P03"),
        ("statement_timeout", OperationalError, "57014"),
    ],
)
def test_a_timeout_the_caller_set_is_raised_at_once_not_retried(
    unique, connect, caplog, setting, raised, state
):
    """55P03 and 57014 mean the caller's own limit on waiting ran out: no retry, no second wait."""
    branch = unique("timeout")
    head = api.create_branch(branch).head_id
    holder = connect(autocommit=False)
    holder.execute(
        "SELECT 1 FROM pggit.branches WHERE name = %s AND status <> 'DELETED' FOR UPDATE", [branch]
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SET {setting} = '100ms'")
    try:
        with (
            caplog.at_level(logging.INFO, logger="pggit"),
            override_settings(PGGIT={"RETRY_ATTEMPTS": 100}),
            pytest.raises(raised) as info,
        ):
            api.commit("blocked", branch=branch)
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"RESET {setting}")
        holder.rollback()
    assert sqlstate_of(info.value) == state
    assert not isinstance(info.value, RetryableError)
    assert [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()] == []
    assert api.get_branch(branch).head_id == head, "nothing was committed"
    assert api.commit("after", branch=branch).parent_id == head, "the lock is free again"
