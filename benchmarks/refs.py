"""Refs (issue 18): resolving a 7-digit hash prefix among 100,000 commits, creating a tag, and a
hard reset of a branch of 100 tables, each next to a baseline measured in the same run.

* resolve: ``pggit.resolve(prefix)`` vs the lookup of a full hash in ``pggit.commits`` (the
  unique index the prefix search ranges over). The commits are written by one bulk INSERT
  (hashes SHA-256 of a counter): 100,000 API calls would take minutes and measure commits.
* tag: ``pggit.tag(name, hash)`` vs an INSERT of one row into a plain table.
* reset --hard: a branch of 100 tables reset from a commit without them to the commit with them
  (its workspace gets the 100 tables) vs ``create_branch`` of the same commit (which creates
  the same 100 tables in a new workspace). Rounds alternate the two; medians.
"""

from __future__ import annotations

import statistics
import time

import psycopg

from benchmarks.harness import Bench, Figure, judge, progress

CALLS = 200


def median_ms(conn: psycopg.Connection, sql: str, params: list[list[object]]) -> float:
    spent = []
    for p in params:
        start = time.perf_counter()
        conn.execute(sql, p)
        spent.append(time.perf_counter() - start)
    return statistics.median(spent) * 1000


def resolve_prefix(bench: Bench, conn: psycopg.Connection) -> None:
    commits = 20_000 if bench.quick else 100_000
    progress(f"writing {commits} commits")
    conn.execute(
        """INSERT INTO pggit.commits (hash, branch_id, tree_hash, message, author, committed_at)
           SELECT encode(sha256(convert_to('bench commit ' || g, 'UTF8')), 'hex'),
                  (SELECT id FROM pggit.branches WHERE name = 'main'),
                  encode(sha256(''::bytea), 'hex'), 'bulk', 'bench', now()
             FROM generate_series(1, %s) g""",
        [commits],
    )
    conn.execute("ANALYZE pggit.commits")
    hashes = [
        r[0]
        for r in conn.execute(
            "SELECT hash FROM pggit.commits ORDER BY random() LIMIT %s", [CALLS]
        ).fetchall()
    ]
    # prefixes that are unique (a 7-digit collision among 100,000 hashes is rare, not impossible)
    prefixes = [
        [h[:7]]
        for h in hashes
        if conn.execute(
            "SELECT count(*) FROM pggit.commits WHERE hash LIKE %s", [h[:7] + "%"]
        ).fetchone()[0]
        == 1
    ]
    for p in prefixes[:10]:  # warm up plans
        conn.execute("SELECT pggit.resolve(%s)", p)
    full = median_ms(conn, "SELECT hash FROM pggit.commits WHERE hash = %s", [[h] for h in hashes])
    value = median_ms(conn, "SELECT pggit.resolve(%s)", prefixes)
    figure = bench.record(
        Figure(
            f"resolve a 7-digit prefix among {commits:,} commits",
            value,
            "ms",
            full,
            "lookup of a full hash in pggit.commits",
        )
    )
    judge(figure, value < 1.0, "< 1 ms")


def tag(bench: Bench, conn: psycopg.Connection) -> None:
    head = conn.execute("SELECT pggit.commit_changes('main', 'to tag')").fetchone()[0]
    conn.execute("CREATE TABLE public.bench_plain_tags (name text PRIMARY KEY, hash text)")
    conn.execute("SELECT pggit.tag('bench/warmup', %s)", [head])
    baseline = median_ms(
        conn,
        "INSERT INTO public.bench_plain_tags VALUES (%s, %s)",
        [[f"v{i}", head] for i in range(CALLS)],
    )
    value = median_ms(conn, "SELECT pggit.tag(%s, %s)", [[f"v1.{i}.0", head] for i in range(CALLS)])
    figure = bench.record(
        Figure("tag a commit", value, "ms", baseline, "INSERT of one row into a plain table")
    )
    judge(figure, value < 5.0, "< 5 ms")
    conn.execute("DROP TABLE public.bench_plain_tags")


def reset_hard(bench: Bench, conn: psycopg.Connection) -> None:
    tables = 100
    rounds = 3 if bench.quick else 7
    empty = conn.execute("SELECT pggit.commit_changes('main', 'before the tables')").fetchone()[0]
    for i in range(tables):
        conn.execute(
            f"CREATE TABLE public.reset_{i} (id bigint PRIMARY KEY, name text NOT NULL,"
            f" qty int DEFAULT 0 CHECK (qty >= 0), created timestamptz DEFAULT now())"
        )
        conn.execute(f"CREATE INDEX ON public.reset_{i} (name)")
    full = conn.execute("SELECT pggit.commit_changes('main', '100 tables')").fetchone()[0]
    creates, resets = [], []
    for r in range(rounds):
        name = f"bench/reset-{r}"
        order = ["create", "reset"] if r % 2 == 0 else ["reset", "create"]
        if order[0] == "reset":
            conn.execute("SELECT pggit.create_branch(%s, %s)", [name, empty])
        for step in order:
            if step == "create":
                other = f"{name}-created"
                start = time.perf_counter()
                conn.execute("SELECT pggit.create_branch(%s, %s)", [other, full])
                creates.append(time.perf_counter() - start)
            else:
                if order[0] != "reset":
                    conn.execute("SELECT pggit.create_branch(%s, %s)", [name, empty])
                start = time.perf_counter()
                conn.execute("SELECT pggit.reset(%s, %s, 'hard')", [name, full])
                resets.append(time.perf_counter() - start)
    value = statistics.median(resets) * 1000
    baseline = statistics.median(creates) * 1000
    figure = bench.record(
        Figure(
            f"reset --hard of a branch to {tables} tables",
            value,
            "ms",
            baseline,
            f"create_branch of the same {tables} tables",
        )
    )
    judge(figure, value <= 1.2 * baseline, "<= 1.2x")


def run(bench: Bench) -> None:
    with bench.connect() as conn:
        conn.execute("SET synchronous_commit = off")
        tag(bench, conn)
        reset_hard(bench, conn)
        resolve_prefix(bench, conn)  # last: its bulk commits are not on any branch's chain
