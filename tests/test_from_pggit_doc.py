"""docs/from-pggit.md: its worked example runs as written and gives the results it shows."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from django.db import connection

from pggit.models import Commit

pytestmark = pytest.mark.django_db

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "from-pggit.md"


def worked_example() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    found = re.search(r"<!-- worked-example -->\n```sql\n(.*?)\n```", text, re.S)
    assert found, "the guide has a worked example"
    return found.group(1)


def statements(script: str) -> list[str]:
    """Split on semicolons outside dollar quotes, string literals and -- comments."""
    out: list[str] = []
    current: list[str] = []
    i, quote = 0, None
    while i < len(script):
        ch = script[i]
        if quote is None and script.startswith("--", i):
            end = script.find("\n", i)
            i = len(script) if end < 0 else end
            continue
        if quote is None and script.startswith("$$", i):
            quote, step = "$$", 2
        elif quote == "$$" and script.startswith("$$", i):
            quote, step = None, 2
        elif quote is None and ch == "'":
            quote, step = "'", 1
        elif quote == "'" and ch == "'":
            quote, step = None, 1
        elif quote is None and ch == ";":
            out.append("".join(current).strip())
            current, i = [], i + 1
            continue
        else:
            step = 1
        current.append(script[i : i + step])
        i += step
    assert not "".join(current).strip(), "every statement ends with a semicolon"
    return [s for s in out if s]


def test_the_worked_example_runs_and_shows_what_the_guide_says():
    results: list[list[tuple]] = []
    with connection.cursor() as cursor:
        for statement in statements(worked_example()):
            cursor.execute(statement)
            if cursor.description is not None:
                results.append(list(cursor.fetchall()))
    (
        new_version,
        committed,
        repeated,
        committed_version,
        recorded,
        same_hash,
        changed,
        view,
        message,
        diff,
        main_rows,
        incremented,
        trinity,
        deleted,
    ) = results
    assert new_version == [(1, 0, 0, "1.0.0", False)]
    assert committed == repeated and len(committed[0][0]) == 64
    assert Commit.objects.filter(commit_id="deploy-2026-11-30-1").count() == 1
    assert committed_version == [(1, 0, 0, "1.0.0", True)]
    assert recorded == [("deploy-2026-11-30-1", True)]
    assert same_hash == [(True,)]
    assert changed == [("1.1.0", False)]
    assert re.fullmatch(r"pggit_b\d+_\d+_data\.invoices", view[0][0])
    assert message[0][0].startswith(
        "Commit public.invoices before branching its data to feature/billing: the new branch"
    )
    assert [(change, json.loads(key)) for change, key in diff] == [("added", {"id": 11})]
    assert main_rows == [(1,)]
    assert incremented == [("1.1.0",)]
    assert uuid.UUID(trinity[0][0]).version == 7
    assert deleted == [("DELETED",)]


def test_the_guide_is_in_the_docs_navigation():
    nav = (GUIDE.parent.parent / "mkdocs.yml").read_text(encoding="utf-8")
    assert "from-pggit.md" in nav
