"""pggit.verify(): clean after normal work, and it catches forged or broken state."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pggit import api
from tests.helpers import ident, run, sql_error, sql_scalar

pytestmark = pytest.mark.django_db


def checks() -> set[str]:
    return {f.check for f in api.verify()}


def test_normal_work_verifies_clean(unique):
    t = ident("ver", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, v int)", f"INSERT INTO {t} VALUES (1, 1)")
    api.commit("t")
    branch = unique("ver")
    view = api.create_data_branch(t, "main", branch)
    run(f"UPDATE {view} SET v = 2")
    with api.checkout(branch):
        run(f"ALTER TABLE {t} ADD COLUMN w int")
    api.commit("w", branch=branch)
    assert api.verify() == []
    api.merge(branch)
    api.commit("after merge")
    assert api.verify() == []
    out = StringIO()
    call_command("pggit_verify", stdout=out)
    assert "OK" in out.getvalue()


def test_a_row_forged_by_a_superuser_is_caught(unique):
    commit = api.commit("genuine", branch=unique("forge"))
    assert (
        sql_error("UPDATE pggit.commits SET message = 'forged' WHERE id = %s", [commit.id]).sqlstate
        == "PGH01"
    )
    run("ALTER TABLE pggit.commits DISABLE TRIGGER commits_append_only")
    assert checks() == {"append_only"}
    run(f"UPDATE pggit.commits SET message = 'forged' WHERE id = {commit.id}")
    run("ALTER TABLE pggit.commits ENABLE TRIGGER commits_append_only")
    findings = api.verify()
    assert [(f.check, f.subject) for f in findings] == [("commit_hash", commit.hash)]
    with pytest.raises(CommandError) as info:
        call_command("pggit_verify", stdout=StringIO())
    assert info.value.returncode == 1


def test_broken_chains_heads_and_orphans_are_caught(unique):
    branch = unique("broken")
    first = api.commit("one", branch=branch)
    api.commit("two", branch=branch)
    run(
        f"UPDATE pggit.branches SET head_hash = '{first.hash}'"
        f" WHERE name = '{branch}' AND status = 'ACTIVE'"
    )
    api.commit("fork", branch=branch)  # a second child of `first`
    assert "chain_fork" in checks()
    run("CREATE SCHEMA pggit_b999999_1")
    assert "workspace" in checks()
    run("CREATE TABLE pggit.data_999999_delta (id int)")
    assert "data_branch" in checks()


def test_dangling_references_are_caught(unique):
    """Commit rows do not carry foreign keys (they cost a row lock per reference on every
    commit); verify() reports what they would have refused."""
    commit = api.commit("genuine", branch=unique("refs"))
    missing = "f" * 64
    run(
        "INSERT INTO pggit.commits (hash, parent_hash, merge_parent_hash, branch_id, tree_hash,"
        " message, author, committed_at)"
        f" VALUES ('{'e' * 64}', '{missing}', '{commit.hash}', 999999999, '{missing}', 'forged',"
        " 'x', now())"
    )
    forged = sql_scalar("SELECT id FROM pggit.commits WHERE hash = %s", ["e" * 64])
    findings = {f.detail.split(" that ")[0] for f in api.verify() if f.check == "reference"}
    assert findings == {
        f"commit {forged} names a parent",
        f"commit {forged} names a tree",
        f"commit {forged} names a branch",
    }
    run(f"UPDATE pggit.branches SET head_hash = '{'d' * 64}' WHERE name = 'main'")
    assert ("reference", "main") in {(f.check, f.subject) for f in api.verify()}


@pytest.mark.parametrize(
    "column, value",
    [
        ("hash", "E" * 64),
        ("hash", "e" * 63),
        ("hash", "e" * 63 + "\n"),
        ("tree_hash", "g" * 64),
        ("tree_hash", ""),
    ],
)
def test_hash_columns_refuse_anything_but_64_lowercase_hex_digits(unique, column, value):
    commit = api.commit("genuine", branch=unique("chk"))
    row = {"hash": "c" * 64, "tree_hash": commit.tree_hash, column: value}
    error = sql_error(
        "INSERT INTO pggit.commits"
        " (hash, parent_hash, branch_id, tree_hash, message, author, committed_at)"
        " SELECT %s, hash, branch_id, %s, 'x', 'x', now() FROM pggit.commits WHERE hash = %s",
        [row["hash"], row["tree_hash"], commit.hash],
    )
    assert error.sqlstate == "23514"
