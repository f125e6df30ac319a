"""merge_preview (what a merge would do), ahead_behind and the unmerged-commit list."""

from __future__ import annotations

import pytest

from pggit import api
from pggit.exceptions import BranchDeleted, BranchNotFound, SameBranch
from pggit.models import Branch
from tests.helpers import committed_table, on_branch, run, sql_error, sql_scalar, table_columns

pytestmark = pytest.mark.django_db


def head(name: str) -> str:
    return Branch.objects.get(name=name, status="ACTIVE").head_id


def test_preview_of_a_fast_forward_lists_objects_and_ddl_and_changes_nothing(unique, table):
    branch = unique("pv")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN price numeric(8,2)")
    before = (head("main"), head(branch))
    preview = api.merge_preview(branch, "main")
    assert preview["mode"] == "fast-forward"
    assert preview["objects"] == [
        {"object": f"table:public.{table}", "outcome": "theirs", "conflict": None}
    ]
    assert preview["ddl"] == [f"ALTER TABLE {table} ADD COLUMN price numeric(8,2)"]
    assert preview["conflicts"] == 0
    assert (head("main"), head(branch)) == before
    assert Branch.objects.get(name=branch, status="ACTIVE").status == "ACTIVE"
    # the preview's DDL is what the merge runs
    result = api.merge(branch, "main")
    assert result.status == "fast-forward"
    assert "price" in table_columns("public", table)


def test_preview_of_a_3way_merge_shows_conflicts_and_leaves_them_out_of_the_ddl(unique, table):
    branch = unique("pv3")
    api.create_branch(branch)
    on_branch(
        branch,
        f"ALTER TABLE {table} ALTER COLUMN name TYPE varchar(10)",
        f"CREATE TABLE {table}_new (id int)",
    )
    run(f"ALTER TABLE {table} ALTER COLUMN name TYPE varchar(20)")
    api.commit("main changes name")
    preview = api.merge_preview(branch)
    assert preview["mode"] == "3way" and preview["base"]
    outcomes = {o["object"]: (o["outcome"], o["conflict"]) for o in preview["objects"]}
    assert outcomes == {
        f"table:public.{table}": ("conflict", "modify/modify"),
        f"table:public.{table}_new": ("theirs", None),
    }
    assert preview["conflicts"] == 1
    assert any(f"CREATE TABLE {table}_new" in s for s in preview["ddl"])
    assert not any("varchar(10)" in s for s in preview["ddl"])
    assert sql_scalar("SELECT to_regclass(%s)", [f"{table}_new"]) is None, "nothing applied"


def test_preview_when_target_already_has_everything(unique):
    branch = unique("pvu")
    api.create_branch(branch)
    preview = api.merge_preview(branch)
    assert preview == {
        "mode": "up-to-date",
        "base": head("main"),
        "objects": [],
        "ddl": [],
        "data": [],
        "conflicts": 0,
    }


def test_preview_counts_data_branch_rows_and_conflicts(unique):
    t = committed_table(
        unique, "pvd", "(id int PRIMARY KEY, v int)", "INSERT INTO {t} VALUES (1, 1), (2, 2)"
    )
    branch = unique("pvd")
    rel = api.create_data_branch(t, "main", branch)
    run(
        f"UPDATE {rel} SET v = 10 WHERE id = 1",
        f"INSERT INTO {rel} VALUES (3, 3)",
        f"UPDATE {rel} SET v = 20 WHERE id = 2",
        f"UPDATE {t} SET v = 21 WHERE id = 2",
    )
    preview = api.merge_preview(branch)
    assert preview["data"] == [{"table": f"public.{t}", "rows": 2, "conflicts": 1}]
    assert preview["conflicts"] == 1
    assert sql_scalar(f"SELECT v FROM {t} WHERE id = 1") == 1, "nothing applied"


def test_preview_errors(unique):
    with pytest.raises(SameBranch):
        api.merge_preview("main", "main")
    with pytest.raises(BranchNotFound):
        api.merge_preview(unique("nope"))
    gone = unique("gone")
    api.create_branch(gone)
    api.delete_branch(gone)
    with pytest.raises(BranchDeleted):
        api.merge_preview(gone)
    err = sql_error("SELECT pggit.merge_preview('main', 'main')")
    assert err.sqlstate == "PGM02" and err.diag.message_hint


def test_ahead_behind_counts_both_directions(unique, table):
    branch = unique("ab")
    api.create_branch(branch)
    assert api.ahead_behind(branch) == (0, 0)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN a1 int", message="one")
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN a2 int", message="two")
    run(f"CREATE TABLE {table}_m (id int)")
    api.commit("main moves")
    assert api.ahead_behind(branch) == (2, 1)
    assert api.ahead_behind("main", branch) == (1, 2)
    api.merge(branch)
    assert api.ahead_behind("main", branch) == (2, 0), (
        "main now holds the branch's commits and its merge"
    )
    with pytest.raises(BranchNotFound):
        api.ahead_behind(unique("missing"))


def test_unmerged_commits_are_listed_newest_first(unique):
    api.commit("main is clean")
    branch = unique("um")
    api.create_branch(branch)
    first = api.commit("first", branch=branch)
    second = api.commit("second", branch=branch)
    assert [c.hash for c in api.unmerged_commits(branch)] == [second.hash, first.hash]
    assert sql_scalar("SELECT pggit.unmerged_commits((pggit.find_branch(%s)).id)", [branch]) == 2
    api.merge(branch)
    assert api.unmerged_commits(branch) == []
