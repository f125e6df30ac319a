"""pggit.verify(): clean after normal work, and it catches forged or broken state."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pggit import api
from tests.conftest import sql_error
from tests.helpers import ident, run

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
    assert sql_error("UPDATE pggit.commits SET message = 'forged' WHERE id = %s", [commit.id]).sqlstate == "PGH01"
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
    run(f"UPDATE pggit.branches SET head_hash = '{first.hash}' WHERE name = '{branch}' AND status = 'ACTIVE'")
    api.commit("fork", branch=branch)  # a second child of `first`
    assert "chain_fork" in checks()
    run("CREATE SCHEMA pggit_b999999_1")
    assert "workspace" in checks()
    run("CREATE TABLE pggit.data_999999_delta (id int)")
    assert "data_branch" in checks()
