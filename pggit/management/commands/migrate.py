"""Django's ``migrate``, plus a pggit commit of what it applied.

pggit overrides ``migrate`` (an app's command of the same name wins over Django's) rather than
listening to ``post_migrate``: the signal cannot make the command exit non-zero with one
readable line, and it fires once per app even when nothing was applied. The applied migrations
are the ones Django reports to ``migration_progress_callback`` ("apply_success"), in order.

With ``PGGIT["COMMIT_ON_MIGRATE"]`` (default True), a run that applied at least one migration
of another app than pggit records one commit on the connection's branch, message
``migrate: <app>.<migration>, ...``, author ``PGGIT["MIGRATE_AUTHOR"]`` or the OS user. If that
commit fails, the migrations stay applied (``pggit_status`` shows them as uncommitted changes)
and the command exits 1 with one line saying so.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DatabaseError, connections

from pggit import api, conf
from pggit.exceptions import PgGitError
from pggit.installation import is_installed
from pggit.runtime import process_branch


class Command(migrate.Command):
    help = migrate.Command.help + (
        " Then records a pggit commit of the applied migrations on the current branch"
        ' (PGGIT["COMMIT_ON_MIGRATE"]).'
    )

    def execute(self, *args: Any, **options: Any) -> str | None:
        try:
            return super().execute(*args, **options)
        except PgGitError as exc:  # e.g. PGGIT_BRANCH names no branch: at connection time
            raise CommandError(_line(exc), returncode=1) from exc

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            enabled = conf.commit_on_migrate()
            author = (conf.migrate_author() or conf.os_user()) if enabled else ""
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc), returncode=1) from exc
        self.pggit_applied: list[str] = []
        _refuse_branch_without_migration_records(options["database"])
        super().handle(*args, **options)
        applied = [name for name in self.pggit_applied if not name.startswith("pggit.")]
        using = options["database"]
        if not enabled or not applied or not is_installed(using):
            return
        message = "migrate: " + ", ".join(applied)
        branch = process_branch(connections[using])
        try:
            commit = api.commit(message, branch=branch, author=author, using=using)
        except (PgGitError, DatabaseError) as exc:
            raise CommandError(
                f"the migrations were applied, but pggit could not record their commit on"
                f" {branch!r}: {_line(exc)}. They show as uncommitted changes in pggit_status;"
                f" commit them with: manage.py pggit_commit --branch {branch}"
                f' -m "{_short(message)}"',
                returncode=1,
            ) from exc
        if options["verbosity"] >= 1:
            self.stdout.write(f"pggit: [{branch} {commit.hash[:12]}] {_short(message)}")

    def migration_progress_callback(
        self, action: str, migration: Any = None, fake: bool = False
    ) -> None:
        if action == "apply_success" and migration is not None:
            self.pggit_applied.append(f"{migration.app_label}.{migration.name}")
        super().migration_progress_callback(action, migration, fake)


def _refuse_branch_without_migration_records(using: str) -> None:
    """On a branch, Django reads which migrations are applied from the branch's rows of
    django_migrations: without a data branch of it, the branch's copy is empty and migrate
    would run every migration again over the branch's existing tables."""
    connection = connections[using]
    connection.ensure_connection()  # checks the branch out (pggit.runtime)
    state = getattr(connection, "pggit_branch", None)
    if state is None or state["name"] == "main":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pggit.data_branches WHERE branch_id = %s"
            " AND table_name = 'django_migrations' AND status = 'ACTIVE')",
            [state["id"]],
        )
        if cursor.fetchone()[0]:
            return
    name = state["name"]
    raise CommandError(
        f"branch {name!r} has no data branch of django_migrations: Django would see no"
        " migration applied on it and run them all again. Create the branch with"
        f" --with-data, or run: manage.py pggit_data_branch create django_migrations --to {name}",
        returncode=1,
    )


def _line(exc: BaseException) -> str:
    hint = getattr(exc, "hint", None)
    text = " ".join(str(exc).split())
    return text + (f" (hint: {hint})" if hint else "")


def _short(message: str) -> str:
    return message if len(message) <= 100 else message[:97] + "..."
