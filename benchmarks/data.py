"""Data branches: creation cost by size, reads and writes vs plain tables, diff and merge."""

from __future__ import annotations

import random
import statistics

from benchmarks.harness import Bench, Figure, judge, progress, throughput, timed


def load(conn, name: str, rows: int) -> None:
    conn.execute(f"CREATE TABLE public.{name} (id bigint PRIMARY KEY, v int NOT NULL, pad text)")
    conn.execute(
        f"INSERT INTO public.{name} SELECT g, g % 1000, md5(g::text)"
        f" FROM generate_series(1, {rows}) g"
    )
    conn.execute(f"VACUUM ANALYZE public.{name}")


def scan(conn, relation: str) -> float:
    return statistics.median(
        timed(lambda: conn.execute(f"SELECT count(*), sum(v) FROM {relation}").fetchone())
        for _ in range(5)
    )


def paired(
    measure, conn, relation: str, baseline: str, *args, rounds: int = 5
) -> tuple[float, float]:
    """Median figures of relation and its baseline, measured alternately, so a burst of background
    work (autovacuum, noise from the other core) lands on both sides instead of one."""
    pairs = [
        (measure(conn, relation, *args), measure(conn, baseline, *args)) for _ in range(rounds)
    ]
    return statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs)


def lookups(conn, relation: str, rows: int, n: int = 2000, prepare: bool = True) -> float:
    ids = [random.randint(1, rows) for _ in range(n)]

    def run() -> None:
        for i in ids:
            conn.execute(f"SELECT v FROM {relation} WHERE id = %s", [i], prepare=prepare).fetchone()

    run()  # warm the cache and the prepared statements
    return timed(run) / n


def run(bench: Bench) -> None:
    sizes = [1_000, 100_000] if bench.quick else [1_000, 100_000, 1_000_000]
    created = {}
    with bench.connect() as conn:
        for rows in sizes:
            progress(f"loading {rows:,} rows")
            load(conn, f"d{rows}", rows)
        conn.execute("SELECT pggit.commit_changes('main', 'data tables')")
        for rows in sizes:
            t = timed(
                lambda rows=rows: conn.execute(
                    "SELECT pggit.create_data_branch(%s, 'main', %s)",
                    [f"d{rows}", f"bench/data{rows}"],
                )
            )
            copy = timed(
                lambda rows=rows: conn.execute(
                    f"CREATE TABLE copy_{rows} AS SELECT * FROM public.d{rows}"
                )
            )
            created[rows] = t
            figure = bench.record(
                Figure(
                    f"create_data_branch, {rows:,} rows",
                    t * 1000,
                    "ms",
                    copy * 1000,
                    "CREATE TABLE AS (a full copy)",
                )
            )
            if rows == 1_000_000:
                judge(figure, t < 0.05, "< 50 ms")
        largest = sizes[-1]
        judge(
            bench.record(
                Figure(
                    f"create_data_branch time, {largest:,} / 1,000 rows",
                    created[largest] / created[1000],
                    "x",
                )
            ),
            created[largest] / created[1000] < 1.5,
            "< 1.5",
        )

        view = conn.execute(
            "SELECT view_name FROM pggit.data_branches WHERE table_name = %s AND status = 'ACTIVE'",
            [f"d{largest}"],
        ).fetchone()[0]
        plain = f"public.plain_{largest}"
        load(conn, f"plain_{largest}", largest)
        rel = f"public.d{largest}"
        # a realistic branch: 1% of its rows rewritten
        progress("writing 1% of the rows on the branch")
        conn.execute(f"UPDATE {view} SET v = v + 1 WHERE id % 100 = 0")
        conn.execute(f"ANALYZE pggit.data_{_data_id(conn, view)}_delta")
        for label, relation, target in [
            ("data-branch table", view, (1.5, 1.3)),
            ("source with a live data branch", rel, (1.1, 1.1)),
        ]:
            s, base = paired(scan, conn, relation, plain)
            judge(
                bench.record(
                    Figure(
                        f"full scan, {label}, {largest:,} rows",
                        s * 1000,
                        "ms",
                        base * 1000,
                        "plain table",
                    )
                ),
                s / base <= target[0],
                f"<= {target[0]}x plain",
            )
            lk, base = paired(lookups, conn, relation, plain, largest)
            judge(
                bench.record(
                    Figure(f"PK lookup, {label}", lk * 1e6, "us", base * 1e6, "plain table")
                ),
                lk / base <= target[1],
                f"<= {target[1]}x plain",
            )
        # the figures above are prepared statements (generic plans: the view's staleness guard
        # runs when a query is planned); an unprepared lookup plans the view's three arms each time
        lk, base = paired(lookups, conn, view, plain, largest, 500, False)
        bench.record(
            Figure(
                "PK lookup, data-branch table, not prepared",
                lk * 1e6,
                "us",
                base * 1e6,
                "plain table",
            )
        )

        seconds = 2.0 if bench.quick else 5.0

        def update_rate(_conn, relation: str) -> float:
            return throughput(
                bench,
                1,
                seconds / 4,
                lambda c, n: None,
                lambda c, n: c.execute(
                    f"UPDATE {relation} SET v = v + 1 WHERE id = %s", [random.randint(1, largest)]
                ),
            )[0]

        source_rate, plain_rate = paired(update_rate, conn, rel, plain, rounds=4)
        judge(
            bench.record(
                Figure(
                    "single-row UPDATE on a source with a live data branch",
                    source_rate,
                    "tx/s",
                    plain_rate,
                    "plain table",
                )
            ),
            source_rate / plain_rate >= 0.5,
            ">= 0.5x plain",
        )

        diff = statistics.median(
            timed(
                lambda: conn.execute(
                    "SELECT count(*) FROM pggit.diff_data(%s, 'main', %s)",
                    [f"d{largest}", f"bench/data{largest}"],
                ).fetchone()
            )
            for _ in range(3)
        )
        full = scan(conn, plain)
        figure = bench.record(
            Figure(
                f"diff_data, {largest:,} rows, 1% changed",
                diff * 1000,
                "ms",
                full * 1000,
                "one full scan of the table",
            )
        )
        if largest == 1_000_000:
            judge(figure, diff < 0.5, "< 0.5 s")
        direct = timed(lambda: conn.execute(f"UPDATE {plain} SET v = v + 1 WHERE id % 100 = 0"))
        merge = timed(
            lambda: conn.execute("SELECT * FROM pggit.merge(%s, 'main')", [f"bench/data{largest}"])
        )
        bench.record(
            Figure(
                f"data merge, {largest:,} rows, 1% changed",
                merge * 1000,
                "ms",
                direct * 1000,
                "the same UPDATE run directly",
            )
        )


def _data_id(conn, view: str) -> int:
    return conn.execute(
        "SELECT id FROM pggit.data_branches WHERE view_name = %s", [view]
    ).fetchone()[0]
