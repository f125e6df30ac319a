"""Commits: the chain, the hash, the author and message rules, append-only history."""

from __future__ import annotations

import hashlib
from datetime import UTC

import psycopg
import pytest
from django.db import transaction

from pggit import api
from pggit.exceptions import BranchDeleted, InvalidAuthor, InvalidBranchName, InvalidMessage
from pggit.models import Branch, Commit
from tests.helpers import snapshot_counts, sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def python_commit_hash(c: Commit) -> str:
    """An independent re-implementation of the canonical serialization (docs/architecture.md)."""
    when = c.committed_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    payload = (
        f"commit {c.id}\ntree {c.tree_hash}\nparent {c.parent_id or '-'}\n"
        f"merge-parent {c.merge_parent_id or '-'}\nauthor {c.author}\ndate {when}\n\n{c.message}"
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def test_commits_on_a_branch_form_one_chain(unique):
    main_head = api.commit("the branch point").hash  # main has a head, so every parent is known
    name = unique("chain")
    commits = [api.commit(f"step {i}", branch=name, author="ada") for i in range(5)]
    assert commits[0].parent_id == main_head, "a new branch's first commit continues main"
    for parent, child in zip(commits, commits[1:], strict=False):
        assert child.parent_id == parent.hash
    assert Branch.objects.get(name=name, status="ACTIVE").head_id == commits[-1].hash
    assert [c.hash for c in api.log(name, limit=5)] == [c.hash for c in reversed(commits)]


def test_commit_hash_recomputes_in_sql_and_in_python(unique):
    commit = api.commit("line one\nline two\n\nbody ünïcode", branch=unique("h"), author="Zoë")
    assert len(commit.hash) == 64
    assert python_commit_hash(commit) == commit.hash
    assert (
        sql_scalar("SELECT pggit.commit_hash(c) FROM pggit.commits c WHERE id = %s", [commit.id])
        == commit.hash
    )


def test_commit_hashes_differ_for_identical_content(unique):
    name = unique("same")
    a = api.commit("same", branch=name, author="a")
    b = api.commit("same", branch=name, author="a")
    assert a.hash != b.hash


def test_commit_returns_hash_from_sql_and_creates_branch_from_main_head(unique):
    main_head = Branch.objects.get(name="main", status="ACTIVE").head_id
    name = unique("auto")
    commit_hash = sql_scalar("SELECT pggit.commit_changes(%s, 'msg')", [name])
    branch = Branch.objects.get(name=name, status="ACTIVE")
    assert branch.head_id == commit_hash
    assert branch.base_id == main_head
    assert branch.parent_branch.name == "main"


def test_default_author_is_the_setting_or_the_acting_role(unique):
    name = unique("author")
    with api.author("Grace <grace@example.com>"):
        assert api.commit("x", branch=name).author == "Grace <grace@example.com>"
    assert api.commit("y", branch=name).author == sql_scalar("SELECT current_user::text")


def test_null_message_is_recorded_as_empty(unique):
    commit_hash = sql_scalar("SELECT pggit.commit_changes(%s, NULL)", [unique("nullmsg")])
    assert Commit.objects.get(hash=commit_hash).message == ""


def test_message_of_exactly_64_kib_is_accepted(unique):
    message = "é" * 32768  # 65,536 bytes of UTF-8
    assert api.commit(message, branch=unique("long")).message == message


def test_oversize_message_is_refused_and_nothing_changes(unique):
    before = snapshot_counts()
    with pytest.raises(InvalidMessage) as info:
        api.commit("m" * 65537, branch="main")
    assert "65537 bytes" in str(info.value) and "64 KiB" in str(info.value) and info.value.hint
    err = sql_error("SELECT pggit.commit_changes('main', repeat('é', 32769))")
    assert err.sqlstate == "PGC01" and "limit is 65536 bytes" in err.diag.message_primary
    assert snapshot_counts() == before


HUNDRED_MB = 100 * 1024 * 1024


@pytest.mark.django_db(transaction=True)
def test_100_mb_of_input_is_refused_by_its_limit_before_anything_is_written(connect, unique):
    """Message (64 KiB), author (255 characters) and branch name (255 bytes): 100 MB as each
    is refused with the field's SQLSTATE and a message naming the limit, and no row changes.
    The message's 100 MB travel as a bound parameter, as an application would send them (about
    5 s on a loaded machine); the others are built by the server, to keep the test short. The
    Python API maps the same refusals to typed exceptions."""
    before = snapshot_counts()
    conn = connect()
    huge = "m" * HUNDRED_MB
    calls = [
        ("SELECT pggit.commit_changes(%s, %s)", [unique("big"), huge], "PGC01", "65536 bytes"),
        (
            "SELECT pggit.commit_changes(%s, 'x', author => repeat('a', %s))",
            [unique("big"), HUNDRED_MB],
            "PGC02",
            "255 char",
        ),
        ("SELECT pggit.commit_changes(repeat('b', %s), 'x')", [HUNDRED_MB], "PGB04", "255 bytes"),
        ("SELECT pggit.create_branch(repeat('b', %s))", [HUNDRED_MB], "PGB04", "255 bytes"),
        (
            "SELECT pggit.merge(%s, 'main', repeat('m', %s))",
            [unique("big"), HUNDRED_MB],
            "PGB01",
            "not",
        ),
    ]
    refused = []
    for statement, params, _, _ in calls:
        with pytest.raises(psycopg.Error) as info:
            conn.execute(statement, params)
        refused.append((info.value.sqlstate, info.value.diag.message_primary or ""))
    del huge
    assert [state for state, _ in refused] == [c[2] for c in calls]
    assert all(f"limit is {c[3]}" in m for c, (_, m) in zip(calls[:4], refused, strict=False))
    assert all(len(m) < 300 for _, m in refused), "messages quote at most a prefix"
    over = "m" * (1024 * 1024)
    with pytest.raises(InvalidMessage, match="the limit is 65536 bytes"):
        api.commit(over, branch=unique("big"))
    with pytest.raises(InvalidAuthor, match="the limit is 255 characters"):
        api.commit("x", author=over, branch=unique("big"))
    with pytest.raises(InvalidBranchName, match="the limit is 255 bytes"):
        api.create_branch(over)
    assert snapshot_counts() == before


@pytest.mark.parametrize("author", ["", "   ", "a\nb", "x" * 256])
def test_invalid_author_is_refused(author):
    before = snapshot_counts()
    with pytest.raises(InvalidAuthor):
        api.commit("x", author=author)
    err = sql_error("SELECT pggit.commit_changes('main', 'x', author => %s)", [author])
    assert err.sqlstate == "PGC02"
    assert snapshot_counts() == before


@pytest.mark.parametrize("author", [42, b"bytes", ["list"]])
def test_author_of_unknown_type_is_refused(author):
    with pytest.raises(InvalidAuthor, match="must be a string"):
        api.commit("x", author=author)


@pytest.mark.parametrize("message", [None, 3.5])
def test_message_of_unknown_type_is_refused(message):
    with pytest.raises(InvalidMessage, match="must be a string"):
        api.commit(message)


def test_commit_to_deleted_branch_is_refused(unique):
    name = unique("gone")
    api.create_branch(name)
    api.delete_branch(name)
    before = snapshot_counts()
    with pytest.raises(BranchDeleted) as info:
        api.commit("late", branch=name)
    assert "create_branch" in info.value.hint
    assert sql_error("SELECT pggit.commit_changes(%s, 'x')", [name]).sqlstate == "PGB05"
    assert snapshot_counts() == before


@pytest.mark.parametrize("name", [None, "", " ", "a..b", "bad name", "x/", "x.lock", "\x07bell"])
def test_commit_to_invalid_branch_name_is_refused(name):
    before = snapshot_counts()
    with pytest.raises(InvalidBranchName):
        api.commit("x", branch=name)
    assert snapshot_counts() == before


def test_history_is_append_only(unique):
    commit = api.commit("keep me", branch=unique("ro"))
    for statement in (
        "UPDATE pggit.commits SET message = 'forged' WHERE id = %s",
        "DELETE FROM pggit.commits WHERE id = %s",
    ):
        err = sql_error(statement, [commit.id])
        assert err.sqlstate == "PGH01"
    assert sql_error("TRUNCATE pggit.commits CASCADE").sqlstate == "PGH01"
    assert Commit.objects.get(pk=commit.pk).message == "keep me"


def test_commit_inside_rolled_back_transaction_leaves_no_trace(unique):
    name = unique("rb")
    before = snapshot_counts()

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        api.commit("gone", branch=name)
        raise Rollback
    assert snapshot_counts() == before
    assert not Branch.objects.filter(name=name).exists()


def test_log_limit_and_bad_limit(unique):
    name = unique("log")
    for i in range(3):
        api.commit(str(i), branch=name)
    assert [c.message for c in api.log(name, limit=2)] == ["2", "1"]
    assert sql_error("SELECT count(*) FROM pggit.log(%s, 0)", [name]).sqlstate == "PGC04"
    rows = sql_rows("SELECT depth, branch_name FROM pggit.log(%s, 3)", [name])
    assert rows == [(0, name), (1, name), (2, name)]


def test_generate_trinity_id_is_a_time_ordered_uuid_v7():
    ids = [sql_scalar("SELECT pggit.generate_trinity_id()") for _ in range(20)]
    assert len(set(ids)) == 20
    assert all(len(i) == 36 and i[14] == "7" and i[19] in "89ab" for i in ids)
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)
