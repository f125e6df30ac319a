"""Dependency order in generated DDL: branch workspaces, merges and DDL scripts create views, types
and functions after what they use and drop them before it, whatever their names; re-create
unchanged views over a re-created view or a retyped column; alter domains and rename enum labels
in place, since columns may use them."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from pggit import api
from tests.helpers import full_tree, ident, namespace_of, on_branch, run, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def view_query(schema: str, view: str) -> str | None:
    """The view's query as PostgreSQL prints it, its own schema's name left out (None: no view)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_viewdef(to_regclass(format('%%I.%%I', %s::text, %s::text)), true)",
            [schema, view],
        )
        query = cursor.fetchone()[0]
    return query and query.replace(f"{schema}.", "")


def exact_branch(unique, prefix: str) -> str:
    """A new branch from main, checked to hold exactly main's schema (nothing to commit)."""
    branch = unique(prefix)
    api.create_branch(branch)
    assert api.status(branch) == [], "the branch copied every object exactly"
    return branch


@pytest.fixture
def stacked_views(unique):
    """A table and views stacked over it in the reverse of their name order:
    a_top -> m_mat (materialized) -> z_base -> table; a second view "B x" over a_top."""
    t = ident("vt", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, v text)",
        f"CREATE VIEW {t}_z_base AS SELECT id, v FROM {t}",
        f"CREATE MATERIALIZED VIEW {t}_m_mat AS SELECT id, v FROM {t}_z_base",
        f"CREATE VIEW {t}_a_top AS SELECT id FROM {t}_m_mat",
        f'CREATE VIEW "{t}_B x" AS SELECT id FROM {t}_a_top',
    )
    api.commit(f"stacked views over {t}")
    return t


def test_a_branch_copies_views_that_depend_on_later_sorting_views(unique, stacked_views):
    t = stacked_views
    branch = exact_branch(unique, "views")
    ns = namespace_of(branch)
    for view in (f"{t}_z_base", f"{t}_m_mat", f"{t}_a_top", f"{t}_B x"):
        assert view_query(ns, view) == view_query("public", view)


def test_the_ddl_script_creates_dependencies_first_and_drops_dependents_first(
    unique, stacked_views
):
    t = stacked_views
    branch = exact_branch(unique, "views-script")
    empty = unique("views-empty")
    api.create_branch(empty)
    with api.checkout(empty):
        run(
            f'DROP VIEW "{t}_B x", {t}_a_top',
            f"DROP MATERIALIZED VIEW {t}_m_mat",
            f"DROP VIEW {t}_z_base",
        )
    api.commit("no views", branch=empty)

    def views_in_order(script: list[str]) -> list[str]:
        """The views a script creates or drops, in the script's order."""
        found = (
            re.match(r'(?:CREATE|DROP) (?:MATERIALIZED )?VIEW ("(?:[^"]|"")*"|\S+)', s)
            for s in script
        )
        return [m.group(1).strip('"') for m in found if m]

    creates = views_in_order(api.diff_ddl(empty, branch))
    assert creates == [f"{t}_z_base", f"{t}_m_mat", f"{t}_a_top", f"{t}_B x"]
    drops = views_in_order(api.diff_ddl(branch, empty))
    assert drops == [f"{t}_B x", f"{t}_a_top", f"{t}_m_mat", f"{t}_z_base"]


def test_merging_a_branch_that_adds_and_removes_stacked_views(unique, stacked_views):
    t = stacked_views
    branch = exact_branch(unique, "views-merge")
    on_branch(
        branch,
        f"CREATE VIEW {t}_y_new AS SELECT id, v FROM {t}",
        f"CREATE VIEW {t}_c_new AS SELECT id FROM {t}_y_new",
        message="two new stacked views",
    )
    assert api.merge(branch, "main").status == "fast-forward"
    assert view_query("public", f"{t}_c_new") is not None
    # and back: a branch that removes the whole stack
    gone = unique("views-gone")
    api.create_branch(gone)
    on_branch(
        gone,
        f'DROP VIEW "{t}_B x", {t}_a_top, {t}_c_new, {t}_y_new',
        f"DROP MATERIALIZED VIEW {t}_m_mat",
        f"DROP VIEW {t}_z_base",
        message="no views",
    )
    assert api.merge(gone, "main").status == "fast-forward"
    assert (
        sql_scalar(
            "SELECT count(*) FROM pg_views WHERE schemaname = 'public' AND viewname LIKE %s",
            [f"{t}%"],
        )
        == 0
    )


def test_changing_a_view_rebuilds_its_unchanged_dependents(unique, stacked_views):
    t = stacked_views
    branch = exact_branch(unique, "views-change")
    # z_base changes (a column is added); m_mat, a_top and "B x" depend on it and do not change
    on_branch(
        branch,
        f"CREATE OR REPLACE VIEW {t}_z_base AS SELECT id, v, v AS w FROM {t}",
        message="z_base gains a column",
    )
    before = {v: view_query("public", v) for v in (f"{t}_m_mat", f"{t}_a_top", f"{t}_B x")}
    assert api.merge(branch, "main").status == "fast-forward"
    assert "w" in view_query("public", f"{t}_z_base")
    assert {v: view_query("public", v) for v in before} == before, (
        "dependents are rebuilt as they were"
    )
    assert api.diff_ddl("main", branch) == [], (
        "after the merge main and the branch hold the same schema"
    )
    # the rebuild is reported as such, not as a change of the dependents
    other = unique("views-change2")
    api.create_branch(other)
    on_branch(
        other,
        f"CREATE OR REPLACE VIEW {t}_z_base AS SELECT id, v, v AS w, 1 AS n FROM {t}",
        message="z_base gains another column",
    )
    changes = {e.object_key.split(".")[-1].strip('"'): e.change for e in api.diff("main", other)}
    assert changes[f"{t}_z_base"] == "modified"
    assert changes[f"{t}_a_top"] == changes[f"{t}_m_mat"] == changes[f"{t}_B x"] == "rebuilt"
    out = StringIO()
    call_command("pggit_diff", "main", other, stdout=out)
    marks = {
        line.split()[1]: line[0] for line in out.getvalue().splitlines() if not line.startswith(" ")
    }
    assert marks[f"view:public.{t}_z_base"] == "~" and marks[f"view:public.{t}_a_top"] == "="
    assert sql_rows("SELECT * FROM pggit.verify()") == []


def test_hostile_view_names_and_names_inside_string_literals(unique):
    t = ident("vh", unique)
    base = f'{t} "base"; DROP TABLE {t}; --ü'
    quoted = base.replace('"', '""')
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY)",
        f'CREATE VIEW "{quoted}" AS SELECT id FROM {t}',
        # z_lit names a_lit only inside a string literal while a_lit uses z_lit: counted as an
        # edge, that would make a cycle and fall back to name order (a_lit first: an error)
        f"CREATE VIEW {t}_z_lit AS SELECT id, '{t}_a_lit' AS label FROM \"{quoted}\"",
        f"CREATE VIEW {t}_a_lit AS SELECT id FROM {t}_z_lit",
        f'CREATE VIEW "{t}_0 top" AS SELECT id FROM {t}_a_lit',
    )
    api.commit(f"hostile views over {t}")
    branch = exact_branch(unique, "views-hostile")
    ns = namespace_of(branch)
    for view in (base, f"{t}_a_lit", f"{t}_z_lit", f"{t}_0 top"):
        assert view_query(ns, view) == view_query("public", view)
    assert sql_scalar(f"SELECT count(*) FROM {t}") == 0, "the table is still there"
    on_branch(
        branch, f'DROP VIEW "{t}_0 top", {t}_a_lit, {t}_z_lit, "{quoted}"', message="drop them"
    )
    assert api.merge(branch, "main").status == "fast-forward"
    assert view_query("public", base) is None and view_query("public", f"{t}_0 top") is None


def test_a_column_type_change_under_a_view_merges(unique):
    """PostgreSQL refuses ALTER COLUMN ... TYPE on a column a view uses. On a branch the user drops
    the view, changes the type and re-creates the view with the same text, so the view's stored
    definition does not change; the merge must still drop it before the ALTER and re-create it."""
    t = ident("vtype", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, n int)",
        f"CREATE VIEW {t}_v AS SELECT id, n FROM {t}",
        f"CREATE VIEW {t}_w AS SELECT id FROM {t}_v",
    )
    api.commit(f"views over {t}")
    branch = exact_branch(unique, "vtype")
    on_branch(
        branch,
        f"DROP VIEW {t}_w, {t}_v",
        f"ALTER TABLE {t} ALTER COLUMN n TYPE bigint",
        f"CREATE VIEW {t}_v AS SELECT id, n FROM {t}",
        f"CREATE VIEW {t}_w AS SELECT id FROM {t}_v",
        message="n becomes bigint",
    )
    changes = {e.object_key: e.change for e in api.diff("main", branch)}
    assert changes == {
        f"table:public.{t}": "modified",
        f"view:public.{t}_v": "rebuilt",
        f"view:public.{t}_w": "rebuilt",
    }
    assert api.merge(branch, "main").status == "fast-forward"
    assert (
        sql_scalar(
            "SELECT data_type FROM information_schema.columns WHERE table_name = %s"
            " AND column_name = 'n'",
            [f"{t}_v"],
        )
        == "bigint"
    )
    assert view_query("public", f"{t}_w") is not None and api.status() == []


def test_types_over_types_are_created_and_dropped_in_dependency_order(unique):
    """Every domain sorts before every enum and a composite type before the domains it uses; a
    branch and a merge take them in dependency order instead."""
    t = ident("ty", unique)
    run(
        f"CREATE TYPE {t}_z_mood AS ENUM ('calm', 'busy')",
        f"CREATE DOMAIN {t}_m_dom AS {t}_z_mood NOT NULL",
        f'CREATE DOMAIN "{t}_B dom" AS {t}_m_dom',
        f'CREATE TYPE {t}_a_pair AS (x "{t}_B dom", y int)',
        f"CREATE TABLE {t} (id int PRIMARY KEY, p {t}_a_pair)",
    )
    api.commit(f"types under {t}")
    branch = exact_branch(unique, "types")
    assert (
        sql_scalar(
            "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
            " WHERE n.nspname = %s AND t.typname LIKE %s AND t.typtype IN ('e', 'd', 'c')",
            [namespace_of(branch), f"{t}%"],
        )
        == 5
    ), "enum, 2 domains, composite, the table's row type"
    on_branch(
        branch,
        f"DROP TABLE {t}",
        f"DROP TYPE {t}_a_pair",
        f'DROP DOMAIN "{t}_B dom"',
        f"DROP DOMAIN {t}_m_dom",
        f"DROP TYPE {t}_z_mood",
        message="no types",
    )
    assert api.merge(branch, "main").status == "fast-forward"
    assert sql_scalar("SELECT count(*) FROM pg_type WHERE typname LIKE %s", [f"{t}%"]) == 0


def test_sql_standard_functions_come_after_what_they_read(unique):
    """A BEGIN ATOMIC / RETURN body is parsed when the function is created: it must come after the
    tables, views and functions it reads, and views that call it after it."""
    t = ident("fb", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY)",
        f"CREATE VIEW {t}_z_view AS SELECT id FROM {t}",
        f"CREATE FUNCTION {t}_z_count() RETURNS bigint LANGUAGE sql"
        f" BEGIN ATOMIC SELECT count(*) FROM {t}_z_view; END",
        f"CREATE FUNCTION {t}_a_twice() RETURNS bigint LANGUAGE sql RETURN {t}_z_count() * 2",
        f"CREATE VIEW {t}_a_view AS SELECT {t}_a_twice() AS n",
    )
    api.commit(f"functions over {t}")
    branch = exact_branch(unique, "fbody")
    with api.checkout(branch):
        run(f"INSERT INTO {t} VALUES (1), (2)")
        assert sql_scalar(f"SELECT n FROM {t}_a_view") == 4
    on_branch(
        branch,
        f"DROP VIEW {t}_a_view",
        f"DROP FUNCTION {t}_a_twice()",
        f"DROP FUNCTION {t}_z_count()",
        f"DROP VIEW {t}_z_view",
        f"DROP TABLE {t}",
        message="none of it",
    )
    assert api.merge(branch, "main").status == "fast-forward"
    assert sql_scalar("SELECT count(*) FROM pg_proc WHERE proname LIKE %s", [f"{t}%"]) == 0


def test_sql_standard_functions_that_read_no_table_stay_before_tables(unique):
    """A RETURN-body function that reads no table may be used by a table's default, generated
    column or index, so it is still created before the tables."""
    t = ident("fn", unique)
    run(
        f"CREATE FUNCTION {t}_z_norm(s text) RETURNS text IMMUTABLE LANGUAGE sql"
        " RETURN lower(btrim(s))",
        f"CREATE FUNCTION {t}_a_code() RETURNS text LANGUAGE sql RETURN {t}_z_norm(' X ')",
        f"CREATE TABLE {t} (id int PRIMARY KEY, code text DEFAULT {t}_a_code(),"
        f" k text GENERATED ALWAYS AS ({t}_z_norm(code)) STORED)",
        f"CREATE INDEX {t}_k ON {t} ({t}_z_norm(code))",
    )
    api.commit(f"functions under {t}")
    branch = exact_branch(unique, "fnorm")
    with api.checkout(branch):
        run(f"INSERT INTO {t} (id) VALUES (1)")
        assert sql_rows(f"SELECT code, k FROM {t}") == [("x", "x")]


def test_functions_over_row_types_and_domain_checks_over_functions(unique):
    """A function returning SETOF a table (or taking its row type) needs the table first; a
    domain's CHECK that calls a function needs the function first."""
    t = ident("fr", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, n int)",
        f"CREATE FUNCTION {t}_rows() RETURNS SETOF {t} LANGUAGE sql AS 'SELECT * FROM {t}'",
        f"CREATE FUNCTION {t}_twice(r {t}) RETURNS int LANGUAGE plpgsql"
        " AS 'BEGIN RETURN r.n * 2; END'",
        f"CREATE VIEW {t}_a_view AS SELECT {t}_twice(x) AS n FROM {t}_rows() x",
        f"CREATE FUNCTION {t}_z_even(x int) RETURNS boolean LANGUAGE sql IMMUTABLE"
        " RETURN x % 2 = 0",
        f"CREATE DOMAIN {t}_a_even AS int CHECK ({t}_z_even(VALUE))",
        f"CREATE TABLE {t}_uses (e {t}_a_even)",
    )
    api.commit(f"functions over {t}")
    branch = exact_branch(unique, "frow")
    with api.checkout(branch):
        run(f"INSERT INTO {t} VALUES (1, 21)", f"INSERT INTO {t}_uses VALUES (4)")
        assert sql_scalar(f"SELECT n FROM {t}_a_view") == 42
        with pytest.raises(IntegrityError, match="violates check constraint"), transaction.atomic():
            run(f"INSERT INTO {t}_uses VALUES (3)")
    on_branch(
        branch,
        f"DROP VIEW {t}_a_view",
        f"DROP FUNCTION {t}_twice({t})",
        f"DROP FUNCTION {t}_rows()",
        f"DROP TABLE {t}",
        f"DROP TABLE {t}_uses",
        f"DROP DOMAIN {t}_a_even",
        f"DROP FUNCTION {t}_z_even(int)",
        message="none of it",
    )
    assert api.merge(branch, "main").status == "fast-forward"
    assert sql_scalar("SELECT count(*) FROM pg_proc WHERE proname LIKE %s", [f"{t}%"]) == 0


def test_an_argument_named_like_a_table_does_not_move_a_function_after_the_tables(unique):
    """Only the argument types count as what a signature names: a function whose argument is
    called like a table stays before the tables, so that table's default can call it. (In a
    SQL-standard body the argument's name is a token like any other.)"""
    t = ident("fa", unique)
    run(
        f"CREATE FUNCTION {t}_next({t}_acct integer DEFAULT 1, OUT n integer) LANGUAGE sql"
        " AS 'SELECT $1 + 1'",
        f"CREATE TABLE {t}_acct (id int PRIMARY KEY, n int DEFAULT {t}_next(41))",
    )
    api.commit(f"a default over {t}_next")
    branch = exact_branch(unique, "fargs")
    with api.checkout(branch):
        run(f"INSERT INTO {t}_acct (id) VALUES (1)")
        assert sql_scalar(f"SELECT n FROM {t}_acct") == 42


def test_a_domain_in_use_is_altered_in_place_by_a_merge(unique):
    """Dropping and re-creating a domain fails while a column uses it: a change that keeps its
    base type (constraints, default, NOT NULL, comment) is applied with ALTER DOMAIN."""
    t = ident("dm", unique)
    run(
        f"CREATE DOMAIN {t}_qty AS int CONSTRAINT {t}_positive CHECK (VALUE >= 0)"
        f" CONSTRAINT {t}_cap CHECK (VALUE < 10000)",
        f"CREATE TABLE {t} (id int PRIMARY KEY, q {t}_qty)",
        f"INSERT INTO {t} VALUES (1, 5), (2, 7)",
    )
    api.commit(f"a domain used by {t}")
    branch = exact_branch(unique, "domain")
    on_branch(
        branch,
        f"ALTER DOMAIN {t}_qty DROP CONSTRAINT {t}_cap",
        f"ALTER DOMAIN {t}_qty ADD CONSTRAINT {t}_cap CHECK (VALUE < 1000)",
        f"ALTER DOMAIN {t}_qty DROP CONSTRAINT {t}_positive",
        f"ALTER DOMAIN {t}_qty ADD CONSTRAINT {t}_odd_or_even CHECK (VALUE % 1 = 0)",
        f"ALTER DOMAIN {t}_qty SET DEFAULT 1",
        f"ALTER DOMAIN {t}_qty SET NOT NULL",
        f"COMMENT ON DOMAIN {t}_qty IS 'how many'",
        message="the domain changes",
    )
    script = api.diff_ddl("main", branch)
    assert all(s.startswith(("ALTER DOMAIN", "COMMENT ON DOMAIN")) for s in script), script
    assert api.merge(branch, "main").status == "fast-forward"
    assert api.status() == [] and full_tree("main") == full_tree(branch)
    assert sql_rows(f"SELECT id, q FROM {t} ORDER BY id") == [(1, 5), (2, 7)], "the rows stayed"
    with pytest.raises(IntegrityError, match=f"{t}_cap"), transaction.atomic():
        run(f"INSERT INTO {t} VALUES (3, 5000)")
    assert sql_scalar(
        "SELECT typnotnull AND typdefault = '1' FROM pg_type WHERE typname = %s", [f"{t}_qty"]
    )


def test_renamed_enum_labels_are_renamed_in_place_by_a_merge(unique):
    t = ident("en", unique)
    run(
        f"CREATE TYPE {t}_state AS ENUM ('new', 'pendng', 'done')",
        f"CREATE TABLE {t} (id int PRIMARY KEY, s {t}_state)",
        f"INSERT INTO {t} VALUES (1, 'pendng'), (2, 'done')",
    )
    api.commit(f"an enum used by {t}")
    branch = exact_branch(unique, "enum")
    on_branch(
        branch, f"ALTER TYPE {t}_state RENAME VALUE 'pendng' TO 'pending'", message="spelling"
    )
    assert api.diff_ddl("main", branch) == [
        f"ALTER TYPE {t}_state RENAME VALUE 'pendng' TO 'pending'"
    ]
    assert api.merge(branch, "main").status == "fast-forward"
    assert sql_rows(f"SELECT id, s::text FROM {t} ORDER BY id") == [(1, "pending"), (2, "done")]
    assert api.status() == [] and full_tree("main") == full_tree(branch)
    # a label that moves to another position is not a rename: that still re-creates the type
    other = unique("enum-swap")
    api.create_branch(other)
    on_branch(
        other,
        f"DROP TABLE {t}",
        f"DROP TYPE {t}_state",
        f"CREATE TYPE {t}_state AS ENUM ('done', 'new', 'x')",
        message="another enum",
    )
    assert [s.split()[0] for s in api.diff_ddl("main", other)][:2] == ["DROP", "DROP"]
