"""Chaos suite: contention, races, crashes, timeouts. Real connections from real threads.

Every test asserts its invariants and ends with ``pggit.verify()`` clean. Scale: the default
run is CI scale; ``pytest -m slow`` runs the deeper variants.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

pytestmark = [pytest.mark.chaos, pytest.mark.django_db(transaction=True)]

RETRYABLE = {"40001", "40P01"}


def name(prefix: str) -> str:
    return f"chaos/{prefix}-{uuid.uuid4().hex[:8]}"


def verify_clean(conn: psycopg.Connection) -> None:
    findings = conn.execute('SELECT "check", subject, detail FROM pggit.verify()').fetchall()
    assert findings == [], findings


def commit_with_retry(
    conn: psycopg.Connection, branch: str, message: str, outcomes: Counter
) -> str:
    """One commit in its own transaction, retried on 40001/40P01 (recorded in outcomes)."""
    while True:
        try:
            with conn.transaction():
                return conn.execute(
                    "SELECT pggit.commit_changes(%s, %s)", [branch, message]
                ).fetchone()[0]
        except psycopg.Error as exc:
            assert exc.sqlstate in RETRYABLE, f"non-retryable failure {exc.sqlstate}: {exc}"
            outcomes[exc.sqlstate] += 1


def chain_of(conn: psycopg.Connection, branch: str) -> list[str]:
    head = conn.execute(
        "SELECT head_hash FROM pggit.branches WHERE name = %s AND status <> 'DELETED'", [branch]
    ).fetchone()[0]
    return (
        [r[0] for r in conn.execute("SELECT hash FROM pggit.log(%s, 100000)", [branch]).fetchall()]
        if head
        else []
    )


@pytest.mark.parametrize("workers", [2, 5, 10, 20, pytest.param(50, marks=pytest.mark.slow)])
def test_concurrent_commits_to_one_branch_form_one_chain(connect, workers):
    """Contention is made, not hoped for: a holder commits to the branch and keeps its
    transaction open until every worker is seen waiting for the branch's row; when it commits,
    each waiting REPEATABLE READ worker must get 40001 and retry."""
    branch = name(f"w{workers}")
    admin = connect()
    admin.execute("SELECT pggit.create_branch(%s)", [branch])
    start = len(chain_of(admin, branch))
    per_worker = max(2, 40 // workers)
    holder = connect(autocommit=False)
    held = holder.execute("SELECT pggit.commit_changes(%s, 'holder')", [branch]).fetchone()[0]
    pids: list[int] = []
    outcomes: Counter = Counter()

    def work(n: int) -> list[str]:
        # REPEATABLE READ makes a moved head a real 40001 that must be retried
        conn = connect(autocommit=False)
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        pids.append(conn.info.backend_pid)
        return [commit_with_retry(conn, branch, f"w{n}-{i}", outcomes) for i in range(per_worker)]

    waiting = "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted AND pid = ANY(%s)"
    with ThreadPoolExecutor(workers) as pool:
        batches = pool.map(work, range(workers))
        deadline = time.monotonic() + 60
        try:
            while len(pids) < workers or admin.execute(waiting, [pids]).fetchone()[0] < workers:
                assert time.monotonic() < deadline, f"{len(pids)} workers started, not all waited"
                time.sleep(0.02)
        finally:
            # every worker waits on the branch the holder moved (or the test failed)
            holder.commit()
        hashes = [h for batch in batches for h in batch]
    assert outcomes["40001"] >= workers, f"each waiting worker retried at least once: {outcomes}"
    assert len(hashes) == len(set(hashes)) == workers * per_worker
    chain = chain_of(admin, branch)
    assert len(chain) - start == len(hashes) + 1, "the chain's length equals the successes"
    assert set(hashes) | {held} <= set(chain)
    assert chain[-start - 1] == held, "the holder's commit came first"
    ids = [
        r[0]
        for r in admin.execute(
            "SELECT id FROM pggit.commits WHERE hash = ANY(%s)", [hashes]
        ).fetchall()
    ]
    assert len(set(ids)) == len(ids)
    verify_clean(admin)


def test_concurrent_commits_across_many_branches(connect):
    branches = [name("many") for _ in range(8)]
    admin = connect()
    outcomes: Counter = Counter()

    def work(branch: str) -> list[str]:
        conn = connect()
        return [commit_with_retry(conn, branch, f"c{i}", outcomes) for i in range(5)]

    with ThreadPoolExecutor(8) as pool:
        results = dict(zip(branches, pool.map(work, branches), strict=True))
    for branch, hashes in results.items():
        assert chain_of(admin, branch)[:5] == list(reversed(hashes))
    verify_clean(admin)


def test_concurrent_creation_of_one_name_creates_it_once(connect):
    branch = name("same")
    barrier = threading.Barrier(8)

    def create(_: int) -> str:
        conn = connect()
        barrier.wait(timeout=30)
        try:
            conn.execute("SELECT pggit.create_branch(%s)", [branch])
            return "created"
        except psycopg.Error as exc:
            return exc.sqlstate

    with ThreadPoolExecutor(8) as pool:
        results = Counter(pool.map(create, range(8)))
    assert results == Counter({"created": 1, "PGB02": 7})
    admin = connect()
    assert (
        admin.execute("SELECT count(*) FROM pggit.branches WHERE name = %s", [branch]).fetchone()[0]
        == 1
    )
    verify_clean(admin)


def test_commit_racing_delete_never_lands_on_a_deleted_branch(connect):
    admin = connect()
    for _ in range(5):
        branch = name("race")
        admin.execute("SELECT pggit.create_branch(%s)", [branch])
        barrier = threading.Barrier(2)

        def commit(barrier: threading.Barrier = barrier, branch: str = branch) -> str:
            conn = connect()
            barrier.wait(timeout=30)
            try:
                conn.execute("SELECT pggit.commit_changes(%s, 'racing')", [branch])
                return "committed"
            except psycopg.Error as exc:
                return exc.sqlstate

        def delete(barrier: threading.Barrier = barrier, branch: str = branch) -> str:
            conn = connect()
            barrier.wait(timeout=30)
            try:
                conn.execute("SELECT pggit.delete_branch(%s, true)", [branch])
                return "deleted"
            except psycopg.Error as exc:
                return exc.sqlstate

        with ThreadPoolExecutor(2) as pool:
            c, d = pool.submit(commit), pool.submit(delete)
            outcome = (c.result(), d.result())
        assert outcome in {("committed", "deleted"), ("PGB05", "deleted")}, outcome
        late = admin.execute(
            "SELECT count(*) FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id"
            " WHERE b.name = %s AND c.committed_at > b.deleted_at",
            [branch],
        ).fetchone()[0]
        assert late == 0, "no commit after the delete"
    verify_clean(admin)


def test_opposite_order_merges_do_not_deadlock(connect):
    admin = connect()
    a, b = name("a"), name("b")
    for branch in (a, b):
        admin.execute("SELECT pggit.create_branch(%s)", [branch])
        admin.execute("SELECT pggit.commit_changes(%s, 'own work')", [branch])
    barrier = threading.Barrier(2)

    def merge(source: str, target: str) -> str:
        conn = connect()
        barrier.wait(timeout=30)
        return conn.execute("SELECT status FROM pggit.merge(%s, %s)", [source, target]).fetchone()[
            0
        ]

    with ThreadPoolExecutor(2) as pool:
        results = sorted(pool.map(merge, [a, b], [b, a]))
    # whichever lands first makes a merge commit; the other then fast-forwards to it
    assert results == ["fast-forward", "merged"], results
    verify_clean(admin)


def test_serializable_callers_get_40001_and_a_retry_succeeds(connect):
    branch = name("ser")
    admin = connect()
    admin.execute("SELECT pggit.create_branch(%s)", [branch])
    first = connect(autocommit=False)
    first.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    second = connect(autocommit=False)
    second.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    first.execute("SELECT 1")  # both snapshots taken before either commits
    second.execute("SELECT 1")
    first.execute("SELECT pggit.commit_changes(%s, 'first')", [branch])
    outcome: dict[str, str] = {}

    def second_commit() -> None:
        try:
            second.execute("SELECT pggit.commit_changes(%s, 'second')", [branch])
            second.commit()
            outcome["second"] = "committed"
        except psycopg.Error as exc:
            second.rollback()
            outcome["second"] = exc.sqlstate

    waiter = threading.Thread(target=second_commit)
    waiter.start()
    waiting = "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted"
    deadline = time.monotonic() + 60
    try:  # second now waits on the branch row first holds
        while admin.execute(waiting, [second.info.backend_pid]).fetchone()[0] == 0:
            assert not outcome, f"second did not wait for first: {outcome}"
            assert time.monotonic() < deadline, "second never waited for the branch row"
            time.sleep(0.02)
    finally:
        first.commit()
    waiter.join(timeout=30)
    assert outcome["second"] == "40001"
    second.execute("SELECT pggit.commit_changes(%s, 'second, retried')", [branch])
    second.commit()
    messages = [
        r[0] for r in admin.execute("SELECT message FROM pggit.log(%s, 2)", [branch]).fetchall()
    ]
    assert messages == ["second, retried", "first"]
    verify_clean(admin)


OPERATIONS = {
    "commit": "SELECT pggit.commit_changes(%(branch)s, 'paused')",
    "create_branch": "SELECT pggit.create_branch(%(other)s, %(branch)s)",
    "merge": "SELECT * FROM pggit.merge(%(branch)s, %(other)s)",
    "data_branch": "SELECT pggit.create_data_branch(%(table)s, 'main', %(other)s)",
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_session_killed_mid_operation_leaves_no_partial_state(connect, operation):
    admin = connect()
    branch, other = name("kill"), name("kill-other")
    table = f"chaos_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    admin.execute("SELECT pggit.commit_changes('main', 'table')")
    admin.execute("SELECT pggit.create_branch(%s)", [branch])
    admin.execute("SELECT pggit.commit_changes(%s, 'work')", [branch])
    if operation == "merge":
        admin.execute("SELECT pggit.create_branch(%s)", [other])
    counts = (
        "SELECT (SELECT count(*) FROM pggit.commits), (SELECT count(*) FROM pggit.branches),"
        " (SELECT count(*) FROM pggit.data_branches), (SELECT count(*) FROM pg_namespace)"
    )
    before = admin.execute(counts).fetchone()
    key = int(uuid.uuid4().int % 2**31)
    admin.execute("SELECT pg_advisory_lock(%s)", [key])  # the pause point
    victim = connect(autocommit=False)
    pid = victim.info.backend_pid
    victim_ended: list[BaseException | str] = []

    def run_victim() -> None:
        try:
            victim.execute(
                OPERATIONS[operation], {"branch": branch, "other": other, "table": table}
            )
            victim.execute(
                "SELECT pg_advisory_lock(%s)", [key]
            )  # waits: the operation is done, not committed
            victim.commit()
            victim_ended.append("committed")
        except psycopg.Error as exc:
            victim_ended.append(exc)

    thread = threading.Thread(target=run_victim)
    thread.start()
    # the victim waits on the advisory key and nothing else: it ran the whole operation
    at_pause = (
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
        " WHERE l.pid = %s AND l.locktype = 'advisory' AND NOT l.granted AND l.classid = 0"
        " AND l.objid::bigint = %s AND a.wait_event = 'advisory'"
    )
    deadline = time.monotonic() + 60
    while admin.execute(at_pause, [pid, key]).fetchone()[0] == 0:
        assert not victim_ended, f"the victim ended before the pause point: {victim_ended}"
        assert time.monotonic() < deadline, "the victim never reached the pause point"
        time.sleep(0.02)
    assert admin.execute(counts).fetchone() == before, "done but not committed: invisible to others"
    assert admin.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0] is True
    thread.join(timeout=30)
    admin.execute("SELECT pg_advisory_unlock(%s)", [key])
    assert not thread.is_alive()
    assert len(victim_ended) == 1 and isinstance(victim_ended[0], psycopg.OperationalError), (
        victim_ended
    )
    assert admin.execute(counts).fetchone() == before, "nothing of the operation survived"
    verify_clean(admin)
    admin.execute(
        OPERATIONS[operation], {"branch": branch, "other": other, "table": table}
    )  # repeatable
    verify_clean(admin)
    admin.execute(
        "SELECT pggit.delete_branch(%s, true)", [other]
    ) if operation != "commit" else None
    admin.execute(f"DROP TABLE {table}")
    admin.execute("SELECT pggit.commit_changes('main', 'drop table')")


def test_rolled_back_api_calls_leave_no_trace(connect):
    admin = connect()
    table = f"chaos_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    admin.execute("SELECT pggit.commit_changes('main', 'table')")
    counts = (
        "SELECT (SELECT count(*) FROM pggit.commits), (SELECT count(*) FROM pggit.branches),"
        " (SELECT count(*) FROM pggit.ddl_events), (SELECT count(*) FROM pg_namespace)"
    )
    before = admin.execute(counts).fetchone()
    conn = connect(autocommit=False)
    branch = name("rb")
    conn.execute("SELECT pggit.create_branch(%s)", [branch])
    conn.execute("SELECT pggit.commit_changes(%s, 'x')", [branch])
    conn.execute("SELECT pggit.create_data_branch(%s, 'main', %s)", [table, branch])
    conn.execute("SELECT * FROM pggit.merge(%s, 'main')", [branch])
    conn.rollback()
    assert admin.execute(counts).fetchone() == before
    admin.execute(f"DROP TABLE {table}")
    admin.execute("SELECT pggit.commit_changes('main', 'drop table')")
    verify_clean(admin)


@pytest.mark.parametrize(
    "setting,state", [("lock_timeout", "55P03"), ("statement_timeout", "57014")]
)
def test_timeouts_inside_operations_fail_clearly_and_change_nothing(connect, setting, state):
    admin = connect()
    branch = name("to")
    admin.execute("SELECT pggit.create_branch(%s)", [branch])
    holder = connect(autocommit=False)
    holder.execute(
        "SELECT 1 FROM pggit.branches WHERE name = %s AND status <> 'DELETED' FOR UPDATE", [branch]
    )
    before = admin.execute("SELECT count(*) FROM pggit.commits").fetchone()[0]
    waiter = connect()
    waiter.execute(f"SET {setting} = '150ms'")
    with pytest.raises(psycopg.Error) as info:
        waiter.execute("SELECT pggit.commit_changes(%s, 'blocked')", [branch])
    assert info.value.sqlstate == state
    holder.rollback()
    assert admin.execute("SELECT count(*) FROM pggit.commits").fetchone()[0] == before
    waiter.execute(f"RESET {setting}")
    waiter.execute("SELECT pggit.commit_changes(%s, 'after')", [branch])
    verify_clean(admin)


def test_connection_exhaustion_gives_a_clear_error_and_service_resumes(connect):
    admin = connect()
    limit = int(admin.execute("SHOW max_connections").fetchone()[0])
    extra: list[psycopg.Connection] = []
    refused = None
    try:
        for _ in range(limit + 5):
            try:
                extra.append(connect())
            except psycopg.OperationalError as exc:
                refused = exc
                break
    finally:
        for conn in extra:
            conn.close()
    assert refused is not None and (
        "too many clients" in str(refused) or "reserved" in str(refused)
    )
    branch = name("after-exhaustion")
    for _ in range(50):  # closed backends leave within moments
        try:
            fresh = connect()
            break
        except psycopg.OperationalError:
            time.sleep(0.1)
    fresh.execute("SELECT pggit.commit_changes(%s, 'service is back')", [branch])
    verify_clean(fresh)


def mixed_operation(i: int, own: str, view: str | None, n: int) -> tuple[str, list[tuple]]:
    """The i-th operation (from 1) of worker n: its first four include every kind it does, and
    the threads reach the heavier kinds at different times (all 16 creating branches at once
    queue for seconds)."""
    if view and i % 3 == 0:
        return "data write", [(f"UPDATE {view} SET v = v + 1 WHERE id = %s", [i % 100 + 1])]
    if i % 7 == 4:
        temp = name(f"tmp{n}")
        return "branch create/delete", [
            ("SELECT pggit.create_branch(%s)", [temp]),
            ("SELECT pggit.delete_branch(%s, true)", [temp]),
        ]
    if i % 11 == 2 and not view:
        return "merge", [("SELECT * FROM pggit.merge(%s, 'main')", [own])]
    target = own if i % 2 else "main"
    return "commit", [("SELECT pggit.commit_changes(%s, %s)", [target, f"{n}-{i}"])]


@pytest.mark.parametrize("per_worker", [12, pytest.param(80, marks=pytest.mark.slow)])
def test_mixed_load(connect, per_worker):
    """16 threads mixing commits, branch create/delete, data-branch writes and merges.

    The load is a number of operations, not a duration (a busy machine does fewer per second,
    and tests assert no speed): every thread runs its whole schedule, and every operation must
    succeed but for the few refusals concurrent work may legitimately meet."""
    admin = connect()
    table = f"chaos_{uuid.uuid4().hex[:8]}"
    admin.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v int)")
    admin.execute(f"INSERT INTO {table} SELECT g, 0 FROM generate_series(1, 100) g")
    admin.execute("SELECT pggit.commit_changes('main', 'table')")
    # nothing here sets lock_timeout or statement_timeout, so 55P03/57014 are failures too
    timeouts = "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')"
    assert admin.execute(timeouts).fetchone() == ("0", "0")
    workers = 16
    scheduled = Counter(
        mixed_operation(i, "b", "v" if n % 4 == 0 else None, n)[0]
        for n in range(workers)
        for i in range(1, per_worker + 1)
    )
    failures: list[str] = []
    done: Counter = Counter()
    refused: Counter = Counter()
    # what concurrent work may legitimately refuse: retryable conflicts; a merge racing other
    # merges or main's commits (PGM03 uncommitted changes, PGM04 stale); nothing else
    allowed = RETRYABLE | {"PGM03", "PGM04"}
    started = threading.Barrier(workers)

    def worker(n: int) -> None:
        conn = connect()
        own = name(f"mix{n}")
        conn.execute("SELECT pggit.create_branch(%s)", [own])
        try:
            view = None
            if n % 4 == 0:
                view = conn.execute(
                    "SELECT pggit.create_data_branch(%s, 'main', %s)", [table, own]
                ).fetchone()[0]
            started.wait(timeout=120)
            for i in range(1, per_worker + 1):
                kind, statements = mixed_operation(i, own, view, n)
                try:
                    for statement, params in statements:
                        conn.execute(statement, params)
                    done[kind] += 1
                except psycopg.Error as exc:
                    if exc.sqlstate in allowed:
                        refused[kind] += 1
                    else:
                        failures.append(f"{kind}: {exc.sqlstate}: {exc}")
        finally:
            conn.execute("SELECT pggit.delete_branch(%s, true)", [own])  # and its data branch

    try:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(worker, range(workers)))
        assert failures == []
        assert set(scheduled) == {"data write", "branch create/delete", "merge", "commit"}
        assert done + refused == scheduled, "every scheduled operation ran"
        assert sum(refused.values()) <= sum(scheduled.values()) // 10, (done, refused)
        assert set(refused) <= {"merge"}, f"only merges may race: {refused}"
    finally:  # a failed run must not leave a table with data-branch triggers to later tests
        admin.execute(f"DROP TABLE {table}")
        admin.execute("SELECT pggit.commit_changes('main', 'drop table')")
    verify_clean(admin)


def test_ddl_on_a_branch_does_not_wait_for_a_commit_in_flight_there(connect):
    """A commit locks its branch row FOR NO KEY UPDATE: the foreign-key check of the DDL event
    that capture records for another session (FOR KEY SHARE on the same row) does not wait for
    the committing transaction to end, whether it committed through SQL or the Python API."""
    from django.db import transaction

    from pggit import api

    ddl = connect()
    ddl.execute("SET lock_timeout = '3s'")  # 55P03 instead of a wait
    sql_table, api_table = (f"chaos_nowait_{uuid.uuid4().hex[:8]}" for _ in range(2))

    def create_pending(table: str) -> None:
        ddl.execute(f"CREATE TABLE public.{table} (id int PRIMARY KEY)")
        pending = ddl.execute(
            "SELECT count(*) FROM pggit.ddl_events WHERE object_identity = %s"
            " AND commit_id IS NULL",
            [f"public.{table}"],
        ).fetchone()[0]
        assert pending == 1, "captured, waiting for the next commit"

    try:
        committer = connect()
        with committer.transaction():
            committer.execute("SELECT pggit.commit_changes('main', 'held open (SQL)')")
            create_pending(sql_table)
        with transaction.atomic():
            api.commit("held open (Python API)")
            create_pending(api_table)
        ddl.execute("SELECT pggit.commit_changes('main', 'picks up the last one')")
        # each event went to the first commit after it (the first to the API's commit)
        attached = ddl.execute(
            "SELECT e.object_identity, c.message"
            "  FROM pggit.ddl_events e JOIN pggit.commits c ON c.id = e.commit_id"
            " WHERE e.object_identity = ANY (%s) ORDER BY e.id",
            [[f"public.{sql_table}", f"public.{api_table}"]],
        ).fetchall()
        assert attached == [
            (f"public.{sql_table}", "held open (Python API)"),
            (f"public.{api_table}", "picks up the last one"),
        ]
    finally:
        ddl.execute(f"DROP TABLE IF EXISTS public.{sql_table}, public.{api_table}")
        ddl.execute("SELECT pggit.commit_changes('main', 'drop the probes')")
    verify_clean(ddl)
