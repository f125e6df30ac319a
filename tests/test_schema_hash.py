"""pggit.calculate_schema_hash: name forms, normalization, sensitivity, bad input."""

from __future__ import annotations

import pytest

from pggit import api
from pggit.exceptions import InvalidTableName, NotATable
from tests.helpers import run, sql_error, sql_scalar

pytestmark = pytest.mark.django_db


def h(name: str) -> str | None:
    return sql_scalar("SELECT pggit.calculate_schema_hash(%s)", [name])


@pytest.fixture
def two_schemas(unique):
    a, b = unique("sa").replace("-", "_"), unique("sb").replace("-", "_")
    run(f"CREATE SCHEMA {a}", f"CREATE SCHEMA {b}")
    return a, b


def test_name_forms_resolve_to_the_same_table(unique):
    t = unique("forms").replace("-", "_")
    run(f"CREATE TABLE {t} (id int)")
    assert h(t) == h(f"public.{t}") == h(f'"public"."{t}"') == h(t.upper())
    assert len(h(t)) == 64


def test_quoted_and_unicode_identifiers(unique):
    name = 'Weird "Näme"; DROP TABLE x; --'
    run(f'CREATE TABLE "{name.replace(chr(34), chr(34) * 2)}" (id int)')
    quoted = '"' + name.replace('"', '""') + '"'
    assert h(quoted) is not None
    assert h(f"public.{quoted}") == h(quoted)


def test_missing_table_is_null_never_an_error(unique):
    assert h(unique("nosuch").replace("-", "_")) is None
    assert h("nosuch_schema.nosuch_table") is None
    assert h('"' + "x" * 70 + '"') is None  # longer than any identifier can be
    assert api.schema_hash("no_such_table_here") is None


@pytest.mark.parametrize(
    "name", [None, "", "   ", "a;b", "a b", 'x"; DROP TABLE canary; --', "a.b.c.d", '"unterminated']
)
def test_invalid_names_raise_pgt01(name):
    canary = sql_scalar("SELECT count(*) FROM pggit.branches")
    err = sql_error("SELECT pggit.calculate_schema_hash(%s)", [name])
    assert err.sqlstate == "PGT01" and err.diag.message_hint
    assert sql_scalar("SELECT count(*) FROM pggit.branches") == canary


def test_views_sequences_and_indexes_are_not_tables(unique):
    n = unique("nt").replace("-", "_")
    run(
        f"CREATE TABLE {n}_t (id int PRIMARY KEY)",
        f"CREATE VIEW {n}_v AS SELECT 1 AS x",
        f"CREATE SEQUENCE {n}_s",
        f"CREATE MATERIALIZED VIEW {n}_m AS SELECT 1 AS x",
    )
    for rel in (f"{n}_v", f"{n}_s", f"{n}_t_pkey", f"{n}_m"):
        err = sql_error("SELECT pggit.calculate_schema_hash(%s)", [rel])
        assert err.sqlstate == "PGT03", rel
    with pytest.raises(NotATable):
        api.schema_hash(f"{n}_v")
    with pytest.raises(InvalidTableName):
        api.schema_hash("a;b")


def test_same_ddl_in_two_schemas_hashes_the_same(two_schemas):
    for s in two_schemas:
        run(
            f"CREATE TYPE {s}.mood AS ENUM ('ok', 'meh')",
            f"CREATE TABLE {s}.parent (id serial PRIMARY KEY)",
            f"CREATE TABLE {s}.t (id int PRIMARY KEY, m {s}.mood, p int REFERENCES {s}.parent (id),"
            f" note text COLLATE \"C\" DEFAULT 'x', CONSTRAINT pos CHECK (id > 0))",
            f"CREATE UNIQUE INDEX t_note ON {s}.t (note) WHERE note IS NOT NULL",
        )
    a, b = two_schemas
    assert h(f"{a}.t") == h(f"{b}.t")
    assert h(f"{a}.parent") == h(f"{b}.parent")


def test_creation_order_of_indexes_and_constraints_does_not_matter(two_schemas):
    a, b = two_schemas
    run(
        f"CREATE TABLE {a}.t (x int, y int)",
        f"CREATE INDEX ix ON {a}.t (x)",
        f"CREATE INDEX iy ON {a}.t (y)",
        f"ALTER TABLE {a}.t ADD CONSTRAINT cx CHECK (x > 0), ADD CONSTRAINT cy CHECK (y > 0)",
    )
    run(
        f"CREATE TABLE {b}.t (x int, y int)",
        f"CREATE INDEX iy ON {b}.t (y)",
        f"CREATE INDEX ix ON {b}.t (x)",
        f"ALTER TABLE {b}.t ADD CONSTRAINT cy CHECK (y > 0)",
        f"ALTER TABLE {b}.t ADD CONSTRAINT cx CHECK (x > 0)",
    )
    assert h(f"{a}.t") == h(f"{b}.t")


def test_oids_and_dropped_columns_do_not_matter(two_schemas):
    a, b = two_schemas
    run(f"CREATE TABLE {a}.t (id int, v text)")
    run(f"CREATE TABLE {b}.t (id int, junk int, v text)", f"ALTER TABLE {b}.t DROP COLUMN junk")
    assert h(f"{a}.t") == h(f"{b}.t")


def test_add_then_drop_column_restores_the_hash(unique):
    t = unique("undo").replace("-", "_")
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
    original = h(t)
    run(f"ALTER TABLE {t} ADD COLUMN extra int")
    assert h(t) != original
    run(f"ALTER TABLE {t} DROP COLUMN extra")
    assert h(t) == original


@pytest.mark.parametrize(
    "change",
    [
        "ALTER TABLE {t} ADD COLUMN c int",
        "ALTER TABLE {t} ALTER COLUMN v TYPE varchar(10)",
        "ALTER TABLE {t} ALTER COLUMN v SET DEFAULT 'd'",
        "ALTER TABLE {t} ALTER COLUMN v SET NOT NULL",
        "ALTER TABLE {t} ADD CONSTRAINT ck CHECK (id > 0)",
        "ALTER TABLE {t} ADD CONSTRAINT uq UNIQUE (v)",
        "CREATE INDEX {t}_v ON {t} (v)",
        "ALTER TABLE {t} DROP CONSTRAINT {t}_pkey",
        "ALTER TABLE {t} RENAME COLUMN v TO w",
    ],
)
def test_any_structural_change_changes_the_hash(unique, change):
    t = unique("sens").replace("-", "_")
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
    before = h(t)
    run(change.format(t=t))
    assert h(t) != before


def test_hash_equals_the_tables_object_hash_in_commits(unique):
    t = unique("objh").replace("-", "_")
    run(f"CREATE TABLE {t} (id int)")
    commit = api.commit("obj")
    assert api.show(commit.hash)["tree"][f"table:public.{t}"] == h(t)
