"""The story of pggit, told on the embedded database: ``make demo``."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from pggit import api
from pggit.exceptions import BranchNotFound

FEATURE = "demo/add-price"


class Command(BaseCommand):
    help = "Run the django-pggit demo: migrate, commit, branch, commit on the branch, show logs."

    def step(self, text: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n==> {text}"))

    def sql(self, statement: str) -> None:
        self.stdout.write(f"    SQL> {statement}")
        with connection.cursor() as cursor:
            cursor.execute(statement)

    def handle(self, *args, **options):
        self.step("Migrate: install the pggit core into the database")
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version'), current_database()")
            version, database = cursor.fetchone()
        self.stdout.write(f"    PostgreSQL {version}, database {database!r}: schema pggit installed")

        self.step("Start from a clean slate (a previous demo run's branch is removed)")
        try:
            api.delete_branch(FEATURE, force=True)
            self.stdout.write(f"    deleted old branch {FEATURE}")
        except BranchNotFound:
            self.stdout.write("    nothing to clean")
        except Exception as exc:  # BranchDeleted: already gone
            self.stdout.write(f"    {exc}")

        self.step("Create a sample table on main and commit")
        self.sql("DROP TABLE IF EXISTS demo_products")
        self.sql("CREATE TABLE demo_products (id bigint PRIMARY KEY, name text NOT NULL)")
        first = api.commit("Add demo_products", author="Ada Lovelace <ada@example.com>")
        self.stdout.write(f"    committed {first.short_hash} on main")

        self.step(f"Create branch {FEATURE} from main and commit on it")
        branch = api.create_branch(FEATURE, "main")
        self.stdout.write(f"    branch {branch.name} starts at {branch.base_id[:12]}")
        second = api.commit(
            "Add a price column", branch=FEATURE, author="Grace Hopper <grace@example.com>"
        )
        self.stdout.write(f"    committed {second.short_hash} on {FEATURE}")

        for name in ("main", FEATURE):
            self.step(f"Log of {name}")
            call_command("pggit_log", branch=name, limit=5, stdout=self.stdout)

        self.step("Branches")
        call_command("pggit_branch", stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS("\nDone. Browse it in the admin: make admin, then open "
                               "http://127.0.0.1:8000/admin/ (user admin, password admin).")
        )
