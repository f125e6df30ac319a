"""DDL capture overhead: CREATE TABLE / DROP TABLE with pggit installed vs without."""

from __future__ import annotations

from benchmarks.harness import Bench, Figure, judge, timed

STATEMENTS = 500


def churn(conn) -> float:
    def run() -> None:
        for i in range(STATEMENTS // 2):
            conn.execute(f"CREATE TABLE public.churn_{i} (id int PRIMARY KEY, v text)")
            conn.execute(f"DROP TABLE public.churn_{i}")

    run()  # warm up
    return min(timed(run) for _ in range(3))


def run(bench: Bench) -> None:
    with bench.connect() as conn:
        with_pggit = churn(conn)
    plain_db = f"{bench.dbname}_plain"
    with bench.database(plain_db, with_core=False), bench.connect(plain_db) as conn:
        without = churn(conn)
    figure = bench.record(Figure(f"{STATEMENTS} CREATE/DROP TABLE with DDL capture", with_pggit, "s", without,
                                 "same DDL, database without pggit"))
    judge(figure, figure.ratio <= 1.3, "<= 1.3x")
