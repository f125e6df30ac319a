"""System checks, shown by ``manage.py check --database ALIAS``.

Both checks look only at the databases the router lets pggit migrate into
(``router.allow_migrate(alias, "pggit")``, the question the pggit migrations ask): an alias the
router keeps pggit away from needs neither PostgreSQL nor DDL capture.
"""

from django.core.checks import Error, Warning, register
from django.db import connections, router

MIN_SERVER_VERSION = 150000


def pggit_databases(databases) -> list[str]:
    """The aliases among ``databases`` that pggit is migrated into."""
    return [alias for alias in databases or () if router.allow_migrate(alias, "pggit")]


@register("database")
def check_postgresql(app_configs=None, databases=None, **kwargs):
    """pggit.E001: pggit needs PostgreSQL 15 or newer on every database it is migrated into."""
    errors = []
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
        conn.ensure_connection()
        if conn.pg_version < MIN_SERVER_VERSION:
            errors.append(
                Error(
                    f"Database {alias!r} runs PostgreSQL {conn.pg_version}; pggit needs 15+.",
                    hint="Upgrade the server, or route pggit away from this alias.",
                    id="pggit.E001",
                )
            )
    return errors


@register("database")
def check_ddl_capture(app_configs=None, databases=None, **kwargs):
    """pggit.W001: DDL capture is off (the installing role was not a superuser)."""
    from pggit.installation import ddl_capture_enabled, is_installed

    warnings = []
    for alias in pggit_databases(databases):
        if connections[alias].vendor != "postgresql" or not is_installed(alias):
            continue
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
