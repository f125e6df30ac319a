"""Small SQL helpers shared by the tests (plain functions, no fixtures)."""

from __future__ import annotations

import html
import re

from django.db import connection


def run(*statements: str) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def ident(prefix: str, unique) -> str:
    """A unique, lower-case identifier usable unquoted."""
    return unique(prefix).replace("-", "_")


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


def page_text(response) -> str:
    """A page's visible text: tags stripped (highlighted SQL is split into spans), entities
    decoded, whitespace collapsed."""
    body = re.sub(r"<[^>]+>", "", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(body))
