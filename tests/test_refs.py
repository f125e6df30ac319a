"""Refs (issue 18 items 1-3, issue 21 item 6): tags, resolve, branching from any commit, reset;
and the reflog with verify()'s checks on it (issue 19 item 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.urls import reverse

from pggit import api
from pggit.exceptions import (
    AmbiguousRef,
    BranchDeleted,
    BranchNotFound,
    CommitNotFound,
    HistoryImmutable,
    InvalidArgument,
    InvalidTagName,
    ProtectedBranch,
    RefNameCollision,
    TagExists,
    TagNotFound,
    from_database_error,
)
from pggit.models import Branch, Tag
from tests.helpers import (
    cmd,
    database_url,
    ident,
    page_text,
    run,
    sql_error,
    sql_rows,
    sql_scalar,
    user_error,
)

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db

LIVE = "(SELECT id FROM pggit.branches WHERE name = %s AND status <> 'DELETED')"
EMPTY_TREE = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@contextmanager
def triggers_off() -> Iterator[None]:
    """What a superuser can do: run DML with every trigger off (session_replication_role)."""
    run("SET session_replication_role = replica")
    try:
        yield
    finally:
        run("SET session_replication_role = origin")


def commit_table(branch: str, table: str, message: str) -> str:
    if not Branch.objects.filter(name=branch).exclude(status="DELETED").exists():
        api.create_branch(branch)
    with api.checkout(branch):
        run(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    return api.commit(message, branch=branch).hash


def snapshot() -> tuple:
    return (
        sql_rows("SELECT name, head_hash, status FROM pggit.branches ORDER BY id"),
        sql_rows("SELECT name, commit_hash FROM pggit.tags ORDER BY name"),
        sql_scalar("SELECT count(*) FROM pggit.reflog"),
    )


# --- resolve -----------------------------------------------------------------------------------


def test_resolve_accepts_branch_tag_hash_prefix_head_and_parents(unique):
    branch = unique("res")
    c1 = api.commit("one", branch=branch).hash
    c2 = commit_table(branch, ident("r", unique), "two")
    c3 = commit_table(branch, ident("r", unique), "three")
    name = unique("v1.0/rc")
    api.tag(name, c2)
    assert api.resolve(branch) == c3
    assert api.resolve(name) == c2
    assert api.resolve(c1) == c1
    assert api.resolve(c1[:7]) == c1
    assert api.resolve(c1[:7].upper()) == c1
    assert api.resolve(f"{branch}~") == c2
    assert api.resolve(f"{branch}~2") == c1
    assert api.resolve(f"{branch}~1~1") == c1
    assert api.resolve(f"{name}~1") == c1
    with api.checkout(branch):
        assert api.resolve("HEAD") == c3
        assert api.resolve("HEAD~2") == c1
        # every function that takes a commit takes any ref
        assert api.show("HEAD~1")["commit"]["hash"] == c2
        assert api.show(name)["tags"] == [name]
    assert [c.hash for c in api.log(f"{branch}~1", 2)] == [c2, c1]
    assert [c.hash for c in api.log(name, 5)][:2] == [c2, c1]
    assert [e.object_key for e in api.diff(name, branch)] == [
        e.object_key for e in api.diff(c2, c3)
    ]
    assert len(api.diff(f"{branch}~2", branch)) == 2


def test_unknown_malformed_and_hostile_refs_are_refused(unique):
    branch = unique("res")
    c1 = api.commit("one", branch=branch).hash
    before = snapshot()
    for ref in [
        "nosuch",
        c1[:6],
        "0" * 64,
        f"{branch}~5",
        f"{branch}~x",
        "~1",
        f"{branch}~99999999999",
        f"{branch}~999999999~999999999~999999999",
        "x'; DROP TABLE pggit.commits; --",
        "a b",
        "tab\tref",
        "x" * 2000,
        "",
    ]:
        with pytest.raises(CommitNotFound):
            api.resolve(ref)
    with pytest.raises(CommitNotFound):
        api.resolve("bad\x00ref")
    assert sql_error("SELECT pggit.resolve(NULL)").sqlstate == "PGC03"
    assert snapshot() == before


def test_an_ambiguous_prefix_lists_the_candidates():
    # two commits whose hashes share 8 digits (written directly: hashes are SHA-256)
    prefix = "abcdef12"
    hashes = [prefix + n * 56 for n in ("0", "1")]
    main_id = sql_scalar(
        "SELECT id FROM pggit.branches WHERE name = 'main' AND status <> 'DELETED'"
    )
    for h in hashes:
        run(
            "INSERT INTO pggit.commits (hash, branch_id, tree_hash, message, author, committed_at)"
            " VALUES (%s, %s, %s, 'x', 'x', now())",
            params=[h, main_id, EMPTY_TREE],
        )
    with pytest.raises(AmbiguousRef) as info:
        api.resolve(prefix)
    assert hashes[0] in str(info.value) and hashes[1] in str(info.value)
    assert api.resolve(hashes[1][:9]) == hashes[1]
    assert sql_error("SELECT pggit.show(%s)", [prefix[:7]]).sqlstate == "PGR01"


# --- tags ----------------------------------------------------------------------------------------


def test_tags_are_immutable_unless_forced_and_deletable(unique):
    branch = unique("tag")
    c1 = api.commit("one", branch=branch).hash
    c2 = commit_table(branch, ident("t", unique), "two")
    name = unique("release/2026-11.v1.2.0")
    made = api.tag(name, c1, message="first release")
    assert isinstance(made, Tag) and made.commit_id == c1 and made.message == "first release"
    assert api.tag(name, c1).commit_id == c1  # the same commit again: a no-op
    with pytest.raises(TagExists):
        api.tag(name, c2)
    assert api.resolve(name) == c1
    assert api.tag(name, c2, force=True).commit_id == c2
    assert name in [t.name for t in api.tags()]
    assert (name, c2) in sql_rows("SELECT name, commit_hash FROM pggit.tags()")
    assert api.delete_tag(name) == c2
    with pytest.raises(TagNotFound):
        api.delete_tag(name)
    with pytest.raises(CommitNotFound):
        api.resolve(name)


def test_tag_defaults_to_mains_head(unique):
    head = api.commit("main head").hash
    assert api.tag(unique("v")).commit_id == head
    assert sql_scalar("SELECT pggit.tag(%s)", [unique("w")]) == head
    assert sql_scalar("SELECT pggit.tag(%s, commit => 'main')", [unique("k")]) == head


def test_tag_and_branch_names_may_not_collide(unique):
    branch = unique("coll")
    api.commit("one", branch=branch)
    api.commit("main has a head")
    before = snapshot()
    with pytest.raises(RefNameCollision):
        api.tag(branch)
    with pytest.raises(RefNameCollision):
        api.tag("HEAD")
    assert snapshot() == before
    name = unique("tagged")
    api.tag(name)
    before = snapshot()
    with pytest.raises(RefNameCollision):
        api.create_branch(name)
    with pytest.raises(RefNameCollision):
        api.commit("implicit branch", branch=name)
    assert snapshot() == before


@pytest.mark.parametrize("name", ["", "a b", "v1..2", "x~1", "abc1234", "/x", "x.lock", "a" * 300])
def test_invalid_tag_names_are_refused(name):
    api.commit("something to tag")
    before = snapshot()
    with pytest.raises(InvalidTagName):
        api.tag(name)
    assert snapshot() == before


def test_unknown_target_of_tag_is_refused(unique):
    with pytest.raises(CommitNotFound):
        api.tag(unique("t"), "nosuchref")
    assert sql_error("SELECT pggit.delete_tag('x y')").sqlstate == "PGR05"


# --- create_branch from any commit ---------------------------------------------------------------


def test_create_branch_from_any_ref(unique):
    branch = unique("src")
    t1, t2 = ident("a", unique), ident("b", unique)
    c1 = commit_table(branch, t1, "one")
    c2 = commit_table(branch, t2, "two")
    api.tag(unique("v"), c1)
    for ref in [c1, c1[:8], f"{branch}~1"]:
        new = api.create_branch(unique("from"), ref)
        assert new.head_id == c1 and new.base_id == c1
        keys = {e.object_key for e in api.diff(new.name, branch)}
        assert keys == {f"table:public.{t2}"}  # its workspace is c1's schema
        assert api.status(new.name) == []
    by_keyword = sql_scalar(
        "SELECT (pggit.create_branch(%s, from_branch => %s)).head_hash", [unique("kw"), c2]
    )
    assert by_keyword == c2
    before = snapshot()
    with pytest.raises(BranchNotFound):
        api.create_branch(unique("x"), unique("nosuch"))
    with pytest.raises(CommitNotFound):
        api.create_branch(unique("x"), "feedface99")
    assert snapshot() == before
    assert api.verify() == []


# --- reset ---------------------------------------------------------------------------------------


def test_hard_reset_rebuilds_the_workspace_and_keeps_history(unique):
    branch = unique("rst")
    t1, t2, t3 = (ident(x, unique) for x in "abc")
    c1 = commit_table(branch, t1, "one")
    c2 = commit_table(branch, t2, "two")
    with api.checkout(branch):
        run(f"CREATE TABLE {t3} (id int)")  # uncommitted: discarded by a hard reset
    reset = api.reset(branch, f"{branch}~1", mode="hard")
    assert reset.head_id == c1
    assert api.status(branch) == []
    assert {e.object_key for e in api.diff(branch, c2)} == {f"table:public.{t2}"}
    # history is append-only: the later commit stays readable by hash and in the reflog
    assert api.show(c2)["commit"]["hash"] == c2
    log = api.reflog(branch)
    assert [e.operation for e in log[:2]] == ["reset", "commit"]
    assert (log[0].old_hash, log[0].new_hash) == (c2, c1)
    # committing after the reset forks from c1; verify accepts it
    c3 = commit_table(branch, ident("d", unique), "after reset")
    assert api.log(branch)[1].hash == c1 and api.log(branch)[0].hash == c3
    assert api.verify() == []


def test_hard_reset_of_a_clean_workspace_runs_the_diff(unique):
    branch = unique("rst")
    t1 = ident("a", unique)
    c0 = api.commit("empty", branch=branch).hash
    commit_table(branch, t1, "one")
    api.reset(branch, c0, mode="hard")
    assert api.status(branch) == []
    assert api.diff(branch, c0) == []
    with api.checkout(branch):
        assert sql_scalar("SELECT to_regclass(%s)", [t1]) is None
    assert api.verify() == []


def test_soft_reset_leaves_the_workspace_as_uncommitted_changes(unique):
    branch = unique("soft")
    t1 = ident("a", unique)
    c0 = api.commit("empty", branch=branch).hash
    c1 = commit_table(branch, t1, "one")
    assert api.reset(branch, c0).head_id == c0  # soft is the default
    assert [(c.object_key, c.change) for c in api.status(branch)] == [
        (f"table:public.{t1}", "added")
    ]
    again = api.commit("again", branch=branch)
    assert again.tree_hash == sql_scalar(
        "SELECT tree_hash FROM pggit.commits WHERE hash = %s", [c1]
    )
    assert again.parent_id == c0
    assert api.verify() == []


def test_hard_reset_discards_data_branch_rows(unique):
    t = ident("d", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, v int)", f"INSERT INTO {t} VALUES (1, 1)")
    api.commit("t")
    branch = unique("data")
    view = api.create_data_branch(t, "main", branch)
    base = api.commit("on branch", branch=branch).hash
    run(f"UPDATE {view} SET v = 2", f"INSERT INTO {view} VALUES (2, 2)")
    api.reset(branch, base, mode="hard")
    assert sql_rows(f"SELECT id, v FROM {view} ORDER BY id") == [(1, 1)]
    assert sql_rows(f"SELECT id, v FROM {t} ORDER BY id") == [(1, 1)]


def test_reset_refusals_change_nothing(unique):
    branch = unique("ref")
    c1 = api.commit("one", branch=branch).hash
    api.commit("main one")
    before = snapshot()
    with pytest.raises(ProtectedBranch):
        api.reset("main", c1)
    with pytest.raises(InvalidArgument):
        api.reset(branch, c1, mode="mixed")
    with pytest.raises(CommitNotFound):
        api.reset(branch, "nosuchref")
    with pytest.raises(BranchNotFound):
        api.reset(unique("never"), c1)
    gone = unique("gone")
    api.create_branch(gone)
    api.delete_branch(gone)
    before = snapshot()
    with pytest.raises(BranchDeleted):
        api.reset(gone, c1)
    assert sql_error("SELECT pggit.reset('main', %s, 'hard')", [c1]).sqlstate == "PGB03"
    assert snapshot() == before


def test_forced_reset_of_main(unique):
    t = ident("m", unique)
    c0 = api.commit("before").hash
    run(f"CREATE TABLE {t} (id int)")
    api.commit("add")
    api.reset("main", c0, mode="hard", force=True)
    assert sql_scalar("SELECT to_regclass(%s)", [f"public.{t}"]) is None
    assert api.get_branch("main").head_id == c0
    assert api.verify() == []


# --- the reflog ----------------------------------------------------------------------------------


def test_every_head_move_is_in_the_reflog_chained(unique):
    branch = unique("rl")
    api.commit("main base")
    api.create_branch(branch)
    c1 = commit_table(branch, ident("a", unique), "work")
    api.merge(branch)  # fast-forward of main
    other = unique("rl2")
    api.create_branch(other)
    commit_table(other, ident("b", unique), "other work")
    commit_table("main", ident("c", unique), "main work")
    api.merge(other)  # a merge commit
    api.revert("main", parent=1)
    gone = unique("gone")
    api.create_branch(gone)
    api.delete_branch(gone)
    ops = [e.operation for e in api.reflog("main", 6)]
    assert ops[:4] == ["revert", "merge", "commit", "fast-forward"]
    ff = api.reflog("main", 10)[3]
    assert ff.new_hash == c1 and ff.author and ff.role_name and ff.moved_at
    assert [e.operation for e in api.reflog(branch)] == ["commit", "create"]
    assert [e.operation for e in api.reflog(gone)] == ["delete", "create"]
    entries = sql_rows(
        "SELECT prev_hash, entry_hash FROM pggit.reflog r WHERE branch_id ="
        " (SELECT id FROM pggit.branches WHERE name = %s) ORDER BY id",
        [branch],
    )
    assert entries[0][0] is None and entries[1][0] == entries[0][1]
    assert api.verify() == []


def test_the_reflog_is_append_only(unique):
    api.commit("x", branch=unique("ao"))
    for statement in [
        "UPDATE pggit.reflog SET reason = 'x'",
        "DELETE FROM pggit.reflog",
        "TRUNCATE pggit.reflog",
    ]:
        error = sql_error(statement)
        assert error.sqlstate == "PGH01" and "pggit.reflog" in str(error)
    assert isinstance(from_database_error(sql_error("DELETE FROM pggit.reflog")), HistoryImmutable)


def test_verify_catches_a_head_rewound_outside_the_api(unique):
    branch = unique("rew")
    c1 = api.commit("one", branch=branch).hash
    commit_table(branch, ident("a", unique), "two")
    assert api.verify() == []
    # a superuser with the triggers off rewinds the head
    with triggers_off():
        run(f"UPDATE pggit.branches SET head_hash = %s WHERE id = {LIVE}", params=[c1, branch])
    findings = [f for f in api.verify() if f.check == "reflog"]
    assert [f.subject for f in findings] == [branch]
    assert c1 in findings[0].detail


def test_verify_catches_deleted_object_versions_and_ddl_events(unique):
    branch = unique("lost")
    t1, t2 = ident("a", unique), ident("b", unique)
    commit_table(branch, t1, "one")
    c2 = commit_table(branch, t2, "two")
    assert api.verify() == []
    branch_id = Branch.objects.get(name=branch, status="ACTIVE").pk
    with triggers_off():
        run(
            "DELETE FROM pggit.object_versions WHERE branch_id = %s AND object_key = %s",
            params=[branch_id, f"table:public.{t2}"],
        )
        run(
            "DELETE FROM pggit.ddl_events"
            " WHERE commit_id = (SELECT id FROM pggit.commits WHERE hash = %s)",
            params=[c2],
        )
    findings = {(f.check, f.subject): f.detail for f in api.verify()}
    assert f"table:public.{t2}" in findings[("object_versions", branch)]
    assert c2 in findings[("ddl_events", branch)]


def test_verify_catches_a_broken_reflog_chain(unique):
    branch = unique("chain")
    api.commit("one", branch=branch)
    commit_table(branch, ident("a", unique), "two")
    with triggers_off():
        run(
            "DELETE FROM pggit.reflog WHERE id ="
            f" (SELECT min(id) FROM pggit.reflog WHERE branch_id = {LIVE})",
            params=[branch],
        )
        run(
            "UPDATE pggit.reflog SET reason = 'forged' WHERE id ="
            f" (SELECT max(id) FROM pggit.reflog WHERE branch_id = {LIVE})",
            params=[branch],
        )
    details = [f.detail for f in api.verify() if f.check == "reflog" and f.subject == branch]
    assert any("does not chain" in d for d in details)
    assert any("does not hash" in d for d in details)


# --- commands ------------------------------------------------------------------------------------


def test_pggit_tag_creates_lists_and_deletes(unique):
    head = api.commit("to tag").hash
    name = unique("v1.2")
    assert cmd("pggit_tag", "create", name, "-m", "note") == f"Tagged {head[:12]} as {name}\n"
    listed = json.loads(cmd("pggit_tag", "--json"))
    assert {"name": name, "commit_hash": head, "message": "note"}.items() <= next(
        t for t in listed if t["name"] == name
    ).items()
    assert name in cmd("pggit_tag", "list")
    assert user_error("pggit_tag", "create", name, "main~1").returncode == 1
    assert user_error("pggit_tag", "create", "bad name").returncode == 1
    assert user_error("pggit_tag", "create", "main").returncode == 1
    assert json.loads(cmd("pggit_tag", "delete", name, "--json")) == {
        "name": name,
        "commit_hash": head,
    }
    assert user_error("pggit_tag", "delete", name).returncode == 1


def test_pggit_reset_and_log_reflog(unique):
    branch = unique("cli")
    c1 = api.commit("one", branch=branch).hash
    c2 = commit_table(branch, ident("a", unique), "two")
    out = cmd("pggit_reset", branch, f"{branch}~1", "--hard")
    assert out == f"Reset {branch} --hard to {c1[:12]} (was {c2[:12]})\n"
    data = json.loads(cmd("pggit_reset", branch, c2, "--json"))
    assert data["head_hash"] == c2 and data["old_head_hash"] == c1 and data["mode"] == "soft"
    reflog = json.loads(cmd("pggit_log", "--branch", branch, "--reflog", "--json"))
    assert [e["operation"] for e in reflog] == ["reset", "reset", "commit", "commit", "create"]
    assert reflog[0]["new_hash"] == c2 and reflog[1]["new_hash"] == c1
    assert "reset --hard" in cmd("pggit_log", "--branch", branch, "--reflog")
    assert [c["hash"] for c in json.loads(cmd("pggit_log", "--branch", f"{c2[:9]}~1", "--json"))][
        :1
    ] == [c1]
    assert user_error("pggit_reset", "main", c1).returncode == 1
    assert user_error("pggit_reset", branch, "nosuchref").returncode == 1
    assert user_error("pggit_log", "--branch", "nosuch~1").returncode == 1


def test_pggit_show_head_and_branch_from_a_ref(unique):
    api.commit("first")
    second = api.commit("second").hash
    name = unique("shown")
    api.tag(name)
    out = cmd("pggit_show", "HEAD")
    assert f"commit {second}" in out and f"Tags:   {name}" in out
    created = json.loads(cmd("pggit_branch", "create", unique("b"), "--from", "HEAD~1", "--json"))
    assert created["head_hash"] == api.resolve("main~1")


@pytest.mark.django_db(transaction=True)
def test_reset_and_tag_commands_exit_codes_in_a_process(unique):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
    }
    manage = [sys.executable, str(ROOT / "testproject" / "manage.py")]
    branch = unique("proc")
    api.commit("one", branch=branch)
    ok = subprocess.run(
        [*manage, "pggit_reset", branch, branch, "--hard"], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    for args in (["pggit_reset", "main", "main"], ["pggit_tag", "create", "HEAD"]):
        bad = subprocess.run([*manage, *args], env=env, capture_output=True, text=True)
        assert bad.returncode == 1
        assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr


# --- admin ---------------------------------------------------------------------------------------


def test_admin_lists_tags_and_shows_them_on_commits(admin_client, unique):
    head = api.commit("tagged in the admin")
    name = unique("adm/v1.0")
    api.tag(name, head.hash, message="admin release")
    listing = page_text(admin_client.get(reverse("admin:pggit_tag_changelist")))
    assert name in listing and head.hash[:12] in listing and "admin release" in listing
    assert admin_client.get(reverse("admin:pggit_tag_add")).status_code == 403
    commit_page = page_text(admin_client.get(reverse("admin:pggit_commit_change", args=[head.pk])))
    assert name in commit_page
    commits = page_text(admin_client.get(reverse("admin:pggit_commit_changelist")))
    assert name in commits


def test_admin_branch_page_shows_the_reflog(admin_client, unique):
    branch = unique("admrl")
    c1 = api.commit("one", branch=branch).hash
    c2 = commit_table(branch, ident("a", unique), "two")
    api.reset(branch, c1, mode="hard")
    pk = Branch.objects.get(name=branch, status="ACTIVE").pk
    html = page_text(admin_client.get(reverse("admin:pggit_branch_change", args=[pk])))
    assert "Reflog" in html
    assert f"reset --hard to {c1}" in html and c2[:12] in html and "commit: two" in html


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_tag_and_a_branch_racing_for_one_name_cannot_both_win(connect, unique):
    """A tag created in an open transaction holds the name: a branch of the same name, created
    meanwhile on another connection, waits for it and is then refused (and the reverse)."""
    api.commit("something to tag")
    for first, second in [("tag", "branch"), ("branch", "tag")]:
        name = unique("race")
        make = {"tag": "SELECT pggit.tag(%s)", "branch": "SELECT pggit.create_branch(%s)"}
        holder, other = connect(autocommit=False), connect()
        holder.execute(make[first], [name])
        with ThreadPoolExecutor(1) as pool:
            attempt = pool.submit(other.execute, make[second], [name])
            deadline = time.monotonic() + 30
            pid = other.info.backend_pid
            waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid = %s"
            while holder.execute(waiting, [pid]).fetchone()[0] == 0:
                assert time.monotonic() < deadline, "the second creation did not wait"
                time.sleep(0.02)
            holder.commit()
            with pytest.raises(psycopg.Error) as info:
                attempt.result(timeout=30)
        assert info.value.sqlstate == "PGR04"
        live_branches = sql_scalar(
            "SELECT count(*) FROM pggit.branches WHERE name = %s AND status <> 'DELETED'", [name]
        )
        tags_named = sql_scalar("SELECT count(*) FROM pggit.tags WHERE name = %s", [name])
        assert live_branches + tags_named == 1


def test_verify_catches_a_rewind_that_also_removes_the_reflog_entry(unique):
    """Rewinding a head and deleting the reflog entries after it leaves a consistent-looking
    reflog, but the commit that was the head has no entry any more."""
    branch = unique("hide")
    c1 = api.commit("one", branch=branch).hash
    c2 = commit_table(branch, ident("a", unique), "two")
    with triggers_off():
        run(f"UPDATE pggit.branches SET head_hash = %s WHERE id = {LIVE}", params=[c1, branch])
        run("DELETE FROM pggit.reflog WHERE new_hash = %s", params=[c2])
    details = [f.detail for f in api.verify() if f.check == "reflog" and f.subject == branch]
    assert details == [f"commit {c2} has no reflog entry"]


def test_a_branch_from_an_older_commit_gets_the_versions_of_that_commits_objects(unique):
    source = unique("ver")
    same, changed, later = ident("same", unique), ident("chg", unique), ident("later", unique)

    def version(branch: str, table: str) -> str | None:
        rows = sql_rows(
            "SELECT full_version FROM pggit.table_versions WHERE branch = %s AND table_name = %s"
            " AND NOT dropped",
            [branch, table],
        )
        return rows[0][0] if rows else None

    c1 = commit_table(source, same, "one table")
    with api.checkout(source):
        run(f"CREATE TABLE {changed} (id int)")
    c2 = api.commit("two tables", branch=source).hash
    with api.checkout(source):
        run(f"CREATE TABLE {later} (id int)", f"ALTER TABLE {changed} ADD COLUMN v int")
    api.commit("changed", branch=source)
    assert version(source, changed) == "1.1.0"
    old = api.create_branch(unique("old"), c2)
    assert version(old.name, changed) == "1.0.0"  # its definition at c2
    assert version(old.name, same) == "1.0.0"
    assert version(old.name, later) is None  # not in c2
    assert api.create_branch(unique("older"), c1).head_id == c1
    assert api.verify() == []
