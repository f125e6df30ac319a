"""Small SQL helpers shared by the tests (plain functions, no fixtures)."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from io import StringIO
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import psycopg
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pggit import api
from pggit.models import Commit


def run(*statements: str, params: Sequence | None = None, schema: str | None = None) -> int:
    """Run ``statements`` in order on Django's connection; the last one's row count.

    ``params`` binds the placeholders of a single statement. ``schema`` puts that schema alone on
    ``search_path`` for these statements (the previous path is restored afterwards).
    """
    if params is not None and len(statements) != 1:
        raise TypeError("params go with exactly one statement")
    rowcount = -1
    with connection.cursor() as cursor:
        if schema:
            cursor.execute("SELECT current_setting('search_path')")
            previous = cursor.fetchone()[0]
            cursor.execute("SELECT set_config('search_path', quote_ident(%s), true)", [schema])
        for statement in statements:
            cursor.execute(statement, params)
            rowcount = cursor.rowcount
        if schema:
            cursor.execute("SELECT set_config('search_path', %s, true)", [previous])
    return rowcount


def sql_scalar(statement: str, params: Sequence = ()):
    """The first column of the first row ``statement`` returns."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def sql_rows(statement: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def sql_error(statement: str, params: Sequence = ()) -> psycopg.Error:
    """Run a statement that must fail (in a savepoint) and return the psycopg error."""
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        sql_scalar(statement, params)
    return cast(psycopg.Error, info.value.__cause__)


def snapshot_counts() -> dict[str, int]:
    """Row counts of pggit's tables: 'nothing changed' means these stay equal."""
    tables = [
        r[0]
        for r in sql_rows(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'pggit' AND c.relkind = 'r' ORDER BY 1"
        )
    ]
    return {t: sql_scalar(f'SELECT count(*) FROM pggit."{t}"') for t in tables}


def run_threads(threads: Sequence[threading.Thread], timeout: float) -> None:
    """Start the threads, wait for each (up to timeout seconds each) and fail when one is still
    running: a thread that hangs must fail its test, not let it assert on partial results."""
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not [t for t in threads if t.is_alive()], f"threads still running after {timeout} s"


def ident(prefix: str, unique) -> str:
    """A unique, lower-case identifier usable unquoted."""
    return unique(prefix).replace("-", "_")


def committed_table(unique, prefix: str, columns: str, *fill: str) -> str:
    """A new table ``<prefix>_<unique>`` with ``columns`` (the parenthesised list), filled by the
    ``fill`` statements (``{t}`` is the table) and committed on main."""
    t = ident(prefix, unique)
    run(f"CREATE TABLE {t} {columns}", *(statement.format(t=t) for statement in fill))
    api.commit(f"add {t}")
    return t


def on_branch(branch: str, *statements: str, message: str = "branch work") -> Commit:
    """Run statements in branch's workspace (checked out) and commit them there."""
    with api.checkout(branch):
        run(*statements)
    return api.commit(message, branch=branch)


def namespace_of(branch: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w.namespace FROM pggit.workspaces w JOIN pggit.branches b ON b.id = w.branch_id"
            " WHERE b.name = %s AND b.status <> 'DELETED' AND w.logical_schema = 'public'",
            [branch],
        )
        row = cursor.fetchone()
    return row[0] if row else "public"


def table_columns(schema: str, table: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s"
            " AND table_name = %s ORDER BY ordinal_position",
            [schema, table],
        )
        return [r[0] for r in cursor.fetchall()]


def hash_in(schema: str, table: str) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pggit.calculate_schema_hash(%s)", [f'"{schema}"."{table}"'])
        return cursor.fetchone()[0]


FULL_TREE = """
SELECT encode(sha256(convert_to(coalesce(string_agg(w.object_key || ' ' || w.hash, E'\\n'
                                         ORDER BY w.object_key), ''), 'UTF8')), 'hex')
  FROM pggit.workspace_objects((SELECT id FROM pggit.branches
                                 WHERE name = %s AND status <> 'DELETED')) w
"""


def full_tree(branch: str = "main") -> str:
    """The tree hash a full snapshot of the branch's workspace gives now (what a commit records)."""
    with connection.cursor() as cursor:
        cursor.execute(FULL_TREE, [branch])
        return cursor.fetchone()[0]


def manage(*args: str) -> subprocess.CompletedProcess:
    """``manage.py *args`` of the test project in a subprocess, on the database the tests use
    (commit what it must see: use it from transactional tests)."""
    s = connection.settings_dict
    host = quote(s["HOST"] or "localhost", safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    user = quote(s["USER"] or "", safe="")
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}@{host}{port}/{s['NAME']}",
        "DJANGO_SETTINGS_MODULE": "testproject.settings",
    }
    return subprocess.run(
        [sys.executable, str(ScratchDatabase.MANAGE), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def page_text(response) -> str:
    """A page's visible text: tags stripped (highlighted SQL is split into spans), entities
    decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", "", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body))


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

    def manage(self, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
        """``manage.py *args`` of the test project in a subprocess pointed at this database
        (``env`` adds to or overrides its environment, e.g. PGGIT_BRANCH or the settings)."""
        env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "testproject.settings",
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, str(self.MANAGE), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )

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


def database_url() -> str:
    """A DATABASE_URL for the test database, for commands run in a subprocess."""
    s = connection.settings_dict
    host = quote(s["HOST"] or "localhost", safe="")
    port = f":{s['PORT']}" if s["PORT"] else ""
    return f"postgres://{quote(s['USER'] or '', safe='')}@{host}{port}/{s['NAME']}"


def cmd(*args: str, **kwargs: Any) -> str:
    """A management command's stdout, run in this process (call_command)."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **kwargs)
    return out.getvalue()


def user_error(*args: str) -> CommandError:
    """The one-line CommandError a command stops with; asserts it changed nothing."""
    before = snapshot_counts()
    with pytest.raises(CommandError) as info:
        cmd(*args)
    assert "\n" not in str(info.value), "one line"
    assert snapshot_counts() == before, "nothing changed"
    return info.value
