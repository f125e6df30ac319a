from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Show what differs between two branches or commits, or the DDL that turns A into B.\n\n"
        "Examples:\n"
        "  manage.py pggit_diff main feature/search\n"
        "  manage.py pggit_diff main feature/search --sql > upgrade.sql\n"
        "  manage.py pggit_diff 3f2a9c1b main --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "a", help="Any ref to compare from (branch, tag, HEAD, hash or prefix, ref~N)."
        )
        parser.add_argument("b", help="Any ref to compare to.")
        parser.add_argument(
            "--sql",
            action="store_true",
            help="Print only the DDL script (dependency order; run it with search_path set "
            "to the schema to change).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
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
