"""System checks, shown by ``manage.py check``."""

from django.core.checks import Error, register
from django.db import connections

MIN_SERVER_VERSION = 150000


@register("database")
def check_postgresql(app_configs=None, databases=None, **kwargs):
    """pggit.E001: pggit needs PostgreSQL 15 or newer on every database it is migrated into."""
    errors = []
    for alias in databases or ():
        conn = connections[alias]
        if conn.vendor != "postgresql":
            errors.append(
                Error(
                    f"Database {alias!r} is {conn.vendor}; pggit needs PostgreSQL.",
                    hint="Point this alias at PostgreSQL 15+, or route pggit away from it.",
                    id="pggit.E001",
                )
            )
            continue
        conn.ensure_connection()
        if conn.pg_version < MIN_SERVER_VERSION:
            errors.append(
                Error(
                    f"Database {alias!r} runs PostgreSQL {conn.pg_version}; pggit needs 15+.",
                    id="pggit.E001",
                )
            )
    return errors
