"""The base class of every pggit management command.

Gives each command ``--database`` and ``--json``, refuses to run (one line, exit status 1) on a
database where ``migrate pggit`` has not run, turns pggit's typed errors into one readable line
and exit status 1 (never a traceback for a user error), and renders JSON consistently.
"""

from __future__ import annotations

import argparse
import json
import logging
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from pggit.exceptions import PgGitError
from pggit.installation import is_installed, not_installed_message
from pggit.management.progress import progress

if TYPE_CHECKING:
    from pggit.models import Branch, Commit

logger = logging.getLogger("pggit")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class PgGitCommand(BaseCommand):
    #: exit status for a user error
    USER_ERROR = 1

    def add_arguments(self, parser: CommandParser) -> None:
        self.add_common_options(parser)

    @staticmethod
    def add_common_options(parser: argparse.ArgumentParser, *, subcommand: bool = False) -> None:
        """--database and --json; on a subcommand they default to SUPPRESS so that a value
        given before the subcommand is kept (``pggit_branch --json create x`` and
        ``pggit_branch create x --json`` both work)."""
        parser.add_argument(
            "--database",
            default=argparse.SUPPRESS if subcommand else DEFAULT_DB_ALIAS,
            help="Database alias to operate on (default: default).",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            default=argparse.SUPPRESS if subcommand else False,
            help="Print machine-readable JSON.",
        )

    def add_subcommand(
        self,
        subparsers: argparse._SubParsersAction[CommandParser],
        name: str,
        **kwargs: Any,
    ) -> CommandParser:
        parser = subparsers.add_parser(name, **kwargs)
        self.add_common_options(parser, subcommand=True)
        return parser

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            self.require_installed(options.get("database") or DEFAULT_DB_ALIAS)
            return super().execute(*args, **options)
        except PgGitError as exc:
            logger.info("pggit command failed: %s", exc)
            line = str(exc) + (f" (hint: {exc.hint})" if exc.hint else "")
            raise CommandError(line, returncode=self.USER_ERROR) from exc

    def require_installed(self, alias: str) -> None:
        """One line and exit 1 when ``migrate pggit`` has not run on ``alias`` (every command
        would otherwise fail deep inside with 'relation "pggit.branches" does not exist')."""
        if not is_installed(alias):
            raise CommandError(not_installed_message(alias), returncode=self.USER_ERROR)

    def progress(self, label: str) -> AbstractContextManager[None]:
        """A progress line on stderr while a long operation runs (only on a terminal)."""
        return progress(self.stderr, label)

    def print_json(self, payload: Any) -> None:
        self.stdout.write(json.dumps(payload, default=_default, indent=2, ensure_ascii=False))


def commit_as_dict(commit: Commit) -> dict[str, Any]:
    return {
        "hash": commit.hash,
        "uuid": str(commit.uuid),
        "parent_hash": commit.parent_id,
        "merge_parent_hash": commit.merge_parent_id,
        "branch": commit.branch.name,
        "tree_hash": commit.tree_hash,
        "author": commit.author,
        "message": commit.message,
        "committed_at": commit.committed_at,
        "commit_id": commit.commit_id,
    }


def branch_as_dict(branch: Branch) -> dict[str, Any]:
    return {
        "name": branch.name,
        "uuid": str(branch.uuid),
        "status": branch.status,
        "head_hash": branch.head_id,
        "base_hash": branch.base_id,
        "parent_branch": branch.parent_branch.name if branch.parent_branch else None,
        "created_at": branch.created_at,
        "created_by": branch.created_by,
        "deleted_at": branch.deleted_at,
    }
