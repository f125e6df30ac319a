"""Cherry-pick: one commit's schema change applied to another branch as a new commit."""

from __future__ import annotations

import pytest
from django.db import connection

from pggit import api
from pggit.exceptions import (
    BranchNotFound,
    CommitNotFound,
    InvalidArgument,
    MergeConflict,
    MergeParentRequired,
    PgGitError,
    UncommittedChanges,
)
from pggit.models import Branch, Merge
from tests.helpers import namespace_of, on_branch, run, snapshot_counts, sql_rows, table_columns

pytestmark = pytest.mark.django_db


def head(branch: str = "main") -> str:
    return Branch.objects.get(name=branch, status="ACTIVE").head_id


def test_cherry_pick_applies_one_commit_of_a_branch_as_a_new_commit(unique, table):
    branch = unique("cp")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN first int", message="first")
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN wanted int", message="wanted")
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN last int", message="last")
    before = head()

    result = api.cherry_pick(picked.hash, "main")
    assert result.status == "picked" and result.commit_hash == head()
    commit = api.log(limit=1)[0]
    assert commit.parent_id == before and commit.merge_parent_id is None
    assert commit.message == f"wanted\n\n(cherry picked from commit {picked.hash})"
    columns = table_columns("public", table)
    assert "wanted" in columns and "first" not in columns and "last" not in columns
    assert api.status("main") == []
    assert Branch.objects.get(name=branch, status="ACTIVE").status == "ACTIVE"  # not MERGED
    record = Merge.objects.get(pk=result.merge_id)
    assert record.kind == "cherry-pick" and record.status == "COMPLETED"
    assert record.source_hash == picked.hash and record.base_hash == picked.parent_id
    # the change shows in the object's history on main, with its version
    entry = api.object_log(f"table:public.{table}")[0]
    assert entry.hash == commit.hash and entry.version == "1.1.0" and "wanted added" in entry.detail


def test_cherry_pick_combines_with_the_branch_own_edits_of_the_same_table(unique, table):
    branch = unique("cpm")
    api.create_branch(branch)
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN from_branch int")
    run(f"ALTER TABLE {table} ADD COLUMN from_main int")
    api.commit("main edit")
    assert api.cherry_pick(picked.hash[:12], "main").status == "picked"
    assert {"from_branch", "from_main"} <= set(table_columns("public", table))


def test_cherry_pick_conflict_is_recorded_and_resolved_as_in_a_merge(unique, table):
    branch = unique("cpc")
    api.create_branch(branch)
    picked = on_branch(branch, f"ALTER TABLE {table} ALTER COLUMN qty TYPE text")
    run(f"ALTER TABLE {table} ALTER COLUMN qty TYPE bigint")
    api.commit("main side")
    before, counts = head(), snapshot_counts()
    with pytest.raises(MergeConflict) as info:
        api.cherry_pick(picked.hash, "main")
    conflict = info.value
    assert [c["object"] for c in conflict.conflicts] == [f"table:public.{table}"]
    assert head() == before, "nothing applied"
    after = snapshot_counts()
    assert after["merges"] == counts["merges"] + 1 and after["commits"] == counts["commits"]
    result = api.resolve_conflict(conflict.merge_id, f"table:public.{table}", "theirs")
    assert result == head() and api.log(limit=1)[0].parent_id == before
    assert "cherry picked from commit" in api.log(limit=1)[0].message
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = %s AND column_name = 'qty'",
            [table],
        )
        assert cursor.fetchone()[0] == "text"


def test_cherry_pick_of_a_merge_commit_needs_a_parent(unique, table):
    branch = unique("cpmc")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN merged_in int")
    run(f"ALTER TABLE {table} ADD COLUMN main_side int")
    api.commit("main side")
    target = unique("cpt")
    api.create_branch(target)  # before the merge: the merge commit is not on it
    merge_commit = api.merge(branch).commit_hash
    counts = snapshot_counts()
    with pytest.raises(MergeParentRequired, match="is a merge"):
        api.cherry_pick(merge_commit, target)
    with pytest.raises(InvalidArgument):
        api.cherry_pick(merge_commit, target, parent=3)
    assert snapshot_counts() == counts
    # parent 1: the change the merge brought to main (the merged column)
    assert api.cherry_pick(merge_commit, target, parent=1).status == "picked"
    columns = table_columns(namespace_of(target), table)
    assert "merged_in" in columns and "main_side" in columns


def test_cherry_pick_of_a_commit_already_on_the_branch_is_a_noop_that_says_so(table):
    run(f"ALTER TABLE {table} ADD COLUMN here int")
    on_main = api.commit("on main")
    counts, before = snapshot_counts(), head()
    notices: list[str] = []
    connection.ensure_connection()
    connection.connection.add_notice_handler(lambda d: notices.append(d.message_primary))
    result = api.cherry_pick(on_main.hash, "main")
    assert result.status == "already-applied" and result.commit_hash == before
    assert result.merge_id is None
    assert any("already on branch main" in n for n in notices)
    assert snapshot_counts() == counts and head() == before


def test_picking_the_same_commit_twice_is_a_noop_the_second_time(unique, table):
    branch = unique("cp2")
    api.create_branch(branch)
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN twice int")
    api.cherry_pick(picked.hash, "main")
    counts, before = snapshot_counts(), head()
    assert api.cherry_pick(picked.hash, "main").status == "already-applied"
    assert snapshot_counts() == counts and head() == before


def test_cherry_pick_of_a_change_the_branch_already_has_is_empty(unique, table):
    branch = unique("cpe")
    api.create_branch(branch)
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN same int")
    run(f"ALTER TABLE {table} ADD COLUMN same int")
    api.commit("same change on main")
    run(f"CREATE TABLE {table}_dirty (id int)")  # a no-op needs no clean workspace
    counts, before = snapshot_counts(), head()
    assert api.cherry_pick(picked.hash, "main").status == "empty"
    assert snapshot_counts() == counts and head() == before
    run(f"DROP TABLE {table}_dirty")


def test_cherry_pick_onto_a_branch_with_uncommitted_ddl_is_refused(unique, table):
    branch = unique("cpu")
    api.create_branch(branch)
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN later int")
    run(f"CREATE TABLE {table}_dirty (id int)")
    counts, before = snapshot_counts(), head()
    with pytest.raises(UncommittedChanges, match="uncommitted changes"):
        api.cherry_pick(picked.hash, "main")
    assert snapshot_counts() == counts and head() == before
    assert "later" not in table_columns("public", table)


@pytest.mark.parametrize(
    "ref",
    ["nope", "abc", "0000000000", "'; DROP SCHEMA pggit CASCADE; --", "x" * 300, ""],
)
def test_cherry_pick_refuses_unknown_and_hostile_refs(ref, table):
    counts = snapshot_counts()
    with pytest.raises(CommitNotFound):
        api.cherry_pick(ref, "main")
    assert snapshot_counts() == counts


def test_cherry_pick_onto_an_unknown_branch_is_refused(unique, table):
    commit = api.log(limit=1)[0].hash
    counts = snapshot_counts()
    with pytest.raises(BranchNotFound):
        api.cherry_pick(commit, unique("missing"))
    assert snapshot_counts() == counts


def test_ambiguous_refs_are_refused_with_a_typed_error_and_nothing_changes(table):
    prefixes: dict[str, int] = {}
    for _ in range(3000):  # short prefixes collide after a few hundred commits (birthday bound)
        for (hash_,) in sql_rows("SELECT hash FROM pggit.commits"):
            prefixes[hash_[:4]] = prefixes.get(hash_[:4], 0) + 1
        shared = [p for p, n in prefixes.items() if n > 1]
        if shared:
            break
        prefixes.clear()
        api.commit("one more commit")
    ambiguous = shared[0]
    counts = snapshot_counts()
    for call in (
        lambda: api.cherry_pick(ambiguous, "main"),
        lambda: api.checkout_commit(ambiguous),
        lambda: api.show_object(ambiguous, f"table:public.{table}"),
    ):
        with pytest.raises(PgGitError) as info:
            call()
        assert (info.value.sqlstate or "").startswith("PG")
    assert snapshot_counts() == counts


def test_cherry_pick_keeps_a_long_message_whole_and_trims_only_what_the_limit_needs(unique, table):
    branch = unique("cplong")
    api.create_branch(branch)
    long_message = "long " + "é" * 20_000  # 40,005 bytes: far over the old 9,900-character cut
    picked = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN long_one int", message=long_message)
    api.cherry_pick(picked.hash, "main")
    assert (
        api.log(limit=1)[0].message
        == f"{long_message}\n\n(cherry picked from commit {picked.hash})"
    )

    limit_message = "x" + "é" * 32_767  # 65,535 bytes: the suffix does not fit
    limit_pick = on_branch(
        branch, f"ALTER TABLE {table} ADD COLUMN at_limit int", message=limit_message
    )
    api.cherry_pick(limit_pick.hash, "main")
    message = api.log(limit=1)[0].message
    suffix = f"\n\n(cherry picked from commit {limit_pick.hash})"
    assert message.endswith(suffix) and limit_message.startswith(message[: -len(suffix)])
    assert len(message.encode()) <= 65_536
    assert len(message.encode()) >= 65_536 - 1  # trimmed only as much as needed (é: 2 bytes)
