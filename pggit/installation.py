"""Install-time state: tracked schemas sync, DDL-capture status, whether the core is the
package's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.migrations.recorder import MigrationRecorder

from pggit import conf
from pggit.api import translated_errors


def is_installed(using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('pggit.set_tracked_schemas(text[])') IS NOT NULL")
        return bool(cursor.fetchone()[0])


def not_installed_message(using: str) -> str:
    """What commands and ``manage.py check`` say about a database ``migrate pggit`` has not
    reached."""
    fix = "manage.py migrate pggit" + (f" --database {using}" if using != DEFAULT_DB_ALIAS else "")
    return f"pggit is not installed in database {using!r}: run {fix}"


def sync_tracked_schemas(using: str = "default", **kwargs: Any) -> None:
    """post_migrate: make ``pggit.tracked_schemas`` equal ``PGGIT["TRACKED_SCHEMAS"]``."""
    if connections[using].vendor != "postgresql" or not router.allow_migrate(using, "pggit"):
        return
    if not is_installed(using):  # e.g. right after `migrate pggit zero`
        return
    with (
        translated_errors(),
        transaction.atomic(using=using),
        connections[using].cursor() as cursor,
    ):
        cursor.execute("SELECT pggit.set_tracked_schemas(%s::text[])", [conf.tracked_schemas()])


def ddl_capture_enabled(using: str = "default") -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pggit.ddl_capture_enabled()")
        return bool(cursor.fetchone()[0])


def expected_stamps() -> dict[str, str]:
    """Function name -> the file stamp it should carry: the last file (in migration order) that
    defines it."""
    from pggit.operations import defined_functions, file_stamp, installed_sql_files

    stamps: dict[str, str] = {}
    for name in installed_sql_files():
        for function in defined_functions(name):
            stamps[function] = file_stamp(name)
    return stamps


def core_drift(using: str = "default") -> tuple[str, list[str]] | None:
    """Whether the database's SQL core is this package's. None when it is; otherwise
    (state, functions): state "older" (the package has pggit migrations the database has not
    applied), "newer" (the database has applied ones the package does not know) or "edited"
    (same migrations, but functions whose stamp names another version of their file, or whose
    body was replaced since it was installed), and the functions concerned."""
    migrations = Path(__file__).resolve().parent / "migrations"
    package = {path.stem for path in migrations.glob("[0-9][0-9][0-9][0-9]_*.py")}
    recorder = MigrationRecorder(connections[using])
    applied = {name for app, name in recorder.applied_migrations() if app == "pggit"}
    expected = expected_stamps()
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT p.proname::text, coalesce(pg_catalog.obj_description(p.oid, 'pg_proc'), ''),"
            " md5(p.prosrc)"
            "  FROM pg_catalog.pg_proc p WHERE p.pronamespace = 'pggit'::regnamespace ORDER BY 1"
        )
        installed = cursor.fetchall()
    stale = {
        name
        for name, comment, source in installed
        if comment != f"{expected.get(name)} src-md5:{source}"
    }
    missing = set(expected) - {name for name, _, _ in installed}
    differing = sorted(stale | missing)
    if applied - package:
        return "newer", differing
    if package - applied:
        return "older", differing
    return ("edited", differing) if differing else None
