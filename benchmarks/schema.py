"""Schema hashing, snapshot commits and branch creation on a 1,000-table schema."""

from __future__ import annotations

import statistics

from benchmarks.harness import Bench, Figure, judge, progress, timed

TABLE = (
    "CREATE TABLE {schema}.h{i} (id int PRIMARY KEY, a text NOT NULL, b int DEFAULT 0,"
    " c timestamptz DEFAULT now(), CHECK (b >= 0))"
)


def create_tables(conn, schema: str, count: int) -> None:
    conn.execute(f"""DO $$ BEGIN FOR i IN 1..{count} LOOP
        EXECUTE format('{TABLE.format(schema=schema, i="%s").replace("'", "''")}', i);
    END LOOP; END $$""")


def rows_label(written: int) -> str:
    return f"{written} definition row{'' if written == 1 else 's'}"


def run(bench: Bench) -> None:
    with bench.connect() as conn:
        progress("creating 1,000 tables")
        # the INSERT baseline's table (the commits suite makes it too; --only schema runs alone)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS public.bench_plain (id bigserial PRIMARY KEY, v int)"
        )
        conn.execute("CREATE SCHEMA hashing")
        create_tables(conn, "hashing", 1000)
        main_id = conn.execute(
            "SELECT id FROM pggit.branches WHERE name = 'main' AND status <> 'DELETED'"
        ).fetchone()[0]

        per_table = min(
            timed(
                lambda: conn.execute(
                    "SELECT count(pggit.calculate_schema_hash('hashing.h' || g))"
                    " FROM generate_series(1, 1000) g"
                )
            )
            for _ in range(3)
        )
        catalog = min(
            timed(
                lambda: conn.execute(
                    "SELECT count(*) FROM generate_series(1, 1000) g, pg_attribute a"
                    " WHERE a.attrelid = ('hashing.h' || g)::regclass"
                )
            )
            for _ in range(3)
        )
        judge(
            bench.record(
                Figure(
                    "calculate_schema_hash x 1,000 tables (total)",
                    per_table,
                    "s",
                    catalog,
                    "per-table catalog lookup x 1,000",
                )
            ),
            per_table < 0.4,
            "< 0.4 s",
        )
        per_call(bench, conn)

        # the whole schema: move the tables into the tracked schema so main's workspace holds them
        conn.execute("SELECT pggit.set_tracked_schemas(ARRAY['public', 'hashing'])")
        tree = min(
            timed(
                lambda: conn.execute("SELECT count(*) FROM pggit.workspace_objects(%s)", [main_id])
            )
            for _ in range(3)
        )
        scan = min(
            timed(
                lambda: conn.execute(
                    "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                    " WHERE c.relnamespace IN ('hashing'::regnamespace, 'public'::regnamespace)"
                )
            )
            for _ in range(3)
        )
        judge(
            bench.record(
                Figure(
                    "whole-schema tree (serialize + hash every object)",
                    tree * 1000,
                    "ms",
                    scan * 1000,
                    "one catalog scan of the schema",
                )
            ),
            tree < 0.15,
            "< 150 ms",
        )

        conn.execute("SELECT pggit.commit_changes('main', '1,000 tables')")
        insert = min(
            timed(lambda: conn.execute("INSERT INTO public.bench_plain (v) VALUES (1)"))
            for _ in range(20)
        )
        rows = conn.execute("SELECT count(*) FROM pggit.objects").fetchone()[0]
        nochange = min(
            timed(lambda: conn.execute("SELECT pggit.commit_changes('main', 'no change')"))
            for _ in range(5)
        )
        written = conn.execute("SELECT count(*) FROM pggit.objects").fetchone()[0] - rows
        figure = bench.record(
            Figure(
                f"commit, 1,000 tables, nothing changed ({rows_label(written)})",
                nochange * 1000,
                "ms",
                insert * 1000,
                "one-row INSERT tx",
                extra={"definition_rows_written": written},
            )
        )
        judge(figure, nochange < 0.02 and written == 0, "< 20 ms, 0 rows")

        timings, written = [], 0
        for round_ in range(3):
            conn.execute(f"ALTER TABLE hashing.h1 ADD COLUMN z{round_} int")
            rows = conn.execute("SELECT count(*) FROM pggit.objects").fetchone()[0]
            timings.append(
                timed(
                    lambda: conn.execute("SELECT pggit.commit_changes('main', 'one table changed')")
                )
            )
            written = conn.execute("SELECT count(*) FROM pggit.objects").fetchone()[0] - rows
        one = min(timings)
        figure = bench.record(
            Figure(
                f"commit, 1,000 tables, one changed ({rows_label(written)})",
                one * 1000,
                "ms",
                insert * 1000,
                "one-row INSERT tx",
                extra={"definition_rows_written": written},
            )
        )
        judge(figure, one < 0.1, "< 100 ms")

        conn.execute("CREATE SCHEMA hundred")
        create_tables(conn, "hundred", 100)
        for count, schema in ((100, "hundred"), (1000, "hashing")):
            conn.execute("SELECT pggit.set_tracked_schemas(ARRAY[%s])", [schema])
            conn.execute("SELECT pggit.commit_changes('main', %s)", [f"track {schema}"])
            progress(f"create_branch on {count} tables")
            branch_time = timed(
                lambda count=count: conn.execute(
                    "SELECT pggit.create_branch(%s)", [f"bench/b{count}"]
                )
            )
            manual = timed(lambda count=count, schema=schema: _manual_copy(conn, schema, count))
            figure = bench.record(
                Figure(
                    f"create_branch, {count} tables",
                    branch_time,
                    "s",
                    manual,
                    "CREATE TABLE (LIKE ... INCLUDING ALL) per table",
                )
            )
            if count == 100:
                judge(figure, branch_time < 0.3, "< 0.3 s")
        conn.execute("SELECT pggit.set_tracked_schemas(ARRAY['public'])")
        conn.execute("SELECT pggit.commit_changes('main', 'track public')")


# The seed's table for calculate_schema_hash: 13 columns, defaults, an index and a CHECK.
WIDE = (
    "CREATE TABLE {schema}.w{i} (id int PRIMARY KEY, a text NOT NULL DEFAULT 'x',"
    " b int DEFAULT 0 CHECK (b >= 0), c timestamptz DEFAULT now(), d numeric(10,2), e text,"
    " f int, g int, h bigint, i uuid, j jsonb DEFAULT '{{}}', k date, l boolean DEFAULT false)"
)


def per_call(bench: Bench, conn) -> None:
    """calculate_schema_hash as a client calls it: one table per round trip (its own
    transaction), next to the round trip of SELECT 1, on 200 tables."""
    conn.execute("CREATE SCHEMA wide")
    conn.execute(f"""DO $$ BEGIN FOR i IN 1..200 LOOP
        EXECUTE format('{WIDE.format(schema="wide", i="%s").replace("'", "''")}', i);
        EXECUTE format('CREATE INDEX ON wide.w%s (a)', i);
    END LOOP; END $$""")
    names = [f"wide.w{i}" for i in range(1, 201)]

    def hashes() -> None:
        for name in names:
            conn.execute("SELECT pggit.calculate_schema_hash(%s)", [name]).fetchone()

    def pings() -> None:
        for _ in names:
            conn.execute("SELECT 1").fetchone()

    # alternate rounds, so a burst of noise lands on both sides
    rounds = [(timed(hashes), timed(pings)) for _ in range(3)]
    call = statistics.median(r[0] for r in rounds) / len(names)
    ping = statistics.median(r[1] for r in rounds) / len(names)
    judge(
        bench.record(
            Figure(
                "calculate_schema_hash, one call per round trip (200 tables)",
                call * 1000,
                "ms",
                ping * 1000,
                "SELECT 1 round trip",
            )
        ),
        call < 0.001,
        "< 1 ms a call",
    )


def _manual_copy(conn, source: str, count: int) -> None:
    """The baseline: copy the structure by hand into a new schema."""
    target = f"manual_{count}"
    conn.execute(f"CREATE SCHEMA {target}")
    conn.execute(f"""DO $$ BEGIN FOR i IN 1..{count} LOOP
        EXECUTE format('CREATE TABLE {target}.h%s (LIKE {source}.h%s INCLUDING ALL)', i, i);
    END LOOP; END $$""")
