"""The Django workflow: a branch with main's data (a data branch per table, one transaction)
against the same branch without data, on a schema of many loaded tables."""

from __future__ import annotations

import statistics

import psycopg

from benchmarks.harness import Bench, Figure, judge, progress, timed

ROUNDS = 5


def settle(conn: psycopg.Connection) -> None:
    """Write the load's dirty pages out before timing (a superuser's CHECKPOINT, else nothing):
    a checkpoint the load set off would otherwise land on whichever call runs during it."""
    try:
        conn.execute("CHECKPOINT")
    except psycopg.errors.InsufficientPrivilege:
        pass


def pair(conn: psycopg.Connection, without: str, with_data: str) -> tuple[float, float]:
    """The seconds a branch without data takes, then one with data, made one after the other."""
    return (
        timed(lambda: conn.execute("SELECT pggit.create_branch(%s)", [without])),
        timed(lambda: conn.execute("SELECT pggit.create_branch_with_data(%s)", [with_data])),
    )


def run(bench: Bench) -> None:
    tables, rows = (10, 1_000) if bench.quick else (100, 100_000)
    # its own database: "all tables" must mean this suite's tables, not other suites' leftovers
    name = f"{bench.dbname}_workflow"
    with bench.database(name), bench.connect(name) as conn:
        progress(f"loading {tables} tables of {rows:,} rows")
        for i in range(tables):
            conn.execute(
                f"CREATE TABLE public.w{i} (id bigint PRIMARY KEY, v int NOT NULL, pad text)"
            )
            conn.execute(
                f"INSERT INTO public.w{i} SELECT g, g % 1000, md5(g::text)"
                f" FROM generate_series(1, {rows}) g"
            )
        conn.execute("VACUUM ANALYZE")
        conn.execute("SELECT pggit.commit_changes('main', 'workflow tables')")
        settle(conn)
        # the first DDL after a checkpoint writes whole catalog pages to the WAL: a branch made
        # and deleted first takes that, not the timed rounds
        conn.execute("SELECT pggit.create_branch('bench/warm-up')")
        conn.execute("SELECT pggit.delete_branch('bench/warm-up', true)")
        with_data, without = [], []
        for n in range(ROUNDS):  # alternately, so background noise lands on both
            base_time, data_time = pair(conn, f"bench/wo{n}", f"bench/wd{n}")
            without.append(base_time)
            with_data.append(data_time)
        # a table's first data branch creates its store and capture triggers; the later ones
        # (the median) find them. The first round of each is left out of the medians: calls
        # get faster over the first rounds in a new session, and the first with data is apart
        t, base = statistics.median(with_data[1:]), statistics.median(without[1:])
        figure = bench.record(
            Figure(
                f"create_branch with data, {tables} tables x {rows:,} rows",
                t * 1000,
                "ms",
                base * 1000,
                "create_branch without data",
            )
        )
        if not bench.quick:
            judge(figure, t < 1.0 and t / base <= 1.5, "< 1 s, <= 1.5x without")
        bench.record(
            Figure(
                f"create_branch with data, {tables} tables' first data branches",
                with_data[0] * 1000,
                "ms",
                without[0] * 1000,  # the round beside it
                "create_branch without data",
            )
        )
        # the usual Django workflow: one feature branch with data at a time, each made after
        # the last one was merged or deleted (its tables' stores are kept, their capture
        # triggers are not); timed beside a branch without data
        for n in range(ROUNDS):
            conn.execute("SELECT pggit.delete_branch(%s, true)", [f"bench/wd{n}"])
        again, again_base = [], []
        for n in range(3):
            base_time, data_time = pair(conn, f"bench/wa{n}", f"bench/wda{n}")
            again_base.append(base_time)
            again.append(data_time)
            conn.execute("SELECT pggit.delete_branch(%s, true)", [f"bench/wda{n}"])
            conn.execute("SELECT pggit.delete_branch(%s, true)", [f"bench/wa{n}"])
        bench.record(
            Figure(
                f"create_branch with data, {tables} tables, after their last data branches ended",
                statistics.median(again) * 1000,
                "ms",
                statistics.median(again_base) * 1000,
                "create_branch without data",
            )
        )
        for n in range(ROUNDS):
            conn.execute("SELECT pggit.delete_branch(%s, true)", [f"bench/wo{n}"])
