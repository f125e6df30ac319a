"""Writes only through the API (issue 19): real login roles try what an application granted
pggit_writer or pggit_reader, or a role with neither, could do to history."""

from __future__ import annotations

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from tests.helpers import run, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db(transaction=True)

CLASSIFICATION = "SELECT function_name, access FROM pggit.function_access()"

FUNCTIONS = """
SELECT p.oid::regprocedure::text, p.proname::text, p.prosecdef, p.proowner::regrole::text,
       array_to_string(ARRAY(SELECT 'NULL::' || t::regtype::text
                               FROM unnest(p.proargtypes::oid[]) t), ', ') AS null_args,
       p.prorettype IN ('trigger'::regtype, 'event_trigger'::regtype) AS is_trigger
  FROM pg_proc p
 WHERE p.pronamespace = 'pggit'::regnamespace
 ORDER BY 1
"""


def allowed(access: str, kind: str) -> bool:
    """May a role of this kind EXECUTE a function of this class?"""
    return {"write": kind == "writer", "read": kind in {"writer", "reader"}}.get(access, False)


def sqlstate(conn: psycopg.Connection, statement: str, params: tuple = ()) -> str | None:
    """Run statement in its own transaction (rolled back); its SQLSTATE, or None."""
    try:
        with conn.transaction(force_rollback=True):
            conn.execute(statement, params).fetchall()
    except psycopg.Error as error:
        return error.sqlstate
    return None


def test_every_pggit_function_is_classified():
    """A new function is one line in pggit.function_access() (105_privileges.sql): until it is
    there, it runs for its owner only and this test names it."""
    classes = dict(sql_rows(CLASSIFICATION))
    names = {name for _, name, *_ in sql_rows(FUNCTIONS)}
    assert sorted(names - classes.keys()) == [], "unclassified: add them to function_access()"
    assert sorted(classes.keys() - names) == [], "classified but gone"
    assert set(classes.values()) <= {"read", "write", "internal"}


def test_the_classification_is_what_the_catalog_says():
    classes = dict(sql_rows(CLASSIFICATION))
    owner = sql_scalar("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'pggit'")
    assert owner == "pggit_owner"
    assert sql_scalar("SELECT rolcanlogin FROM pg_roles WHERE rolname = 'pggit_owner'") is False
    wrong = []
    for signature, name, definer, fowner, _, _ in sql_rows(FUNCTIONS):
        access = classes[name]
        if fowner != "pggit_owner":
            wrong.append(f"{signature} owned by {fowner}")
        if access == "write" and not definer:
            wrong.append(f"{signature} is a write function but SECURITY INVOKER")
        if access == "read" and definer:
            wrong.append(f"{signature} is a read function but SECURITY DEFINER")
        for kind, role in (("writer", "pggit_writer"), ("reader", "pggit_reader")):
            granted = sql_scalar(
                "SELECT has_function_privilege(%s, %s::regprocedure, 'EXECUTE')", [role, signature]
            )
            if granted != allowed(access, kind):
                wrong.append(f"{signature} ({access}): EXECUTE for {role} is {granted}")
    public = sql_rows(
        "SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl,"
        " acldefault('f', p.proowner))) a"
        " WHERE p.pronamespace = 'pggit'::regnamespace AND a.grantee = 0"
    )
    assert wrong == [] and public == []


def test_direct_writes_to_every_pggit_table_and_sequence_are_refused(api_roles):
    tables = [
        r[0]
        for r in sql_rows(
            "SELECT c.oid::regclass::text FROM pg_class c"
            " WHERE c.relnamespace = 'pggit'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1"
        )
    ]
    sequences = [
        r[0]
        for r in sql_rows(
            "SELECT c.oid::regclass::text FROM pg_class c"
            " WHERE c.relnamespace = 'pggit'::regnamespace AND c.relkind = 'S' ORDER BY 1"
        )
    ]
    assert "pggit.commits" in tables and "pggit.branches" in tables and sequences
    outcomes = {}
    for kind in ("writer", "reader", "stranger"):
        conn = api_roles(kind)
        for table in tables:
            column = sql_scalar(
                "SELECT quote_ident(attname) FROM pg_attribute"
                " WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped"
                " AND attidentity = '' AND attgenerated = ''"
                " ORDER BY attnum LIMIT 1",
                [table],
            )
            for statement in (
                f"INSERT INTO {table} DEFAULT VALUES",
                f"UPDATE {table} SET {column} = {column}",
                f"DELETE FROM {table}",
                f"TRUNCATE {table}",
            ):
                outcomes[(kind, statement)] = sqlstate(conn, statement)
        for sequence in sequences:
            for statement in (
                f"SELECT nextval('{sequence}')",
                f"SELECT setval('{sequence}', 1)",
            ):
                outcomes[(kind, statement)] = sqlstate(conn, statement)
    assert {key: state for key, state in outcomes.items() if state != "42501"} == {}
    # and the readers read: SELECT stays granted
    assert sqlstate(api_roles("reader"), "SELECT count(*) FROM pggit.commits") is None
    assert sqlstate(api_roles("stranger"), "SELECT count(*) FROM pggit.commits") == "42501"


def test_every_function_checks_its_caller_by_class(api_roles):
    """Driven by the classification, so new functions are covered: a call the role may not
    make is refused with 42501 before the function runs; one it may make gets past the check
    (NULL arguments then make most of them refuse the input, with their own SQLSTATEs)."""
    classes = dict(sql_rows(CLASSIFICATION))
    conns = {kind: api_roles(kind) for kind in ("writer", "reader", "stranger")}
    wrong = []
    for signature, name, _, _, null_args, is_trigger in sql_rows(FUNCTIONS):
        call = f"SELECT pggit.{name}({null_args})"
        for kind, conn in conns.items():
            state = sqlstate(conn, call)
            may = allowed(classes[name], kind) and not is_trigger
            if (state == "42501") == may:
                wrong.append(f"{signature} as {kind}: {state}")
    assert wrong == []


def committed_on_branch(conn: psycopg.Connection, branch: str, *statements: str) -> str:
    """Check out branch, run DDL there, commit it; the commit's hash."""
    conn.execute("SELECT pggit.checkout(%s)", [branch])
    for statement in statements:
        conn.execute(statement)
    return conn.execute("SELECT pggit.commit_changes(%s, 'work')", [branch]).fetchone()[0]


def test_a_writer_uses_the_whole_api_and_a_reader_only_reads(api_roles, unique):
    names = api_roles.names
    writer, reader, stranger = api_roles("writer"), api_roles("reader"), api_roles("stranger")
    t = f"p_{unique('t').replace('-', '_')}"
    src = f"src_{unique('s').replace('-', '_')}"
    run(
        f"CREATE TABLE public.{src} (id int PRIMARY KEY, note text)",
        f"INSERT INTO public.{src} VALUES (1, 'one'), (2, 'two')",
        f'GRANT SELECT ON public.{src} TO "{names["reader"]}", "{names["writer"]}"',
    )
    run("SELECT pggit.commit_changes('main', 'source table')")
    a, b = unique("pa"), unique("pb")
    # writer: branches, DDL on a branch (captured: the capture functions run as the owner),
    # commits, diff, merge preview, merge, conflicts, revert, data branches, delete
    writer.execute("SELECT pggit.create_branch(%s)", [a])
    writer.execute("SELECT pggit.create_branch(%s)", [b])
    first = committed_on_branch(writer, a, f"CREATE TABLE {t} (id int PRIMARY KEY)")
    author, events = writer.execute(
        "SELECT c.author, (SELECT array_agg(DISTINCT e.role_name) FROM pggit.ddl_events e"
        " WHERE e.commit_id = c.id) FROM pggit.commits c WHERE c.hash = %s",
        [first],
    ).fetchone()
    assert author == names["writer"] and events == [names["writer"]]
    committed_on_branch(writer, b, f"CREATE TABLE {t} (id int PRIMARY KEY, other text)")
    writer.execute("SELECT pggit.checkout('main')")
    assert writer.execute("SELECT count(*) FROM pggit.diff('main', %s)", [a]).fetchone()[0] == 1
    assert writer.execute("SELECT pggit.merge_preview(%s)", [a]).fetchone()[0] is not None
    assert writer.execute("SELECT status FROM pggit.merge(%s)", [a]).fetchone()[0] in {
        "merged",
        "fast-forward",
    }
    status, merge_id = writer.execute(
        "SELECT status, merge_id FROM pggit.merge(%s)", [b]
    ).fetchone()
    assert status == "conflicts"
    resolved = writer.execute(
        "SELECT pggit.resolve_conflict(%s, %s, 'ours')", [merge_id, f"table:public.{t}"]
    ).fetchone()[0]
    assert resolved is not None
    reverted = writer.execute("SELECT pggit.revert(%s, 1)", [resolved[:12]]).fetchone()[0]
    assert reverted is not None
    view = writer.execute(
        "SELECT pggit.create_data_branch(%s, 'main', %s)", [src, unique("pd")]
    ).fetchone()[0]
    writer.execute(f"UPDATE {view} SET note = 'changed on the branch' WHERE id = 1")
    data_branch = writer.execute(
        "SELECT b.name FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id"
        " WHERE d.view_name = %s",
        [view],
    ).fetchone()[0]
    assert (
        writer.execute(
            "SELECT count(*) FROM pggit.diff_data(%s, 'main', %s)", [src, data_branch]
        ).fetchone()[0]
        == 1
    )
    writer.execute("SELECT pggit.delete_branch(%s, true)", [a])

    # reader: every read works, every write is refused and changes nothing
    reads = [
        ("SELECT count(*) FROM pggit.log('main')", ()),
        ("SELECT pggit.show(%s)", (first,)),
        ("SELECT count(*) FROM pggit.status('main')", ()),
        ("SELECT count(*) FROM pggit.diff('main', %s)", (b,)),
        ("SELECT count(*) FROM pggit.diff_ddl('main', %s)", (b,)),
        ("SELECT pggit.calculate_schema_hash(%s)", (src,)),
        ("SELECT count(*) FROM pggit.get_version(%s)", (src,)),
        ("SELECT count(*) FROM pggit.ahead_behind(%s)", (b,)),
        ("SELECT count(*) FROM pggit.verify()", ()),
        ("SELECT count(*) FROM pggit.list_data_branches()", ()),
        ("SELECT count(*) FROM pggit.diff_data(%s, 'main', %s)", (src, data_branch)),
        (f"SELECT count(*) FROM {view}", ()),
        ("SELECT pggit.checkout(%s)", (b,)),
        ("SELECT pggit.current_branch()", ()),
    ]
    assert [(s, sqlstate(reader, s, p)) for s, p in reads if sqlstate(reader, s, p)] == []
    # a table name means the same table whoever asks (pggit resolves it, not search_path)
    reader.execute("SET search_path = pggit, pg_catalog")
    assert reader.execute("SELECT pggit.calculate_schema_hash(%s)", [src]).fetchone()[0] == (
        sql_scalar("SELECT pggit.calculate_schema_hash(%s)", [src])
    )
    writes = [
        ("SELECT pggit.commit_changes('main', 'by a reader')", ()),
        ("SELECT pggit.create_branch(%s)", (unique("rb"),)),
        ("SELECT pggit.delete_branch(%s, true)", (b,)),
        ("SELECT pggit.merge(%s)", (b,)),
        ("SELECT pggit.merge_preview(%s)", (b,)),
        ("SELECT pggit.resolve_conflict(%s, %s, 'ours')", (merge_id, f"table:public.{t}")),
        ("SELECT pggit.revert(%s)", (resolved,)),
        ("SELECT pggit.create_data_branch(%s, 'main', %s)", (src, unique("rd"))),
        (f"UPDATE {view} SET note = 'by a reader'", ()),
    ]
    before = sql_rows(
        "SELECT count(*) FROM pggit.commits UNION ALL SELECT count(*) FROM pggit.branches"
    )
    assert {s: sqlstate(reader, s, p) for s, p in writes} == {s: "42501" for s, _ in writes}
    # the stranger may call nothing at all
    calls = reads + writes
    assert {s: sqlstate(stranger, s, p) for s, p in calls} == {s: "42501" for s, _ in calls}
    assert (
        sql_rows("SELECT count(*) FROM pggit.commits UNION ALL SELECT count(*) FROM pggit.branches")
        == before
    )
    assert sql_rows("SELECT * FROM pggit.verify()") == []


def shadows(canary: str) -> list[str]:
    """Functions named like built-ins pggit calls, an = operator on text, and tables named like
    pggit's: each function empties the canary when it runs with enough rights."""
    trap = f"DELETE FROM public.{canary}"
    return [
        "CREATE TABLE public.branches (id bigint, name text, head_hash text, status text)",
        "INSERT INTO public.branches VALUES (1, 'main', 'forged', 'ACTIVE')",
        "CREATE TABLE public.commits (id bigint, hash text)",
        "CREATE TABLE public.ddl_events (id bigint)",
        f"CREATE FUNCTION public.length(text) RETURNS integer LANGUAGE sql"
        f" AS $$ {trap}; SELECT 0 $$",
        f"CREATE FUNCTION public.btrim(text) RETURNS text LANGUAGE sql AS $$ {trap}; SELECT 'x' $$",
        f"CREATE FUNCTION public.octet_length(text) RETURNS integer LANGUAGE sql"
        f" AS $$ {trap}; SELECT 0 $$",
        f"CREATE FUNCTION public.encode(bytea, text) RETURNS text LANGUAGE sql"
        f" AS $$ {trap}; SELECT 'x' $$",
        f"CREATE FUNCTION public.current_setting(text, boolean) RETURNS text LANGUAGE sql"
        f" AS $$ {trap}; SELECT 'x' $$",
        f"CREATE FUNCTION public.text_eq(text, text) RETURNS boolean LANGUAGE sql"
        f" AS $$ {trap}; SELECT true $$",
        "CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_eq)",
    ]


def test_shadowing_objects_in_public_change_nothing(api_roles, unique):
    """A role with CREATE on public plants look-alikes; a writer whose search_path puts public
    before pg_catalog uses the API: every call returns what it returned before, and the canary
    (which only the installer may empty, and pggit_owner through it) keeps its row."""
    names = api_roles.names
    canary = f"canary_{unique('c').replace('-', '_')}"
    run(f"CREATE TABLE public.{canary} (id int)", f"INSERT INTO public.{canary} VALUES (42)")
    run("SELECT pggit.commit_changes('main', 'canary')")
    writer = api_roles("writer")
    branch = unique("shadow")
    writer.execute("SELECT pggit.create_branch(%s)", [branch])
    head = committed_on_branch(writer, branch, "CREATE TABLE shadow_t (id int PRIMARY KEY)")
    writer.execute("SELECT pggit.checkout('main')")
    reads = [
        ("SELECT hash, author, message FROM pggit.log(%s)", (branch,)),
        ("SELECT pggit.show(%s)", (head,)),
        ("SELECT * FROM pggit.diff('main', %s)", (branch,)),
        ("SELECT pggit.calculate_schema_hash(%s)", (canary,)),
        ("SELECT * FROM pggit.ahead_behind(%s)", (branch,)),
        ("SELECT * FROM pggit.verify()", ()),
        (
            "SELECT pggit.commit_hash(c) OPERATOR(pg_catalog.=) c.hash FROM pggit.commits c"
            " WHERE c.hash OPERATOR(pg_catalog.=) %s",
            (head,),
        ),
        ("SELECT pggit.current_author()", ()),
    ]
    before = [writer.execute(s, p).fetchall() for s, p in reads]

    stranger = api_roles("stranger")
    planted = shadows(canary)
    for statement in planted:
        stranger.execute(statement)
    # the stranger's DDL was captured although it has no rights on pggit
    assert sql_scalar(
        "SELECT count(*) FROM pggit.ddl_events WHERE role_name = %s AND commit_id IS NULL",
        [names["stranger"]],
    ) >= len([s for s in planted if s.startswith("CREATE")])
    writer.execute("SET search_path = public, pg_catalog, pggit")
    # the trap works for plain SQL: the look-alike runs (and fails on the canary as the writer)
    assert sqlstate(writer, "SELECT 'a'::text = 'b'::text") == "42501"
    after = [writer.execute(s, p).fetchall() for s, p in reads]
    assert after == before
    # and the write functions still do their job
    writer.execute("SELECT pggit.commit_changes('main', 'shadows')")
    second = committed_on_branch(writer, branch, "CREATE TABLE shadow_u (id int)")
    writer.execute("SET search_path = public, pg_catalog, pggit")
    assert writer.execute("SELECT status FROM pggit.merge(%s)", [branch]).fetchone()[0] in {
        "merged",
        "fast-forward",
    }
    assert writer.execute(
        "SELECT pggit.commit_hash(c) OPERATOR(pg_catalog.=) c.hash FROM pggit.commits c"
        " WHERE c.hash OPERATOR(pg_catalog.=) %s",
        [second],
    ).fetchone()[0]
    assert sql_rows(f"SELECT id FROM public.{canary}") == [(42,)]
    assert sql_rows("SELECT * FROM pggit.verify()") == []
    run(f"DROP TABLE public.{canary}")


APPEND_ONLY = ["commits", "objects", "trees", "object_versions", "ddl_events"]


@pytest.mark.parametrize("role", ["installer", "pggit_owner"])
def test_history_refuses_update_delete_and_truncate_for_every_role(unique, role):
    """Even the role that owns the tables (and a superuser) gets PGH01; a commit attaching
    pending DDL events is the one change the triggers let through."""
    t = f"h_{unique('t').replace('-', '_')}"
    run(f"CREATE TABLE public.{t} (id int PRIMARY KEY)")
    commit = sql_scalar("SELECT pggit.commit_changes('main', 'history')")
    assert (
        sql_scalar(
            "SELECT count(*) FROM pggit.ddl_events e JOIN pggit.commits c ON c.id = e.commit_id"
            " WHERE c.hash = %s",
            [commit],
        )
        >= 1
    ), "the commit attached its pending event"
    assert (
        sql_scalar("SELECT count(*) FROM pggit.object_versions WHERE commit_hash = %s", [commit])
        >= 1
    )
    outcomes = {}
    for table in APPEND_ONLY:
        column = sql_scalar(
            "SELECT quote_ident(attname) FROM pg_attribute WHERE attrelid = %s::regclass"
            " AND attnum > 0 AND NOT attisdropped AND attidentity = ''"
            " ORDER BY attnum DESC LIMIT 1",
            [f"pggit.{table}"],
        )
        for statement in (
            f"UPDATE pggit.{table} SET {column} = {column}",
            f"DELETE FROM pggit.{table}",
            f"TRUNCATE pggit.{table} CASCADE",
        ):
            prefix = "SET LOCAL ROLE pggit_owner; " if role == "pggit_owner" else ""
            with connection.cursor() as cursor, transaction.atomic():
                sid = transaction.savepoint()
                try:
                    cursor.execute(prefix + statement)
                    outcomes[statement] = "allowed"
                except DatabaseError as error:
                    outcomes[statement] = getattr(error.__cause__, "sqlstate", None)
                transaction.savepoint_rollback(sid)
    assert outcomes == {s: "PGH01" for s in outcomes}
    assert sql_rows("SELECT * FROM pggit.verify()") == []


def test_verify_names_a_disabled_append_only_trigger():
    with transaction.atomic():
        run("ALTER TABLE pggit.object_versions DISABLE TRIGGER object_versions_append_only")
        found = sql_rows(
            "SELECT subject, detail FROM pggit.verify() WHERE \"check\" = 'append_only'"
        )
        transaction.set_rollback(True)
    assert found == [
        ("pggit.object_versions", "trigger object_versions_append_only is missing or disabled")
    ]


def test_a_writer_changes_a_branch_copy_of_a_table_and_merges_it(api_roles, unique):
    """What pggit creates in a workspace goes to pggit_writer: a writer may ALTER the branch's
    copy of a main table (as the role that created the branch could before), and the merge
    then changes main's table (pggit_owner acts with the installer's rights)."""
    t = f"w_{unique('t').replace('-', '_')}"
    run(f"CREATE TABLE public.{t} (id int PRIMARY KEY)")
    run("SELECT pggit.commit_changes('main', 'table')")
    writer = api_roles("writer")
    branch = unique("alter")
    writer.execute("SELECT pggit.create_branch(%s)", [branch])
    owner = writer.execute(
        "SELECT c.relowner::regrole::text FROM pggit.workspaces w"
        " JOIN pg_class c ON c.relnamespace = w.namespace::regnamespace AND c.relname = %s"
        " JOIN pggit.branches b ON b.id = w.branch_id WHERE b.name = %s",
        [t, branch],
    ).fetchone()[0]
    assert owner == "pggit_writer"
    committed_on_branch(writer, branch, f"ALTER TABLE {t} ADD COLUMN note text")
    writer.execute("SELECT pggit.checkout('main')")
    assert writer.execute("SELECT status FROM pggit.merge(%s)", [branch]).fetchone()[0] in {
        "merged",
        "fast-forward",
    }
    assert sql_rows(
        "SELECT attname::text FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
        " ORDER BY attnum",
        [f"public.{t}"],
    ) == [("id",), ("note",)]


def test_apply_privileges_runs_again_with_capture_on():
    """A privileged role re-runs it after creating the roles by hand: idempotent, and its own
    DDL is not captured as history."""
    events = sql_scalar("SELECT count(*) FROM pggit.ddl_events")
    run("SELECT pggit.apply_privileges()", "SELECT pggit.apply_privileges()")
    assert sql_scalar("SELECT count(*) FROM pggit.ddl_events") == events
    assert sql_scalar(
        "SELECT prosecdef AND proowner = 'pggit_owner'::regrole FROM pg_proc"
        " WHERE oid = 'pggit.commit_changes(text, text, text, text, boolean)'::regprocedure"
    )


def test_history_verbs_by_role(api_roles, unique):
    """A writer cherry-picks and checks a commit out; the checkout's tables are readable by
    writers and readers and refuse writes to both; a reader may read the past but not write
    it; a stranger may do neither."""
    writer, reader, stranger = api_roles("writer"), api_roles("reader"), api_roles("stranger")
    t = f"h_{unique('t').replace('-', '_')}"
    run("SELECT pggit.commit_changes('main', 'before the history verbs')")
    branch = unique("ph")
    writer.execute("SELECT pggit.create_branch(%s)", [branch])
    picked = committed_on_branch(writer, branch, f"CREATE TABLE {t} (id int PRIMARY KEY)")
    writer.execute("SELECT pggit.checkout('main')")
    status = writer.execute(
        "SELECT status FROM pggit.cherry_pick(%s, 'main')", [picked]
    ).fetchone()[0]
    assert status == "picked"
    head = sql_scalar("SELECT head_hash FROM pggit.branches WHERE name = 'main'")
    namespace = writer.execute(
        "SELECT namespace FROM pggit.checkout_commit(%s)", [head]
    ).fetchone()[0]
    try:
        for conn in (writer, reader):
            assert conn.execute(f'SELECT count(*) FROM "{namespace}".{t}').fetchone()[0] == 0
            # the API roles have no write right on it (42501); a role that has one (the owner,
            # a superuser) meets the trigger (PGK03, tests/test_object_history.py)
            assert sqlstate(conn, f'INSERT INTO "{namespace}".{t} VALUES (1)') == "42501"
            log = conn.execute("SELECT change FROM pggit.object_log(%s)", [f"table:public.{t}"])
            assert log.fetchall() == [("added",)]
            shown = conn.execute(
                "SELECT pggit.show_object(%s, %s)->>'object_type'", [head, f"table:public.{t}"]
            ).fetchone()[0]
            assert shown == "table"
        for call in ("SELECT pggit.checkout_commit(%s)", "SELECT pggit.drop_commit_checkout(%s)"):
            assert sqlstate(reader, call, (head,)) == "42501"
            assert sqlstate(stranger, call, (head,)) == "42501"
        assert sqlstate(reader, "SELECT * FROM pggit.cherry_pick(%s, 'main')", (picked,)) == "42501"
        assert sqlstate(stranger, f'SELECT count(*) FROM "{namespace}".{t}') == "42501"
        assert sqlstate(stranger, "SELECT * FROM pggit.object_log('table:public.x')") == "42501"
    finally:
        assert writer.execute("SELECT pggit.drop_commit_checkout(%s)", [head]).fetchone()[0] == 1


def test_grant_branch_schema_covers_relations_there_now_and_made_later(unique):
    """On a namespace with tables it grants on them (GRANT ... ON ALL); on an empty one (a new
    workspace, where it skips those statements: they read all of pg_class) the default
    privileges give the API roles what is created there afterwards."""
    full, empty = (f"pggit_gbs_{unique(p).replace('-', '_')}" for p in ("full", "empty"))
    try:
        run(
            f"CREATE SCHEMA {full}",
            f"CREATE TABLE {full}.t (id serial PRIMARY KEY)",
            f"CREATE SCHEMA {empty}",
            f"SELECT pggit.grant_branch_schema('{full}')",
            f"SELECT pggit.grant_branch_schema('{empty}')",
            f"CREATE TABLE {empty}.t (id serial PRIMARY KEY)",
        )
        for schema in (full, empty):
            table, sequence = f"{schema}.t", f"{schema}.t_id_seq"
            assert sql_rows(
                "SELECT has_table_privilege('pggit_reader', %s, 'SELECT'),"
                " has_table_privilege('pggit_reader', %s, 'INSERT'),"
                " has_table_privilege('pggit_writer', %s, 'INSERT, UPDATE, DELETE'),"
                " has_sequence_privilege('pggit_writer', %s, 'USAGE')",
                [table, table, table, sequence],
            ) == [(True, False, True, True)], schema
    finally:
        run(f"DROP SCHEMA IF EXISTS {full}, {empty} CASCADE")
