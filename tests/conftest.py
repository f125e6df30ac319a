"""Shared fixtures: Hypothesis profiles, unique names, raw connections for threads."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

# CI: bounded examples; database round-trips make per-example time unpredictable, so no
# deadline. "deep" is for local hunting: HYPOTHESIS_PROFILE=deep make test.
settings.register_profile("ci", max_examples=30, deadline=None, print_blob=True)
settings.register_profile("deep", max_examples=500, deadline=None, print_blob=True)
# function_scoped_fixture: our property tests take function-scoped fixtures (the db) on
# purpose; each example cleans up the objects it creates, so sharing the fixture is safe.
settings.register_profile(
    "ci-db", parent=settings.get_profile("ci"),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def unique() -> Callable[[str], str]:
    """unique("feature") -> "feature-3f2a9c1b": names that never collide across tests."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}"

    return make


@pytest.fixture
def connect(transactional_db) -> Iterator[Callable[..., psycopg.Connection]]:
    """Open real, separate psycopg connections to the test database (closed at teardown)."""
    opened: list[psycopg.Connection] = []
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)

    def open_connection(**kwargs) -> psycopg.Connection:
        conn = psycopg.connect(**{**params, "autocommit": True, **kwargs})
        opened.append(conn)
        return conn

    yield open_connection
    for conn in opened:
        conn.close()


def sql_scalar(statement: str, params: list | tuple = ()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def sql_rows(statement: str, params: list | tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def sql_error(statement: str, params: list | tuple = ()) -> psycopg.Error:
    """Run a statement that must fail (in a savepoint) and return the psycopg error."""
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError) as info, transaction.atomic():
        sql_scalar(statement, params)
    return info.value.__cause__


def snapshot_counts() -> dict[str, int]:
    """Row counts of pggit's tables: 'nothing changed' means these stay equal."""
    tables = [r[0] for r in sql_rows(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'pggit' AND c.relkind = 'r' ORDER BY 1"
    )]
    return {t: sql_scalar(f'SELECT count(*) FROM pggit."{t}"') for t in tables}


class ScratchDatabase:
    """An empty database of its own on the test server, pggit not migrated into it: for what
    happens before ``migrate pggit``, or from a fresh install with no history."""

    MANAGE = Path(__file__).resolve().parent.parent / "testproject" / "manage.py"

    def __init__(self, params: dict, name: str) -> None:
        self.params = {**params, "dbname": name}
        self.name = name

    @property
    def url(self) -> str:
        """A DATABASE_URL for it (a socket directory goes percent-encoded in the host part)."""
        host = quote(str(self.params.get("host") or "localhost"), safe="")
        port = f":{self.params['port']}" if self.params.get("port") else ""
        user = quote(self.params.get("user") or "", safe="")
        password = quote(self.params.get("password") or "", safe="")
        password = f":{password}" if password else ""
        return f"postgres://{user}{password}@{host}{port}/{self.name}"

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(**{**self.params, **kwargs})

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """``manage.py *args`` of the test project in a subprocess pointed at this database."""
        env = {**os.environ, "DATABASE_URL": self.url,
               "DJANGO_SETTINGS_MODULE": "testproject.settings"}
        return subprocess.run([sys.executable, str(self.MANAGE), *args], env=env,
                              capture_output=True, text=True, timeout=240)

    def created_objects(self) -> list[str]:
        """Schemas, relations, functions and event triggers that are not PostgreSQL's own."""
        with self.connect(autocommit=True) as conn:
            return [r[0] for r in conn.execute(CREATED_OBJECTS).fetchall()]


CREATED_OBJECTS = """
WITH own AS (SELECT oid, nspname FROM pg_namespace
              WHERE nspname <> 'information_schema' AND nspname NOT LIKE 'pg\\_%')
SELECT 'schema ' || nspname FROM own WHERE nspname <> 'public'
UNION ALL SELECT 'relation ' || c.oid::regclass::text
            FROM pg_class c JOIN own ON own.oid = c.relnamespace
UNION ALL SELECT 'function ' || p.oid::regproc::text
            FROM pg_proc p JOIN own ON own.oid = p.pronamespace
UNION ALL SELECT 'event trigger ' || evtname FROM pg_event_trigger
"""


@pytest.fixture
def scratch_database() -> Iterator[ScratchDatabase]:
    """A new empty database on the server the tests use, dropped at teardown."""
    params = connection.get_connection_params()
    for key in ("cursor_factory", "context", "dbname", "database"):
        params.pop(key, None)
    name = f"pggit_scratch_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ScratchDatabase(params, name)
    finally:
        with psycopg.connect(**params, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
