"""Django on a branch: every connection Django opens works on ``PGGIT["BRANCH"]``.

``PGGIT["BRANCH"]`` (or the environment variable ``PGGIT_BRANCH``) names the branch. When a
connection opens (Django's ``connection_created`` signal), :func:`checkout_configured_branch`
checks the branch out on it: ``pggit.checkout`` validates the name and the branch (a missing or
deleted branch is an error here, never a silent fall back to main) and sets ``pggit.branch``;
then the branch's data-branch views go in front of its workspace on ``search_path``, so
unqualified names read and write the branch's rows (main's rows, copy-on-write, for a branch
made with data).

DDL goes elsewhere than rows: a table created or altered on the branch belongs in its
workspace, not among the data-branch views. The connection's schema editor (what migrations
use) therefore runs each DDL statement with the workspace first on ``search_path`` and puts the
data path back after it. A statement that changes a table whose rows the branch reads through a
data branch (an ``AddField`` on a table of a branch made with data) changes the branch's copy
of the table like any other; its data branch then follows the new structure
(``pggit.evolve_data_branch``: the DDL event trigger does it, and the schema editor calls it too,
for databases without event triggers), so the ORM reads main's rows with the new column. A
change a data branch cannot follow (a type change, a rename...) is refused by the database
(``PGW03``/``PGW04``), and the migration rolls back. See docs/django-workflow.md.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.introspection import BaseDatabaseIntrospection
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from pggit import conf
from pggit.exceptions import (
    DataBranchStructureRefused,
    InvalidBranchName,
    PgGitError,
    from_database_error,
)

#: statements the branch's schema editor runs with the workspace first on search_path
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|COMMENT|GRANT|REVOKE)\b", re.IGNORECASE)
#: the table a statement changes the structure of (ALTER TABLE, CREATE INDEX ... ON)
_CHANGED_TABLE = re.compile(
    r"^\s*(?:ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?"
    r"|CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?\S*\s*ON\s+(?:ONLY\s+)?)"
    r'(?:"((?:[^"]|"")+)"|([\w$]+))',
    re.IGNORECASE,
)


def checkout_configured_branch(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """connection_created: check out ``conf.branch()`` on the new connection."""
    name = conf.branch()
    if name is None or connection.vendor != "postgresql":
        return
    if "\x00" in name:
        raise InvalidBranchName(f"{conf.branch_source()}={name!r}: a branch name has no NUL")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_regprocedure('pggit.branch_search_path(bigint,boolean,text)') IS NOT NULL"
        )
        if not cursor.fetchone()[0]:
            # pggit is not installed in this database (yet): it has no branches to check out,
            # e.g. a test database before its migrate. Its first migrate installs main only.
            return
        try:
            cursor.execute(
                "SELECT pggit.checkout(%s), b.id, b.name FROM pggit.find_branch(%s) AS b",
                [name, name],
            )
            workspace_path, branch_id, branch_name = cursor.fetchone()
            cursor.execute(
                "SELECT set_config('search_path', pggit.branch_search_path(%s, true, %s), false)",
                [branch_id, workspace_path],
            )
            data_path = cursor.fetchone()[0]
        except DatabaseError as exc:
            typed = from_database_error(exc)
            if typed is None:
                raise
            raise _as_command_error(type(typed))(
                f"{conf.branch_source()}={name!r}: {typed.message}",
                hint=typed.hint,
                sqlstate=typed.sqlstate,
            ) from exc
    connection.pggit_branch = {  # type: ignore[attr-defined]
        "name": branch_name,
        "id": branch_id,
        "data_path": data_path,
        "workspace_path": workspace_path,
    }
    base = type(connection).SchemaEditorClass
    connection.SchemaEditorClass = _subclass(BranchSchemaEditorMixin, base)
    introspection = connection.introspection
    if not isinstance(introspection, BranchIntrospectionMixin):
        introspection.__class__ = _subclass(BranchIntrospectionMixin, type(introspection))


_subclasses: dict[tuple[type, type], type] = {}


def _as_command_error(error: type[PgGitError]) -> type[PgGitError]:
    """The typed error, also a CommandError: a management command (Django's own too: shell,
    showmigrations, runserver) then prints it as one line and exits 1, not a traceback."""
    return cast(
        "type[PgGitError]",
        _subclasses.setdefault(
            (CommandError, error),
            type(error.__name__, (error, CommandError), {"returncode": 1}),
        ),
    )


def _subclass(mixin: type, base: type) -> Any:
    return _subclasses.setdefault((mixin, base), type(f"Branch{base.__name__}", (mixin, base), {}))


class BranchIntrospectionMixin(BaseDatabaseIntrospection):
    """Introspection of a connection on a branch: the branch's data-branch views are its
    tables (Django lists only tables as tables: django_migrations must be one)."""

    def get_table_list(self, cursor: Any) -> list[Any]:
        tables: list[Any] = super().get_table_list(cursor)
        state = getattr(self.connection, "pggit_branch", None)
        if state is None:
            return tables
        cursor.execute(
            "SELECT d.table_name FROM pggit.data_branches d WHERE d.branch_id = %s"
            " AND d.status = 'ACTIVE' AND pg_catalog.pg_table_is_visible(to_regclass(d.view_name))",
            [state["id"]],
        )
        branched = {row[0] for row in cursor.fetchall()}
        return [t._replace(type="t") if t.name in branched else t for t in tables]


def process_branch(connection: BaseDatabaseWrapper) -> str:
    """The branch this process's connection works on ("main" unless one is checked out)."""
    state = getattr(connection, "pggit_branch", None)
    return str(state["name"]) if state else "main"


class BranchSchemaEditorMixin(BaseDatabaseSchemaEditor):
    """The schema editor of a connection on a branch (see the module docstring)."""

    def execute(self, sql: Any, params: Any = ()) -> None:
        state = getattr(self.connection, "pggit_branch", None)
        text = str(sql)
        if state is None or self.collect_sql or not _DDL.match(text):
            super().execute(sql, params)
            return
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('search_path', %s, false)", [state["workspace_path"]])
        try:
            super().execute(sql, params)
            self._data_path(state)
            self._evolve_data_branch(state, text)
        except BaseException as exc:
            # In a transaction the rollback takes the setting back; outside one, put it back.
            if not self.connection.in_atomic_block:
                self._data_path(state)
            typed = from_database_error(exc) if isinstance(exc, DatabaseError) else None
            if typed is None or not isinstance(typed, DataBranchStructureRefused):
                raise
            # a change a data branch cannot follow: one line from migrate, not a traceback
            raise _as_command_error(type(typed))(
                typed.message, hint=typed.hint, sqlstate=typed.sqlstate
            ) from exc

    def _data_path(self, state: dict[str, Any]) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute("SELECT set_config('search_path', %s, false)", [state["data_path"]])

    def _evolve_data_branch(self, state: dict[str, Any], text: str) -> None:
        """After DDL on a table the branch reads through a data branch: make the data branch
        follow its new structure (a no-op when the DDL event trigger already did)."""
        found = _CHANGED_TABLE.match(text)
        if not found:
            return
        table = found.group(1).replace('""', '"') if found.group(1) else found.group(2)
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT pggit.evolve_data_branch(quote_ident(d.table_name), %s)"
                " FROM pggit.data_branches d"
                " WHERE d.branch_id = %s AND d.table_name = %s AND d.status = 'ACTIVE'"
                " AND pg_catalog.pg_table_is_visible(to_regclass(d.view_name))",
                [state["name"], state["id"], table],
            )
