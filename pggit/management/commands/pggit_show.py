from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Show a commit: metadata, the objects it changed and the DDL captured since its parent.\n\n"
        "Examples:\n"
        "  manage.py pggit_show 3f2a9c1b\n"
        "  manage.py pggit_show 3f2a9c1b --tree --json\n"
        "  manage.py pggit_show HEAD~1\n"
        "  manage.py pggit_show v1.2.0"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "commit",
            help="Any ref: a branch, tag, HEAD, hash or unique prefix (7+ hex digits), ref~N.",
        )
        parser.add_argument("--tree", action="store_true", help="Also list every object.")

    def handle(self, *args: Any, **options: Any) -> None:
        shown = api.show(options["commit"], using=options["database"])
        if options["as_json"]:
            if not options["tree"]:
                shown.pop("tree")
            self.print_json(shown)
            return
        c = shown["commit"]
        self.stdout.write(self.style.WARNING(f"commit {c['hash']}"))
        if c["merge_parent_hash"]:
            self.stdout.write(f"Merge:  {c['parent_hash'][:12]} {c['merge_parent_hash'][:12]}")
        self.stdout.write(f"Branch: {c['branch']}")
        if shown.get("tags"):
            self.stdout.write(f"Tags:   {', '.join(shown['tags'])}")
        self.stdout.write(f"Author: {c['author']}")
        self.stdout.write(f"Date:   {c['committed_at']}")
        self.stdout.write(f"Tree:   {c['tree_hash']}\n")
        for line in (c["message"] or "(no message)").splitlines():
            self.stdout.write(f"    {line}")
        self.stdout.write("\nChanged objects:" if shown["changes"] else "\nNo object changed.")
        for change in shown["changes"]:
            detail = f"  ({change['detail']})" if change["detail"] else ""
            self.stdout.write(f"  {change['change']:<9} {change['object']}{detail}")
        if shown["ddl"]:
            self.stdout.write("\nDDL captured since the parent:")
            seen = set()
            for event in shown["ddl"]:
                statement = (event["statement"] or "").strip()
                if statement and statement not in seen:
                    seen.add(statement)
                    self.stdout.write(f"  {statement}")
        if options["tree"]:
            self.stdout.write("\nTree:")
            for key, object_hash in sorted(shown["tree"].items()):
                self.stdout.write(f"  {object_hash[:12]} {key}")
