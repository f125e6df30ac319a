"""The base class of every pggit management command.

Gives each command ``--database`` and ``--json``, refuses to run (one line, exit status 1) on a
database where ``migrate pggit`` has not run or that does not answer, turns pggit's typed errors
into one readable line with a hint in manage.py terms (:mod:`pggit.cli`) and exit status 1
(never a traceback for a user error), and renders JSON consistently.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from contextlib import AbstractContextManager
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError

from pggit.cli import dash_hint, database_error_line, error_line
from pggit.exceptions import MergeConflict, PgGitError
from pggit.installation import is_installed, not_installed_message
from pggit.management.progress import progress

if TYPE_CHECKING:
    from pggit.models import Branch, Commit

logger = logging.getLogger("pggit")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)  # a string keeps numeric's precision; a float would not
    return str(value)


class PgGitParser(CommandParser):
    """Django's parser, with a hint when a value that starts with "-" (a branch called
    "-dash") was taken for an option: one line and exit status 1, like every other user error,
    instead of argparse's usage and "arguments are required"."""

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        self._pggit_args = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        hint = dash_hint(message, getattr(self, "_pggit_args", []), self._known_options())
        if hint is None:
            super().error(message)
        line = f"{message} (hint: {hint})"
        if self.called_from_command_line:
            self.exit(PgGitCommand.USER_ERROR, f"CommandError: {line}\n")
        raise CommandError(line, returncode=PgGitCommand.USER_ERROR)

    def _known_options(self) -> set[str]:
        known = set(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for parser in action.choices.values():
                    known |= set(parser._option_string_actions)
        return known


class PgGitCommand(BaseCommand):
    #: exit status for a user error
    USER_ERROR = 1
    CONFLICT = 2  # a merge or cherry-pick stopped on conflicts
    #: pggit's commands say themselves, in one line, when pggit is not installed or the
    #: database does not answer; the system checks (pggit.W001...) are for manage.py check.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        # BaseCommand.create_parser() builds a CommandParser and has no hook for its class;
        # PgGitParser only overrides methods, so the parser becomes one before any subcommand
        # parser is made (add_subparsers makes them of the parent's class).
        parser.__class__ = PgGitParser
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
        alias = options.get("database") or DEFAULT_DB_ALIAS
        try:
            self.require_installed(alias)
            return super().execute(*args, **options)
        except PgGitError as exc:
            logger.info("pggit command failed: %s", exc)
            raise CommandError(error_line(exc), returncode=self.USER_ERROR) from exc
        except (OperationalError, InterfaceError) as exc:  # the server is down or went away
            logger.info("pggit command failed: %s", exc, exc_info=True)
            raise CommandError(database_error_line(exc, alias), returncode=self.USER_ERROR) from exc

    def user_error(self, exc: PgGitError, hint: str | None = None) -> CommandError:
        """The CommandError (one line, exit status 1) for ``exc``, with ``hint`` if given."""
        return CommandError(error_line(exc, hint), returncode=self.USER_ERROR)

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

    def conflicts_error(self, conflict: MergeConflict, what: str, as_json: bool) -> CommandError:
        """Report a merge's (or a cherry-pick's) conflicts, as JSON or as a list with the
        command that resolves them, and return the CommandError (exit status 2) that ends the
        command: nothing was applied."""
        if as_json:
            self.print_json(
                {
                    "status": "conflicts",
                    "merge_id": conflict.merge_id,
                    "conflicts": conflict.conflicts,
                }
            )
        else:
            for c in conflict.conflicts:
                detail = f" ({c['detail']})" if c["detail"] else ""
                self.stderr.write(f"  {c['kind']:<14} {c['object']}{detail}")
            self.stderr.write(
                f"Resolve: manage.py pggit_merge --resolve {conflict.merge_id} "
                "OBJECT ours|theirs|DDL"
            )
        return CommandError(
            f"{what} {conflict.merge_id} stopped on {len(conflict.conflicts)} conflict(s); "
            "nothing was applied",
            returncode=self.CONFLICT,
        )


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
