"""The SQL core's layout (issue 15): one file per concern, one definition per function, the
migration installs every file in order, and docs/architecture.md's table says which file holds
which function."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from pggit.operations import SQL_DIR, defined_functions, installed_sql_files

ARCHITECTURE = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
ROW = re.compile(
    r"^\| [^|]+ \| `(?P<file>[0-9]{3}_\w+\.sql)` \| (?P<functions>[^|]+) \|$", re.MULTILINE
)


def test_every_function_has_one_definition_in_one_file():
    definitions = Counter(
        name for path in SQL_DIR.glob("[0-9]*.sql") for name in defined_functions(path.name)
    )
    assert [name for name, count in definitions.items() if count > 1] == []
    text = "\n".join(path.read_text() for path in SQL_DIR.glob("*.sql"))
    assert "CREATE OR REPLACE FUNCTION" not in text, "one live definition: nothing replaces one"


def test_the_migration_installs_every_file_in_file_order():
    files = sorted(path.name for path in SQL_DIR.glob("[0-9]*.sql"))
    assert installed_sql_files() == files


def test_the_architecture_table_lists_each_files_functions():
    documented = {
        m["file"]: sorted(re.findall(r"`(\w+)`", m["functions"]))
        for m in ROW.finditer(ARCHITECTURE.read_text())
    }
    actual = {name: defined_functions(name) for name in installed_sql_files()}
    assert documented == actual
