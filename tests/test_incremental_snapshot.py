"""Incremental snapshots: a commit re-serializes what its DDL changed (and what depends on it)
and takes every other object's hash from the parent tree. The law: the tree it records equals
the tree a full snapshot of the workspace gives."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from pggit import api
from tests.helpers import full_tree, ident, namespace_of, on_branch, run, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def entry(tree_hash: str, key: str) -> str | None:
    return sql_scalar("SELECT entries ->> %s FROM pggit.trees WHERE hash = %s", [key, tree_hash])


def table_definitions_serialized(action) -> int:
    """How many times pggit.table_definition ran during action (this transaction's counter)."""
    run("SET LOCAL track_functions = 'all'")
    oid = sql_scalar("SELECT 'pggit.table_definition(oid)'::regprocedure::oid")
    before = sql_scalar("SELECT coalesce(pg_stat_get_xact_function_calls(%s), 0)", [oid])
    action()
    return sql_scalar("SELECT coalesce(pg_stat_get_xact_function_calls(%s), 0)", [oid]) - before


# (name, setup, change, key of an object that must change although the change does not name it)
DEPENDENT_CHANGES = [
    (
        "column under a view",
        ["CREATE TABLE {t} (id int PRIMARY KEY, a int)", "CREATE VIEW {t}_v AS SELECT a FROM {t}"],
        ["ALTER TABLE {t} RENAME COLUMN a TO b"],
        "view:public.{t}_v",
    ),
    (
        "table named by a foreign key",
        [
            "CREATE TABLE {t} (id int PRIMARY KEY)",
            "CREATE TABLE {t}_child (id int PRIMARY KEY, p int REFERENCES {t})",
        ],
        ["ALTER TABLE {t} RENAME TO {t}_parent"],
        "table:public.{t}_child",
    ),
    (
        "enum type of a column",
        ["CREATE TYPE {t}_mood AS ENUM ('calm')", "CREATE TABLE {t} (id int, m {t}_mood)"],
        ["ALTER TYPE {t}_mood RENAME TO {t}_feeling"],
        "table:public.{t}",
    ),
    (
        "function in a column default",
        [
            "CREATE FUNCTION {t}_f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "CREATE TABLE {t} (id int DEFAULT {t}_f())",
        ],
        ["ALTER FUNCTION {t}_f() RENAME TO {t}_g"],
        "table:public.{t}",
    ),
    (
        "sequence in a column default",
        ["CREATE SEQUENCE {t}_seq", "CREATE TABLE {t} (id bigint DEFAULT nextval('{t}_seq'))"],
        ["ALTER SEQUENCE {t}_seq RENAME TO {t}_seq2"],
        "table:public.{t}",
    ),
    (
        "view over a renamed view",
        [
            "CREATE TABLE {t} (id int)",
            "CREATE VIEW {t}_v1 AS SELECT id FROM {t}",
            "CREATE VIEW {t}_v2 AS SELECT id FROM {t}_v1",
        ],
        ["ALTER VIEW {t}_v1 RENAME TO {t}_v1b"],
        "view:public.{t}_v2",
    ),
    (
        "function returning the table's rows",
        [
            "CREATE TABLE {t} (id int)",
            "CREATE FUNCTION {t}_all() RETURNS SETOF {t} LANGUAGE sql AS 'SELECT * FROM {t}'",
        ],
        ["ALTER TABLE {t} RENAME TO {t}_r"],
        None,
    ),
    (
        "table moved to another name and an index dropped",
        ["CREATE TABLE {t} (id int, a int)", "CREATE INDEX {t}_a ON {t} (a)"],
        ["DROP INDEX {t}_a", "ALTER TABLE {t} RENAME TO {t}_x"],
        None,
    ),
    (
        "comment, trigger and constraint",
        [
            "CREATE TABLE {t} (id int, a int)",
            "CREATE FUNCTION {t}_trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
        ],
        [
            "COMMENT ON COLUMN {t}.a IS 'the a'",
            "CREATE TRIGGER {t}_t BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {t}_trg()",
            "ALTER TABLE {t} ADD CONSTRAINT {t}_pos CHECK (a > 0)",
        ],
        None,
    ),
]


@pytest.mark.parametrize(
    "name, setup, change, dependent", DEPENDENT_CHANGES, ids=[c[0] for c in DEPENDENT_CHANGES]
)
def test_commit_after_ddl_records_the_full_snapshots_tree(unique, name, setup, change, dependent):
    t = ident("inc", unique)
    run(*(s.format(t=t) for s in setup))
    before = api.commit("setup")
    assert before.tree_hash == full_tree()
    run(*(s.format(t=t) for s in change))
    after = api.commit(name)
    assert after.tree_hash == full_tree(), name
    assert after.tree_hash != before.tree_hash
    if dependent:
        key = dependent.format(t=t)
        assert entry(before.tree_hash, key) is not None
        assert entry(after.tree_hash, key) not in (None, entry(before.tree_hash, key)), key


def test_commit_after_altering_one_table_serializes_only_that_table(unique):
    tables = [ident("only", unique) for _ in range(5)]
    run(*(f"CREATE TABLE {t} (id int PRIMARY KEY, a text)" for t in tables))
    api.commit("five tables")
    run(f"ALTER TABLE {tables[0]} ADD COLUMN b int")
    assert table_definitions_serialized(lambda: api.commit("one changed")) == 1
    assert api.log("main", limit=1)[0].tree_hash == full_tree()


def test_grants_change_no_definition_and_serialize_nothing(unique):
    t = ident("grant", unique)
    run(f"CREATE TABLE {t} (id int)")
    before = api.commit("table")
    run(f"GRANT SELECT ON {t} TO PUBLIC")
    assert table_definitions_serialized(lambda: api.commit("grant")) == 0
    assert api.log("main", limit=1)[0].tree_hash == before.tree_hash == full_tree()


def test_a_drop_falls_back_to_the_full_snapshot(unique):
    keep, gone = ident("keep", unique), ident("gone", unique)
    run(f"CREATE TABLE {keep} (id int)", f"CREATE TABLE {gone} (id int)")
    api.commit("two tables")
    tables = sql_scalar(
        "SELECT count(*) FROM pggit.workspace_objects(%s) WHERE object_type = 'table'",
        [sql_scalar("SELECT id FROM pggit.branches WHERE name = 'main' AND status <> 'DELETED'")],
    )
    run(f"DROP TABLE {gone}")
    assert table_definitions_serialized(lambda: api.commit("drop")) == tables - 1
    tree = api.log("main", limit=1)[0].tree_hash
    assert tree == full_tree() and entry(tree, f"table:public.{gone}") is None


def test_ddl_recorded_before_the_upgrade_gets_a_full_snapshot(unique):
    """Events without a catalog address (as every event recorded before migration 0003) are
    not followed object by object."""
    t = ident("legacy", unique)
    run(f"CREATE TABLE {t} (id int)")
    api.commit("table")
    run(
        f"ALTER TABLE {t} ADD COLUMN a int",
        # events are history (append-only trigger): forge the legacy rows as a restore would
        "SET LOCAL session_replication_role = replica",
        "UPDATE pggit.ddl_events SET classid = NULL, objid = NULL WHERE commit_id IS NULL",
        "SET LOCAL session_replication_role = origin",
    )
    assert table_definitions_serialized(lambda: api.commit("legacy event")) > 1
    assert api.log("main", limit=1)[0].tree_hash == full_tree()


def test_trigger_on_a_branch_table_belongs_to_that_branch(unique):
    """Triggers have no schema in the event; the branch is the one owning the table, not the
    session's current branch."""
    t = ident("trg", unique)
    branch = unique("feature/trg")
    run(
        f"CREATE TABLE {t} (id int)",
        f"CREATE FUNCTION {t}_fn() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
    )
    api.commit("table")
    api.create_branch(branch)
    namespace = namespace_of(branch)
    before = api.log(branch, limit=1)[0]
    run(
        f'CREATE TRIGGER {t}_t BEFORE INSERT ON "{namespace}".{t}'
        f" FOR EACH ROW EXECUTE FUNCTION public.{t}_fn()"
    )
    assert sql_rows(
        "SELECT b.name FROM pggit.ddl_events e JOIN pggit.branches b ON b.id = e.branch_id"
        " WHERE e.command_tag = 'CREATE TRIGGER' AND e.commit_id IS NULL"
    ) == [(branch,)]
    after = api.commit("trigger", branch=branch)
    assert after.tree_hash != before.tree_hash and after.tree_hash == full_tree(branch)


def test_branch_commits_are_incremental_too(unique):
    t = ident("brinc", unique)
    branch = unique("feature/inc")
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)", f"CREATE VIEW {t}_v AS SELECT id FROM {t}")
    api.commit("table and view")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {t} RENAME COLUMN id TO key")
    head = api.log(branch, limit=1)[0]
    assert head.tree_hash == full_tree(branch) != full_tree("main")


# DDL outside the tracked schemas that changes how tracked objects read (setup, change, key)
UNTRACKED_CHANGES = [
    (
        "type renamed in another schema",
        ["CREATE TYPE {s}.mood AS ENUM ('calm')", "CREATE TABLE {t} (id int, m {s}.mood)"],
        ["ALTER TYPE {s}.mood RENAME TO feeling"],
    ),
    (
        "function renamed in another schema",
        [
            "CREATE FUNCTION {s}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "CREATE TABLE {t} (id int DEFAULT {s}.f())",
        ],
        ["ALTER FUNCTION {s}.f() RENAME TO g"],
    ),
    (
        "function dropped with CASCADE in another schema",
        [
            "CREATE FUNCTION {s}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "CREATE TABLE {t} (id int DEFAULT {s}.f())",
        ],
        ["DROP FUNCTION {s}.f() CASCADE"],
    ),
    (
        "trigger function dropped with CASCADE in another schema",
        [
            "CREATE FUNCTION {s}.tf() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'",
            "CREATE TABLE {t} (id int)",
            "CREATE TRIGGER {t}_trg BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION {s}.tf()",
        ],
        ["DROP FUNCTION {s}.tf() CASCADE"],
    ),
]


@pytest.mark.parametrize(
    "name, setup, change", UNTRACKED_CHANGES, ids=[c[0] for c in UNTRACKED_CHANGES]
)
def test_ddl_outside_the_tracked_schemas_reaches_the_commits_of_what_depends_on_it(
    unique, name, setup, change
):
    """An event on an object no branch tracks is recorded for the branches whose objects depend
    on it; before, main's next commit reused its parent's (now stale) tree."""
    t, s = ident("dep", unique), ident("elsewhere", unique)
    run(f"CREATE SCHEMA {s}", *(x.format(t=t, s=s) for x in setup))
    before = api.commit("setup")
    run(*(x.format(t=t, s=s) for x in change))
    after = api.commit(name)
    assert after.tree_hash == full_tree(), name
    assert entry(after.tree_hash, f"table:public.{t}") != entry(
        before.tree_hash, f"table:public.{t}"
    )


def unseen_ddl(*statements: str) -> None:
    """Run DDL the event triggers do not see (as pg_restore and logical replication do)."""
    run("SET session_replication_role = replica")
    try:
        run(*statements)
    finally:
        run("SET session_replication_role = origin")


def test_a_full_commit_records_ddl_that_capture_did_not_see(unique):
    t = ident("unseen", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
    head = api.commit(f"add {t}")
    unseen_ddl(f"ALTER TABLE {t} ADD COLUMN note text", f"CREATE INDEX {t}_note ON {t} (note)")
    key = f"table:public.{t}"
    assert [(c.object_key, c.change) for c in api.status()] == [(key, "modified")]
    stale = api.commit("no event, so the head's tree is kept")
    assert stale.tree_hash == head.tree_hash
    assert [(c.object_key, c.change) for c in api.status()] == [(key, "modified")], "still unseen"
    out = StringIO()
    call_command("pggit_commit", "-m", "read everything", "--full", stdout=out)
    full = api.log("main", limit=1)[0]
    assert out.getvalue().strip() == f"[main {full.short_hash}] read everything"
    assert full.tree_hash == full_tree("main") != head.tree_hash
    assert "note" in sql_scalar(
        "SELECT o.definition::text FROM pggit.objects o WHERE o.hash = %s",
        [entry(full.tree_hash, key)],
    )
    assert api.status() == []
    assert api.get_version(t).major == 1 and (
        api.get_version(t).minor,
        api.get_version(t).patch,
    ) != (0, 0)
    assert sql_rows("SELECT * FROM pggit.verify()") == []


def test_full_snapshot_is_an_sql_argument_and_the_default_follows_events(unique):
    t = ident("unseen2", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
    api.commit(f"add {t}")
    unseen_ddl(f"ALTER TABLE {t} ADD COLUMN x int")
    kept = sql_scalar("SELECT pggit.commit_changes('main', 'default')")
    full = sql_scalar("SELECT pggit.commit_changes('main', 'full', full => true)")
    trees = dict(
        sql_rows("SELECT hash, tree_hash FROM pggit.commits WHERE hash IN (%s, %s)", [kept, full])
    )
    assert trees[full] == full_tree("main") != trees[kept]
    null_flags = "SELECT pggit.commit_changes('main', 'null flag', author => NULL, full => NULL)"
    assert sql_scalar(null_flags) is not None
