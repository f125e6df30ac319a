"""One object's history: ``pggit.object_log`` of one table among 1,000 in a history of 10,000
commits on main, next to the plain first-parent walk of the same chain.

The history is built in bulk with SQL (not 10,000 commits through the API): 1,000 table
definitions of 12 columns, then 10,000 commits on main's chain, each changing one table (a
column replaced; every 100th the table the figure reads, so its log has 100 entries, each with
a readable detail), with the
``pggit.object_versions`` rows a commit writes. object_log reads commits, object_versions and the
changed table's definitions, never a tree, so the bulk commits share one tree. The sizes are the
same with ``--quick`` (building takes a few seconds); only the repetitions drop.

The baseline is the least any first-parent history read does on this chain: a recursive walk of
the 10,000 commits by parent hash, in plain SQL, returning nothing but a count.
"""

from __future__ import annotations

import statistics
import time

import psycopg

from benchmarks.harness import Bench, Figure, judge, progress

TABLES = 1_000
COMMITS = 10_000
EVERY = 100  # every EVERY-th commit changes the table the figure reads
TARGET = "table:public.table_0"

BUILD = """
CREATE FUNCTION pg_temp.bench_hash(i int) RETURNS text LANGUAGE sql IMMUTABLE
AS $f$ SELECT encode(sha256(convert_to('object_log bench commit ' || i, 'UTF8')), 'hex') $f$;

CREATE TEMP TABLE bench_versions AS  -- (commit number, table, its version after the commit)
SELECT 0 AS i, t, 0 AS v FROM generate_series(0, {tables} - 1) t
UNION ALL
SELECT i, t, row_number() OVER (PARTITION BY t ORDER BY i)::int
  FROM (SELECT i, CASE WHEN i % {every} = 0 THEN 0 ELSE 1 + i % ({tables} - 1) END AS t
          FROM generate_series(1, {commits} - 1) i) c;

CREATE TEMP TABLE bench_definitions AS  -- table t at version v: id, c1 .. c10, and v_<v>
SELECT b.i, b.t, b.v, pggit.hash_definition(d.definition) AS hash, d.definition
  FROM bench_versions b
 CROSS JOIN LATERAL (SELECT jsonb_build_object(
        'name', 'table_' || b.t, 'kind', 'r',
        'columns', (SELECT jsonb_agg(jsonb_build_object(
                               'name', CASE WHEN k = 0 THEN 'id' WHEN k <= 10 THEN 'c' || k
                                            ELSE 'v_' || b.v END,
                               'type', CASE WHEN k = 0 THEN 'integer' ELSE 'text' END,
                               'not_null', k = 0) ORDER BY k)
                      FROM generate_series(0, 11) k)) AS definition) d;

INSERT INTO pggit.objects (hash, object_type, definition)
SELECT DISTINCT ON (hash) hash, 'table', definition FROM bench_definitions
ON CONFLICT (hash) DO NOTHING;

INSERT INTO pggit.trees (hash, entries)
SELECT encode(sha256(convert_to(string_agg('table:public.table_' || t || ' ' || hash, E'\\n'
                                           ORDER BY t), 'UTF8')), 'hex'),
       jsonb_object_agg('table:public.table_' || t, hash)
  FROM bench_definitions WHERE i = 0
ON CONFLICT (hash) DO NOTHING;

DO $$
DECLARE
    v_main bigint := (SELECT id FROM pggit.branches WHERE name = 'main' AND status <> 'DELETED');
    v_head text := (SELECT head_hash FROM pggit.branches WHERE id = v_main);
    v_tree text := (SELECT hash FROM pggit.trees ORDER BY created_at DESC LIMIT 1);
    v_base bigint := nextval('pggit.commits_id_seq');
BEGIN
    INSERT INTO pggit.commits (id, hash, parent_hash, branch_id, tree_hash, message, author,
                               committed_at)
    SELECT v_base + i, pg_temp.bench_hash(i),
           CASE WHEN i = 0 THEN v_head ELSE pg_temp.bench_hash(i - 1) END,
           v_main, v_tree, 'bulk commit ' || i, 'bench',
           now() - ({commits} - i) * interval '1 second'
      FROM generate_series(0, {commits} - 1) i;
    PERFORM setval('pggit.commits_id_seq', v_base + {commits});
    INSERT INTO pggit.object_versions (branch_id, object_key, object_type, major, minor, patch,
                                       object_hash, commit_hash)
    SELECT v_main, 'table:public.table_' || d.t, 'table', 1, d.v, 0, d.hash, pg_temp.bench_hash(d.i)
      FROM bench_definitions d ORDER BY d.i;
    UPDATE pggit.branches SET head_hash = pg_temp.bench_hash({commits} - 1) WHERE id = v_main;
END $$;
"""

WALK = """
WITH RECURSIVE chain AS (
    SELECT c.id, c.parent_hash FROM pggit.commits c
     WHERE c.hash = (SELECT b.head_hash FROM pggit.branches b
                      WHERE b.name = 'main' AND b.status <> 'DELETED')
    UNION ALL
    SELECT p.id, p.parent_hash FROM chain ch
     CROSS JOIN LATERAL (SELECT c.id, c.parent_hash FROM pggit.commits c
                          WHERE c.hash = ch.parent_hash LIMIT 1) p
)
SELECT count(*) FROM chain
"""


def median_ms(conn: psycopg.Connection, sql: str, params: list, repetitions: int) -> float:
    """Median milliseconds of ``sql`` after 6 untimed runs (PL/pgSQL plans each statement
    afresh for its first five calls)."""
    times = []
    for r in range(6 + repetitions):
        start = time.perf_counter()
        conn.execute(sql, params).fetchall()
        if r >= 6:
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run(bench: Bench) -> None:
    repetitions = 11 if bench.quick else 31
    # its own database: the bulk history must not meet other suites' commits and tables
    name = f"{bench.dbname}_objects"
    with bench.database(name):
        with bench.connect(name) as conn:
            conn.execute("SET synchronous_commit = off")
            progress(f"building history: {TABLES:,} tables, {COMMITS:,} commits")
            start = time.perf_counter()
            with conn.transaction():
                conn.execute(BUILD.format(tables=TABLES, commits=COMMITS, every=EVERY).encode())
            conn.execute("VACUUM ANALYZE")
            progress(f"history built in {time.perf_counter() - start:.1f} s")
        # a new session: the builder's caches are not the figure's
        with bench.connect(name) as conn:
            entries = conn.execute(
                "SELECT count(*) FROM pggit.object_log(%s)", [TARGET]
            ).fetchone()[0]
            assert entries == COMMITS // EVERY, entries
            walk = median_ms(conn, WALK, [], repetitions)
            log = median_ms(conn, "SELECT * FROM pggit.object_log(%s)", [TARGET], repetitions)
        figure = bench.record(
            Figure(
                f"object_log, 1 table of {TABLES // 1000}k, {COMMITS // 1000}k commits"
                f" ({entries} changes)",
                log,
                "ms",
                walk,
                "first-parent walk of the same chain",
            )
        )
        judge(figure, figure.value < 50, "< 50 ms")
