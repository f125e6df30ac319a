"""Commands of the history verbs: pggit_cherry_pick, pggit_show OBJECT / --checkout,
pggit_log --object (output, --json, exit codes, one-line errors)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from pggit import api
from pggit.models import Branch
from tests.helpers import cmd, on_branch, run, user_error

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str) -> subprocess.CompletedProcess:
    s = connection.settings_dict
    host = quote(s["HOST"] or "localhost", safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{quote(s['USER'] or '', safe='')}@{host}{port}/{s['NAME']}",
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "testproject" / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
    )


@pytest.mark.django_db(transaction=True)
def test_cherry_pick_command_exit_codes(unique, table):
    branch = unique("cpx")
    api.create_branch(branch)
    wanted = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN wanted int", message="wanted")
    clash = on_branch(branch, f"ALTER TABLE {table} ALTER COLUMN qty TYPE text", message="clash")
    run(f"ALTER TABLE {table} ALTER COLUMN qty TYPE bigint")
    api.commit("main side")

    picked = manage("pggit_cherry_pick", wanted.hash[:12], "main", "--json")
    assert picked.returncode == 0, picked.stderr
    data = json.loads(picked.stdout)
    assert data["status"] == "picked"
    assert data["commit_hash"] == Branch.objects.get(name="main", status="ACTIVE").head_id

    again = manage("pggit_cherry_pick", wanted.hash[:12], "main")
    assert again.returncode == 0 and "Nothing to do" in again.stdout

    unknown = manage("pggit_cherry_pick", "deadbeefdead", "main")
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert unknown.stderr.strip().count("\n") == 0 and "does not exist" in unknown.stderr

    conflict = manage("pggit_cherry_pick", clash.hash, "main")
    assert conflict.returncode == 2, conflict.stderr
    assert f"table:public.{table}" in conflict.stderr and "--resolve" in conflict.stderr


@pytest.mark.django_db
def test_show_object_command_prints_the_ddl_and_json(table):
    head = api.log(limit=1)[0].hash
    out = cmd("pggit_show", head, f"table:public.{table}")
    assert f"table:public.{table} at {head}" in out and f"CREATE TABLE {table} (" in out
    data = json.loads(cmd("pggit_show", head[:10], f"table:public.{table}", "--json"))
    assert data["commit"] == head and data["definition"]["name"] == table
    assert "has no object" in str(user_error("pggit_show", head, "table:public.nope"))
    assert "invalid object key" in str(user_error("pggit_show", head, "nope"))
    assert user_error("pggit_show", head, "table:public.x", "--tree").returncode == 1


@pytest.mark.django_db
def test_show_checkout_and_drop_checkout(table):
    head = api.log(limit=1)[0].hash
    try:
        data = json.loads(cmd("pggit_show", head, "--checkout", "--json"))
        assert data["namespaces"] == {"public": f"pggit_c{head[:12]}_1"}
        assert "read-only" in cmd("pggit_show", head, "--checkout")
    finally:
        assert "Dropped 1 namespace" in cmd("pggit_show", head, "--drop-checkout")
    assert "is not checked out" in cmd("pggit_show", head, "--drop-checkout")
    assert user_error("pggit_show", "zzzz", "--checkout").returncode == 1


@pytest.mark.django_db
def test_log_object_lists_the_object_history(table):
    run(f"ALTER TABLE {table} ADD COLUMN extra int")
    change = api.commit("extra column")
    out = cmd("pggit_log", "--object", f"table:public.{table}", "--oneline")
    lines = out.strip().splitlines()
    assert lines[0].startswith(change.short_hash) and "1.1.0" in lines[0] and "modified" in lines[0]
    assert "added" in lines[1] and "1.0.0" in lines[1]
    data = json.loads(
        cmd("pggit_log", "--object", f"table:public.{table}", "--json", "--limit", "1")
    )
    assert len(data) == 1 and data[0]["hash"] == change.hash and "extra added" in data[0]["detail"]
    text = cmd("pggit_log", "--object", f"table:public.{table}")
    assert "Change:  modified -> 1.1.0" in text and "Detail:  column extra added" in text
    assert user_error("pggit_log", "--object", "bogus").returncode == 1
    assert "no commit on branch" in str(user_error("pggit_log", "--object", "table:public.nope"))
    assert user_error("pggit_log", "--object", f"table:public.{table}", "--limit", "0")


@pytest.mark.django_db
def test_cherry_pick_command_hints_speak_flags(unique, table):
    branch = unique("cph")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN merged_in int")
    run(f"ALTER TABLE {table} ADD COLUMN main_side int")
    api.commit("main side")
    target = unique("cpht")
    api.create_branch(target)
    merge_commit = api.merge(branch).commit_hash
    error = str(user_error("pggit_cherry_pick", merge_commit, target))
    assert "is a merge" in error and "--parent 1" in error and "SELECT" not in error
    head = api.log(limit=1)[0].hash
    error = str(user_error("pggit_show", head, "table:public.nope"))
    assert "manage.py pggit_show COMMIT --tree" in error and "SELECT" not in error
