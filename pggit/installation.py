"""Install-time state: tracked schemas sync and DDL-capture status."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction

from pggit import conf
from pggit.api import translated_errors


def is_installed(using: str) -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT to_regprocedure('pggit.set_tracked_schemas(text[])') IS NOT NULL")
        return cursor.fetchone()[0]


def not_installed_message(using: str) -> str:
    """What commands and ``manage.py check`` say about a database ``migrate pggit`` has not
    reached."""
    fix = "manage.py migrate pggit" + (f" --database {using}" if using != DEFAULT_DB_ALIAS else "")
    return f"pggit is not installed in database {using!r}: run {fix}"


def sync_tracked_schemas(using: str = "default", **kwargs) -> None:
    """post_migrate: make ``pggit.tracked_schemas`` equal ``PGGIT["TRACKED_SCHEMAS"]``."""
    if connections[using].vendor != "postgresql" or not router.allow_migrate(using, "pggit"):
        return
    if not is_installed(using):  # e.g. right after `migrate pggit zero`
        return
    with translated_errors(), transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute("SELECT pggit.set_tracked_schemas(%s::text[])", [conf.tracked_schemas()])


def ddl_capture_enabled(using: str = "default") -> bool:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pggit.ddl_capture_enabled()")
        return cursor.fetchone()[0]
