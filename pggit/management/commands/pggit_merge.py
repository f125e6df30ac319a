from typing import Any

from django.core.management.base import CommandError, CommandParser

from pggit import api
from pggit.exceptions import MergeConflict
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Merge SOURCE into TARGET (default main): fast-forward, 3-way merge, or stop on\n"
        "conflicts (exit status 2, conflicts listed; nothing is applied). Resolve a conflict\n"
        "with --resolve MERGE_ID OBJECT ours|theirs|DDL; the last resolution completes it.\n\n"
        "Examples:\n"
        "  manage.py pggit_merge feature/search\n"
        "  manage.py pggit_merge feature/search release -m 'Ship search'\n"
        "  manage.py pggit_merge --resolve 7 table:public.users theirs"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("source", nargs="?", help="Branch to merge.")
        parser.add_argument("target", nargs="?", default="main", help="Branch to merge into.")
        parser.add_argument("-m", "--message", default=None, help="Merge commit message.")
        parser.add_argument(
            "--resolve",
            nargs=3,
            metavar=("MERGE_ID", "OBJECT", "RESOLUTION"),
            help="Resolve one conflict of a stopped merge.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        using = options["database"]
        if options["resolve"]:
            merge_id, object_key, resolution = options["resolve"]
            if not merge_id.isdigit():
                raise CommandError(f"MERGE_ID must be a number, got {merge_id!r}", returncode=1)
            commit_hash = api.resolve_conflict(int(merge_id), object_key, resolution, using=using)
            self._report(
                options,
                {"merge_id": int(merge_id), "resolved": object_key, "commit_hash": commit_hash},
                f"Merge {merge_id} completed: {commit_hash[:12]}"
                if commit_hash
                else f"Resolved {object_key}; conflicts remain in merge {merge_id}.",
            )
            return
        if not options["source"]:
            raise CommandError("name the branch to merge (see --help)", returncode=1)
        try:
            with self.progress(f"merging {options['source']} into {options['target']}"):
                result = api.merge(
                    options["source"], options["target"], message=options["message"], using=using
                )
        except MergeConflict as conflict:
            raise self.conflicts_error(conflict, "merge", options["as_json"]) from conflict
        short = (result.commit_hash or "")[:12]
        line = {
            "up-to-date": f"Already up to date: {options['target']} contains {options['source']}.",
            "fast-forward": f"Fast-forward {options['target']} to {short}.",
            "merged": f"Merged {options['source']} into {options['target']}: {short}.",
        }[result.status]
        self._report(options, result.__dict__, line)

    def _report(self, options: dict[str, Any], payload: dict[str, Any], line: str) -> None:
        if options["as_json"]:
            self.print_json(payload)
        else:
            self.stdout.write(line)
