"""Install-time state: tracked schemas sync, DDL-capture status, whether the core is the
package's."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

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


ROLES = ("pggit_reader", "pggit_writer")
#: alias -> the pggit roles that existed before ``migrate`` installed pggit (pre_migrate)
_roles_before: dict[str, set[str]] = {}


def _installs_pggit(plan: Iterable[tuple[Any, bool]] | None) -> bool:
    """Whether a migrate plan applies (forwards) pggit's first migration: the install."""
    return any(
        migration.app_label == "pggit" and migration.name == "0001_initial" and not backwards
        for migration, backwards in plan or ()
    )


def _existing_roles(using: str) -> set[str]:
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT rolname::text FROM pg_catalog.pg_roles WHERE rolname = ANY(%s)", [list(ROLES)]
        )
        return {row[0] for row in cursor.fetchall()}


def remember_roles(using: str = DEFAULT_DB_ALIAS, plan: Any = None, **kwargs: Any) -> None:
    """pre_migrate: note which pggit roles exist before the install (to report what it made)."""
    if _installs_pggit(plan) and connections[using].vendor == "postgresql":
        _roles_before[using] = _existing_roles(using)


def install_report(using: str) -> list[str]:
    """What ``migrate`` says after installing pggit: whether DDL capture is on, which roles
    were or were not created, and what that means."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pggit.ddl_capture_enabled(), current_user::text,"
            " (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),"
            " (SELECT rolcreaterole FROM pg_catalog.pg_roles WHERE rolname = current_user)"
        )
        capture, user, superuser, createrole = cursor.fetchone()
    lines = []
    if capture:
        lines.append(
            "pggit: DDL capture is on: event triggers record each DDL statement, and a commit "
            "re-reads only the objects it changed."
        )
    else:
        why = "is not a superuser" if not superuser else "found the event triggers disabled"
        lines.append(
            f"pggit: DDL capture is OFF: role {user!r} {why}, and event triggers need one. "
            "Everything else works; commits and status read the catalog every time. To turn it "
            "on, a superuser runs SELECT pggit.enable_ddl_capture(); in manage.py dbshell "
            "(docs/managed-postgresql.md). manage.py check shows this as pggit.W001."
        )
    existing = _existing_roles(using)
    before = _roles_before.pop(using, existing)
    created = [r for r in ROLES if r in existing - before]
    kept = [r for r in ROLES if r in existing & before]
    missing = [r for r in ROLES if r not in existing]
    if created:
        lines.append(f"pggit: created role(s) {', '.join(created)} (NOLOGIN).")
    if kept:
        lines.append(f"pggit: role(s) {', '.join(kept)} existed already (roles are cluster-wide).")
    if missing:
        reason = f"role {user!r} lacks CREATEROLE" if not createrole else "they could not be made"
        lines.append(
            f"pggit: role(s) {', '.join(missing)} NOT created: {reason}. Nothing needs them; "
            "they only make granting access to pggit easy (GRANT pggit_writer TO app). To have "
            "them, a role with CREATEROLE runs CREATE ROLE pggit_reader NOLOGIN; CREATE ROLE "
            "pggit_writer NOLOGIN; then the package's pggit/sql/110_roles.sql runs again (\\i "
            "FILE in manage.py dbshell; docs/security.md)."
        )
    else:
        lines.append(
            "pggit: grant access with GRANT pggit_reader TO a_role; (read history) or "
            "GRANT pggit_writer TO a_role; (commit, branch, merge)."
        )
    return lines


def report_install(
    using: str = DEFAULT_DB_ALIAS,
    plan: Any = None,
    verbosity: int = 1,
    stdout: TextIO | None = None,
    **kwargs: Any,
) -> None:
    """post_migrate: after ``migrate`` installed pggit, say on its output whether DDL capture
    is on and which roles were created (the core's WARNINGs reach only the server log)."""
    if not _installs_pggit(plan) or connections[using].vendor != "postgresql":
        return
    if verbosity < 1 or not is_installed(using):
        _roles_before.pop(using, None)
        return
    out = stdout or sys.stdout
    for line in install_report(using):
        out.write(line + "\n")


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
