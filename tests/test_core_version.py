"""Installed functions carry their file's stamp; check pggit.W003 says when the database's core
is not the package's (older, newer, or edited after the install)."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

from pggit.checks import check_core_version
from pggit.installation import core_drift, expected_stamps
from pggit.operations import file_stamp, installed_sql_files, shipped_changes
from tests.helpers import run, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def test_every_installed_function_carries_its_files_stamp():
    stamps = dict(
        sql_rows(
            "SELECT p.proname::text, obj_description(p.oid, 'pg_proc') FROM pg_proc p"
            " WHERE p.pronamespace = 'pggit'::regnamespace"
        )
    )
    expected = expected_stamps()
    assert set(stamps) == set(expected), "every function is defined by one file the migration runs"
    files = {file_stamp(name): name for name in installed_sql_files()}
    for name, comment in stamps.items():
        stamp, _, source = comment.rpartition(" src-md5:")
        assert stamp == expected[name] and stamp in files, name
        assert source == sql_scalar(
            "SELECT md5(prosrc) FROM pg_proc WHERE pronamespace ="
            " 'pggit'::regnamespace AND proname = %s LIMIT 1",
            [name],
        )
    assert core_drift("default") is None
    assert check_core_version(databases=["default"]) == []


def test_a_function_replaced_by_hand_is_reported():
    with transaction.atomic():
        # same signature, another body: CREATE OR REPLACE keeps the comment, not the source
        run(
            "CREATE OR REPLACE FUNCTION pggit.current_branch() RETURNS text LANGUAGE sql"
            " AS $$ SELECT 'main' $$"
        )
        assert core_drift("default") == ("edited", ["current_branch"])
        [warning] = check_core_version(databases=["default"])
        assert warning.id == "pggit.W003" and "current_branch" in warning.msg
        assert "migrate pggit zero" in warning.hint
        transaction.set_rollback(True)
    assert core_drift("default") is None


def test_a_stamp_of_another_file_version_is_reported():
    with transaction.atomic():
        run(
            "COMMENT ON FUNCTION pggit.log(text, integer)"
            " IS 'pggit 020_commits.sql sha256:0 src-md5:0'"
        )
        assert core_drift("default") == ("edited", ["log"])
        transaction.set_rollback(True)


def test_migrations_the_package_does_not_know_make_the_core_newer():
    recorder = MigrationRecorder(connection)
    with transaction.atomic():
        recorder.record_applied("pggit", "0099_from_the_future")
        state, _ = core_drift("default")
        assert state == "newer"
        [warning] = check_core_version(databases=["default"])
        assert "newer" in warning.msg and "upgrade the package" in warning.hint
        transaction.set_rollback(True)
    with transaction.atomic():
        recorder.record_unapplied("pggit", "0001_initial")
        assert core_drift("default")[0] == "older"
        transaction.set_rollback(True)


def test_released_files_are_unchanged():
    assert shipped_changes() == []


def test_the_release_manifest_catches_an_edited_or_missing_file(tmp_path):
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    (tmp_path / "010_a.sql").write_text("SELECT 1;\n")
    (tmp_path / "020_b.sql").write_text("SELECT 2; -- edited after the release\n")
    manifest = tmp_path / "SHIPPED"
    manifest.write_text(
        "# released files\n"
        f"{sha('SELECT 1;' + chr(10))}  010_a.sql\n"
        f"{sha('SELECT 2;' + chr(10))}  020_b.sql\n"
        f"{sha('SELECT 3;' + chr(10))}  030_gone.sql\n"
    )
    assert shipped_changes(manifest) == ["020_b.sql", "030_gone.sql"]
