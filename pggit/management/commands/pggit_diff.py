from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Show what differs between two branches or commits, or the DDL that turns A into B.\n"
        "Without refs, the current branch's uncommitted changes (as git diff shows the working\n"
        "tree against HEAD).\n\n"
        "Examples:\n"
        "  manage.py pggit_diff\n"
        "  manage.py pggit_diff main feature/search\n"
        "  manage.py pggit_diff main feature/search --sql > upgrade.sql\n"
        "  manage.py pggit_diff 3f2a9c1b main --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "a",
            nargs="?",
            help="Any ref to compare from (branch, tag, HEAD, hash or prefix, ref~N).",
        )
        parser.add_argument("b", nargs="?", help="Any ref to compare to.")
        parser.add_argument(
            "--sql",
            action="store_true",
            help="Print only the DDL script (dependency order; run it with search_path set "
            "to the schema to change).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["a"] is None:
            self.uncommitted(options)
            return
        if options["b"] is None:
            raise CommandError(
                f"give two refs to compare, or none for the uncommitted changes (got only "
                f"{options['a']!r})",
                returncode=self.USER_ERROR,
            )
        if options["sql"]:
            for statement in api.diff_ddl(options["a"], options["b"], using=using):
                self.stdout.write(f"{statement};")
            return
        with self.progress(f"comparing {options['a']} and {options['b']}"):
            entries = api.diff(options["a"], options["b"], using=using)
        if options["as_json"]:
            self.print_json([e.__dict__ for e in entries])
            return
        if not entries:
            self.stdout.write(f"No differences between {options['a']} and {options['b']}.")
        marks = {
            "added": "+",
            "removed": "-",
            "modified": "~",
            "rebuilt": "=",
        }  # = : re-created as it was
        for e in entries:
            detail = f"  ({e.detail})" if e.detail else ""
            self.stdout.write(f"{marks.get(e.change, '?')} {e.object_key}{detail}")
            for statement in e.ddl:
                self.stdout.write(f"      {statement};")

    def uncommitted(self, options: dict[str, Any]) -> None:
        """The current branch's workspace against its head (pggit_status's changes)."""
        using = options["database"]
        if options["sql"]:
            raise CommandError(
                "--sql needs two refs (e.g. main feature/x); without refs pggit_diff lists the "
                "uncommitted changes",
                returncode=self.USER_ERROR,
            )
        branch = api.current_branch(using=using)
        changes = api.status(branch, using=using)
        if options["as_json"]:
            self.print_json([{**c.__dict__, "branch": branch} for c in changes])
            return
        if not changes:
            self.stdout.write(f"No uncommitted changes on {branch}.")
            return
        self.stdout.write(f"Uncommitted changes on {branch} (against its head):")
        marks = {"added": "+", "removed": "-", "modified": "~"}
        for c in changes:
            detail = f"  ({c.detail})" if c.detail else ""
            self.stdout.write(f"{marks[c.change]} {c.object_key}{detail}")
