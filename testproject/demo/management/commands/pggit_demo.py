"""The story of pggit, told on the embedded database: ``make demo``."""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from pggit import api
from pggit.management.progress import progress
from pggit.models import Branch

FEATURE = "demo/add-price"


class Command(BaseCommand):
    help = (
        "Run the django-pggit demo: migrate, commit, branch, change schema and data on the "
        "branch, diff, merge, log, verify."
    )

    def step(self, text: str) -> None:
        self.stdout.write(self.style.MIGRATE_HEADING(f"\n==> {text}"))
        self._started = time.monotonic()

    def done(self, text: str) -> None:
        elapsed = time.monotonic() - self._started
        timing = f" ({elapsed:.1f}s)" if elapsed >= 1 else ""
        self.stdout.write(f"    {text}{timing}")

    def sql(self, statement: str) -> None:
        self.stdout.write(f"    SQL> {statement}")
        with connection.cursor() as cursor:
            cursor.execute(statement)

    def handle(self, *args, **options):
        self.step(
            "Migrate: install the pggit core into the database (a few seconds the first time)"
        )
        with progress(self.stderr, "    migrating"):
            call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('server_version'), current_database(),"
                " pggit.ddl_capture_enabled()"
            )
            version, database, capture = cursor.fetchone()
        self.done(
            f"PostgreSQL {version}, database {database!r}: schema pggit installed, "
            f"DDL capture {'on' if capture else 'off'}"
        )

        self.step("Start from a clean slate (remove a previous run's branch and table)")
        if Branch.objects.filter(name=FEATURE).exclude(status="DELETED").exists():
            api.delete_branch(FEATURE, force=True)
        self.sql("DROP TABLE IF EXISTS demo_products")
        self.sql("CREATE TABLE demo_products (id bigint PRIMARY KEY, name text NOT NULL)")
        self.sql("INSERT INTO demo_products VALUES (1, 'kettle'), (2, 'teapot'), (3, 'mug')")
        first = api.commit("Add demo_products", author="Ada Lovelace <ada@example.com>")
        self.done(
            f"committed {first.short_hash} on main; demo_products is at version "
            f"{api.get_version('demo_products')}"
        )

        self.step(
            f"Branch {FEATURE} from main: its own schema namespace, a copy of main's structure"
        )
        with progress(self.stderr, "    creating the branch's workspace"):
            branch = api.create_branch(FEATURE, "main")
        self.done(
            f"branch {branch.name} starts at {branch.base_id[:12]}; its tables are empty "
            "copies of main's structure"
        )
        self.step(
            "Give the branch its own rows of demo_products (copy-on-write: nothing is copied)"
        )
        rows = api.create_data_branch("demo_products", "main", FEATURE)
        self.sql(f"UPDATE {rows} SET name = 'electric kettle' WHERE id = 1")
        self.sql(f"DELETE FROM {rows} WHERE id = 3")
        self.sql("INSERT INTO demo_products VALUES (4, 'saucer')  -- on main, meanwhile")
        for change in api.diff_data("demo_products", "main", FEATURE):
            cols = f" ({', '.join(change.changed_columns)})" if change.changed_columns else ""
            self.stdout.write(f"    rows: {change.change} {change.key}{cols}")
        self.done("main still reads its own rows; the branch reads its own")

        with api.checkout(FEATURE):
            self.stdout.write(
                f"    checked out {api.current_branch()}; search_path now starts with "
                f"the branch's namespace"
            )
            self.sql("ALTER TABLE demo_products ADD COLUMN price numeric(10,2)")
        for pending in api.status(FEATURE):
            self.stdout.write(
                f"    status: {pending.change} {pending.object_key} ({pending.detail})"
            )
        second = api.commit(
            "Add a price column", branch=FEATURE, author="Grace Hopper <grace@example.com>"
        )
        self.done(f"committed {second.short_hash} on {branch.name}; main is untouched")

        self.step("Diff main against the branch: the DDL that would bring main up to date")
        for statement in api.diff_ddl("main", FEATURE):
            self.stdout.write(f"    {statement};")

        self.step(f"Merge {FEATURE} into main (schema 3-way, then rows 3-way by primary key)")
        with progress(self.stderr, "    merging"):
            result = api.merge(FEATURE, "main")
        self.done(f"{result.status}: main is now at {(result.commit_hash or '')[:12]}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, name FROM demo_products ORDER BY id")
            self.stdout.write(f"    demo_products on main: {cursor.fetchall()}")
        self.stdout.write(f"    demo_products is now at version {api.get_version('demo_products')}")

        for name in ("main", FEATURE):
            self.step(f"Log of {name}")
            call_command("pggit_log", branch=name, limit=4, oneline=True, stdout=self.stdout)

        self.step("Branches")
        call_command("pggit_branch", "list", "--all", stdout=self.stdout)

        self.step("Verify: every hash recomputes, every branch is one chain, nothing is orphaned")
        with progress(self.stderr, "    verifying"):
            findings = api.verify()
        for finding in findings:
            self.stdout.write(
                self.style.ERROR(f"    {finding.check}: {finding.subject}: {finding.detail}")
            )
        self.done("history verified: no finding" if not findings else f"{len(findings)} finding(s)")
        self.stdout.write(
            self.style.SUCCESS(
                "\nDone. Browse it in the admin: run `make admin`, then open "
                "http://127.0.0.1:8000/admin/ (user admin, password admin)."
            )
        )
