"""Property tests: the laws of schema hashing, versions, snapshots, diff and merge.

Each example runs in a savepoint that is rolled back, so nothing leaks between examples.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from pggit import api
from pggit.models import Branch
from tests.helpers import full_tree, run
from tests.property.schema_strategies import changes, q, tables, tables_with_changes

DB_SETTINGS = settings(settings.get_profile("ci-db"))
pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


@contextmanager
def isolated():
    """Run one example and roll everything it did back."""
    try:
        with transaction.atomic():
            yield
            raise _Rollback
    except _Rollback:
        pass


def table_hash(schema: str, table: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pggit.calculate_schema_hash(%s)", [f"{q(schema)}.{q(table)}"])
        return cursor.fetchone()[0]


def fresh_schema() -> str:
    name = f"prop_{uuid.uuid4().hex[:10]}"
    run(f"CREATE SCHEMA {name}")
    return name


@DB_SETTINGS
@given(tables())
def test_generated_tables_are_valid_postgresql(table):
    """The strategy's own law: every generated table can be created, with the columns asked."""
    with isolated():
        schema = fresh_schema()
        run(*table.create_sql(), schema=schema)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT column_name, is_nullable FROM information_schema.columns"
                " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                [schema, table.name],
            )
            found = cursor.fetchall()
        assert [name for name, _ in found] == [c.name for c in table.columns]
        assert [n == "NO" for _, n in found] == [
            c.not_null or c.name == table.primary_key for c in table.columns
        ]


@DB_SETTINGS
@given(tables())
def test_same_ddl_in_two_schemas_hashes_the_same(table):
    with isolated():
        a, b = fresh_schema(), fresh_schema()
        run(*table.create_sql(), schema=a)
        run(*table.create_sql(), schema=b)
        assert table_hash(a, table.name) == table_hash(b, table.name) is not None


@DB_SETTINGS
@given(st.data())
def test_any_single_change_changes_the_hash_and_its_undo_restores_it(data):
    table = data.draw(tables())
    change = data.draw(changes(table))
    with isolated():
        schema = fresh_schema()
        run(*table.create_sql(), schema=schema)
        original = table_hash(schema, table.name)
        run(*change.apply, schema=schema)
        assert table_hash(schema, table.name) != original, change.kind
        run(*change.undo, schema=schema)
        assert table_hash(schema, table.name) == original, change.kind


def version_of(table: str) -> tuple[int, int, int]:
    v = api.get_version(f"public.{q(table)}")
    return (v.major, v.minor, v.patch)


@DB_SETTINGS
@given(tables_with_changes())
def test_versions_never_decrease_and_major_resets_the_rest(case):
    table, steps = case
    name = f"v_{uuid.uuid4().hex[:10]}"
    table = type(table)(name, table.columns, table.primary_key)
    with isolated():
        run(*table.create_sql(), schema="public")
        api.commit("create")
        previous = version_of(name)
        assert previous == (1, 0, 0)
        for change in steps:
            for statements in (change.apply, change.undo):
                run(
                    *[
                        s.replace(q("t"), q(name)).replace('"t_gen_idx"', q(f"{name}_gen_idx"))
                        for s in statements
                    ],
                    schema="public",
                )
                api.commit(change.kind)
                current = version_of(name)
                assert current > previous, f"{change.kind}: {previous} -> {current}"
                if current[0] > previous[0]:
                    assert current[1:] == (0, 0), "a major bump resets minor and patch"
                elif current[1] > previous[1]:
                    assert current[2] == 0, "a minor bump resets patch"
                previous = current


@DB_SETTINGS
@given(tables())
def test_committing_twice_without_change_writes_no_definition(table):
    name = f"d_{uuid.uuid4().hex[:10]}"
    table = type(table)(name, table.columns, table.primary_key)
    with isolated():
        run(*table.create_sql(), schema="public")
        api.commit("with table")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT (SELECT count(*) FROM pggit.objects), (SELECT count(*) FROM pggit.trees)"
            )
            before = cursor.fetchone()
            first, second = api.commit("same"), api.commit("same again")
            cursor.execute(
                "SELECT (SELECT count(*) FROM pggit.objects), (SELECT count(*) FROM pggit.trees)"
            )
            assert cursor.fetchone() == before
        assert first.tree_hash == second.tree_hash


def _namespace(branch: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.namespace FROM pggit.workspaces w JOIN pggit.branches b ON b.id = w.branch_id"
            " WHERE b.name = %s AND b.status <> 'DELETED'",
            [branch],
        )
        return cursor.fetchone()[0]


@DB_SETTINGS
@given(tables_with_changes())
def test_changes_made_only_on_a_branch_merge_into_main_exactly(case):
    table, steps = case
    name = f"m_{uuid.uuid4().hex[:10]}"
    with isolated():
        run(
            *[
                s.replace(q("t"), q(name))
                for s in type(table)(name, table.columns, table.primary_key).create_sql()
            ],
            schema="public",
        )
        api.commit("create")
        branch = f"prop/{name}"
        api.create_branch(branch)
        ns = _namespace(branch)
        for change in steps[:1] + [c for c in steps[1:] if c.kind == "comment"]:
            run(
                *[
                    s.replace(q("t"), q(name)).replace('"t_gen_idx"', q(f"{name}_gen_idx"))
                    for s in change.apply
                ],
                schema=ns,
            )
        api.commit("branch work", branch=branch)
        api.merge(branch, "main")
        assert table_hash("public", name) == table_hash(ns, name)
        assert api.status("main") == []


@DB_SETTINGS
@given(tables_with_changes())
def test_diff_applied_to_a_copy_of_a_yields_b(case):
    table, steps = case
    name = f"x_{uuid.uuid4().hex[:10]}"
    with isolated():
        run(*type(table)(name, table.columns, table.primary_key).create_sql(), schema="public")
        api.commit("create")
        b, copy = f"prop/b/{name}", f"prop/copy/{name}"
        api.create_branch(b)
        run(
            *[
                s.replace(q("t"), q(name)).replace('"t_gen_idx"', q(f"{name}_gen_idx"))
                for s in steps[0].apply
            ],
            schema=_namespace(b),
        )
        b_head = api.commit("b", branch=b)
        api.create_branch(copy)
        run(*api.diff_ddl("main", b), schema=_namespace(copy))
        assert api.commit("applied", branch=copy).tree_hash == b_head.tree_hash
        assert Branch.objects.filter(name=copy, status="ACTIVE").exists()


@DB_SETTINGS
@given(tables_with_changes())
def test_incremental_commit_tree_equals_the_full_snapshot(case):
    """A commit re-serializes only what its DDL touched (and its dependents), yet after any
    sequence of changes and undos its tree is the one a full snapshot gives."""
    table, steps = case
    name = f"i_{uuid.uuid4().hex[:10]}"
    with isolated():
        run(*type(table)(name, table.columns, table.primary_key).create_sql(), schema="public")
        run(f"CREATE VIEW {q(name + '_n')} AS SELECT count(*) AS n FROM {q(name)}", schema="public")
        api.commit("create")
        for change in steps:
            for statements in (change.apply, change.undo):
                run(
                    *[
                        s.replace(q("t"), q(name)).replace('"t_gen_idx"', q(f"{name}_gen_idx"))
                        for s in statements
                    ],
                    schema="public",
                )
                expected = full_tree()
                assert api.commit(change.kind).tree_hash == expected, change.kind


# Views over a table and over each other, named so that name order and dependency order are
# unrelated: keywords, mixed case, spaces, unicode, quotes, semicolons.
VIEW_NAMES = ["a", "Zed", "select", "m x", "ünï", 'q"t', "s;c", "order", "b9", "yy"]


@st.composite
def view_stacks(draw):
    """[(name, materialized, sources, literal)] in creation order: each view reads the table or
    earlier views (sources), and may carry another view's name in a string literal."""
    names = draw(st.lists(st.sampled_from(VIEW_NAMES), min_size=2, max_size=6, unique=True))
    stack = []
    for i, name in enumerate(names):
        earlier = [None] + names[:i]
        sources = draw(st.lists(st.sampled_from(earlier), min_size=1, max_size=2, unique=True))
        literal = draw(st.sampled_from(names))
        stack.append((name, draw(st.booleans()) and i > 0, sources, literal))
    return stack


def view_sql(table: str, name: str, materialized: bool, sources: list, literal: str) -> str:
    """Every view has the columns (id, label): the id of the first relation it reads."""
    joined = " CROSS JOIN ".join(
        f"{q(table) if s is None else q(s)} r{i}" for i, s in enumerate(sources)
    )
    kind = "MATERIALIZED VIEW" if materialized else "VIEW"
    label = literal.replace(chr(39), chr(39) * 2)
    return f"CREATE {kind} {q(name)} AS SELECT r0.id, '{label}' AS label FROM {joined}"


@DB_SETTINGS
@given(view_stacks())
def test_any_stack_of_views_branches_and_its_scripts_apply_both_ways(stack):
    """Law: whatever the names, a branch copies a stack of views exactly, and diff_ddl's scripts
    build it on a copy without it and tear it down on a copy with it."""
    table = f"vs_{uuid.uuid4().hex[:10]}"
    with isolated():
        run(f"CREATE TABLE {q(table)} (id int PRIMARY KEY)", schema="public")
        api.commit("base")
        empty, full = f"prop/vs-empty/{table}", f"prop/vs-full/{table}"
        api.create_branch(empty)
        api.create_branch(full)
        run(*[view_sql(table, *view) for view in stack], schema=_namespace(full))
        full_tree_hash = api.commit("views", branch=full).tree_hash

        copy = f"prop/vs-copy/{table}"
        api.create_branch(copy, from_branch=full)
        assert api.status(copy) == [], "the branch copied every view exactly"

        build = f"prop/vs-build/{table}"
        api.create_branch(build, from_branch=empty)
        run(*api.diff_ddl(empty, full), schema=_namespace(build))
        assert api.commit("built", branch=build).tree_hash == full_tree_hash

        run(*api.diff_ddl(full, empty), schema=_namespace(copy))
        assert (
            api.commit("torn down", branch=copy).tree_hash == api.log(empty, limit=1)[0].tree_hash
        )
