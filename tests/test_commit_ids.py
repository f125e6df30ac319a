"""Caller-supplied commit IDs (pgGit's "Trinity ID" argument): recorded, idempotent, unique."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.urls import reverse

from pggit import api
from pggit.exceptions import CommitIdInUse, InvalidCommitId
from pggit.models import Branch, Commit
from tests.helpers import manage, page_text, snapshot_counts, sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def payload_hash(c: Commit) -> str:
    """The canonical serialization re-implemented: an "id" header after the date, only when the
    commit has an ID (docs/architecture.md)."""
    when = c.committed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    id_line = f"\nid {c.commit_id}" if c.commit_id is not None else ""
    payload = (
        f"commit {c.id}\ntree {c.tree_hash}\nparent {c.parent_id or '-'}\n"
        f"merge-parent {c.merge_parent_id or '-'}\nauthor {c.author}\ndate {when}{id_line}\n\n"
        f"{c.message}"
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def test_third_argument_is_the_commit_id_and_a_repeat_returns_the_same_commit(unique):
    commit_id = unique("deploy-2026-11-30")
    first = sql_scalar("SELECT pggit.commit_changes('main', 'Add users', %s)", [commit_id])
    row = Commit.objects.get(hash=first)
    assert row.commit_id == commit_id
    assert row.author != commit_id, "the third argument is no longer the author"
    assert row.author == sql_scalar("SELECT pggit.current_author()")
    before = snapshot_counts()
    again = sql_scalar("SELECT pggit.commit_changes('main', 'Add users', %s)", [commit_id])
    assert again == first
    assert snapshot_counts() == before, "a repeated call writes nothing"
    assert Branch.objects.get(name="main", status="ACTIVE").head_id == first


def test_commit_id_is_part_of_the_hash_only_when_given(unique):
    with_id = api.commit("with an id", branch=unique("h"), commit_id=unique("id ünï"))
    without = api.commit("without an id", branch=unique("h"))
    assert without.commit_id is None
    assert payload_hash(with_id) == with_id.hash
    assert payload_hash(without) == without.hash
    assert sql_scalar(
        "SELECT pggit.commit_hash(c) = c.hash FROM pggit.commits c WHERE id = %s", [with_id.id]
    )
    assert not [f for f in api.verify() if with_id.hash in f.subject]


def test_the_same_id_with_another_message_or_branch_is_refused_and_writes_nothing(unique):
    commit_id = unique("once")
    made = api.commit("the first", branch="main", commit_id=commit_id)
    other_branch = unique("other")
    before = snapshot_counts()
    for message, branch in [("another message", "main"), ("the first", other_branch)]:
        with pytest.raises(CommitIdInUse) as info:
            api.commit(message, branch=branch, commit_id=commit_id)
        assert commit_id in str(info.value) and made.hash[:12] in str(info.value)
        assert info.value.hint
        err = sql_error("SELECT pggit.commit_changes(%s, %s, %s)", [branch, message, commit_id])
        assert err.sqlstate == "PGC06" and commit_id in err.diag.message_primary
    assert snapshot_counts() == before, "nothing written, no branch created"
    assert not Branch.objects.filter(name=other_branch).exists()


@pytest.mark.parametrize(
    ("bad", "problem"),
    [("", "empty"), ("x" * 256, "256 characters"), ("a\nb", "control character")],
)
def test_invalid_commit_ids_are_refused_in_sql_and_python(bad, problem):
    before = snapshot_counts()
    err = sql_error("SELECT pggit.commit_changes('main', 'x', %s)", [bad])
    assert err.sqlstate == "PGC05"
    message = err.diag.message_primary
    assert problem in message and json.dumps(bad[:80])[:-1] in message and "\n" not in message
    assert err.diag.message_hint
    with pytest.raises(InvalidCommitId) as info:
        api.commit("x", commit_id=bad)
    assert problem in str(info.value)
    assert snapshot_counts() == before


@pytest.mark.parametrize("bad", ["a\x00b", 42, b"bytes"])
def test_nul_and_non_text_commit_ids_are_refused_before_the_database(bad):
    before = snapshot_counts()
    with pytest.raises(InvalidCommitId) as info:
        api.commit("x", commit_id=bad)
    assert repr(bad)[:6] in str(info.value) or "NUL" in str(info.value)
    assert snapshot_counts() == before


def test_a_255_character_id_and_author_by_name_work(unique):
    commit_id = unique("x").ljust(255, "y")
    assert len(commit_id) == 255
    h = sql_scalar(
        "SELECT pggit.commit_changes(%s, 'long id', %s, author => 'Ada')", [unique("b"), commit_id]
    )
    c = Commit.objects.get(hash=h)
    assert (c.commit_id, c.author) == (commit_id, "Ada")
    named = sql_scalar("SELECT pggit.commit_changes('main', 'by name', author => 'Grace')")
    assert Commit.objects.get(hash=named).author == "Grace"
    assert Commit.objects.get(hash=named).commit_id is None


def test_api_commit_is_idempotent(unique):
    commit_id = unique("api")
    made = api.commit("api commit", commit_id=commit_id, author="Ada")
    assert made.commit_id == commit_id and made.author == "Ada"
    assert api.commit("api commit", commit_id=commit_id).pk == made.pk
    assert Commit.objects.filter(commit_id=commit_id).count() == 1


@pytest.mark.django_db(transaction=True)
def test_async_twin_takes_the_commit_id(unique):
    commit_id = unique("async")

    async def twice() -> tuple[Commit, Commit]:
        try:
            first = await api.acommit("async commit", branch=unique("a"), commit_id=commit_id)
            again = await api.acommit("async commit", branch=first.branch.name, commit_id=commit_id)
            return first, again
        finally:  # the executor thread holds its own connection
            await sync_to_async(connections.close_all, thread_sensitive=True)()

    first, again = asyncio.run(twice())
    assert first.commit_id == commit_id and again.pk == first.pk
    assert Commit.objects.filter(commit_id=commit_id).count() == 1


def test_log_and_show_carry_the_commit_id(unique):
    branch = unique("log")
    commit_id = unique("logged")
    made = api.commit("logged", branch=branch, commit_id=commit_id)
    plain = api.commit("plain", branch=branch)
    assert sql_rows("SELECT hash, commit_id FROM pggit.log(%s, 2)", [branch]) == [
        (plain.hash, None),
        (made.hash, commit_id),
    ]
    assert [c.commit_id for c in api.log(branch, 2)] == [None, commit_id]
    assert api.show(made.hash)["commit"]["commit_id"] == commit_id


def test_admin_commit_page_shows_the_commit_id(admin_client, unique):
    commit_id = unique("admin-id")
    made = api.commit("for the admin", commit_id=commit_id)
    page = admin_client.get(reverse("admin:pggit_commit_change", args=[made.pk]))
    assert page.status_code == 200
    assert commit_id in page_text(page)
    found = admin_client.get(reverse("admin:pggit_commit_changelist"), {"q": commit_id})
    assert made.short_hash in page_text(found)


@pytest.mark.django_db(transaction=True)
def test_pggit_commit_id_option_and_pggit_log(unique):
    branch = unique("cli")
    commit_id = unique("cli-id")
    args = ["pggit_commit", "-m", "from the command", "--branch", branch, "--create"]
    args += ["--id", commit_id]
    first = manage(*args)
    assert first.returncode == 0, first.stderr
    assert commit_id in first.stdout
    again = manage(*args)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert Commit.objects.filter(commit_id=commit_id).count() == 1
    clash = manage("pggit_commit", "-m", "another message", "--branch", branch, "--id", commit_id)
    assert clash.returncode == 1
    assert clash.stderr.strip().count("\n") == 0 and "Traceback" not in clash.stderr
    assert commit_id in clash.stderr
    log = manage("pggit_log", "--branch", branch, "--limit", "1")
    assert log.returncode == 0 and f"Id:     {commit_id}" in log.stdout


def test_pggit_log_oneline_and_a_refused_empty_id(unique):
    branch = unique("cli1")
    commit_id = unique("one-line")
    api.commit("shown on one line", branch=branch, commit_id=commit_id)
    out = StringIO()
    call_command("pggit_log", "--branch", branch, "--limit", "1", "--oneline", stdout=out)
    assert f"[{commit_id}] shown on one line" in out.getvalue()
    before = snapshot_counts()
    with pytest.raises(CommandError) as info:
        call_command("pggit_commit", "-m", "x", "--branch", branch, "--id", "", stdout=StringIO())
    assert "empty" in str(info.value) and "\n" not in str(info.value)
    assert snapshot_counts() == before


def test_pggit_commit_json_has_the_commit_id(unique):
    commit_id = unique("json")
    out = StringIO()
    call_command("pggit_commit", "-m", "json", "--id", commit_id, "--json", stdout=out)
    assert json.loads(out.getvalue())["commit_id"] == commit_id
    assert Commit.objects.get(commit_id=commit_id).message == "json"
