"""Management commands: output, --json, and user errors (exit status and one clear line)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from pggit import api
from pggit.models import Branch, Commit
from tests.helpers import cmd, ident, run, user_error

ROOT = Path(__file__).resolve().parent.parent


def cmd_json(*args, **kwargs):
    return json.loads(cmd(*args, "--json", **kwargs))


@pytest.mark.django_db
class TestCommit:
    def test_commit_prints_branch_and_hash(self, unique):
        out = cmd(
            "pggit_commit", "-m", "hello", "--branch", unique("c"), "--create", "--author", "Ada"
        )
        commit = Commit.objects.order_by("-id").first()
        assert out.strip() == f"[{commit.branch.name} {commit.short_hash}] hello"
        assert commit.author == "Ada"

    def test_commit_json(self, unique):
        data = cmd_json("pggit_commit", "-m", "json", "--branch", unique("cj"), "--create")
        commit = Commit.objects.get(hash=data["hash"])
        assert data["message"] == "json" and data["branch"] == commit.branch.name
        assert data["parent_hash"] == commit.parent_id

    @pytest.mark.parametrize(
        "args",
        [
            ["-m", "x", "--branch", "bad name"],
            ["-m", "x" * 65537],
            ["-m", "x", "--author", ""],
        ],
    )
    def test_commit_user_errors(self, args):
        assert user_error("pggit_commit", *args).returncode == 1

    def test_commit_to_deleted_branch(self, unique):
        name = unique("del")
        api.create_branch(name)
        api.delete_branch(name)
        assert "deleted" in str(user_error("pggit_commit", "-m", "x", "--branch", name))


@pytest.mark.django_db
class TestBranch:
    def test_create_list_delete(self, unique):
        name = unique("b")
        assert f"Created branch {name}" in cmd("pggit_branch", "create", name, "--from", "main")
        assert name in cmd("pggit_branch")
        assert name in cmd("pggit_branch", "list")
        assert f"Deleted branch {name}" in cmd("pggit_branch", "delete", name)
        assert name not in cmd("pggit_branch", "list")
        assert name in cmd("pggit_branch", "list", "--all")

    def test_json(self, unique):
        name = unique("bj")
        created = cmd_json("pggit_branch", "create", name)
        assert created["name"] == name and created["status"] == "ACTIVE"
        listed = {b["name"]: b for b in cmd_json("pggit_branch", "list")}
        assert listed[name]["uuid"] == created["uuid"]
        assert listed["main"]["parent_branch"] is None

    def test_delete_needs_force_with_unmerged_commits(self, unique):
        name = unique("force")
        api.commit("work", branch=name)
        assert "force" in str(user_error("pggit_branch", "delete", name))
        cmd("pggit_branch", "delete", name, "--force")
        assert Branch.objects.get(name=name).status == "DELETED"

    @pytest.mark.parametrize(
        "args",
        [
            ["delete", "main"],
            ["delete", "no-such-branch-x1"],
            ["create", "a..b"],
            ["create", "main"],
        ],
    )
    def test_user_errors(self, args):
        assert user_error("pggit_branch", *args).returncode == 1


@pytest.mark.django_db
class TestReading:
    def test_log(self, unique):
        name = unique("l")
        for i in range(3):
            api.commit(f"m{i}\nbody", branch=name, author="Ada")
        oneline = cmd("pggit_log", "--branch", name, "--limit", "2", "--oneline").splitlines()
        assert [line.split(" ", 1)[1] for line in oneline] == ["m2", "m1"]
        full = cmd("pggit_log", "--branch", name, "--limit", "1")
        assert "Author: Ada" in full and "    body" in full
        data = cmd_json("pggit_log", "--branch", name, "--limit", "3")
        assert [d["message"] for d in data] == ["m2\nbody", "m1\nbody", "m0\nbody"]
        assert user_error("pggit_log", "--branch", name, "--limit", "0").returncode == 1

    def test_status_show_hash(self, unique):
        t = ident("cli", unique)
        api.commit("base")
        run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
        assert f"+ table:public.{t}" in cmd("pggit_status")
        assert {
            "object_key": f"table:public.{t}",
            "object_type": "table",
            "change": "added",
            "detail": None,
        } in cmd_json("pggit_status", "--branch", "main")
        commit = api.commit("add table")
        shown = cmd("pggit_show", commit.hash[:10])
        assert f"added     table:public.{t}" in shown and f"CREATE TABLE {t}" in shown
        data = cmd_json("pggit_show", commit.hash, "--tree")
        assert data["commit"]["hash"] == commit.hash and f"table:public.{t}" in data["tree"]
        hashes = cmd_json("pggit_hash", t)
        assert hashes == {t: api.schema_hash(t)}
        assert cmd("pggit_hash", t).split() == [api.schema_hash(t), t]
        assert user_error("pggit_hash", "no_such_table_zz").returncode == 1
        assert user_error("pggit_hash", "a;b").returncode == 1
        assert user_error("pggit_show", "nothex").returncode == 1


@pytest.mark.django_db
class TestDiffMergeData:
    def test_diff_and_merge(self, unique):
        t = ident("dm", unique)
        run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
        api.commit("t")
        branch = unique("dm")
        api.create_branch(branch)
        with api.checkout(branch):
            run(f"ALTER TABLE {t} ADD COLUMN v int")
        api.commit("v", branch=branch)
        assert f"~ table:public.{t}" in cmd("pggit_diff", "main", branch)
        assert (
            cmd("pggit_diff", "main", branch, "--sql").strip()
            == f"ALTER TABLE {t} ADD COLUMN v integer;"
        )
        assert cmd_json("pggit_diff", "main", branch)[0]["object_key"] == f"table:public.{t}"
        assert "Fast-forward" in cmd("pggit_merge", branch)
        assert "Already up to date" in cmd("pggit_merge", branch)
        assert user_error("pggit_merge", branch, branch).returncode == 1

    def test_merge_conflicts_exit_2_and_resolve(self, unique):
        t = ident("mc", unique)
        run(f"CREATE TABLE {t} (id int PRIMARY KEY, v int)")
        api.commit("t")
        branch = unique("mc")
        api.create_branch(branch)
        with api.checkout(branch):
            run(f"ALTER TABLE {t} ALTER COLUMN v TYPE text")
        api.commit("text", branch=branch)
        run(f"ALTER TABLE {t} ALTER COLUMN v TYPE bigint")
        api.commit("bigint")
        err = StringIO()
        with pytest.raises(CommandError) as info:
            call_command("pggit_merge", branch, stdout=StringIO(), stderr=err)
        assert info.value.returncode == 2 and f"table:public.{t}" in err.getvalue()
        merge_id = int(str(info.value).split()[1])
        out = cmd("pggit_merge", "--resolve", str(merge_id), f"table:public.{t}", "theirs")
        assert f"Merge {merge_id} completed" in out

    def test_data_branch_commands(self, unique):
        t = ident("dbc", unique)
        run(f"CREATE TABLE {t} (id int PRIMARY KEY, v int)", f"INSERT INTO {t} VALUES (1, 1)")
        api.commit("t")
        branch = unique("dbc")
        created = cmd_json("pggit_data_branch", "create", t, "--to", branch, "--create")
        run(f"UPDATE {created['relation']} SET v = 2")
        assert "~ {'id': 1}  (v)" in cmd("pggit_data_branch", "diff", t, "main", branch)
        listed = cmd_json("pggit_data_branch", "list", "--branch", branch)
        assert listed[0]["rows_written"] == 1 and listed[0]["view_name"] == created["relation"]
        assert (
            user_error("pggit_data_branch", "create", "no_such_zz", "--to", unique("x")).returncode
            == 1
        )


def _database_url() -> str:
    s = connection.settings_dict
    host = quote(s["HOST"] or "localhost", safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{quote(s['USER'] or '', safe='')}@{host}{port}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_real_exit_codes_and_no_traceback(unique):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
    }
    manage = [sys.executable, str(ROOT / "testproject" / "manage.py")]
    ok = subprocess.run(
        [*manage, "pggit_branch", "create", unique("sub")], env=env, capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [*manage, "pggit_branch", "delete", "main"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr
    assert "protected" in bad.stderr
