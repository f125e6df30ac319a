"""Migration operations that install the SQL core from the files in ``pggit/sql/``.

A migration names its files; it never builds SQL from live code, so replaying an old migration
installs exactly the SQL it shipped with. From the first release on, a released file is never
edited: changes come as new files loaded by new migrations (docs/upgrading.md).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from django.db import NotSupportedError, migrations

SQL_DIR = Path(__file__).resolve().parent / "sql"


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


def installed_sql_files() -> list[str]:
    """Every file the app's migrations run forwards, in migration order: what ``migrate``
    installs, for installs outside Django (the benchmark suite, non-superuser install tests).
    The app's migrations form one chain, so file-name order is dependency order."""
    files: list[str] = []
    for path in sorted((Path(__file__).resolve().parent / "migrations").glob("[0-9][0-9][0-9][0-9]_*.py")):
        migration = importlib.import_module(f"pggit.migrations.{path.stem}").Migration
        files += [name for op in migration.operations if isinstance(op, RunSQLFiles) for name in op.files]
    return files


class RunSQLFiles(migrations.RunSQL):
    """Run the given ``pggit/sql/`` files forwards and ``reverse`` files backwards.

    Each file is sent as one statement batch (the files hold dollar-quoted bodies that a
    statement splitter would cut). Only PostgreSQL is supported; the router is honoured by
    :class:`~django.db.migrations.RunSQL`.
    """

    def __init__(self, files: list[str], reverse: list[str] | None = None, **kwargs):
        self.files = list(files)
        self.reverse_files = list(reverse) if reverse is not None else None
        super().__init__(
            sql=[read_sql(name) for name in self.files],
            reverse_sql=(
                [read_sql(name) for name in self.reverse_files]
                if self.reverse_files is not None
                else None
            ),
            **kwargs,
        )

    def deconstruct(self):
        kwargs = {"files": self.files}
        if self.reverse_files is not None:
            kwargs["reverse"] = self.reverse_files
        if self.hints:
            kwargs["hints"] = self.hints
        return (f"{__name__}.{type(self).__name__}", [], kwargs)

    def describe(self) -> str:
        return f"Install pggit SQL {', '.join(self.files)}"

    def _run_sql(self, schema_editor, sqls):
        if schema_editor.connection.vendor != "postgresql":
            raise NotSupportedError(
                f"pggit needs PostgreSQL; database {schema_editor.connection.alias!r} is "
                f"{schema_editor.connection.vendor}. Route the pggit app to a PostgreSQL alias."
            )
        super()._run_sql(schema_editor, sqls)
