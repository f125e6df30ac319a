"""A new user's first hour (issue 21, items 3-6): what ``manage.py migrate`` says about DDL
capture and roles, that ``check`` shows pggit's warnings, that the commands create no branch
unasked, speak manage.py in their hints and print truthful output. Each test runs ``manage.py``
in a subprocess against a new database of its own, as a superuser or as a database owner that
is not one (as on a managed service)."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection
from django.test import override_settings

from pggit import api
from pggit.exceptions import InvalidMessage, NoDataBranch
from pggit.operations import SQL_DIR
from tests.helpers import ScratchDatabase, committed_table, snapshot_counts

SQL_WORDS = ("SELECT ", "=>", "pggit.create_branch(", "pggit.commit_changes(")


def one_line_error(done, *expected: str) -> str:
    """The single stderr line of a command that failed with exit status 1."""
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 1, (done.returncode, done.stderr)
    for text in expected:
        assert text in lines[0], lines[0]
    assert not any(word in lines[0] for word in SQL_WORDS), lines[0]
    return lines[0]


def ok(done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def branch_names(db: ScratchDatabase) -> list[str]:
    return sorted(b["name"] for b in json.loads(ok(db.manage("pggit_branch", "--json"))))


@pytest.fixture
def installed(scratch_database) -> ScratchDatabase:
    """A new database with pggit migrated into it by the test server's (super)user."""
    scratch_database.migrate_output = ok(scratch_database.manage("migrate", "pggit"))
    return scratch_database


@pytest.fixture
def owner_database() -> Iterator[ScratchDatabase]:
    """A new database owned by a new login role that is not a superuser (nor CREATEROLE)."""
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "dbname", "database"):
        params.pop(key, None)
    suffix = uuid.uuid4().hex[:10]
    role, name = f"pggit_owner_{suffix}", f"pggit_owned_{suffix}"
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEROLE')
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    try:
        yield ScratchDatabase({**params, "user": role}, name)
    finally:
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def first_commit_ddl(db: ScratchDatabase) -> list[str]:
    """Commit a new table on main; the statements its pggit_show lists as captured."""
    with db.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE public.widgets (id int PRIMARY KEY, name text)")
    commit = json.loads(ok(db.manage("pggit_commit", "-m", "widgets", "--json")))
    shown = json.loads(ok(db.manage("pggit_show", commit["hash"], "--json")))
    # django_migrations, made by migrate before pggit was there, is in the first tree too
    assert "table:public.widgets" in [c["object"] for c in shown["changes"]]
    return [event["statement"] for event in shown["ddl"]]


# --- item 3: migrate and check say what the install did ---------------------------------------


def test_superuser_migrate_says_capture_is_on_and_install_ddl_is_never_captured(installed):
    said = installed.migrate_output
    assert "pggit: DDL capture is on" in said
    assert "pggit_reader" in said and "pggit_writer" in said and "NOT created" not in said
    check = installed.manage("check")
    assert check.returncode == 0 and "pggit." not in check.stderr, check.stderr
    # The roles script again, as its WARNING's hint says, now that capture is on: pggit's own
    # grants are not the user's history.
    with installed.connect(autocommit=True) as conn:
        conn.execute((SQL_DIR / "110_roles.sql").read_text(encoding="utf-8"))
    ddl = first_commit_ddl(installed)
    assert set(ddl) == {"CREATE TABLE public.widgets (id int PRIMARY KEY, name text)"}, ddl


def test_non_superuser_migrate_says_capture_is_off_and_check_shows_w001(owner_database):
    said = ok(owner_database.manage("migrate", "pggit"))
    role = owner_database.params["user"]
    assert f"pggit: DDL capture is OFF: role '{role}' is not a superuser" in said, said
    assert "SELECT pggit.enable_ddl_capture(); in manage.py dbshell" in said
    # the roles are cluster-wide: the test server's own install made them already
    assert "pggit_reader, pggit_writer existed already" in said, said
    check = owner_database.manage("check")  # plain check: no --database
    assert check.returncode == 0, check.stderr
    assert "(pggit.W001) pggit DDL capture is off on database 'default'." in check.stderr
    assert first_commit_ddl(owner_database) == [], "nothing captured, nothing of the install"
    # W002 goes with W001 in plain check: coherent before and after the install
    assert "pggit.W002" not in check.stderr


# --- item 4: no silent branch creation ----------------------------------------------------------


def test_commands_create_no_branch_unless_asked(installed):
    with installed.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE public.items (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO public.items VALUES (1, 'a')")
    ok(installed.manage("pggit_commit", "-m", "items"))
    one_line_error(
        installed.manage("pggit_commit", "-m", "x", "--branch", "ghost10"),
        "branch 'ghost10' does not exist",
        "pass --create",
        "manage.py pggit_branch list",
    )
    one_line_error(
        installed.manage("pggit_data_branch", "create", "items", "--to", "ghost9"),
        "branch 'ghost9' does not exist",
        "pass --create",
    )
    assert branch_names(installed) == ["main"]
    made = ok(installed.manage("pggit_commit", "-m", "x", "--branch", "ghost10", "--create"))
    assert made.startswith("[ghost10 ")
    ok(installed.manage("pggit_data_branch", "create", "items", "--to", "ghost9", "--create"))
    assert branch_names(installed) == ["ghost10", "ghost9", "main"]


# --- item 5: hints name manage.py commands and flags ------------------------------------------


def test_hints_speak_manage_py(installed):
    with installed.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE public.items (id int PRIMARY KEY)")
    ok(installed.manage("pggit_commit", "-m", "items"))
    ok(installed.manage("pggit_branch", "create", "feature/a"))
    ok(installed.manage("pggit_branch", "create", "gone"))
    ok(installed.manage("pggit_branch", "delete", "gone"))
    with installed.connect(autocommit=True) as conn:
        conn.execute("SELECT pggit.checkout('feature/a')")  # its workspace leads search_path
        conn.execute("CREATE TABLE extra (id int PRIMARY KEY)")
    ok(installed.manage("pggit_commit", "-m", "extra", "--branch", "feature/a"))
    with installed.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE public.loose (id int)")
    one_line_error(
        installed.manage("pggit_merge", "feature/a"),
        "has uncommitted changes",
        "manage.py pggit_commit --branch main -m",
    )
    one_line_error(
        installed.manage("pggit_branch", "delete", "feature/a"),
        "not merged",
        "--force",
        "manage.py pggit_merge feature/a",
    )
    one_line_error(
        installed.manage("pggit_commit", "-m", "x", "--branch", "gone"),
        "is deleted",
        "manage.py pggit_branch create gone",
    )
    one_line_error(
        installed.manage("pggit_branch", "delete", "nosuch"),
        "manage.py pggit_branch list",
    )
    one_line_error(installed.manage("pggit_show", "abcd"), "List commits with: manage.py pggit_log")
    one_line_error(installed.manage("pggit_log", "--limit", "0"), "--limit")
    one_line_error(
        installed.manage("pggit_merge", "--resolve", "99", "table:public.items", "ours"),
        "merge 99",
    )


# --- item 6: truthful output ------------------------------------------------------------------


def test_blank_messages_dashed_names_and_missing_branches_are_refused(installed):
    for message in ("", "   "):
        one_line_error(
            installed.manage("pggit_commit", "-m", message),
            "a commit message needs a non-blank character",
            'PGGIT["ALLOW_EMPTY_MESSAGE"]',
        )
    one_line_error(
        installed.manage("pggit_branch", "create", "-dash"),
        "-dash was read as an option",
        "-- -dash",
    )
    one_line_error(
        installed.manage("pggit_commit", "-m", "x", "--branch", "-dash"), "--branch=-dash"
    )
    assert "Created branch -dash" in ok(installed.manage("pggit_branch", "create", "--", "-dash"))
    one_line_error(
        installed.manage("pggit_data_branch", "list", "--branch", "ghost8"),
        "branch 'ghost8' does not exist",
    )
    with installed.connect(autocommit=True) as conn:
        pending = conn.execute("SELECT count(*) FROM pggit.commits").fetchone()[0]
    assert pending == 0, "nothing was committed"


def test_diff_without_refs_shows_the_uncommitted_changes(installed):
    ok(installed.manage("pggit_commit", "-m", "django_migrations, made before pggit"))
    assert ok(installed.manage("pggit_diff")) == "No uncommitted changes on main.\n"
    with installed.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE public.orders (id int PRIMARY KEY)")
    assert ok(installed.manage("pggit_diff")).splitlines() == [
        "Uncommitted changes on main (against its head):",
        "+ table:public.orders",
    ]
    listed = json.loads(ok(installed.manage("pggit_diff", "--json")))
    assert [(c["object_key"], c["change"]) for c in listed] == [("table:public.orders", "added")]
    one_line_error(installed.manage("pggit_diff", "main"), "give two refs")
    ok(installed.manage("pggit_commit", "-m", "orders"))
    assert ok(installed.manage("pggit_diff")) == "No uncommitted changes on main.\n"


def test_data_diff_keeps_types_and_refuses_a_side_without_a_data_branch(installed):
    with installed.connect(autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE public.prices (id int PRIMARY KEY, price numeric(20,2), big numeric,"
            " ratio float8, day date, at time, stamp timestamptz, ref uuid, doc jsonb)"
        )
        conn.execute(
            "INSERT INTO public.prices VALUES (1, 99.00, 12345678901234567890.123456789, 0.5,"
            " '2026-01-02', '10:11:12.5', '2026-01-02 03:04:05+00',"
            ' \'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\', \'{"n": 1.5, "k": [1, "x"]}\')'
        )
    ok(installed.manage("pggit_commit", "-m", "prices"))
    ok(installed.manage("pggit_branch", "create", "feature/p"))
    one_line_error(
        installed.manage("pggit_data_branch", "diff", "prices", "main", "feature/p"),
        "branch 'feature/p' has no data branch of prices",
        "manage.py pggit_data_branch create prices --to feature/p",
    )
    created = json.loads(
        ok(installed.manage("pggit_data_branch", "create", "prices", "--to", "feature/p", "--json"))
    )
    with installed.connect(autocommit=True) as conn:
        conn.execute(f"UPDATE {created['relation']} SET price = 100.10 WHERE id = 1")
    rows = json.loads(
        ok(installed.manage("pggit_data_branch", "diff", "prices", "main", "feature/p", "--json"))
    )
    assert len(rows) == 1 and rows[0]["change"] == "modified"
    assert rows[0]["changed_columns"] == ["price"] and rows[0]["key"] == {"id": 1}
    a, b = rows[0]["a_row"], rows[0]["b_row"]
    assert a["price"] == "99.00" and b["price"] == "100.10", "numeric as exact strings"
    assert a["big"] == "12345678901234567890.123456789"
    assert a["ratio"] == 0.5 and a["id"] == 1
    assert a["day"] == "2026-01-02" and a["at"] == "10:11:12.500000"
    assert a["stamp"] == "2026-01-02T03:04:05+00:00"
    assert a["ref"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert a["doc"] == {"n": 1.5, "k": [1, "x"]}


# --- the same through the Python API (in-process, on the test database) -----------------------


@pytest.mark.django_db
def test_blank_messages_are_refused_unless_allowed(unique):
    branch = unique("feature/blank")
    api.create_branch(branch)
    before = snapshot_counts()
    for message in ("", " \t\n"):
        with pytest.raises(InvalidMessage, match="non-blank"):
            api.commit(message, branch=branch)
    assert snapshot_counts() == before
    with override_settings(PGGIT={"ALLOW_EMPTY_MESSAGE": True}):
        assert api.commit("  ", branch=branch).message == "  "


@pytest.mark.django_db
def test_diff_data_gives_values_in_their_column_type(unique):
    t = committed_table(
        unique,
        "typed",
        "(id int PRIMARY KEY, price numeric(20,2), day date, ref uuid, doc jsonb)",
        "INSERT INTO {t} VALUES (1, 99.00, '2026-01-02', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',"
        " '[1.5]')",
    )
    branch = unique("feature/typed")
    view = api.create_data_branch(t, "main", branch)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {view} SET price = 0.10 WHERE id = 1")
    (row,) = api.diff_data(t, "main", branch)
    assert row.a_row["price"] == decimal.Decimal("99.00") and str(row.a_row["price"]) == "99.00"
    assert row.b_row["price"] == decimal.Decimal("0.10")
    assert row.a_row["day"] == datetime.date(2026, 1, 2)
    assert row.a_row["ref"] == uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
    assert row.a_row["doc"] == [1.5] and row.key == {"id": 1}
    other = unique("feature/none")
    api.create_branch(other)
    with pytest.raises(NoDataBranch) as info:
        api.diff_data(t, other, "main")
    assert info.value.branch == other and "create_data_branch(" in info.value.hint
