"""System checks, shown by ``manage.py check`` (and ``check --database ALIAS``, ``migrate``).

They are registered with the tag ``pggit``, not Django's ``database`` tag (which Django runs only
when it is told which databases to check): plain ``manage.py check``, and every command that
runs the system checks, runs them against the ``default`` database; ``check --database ALIAS``
runs them against the aliases named. A database that does not answer gets no message from them
(the connection error shows where the database is used), so a command that needs no database
still runs when it is down. pggit's own commands skip the system checks: they say in one line
what is wrong (not installed, unreachable) themselves.

They look only at the databases the router lets pggit migrate into
(``router.allow_migrate(alias, "pggit")``, the question the pggit migrations ask): an alias the
router keeps pggit away from needs neither PostgreSQL nor pggit. Silence one with Django's
``SILENCED_SYSTEM_CHECKS`` (e.g. ``["pggit.W001"]`` on a managed service).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Warning, register
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.utils import OperationalError

if TYPE_CHECKING:
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

MIN_SERVER_VERSION = 150000
#: the tag the checks are registered with: ``manage.py check --tag pggit`` runs only them
TAG = "pggit"


def pggit_databases(databases: Iterable[str] | None) -> list[str]:
    """The aliases among ``databases`` (``default`` when the checks run without
    ``--database``) that pggit is migrated into."""
    aliases = [DEFAULT_DB_ALIAS] if databases is None else databases
    return [alias for alias in aliases if router.allow_migrate(alias, "pggit")]


def _reachable(alias: str) -> bool:
    try:
        connections[alias].ensure_connection()
    except OperationalError:
        return False
    return True


def _installed_databases(databases: Iterable[str] | None) -> list[str]:
    """The pggit databases that are PostgreSQL, answer, and have pggit installed."""
    from pggit.installation import is_installed

    return [
        alias
        for alias in pggit_databases(databases)
        if connections[alias].vendor == "postgresql" and _reachable(alias) and is_installed(alias)
    ]


@register(TAG)
def check_postgresql(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """pggit.E001: pggit needs PostgreSQL 15 or newer on every database it is migrated into."""
    errors: list[CheckMessage] = []
    for alias in pggit_databases(databases):
        conn = connections[alias]
        if conn.vendor != "postgresql":
            errors.append(
                Error(
                    f"Database {alias!r} is {conn.vendor}; pggit needs PostgreSQL.",
                    hint="Point this alias at PostgreSQL 15+, or route pggit away from it "
                    "(a database router whose allow_migrate() refuses app 'pggit' there).",
                    id="pggit.E001",
                )
            )
            continue
        if not _reachable(alias):
            continue
        # The vendor check above makes this the PostgreSQL backend, which has pg_version.
        server_version = cast("PostgreSQLWrapper", conn).pg_version
        if server_version < MIN_SERVER_VERSION:
            errors.append(
                Error(
                    f"Database {alias!r} runs PostgreSQL {server_version}; pggit needs 15+.",
                    hint="Upgrade the server, or route pggit away from this alias.",
                    id="pggit.E001",
                )
            )
    return errors


@register(TAG)
def check_installed(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """pggit.W002: ``migrate pggit`` has not run on the database, so every pggit command and
    API call would fail. A warning, not an error: ``migrate`` runs these checks before it
    migrates, and an error would stop the very command that installs pggit."""
    from pggit.installation import is_installed, not_installed_message

    warnings: list[CheckMessage] = []
    for alias in pggit_databases(databases):
        if connections[alias].vendor != "postgresql":
            continue
        if _reachable(alias) and not is_installed(alias):
            warnings.append(Warning(not_installed_message(alias) + ".", id="pggit.W002"))
    return warnings


@register(TAG)
def check_ddl_capture(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """pggit.W001: DDL capture is off (the installing role was not a superuser)."""
    from pggit.installation import ddl_capture_enabled

    warnings: list[CheckMessage] = []
    for alias in _installed_databases(databases):
        if not ddl_capture_enabled(alias):
            warnings.append(
                Warning(
                    f"pggit DDL capture is off on database {alias!r}.",
                    hint="Event triggers need a superuser; commits still work by reading the "
                    "catalog. See docs/managed-postgresql.md.",
                    id="pggit.W001",
                )
            )
    return warnings


@register(TAG)
def check_core_version(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """pggit.W003: the database's SQL core is not the one this package installs."""
    from pggit.installation import core_drift

    hints = {
        "older": "run manage.py migrate pggit.",
        "newer": "the database was migrated by a newer django-pggit: upgrade the package.",
        "edited": "a function was replaced, or a file edited, after the install: reinstall "
        "(manage.py migrate pggit zero, then manage.py migrate pggit) on a database whose "
        "history you can lose, or restore the released files.",
    }
    warnings: list[CheckMessage] = []
    for alias in _installed_databases(databases):
        drift = core_drift(alias)
        if drift is None:
            continue
        state, functions = drift
        if state == "edited":
            listed = ", ".join(functions[:5])
            if len(functions) > 5:
                listed += f" and {len(functions) - 5} more"
            message = (
                f"pggit's SQL core on database {alias!r} differs from this package's files"
                f" ({listed})."
            )
        else:
            message = f"pggit's SQL core on database {alias!r} is {state} than this package's."
        warnings.append(Warning(message, hint=hints[state], id="pggit.W003"))
    return warnings
