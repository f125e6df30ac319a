from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.management.base import PgGitCommand, commit_as_dict


class Command(PgGitCommand):
    help = (
        "Show a branch's history, newest first (first-parent chain, like"
        " git log --first-parent).\n\n"
        "Examples:\n"
        "  manage.py pggit_log\n"
        "  manage.py pggit_log --branch feature/x --limit 5 --oneline\n"
        "  manage.py pggit_log --object table:public.users"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--branch", default="main", help="Branch (default: %(default)s).")
        parser.add_argument(
            "--limit", type=int, default=20, help="At most this many commits (default: 20)."
        )
        parser.add_argument("--oneline", action="store_true", help="One line per commit.")
        parser.add_argument(
            "--object",
            default=None,
            metavar="KEY",
            help="Only the commits that changed this object (e.g. table:public.users), with"
            " the change, its detail and the object's version after it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["object"] is not None:
            self.object_log(options)
            return
        commits = api.log(options["branch"], options["limit"], using=options["database"])
        if options["as_json"]:
            self.print_json([commit_as_dict(c) for c in commits])
            return
        if not commits:
            self.stdout.write(f"Branch {options['branch']} has no commits yet.")
        for c in commits:
            summary = c.message.splitlines()[0] if c.message else "(no message)"
            if options["oneline"]:
                self.stdout.write(f"{c.short_hash} {summary}")
                continue
            self.stdout.write(self.style.WARNING(f"commit {c.hash}"))
            if c.merge_parent_id:
                self.stdout.write(f"Merge:  {(c.parent_id or '')[:12]} {c.merge_parent_id[:12]}")
            self.stdout.write(f"Branch: {c.branch.name}")
            self.stdout.write(f"Author: {c.author}")
            self.stdout.write(f"Date:   {c.committed_at:%Y-%m-%d %H:%M:%S %z}")
            self.stdout.write("")
            for line in (c.message or "(no message)").splitlines():
                self.stdout.write(f"    {line}")
            self.stdout.write("")

    def object_log(self, options: dict[str, Any]) -> None:
        if options["limit"] < 1:
            raise CommandError(f"--limit must be at least 1, got {options['limit']}", returncode=1)
        entries = api.object_log(options["object"], options["branch"], using=options["database"])
        entries = entries[: options["limit"]]
        if options["as_json"]:
            self.print_json([e.__dict__ for e in entries])
            return
        for e in entries:
            summary = e.message.splitlines()[0] if e.message else "(no message)"
            if options["oneline"]:
                self.stdout.write(f"{e.hash[:12]} {e.version:<8} {e.change:<8} {summary}")
                continue
            self.stdout.write(self.style.WARNING(f"commit {e.hash}"))
            self.stdout.write(f"Author:  {e.author}")
            self.stdout.write(f"Date:    {e.committed_at:%Y-%m-%d %H:%M:%S %z}")
            self.stdout.write(f"Change:  {e.change} -> {e.version}")
            if e.detail:
                self.stdout.write(f"Detail:  {e.detail}")
            self.stdout.write(f"\n    {summary}\n")
