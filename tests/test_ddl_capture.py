"""DDL capture: what is recorded, what is not, and installing without a superuser."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction

from pggit import api
from pggit.operations import install_statements
from tests.helpers import run, sql_rows, sql_scalar

# exactly what the migration installs


def events_for(identity: str) -> list[tuple]:
    return sql_rows(
        "SELECT command_tag, object_type, schema_name, statement, role_name, transaction_id::text,"
        " occurred_at, (SELECT name FROM pggit.branches b WHERE b.id = e.branch_id)"
        " FROM pggit.ddl_events e WHERE object_identity = %s ORDER BY id",
        [identity],
    )


@pytest.mark.django_db
def test_ddl_is_recorded_with_its_context(unique):
    t = unique("cap").replace("-", "_")
    run(f"CREATE TABLE {t} (id int)")
    run(f"ALTER TABLE {t} ADD COLUMN v text")
    events = events_for(f"public.{t}")
    assert [e[0] for e in events] == ["CREATE TABLE", "ALTER TABLE"]
    tag, obj_type, schema, statement, role, txid, at, branch = events[0]
    assert obj_type == "table" and schema == "public" and branch == "main"
    assert f"CREATE TABLE {t}" in statement
    assert role == sql_scalar("SELECT session_user::text")
    assert txid == sql_scalar("SELECT pg_current_xact_id()::text")
    assert at is not None


@pytest.mark.django_db
def test_drop_is_recorded(unique):
    t = unique("capdrop").replace("-", "_")
    run(f"CREATE TABLE {t} (id int)")
    run(f"DROP TABLE {t}")
    assert [e[0] for e in events_for(f"public.{t}")] == ["CREATE TABLE", "DROP TABLE"]


@pytest.mark.django_db
def test_ddl_that_rolls_back_leaves_no_event(unique):
    t = unique("caprb").replace("-", "_")

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        run(f"CREATE TABLE {t} (id int)")
        assert events_for(f"public.{t}")
        raise Abort
    assert events_for(f"public.{t}") == []


@pytest.mark.django_db
def test_pggits_own_ddl_is_not_recorded():
    assert sql_scalar("SELECT count(*) FROM pggit.ddl_events WHERE schema_name = 'pggit'") == 0
    run("SET LOCAL pggit.internal = 'on'")
    run("CREATE TABLE pggit_internal_probe (id int)")
    assert events_for("public.pggit_internal_probe") == []


@pytest.mark.django_db
def test_commit_attaches_pending_ddl_and_reuses_tree_without_it(unique):
    t = unique("attach").replace("-", "_")
    base = api.commit("base")
    again = api.commit("nothing")
    assert again.tree_hash == base.tree_hash
    run(f"CREATE TABLE {t} (id int)")
    changed = api.commit("changed")
    assert changed.tree_hash != base.tree_hash
    assert (
        sql_scalar("SELECT count(*) FROM pggit.ddl_events WHERE commit_id = %s", [changed.id]) >= 1
    )
    assert (
        sql_scalar(
            "SELECT count(*) FROM pggit.ddl_events WHERE branch_id = %s AND commit_id IS NULL",
            [changed.branch_id],
        )
        == 0
    )


@pytest.mark.django_db(transaction=True)
def test_non_superuser_install_works_with_capture_off_and_a_warning(connect):
    """Install the core as an ordinary role in its own database: everything but the event
    triggers installs, a WARNING says capture is off, commits and status read the catalog."""
    suffix = uuid.uuid4().hex[:8]
    role, database = f"pggit_plain_{suffix}", f"pggit_plain_{suffix}"
    admin = connect()
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    admin.execute(f'CREATE DATABASE "{database}" OWNER "{role}"')
    try:
        plain = connect(dbname=database, user=role)
        notices: list[tuple[str, str]] = []  # a Diagnostic is only valid inside the handler
        plain.add_notice_handler(
            lambda d: notices.append((d.severity_nonlocalized, d.message_primary))
        )
        with plain.transaction():
            for statement in install_statements():
                plain.execute(statement)
        warnings = [message for severity, message in notices if severity == "WARNING"]
        assert any("DDL capture is OFF" in w for w in warnings), warnings
        # the roles exist cluster-wide already (the superuser install made them): the owner
        # grants on its own schema without needing CREATEROLE
        assert plain.execute(
            "SELECT has_schema_privilege('pggit_reader', 'pggit', 'USAGE')"
        ).fetchone()[0]
        # without a superuser, the installer keeps owning pggit and its write functions run
        # as it; the API roles get the same rights as on a superuser install
        assert plain.execute(
            "SELECT array_agg(DISTINCT proowner::regrole::text) FROM pg_proc"
            " WHERE pronamespace = 'pggit'::regnamespace"
        ).fetchone()[0] == [role]
        assert plain.execute(
            "SELECT prosecdef FROM pg_proc"
            " WHERE oid = 'pggit.commit_changes(text, text, text, text, boolean)'::regprocedure"
        ).fetchone()[0]
        assert plain.execute(
            "SELECT has_table_privilege('pggit_writer', 'pggit.branches', 'UPDATE'),"
            " has_function_privilege('pggit_reader', 'pggit.merge(text, text, text)', 'EXECUTE')"
        ).fetchone() == (False, False)
        assert plain.execute("SELECT pggit.ddl_capture_enabled()").fetchone()[0] is False
        assert plain.execute("SELECT count(*) FROM pg_event_trigger").fetchone()[0] == 0

        plain.execute("CREATE TABLE public.widgets (id int PRIMARY KEY, name text)")
        status = plain.execute("SELECT object_key, change FROM pggit.status('main')").fetchall()
        assert ("table:public.widgets", "added") in status
        first = plain.execute("SELECT pggit.commit_changes('main', 'widgets')").fetchone()[0]
        plain.execute("ALTER TABLE public.widgets ADD COLUMN price numeric")
        second = plain.execute("SELECT pggit.commit_changes('main', 'price')").fetchone()[0]
        trees = plain.execute(
            "SELECT count(DISTINCT tree_hash) FROM pggit.commits WHERE hash IN (%s, %s)",
            [first, second],
        ).fetchone()[0]
        assert trees == 2, "without capture every commit reads the catalog"
        # The same DDL hashes the same in another database (this one and the test database).
        run("CREATE TABLE IF NOT EXISTS public.pggit_xdb_probe (id int PRIMARY KEY, name text)")
        plain.execute("CREATE TABLE public.pggit_xdb_probe (id int PRIMARY KEY, name text)")
        here = sql_scalar("SELECT pggit.calculate_schema_hash('pggit_xdb_probe')")
        there = plain.execute("SELECT pggit.calculate_schema_hash('pggit_xdb_probe')").fetchone()[0]
        assert here == there
        run("DROP TABLE public.pggit_xdb_probe")
        plain.close()
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database]
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'DROP ROLE IF EXISTS "{role}"')


@pytest.mark.django_db(transaction=True)
def test_superuser_install_of_every_file_in_one_transaction_works(connect):
    """Installs outside Django (the benchmark suite, psql -1) run every migration's files in one
    transaction with capture on; DDL captured early in it must not block later files."""
    database = f"pggit_onetx_{uuid.uuid4().hex[:8]}"
    admin = connect()
    admin.execute(f'CREATE DATABASE "{database}"')
    try:
        conn = connect(dbname=database)
        with conn.transaction():
            for statement in install_statements():
                conn.execute(statement)
        assert conn.execute("SELECT pggit.ddl_capture_enabled()").fetchone()[0] is True
        conn.execute("CREATE TABLE public.gadgets (id int PRIMARY KEY)")
        first = conn.execute("SELECT pggit.commit_changes('main', 'gadgets')").fetchone()[0]
        conn.execute("ALTER TABLE public.gadgets ADD COLUMN name text")
        second = conn.execute("SELECT pggit.commit_changes('main', 'name')").fetchone()[0]
        assert (
            conn.execute(
                "SELECT count(DISTINCT tree_hash) FROM pggit.commits WHERE hash IN (%s, %s)",
                [first, second],
            ).fetchone()[0]
            == 2
        )
        assert conn.execute("SELECT count(*) FROM pggit.verify()").fetchone()[0] == 0
        conn.close()
    finally:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [database]
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
