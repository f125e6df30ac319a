from typing import Any

from django.core.management.base import CommandParser

from pggit import api
from pggit.management.base import PgGitCommand, branch_as_dict


class Command(PgGitCommand):
    help = (
        "Move a branch's head to any commit. --soft (the default) moves the head only: the"
        " workspace's differences become uncommitted changes. --hard also rebuilds the"
        " workspace to that commit's schema, discarding uncommitted changes and the rows"
        " written on the branch's data branches. main needs --force. The commits after the"
        " new head stay readable by hash and in pggit_log --reflog.\n\n"
        "Examples:\n"
        "  manage.py pggit_reset feature/x feature/x~1\n"
        "  manage.py pggit_reset feature/x v1.2.0 --hard\n"
        "  manage.py pggit_reset main 3f2a9c1 --hard --force --json"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("branch", help="The branch whose head moves.")
        parser.add_argument(
            "ref", help="Where to: a branch, tag, HEAD, hash or 7+ digit prefix, ref~N."
        )
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--hard",
            action="store_const",
            const="hard",
            dest="mode",
            help="Also rebuild the workspace (and discard data-branch rows).",
        )
        mode.add_argument(
            "--soft",
            action="store_const",
            const="soft",
            dest="mode",
            help="Move the head only (the default).",
        )
        parser.add_argument("--force", action="store_true", help="Allow resetting main.")

    def handle(self, *args: Any, **options: Any) -> None:
        mode = options["mode"] or "soft"
        with self.progress(f"resetting {options['branch']} to {options['ref']}"):
            old = api.get_branch(options["branch"], using=options["database"]).head_id
            branch = api.reset(
                options["branch"],
                options["ref"],
                mode=mode,
                force=options["force"],
                using=options["database"],
            )
        if options["as_json"]:
            self.print_json({**branch_as_dict(branch), "old_head_hash": old, "mode": mode})
        else:
            self.stdout.write(
                f"Reset {branch.name} --{mode} to {(branch.head_id or '')[:12]}"
                f" (was {(old or '(no commits)')[:12]})"
            )
