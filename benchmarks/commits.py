"""Commit throughput and latency vs one-row INSERT transactions on the same server."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from benchmarks.harness import Bench, Figure, judge, throughput

TARGETS = {  # (workers, mode) -> minimum ratio to the INSERT baseline
    (1, "one branch"): 0.8,
    (8, "own branches"): 0.8,
    (8, "one branch"): 0.5,
}


# workers -> the floor runs next to the commits: (label, each worker on its own row)
FLOORS = {1: [("one row", False)], 8: [("one row", False), ("own rows", True)]}

# The least any commit with one chain per branch must do, without pggit: lock the branch's row,
# hash, insert the commit, move the head. Measured next to the INSERT baseline, it shows how
# much of the gap to the targets is the shape of the work rather than pggit's extras (pending
# DDL check, tree reuse check, UUID, author check, indexes for history and lookups by hash).
# In its own schema, which pggit does not track (the database keeps its 10 tracked tables).
FLOOR_SETUP = """
CREATE SCHEMA bench_floor;
CREATE TABLE bench_floor.floor_branches (id int PRIMARY KEY, head bytea);
INSERT INTO bench_floor.floor_branches SELECT g, NULL FROM generate_series(0, 63) g;
CREATE TABLE bench_floor.floor_commits (id bigserial PRIMARY KEY, hash bytea NOT NULL,
                                   parent bytea, branch_id int NOT NULL, message text,
                                   author text, at timestamptz);
CREATE FUNCTION bench_floor.floor_commit(p_branch int, p_message text) RETURNS bytea
LANGUAGE plpgsql AS $$
DECLARE v_head bytea; v_hash bytea;
BEGIN
    SELECT head INTO v_head FROM bench_floor.floor_branches WHERE id = p_branch FOR UPDATE;
    v_hash := sha256(convert_to(
        coalesce(encode(v_head, 'hex'), '') || p_message || clock_timestamp(), 'UTF8'));
    INSERT INTO bench_floor.floor_commits (hash, parent, branch_id, message, author, at)
    VALUES (v_hash, v_head, p_branch, p_message, current_user, clock_timestamp());
    UPDATE bench_floor.floor_branches SET head = v_hash WHERE id = p_branch;
    RETURN v_hash;
END $$;
"""


def no_setup(connection: object, n: int) -> None:
    """A worker that needs nothing before it starts."""


def commit_ids(bench: Bench, workers: int, seconds: float, base: float) -> None:
    """Commits that carry a caller-supplied ID (the ID's advisory lock and lookups, a unique
    index entry), each worker on its own branch, and repeats of an ID already used (the
    idempotent retry: one lookup by ID, nothing written)."""

    def own_branch(conn, n, workers=workers):
        conn.execute("SELECT pggit.create_branch(%s)", [f"bench/id{workers}-{n}"])
        conn.execute(
            "SELECT pggit.commit_changes(%s, 'bench', %s)",
            [f"bench/id{workers}-{n}", f"repeat-{workers}-{n}"],
        )

    sequence = itertools.count()
    for label, commit_id in [
        ("each with a new commit ID", lambda n: f"id-{workers}-{n}-{next(sequence)}"),
        ("repeating a used commit ID", lambda n: f"repeat-{workers}-{n}"),
    ]:
        ops, p50, p99 = throughput(
            bench,
            workers,
            seconds,
            own_branch if label.startswith("each") else no_setup,
            lambda c, n, commit_id=commit_id: c.execute(
                "SELECT pggit.commit_changes(%s, 'bench', %s)",
                [f"bench/id{workers}-{n}", commit_id(n)],
            ),
        )
        bench.record(
            Figure(
                f"  commits/s, {workers} worker(s), own branches, {label}",
                ops,
                "tx/s",
                base,
                "one-row INSERT tx/s",
                extra={"p50_ms": p50, "p99_ms": p99},
            )
        )


def run(bench: Bench) -> None:
    with bench.connect() as conn:
        conn.execute(FLOOR_SETUP)
        for i in range(10):
            conn.execute(
                f"CREATE TABLE public.tracked_{i}"
                " (id int PRIMARY KEY, v text, at timestamptz DEFAULT now())"
            )
        conn.execute("CREATE TABLE public.bench_plain (id bigserial PRIMARY KEY, v int)")
        conn.execute("SELECT pggit.commit_changes('main', '10 tracked tables')")
        conn.execute("SELECT pggit.create_branch('bench/shared')")
    seconds = 2.0 if bench.quick else 6.0
    for workers in [1, 8] if bench.quick else [1, 8, 32]:
        base, base_p50, base_p99 = throughput(
            bench,
            workers,
            seconds,
            lambda c, n: None,
            lambda c, n: c.execute("INSERT INTO public.bench_plain (v) VALUES (1)"),
        )

        def own_branch(conn: Any, n: int, workers: int = workers) -> None:
            conn.execute("SELECT pggit.create_branch(%s)", [f"bench/w{workers}-{n}"])

        # branch: the branch worker n commits to, as a format string over n
        modes: list[tuple[str, Callable[..., object], str]] = [
            ("one branch", no_setup, "bench/shared"),
            ("own branches", own_branch, f"bench/w{workers}-{{n}}"),
        ]
        for mode, setup, branch in modes:
            ops, p50, p99 = throughput(
                bench,
                workers,
                seconds,
                setup,
                lambda c, n, branch=branch: c.execute(
                    "SELECT pggit.commit_changes(%s, 'bench')", [branch.format(n=n)]
                ),
            )
            figure = bench.record(
                Figure(
                    f"commits/s, {workers} worker(s), {mode}",
                    ops,
                    "tx/s",
                    base,
                    "one-row INSERT tx/s",
                    extra={
                        "p50_ms": p50,
                        "p99_ms": p99,
                        "baseline_p50_ms": base_p50,
                        "baseline_p99_ms": base_p99,
                    },
                )
            )
            bench.record(
                Figure(
                    f"  commit p50 / p99 latency, {workers} worker(s), {mode}",
                    p50,
                    "ms",
                    base_p50,
                    "INSERT p50 ms",
                    extra={"p99_ms": p99, "baseline_p99_ms": base_p99},
                )
            )
            minimum = TARGETS.get((workers, mode))
            if minimum is not None:
                judge(figure, figure.ratio >= minimum, f">= {minimum}x INSERT")
        commit_ids(bench, workers, seconds, base)
        for mode, own_rows in FLOORS.get(workers, []):
            floor, _, _ = throughput(
                bench,
                workers,
                seconds,
                lambda c, n: None,
                lambda c, n, own_rows=own_rows: c.execute(
                    "SELECT bench_floor.floor_commit(%s, 'bench')", [n if own_rows else 0]
                ),
            )
            bench.record(
                Figure(
                    f"  floor: bare locked chain, {workers} worker(s), {mode}",
                    floor,
                    "tx/s",
                    base,
                    "one-row INSERT tx/s",
                )
            )
