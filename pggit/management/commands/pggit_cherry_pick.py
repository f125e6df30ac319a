from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.exceptions import MergeConflict
from pggit.management.base import PgGitCommand


class Command(PgGitCommand):
    help = (
        "Apply one commit's schema change to a branch as a new commit naming the original\n"
        "(like git cherry-pick -x). A commit already on the branch, or a change the branch\n"
        "already has, is a no-op that says so (exit status 0). Conflicts stop it (exit status\n"
        "2, conflicts listed; nothing is applied): resolve them as a merge's, with\n"
        "manage.py pggit_merge --resolve MERGE_ID OBJECT ours|theirs|DDL.\n\n"
        "Examples:\n"
        "  manage.py pggit_cherry_pick 3f2a9c1b release\n"
        "  manage.py pggit_cherry_pick 9e8d7c6b main --parent 1 --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("commit", help="The commit to pick (a hash or a unique prefix).")
        parser.add_argument("branch", help="The branch to apply it to.")
        parser.add_argument(
            "--parent",
            type=int,
            choices=[1, 2],
            default=None,
            help="For a merge commit: take its change against parent 1 or 2.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        commit, branch = options["commit"], options["branch"]
        try:
            result = api.cherry_pick(
                commit, branch, parent=options["parent"], using=options["database"]
            )
        except MergeConflict as conflict:
            raise self.conflicts_error(conflict, "cherry-pick", options["as_json"]) from conflict
        if options["as_json"]:
            self.print_json(result.__dict__)
            return
        short = (result.commit_hash or "")[:12]
        self.stdout.write(
            {
                "picked": f"Picked {commit} onto {branch}: {short}.",
                "already-applied": f"Nothing to do: {commit} is already on {branch}.",
                "empty": f"Nothing to do: {branch} already has the change of {commit}.",
            }[result.status]
        )
