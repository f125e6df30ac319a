"""Cost that does not grow with history: everyday operations on a database with 500 live
branches and 20,000 commits, each next to the same operation on a fresh install.

Both databases get the same small tracked schema. The old one then gets the history: branches
created through ``create_branch``; commits spread over every branch (and main), some of them
after a CREATE/DROP TABLE in the branch's workspace, so ``ddl_events`` is not empty; a CREATE
TABLE left uncommitted on every fifth branch; and one stored definition per commit, as if each
had changed a table (inserted directly: real DDL before every commit would take minutes). Both
are vacuumed and analyzed, so the ratio measures the size of the history, not dead rows.
Each figure is measured on new sessions, old and fresh alternating one operation at a time
(which goes first alternates too), and is the median of each side. Both sessions run with
synchronous_commit off: a WAL flush costs the same on either side, and on these small
operations its jitter would hide the work that grows.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import psycopg

from benchmarks.harness import Bench, Figure, judge, progress

BRANCHES = 500
COMMITS = 20_000
DDL_PAIRS = 500  # CREATE TABLE + DROP TABLE pairs in branch workspaces, each committed
TABLES = 5  # the tracked schema: small, so the figures show history and not schema size

Operation = Callable[[psycopg.Connection, int], object]
WARMUP = 6  # untimed runs per side: PL/pgSQL plans each statement afresh for its first five calls


def schema(conn: psycopg.Connection) -> None:
    """The tracked schema both databases start with, committed on main."""
    for i in range(TABLES):
        conn.execute(
            f"CREATE TABLE public.t{i} (id int PRIMARY KEY, a text NOT NULL, b int DEFAULT 0)"
        )
    conn.execute("SELECT pggit.commit_changes('main', 'base schema')")


def build_history(conn: psycopg.Connection) -> None:
    """BRANCHES live branches and COMMITS commits, mostly no-change commits spread over every
    branch (and main), DDL_PAIRS of them after a CREATE/DROP TABLE in a branch workspace."""
    for i in range(1, BRANCHES + 1):
        conn.execute("SELECT pggit.create_branch(%s)", [f"history/b{i}"])
    per_batch = 2000
    ddl_every = COMMITS // (2 * DDL_PAIRS)  # a batch holds whole pairs: 2 * ddl_every divides it
    for start in range(0, COMMITS, per_batch):
        # one transaction per batch: commit i goes to branch i % (BRANCHES + 1) (0 = main); every
        # ddl_every-th commit first creates (or drops) a table in that branch's workspace
        conn.execute(f"""DO $$
        DECLARE v_branch text; v_created text; v_ns text;
        BEGIN
            FOR i IN {start}..{start + per_batch - 1} LOOP
                v_branch := CASE WHEN i % {BRANCHES + 1} = 0 THEN 'main'
                                 ELSE 'history/b' || i % {BRANCHES + 1} END;
                IF i % {ddl_every} = 0 THEN
                    IF (i / {ddl_every}) % 2 = 0 THEN
                        v_created := v_branch;
                    ELSE
                        v_branch := v_created;  -- the drop goes to the branch of the create
                    END IF;
                    SELECT coalesce(min(w.namespace), 'public') INTO v_ns
                      FROM pggit.workspaces w JOIN pggit.branches b ON b.id = w.branch_id
                     WHERE b.name = v_branch AND b.status <> 'DELETED';
                    EXECUTE format(CASE WHEN (i / {ddl_every}) % 2 = 0
                                        THEN 'CREATE TABLE %I.%I (id int PRIMARY KEY, v text)'
                                        ELSE 'DROP TABLE %I.%I' END,
                                   v_ns, 'churn_' || (i / {ddl_every} / 2));
                END IF;
                PERFORM pggit.commit_changes(v_branch, 'history ' || i);
            END LOOP;
        END $$""")
    # DDL not yet committed on every fifth branch: other branches' pending events
    conn.execute("""DO $$
        DECLARE v_ns text;
        BEGIN
            FOR v_ns IN SELECT w.namespace FROM pggit.workspaces w WHERE w.branch_id % 5 = 0 LOOP
                EXECUTE format('CREATE TABLE %I.pending (id int PRIMARY KEY, v text)', v_ns);
            END LOOP;
        END $$""")
    conn.execute(
        """INSERT INTO pggit.objects (hash, object_type, definition)
        SELECT pggit.hash_definition(x.definition), 'table', x.definition
          FROM (SELECT jsonb_set(o.definition, '{name}', to_jsonb('gone_' || g)) AS definition
                  FROM (SELECT definition FROM pggit.objects WHERE object_type = 'table' LIMIT 1) o,
                       generate_series(1, %s) g) x
        ON CONFLICT (hash) DO NOTHING""",
        [COMMITS],
    )


def alternate(
    old: psycopg.Connection,
    fresh: psycopg.Connection,
    operation: Operation,
    repetitions: int,
    prepare: Operation | None = None,
) -> tuple[float, float]:
    """Median seconds of ``operation`` on each side, old and fresh alternating (which goes first
    alternates too), after WARMUP untimed runs; ``prepare`` runs untimed before each."""
    times: dict[int, list[float]] = {id(old): [], id(fresh): []}
    for r in range(WARMUP + repetitions):
        for conn in (old, fresh) if r % 2 == 0 else (fresh, old):
            if prepare:
                prepare(conn, r)
            start = time.perf_counter()
            operation(conn, r)
            spent = time.perf_counter() - start
            if r >= WARMUP:
                times[id(conn)].append(spent)
    return statistics.median(times[id(old)]), statistics.median(times[id(fresh)])


def create_branch(conn: psycopg.Connection, r: int) -> None:
    conn.execute("SELECT pggit.create_branch(%s)", [f"bench/new{r}"])


def create_table(conn: psycopg.Connection, r: int) -> None:
    conn.execute(f"CREATE TABLE public.fig_{r} (id int PRIMARY KEY, v text)")


def commit(conn: psycopg.Connection, r: int) -> None:
    conn.execute("SELECT pggit.commit_changes('main', 'a commit')")


def ddl_pair(conn: psycopg.Connection, r: int) -> None:
    conn.execute(f"CREATE TABLE public.pair_{r} (id int PRIMARY KEY, v text)")
    conn.execute(f"DROP TABLE public.pair_{r}")


def diff(conn: psycopg.Connection, r: int) -> None:
    conn.execute("SELECT count(*) FROM pggit.diff('main', 'bench/diff')").fetchone()


def ahead_behind(conn: psycopg.Connection, r: int) -> None:
    conn.execute("SELECT * FROM pggit.ahead_behind('bench/diff')").fetchone()


def run(bench: Bench) -> None:
    old_db, fresh_db = f"{bench.dbname}_old", f"{bench.dbname}_fresh"
    repetitions = 15 if bench.quick else 41
    with bench.database(old_db), bench.database(fresh_db):
        for name in (old_db, fresh_db):
            with bench.connect(name) as conn:
                conn.execute("SET synchronous_commit = off")
                # building is setup: without JIT it takes 40 s, not 2 minutes, on PostgreSQL 15
                # (the figures below run with the server's own setting)
                conn.execute("SET jit = off")
                schema(conn)
                if name == old_db:
                    progress(f"building history: {BRANCHES} branches, {COMMITS:,} commits")
                    start = time.perf_counter()
                    build_history(conn)
                    progress(f"history built in {time.perf_counter() - start:.0f} s")
                # the diff's second branch: one table more than main
                conn.execute("SELECT pggit.create_branch('bench/diff')")
                ns = conn.execute(
                    "SELECT w.namespace FROM pggit.workspaces w"
                    " JOIN pggit.branches b ON b.id = w.branch_id"
                    " WHERE b.name = 'bench/diff'"
                ).fetchone()[0]
                conn.execute(f'CREATE TABLE "{ns}".extra (id int PRIMARY KEY, v text)')
                conn.execute("SELECT pggit.commit_changes('bench/diff', 'one table more')")
                conn.execute("VACUUM ANALYZE")
        # new sessions on both sides: the builder's caches (thousands of relations) are not history
        with bench.connect(old_db) as old, bench.connect(fresh_db) as fresh:
            for conn in (old, fresh):
                conn.execute("SET synchronous_commit = off")
            sizes = old.execute(
                "SELECT (SELECT count(*) FROM pggit.branches WHERE status <> 'DELETED'),"
                " (SELECT count(*) FROM pggit.commits), (SELECT count(*) FROM pggit.ddl_events),"
                " (SELECT count(*) FROM pggit.objects)"
            ).fetchone()
            progress(
                f"old database: {sizes[0]} live branches, {sizes[1]:,} commits,"
                f" {sizes[2]:,} DDL events, {sizes[3]:,} definitions"
            )
            label = f"{BRANCHES} branches, {COMMITS // 1000}k commits / fresh"
            figures = [
                ("create_branch", alternate(old, fresh, create_branch, repetitions)),
                (
                    "commit after one CREATE TABLE",
                    alternate(old, fresh, commit, repetitions, prepare=create_table),
                ),
                ("no-change commit", alternate(old, fresh, commit, repetitions)),
                (
                    "CREATE + DROP TABLE with DDL capture",
                    alternate(old, fresh, ddl_pair, repetitions),
                ),
                ("diff between two branches", alternate(old, fresh, diff, repetitions)),
                (
                    "ahead/behind of a branch and main",
                    alternate(old, fresh, ahead_behind, repetitions),
                ),
            ]
        for name, (on_old, on_fresh) in figures:
            figure = bench.record(
                Figure(
                    f"{name}, {label}",
                    on_old * 1000,
                    "ms",
                    on_fresh * 1000,
                    "the same, fresh install",
                    extra={"history": list(sizes)},
                )
            )
            judge(figure, figure.ratio <= 1.2, "<= 1.2x")
