"""pggit's own statements never pay for JIT compilation: every function says SET jit = off, or is
inlined into its caller (see docs/faq.md).

Stock PostgreSQL builds ship with jit = on; the embedded server from the pgserver wheel has no
JIT at all, so the last test here runs only where ``pg_jit_available()`` (CI runs it on Debian's
PostgreSQL 15 with ``PGGIT_REQUIRE_JIT=1``, which turns a skip into a failure).
"""

from __future__ import annotations

import json
import os
import re

import psycopg
import pytest
from django.db import connection

from tests.helpers import run, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db

# A row-level trigger function that runs per changed row and evaluates one expression, no
# query: a SET clause would cost a GUC save and restore per row, and it has no plan to compile.
RUNS_NO_QUERY = {"flag_source_key_move"}
QUERY_WORDS = re.compile(r"\b(SELECT|FROM|INSERT|UPDATE|DELETE|EXECUTE|QUERY)\b", re.IGNORECASE)

FOREIGN_KEY_CHECK = re.compile(r'SELECT 1 FROM ONLY "pggit"\."\w+" x WHERE .* FOR KEY SHARE OF x$')


def _functions_without_jit_off() -> list[tuple[str, str, bool, list[str], list[str]]]:
    """(name, language, returns a set, argument names, argument types) of every pggit function
    that runs with the caller's jit setting."""
    return [
        (name, lang, retset, [f"a{i}" for i in range(len(types))], list(types))
        for name, lang, retset, types in sql_rows(
            "SELECT p.proname::text, l.lanname::text, p.proretset,"
            "       ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) t)"
            "  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
            " WHERE p.pronamespace = 'pggit'::regnamespace"
            "   AND NOT ('jit=off' = ANY (coalesce(p.proconfig, '{}')))"
            " ORDER BY 1"
        )
    ]


def test_every_function_runs_without_jit_or_is_inlined_into_its_caller():
    """A function either says SET jit = off, or is a SQL function the planner inlines (so its
    body is part of the calling statement, planned with the caller's setting: pggit's callers
    have jit = off). Inlining is checked, not assumed: EXPLAIN VERBOSE of a call over a table's
    columns (not constants, which could be folded away) must not show the function."""
    unchecked = _functions_without_jit_off()
    assert unchecked, "expected the inlined SQL helpers (unqualify, commit_hash, ...) here"
    not_inlined = []
    for name, lang, retset, args, types in unchecked:
        if name in RUNS_NO_QUERY:
            source = sql_scalar(
                "SELECT prosrc FROM pg_proc WHERE pronamespace = 'pggit'::regnamespace"
                " AND proname = %s",
                [name],
            )
            assert not QUERY_WORDS.search(source), f"{name} runs a query: it needs SET jit = off"
            continue
        if lang != "sql":
            not_inlined.append(f"{name} ({lang})")
            continue
        columns = ", ".join(f"{a} {t}" for a, t in zip(args, types, strict=True)) or "dummy int"
        call = f"pggit.{name}({', '.join(args)})"
        query = (
            f"SELECT * FROM pg_temp.jit_args, LATERAL {call} f"
            if retset
            else f"SELECT {call} FROM pg_temp.jit_args"
        )
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.jit_args")
            cursor.execute(f"CREATE TEMP TABLE jit_args ({columns})")
            cursor.execute(f"EXPLAIN (VERBOSE, COSTS OFF) {query}")
            plan = "\n".join(r[0] for r in cursor.fetchall())
            cursor.execute("DROP TABLE pg_temp.jit_args")
        if f"pggit.{name}(" in plan or f"Function Scan on pggit.{name}" in plan:
            not_inlined.append(name)
    assert not_inlined == [], "these run their own plans with the caller's jit setting"


def test_the_callers_own_setting_is_untouched(unique):
    run("SET jit = on")
    try:
        api_calls = [
            "SELECT pggit.create_branch(%s)",
            "SELECT count(*) FROM pggit.diff('main', %s)",
            "SELECT pggit.delete_branch(%s)",
        ]
        branch = unique("jit")
        for statement in api_calls:
            sql_rows(statement, [branch])
            assert sql_scalar("SHOW jit") == "on"
    finally:
        run("RESET jit")


def _jit_available() -> bool:
    return bool(sql_scalar("SELECT pg_jit_available()"))


def _plans(conn: psycopg.Connection, statement: str, params: list) -> list[dict]:
    """Run statement with auto_explain reporting every nested statement's plan as a NOTICE
    (JSON); returns the plans, outermost last."""
    plans: list[dict] = []

    def collect(diagnostic: psycopg.errors.Diagnostic) -> None:
        text = diagnostic.message_primary or ""
        if "{" in text:
            plans.append(json.loads(text[text.index("{") :]))

    conn.add_notice_handler(collect)
    try:
        conn.execute(statement, params)
    finally:
        conn.remove_notice_handler(collect)
    return plans


def test_pggit_statements_are_never_jit_compiled_even_with_zero_thresholds(connect, unique):
    """With JIT forced on for every statement (all thresholds 0), the statements that
    create_branch, diff, merge and create_data_branch run report no JIT in their plans, while
    the caller's own statement (the SELECT that calls them) is compiled, which shows that the
    thresholds did apply."""
    if not _jit_available():
        message = "JIT is not available on this server (pg_jit_available() is false)"
        if os.environ.get("PGGIT_REQUIRE_JIT") == "1":
            pytest.fail(message + ", but PGGIT_REQUIRE_JIT=1 says it must be")
        pytest.skip(message + "; CI runs this on Debian's PostgreSQL 15, where it is")

    conn = connect()
    table, altered, branch = (f"jit_{unique(p).replace('-', '_')}" for p in ("t", "u", "b"))
    conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, v text NOT NULL DEFAULT 'x')")
    conn.execute(f"CREATE TABLE {altered} (id int PRIMARY KEY)")
    conn.execute(f"INSERT INTO {table} SELECT g, md5(g::text) FROM generate_series(1, 100) g")
    conn.execute("SELECT pggit.commit_changes('main', 'jit test tables')")
    conn.execute("LOAD 'auto_explain'")
    for setting in [
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_nested_statements = on",
        "auto_explain.log_analyze = on",
        "auto_explain.log_timing = off",
        "auto_explain.log_format = json",
        "auto_explain.log_level = notice",
        "jit = on",
        "jit_above_cost = 0",
        "jit_inline_above_cost = 0",
        "jit_optimize_above_cost = 0",
    ]:
        conn.execute(f"SET {setting}")

    operations = [
        ("SELECT pggit.create_branch(%s)", [branch]),
        ("SELECT pggit.create_data_branch(%s, 'main', %s)", [table, branch]),
        ("SELECT pggit.checkout(%s)", [branch]),
        (f"ALTER TABLE {altered} ADD COLUMN w int", []),
        ("UPDATE {view} SET v = 'branch' WHERE id <= 10", []),
        ("SELECT pggit.checkout('main')", []),
        ("SELECT pggit.commit_changes(%s, 'add w')", [branch]),
        ("SELECT count(*) FROM pggit.diff('main', %s)", [branch]),
        ("SELECT count(*) FROM pggit.diff_data(%s, 'main', %s)", [table, branch]),
        ("SELECT count(*) FROM pggit.merge(%s, 'main')", [branch]),
    ]
    for statement, params in operations:
        if statement.startswith("UPDATE"):
            view = conn.execute(
                "SELECT view_name FROM pggit.data_branches WHERE status = 'ACTIVE'"
                " AND table_name = %s",
                [table],
            ).fetchone()[0]
            statement = statement.format(view=view)
        sent = statement
        for n in range(1, len(params) + 1):
            sent = sent.replace("%s", f"${n}", 1)
        plans = _plans(conn, statement, params)
        own = [p for p in plans if p["Query Text"].strip() == sent]
        nested = [p for p in plans if p["Query Text"].strip() != sent]
        if statement.startswith("SELECT"):
            assert len(own) == 1 and "JIT" in own[0], (
                f"the caller's statement is JIT-compiled: {statement}"
            )
            assert len(nested) >= 2, f"expected the statements pggit runs inside {statement}"
        # A foreign key check of a deferred constraint (ddl_events -> commits) runs at COMMIT,
        # in the caller's context: PostgreSQL's own one-row index probe, which no default
        # threshold (jit_above_cost = 100000) comes near.
        checks = [p for p in nested if FOREIGN_KEY_CHECK.match(p["Query Text"])]
        assert all(p["Plan"]["Total Cost"] < 100 for p in checks), checks
        compiled = [p["Query Text"][:200] for p in nested if "JIT" in p and p not in checks]
        assert compiled == [], f"{statement}: pggit statements compiled with JIT"
    assert conn.execute(f"SELECT count(*) FROM {table} WHERE v = 'branch'").fetchone()[0] == 10
    assert [
        r[0]
        for r in conn.execute(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public'"
            " AND table_name = %s ORDER BY ordinal_position",
            [altered],
        )
    ] == ["id", "w"]
