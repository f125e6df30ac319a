from pggit import api
from pggit.management.base import PgGitCommand, commit_as_dict


class Command(PgGitCommand):
    help = (
        "Record a commit of the database's schema on a branch.\n\n"
        "Examples:\n"
        "  manage.py pggit_commit -m 'Add invoices table'\n"
        "  manage.py pggit_commit -m 'Try a new index' --branch feature/search --author 'Ada'"
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("-m", "--message", required=True, help="The commit message.")
        parser.add_argument(
            "--branch", default="main", help="Branch to commit on (default: %(default)s)."
        )
        parser.add_argument(
            "--author", default=None, help="Author to record (default: the database user)."
        )

    def handle(self, *args, **options):
        with self.progress(f"committing to {options['branch']}"):
            commit = api.commit(
                options["message"],
                branch=options["branch"],
                author=options["author"],
                using=options["database"],
            )
        if options["as_json"]:
            self.print_json(commit_as_dict(commit))
        else:
            self.stdout.write(f"[{commit.branch.name} {commit.short_hash}] {commit.message}")
