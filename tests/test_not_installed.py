"""Before ``migrate pggit``: commands refuse in one line, ``check`` says so, and nothing is
created. Each test runs ``manage.py`` in a subprocess against a new empty database."""

from __future__ import annotations

import socket

from tests.helpers import ScratchDatabase

MESSAGE = "pggit is not installed in database 'default': run manage.py migrate pggit"

COMMANDS = [
    ["pggit_commit", "-m", "first"],
    ["pggit_branch", "list"],
    ["pggit_branch", "create", "feature/x"],
    ["pggit_branch", "--json", "delete", "feature/x"],
    ["pggit_status"],
    ["pggit_log", "--oneline"],
    ["pggit_show", "abcd"],
    ["pggit_hash", "users"],
    ["pggit_diff", "main", "feature/x"],
    ["pggit_merge", "feature/x"],
    ["pggit_cherry_pick", "abcd", "main"],
    ["pggit_data_branch", "list"],
    ["pggit_verify", "--json"],
    ["pggit_tag", "create", "v1.0"],
    ["pggit_reset", "feature/x", "main", "--hard"],
]


def test_every_command_says_in_one_line_that_pggit_is_not_installed(scratch_database):
    outcomes = {}
    for argv in COMMANDS:
        done = scratch_database.manage(*argv)
        outcomes[" ".join(argv)] = (done.returncode, done.stderr.splitlines(), done.stdout)
    assert outcomes == {name: (1, [f"CommandError: {MESSAGE}"], "") for name in outcomes}
    assert scratch_database.created_objects() == []


def test_the_commands_cover_every_pggit_command():
    from django.core.management import get_commands

    ours = {name for name, app in get_commands().items() if app == "pggit"}
    # pggit also overrides two of Django's commands, which must work before migrate pggit
    assert ours - {argv[0] for argv in COMMANDS} == {"migrate", "dbshell"}
    assert {argv[0] for argv in COMMANDS} <= ours


def test_check_warns_until_pggit_is_migrated(scratch_database):
    plain = scratch_database.manage("check")  # no --database: the default alias
    assert plain.returncode == 0, plain.stderr
    assert f"(pggit.W002) {MESSAGE}." in plain.stderr
    checked = scratch_database.manage("check", "--database", "default")
    assert checked.returncode == 0, checked.stderr
    assert f"(pggit.W002) {MESSAGE}." in checked.stderr
    strict = scratch_database.manage("check", "--database", "default", "--fail-level", "WARNING")
    assert strict.returncode == 1
    assert scratch_database.created_objects() == []

    migrated = scratch_database.manage("migrate", "pggit")  # the warning does not stop it
    assert migrated.returncode == 0, migrated.stderr
    assert "schema pggit" in scratch_database.created_objects()  # the probe sees what is there
    after = scratch_database.manage("check", "--database", "default", "--fail-level", "WARNING")
    assert after.returncode == 0 and "pggit.W" not in after.stderr, after.stderr
    assert scratch_database.manage("pggit_log").returncode == 0


def test_check_is_silent_when_the_database_does_not_answer():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = ScratchDatabase({"host": "127.0.0.1", "port": port, "user": "nobody"}, "nowhere")
    for argv in (["check"], ["check", "--database", "default"]):
        done = nowhere.manage(*argv)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "pggit." not in done.stderr


def test_every_command_says_in_one_line_that_the_database_does_not_answer():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = ScratchDatabase({"host": "127.0.0.1", "port": port, "user": "nobody"}, "nowhere")
    # the base class every command shares does this: a few commands of each shape show it
    for argv in (COMMANDS[0], COMMANDS[3], COMMANDS[10]):
        done = nowhere.manage(*argv)
        lines = done.stderr.splitlines()
        assert done.returncode == 1 and len(lines) == 1, (argv, done.stderr)
        assert lines[0].startswith("CommandError: cannot use database 'default': "), lines
        assert str(port) in lines[0] and "Traceback" not in done.stderr
