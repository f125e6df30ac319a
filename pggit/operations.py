"""Migration operations that install the SQL core from the files in ``pggit/sql/``.

A migration names its files; it never builds SQL from live code, so replaying an old migration
installs exactly the SQL it shipped with. From the first release on, a released file is never
edited: changes come as new files loaded by new migrations (docs/upgrading.md).
"""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path
from typing import Any

from django.db import NotSupportedError, migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

SQL_DIR = Path(__file__).resolve().parent / "sql"


def read_sql(name: str) -> str:
    return (SQL_DIR / name).read_text(encoding="utf-8")


DEFINED_FUNCTION = re.compile(r"^CREATE (?:OR REPLACE )?FUNCTION pggit\.(\w+)\s*\(", re.MULTILINE)


def file_stamp(name: str) -> str:
    """What every function a file defines carries in its COMMENT once installed (followed by
    " src-md5:<md5 of its body>"): the file and its SHA-256, so a check can tell whether a
    database's core is the package's, and whether a function was replaced by hand since."""
    return f"pggit {name} sha256:{hashlib.sha256(read_sql(name).encode('utf-8')).hexdigest()}"


def defined_functions(name: str) -> list[str]:
    """The pggit functions (names) a file creates or replaces."""
    return sorted(set(DEFINED_FUNCTION.findall(read_sql(name))))


def stamp_sql(name: str) -> str | None:
    """The statement that stamps every function a file defines with file_stamp(name)."""
    functions = defined_functions(name)
    if not functions:
        return None
    names = ", ".join(f"'{f}'" for f in functions)  # \w+ names: nothing to escape
    return f"""DO $stamp$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS signature, md5(p.prosrc) AS source
               FROM pg_catalog.pg_proc p
              WHERE p.pronamespace = 'pggit'::regnamespace AND p.proname = ANY (ARRAY[{names}]) LOOP
        EXECUTE format('COMMENT ON FUNCTION %s IS %L', f.signature,
                       '{file_stamp(name)} src-md5:' || f.source);
    END LOOP;
END;
$stamp$"""


def file_statements(name: str) -> list[str]:
    """What installing one file sends: the file, then the statement that stamps its functions."""
    stamp = stamp_sql(name)
    return [read_sql(name)] + ([stamp] if stamp else [])


def installed_sql_files() -> list[str]:
    """Every file the app's migrations run forwards, in migration order: what ``migrate``
    installs, for installs outside Django (the benchmark suite, non-superuser install tests).
    The app's migrations form one chain, so file-name order is dependency order."""
    files: list[str] = []
    for path in sorted(
        (Path(__file__).resolve().parent / "migrations").glob("[0-9][0-9][0-9][0-9]_*.py")
    ):
        migration = importlib.import_module(f"pggit.migrations.{path.stem}").Migration
        files += [
            name for op in migration.operations if isinstance(op, RunSQLFiles) for name in op.files
        ]
    return files


def shipped_changes(manifest: Path = SQL_DIR / "SHIPPED") -> list[str]:
    """The files of the manifest of released files whose SHA-256 is not the recorded one (or
    that are gone): a released file must never change."""
    changed = []
    for line in manifest.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        digest, name = line.split(maxsplit=1)
        path = manifest.parent / name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            changed.append(name)
    return changed


def install_statements() -> list[str]:
    """What ``migrate pggit`` runs, as statements to send one by one (each file, then its
    stamp): for installs outside Django (the benchmark suite, the non-superuser install test)."""
    return [sql for name in installed_sql_files() for sql in file_statements(name)]


class RunSQLFiles(migrations.RunSQL):
    """Run the given ``pggit/sql/`` files forwards and ``reverse`` files backwards.

    Each file is sent as one statement batch (the files hold dollar-quoted bodies that a
    statement splitter would cut). Only PostgreSQL is supported; the router is honoured by
    :class:`~django.db.migrations.RunSQL`.
    """

    def __init__(self, files: list[str], reverse: list[str] | None = None, **kwargs: Any):
        self.files = list(files)
        self.reverse_files = list(reverse) if reverse is not None else None
        super().__init__(
            sql=[sql for name in self.files for sql in file_statements(name)],
            reverse_sql=(
                [read_sql(name) for name in self.reverse_files]
                if self.reverse_files is not None
                else None
            ),
            **kwargs,
        )

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        kwargs: dict[str, Any] = {"files": self.files}
        if self.reverse_files is not None:
            kwargs["reverse"] = self.reverse_files
        if self.hints:
            kwargs["hints"] = self.hints
        return (f"{__name__}.{type(self).__name__}", [], kwargs)

    def describe(self) -> str:
        return f"Install pggit SQL {', '.join(self.files)}"

    def _run_sql(self, schema_editor: BaseDatabaseSchemaEditor, sqls: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            raise NotSupportedError(
                f"pggit needs PostgreSQL; database {schema_editor.connection.alias!r} is "
                f"{schema_editor.connection.vendor}. Route the pggit app to a PostgreSQL alias."
            )
        # django-stubs omit RunSQL's private _run_sql, which Django has had since 1.7.
        super()._run_sql(schema_editor, sqls)  # type: ignore[misc]
