from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.management.base import PgGitCommand, commit_as_dict


class Command(PgGitCommand):
    help = (
        "Show a branch's history, newest first (first-parent chain, like"
        " git log --first-parent).\n\n"
        "Examples:\n"
        "  manage.py pggit_log\n"
        "  manage.py pggit_log --branch feature/x --limit 5 --oneline"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--branch", default="main", help="Branch (default: %(default)s).")
        parser.add_argument(
            "--limit", type=int, default=20, help="At most this many commits (default: 20)."
        )
        parser.add_argument("--oneline", action="store_true", help="One line per commit.")

    def handle(self, *args: Any, **options: Any) -> None:
        commits = api.log(options["branch"], options["limit"], using=options["database"])
        if options["as_json"]:
            self.print_json([commit_as_dict(c) for c in commits])
            return
        if not commits:
            self.stdout.write(f"Branch {options['branch']} has no commits yet.")
        for c in commits:
            summary = c.message.splitlines()[0] if c.message else "(no message)"
            if options["oneline"]:
                label = f" [{c.commit_id}]" if c.commit_id else ""
                self.stdout.write(f"{c.short_hash}{label} {summary}")
                continue
            self.stdout.write(self.style.WARNING(f"commit {c.hash}"))
            if c.merge_parent_id:
                self.stdout.write(f"Merge:  {(c.parent_id or '')[:12]} {c.merge_parent_id[:12]}")
            self.stdout.write(f"Branch: {c.branch.name}")
            if c.commit_id:
                self.stdout.write(f"Id:     {c.commit_id}")
            self.stdout.write(f"Author: {c.author}")
            self.stdout.write(f"Date:   {c.committed_at:%Y-%m-%d %H:%M:%S %z}")
            self.stdout.write("")
            for line in (c.message or "(no message)").splitlines():
                self.stdout.write(f"    {line}")
            self.stdout.write("")
