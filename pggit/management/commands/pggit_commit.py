from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.cli import missing_branch_hint
from pggit.exceptions import BranchNotFound
from pggit.management.base import PgGitCommand, commit_as_dict


class Command(PgGitCommand):
    help = (
        "Record a commit of the database's schema on a branch.\n\n"
        "Examples:\n"
        "  manage.py pggit_commit -m 'Add invoices table'\n"
        "  manage.py pggit_commit -m 'Try a new index' --branch feature/search --author 'Ada'\n"
        "  manage.py pggit_commit -m 'Add users' --id deploy-2026-11-30-1   # safe to repeat\n"
        "  manage.py pggit_commit -m 'Start an experiment' --branch feature/new --create\n"
        "  manage.py pggit_commit -m 'Restored from a dump' --full"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("-m", "--message", required=True, help="The commit message.")
        parser.add_argument(
            "--branch", default="main", help="Branch to commit on (default: %(default)s)."
        )
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create the branch (from main's head) if it does not exist; without it, a "
            "branch that does not exist is an error.",
        )
        parser.add_argument(
            "--author", default=None, help="Author to record (default: the database user)."
        )
        parser.add_argument(
            "--id",
            dest="commit_id",
            default=None,
            help="A commit ID of your own (1-255 characters), unique across all commits: "
            "repeating the command with the same ID, branch and message prints the commit "
            "already made and records nothing; with another branch or message it fails.",
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="Snapshot every object instead of following the captured DDL (after DDL the "
            "event triggers did not see, e.g. a pg_restore).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with self.progress(f"committing to {options['branch']}"):
                commit = api.commit(
                    options["message"],
                    branch=options["branch"],
                    commit_id=options["commit_id"],
                    author=options["author"],
                    full=options["full"],
                    create=options["create"],
                    using=options["database"],
                )
        except BranchNotFound as exc:
            raise self.user_error(exc, missing_branch_hint(exc)) from exc
        if options["as_json"]:
            self.print_json(commit_as_dict(commit))
        else:
            label = f" {commit.commit_id}" if commit.commit_id else ""
            self.stdout.write(f"[{commit.branch.name} {commit.short_hash}{label}] {commit.message}")
