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
        "  manage.py pggit_log --branch feature/x --limit 5 --oneline\n"
        "  manage.py pggit_log --branch v1.2.0~3          # any ref: tag, hash, HEAD, ref~N\n"
        "  manage.py pggit_log --branch feature/x --reflog  # every move of the head"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--branch",
            default="main",
            help="Branch, or any ref to start from (tag, HEAD, hash, 7+ digit prefix, ref~N;"
            " default: %(default)s).",
        )
        parser.add_argument(
            "--limit", type=int, default=20, help="At most this many commits (default: 20)."
        )
        parser.add_argument("--oneline", action="store_true", help="One line per commit.")
        parser.add_argument(
            "--reflog",
            action="store_true",
            help="Show the branch's reflog instead: every move of its head (operation, old and"
            " new head, role, author, reason, time), newest first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["reflog"]:
            self._reflog(options)
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

    def _reflog(self, options: dict[str, Any]) -> None:
        entries = api.reflog(options["branch"], options["limit"], using=options["database"])
        if options["as_json"]:
            self.print_json(
                [
                    {
                        "id": e.id,
                        "branch": options["branch"],
                        "operation": e.operation,
                        "old_hash": e.old_hash,
                        "new_hash": e.new_hash,
                        "role": e.role_name,
                        "author": e.author,
                        "reason": e.reason,
                        "moved_at": e.moved_at,
                        "entry_hash": e.entry_hash,
                    }
                    for e in entries
                ]
            )
            return
        for e in entries:
            self.stdout.write(
                f"{(e.new_hash or '-')[:12]:<12} {e.operation:<12}"
                f" {e.moved_at:%Y-%m-%d %H:%M:%S} {e.role_name}/{e.author}: {e.reason}"
            )
