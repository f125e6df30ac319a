"""Hypothesis strategies for valid PostgreSQL tables and single schema changes.

A generated table is a list of columns (name, type, default, NOT NULL) and an optional
primary key. A generated change is a pair of statement lists (apply, undo) that really
changes the table's structure and restores it exactly. All SQL is unqualified: run it with
search_path set to the schema that should hold the table. Identifiers include ones that need
quoting (mixed case, spaces, unicode, a double quote); every one is quoted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

# type -> default expressions valid for it
TYPES: dict[str, list[str]] = {
    "integer": ["0", "42"],
    "bigint": ["7"],
    "smallint": ["1"],
    "numeric(10,2)": ["1.50"],
    "text": ["'abc'"],
    "varchar(20)": ["'x'"],
    "boolean": ["true"],
    "date": ["'2020-01-01'"],
    "timestamptz": ["now()"],
    "uuid": ["gen_random_uuid()"],
    "jsonb": ["'{}'::jsonb"],
    "integer[]": ["'{}'"],
}
NAMES = ["a", "b2", "qty", "Mixed", "with space", "ünïcode", 'quo"te', "semi;colon"]


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    default: str | None
    not_null: bool

    def sql(self) -> str:
        return " ".join(
            part
            for part in (
                q(self.name),
                self.type,
                f"DEFAULT {self.default}" if self.default else "",
                "NOT NULL" if self.not_null else "",
            )
            if part
        )


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: str | None = None

    def create_sql(self) -> list[str]:
        parts = [c.sql() for c in self.columns]
        if self.primary_key:
            parts.append(f"PRIMARY KEY ({q(self.primary_key)})")
        return [f"CREATE TABLE {q(self.name)} ({', '.join(parts)})"]


@dataclass(frozen=True)
class Change:
    kind: str
    apply: list[str] = field(default_factory=list)
    undo: list[str] = field(default_factory=list)


@st.composite
def columns(draw) -> Column:
    name = draw(st.sampled_from(NAMES))
    type_ = draw(st.sampled_from(sorted(TYPES)))
    default = draw(st.none() | st.sampled_from(TYPES[type_]))
    return Column(name, type_, default, draw(st.booleans()))


@st.composite
def tables(draw, name: str = "t") -> Table:
    cols = draw(st.lists(columns(), min_size=1, max_size=5, unique_by=lambda c: c.name))
    key = None
    if draw(st.booleans()):
        key_col = Column("id", "integer", None, True)
        cols = [key_col, *cols] if all(c.name != "id" for c in cols) else cols
        key = "id"
    return Table(name, tuple(cols), key)


@st.composite
def changes(draw, table: Table) -> Change:
    """One structural change of ``table`` (assumed empty) and the statements undoing it."""
    t = q(table.name)
    names = {c.name for c in table.columns}
    col = draw(st.sampled_from(table.columns))
    options = ["add_column", "rename_column", "comment", "index", "check", "unique"]
    if col.default is None:
        options.append("set_default")
    else:
        options.append("drop_default")
    if col.name != table.primary_key:  # a primary key column stays NOT NULL
        options.append("set_not_null" if not col.not_null else "drop_not_null")
    if col.type == "integer" and col.name != table.primary_key:
        options.append("widen_type")
    if len(table.columns) > 1 and col.name != table.primary_key and col is table.columns[-1]:
        options.append("drop_last_column")  # re-adding it restores the column order exactly
    kind = draw(st.sampled_from(options))
    c = q(col.name)
    if kind == "add_column":
        new = draw(columns().filter(lambda n: n.name not in names))
        new = Column(new.name, new.type, new.default, new.not_null and new.default is not None)
        return Change(
            kind,
            [f"ALTER TABLE {t} ADD COLUMN {new.sql()}"],
            [f"ALTER TABLE {t} DROP COLUMN {q(new.name)}"],
        )
    if kind == "drop_last_column":
        return Change(
            kind, [f"ALTER TABLE {t} DROP COLUMN {c}"], [f"ALTER TABLE {t} ADD COLUMN {col.sql()}"]
        )
    if kind == "rename_column":
        other = draw(st.sampled_from([n for n in NAMES + ["renamed"] if n not in names]))
        return Change(
            kind,
            [f"ALTER TABLE {t} RENAME COLUMN {c} TO {q(other)}"],
            [f"ALTER TABLE {t} RENAME COLUMN {q(other)} TO {c}"],
        )
    if kind == "comment":
        return Change(
            kind, [f"COMMENT ON TABLE {t} IS 'generated'"], [f"COMMENT ON TABLE {t} IS NULL"]
        )
    if kind == "index":
        index = q(f"{table.name}_gen_idx")
        return Change(kind, [f"CREATE INDEX {index} ON {t} ({c})"], [f"DROP INDEX {index}"])
    if kind == "check":
        return Change(
            kind,
            [f"ALTER TABLE {t} ADD CONSTRAINT gen_check CHECK ({c} IS NOT NULL OR true)"],
            [f"ALTER TABLE {t} DROP CONSTRAINT gen_check"],
        )
    if kind == "unique":
        return Change(
            kind,
            [f"ALTER TABLE {t} ADD CONSTRAINT gen_unique UNIQUE ({c})"],
            [f"ALTER TABLE {t} DROP CONSTRAINT gen_unique"],
        )
    if kind == "set_default":
        return Change(
            kind,
            [f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {TYPES[col.type][0]}"],
            [f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"],
        )
    if kind == "drop_default":
        return Change(
            kind,
            [f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT"],
            [f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {col.default}"],
        )
    if kind == "set_not_null":
        return Change(
            kind,
            [f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"],
            [f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL"],
        )
    if kind == "drop_not_null":
        return Change(
            kind,
            [f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL"],
            [f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"],
        )
    assert kind == "widen_type"
    return Change(
        kind,
        [f"ALTER TABLE {t} ALTER COLUMN {c} TYPE bigint"],
        [f"ALTER TABLE {t} ALTER COLUMN {c} TYPE integer"],
    )


@st.composite
def tables_with_changes(draw, name: str = "t", max_changes: int = 3) -> tuple[Table, list[Change]]:
    """A table and a sequence of changes, each valid on the table as the previous ones left
    it (changes are drawn against the original definition and applied with their undo in
    between, so they stay independent)."""
    table = draw(tables(name))
    return table, draw(st.lists(changes(table), min_size=1, max_size=max_changes))
