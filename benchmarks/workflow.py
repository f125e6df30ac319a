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
        with_data, without = [], []
        for n in range(ROUNDS):  # alternately, so background noise lands on both
            without.append(
                timed(lambda n=n: conn.execute("SELECT pggit.create_branch(%s)", [f"bench/wo{n}"]))
            )
            with_data.append(
                timed(
                    lambda n=n: conn.execute(
                        "SELECT pggit.create_branch_with_data(%s)", [f"bench/wd{n}"]
                    )
                )
            )
        # a table's first live data branch creates its store and capture triggers; the later
        # ones (the median) find them
        t, base = statistics.median(with_data[1:]), statistics.median(without)
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
                base * 1000,
                "create_branch without data",
            )
        )
        # the usual Django workflow: one feature branch with data at a time, each made after
        # the last one was merged or deleted
        for n in range(ROUNDS):
            conn.execute("SELECT pggit.delete_branch(%s, true)", [f"bench/wd{n}"])
        again = timed(
            lambda: conn.execute("SELECT pggit.create_branch_with_data('bench/wd-again')")
        )
        bench.record(
            Figure(
                f"create_branch with data, {tables} tables, after their last data branches ended",
                again * 1000,
                "ms",
                base * 1000,
                "create_branch without data",
            )
        )
        conn.execute("SELECT pggit.delete_branch('bench/wd-again', true)")
        for n in range(ROUNDS):
            conn.execute("SELECT pggit.delete_branch(%s, true)", [f"bench/wo{n}"])
