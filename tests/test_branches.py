"""Branch lifecycle: create, list, delete (soft, safe), reuse a name; every bad input."""

from __future__ import annotations

import pytest

from pggit import api
from pggit.exceptions import (
    BranchDeleted,
    BranchExists,
    BranchNotFound,
    InvalidArgument,
    InvalidBranchName,
    ProtectedBranch,
    UnmergedCommits,
)
from pggit.models import Branch, Commit
from tests.helpers import snapshot_counts, sql_error, sql_scalar

pytestmark = pytest.mark.django_db

BAD_NAMES = [
    "",
    "   ",
    "\t",
    "has space",
    "a..b",
    "ctrl\x01char",
    "del\x7fchar",
    "trailing/",
    "/leading",
    "double//slash",
    "x.lock",
    "dir/x.lock/y",
    ".hidden",
    "dir/.hidden",
    "ends.",
    "tilde~1",
    "caret^",
    "colon:",
    "what?",
    "star*",
    "open[",
    "back\\slash",
    "@",
    "at@{brace",
    "é" * 128,  # 256 bytes
    "x" * 256,
]


def test_main_exists_at_install():
    main = Branch.objects.get(name="main", status=Branch.Status.ACTIVE)
    assert main.parent_branch_id is None
    assert len(str(main.uuid)) == 36


def test_create_branch_points_at_source_head(unique):
    source = unique("src")
    head = api.commit("on source", branch=source)
    branch = api.create_branch(unique("feature/x"), source)
    assert branch.head_id == head.hash
    assert branch.base_id == head.hash
    assert branch.parent_branch.name == source
    assert branch.status == Branch.Status.ACTIVE
    assert branch.created_by == sql_scalar("SELECT session_user::text")


def test_create_branch_returns_the_row_in_sql(unique):
    name = unique("sqlrow")
    assert sql_scalar("SELECT (pggit.create_branch(%s)).name", [name]) == name


@pytest.mark.parametrize(
    "name",
    ["feature/user-profiles", "fix-#12", "ünïcödé/ветка", "quote\"and'semi;colon", "a" * 255],
)
def test_valid_git_ref_names_are_accepted(name):
    assert api.create_branch(name).name == name
    api.delete_branch(name)


@pytest.mark.parametrize("name", BAD_NAMES)
def test_invalid_branch_names_are_refused_with_pgb04(name):
    before = snapshot_counts()
    with pytest.raises(InvalidBranchName):
        api.create_branch(name)
    err = sql_error("SELECT pggit.create_branch(%s)", [name])
    assert err.sqlstate == "PGB04"
    assert err.diag.message_primary.startswith("invalid branch name")
    assert err.diag.message_hint
    assert snapshot_counts() == before


def test_null_branch_name_is_refused():
    assert sql_error("SELECT pggit.create_branch(NULL)").sqlstate == "PGB04"
    with pytest.raises(InvalidBranchName):
        api.create_branch(None)


def test_duplicate_branch_is_refused(unique):
    name = unique("dup")
    api.create_branch(name)
    before = snapshot_counts()
    with pytest.raises(BranchExists):
        api.create_branch(name)
    assert snapshot_counts() == before


def test_create_from_missing_or_deleted_source_is_refused(unique):
    with pytest.raises(BranchNotFound):
        api.create_branch(unique("x"), unique("nosuch"))
    gone = unique("gone")
    api.create_branch(gone)
    api.delete_branch(gone)
    with pytest.raises(BranchDeleted):
        api.create_branch(unique("x"), gone)


def test_delete_is_soft_and_keeps_history(unique):
    name = unique("soft")
    commit = api.commit("work", branch=name)
    api.create_branch(unique("keeper"), name)  # reaches the commit, so no force is needed
    deleted = api.delete_branch(name)
    assert deleted.status == Branch.Status.DELETED and deleted.deleted_at is not None
    assert Commit.objects.filter(hash=commit.hash).exists()
    assert [c.hash for c in api.log(name)][:1] == [commit.hash]


def test_deleted_name_can_be_reused(unique):
    name = unique("reuse")
    old = api.create_branch(name)
    api.delete_branch(name)
    new = api.create_branch(name)
    assert new.pk != old.pk and new.uuid != old.uuid
    assert Branch.objects.filter(name=name).count() == 2


def test_delete_main_is_refused():
    before = snapshot_counts()
    with pytest.raises(ProtectedBranch):
        api.delete_branch("main", force=True)
    err = sql_error("SELECT pggit.delete_branch('main', true)")
    assert err.sqlstate == "PGB03" and err.diag.message_hint
    assert snapshot_counts() == before


def test_delete_missing_branch_is_refused(unique):
    with pytest.raises(BranchNotFound):
        api.delete_branch(unique("missing"))
    assert sql_error("SELECT pggit.delete_branch(%s)", [unique("m")]).sqlstate == "PGB01"


def test_delete_twice_is_refused(unique):
    name = unique("twice")
    api.create_branch(name)
    api.delete_branch(name)
    with pytest.raises(BranchDeleted):
        api.delete_branch(name)


def test_delete_with_unmerged_commits_needs_force(unique):
    name = unique("unmerged")
    api.commit("only here", branch=name)
    before = snapshot_counts()
    with pytest.raises(UnmergedCommits) as info:
        api.delete_branch(name)
    assert "1 commit" in str(info.value) and "force" in info.value.hint
    assert snapshot_counts() == before
    assert api.delete_branch(name, force=True).status == Branch.Status.DELETED


def test_branch_without_own_commits_deletes_without_force(unique):
    name = unique("empty")
    api.create_branch(name)
    assert api.delete_branch(name).status == Branch.Status.DELETED


def test_force_must_be_a_bool(unique):
    with pytest.raises(InvalidArgument):
        api.delete_branch(unique("x"), force="yes")  # type: ignore[arg-type]  # on purpose


def test_get_branch(unique):
    name = unique("get")
    api.create_branch(name)
    assert api.get_branch(name).name == name
    with pytest.raises(BranchNotFound):
        api.get_branch(unique("nope"))
