from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Show a commit: metadata, the objects it changed and the DDL captured since its parent;\n"
        "with OBJECT, that object as the commit stored it (definition and DDL). --checkout\n"
        "materializes the commit's schema read-only in new namespaces (tables empty, writes\n"
        "refused); --drop-checkout removes them.\n\n"
        "Examples:\n"
        "  manage.py pggit_show 3f2a9c1b\n"
        "  manage.py pggit_show 3f2a9c1b --tree --json\n"
        "  manage.py pggit_show HEAD~1\n"
        "  manage.py pggit_show v1.2.0\n"
        "  manage.py pggit_show 3f2a9c1b table:public.users\n"
        "  manage.py pggit_show 3f2a9c1b --checkout"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "commit",
            help="Any ref: a branch, tag, HEAD, hash or unique prefix (7+ hex digits), ref~N.",
        )
        parser.add_argument(
            "object", nargs="?", default=None, help="An object key, e.g. table:public.users."
        )
        parser.add_argument("--tree", action="store_true", help="Also list every object.")
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--checkout", action="store_true", help="Materialize the commit read-only."
        )
        action.add_argument(
            "--drop-checkout", action="store_true", help="Drop the commit's checkout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["checkout"] or options["drop_checkout"]:
            if options["object"] or options["tree"]:
                raise CommandError(
                    "--checkout and --drop-checkout take a commit only", returncode=1
                )
            self.checkout(options)
            return
        if options["object"] is not None:
            if options["tree"]:
                raise CommandError("--tree shows a commit, not an object", returncode=1)
            self.show_object(options)
            return
        shown = api.show(options["commit"], using=using)
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

    def show_object(self, options: dict[str, Any]) -> None:
        shown = api.show_object(options["commit"], options["object"], using=options["database"])
        if options["as_json"]:
            self.print_json(shown)
            return
        self.stdout.write(self.style.WARNING(f"{shown['object_key']} at {shown['commit']}"))
        self.stdout.write(f"Object: {shown['object_hash']}\n")
        for statement in shown["ddl"]:
            self.stdout.write(f"{statement};")

    def checkout(self, options: dict[str, Any]) -> None:
        using, ref = options["database"], options["commit"]
        if options["drop_checkout"]:
            dropped = api.drop_commit_checkout(ref, using=using)
            if options["as_json"]:
                self.print_json({"commit": ref, "dropped": dropped})
            else:
                self.stdout.write(
                    f"Dropped {dropped} namespace(s) of {ref}."
                    if dropped
                    else f"Commit {ref} is not checked out."
                )
            return
        namespaces = api.checkout_commit(ref, using=using)
        if options["as_json"]:
            self.print_json({"commit": ref, "namespaces": namespaces})
            return
        for logical, namespace in namespaces.items():
            self.stdout.write(f"{logical} at {ref}: {namespace} (read-only, tables empty)")
