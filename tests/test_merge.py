"""Schema diff, 3-way merge, conflicts and their resolution, revert."""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from pggit import api
from pggit.exceptions import (
    BranchDeleted,
    BranchNotFound,
    CommitNotFound,
    ConflictNotFound,
    InvalidResolution,
    MergeConflict,
    MergeNotOpen,
    MergeParentRequired,
    SameBranch,
    UncommittedChanges,
)
from pggit.models import Branch, Commit
from tests.helpers import (
    hash_in,
    namespace_of,
    on_branch,
    run,
    sql_error,
    sql_rows,
    sql_scalar,
    table_columns,
)

pytestmark = pytest.mark.django_db


def main_tree() -> str:
    return Branch.objects.get(name="main", status="ACTIVE").head.tree_hash


def test_diff_lists_objects_with_detail_and_ddl(unique, table):
    branch = unique("d")
    api.create_branch(branch)
    on_branch(
        branch,
        f"ALTER TABLE {table} ADD COLUMN price numeric(8,2)",
        f"CREATE TABLE {table}_extra (id int)",
        f"ALTER TABLE {table} DROP COLUMN qty",
    )
    entries = {e.object_key: e for e in api.diff("main", branch)}
    changed = entries[f"table:public.{table}"]
    assert changed.change == "modified"
    assert "price added" in changed.detail and "qty removed" in changed.detail
    assert f"ALTER TABLE {table} ADD COLUMN price numeric(8,2)" in changed.ddl
    assert entries[f"table:public.{table}_extra"].change == "added"
    script = api.diff_ddl("main", branch)
    assert script.index(f"ALTER TABLE {table} DROP COLUMN qty") < script.index(
        f"ALTER TABLE {table} ADD COLUMN price numeric(8,2)"
    ), "drops come before creates"
    # by commit hash too, and the reverse diff undoes it
    head = Branch.objects.get(name=branch, status="ACTIVE").head_id
    assert {e.object_key for e in api.diff("main", head[:12])} == set(entries)
    assert entries[f"table:public.{table}_extra"].object_key in {
        e.object_key for e in api.diff(branch, "main") if e.change == "removed"
    }


def test_diff_applied_to_a_copy_of_a_yields_b(unique, table):
    b = unique("b")
    api.create_branch(b)
    on_branch(
        b,
        f"ALTER TABLE {table} ADD COLUMN c1 text NOT NULL DEFAULT 'x'",
        f"ALTER TABLE {table} ALTER COLUMN qty TYPE bigint",
        f"CREATE INDEX {table}_c1 ON {table} (c1)",
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_qty CHECK (qty > 0)",
        f"CREATE TYPE {table}_e AS ENUM ('x')",
        f"CREATE VIEW {table}_v AS SELECT id, c1 FROM {table}",
    )
    copy = unique("copy")
    api.create_branch(copy)  # a copy of main
    with api.checkout(copy):
        run(*api.diff_ddl("main", b))
    applied = api.commit("applied diff", branch=copy)
    assert applied.tree_hash == Branch.objects.get(name=b, status="ACTIVE").head.tree_hash


def test_unknown_refs_are_refused(unique):
    with pytest.raises(CommitNotFound):
        api.diff("main", unique("nosuch"))
    with pytest.raises(CommitNotFound):
        api.diff("main", "deadbeefdeadbeef")


def test_disjoint_changes_on_both_sides_merge(unique, table):
    branch = unique("disjoint")
    api.create_branch(branch)
    on_branch(
        branch,
        f"ALTER TABLE {table} ADD COLUMN from_branch int",
        f"CREATE TABLE {table}_b (id int)",
    )
    run(f"ALTER TABLE {table} ADD COLUMN from_main int", f"CREATE INDEX {table}_q ON {table} (qty)")
    main_commit = api.commit("main work")
    result = api.merge(branch, "main")
    assert result.status == "merged"
    merge_commit = Commit.objects.get(hash=result.commit_hash)
    assert merge_commit.parent_id == main_commit.hash
    assert merge_commit.merge_parent_id == Branch.objects.get(name=branch).head_id
    assert merge_commit.message == f"Merge branch '{branch}' into 'main'"
    assert table_columns("public", table) == ["id", "name", "qty", "from_main", "from_branch"]
    assert table_columns("public", f"{table}_b") == ["id"]
    assert api.status("main") == [], "the merge commit's tree is the merged workspace"
    assert Branch.objects.get(name=branch).status == Branch.Status.MERGED
    ddl = api.show(merge_commit.hash)["ddl"]
    assert any("from_branch" in d["statement"] for d in ddl)


def test_fast_forward_when_target_has_not_moved(unique, table):
    branch = unique("ff")
    api.create_branch(branch)
    head = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN ff int")
    commits_before = Commit.objects.count()
    result = api.merge(branch)
    assert result.status == "fast-forward" and result.commit_hash == head.hash
    assert Branch.objects.get(name="main", status="ACTIVE").head_id == head.hash
    assert Commit.objects.count() == commits_before, "no merge commit"
    assert "ff" in table_columns("public", table)
    assert api.status("main") == []
    assert str(api.get_version(table)) == "1.1.0"


def test_up_to_date_merge_changes_nothing(unique, table):
    branch = unique("utd")
    api.create_branch(branch)
    head = Branch.objects.get(name="main", status="ACTIVE").head_id
    assert api.merge(branch).status == "up-to-date"
    assert Branch.objects.get(name="main", status="ACTIVE").head_id == head


def test_merge_into_a_branch_that_moved(unique, table):
    target, source = unique("target"), unique("source")
    api.create_branch(target)
    api.create_branch(source)
    on_branch(target, f"ALTER TABLE {table} ADD COLUMN t int")
    on_branch(source, f"ALTER TABLE {table} ADD COLUMN s int")
    result = api.merge(source, target)
    assert result.status == "merged"
    assert table_columns(namespace_of(target), table) == ["id", "name", "qty", "t", "s"]
    assert "s" not in table_columns("public", table), "main is untouched"


CONFLICTS = [
    (
        "same column, different types",
        "ALTER TABLE {t} ALTER COLUMN qty TYPE bigint",
        "ALTER TABLE {t} ALTER COLUMN qty TYPE text",
        "table:public.{t}",
        "modify/modify",
    ),
    (
        "drop versus modify",
        "DROP TABLE {t}",
        "ALTER TABLE {t} ADD COLUMN extra int",
        "table:public.{t}",
        "delete/modify",
    ),
    (
        "modify versus drop",
        "ALTER TABLE {t} ADD COLUMN extra int",
        "DROP TABLE {t}",
        "table:public.{t}",
        "modify/delete",
    ),
    (
        "same name created twice",
        "CREATE TABLE {t}_twin (id int)",
        "CREATE TABLE {t}_twin (id text)",
        "table:public.{t}_twin",
        "add/add",
    ),
]


@pytest.mark.parametrize(
    "name,on_main,on_source,key,kind", CONFLICTS, ids=[c[0] for c in CONFLICTS]
)
def test_conflicts_are_recorded_and_nothing_is_applied(
    unique, table, name, on_main, on_source, key, kind
):
    branch = unique("c")
    api.create_branch(branch)
    on_branch(branch, on_source.format(t=table))
    run(on_main.format(t=table))
    api.commit("main side")
    tree, head = main_tree(), Branch.objects.get(name="main", status="ACTIVE").head_id
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    assert [c["object"] for c in info.value.conflicts] == [key.format(t=table)]
    assert info.value.conflicts[0]["kind"] == kind
    assert main_tree() == tree and Branch.objects.get(name="main", status="ACTIVE").head_id == head
    assert api.status("main") == []
    assert sql_rows("SELECT status FROM pggit.merges WHERE id = %s", [info.value.merge_id]) == [
        ("CONFLICTED",)
    ]
    assert Branch.objects.get(name=branch, status="ACTIVE").status == "ACTIVE"


@pytest.mark.parametrize("resolution", ["ours", "theirs", "ddl"])
def test_resolving_the_conflicts_completes_the_merge(unique, table, resolution):
    branch = unique("r")
    api.create_branch(branch)
    on_branch(
        branch,
        f"ALTER TABLE {table} ALTER COLUMN qty TYPE text",
        f"CREATE TABLE {table}_new (id int)",
    )
    run(f"ALTER TABLE {table} ALTER COLUMN qty TYPE bigint")
    api.commit("main side")
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    merge_id, key = info.value.merge_id, f"table:public.{table}"
    answer = {
        "ours": "ours",
        "theirs": "theirs",
        "ddl": f"ALTER TABLE {table} ALTER COLUMN qty TYPE numeric",
    }[resolution]
    commit_hash = api.resolve_conflict(merge_id, key, answer)
    assert commit_hash, "the last resolution completes the merge"
    qty_type = sql_scalar(
        "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public'"
        " AND table_name = %s AND column_name = 'qty'",
        [table],
    )
    assert qty_type == {"ours": "bigint", "theirs": "text", "ddl": "numeric"}[resolution]
    assert table_columns("public", f"{table}_new") == ["id"], "non-conflicting changes land too"
    assert Commit.objects.get(hash=commit_hash).merge_parent_id is not None
    assert api.status("main") == []
    assert sql_rows("SELECT status FROM pggit.merges WHERE id = %s", [merge_id]) == [("COMPLETED",)]
    with pytest.raises(MergeNotOpen):
        api.resolve_conflict(merge_id, key, "ours")


def test_bad_resolutions_are_refused(unique, table):
    branch = unique("bad")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ALTER COLUMN qty TYPE text")
    run(f"ALTER TABLE {table} ALTER COLUMN qty TYPE bigint")
    api.commit("main side")
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    with pytest.raises(ConflictNotFound):
        api.resolve_conflict(info.value.merge_id, "table:public.nope", "ours")
    with pytest.raises(InvalidResolution):
        api.resolve_conflict(info.value.merge_id, f"table:public.{table}", "  ")
    with pytest.raises(MergeNotOpen):
        api.resolve_conflict(10**12, f"table:public.{table}", "ours")


def test_a_failing_statement_leaves_the_target_unchanged(unique, table):
    branch = unique("fail")
    api.create_branch(branch)
    on_branch(
        branch,
        f"ALTER TABLE {table} ALTER COLUMN name SET NOT NULL",
        f"CREATE TABLE {table}_x (id int)",
    )
    run(
        f"INSERT INTO {table} (id, name) VALUES (1, NULL)",
        f"CREATE INDEX {table}_moved ON {table} (qty)",
    )
    api.commit("main moved")
    tree, head = main_tree(), Branch.objects.get(name="main", status="ACTIVE").head_id
    err = sql_error("SELECT * FROM pggit.merge(%s, 'main')", [branch])
    assert err.sqlstate == "23502"  # the failing statement's own SQLSTATE (not_null_violation)
    assert "statement" in err.diag.message_primary and "SET NOT NULL" in err.diag.message_detail
    assert main_tree() == tree and Branch.objects.get(name="main", status="ACTIVE").head_id == head
    assert table_columns("public", f"{table}_x") == []


def test_merge_refusals(unique, table):
    branch = unique("ref")
    api.create_branch(branch)
    with pytest.raises(SameBranch):
        api.merge(branch, branch)
    with pytest.raises(BranchNotFound):
        api.merge(unique("ghost"))
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN z int")
    run(f"ALTER TABLE {table} ADD COLUMN dirty int")  # uncommitted on main
    with pytest.raises(UncommittedChanges):
        api.merge(branch)
    run(f"ALTER TABLE {table} DROP COLUMN dirty")
    api.delete_branch(branch, force=True)
    with pytest.raises(BranchDeleted):
        api.merge(branch)


def test_revert_undoes_a_commit(unique, table):
    run(f"ALTER TABLE {table} ADD COLUMN temp int")
    added = api.commit("add temp")
    revert = api.revert(added.hash)
    assert revert.parent_id == added.hash and revert.message.startswith('Revert "add temp"')
    assert "temp" not in table_columns("public", table)
    assert api.status("main") == []
    assert hash_in("public", table) == sql_scalar(
        "SELECT entries->>%s FROM pggit.trees"
        " WHERE hash = (SELECT tree_hash FROM pggit.commits WHERE hash = %s)",
        [f"table:public.{table}", added.parent_id],
    )


def test_revert_reports_a_conflict_when_later_commits_depend_on_it(unique, table):
    run(f"ALTER TABLE {table} ADD COLUMN temp int")
    added = api.commit("add temp")
    run(f"ALTER TABLE {table} ALTER COLUMN temp TYPE bigint")
    api.commit("later change")
    head = Branch.objects.get(name="main", status="ACTIVE").head_id
    with pytest.raises(MergeConflict, match="later commits changed"):
        api.revert(added.hash)
    assert Branch.objects.get(name="main", status="ACTIVE").head_id == head


def test_revert_of_a_merge_commit_needs_a_parent(unique, table):
    branch = unique("rm")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN rb int")
    run(f"ALTER TABLE {table} ADD COLUMN rm int")
    api.commit("main side")
    merged = api.merge(branch)
    with pytest.raises(MergeParentRequired):
        api.revert(merged.commit_hash)
    reverted = api.revert(merged.commit_hash, parent=1)
    assert "rb" not in table_columns("public", table) and "rm" in table_columns("public", table)
    assert reverted.branch.name == "main"


def _conflicted_merge(unique, table) -> tuple[int, str, str]:
    """A 3-way merge stopped on one conflict (qty's type on both sides) with one clean change
    (a new table on the branch): (merge id, the conflicting key, the branch)."""
    branch = unique("step")
    api.create_branch(branch)
    on_branch(
        branch,
        f"ALTER TABLE {table} ALTER COLUMN qty TYPE text",
        f"CREATE TABLE {table}_new (id int)",
    )
    run(f"ALTER TABLE {table} ALTER COLUMN qty TYPE bigint")
    api.commit("main side")
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    return info.value.merge_id, f"table:public.{table}", branch


def test_merged_tree_takes_each_resolution_and_refuses_an_open_conflict(unique, table):
    """merged_tree, the step of complete_merge that decides the target's tree: the target's
    entry for 'ours' and 'ddl' (whose statement comes back as extra), the source's for
    'theirs', the clean change in every case; an unresolved conflict is PGM01."""
    merge_id, key, branch = _conflicted_merge(unique, table)
    tree_of = (
        "SELECT result, extra FROM pggit.merged_tree((SELECT m FROM pggit.merges m WHERE id = %s))"
    )
    assert sql_error(tree_of, [merge_id]).sqlstate == "PGM01"
    ours = sql_scalar(
        "SELECT pggit.commit_tree(target_hash)->>%s FROM pggit.merges WHERE id = %s",
        [key, merge_id],
    )
    theirs = sql_scalar(
        "SELECT pggit.commit_tree(source_hash)->>%s FROM pggit.merges WHERE id = %s",
        [key, merge_id],
    )
    ddl = f"ALTER TABLE {table} ALTER COLUMN qty TYPE numeric"
    resolve = (
        "UPDATE pggit.merge_conflicts SET resolution = %s, resolution_value = %s"
        " WHERE merge_id = %s"
    )
    for resolution, value, entry, extra in [
        ("ours", None, ours, []),
        ("theirs", None, theirs, []),
        ("ddl", ddl, ours, [{"object_key": key, "statement": ddl}]),
    ]:
        with transaction.atomic():
            run(resolve, params=[resolution, value, merge_id])
            [(result, got_extra)] = sql_rows(tree_of, [merge_id])
            transaction.set_rollback(True)
        result, got_extra = (
            json.loads(v) if isinstance(v, str) else v for v in (result, got_extra)
        )
        assert result[key] == entry and got_extra == extra, resolution
        assert f"table:public.{table}_new" in result, "the clean change is taken"
    assert sql_scalar("SELECT status FROM pggit.merges WHERE id = %s", [merge_id]) == "CONFLICTED"


def test_a_merge_completes_only_as_planned(unique, table):
    """lock_merge_for_completion, the first step of complete_merge: a merge that is no longer
    waiting is PGM07; one whose target moved since it was planned is PGM04 and stays
    CONFLICTED until a new merge of the pair supersedes it."""
    merge_id, key, branch = _conflicted_merge(unique, table)
    lock = "SELECT id FROM pggit.lock_merge_for_completion(%s)"
    assert sql_scalar(lock, [merge_id]) == merge_id
    run(f"CREATE TABLE {table}_later (id int)")
    api.commit("main moves on")
    assert sql_error(lock, [merge_id]).sqlstate == "PGM04"
    assert sql_scalar("SELECT status FROM pggit.merges WHERE id = %s", [merge_id]) == "CONFLICTED"
    with pytest.raises(MergeConflict) as again:
        api.merge(branch)
    assert again.value.merge_id != merge_id
    assert sql_scalar("SELECT status FROM pggit.merges WHERE id = %s", [merge_id]) == "ABANDONED"
    assert sql_error(lock, [merge_id]).sqlstate == "PGM07"
    assert sql_error(lock, [10**12]).sqlstate == "PGM07"
