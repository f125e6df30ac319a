from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.management.base import PgGitCommand
from pggit.models import Tag


def tag_as_dict(tag: Tag) -> dict[str, Any]:
    return {
        "name": tag.name,
        "uuid": str(tag.uuid),
        "commit_hash": tag.commit_id,
        "message": tag.message,
        "tagger": tag.tagger,
        "created_at": tag.created_at,
    }


class Command(PgGitCommand):
    help = (
        "List, create or delete tags: immutable names for commits (refs that work wherever a"
        " commit is accepted).\n\n"
        "Examples:\n"
        "  manage.py pggit_tag                                  # list tags\n"
        "  manage.py pggit_tag create v1.2.0                    # tag main's head\n"
        "  manage.py pggit_tag create release/2026-11 3f2a9c1 -m 'November release'\n"
        "  manage.py pggit_tag create v1.2.0 feature~2 --force  # move an existing tag\n"
        "  manage.py pggit_tag delete v1.2.0"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        actions = parser.add_subparsers(dest="action", metavar="{list,create,delete}")
        self.add_subcommand(actions, "list", help="List tags (the default).")
        create = self.add_subcommand(actions, "create", help="Tag a commit.")
        create.add_argument("name", help='Tag name (branch-name rules; "/" and "." allowed).')
        create.add_argument(
            "ref",
            nargs="?",
            default="main",
            help="The commit: a branch, tag, HEAD, hash or 7+ digit prefix, ref~N (default: main).",
        )
        create.add_argument("-m", "--message", default=None, help="The tag's message.")
        create.add_argument(
            "--force", action="store_true", help="Move the tag if it names another commit."
        )
        delete = self.add_subcommand(actions, "delete", help="Delete a tag (the commit stays).")
        delete.add_argument("name")

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        action = options.get("action") or "list"
        if action == "create":
            tag = api.tag(
                options["name"],
                options["ref"],
                message=options["message"],
                force=options["force"],
                using=using,
            )
            if options["as_json"]:
                self.print_json(tag_as_dict(tag))
            else:
                self.stdout.write(f"Tagged {tag.commit_id[:12]} as {tag.name}")
        elif action == "delete":
            commit_hash = api.delete_tag(options["name"], using=using)
            if options["as_json"]:
                self.print_json({"name": options["name"], "commit_hash": commit_hash})
            else:
                self.stdout.write(f"Deleted tag {options['name']} (was {commit_hash[:12]})")
        else:
            tags = api.tags(using=using)
            if options["as_json"]:
                self.print_json([tag_as_dict(t) for t in tags])
                return
            for t in tags:
                summary = t.commit.message.splitlines()[0] if t.commit.message else ""
                self.stdout.write(f"{t.name:<30} {t.commit_id[:12]} {summary}".rstrip())
