from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.cli import missing_branch_hint
from pggit.exceptions import BranchNotFound
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Copy-on-write data branches: create one, diff a table's rows between branches, list.\n\n"
        "Examples:\n"
        "  manage.py pggit_data_branch create orders --from main --to feature/backfill\n"
        "  manage.py pggit_data_branch create orders --to feature/new --create\n"
        "  manage.py pggit_data_branch diff orders main feature/backfill --json\n"
        "  manage.py pggit_data_branch list [--branch feature/backfill]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        actions = parser.add_subparsers(dest="action", metavar="{create,diff,list}")
        create = self.add_subcommand(
            actions, "create", help="Give a branch its own rows of a table."
        )
        create.add_argument("table", help='"table" or "schema.table".')
        create.add_argument("--from", dest="from_branch", default="main", help="Source branch.")
        create.add_argument("--to", dest="to_branch", required=True, help="Branch to give rows.")
        create.add_argument(
            "--create",
            action="store_true",
            help="Create the --to branch (from --from) if it does not exist; without it, a "
            "branch that does not exist is an error.",
        )
        diff = self.add_subcommand(actions, "diff", help="Rows that differ between two branches.")
        diff.add_argument("table")
        diff.add_argument("a")
        diff.add_argument("b")
        listing = self.add_subcommand(
            actions, "list", help="Live data branches with change counts."
        )
        listing.add_argument("--branch", default=None, help="Only this branch's data branches.")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        action = options.get("action") or "list"
        if action == "create":
            try:
                with self.progress(f"branching the rows of {options['table']}"):
                    name = api.create_data_branch(
                        options["table"],
                        options["from_branch"],
                        options["to_branch"],
                        create=options["create"],
                        using=using,
                    )
            except BranchNotFound as exc:
                hint = missing_branch_hint(exc) if exc.branch == options["to_branch"] else None
                raise self.user_error(exc, hint) from exc
            if options["as_json"]:
                self.print_json(
                    {"table": options["table"], "branch": options["to_branch"], "relation": name}
                )
            else:
                self.stdout.write(f"{options['to_branch']}'s rows of {options['table']}: {name}")
        elif action == "diff":
            with self.progress(f"comparing the rows of {options['table']}"):
                changes = api.diff_data(options["table"], options["a"], options["b"], using=using)
            if options["as_json"]:
                self.print_json([c.__dict__ for c in changes])
                return
            if not changes:
                self.stdout.write("No row differs.")
            marks = {"added": "+", "removed": "-", "modified": "~"}
            for c in changes:
                cols = f"  ({', '.join(c.changed_columns)})" if c.changed_columns else ""
                self.stdout.write(f"{marks[c.change]} {c.key}{cols}")
        else:
            rows = api.data_branches(options.get("branch"), using=using)
            if options["as_json"]:
                self.print_json(rows)
                return
            if not rows:
                self.stdout.write("No live data branches.")
            for r in rows:
                self.stdout.write(
                    f"{r['branch_name']:<24} {r['table_name']:<24} {r['view_name']}  "
                    f"written {r['rows_written']}, deleted {r['rows_deleted']}, "
                    f"source changed {r['source_rows_changed']}"
                )
