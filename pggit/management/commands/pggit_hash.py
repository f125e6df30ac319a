from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Print the schema hash of one or more tables (SHA-256 of the normalized definition).\n\n"
        "Examples:\n"
        "  manage.py pggit_hash users\n"
        "  manage.py pggit_hash public.orders '\"Mixed Case\"' --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("tables", nargs="+", help='"table" or "schema.table".')

    def handle(self, *args: Any, **options: Any) -> None:
        hashes = {t: api.schema_hash(t, using=options["database"]) for t in options["tables"]}
        if options["as_json"]:
            self.print_json(hashes)
        else:
            for table, value in hashes.items():
                self.stdout.write(f"{value or '(no such table)'}  {table}")
        missing = [table for table, value in hashes.items() if value is None]
        if missing:
            raise CommandError(f"no such table: {', '.join(missing)}", returncode=self.USER_ERROR)
