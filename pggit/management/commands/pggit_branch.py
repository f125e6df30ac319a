from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.management.base import PgGitCommand, branch_as_dict
from pggit.models import Branch


class Command(PgGitCommand):
    help = (
        "List, create or delete branches.\n\n"
        "Examples:\n"
        "  manage.py pggit_branch                      # list live branches\n"
        "  manage.py pggit_branch list --all           # include deleted ones\n"
        "  manage.py pggit_branch create feature/x --from main\n"
        "  manage.py pggit_branch create feature/x --with-data   # with main's rows\n"
        "  manage.py pggit_branch create feature/x --with-data --tables shop_item\n"
        "  manage.py pggit_branch delete feature/x [--force]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        actions = parser.add_subparsers(dest="action", metavar="{list,create,delete}")
        listing = self.add_subcommand(actions, "list", help="List branches (the default).")
        listing.add_argument("--all", action="store_true", help="Include deleted branches.")
        create = self.add_subcommand(actions, "create", help="Create a branch.")
        create.add_argument("name")
        create.add_argument(
            "--from",
            dest="from_branch",
            default="main",
            help="Where the branch starts: a branch, tag, HEAD, hash or 7+ digit prefix, ref~N"
            " (default: main).",
        )
        create.add_argument(
            "--with-data",
            action="store_true",
            help="Give the branch the source's rows, copy-on-write (no row is copied): it reads"
            " them and writes only its own.",
        )
        create.add_argument(
            "--tables",
            nargs="+",
            metavar="TABLE",
            help="With --with-data: only these tables (default: every table of the source).",
        )
        delete = self.add_subcommand(
            actions, "delete", help="Delete a branch (its history is kept)."
        )
        delete.add_argument("name")
        delete.add_argument(
            "--force", action="store_true", help="Delete even if it has unmerged commits."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        action = options.get("action") or "list"
        if action == "create":
            if options["tables"] and not options["with_data"]:
                raise CommandError("--tables goes with --with-data", returncode=self.USER_ERROR)
            data: str | list[str] = "none"
            if options["with_data"]:
                data = options["tables"] or "all"
            with self.progress(f"creating branch {options['name']}"):
                branch = api.create_branch(
                    options["name"], options["from_branch"], data=data, using=using
                )
            self._report(options, branch, f"Created branch {branch.name} at {_short(branch)}")
        elif action == "delete":
            with self.progress(f"deleting branch {options['name']}"):
                branch = api.delete_branch(options["name"], force=options["force"], using=using)
            self._report(options, branch, f"Deleted branch {branch.name} (was {_short(branch)})")
        else:
            branches = Branch.objects.using(using).select_related("parent_branch")
            if not options.get("all"):
                branches = branches.exclude(status=Branch.Status.DELETED)
            if options["as_json"]:
                self.print_json([branch_as_dict(b) for b in branches])
                return
            for b in branches:
                status = "" if b.status == Branch.Status.ACTIVE else f" [{b.status.lower()}]"
                self.stdout.write(f"{b.name:<30} {_short(b)}{status}")

    def _report(self, options: dict[str, Any], branch: Branch, line: str) -> None:
        if options["as_json"]:
            self.print_json(branch_as_dict(branch))
        else:
            self.stdout.write(line)


def _short(branch: Branch) -> str:
    return branch.head_id[:12] if branch.head_id else "(no commits)"
