"""DDL capture overhead: CREATE TABLE / DROP TABLE with pggit installed vs without."""

from __future__ import annotations

import statistics
import time

from benchmarks.harness import Bench, Figure, judge

STATEMENTS = 500


def churn(sides: list) -> list[float]:
    """STATEMENTS/2 CREATE TABLE + DROP TABLE pairs on each connection, interleaved pair by pair
    (a burst of background work or a slow disk lands on every side alike); seconds per side."""
    spent = [0.0] * len(sides)
    for i in range(STATEMENTS // 2):
        for n, conn in enumerate(sides):
            start = time.perf_counter()
            conn.execute(f"CREATE TABLE public.churn_{i} (id int PRIMARY KEY, v text)")
            conn.execute(f"DROP TABLE public.churn_{i}")
            spent[n] += time.perf_counter() - start
    return spent


def run(bench: Bench) -> None:
    plain_db = f"{bench.dbname}_plain"
    with (
        bench.connect() as with_core,
        bench.database(plain_db, with_core=False),
        bench.connect(plain_db) as without_core,
    ):
        churn([with_core, without_core])  # warm up both
        rounds = []
        for r in range(3):  # which side goes first alternates too
            order = 1 if r % 2 == 0 else -1
            rounds.append(churn([with_core, without_core][::order])[::order])
    with_pggit = statistics.median(r[0] for r in rounds)
    without = statistics.median(r[1] for r in rounds)
    figure = bench.record(
        Figure(
            f"{STATEMENTS} CREATE/DROP TABLE with DDL capture",
            with_pggit,
            "s",
            without,
            "same DDL, database without pggit",
        )
    )
    judge(figure, figure.ratio <= 1.3, "<= 1.3x")
