"""The steps of DDL generation where they decide something (060_ddl_generation.sql): which
columns a table change renames, when an enum is altered in place, the order of a column's
ALTERs, and the named phases."""

from __future__ import annotations

import json

import pytest

from tests.helpers import sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def table(*columns: dict) -> str:
    return json.dumps({"type": "table", "name": "t", "columns": list(columns)})


def col(name: str, type_: str = "integer", **attributes) -> dict:
    return {"name": name, "type": type_, "not_null": False, **attributes}


@pytest.mark.parametrize(
    "old,new,renames",
    [
        ([col("a"), col("b")], [col("a"), col("c")], {"b": "c"}),  # same place, same attributes
        ([col("a"), col("b")], [col("a"), col("c", "text")], {}),  # another type: drop and add
        ([col("a"), col("b")], [col("b"), col("a")], {}),  # swapped: both names still exist
        ([col("a"), col("b")], [col("c"), col("a")], {}),  # a moved: its name still exists
        ([col("a")], [col("a"), col("b")], {}),  # an added column is no rename
    ],
)
def test_column_renames(old, new, renames):
    found = sql_scalar(
        "SELECT pggit.column_renames(%s::jsonb, %s::jsonb)::text", [table(*old), table(*new)]
    )
    assert json.loads(found) == renames


@pytest.mark.parametrize(
    "old,new,in_place",
    [
        (["a", "b"], ["a", "b", "c"], True),
        (["a", "c"], ["a", "b", "c"], True),  # inserted between: ADD VALUE ... BEFORE
        (["a", "b"], ["a"], False),  # a label removed
        (["a", "b"], ["b", "a"], False),  # reordered
        (["a", "b"], ["a", "x"], False),  # renamed (tree_ddl renames those in place)
    ],
)
def test_enum_labels_added(old, new, in_place):
    enum = lambda labels: json.dumps({"type": "enum", "name": "e", "labels": labels})  # noqa: E731
    assert (
        sql_scalar("SELECT pggit.enum_labels_added(%s::jsonb, %s::jsonb)", [enum(old), enum(new)])
        is in_place
    )
    statements = [
        r[1]
        for r in sql_rows(
            "SELECT * FROM pggit.alter_ddl('enum', %s::jsonb, %s::jsonb)", [enum(old), enum(new)]
        )
    ]
    assert statements[0].startswith("ALTER TYPE e ADD VALUE" if in_place else "DROP TYPE e")


def test_a_columns_alters_come_in_the_order_they_must_run():
    """Its old default goes before the type changes (it may not cast), the new one after."""
    old = col("a", "integer", default="0")
    new = col("a", "text", default="'x'::text", not_null=True)
    rows = sql_rows(
        "SELECT phase::text, statement"
        " FROM pggit.alter_column_ddl('t', 'a', 'modified', %s::jsonb, %s::jsonb, '{}')",
        [json.dumps(old), json.dumps(new)],
    )
    assert rows == [
        ("create_tables", "ALTER TABLE t ALTER COLUMN a DROP DEFAULT"),
        ("create_tables", "ALTER TABLE t ALTER COLUMN a TYPE text USING a::text"),
        ("create_tables", "ALTER TABLE t ALTER COLUMN a SET DEFAULT 'x'::text"),
        ("create_tables", "ALTER TABLE t ALTER COLUMN a SET NOT NULL"),
    ]


def test_phases_are_named_once_and_sort_in_run_order():
    phases = [r[0] for r in sql_rows("SELECT unnest(enum_range(NULL::pggit.ddl_phase))::text")]
    assert phases[0] == "drop_triggers_fks" and phases[-1] == "comments_ownership"
    assert (
        phases.index("create_functions")
        < phases.index("add_domain_checks")
        < phases.index("create_tables")
    )
    assert (
        phases.index("create_tables")
        < phases.index("add_foreign_keys")
        < phases.index("create_views")
    )
    assert phases.index("drop_views_constraints") < phases.index("drop_tables_functions")


def test_enum_rename_ddl_renames_only_the_labels_that_changed():
    old = json.dumps({"type": "enum", "name": "mood", "labels": ["calm", "sad"]})
    new = json.dumps({"type": "enum", "name": "mood", "labels": ["calm", "blue"], "comment": "c"})
    rows = sql_rows(
        "SELECT phase::text, statement FROM pggit.enum_rename_ddl(%s::jsonb, %s::jsonb)", [old, new]
    )
    assert rows == [
        ("create_types", "ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'"),
        ("comments_ownership", "COMMENT ON TYPE mood IS 'c'"),
    ]


def test_domain_alter_ddl_drops_changed_checks_early_and_adds_them_after_functions():
    old = {
        "type": "domain",
        "name": "qty",
        "base_type": "integer",
        "constraints": {"pos": "CHECK (VALUE > 0)"},
    }
    new = {
        **old,
        "constraints": {"pos": "CHECK (VALUE >= 0)", "cap": "CHECK (VALUE < 10)"},
        "default": "1",
        "not_null": True,
    }
    rows = sql_rows(
        "SELECT phase::text, statement FROM pggit.domain_alter_ddl(%s::jsonb, %s::jsonb)",
        [json.dumps(old), json.dumps(new)],
    )
    assert sorted(rows) == sorted(
        [
            ("drop_domain_checks_rename_columns", "ALTER DOMAIN qty DROP CONSTRAINT pos"),
            ("add_domain_checks", "ALTER DOMAIN qty ADD CONSTRAINT pos CHECK (VALUE >= 0)"),
            ("add_domain_checks", "ALTER DOMAIN qty ADD CONSTRAINT cap CHECK (VALUE < 10)"),
            ("add_domain_checks", "ALTER DOMAIN qty SET DEFAULT 1"),
            ("add_domain_checks", "ALTER DOMAIN qty SET NOT NULL"),
        ]
    )


DOMAIN = {
    "type": "domain",
    "name": "qty",
    "base_type": "integer",
    "constraints": {"pos": "CHECK (VALUE > 0)"},
}


@pytest.mark.parametrize(
    "change,in_place",
    [
        ({"constraints": {"pos": "CHECK (VALUE >= 0)"}}, True),
        ({"default": "1", "not_null": True, "comment": "c"}, True),
        ({"base_type": "bigint"}, False),  # another base type: drop and re-create
        ({}, False),  # unchanged: nothing to alter
    ],
)
def test_domain_alters_in_place(change, in_place):
    found = sql_scalar(
        "SELECT pggit.domain_alters_in_place(%s::jsonb, %s::jsonb)",
        [json.dumps(DOMAIN), json.dumps({**DOMAIN, **change})],
    )
    assert found is in_place


@pytest.mark.parametrize(
    "old,new,renamed",
    [
        (["a", "b"], ["a", "x"], True),
        (["a", "b"], ["y", "x"], True),
        (["a", "b"], ["b", "a"], False),  # swapped: both labels still exist
        (["a", "b"], ["a", "b", "c"], False),  # added (enum_labels_added's case)
        (["a", "b"], ["x"], False),  # fewer labels
        (["a", "b"], ["a", "b"], False),  # unchanged
    ],
)
def test_enum_labels_renamed(old, new, renamed):
    enum = lambda labels: json.dumps({"type": "enum", "name": "e", "labels": labels})  # noqa: E731
    found = sql_scalar(
        "SELECT pggit.enum_labels_renamed(%s::jsonb, %s::jsonb)", [enum(old), enum(new)]
    )
    assert found is renamed


def object_ddl(
    type_: str, old: dict | None, new: dict | None, rebuilt: bool = False
) -> list[tuple]:
    return sql_rows(
        "SELECT phase::text, statement FROM pggit.object_ddl(%s, %s::jsonb, %s::jsonb, %s)",
        [type_, old and json.dumps(old), new and json.dumps(new), rebuilt],
    )


def test_object_ddl_creates_a_domain_with_its_checks_after_the_functions():
    assert object_ddl("domain", None, DOMAIN) == [
        ("create_types", "CREATE DOMAIN qty AS integer"),
        ("add_domain_checks", "ALTER DOMAIN qty ADD CONSTRAINT pos CHECK (VALUE > 0)"),
    ]


def test_object_ddl_drops_a_retyped_domains_checks_before_the_functions_go():
    rows = object_ddl("domain", DOMAIN, {**DOMAIN, "base_type": "bigint"})
    assert rows[-1] == ("drop_domain_checks_rename_columns", "ALTER DOMAIN qty DROP CONSTRAINT pos")
    assert ("drop_types_sequences", "DROP DOMAIN qty") in rows
    assert ("add_domain_checks", "ALTER DOMAIN qty ADD CONSTRAINT pos CHECK (VALUE > 0)") in rows


def test_object_ddl_alters_a_domain_that_keeps_its_base_type_in_place():
    rows = object_ddl("domain", DOMAIN, {**DOMAIN, "default": "1"})
    assert rows == [("add_domain_checks", "ALTER DOMAIN qty SET DEFAULT 1")]


def test_object_ddl_renames_enum_labels_and_rebuilds_a_view_by_drop_then_create():
    enum = lambda labels: {"type": "enum", "name": "e", "labels": labels}  # noqa: E731
    assert object_ddl("enum", enum(["a", "b"]), enum(["a", "x"])) == [
        ("create_types", "ALTER TYPE e RENAME VALUE 'b' TO 'x'")
    ]
    view = {"type": "view", "name": "v", "query": "SELECT 1"}
    assert object_ddl("view", view, view, rebuilt=True) == [
        ("drop_views_constraints", "DROP VIEW v"),
        ("create_views", "CREATE VIEW v AS SELECT 1"),
    ]
    assert object_ddl("view", view, None) == [("drop_views_constraints", "DROP VIEW v")]


@pytest.mark.parametrize(
    "type_,definition,text",
    [
        ("view", {"query": "SELECT * FROM t"}, "SELECT * FROM t"),
        (
            "function",
            {"arguments": "a mood, b integer", "result": "SETOF t", "sql_body": False, "body": "x"},
            "mood integer SETOF t",  # types only; a plain body is not parsed at creation
        ),
        (
            "function",
            {"arguments": "n mood", "result": "integer", "sql_body": True, "body": "RETURN f(n)"},
            "mood integer RETURN f(n)",  # a SQL-standard body is parsed at creation
        ),
        ("domain", {"base_type": "mood"}, "mood"),
        ("composite_type", {"attributes": [["a", "mood"], ["b", "integer"]]}, "mood, integer"),
        ("enum", {"labels": ["a"]}, None),
    ],
)
def test_reference_text(type_, definition, text):
    assert (
        sql_scalar("SELECT pggit.reference_text(%s, %s::jsonb)", [type_, json.dumps(definition)])
        == text
    )


@pytest.mark.parametrize(
    "new_column,retyped",
    [
        (col("a", "bigint"), True),
        (col("a", "integer", collation='"C"'), True),
        (col("a", "integer", not_null=True), False),  # another attribute: altered under a view
        (col("b", "bigint"), False),  # another column: not the same one retyped
    ],
)
def test_columns_retyped(new_column, retyped):
    found = sql_scalar(
        "SELECT pggit.columns_retyped(%s::jsonb, %s::jsonb)",
        [table(col("a")), table(new_column)],
    )
    assert found is retyped


def node(side: str, key: str, source: str | None = None, drops: bool = False) -> list:
    """A pggit.ddl_node's fields: its token is the name in its key."""
    return [side, key, key.split(":")[0], key.split(".")[1].split("(")[0], source, drops]


def test_ddl_dependencies_orders_marks_late_functions_and_views_to_rebuild():
    nodes = [
        node("old", "table:public.t", drops=True),  # a column of t changes type
        node("old", "view:public.v", "SELECT a FROM t"),
        node("old", "view:public.w", "SELECT a FROM v"),
        node("old", "view:public.x", "SELECT 'w' AS t"),  # 'w' is a literal; AS t names t
        node("old", "function:public.f()", "SETOF t"),  # returns t's rows: late
        node("old", "function:public.g()", "integer RETURN f()"),  # calls a late function
        node("old", "function:public.h()", "integer"),
        node("new", "view:public.v", "SELECT 1"),
    ]
    rows = sql_rows(
        "SELECT side, object_key, depth, late, dropped FROM pggit.ddl_dependencies(ARRAY["
        + ", ".join(["ROW(%s, %s, %s, %s, %s, %s)::pggit.ddl_node"] * len(nodes))
        + "]) ORDER BY 1, 2",
        [field for n in nodes for field in n],
    )
    assert rows == [
        ("new", "view:public.v", 0, False, False),
        ("old", "function:public.f()", 0, True, False),
        ("old", "function:public.g()", 1, True, False),
        ("old", "function:public.h()", 0, False, False),
        ("old", "view:public.v", 0, False, True),  # over the retyped table
        ("old", "view:public.w", 1, False, True),  # over v
        ("old", "view:public.x", 0, False, True),  # a false edge (a column alias): rebuilt too
    ]


def test_tree_definitions_reads_view_type_and_function_definitions_only_when_ordering(unique):
    view = {"type": "view", "name": unique("v"), "query": "SELECT 1"}
    old_table = json.loads(table(col("a")))
    new_table = json.loads(table(col("a"), col("b")))
    hashes = {}
    for name, definition in {"view": view, "old": old_table, "new": new_table}.items():
        hashes[name] = sql_scalar(
            "INSERT INTO pggit.objects (hash, object_type, definition)"
            " SELECT pggit.hash_definition(%s::jsonb), %s, %s::jsonb ON CONFLICT (hash) DO UPDATE"
            " SET hash = EXCLUDED.hash RETURNING hash",
            [json.dumps(definition), definition["type"], json.dumps(definition)],
        )
    before = {"table:public.t": hashes["old"], "view:public.v": hashes["view"]}

    def read(after: dict) -> dict:
        rows = sql_rows(
            "SELECT object_key, old_def IS NOT NULL, new_def IS NOT NULL, ordered"
            " FROM pggit.tree_definitions(%s::jsonb, %s::jsonb)",
            [json.dumps(before), json.dumps(after)],
        )
        return {key: rest for key, *rest in rows}

    # a column added: the table's definitions only; the view is not ordered, nor read
    assert read({**before, "table:public.t": hashes["new"]}) == {
        "table:public.t": [True, True, False],
        "view:public.v": [False, False, False],
    }
    # the view goes: every view, type and function is ordered and read
    assert read({"table:public.t": hashes["new"]}) == {
        "table:public.t": [True, True, False],
        "view:public.v": [True, False, True],
    }


FUNCTION = {
    "type": "function",
    "name": "f",
    "kind": "f",
    "arguments": "n integer",
    "identity_arguments": "n integer",
    "result": "integer",
    "language": "sql",
    "body": "SELECT n",
    "volatility": "v",
}


@pytest.mark.parametrize(
    "change,replaceable",
    [
        (
            {"body": "SELECT n + 1", "volatility": "i", "strict": True, "config": ["work_mem=1MB"]},
            True,
        ),
        ({"comment": "c", "security_definer": True, "parallel": "s"}, True),
        ({"result": "bigint"}, False),  # CREATE OR REPLACE cannot change the result type
        ({"arguments": "m integer", "identity_arguments": "m integer"}, False),
        ({"language": "plpgsql"}, False),
    ],
)
def test_function_replaceable(change, replaceable):
    found = sql_scalar(
        "SELECT pggit.function_replaceable(%s::jsonb, %s::jsonb)",
        [json.dumps(FUNCTION), json.dumps({**FUNCTION, **change})],
    )
    assert found is replaceable
    first = sql_rows(
        "SELECT statement FROM pggit.alter_ddl('function', %s::jsonb, %s::jsonb)",
        [json.dumps(FUNCTION), json.dumps({**FUNCTION, **change})],
    )[0][0]
    assert first.startswith("CREATE OR REPLACE FUNCTION f(" if replaceable else "DROP FUNCTION f(")


def test_enum_add_ddl_adds_each_new_label_before_the_next_old_one():
    enum = lambda labels: json.dumps({"type": "enum", "name": "mood", "labels": labels})  # noqa: E731
    rows = sql_rows(
        "SELECT phase::text, statement FROM pggit.enum_add_ddl(%s::jsonb, %s::jsonb)",
        [enum(["calm", "sad"]), enum(["new", "calm", "mid", "sad", "last"])],
    )
    assert rows == [
        ("create_types", "ALTER TYPE mood ADD VALUE 'new' BEFORE 'calm'"),
        ("create_types", "ALTER TYPE mood ADD VALUE 'mid' BEFORE 'sad'"),
        ("create_types", "ALTER TYPE mood ADD VALUE 'last'"),
    ]
