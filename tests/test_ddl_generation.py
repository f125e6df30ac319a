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
