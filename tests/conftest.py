"""Shared fixtures: Hypothesis profiles, unique names, raw connections for threads.

Plain helper functions live in tests/helpers.py; this module holds fixtures only."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from django.db import connection
from hypothesis import HealthCheck, settings

from pggit import api
from tests.helpers import ScratchDatabase, ident, run

# CI: bounded examples; database round-trips make per-example time unpredictable, so no
# deadline. "deep" is for local hunting: HYPOTHESIS_PROFILE=deep make test.
settings.register_profile("ci", max_examples=30, deadline=None, print_blob=True)
settings.register_profile("deep", max_examples=500, deadline=None, print_blob=True)
# function_scoped_fixture: our property tests take function-scoped fixtures (the db) on
# purpose; each example cleans up the objects it creates, so sharing the fixture is safe.
settings.register_profile(
    "ci-db",
    parent=settings.get_profile("ci"),
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


@pytest.fixture
def table(unique) -> str:
    """A table committed on main (id int PRIMARY KEY, name text, qty int): its name."""
    t = ident("m", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, name text, qty int)")
    api.commit(f"add {t}")
    return t


@pytest.fixture
def api_roles(connect) -> Iterator[Callable[..., psycopg.Connection]]:
    """Three real login roles and a way to connect as each: "writer" (granted pggit_writer),
    "reader" (granted pggit_reader) and "stranger" (neither, but CREATE on schema public).
    Everything they own is dropped at teardown, and main is committed again afterwards so
    the next test starts from a clean workspace."""
    suffix = uuid.uuid4().hex[:8]
    names = {kind: f"pggit_{kind}_{suffix}" for kind in ("writer", "reader", "stranger")}
    admin = connect()
    for name in names.values():
        admin.execute(f'CREATE ROLE "{name}" LOGIN')
    admin.execute(f'GRANT pggit_writer TO "{names["writer"]}"')
    admin.execute(f'GRANT pggit_reader TO "{names["reader"]}"')
    admin.execute(f'GRANT CREATE ON SCHEMA public TO "{names["stranger"]}"')
    opened: dict[str, list[psycopg.Connection]] = {kind: [] for kind in names}

    def connect_as(kind: str) -> psycopg.Connection:
        conn = connect(user=names[kind])
        opened[kind].append(conn)
        return conn

    connect_as.names = names  # type: ignore[attr-defined]
    yield connect_as
    for conns in opened.values():
        for conn in conns:
            conn.close()
    for name in names.values():
        admin.execute(f'DROP OWNED BY "{name}" CASCADE')
        admin.execute(f'DROP ROLE "{name}"')
    admin.execute("SELECT pggit.commit_changes('main', 'after the privilege tests')")
