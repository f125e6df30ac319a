"""Django's ``dbshell``, on the branch of ``PGGIT_BRANCH`` / ``PGGIT["BRANCH"]``.

``psql`` is a process of its own, so the connection-time checkout of :mod:`pggit.runtime` does
not reach it: the branch's ``search_path`` (data-branch views first) and ``pggit.branch`` go to
it as server options in ``PGOPTIONS``, which libpq reads. The branch is checked (a missing or
deleted branch is the same one-line error as for every other command) before psql starts.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands import dbshell
from django.db import connections

from pggit import conf
from pggit.exceptions import PgGitError


class Command(dbshell.Command):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if conf.branch() is not None and connection.vendor == "postgresql":
            try:
                connection.ensure_connection()  # checks the branch out, or raises
            except PgGitError as exc:
                hint = f" (hint: {exc.hint})" if exc.hint else ""
                raise CommandError(f"{exc}{hint}", returncode=1) from exc
            state = getattr(connection, "pggit_branch", None)
            connection.close()
            if state:
                extra = (
                    f"-c search_path={pgoption(state['data_path'])}"
                    f" -c pggit.branch={pgoption(state['name'])}"
                )
                os.environ["PGOPTIONS"] = f"{os.environ.get('PGOPTIONS', '')} {extra}".strip()
        super().handle(**options)


def pgoption(value: str) -> str:
    """A value for PGOPTIONS: libpq splits options on whitespace; a backslash escapes."""
    return "".join("\\" + c if c.isspace() or c == "\\" else c for c in value)
