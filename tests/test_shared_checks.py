"""The checks several SQL functions share, each written once (issue 15): the error for a bad
branch or tag name, max_count of the history reads, the branch a history read shows, and the
parent a revert or cherry-pick works against."""

from __future__ import annotations

import json

import pytest

from pggit import api
from tests.helpers import sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "kind,sqlstate,hint",
    [
        (
            "branch",
            "PGB04",
            'Branch names follow Git\'s ref-name rules, e.g. "feature/user-profiles".',
        ),
        (
            "tag",
            "PGR05",
            'Tag names follow Git\'s ref-name rules, e.g. "v1.2.0" or "release/2026-11".',
        ),
    ],
)
def test_one_error_for_a_bad_branch_or_tag_name(kind, sqlstate, hint):
    error = sql_error(f"SELECT pggit.validate_{kind}_name('a..b')")
    assert error.sqlstate == sqlstate
    assert error.diag.message_primary == f"invalid {kind} name 'a..b': it contains \"..\""
    assert error.diag.message_hint == hint


def test_a_tag_name_of_hex_digits_only_is_refused_with_the_tag_error():
    error = sql_error("SELECT pggit.validate_tag_name('beef')")
    assert error.sqlstate == "PGR05"
    assert "is all hex digits" in error.diag.message_primary
    assert len(sql_rows("SELECT pggit.validate_branch_name('beef')")) == 1  # a branch may be hex


@pytest.mark.parametrize("read,what", [("log", "commits"), ("reflog", "entries")])
@pytest.mark.parametrize("count", [0, -1, None])
def test_history_reads_refuse_a_max_count_below_one(read, what, count):
    error = sql_error(f"SELECT count(*) FROM pggit.{read}('main', %s)", [count])
    assert error.sqlstate == "PGC04"
    assert (
        error.diag.message_primary
        == f"max_count must be at least 1, got {count if count is not None else 'NULL'}"
    )
    assert error.diag.message_hint == f"Pass a positive number of {what} to show."


def test_history_branch_prefers_the_live_branch_then_the_latest_deleted(unique):
    name = unique("hist")
    first = api.create_branch(name)
    api.delete_branch(name, force=True)
    second = api.create_branch(name)
    api.delete_branch(name, force=True)
    ids = lambda: [r[0] for r in sql_rows("SELECT id FROM pggit.history_branch(%s)", [name])]  # noqa: E731
    assert ids() == [second.id]  # both deleted: the latest
    live = api.create_branch(name)
    assert ids() == [live.id] and live.id > first.id
    assert sql_rows("SELECT id FROM pggit.history_branch(%s)", [unique("never")]) == []


def commit_row(merge_parent: str | None) -> str:
    return json.dumps(
        {"hash": "c" * 64, "parent_hash": "1" * 64, "merge_parent_hash": merge_parent}
    )


@pytest.mark.parametrize("operation", ["revert", "cherry-pick"])
def test_chosen_parent(operation):
    chosen = (
        "SELECT pggit.chosen_parent(jsonb_populate_record(NULL::pggit.commits, %s::jsonb), %s, %s)"
    )
    assert sql_scalar(chosen, [commit_row(None), None, operation]) == "1" * 64
    assert sql_scalar(chosen, [commit_row("2" * 64), 1, operation]) == "1" * 64
    assert sql_scalar(chosen, [commit_row("2" * 64), 2, operation]) == "2" * 64
    missing = sql_error(chosen, [commit_row("2" * 64), None, operation])
    assert missing.sqlstate == "PGM06"
    assert (
        "revert to" if operation == "revert" else "change to pick"
    ) in missing.diag.message_primary
    for row, parent in [(commit_row(None), 2), (commit_row("2" * 64), 3)]:
        assert sql_error(chosen, [row, parent, operation]).sqlstate == "PGC04"


@pytest.mark.parametrize(
    "name,refused",
    [
        ("nowhere.t", True),
        ('"No Where".t', True),
        ("public.t", False),
        ("t", False),  # unqualified: looked up in the tracked schemas
        ("", False),  # malformed names pass: resolve_branch_table names the problem
        ('"unclosed', False),
        (None, False),
    ],
)
def test_refuse_untracked_schema(name, refused):
    statement = "SELECT pggit.refuse_untracked_schema(%s)"
    if refused:
        error = sql_error(statement, [name])
        assert error.sqlstate == "PGT06"
        assert error.diag.message_primary.startswith(f"cannot branch the data of {name}: schema")
    else:
        assert len(sql_rows(statement, [name])) == 1
