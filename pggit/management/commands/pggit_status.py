from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Show uncommitted schema changes of a branch's workspace against its head, and any\n"
        "stale data branch (its source's structure changed: rebase or delete it).\n\n"
        "Examples:\n"
        "  manage.py pggit_status\n"
        "  manage.py pggit_status --branch feature/x --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--branch",
            default=None,
            help="Branch (default: the current one, PGGIT_BRANCH or PGGIT['BRANCH'], else main).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        branch = options["branch"] or api.current_branch(using=using)
        changes = api.status(branch, using=using)
        if options["as_json"]:
            self.print_json([c.__dict__ for c in changes])
            return
        self.stdout.write(f"On branch {branch}")
        if not changes:
            self.stdout.write("Nothing to commit: the workspace matches the branch head.")
        marks = {"added": "+", "removed": "-", "modified": "~"}
        for c in changes:
            detail = f"  ({c.detail})" if c.detail else ""
            self.stdout.write(f"{marks[c.change]} {c.object_key}{detail}")
        # a data branch whose source changed structure (only possible without DDL capture)
        for r in api.data_branches(using=options["database"]):
            if r["stale"]:
                self.stdout.write(
                    f"! data branch of {r['table_name']} on {r['branch_name']} is stale:"
                    f" {r['stale']}. Rebase it: manage.py pggit_data_branch rebase"
                    f" {r['table_name']} --branch {r['branch_name']} (or delete it:"
                    f" manage.py pggit_data_branch delete {r['table_name']}"
                    f" --branch {r['branch_name']})"
                )
