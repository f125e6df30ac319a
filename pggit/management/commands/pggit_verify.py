from typing import Any

from django.core.management.base import CommandError

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Check the integrity of pggit's history and objects: commit, tree and definition hashes\n"
        "recompute, each branch is one chain, heads belong to their branch, no orphaned\n"
        "workspace or data-branch objects. Exits 1 when anything is found.\n\n"
        "Examples:\n"
        "  manage.py pggit_verify\n"
        "  manage.py pggit_verify --json"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with self.progress("verifying history and objects"):
            findings = api.verify(using=options["database"])
        if options["as_json"]:
            self.print_json([f.__dict__ for f in findings])
        else:
            for f in findings:
                self.stdout.write(f"{f.check:<12} {f.subject}: {f.detail}")
        if findings:
            raise CommandError(f"{len(findings)} integrity finding(s)", returncode=self.USER_ERROR)
        if not options["as_json"]:
            self.stdout.write("OK: history and objects verified.")
