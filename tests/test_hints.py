"""Hints in the caller's language (issue 21): the SQL core's hints speak SQL; the Python API's
exceptions say the same in Python and the commands in manage.py commands and flags. Every HINT
of pggit/sql/ that names SQL has a translation on both sides, and no translation names SQL."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pggit import api
from pggit.cli import COMMAND_HINTS, command_hint
from pggit.exceptions import PYTHON_HINTS, BranchNotFound, UnmergedCommits, python_hint
from tests.helpers import ident, on_branch

SQL_DIR = Path(__file__).resolve().parent.parent / "pggit" / "sql"
# What makes a hint SQL: a statement, a pggit.function() call, a named argument, an array.
SPEAKS_SQL = re.compile(r"\bSELECT\b|pggit\.\w+\(|=>|ARRAY\[|\bpggit\.branches\b")
# format() placeholders get sample values, as the core fills them
SAMPLES = {"%L": "'feature/x'", "%s": "7", "%I": "plain"}


def sample(placeholder: re.Match[str]) -> str:
    """The sample value a format() placeholder of a hint stands for."""
    return SAMPLES[placeholder.group(0)]


def sql_hints() -> list[str]:
    """The text of every HINT in pggit/sql/ (literal, or format()'s template filled in)."""
    hints = []
    for path in sorted(SQL_DIR.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"HINT = (format\()?((?:'(?:[^']|'')*'\s*)+)", text):
            literal = "".join(re.findall(r"'((?:[^']|'')*)'", match.group(2))).replace("''", "'")
            if match.group(1):
                literal = re.sub(r"%[LsI]", sample, literal)
            hints.append(literal)
        # a hint chosen by a CASE (one RAISE for several cases): each THEN / ELSE literal
        for case in re.finditer(r"HINT = CASE\b(.*?)\bEND\b", text, re.DOTALL):
            for choice in re.finditer(r"(?:THEN|ELSE)\s+((?:'(?:[^']|'')*'\s*)+)", case.group(1)):
                parts = re.findall(r"'((?:[^']|'')*)'", choice.group(1))
                hints.append("".join(parts).replace("''", "'"))
    return hints


SQL_SPEAKING = [hint for hint in sql_hints() if SPEAKS_SQL.search(hint)]


def test_the_core_has_sql_speaking_hints_to_translate():
    assert len(sql_hints()) > 40
    assert len(SQL_SPEAKING) >= 12, SQL_SPEAKING


@pytest.mark.parametrize("hint", SQL_SPEAKING)
def test_every_sql_hint_has_a_python_and_a_command_translation(hint):
    message = "branch 'feature/x' has no data branch of orders: its rows cannot be compared"
    in_python = python_hint(hint, message)
    in_commands = command_hint(hint, message)
    if "enable_ddl_capture" in hint or "110_roles.sql" in hint:
        # WARNINGs of the install, not errors: only migrate's report (commands) says them
        assert in_commands != hint and "manage.py" in in_commands
        return
    assert in_python != hint and not SPEAKS_SQL.search(in_python), in_python
    assert in_commands != hint and not SPEAKS_SQL.search(in_commands), in_commands
    assert any(word in in_commands for word in ("manage.py", "--", "pggit.api", "PGGIT["))


def test_every_translation_is_used_by_some_hint_of_the_core():
    for table in (PYTHON_HINTS, COMMAND_HINTS):
        for pattern, _ in table:
            assert any(re.match(pattern, hint) for hint in sql_hints()), pattern


@pytest.mark.django_db
def test_exceptions_keep_the_sql_hint_and_name_the_branch(unique):
    name = unique("feature/it's")
    api.create_branch(name)
    t = ident("hint", unique)
    on_branch(name, f"CREATE TABLE {t} (id int)")
    with pytest.raises(UnmergedCommits) as info:
        api.delete_branch(name)
    typed = info.value
    assert typed.branch == name and typed.sqlstate == "PGB06"
    assert typed.sql_hint.startswith("Merge it first, or delete with force => true")
    assert "force=True" in typed.hint and f"delete_branch({name!r})" in typed.hint
    assert "--force" in command_hint(typed.sql_hint, typed.message)
    with pytest.raises(BranchNotFound) as missing:
        api.get_branch(unique("nosuch"))
    assert missing.value.branch.startswith("nosuch-")
    assert "pggit.models.Branch.objects" in missing.value.hint
