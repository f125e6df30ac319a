"""Commit throughput and latency vs one-row INSERT transactions on the same server."""

from __future__ import annotations

from benchmarks.harness import Bench, Figure, judge, throughput

TARGETS = {  # (workers, mode) -> minimum ratio to the INSERT baseline
    (1, "one branch"): 0.8,
    (8, "own branches"): 0.8,
    (8, "one branch"): 0.5,
}


def run(bench: Bench) -> None:
    with bench.connect() as conn:
        for i in range(10):
            conn.execute(f"CREATE TABLE public.tracked_{i} (id int PRIMARY KEY, v text, at timestamptz DEFAULT now())")
        conn.execute("CREATE TABLE public.bench_plain (id bigserial PRIMARY KEY, v int)")
        conn.execute("SELECT pggit.commit_changes('main', '10 tracked tables')")
        conn.execute("SELECT pggit.create_branch('bench/shared')")
    seconds = 2.0 if bench.quick else 6.0
    for workers in ([1, 8] if bench.quick else [1, 8, 32]):
        base, base_p50, base_p99 = throughput(
            bench, workers, seconds, lambda c, n: None,
            lambda c, n: c.execute("INSERT INTO public.bench_plain (v) VALUES (1)"))

        def own_branch(conn, n, workers=workers):
            conn.execute("SELECT pggit.create_branch(%s)", [f"bench/w{workers}-{n}"])

        for mode, setup, branch in [
            ("one branch", lambda c, n: None, lambda n: "bench/shared"),
            ("own branches", own_branch, lambda n, workers=workers: f"bench/w{workers}-{n}"),
        ]:
            ops, p50, p99 = throughput(
                bench, workers, seconds, setup,
                lambda c, n, branch=branch: c.execute("SELECT pggit.commit_changes(%s, 'bench')", [branch(n)]))
            figure = bench.record(Figure(
                f"commits/s, {workers} worker(s), {mode}", ops, "tx/s", base, "one-row INSERT tx/s",
                extra={"p50_ms": p50, "p99_ms": p99, "baseline_p50_ms": base_p50, "baseline_p99_ms": base_p99}))
            bench.record(Figure(f"  commit p50 / p99 latency, {workers} worker(s), {mode}", p50, "ms", base_p50,
                                "INSERT p50 ms", extra={"p99_ms": p99, "baseline_p99_ms": base_p99}))
            minimum = TARGETS.get((workers, mode))
            if minimum is not None:
                judge(figure, figure.ratio >= minimum, f">= {minimum}x INSERT")
