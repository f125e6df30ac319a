"""Branch workspaces and checkout."""

from __future__ import annotations

import pytest
from django.db import connection

from pggit import api
from pggit.exceptions import BranchDeleted, BranchNotFound
from tests.helpers import (
    hash_in,
    ident,
    namespace_of,
    run,
    sql_error,
    sql_rows,
    sql_scalar,
    table_columns,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def product_table(unique):
    t = ident("prod", unique)
    run(
        f"CREATE TYPE {t}_kind AS ENUM ('a', 'b')",
        f"CREATE TABLE {t} (id serial PRIMARY KEY, kind {t}_kind NOT NULL DEFAULT 'a',"
        f" name text CHECK (name <> ''), parent int REFERENCES {t} (id))",
        f"CREATE INDEX {t}_name ON {t} (name)",
        f"CREATE VIEW {t}_view AS SELECT id, name FROM {t}",
        f"CREATE FUNCTION {t}_fn(x int) RETURNS int LANGUAGE sql AS 'SELECT x + 1'",
        f"COMMENT ON TABLE {t} IS 'products'",
    )
    api.commit(f"add {t}")
    return t


def test_new_branch_workspace_holds_an_exact_copy(unique, product_table):
    branch = unique("ws")
    api.create_branch(branch)
    ns = namespace_of(branch)
    assert ns.startswith("pggit_b") and ns != "public"
    assert table_columns(ns, product_table) == table_columns("public", product_table)
    assert hash_in(ns, product_table) == hash_in("public", product_table)
    assert api.status(branch) == [], "a fresh branch has nothing to commit"
    # structure only: no rows are copied
    run(f"INSERT INTO {product_table} (name) VALUES ('x')")
    assert sql_scalar(f'SELECT count(*) FROM "{ns}".{product_table}') == 0


def test_workspace_copies_the_committed_state_not_uncommitted_changes(unique, product_table):
    run(f"ALTER TABLE {product_table} ADD COLUMN uncommitted int")
    branch = unique("ws2")
    api.create_branch(branch)
    assert "uncommitted" not in table_columns(namespace_of(branch), product_table)


def test_namespace_names_are_derived_and_mapped(unique):
    a, b = unique("feature/user-profiles"), unique("feature/x")
    api.create_branch(a)
    api.create_branch(b)
    rows = sql_rows(
        "SELECT b.name, w.logical_schema, w.namespace FROM pggit.workspaces w"
        " JOIN pggit.branches b ON b.id = w.branch_id WHERE b.name IN (%s, %s)",
        [a, b],
    )
    assert {r[0] for r in rows} == {a, b}
    assert len({r[2] for r in rows}) == 2 and all(r[1] == "public" for r in rows)


def test_checkout_switches_search_path_and_current_branch(unique, product_table):
    branch = unique("co")
    api.create_branch(branch)
    ns = namespace_of(branch)
    before = sql_scalar("SHOW search_path")
    with api.checkout(branch):
        assert api.current_branch() == branch
        path = sql_scalar("SHOW search_path")
        assert path.split(",")[0].strip() == ns and "public" not in path
        run(
            f"ALTER TABLE {product_table} ADD COLUMN on_branch int"
        )  # unqualified: the branch's copy
        run(f"CREATE TABLE {product_table}_new (id int)")
    assert api.current_branch() == "main"
    assert sql_scalar("SHOW search_path") == before
    assert "on_branch" in table_columns(ns, product_table)
    assert "on_branch" not in table_columns("public", product_table)
    assert table_columns("public", f"{product_table}_new") == []
    # DDL made while checked out is the branch's, and its commit snapshots the workspace
    events = sql_rows(
        "SELECT DISTINCT b.name FROM pggit.ddl_events e JOIN pggit.branches b ON b.id = e.branch_id"
        " WHERE e.statement LIKE %s",
        [f"%{product_table}_new%"],
    )
    assert events == [(branch,)]
    keys = {c.object_key for c in api.status(branch)}
    assert {f"table:public.{product_table}", f"table:public.{product_table}_new"} <= keys
    commit = api.commit("branch work", branch=branch)
    assert f"table:public.{product_table}_new" in api.show(commit.hash)["tree"]
    assert f"table:public.{product_table}_new" not in {c.object_key for c in api.status("main")}


def test_checkout_context_restores_on_error(unique):
    branch = unique("err")
    api.create_branch(branch)
    before = sql_scalar("SHOW search_path")

    class Boom(Exception):
        pass

    with pytest.raises(Boom), api.checkout(branch):
        assert api.current_branch() == branch
        raise Boom
    assert sql_scalar("SHOW search_path") == before
    assert api.current_branch() == "main"


def test_checkout_in_sql(unique):
    branch = unique("sqlco")
    api.create_branch(branch)
    path = sql_scalar("SELECT pggit.checkout(%s)", [branch])
    assert path.startswith(namespace_of(branch))
    assert sql_scalar("SELECT pggit.current_branch()") == branch
    sql_scalar("SELECT pggit.checkout('main')")
    assert sql_scalar("SELECT pggit.current_branch()") == "main"


def test_checkout_of_missing_or_deleted_branch_is_refused(unique):
    before = sql_scalar("SHOW search_path")
    with pytest.raises(BranchNotFound), api.checkout(unique("none")):
        pass
    gone = unique("gone")
    api.create_branch(gone)
    api.delete_branch(gone)
    with pytest.raises(BranchDeleted), api.checkout(gone):
        pass
    assert sql_scalar("SHOW search_path") == before


def test_delete_drops_the_workspace(unique, product_table):
    branch = unique("del")
    api.create_branch(branch)
    ns = namespace_of(branch)
    api.delete_branch(branch)
    assert sql_scalar("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [ns]) == 0
    assert sql_scalar("SELECT count(*) FROM pggit.workspaces WHERE namespace = %s", [ns]) == 0


def test_branch_inherits_object_versions(unique, product_table):
    run(f"ALTER TABLE {product_table} ADD COLUMN v2 int")
    api.commit("bump")
    branch = unique("ver")
    api.create_branch(branch)
    with api.checkout(branch):
        assert str(api.get_version(product_table)) == "1.1.0"
        run(f"ALTER TABLE {product_table} DROP COLUMN v2")
    api.commit("drop on branch", branch=branch)
    with api.checkout(branch):
        assert str(api.get_version(product_table)) == "2.0.0"
    assert str(api.get_version(product_table)) == "1.1.0"
    assert connection.vendor == "postgresql"


def test_run_statements_puts_each_statement_in_its_schemas_namespace(unique):
    """run_statements maps an object key's logical schema to the branch's namespace for it, and
    refuses (PGD02, nothing applied) a key whose schema the branch has no namespace for."""
    branch = unique("rs")
    api.create_branch(branch)
    branch_id = sql_scalar("SELECT id FROM pggit.branches WHERE name = %s", [branch])
    t = ident("rs", unique)
    statements = f'[{{"object_key": "table:public.{t}", "statement": "CREATE TABLE {t} (id int)"}}]'
    assert sql_scalar("SELECT pggit.run_statements(%s, %s)", [branch_id, statements]) == 1
    assert table_columns(namespace_of(branch), t) == ["id"]
    assert table_columns("public", t) == []

    other = ident("rs2", unique)
    statements = (
        f'[{{"object_key": "table:public.{other}",'
        f' "statement": "CREATE TABLE {other} (id int)"}},'
        f' {{"object_key": "table:untracked.{other}",'
        f' "statement": "CREATE TABLE {other} (x int)"}}]'
    )
    error = sql_error("SELECT pggit.run_statements(%s, %s)", [branch_id, statements])
    assert error.sqlstate == "PGD02" and "table:untracked." in error.diag.message_primary
    assert table_columns(namespace_of(branch), other) == []


def test_new_tables_carry_their_own_row_constraints_in_create_table(unique):
    """create_ddl folds primary key, unique, check and exclusion constraints into CREATE TABLE
    (one statement, not one ALTER TABLE each); a foreign key and a NOT VALID check stay ALTER
    TABLE statements (the referenced table may come later; CREATE TABLE would validate the
    check), and the branch's copy is still exact."""
    t = ident("cc", unique)
    run(
        f"CREATE TABLE {t}_ref (id int PRIMARY KEY)",
        f"CREATE TABLE {t} (id int CONSTRAINT {t}_pk PRIMARY KEY,"
        f" code text CONSTRAINT {t}_code UNIQUE, qty int CONSTRAINT {t}_qty CHECK (qty > 0),"
        f" ref int CONSTRAINT {t}_fk REFERENCES {t}_ref (id))",
        f"ALTER TABLE {t} ADD CONSTRAINT {t}_later CHECK (qty < 100) NOT VALID",
    )
    api.commit(f"add {t}")
    statements = [
        r[0]
        for r in sql_rows(
            "SELECT d.statement FROM pggit.objects o, pggit.create_ddl('table', o.definition) d"
            " WHERE o.hash = pggit.calculate_schema_hash(%s)",
            [t],
        )
    ]
    create = statements[0]
    assert create.startswith(f"CREATE TABLE {t} (")
    for inline in (
        f"CONSTRAINT {t}_pk PRIMARY KEY (id)",
        f"CONSTRAINT {t}_code UNIQUE (code)",
        f"CONSTRAINT {t}_qty CHECK ((qty > 0))",
    ):
        assert inline in create
    assert sorted(statements[1:]) == sorted(
        [
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY (ref) REFERENCES {t}_ref(id)",
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_later CHECK ((qty < 100)) NOT VALID",
        ]
    )
    branch = unique("cc")
    api.create_branch(branch)
    assert hash_in(namespace_of(branch), t) == hash_in("public", t)
