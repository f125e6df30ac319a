"""A data branch whose source changes structure where no event trigger refuses it (a
non-superuser install): the source stays writable, the branch is reported stale, reading and
merging it raise a typed error, and a rebase brings it onto the new structure."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from django.db import transaction

from pggit import api
from pggit.exceptions import (
    DataBranchNotFound,
    DataBranchSourceDropped,
    DataBranchStale,
    RebaseRefused,
)
from tests.helpers import ScratchDatabase, ident, run, sql_error, sql_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf(unique):
    t = ident("shelf", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, name text NOT NULL, qty int)",
        f"INSERT INTO {t} SELECT g, 'n' || g, g FROM generate_series(1, 6) g",
    )
    api.commit(f"add {t}")
    return t


def without_capture(*statements: str) -> None:
    """DDL as on an install without event triggers: replica mode does not fire them."""
    run("SET LOCAL session_replication_role = replica", *statements)
    run("SET LOCAL session_replication_role = origin")


def branch_rows(view: str, columns: str = "id, name, qty") -> list[tuple]:
    return sql_rows(f"SELECT {columns} FROM {view} ORDER BY id")


def stale_of(branch: str) -> str | None:
    return api.data_branches(branch)[0]["stale"]


def test_an_added_column_leaves_the_source_writable_and_rebase_keeps_the_branch_point(
    unique, shelf
):
    branch = unique("slug")
    view = api.create_data_branch(shelf, "main", branch)
    run(
        f"UPDATE {view} SET name = 'branch' WHERE id = 2",
        f"UPDATE {shelf} SET qty = 100 WHERE id = 3",
    )
    assert stale_of(branch) is None
    with transaction.atomic():
        without_capture(f"ALTER TABLE {shelf} ADD COLUMN slug text NOT NULL DEFAULT 's'")
        # every kind of write on the source still works
        run(
            f"INSERT INTO {shelf} (id, name, qty, slug) VALUES (7, 'new', 7, 'new')",
            f"UPDATE {shelf} SET qty = 400, slug = 'four' WHERE id = 4",
            f"UPDATE {shelf} SET id = 60 WHERE id = 6",
            f"DELETE FROM {shelf} WHERE id = 5",
        )
        reason = stale_of(branch)
        assert reason is not None and "added slug" in reason
        err = sql_error(f"SELECT * FROM {view}")
        assert err.sqlstate == "PGY01" and "is stale" in err.diag.message_primary
        assert "rebase_data_branch" in err.diag.message_hint
        assert sql_error(f"SELECT * FROM {view} WHERE id = 1").sqlstate == "PGY01"
        with pytest.raises(DataBranchStale, match="added slug"):
            api.diff_data(shelf, "main", branch)
        with pytest.raises(DataBranchStale):
            api.merge(branch)

        assert api.rebase_data_branch(shelf, branch) == view
        assert stale_of(branch) is None
        # the branch point stays: pre-images captured after the ALTER are exact
        assert branch_rows(view, "id, name, qty, slug") == [
            (1, "n1", 1, "s"),
            (2, "branch", 2, "s"),
            (3, "n3", 3, "s"),
            (4, "n4", 4, "four"),  # its new column from the source row of the same key
            (5, "n5", 5, "s"),  # the source deleted it: the new column's default
            (6, "n6", 6, "s"),  # the source moved its key
        ]
        assert api.rebase_data_branch(shelf, branch) == view  # a current branch: nothing to do
        run(f"UPDATE {view} SET slug = 'mine' WHERE id = 1")
        api.merge(branch)
        assert sql_rows(f"SELECT name, slug FROM {shelf} WHERE id IN (1, 2) ORDER BY id") == [
            ("n1", "mine"),
            ("branch", "s"),
        ]


def test_a_renamed_column_keeps_the_pre_images_exact(unique, shelf):
    branch = unique("rename")
    view = api.create_data_branch(shelf, "main", branch)
    run(f"UPDATE {shelf} SET qty = 10 WHERE id = 1")
    with transaction.atomic():
        without_capture(f"ALTER TABLE {shelf} RENAME COLUMN qty TO amount")
        run(f"UPDATE {shelf} SET amount = 20 WHERE id = 2", f"DELETE FROM {shelf} WHERE id = 3")
        assert "renamed qty to amount" in stale_of(branch)
        assert sql_error(f"SELECT count(*) FROM {view}").sqlstate == "PGY01"
        api.rebase_data_branch(shelf, branch)
        assert branch_rows(view, "id, amount") == [(i, i) for i in range(1, 7)]


def test_a_relaxed_not_null_skips_capture_but_never_fails_a_write(unique, shelf):
    """A pre-image the pre-image table cannot hold is not copied: the write goes through; the
    branch, stale, then shows such rows as the source has them after its rebase."""
    branch = unique("relaxed")
    view = api.create_data_branch(shelf, "main", branch)
    with transaction.atomic():
        without_capture(f"ALTER TABLE {shelf} ALTER COLUMN name DROP NOT NULL")
        run(
            f"INSERT INTO {shelf} VALUES (8, NULL, 8)",
            f"UPDATE {shelf} SET name = NULL WHERE id = 2",
        )
        assert "nullability of name" in stale_of(branch)
        api.rebase_data_branch(shelf, branch)
        assert branch_rows(view)[1] == (2, None, 2)
        assert branch_rows(view)[-1] == (8, None, 8)


def test_a_cascaded_column_drop_and_a_dropped_source(unique, shelf):
    branch = unique("drop")
    view = api.create_data_branch(shelf, "main", branch)
    with transaction.atomic():
        without_capture(f"ALTER TABLE {shelf} DROP COLUMN qty CASCADE")  # drops the view
        run(f"UPDATE {shelf} SET name = 'x' WHERE id = 1")
        assert "removed qty" in stale_of(branch)
        api.rebase_data_branch(shelf, branch)
        # written while a column of the branch was gone: no pre-image, the source's row now
        assert branch_rows(view, "id, name")[:2] == [(1, "x"), (2, "n2")]
    with transaction.atomic():
        without_capture(f"DROP TABLE {shelf} CASCADE")
        assert "was dropped" in stale_of(branch)
        with pytest.raises(DataBranchSourceDropped):
            api.rebase_data_branch(shelf, branch)
        api.delete_data_branch(shelf, branch)
        assert api.data_branches(branch) == []
        with pytest.raises(DataBranchNotFound):
            api.delete_data_branch(shelf, branch)


def test_rows_that_do_not_fit_the_new_structure_refuse_the_rebase(unique, shelf):
    branch = unique("misfit")
    view = api.create_data_branch(shelf, "main", branch)
    run(f"INSERT INTO {view} VALUES (50, 'branch only', 1)")
    with transaction.atomic():
        # Django adds a NOT NULL column with a default, then drops the default
        without_capture(
            f"ALTER TABLE {shelf} ADD COLUMN code text NOT NULL DEFAULT 'c'",
            f"ALTER TABLE {shelf} ALTER COLUMN code DROP DEFAULT",
        )
        with pytest.raises(RebaseRefused, match="do not fit") as refused:
            api.rebase_data_branch(shelf, branch)
        assert "default" in refused.value.hint
        assert "added code" in stale_of(branch)  # nothing changed
        without_capture(f"ALTER TABLE {shelf} ALTER COLUMN code SET DEFAULT 'later'")
        api.rebase_data_branch(shelf, branch)
        assert sql_rows(f"SELECT code FROM {view} WHERE id IN (1, 50) ORDER BY id") == [
            ("c",),
            ("later",),
        ]


def test_capture_copies_columns_by_name_whatever_their_order(unique, shelf):
    """The pre-image trigger lists columns: a source that gained a column still writes exact
    pre-images of the old ones (compared with what it holds after the rebase)."""
    branch = unique("order")
    view = api.create_data_branch(shelf, "main", branch)
    with transaction.atomic():
        without_capture(f"ALTER TABLE {shelf} ADD COLUMN extra int DEFAULT 9")
        run(f"UPDATE {shelf} SET name = 'changed', qty = -1 WHERE id = 1")
        data = sql_rows(
            "SELECT preimage_table FROM pggit.data_branches WHERE view_name = %s", [view]
        )[0][0]
        assert sql_rows(f"SELECT id, name, qty, _pggit_absent FROM {data}") == [(1, "n1", 1, False)]


def test_the_admin_and_the_check_report_a_stale_data_branch(unique, shelf, admin_client):
    from pggit.checks import check_data_branches
    from pggit.models import Branch

    branch = unique("admin")
    api.create_data_branch(shelf, "main", branch)
    with transaction.atomic():
        without_capture(f"ALTER TABLE {shelf} ADD COLUMN note text")
        page = admin_client.get(
            f"/admin/pggit/branch/{Branch.objects.get(name=branch).pk}/change/"
        ).content.decode()
        assert "stale" in page and "added note" in page and "pggit_data_branch rebase" in page
        listing = admin_client.get("/admin/pggit/databranch/").content.decode()
        assert "stale: the structure" in listing
        warnings = check_data_branches(databases=["default"])
        assert [w.id for w in warnings if branch in w.msg] == ["pggit.W004"]
        api.rebase_data_branch(shelf, branch)
        assert not [w for w in check_data_branches(databases=["default"]) if branch in w.msg]


@pytest.mark.django_db(transaction=True)
def test_the_non_superuser_story_through_manage_py(scratch_database):
    """issue 21: a data-branched table, a migration adding a column on a database without
    event triggers; every write on the table works, the branch says it is stale, merging it
    fails in one line, the rebase brings it back, the merge then works."""
    role = f"pggit_owner_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(
        **{**scratch_database.params, "dbname": "postgres"}, autocommit=True
    ) as admin:
        admin.execute(f'CREATE ROLE "{role}" LOGIN')
        admin.execute(f'ALTER DATABASE "{scratch_database.name}" OWNER TO "{role}"')
    owner = ScratchDatabase({**scratch_database.params, "user": role}, scratch_database.name)
    try:
        migrated = owner.manage("migrate", "pggit")
        assert migrated.returncode == 0, migrated.stderr
        with owner.connect(autocommit=True) as conn:
            assert conn.execute(
                "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone() == (False,)
            assert conn.execute("SELECT pggit.ddl_capture_enabled()").fetchone() == (False,)
            conn.execute(
                "CREATE TABLE public.catalog_category (id bigint GENERATED BY DEFAULT AS IDENTITY"
                " PRIMARY KEY, name varchar(100) NOT NULL)"
            )
            conn.execute("INSERT INTO catalog_category (name) VALUES ('books'), ('games')")
            conn.execute("SELECT pggit.commit_changes('main', 'catalog')")
            conn.execute("SELECT pggit.create_branch('feature/e')")
        created = owner.manage(
            "pggit_data_branch", "create", "catalog_category", "--to", "feature/e"
        )
        assert created.returncode == 0, created.stderr
        view = created.stdout.strip().rsplit(" ", 1)[-1]
        with owner.connect(autocommit=True) as conn:
            conn.execute(f"UPDATE {view} SET name = 'comics' WHERE id = 1")
            # the migration adding Category.slug, as Django writes it
            conn.execute(
                "ALTER TABLE catalog_category ADD COLUMN slug varchar(50) DEFAULT 'x' NOT NULL"
            )
            conn.execute("ALTER TABLE catalog_category ALTER COLUMN slug DROP DEFAULT")
            conn.execute("INSERT INTO catalog_category (name, slug) VALUES ('toys', 'toys')")
            conn.execute("UPDATE catalog_category SET slug = 'games' WHERE id = 2")
            conn.execute("DELETE FROM catalog_category WHERE id = 3")
            with pytest.raises(psycopg.Error) as stale:
                conn.execute(f"SELECT * FROM {view}")
            assert stale.value.sqlstate == "PGY01"
        listing = owner.manage("pggit_data_branch", "list")
        assert listing.returncode == 0 and "STALE:" in listing.stdout, listing.stderr
        assert "added slug" in listing.stdout
        assert "pggit_data_branch rebase public.catalog_category --branch feature/e" in (
            listing.stdout
        )
        status = owner.manage("pggit_status")
        assert status.returncode == 0 and "is stale" in status.stdout, status.stderr
        check = owner.manage("check", "--database", "default")
        assert "pggit.W004" in check.stderr and "feature/e" in check.stderr, check.stderr
        refused = owner.manage("pggit_merge", "feature/e")
        assert refused.returncode == 1
        assert refused.stderr.count("\n") == 1 and "is stale" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        rebased = owner.manage(
            "pggit_data_branch", "rebase", "catalog_category", "--branch", "feature/e"
        )
        assert rebased.returncode == 0, rebased.stderr
        assert "STALE" not in owner.manage("pggit_data_branch", "list").stdout
        merged = owner.manage("pggit_merge", "feature/e")
        assert merged.returncode == 0, merged.stderr
        with owner.connect(autocommit=True) as conn:
            assert conn.execute(
                "SELECT id, name, slug FROM catalog_category ORDER BY id"
            ).fetchall() == [(1, "comics", "x"), (2, "games", "games")]
    finally:
        with psycopg.connect(
            **{**scratch_database.params, "dbname": "postgres"}, autocommit=True
        ) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{scratch_database.name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_prepared_plan_of_the_branch_is_checked_again_after_a_change_in_its_transaction(
    unique, shelf
):
    """The guard runs when a query over the branch is planned: a prepared statement's generic
    plan, made while the branch was current, is planned (and checked) again once the source's
    structure changes later in the same transaction."""
    view = api.create_data_branch(shelf, "main", unique("prepared"))
    with transaction.atomic():
        run(
            "SET LOCAL plan_cache_mode = force_generic_plan",
            f"PREPARE pggit_stale_probe (int) AS SELECT name FROM {view} WHERE id = $1",
        )
        try:
            for _ in range(3):
                assert sql_rows("EXECUTE pggit_stale_probe(2)") == [("n2",)]
            plan = " ".join(r[0] for r in sql_rows("EXPLAIN EXECUTE pggit_stale_probe(2)"))
            assert "data_branch_guard" not in plan, "checked when planned, not per execution"
            without_capture(f"ALTER TABLE {shelf} RENAME COLUMN qty TO amount")
            err = sql_error("EXECUTE pggit_stale_probe(2)")
            assert err.sqlstate == "PGY01" and "renamed qty to amount" in err.diag.message_primary
            without_capture(f"ALTER TABLE {shelf} RENAME COLUMN amount TO qty")
            assert sql_rows("EXECUTE pggit_stale_probe(2)") == [("n2",)], "current again"
            without_capture(f"ALTER TABLE {shelf} ALTER COLUMN name DROP NOT NULL")
            assert sql_error("EXECUTE pggit_stale_probe(2)").sqlstate == "PGY01"
        finally:
            run("DEALLOCATE pggit_stale_probe")


def test_a_prepared_plan_of_the_branch_is_checked_again_after_another_transaction_changed_it(
    connect, unique
):
    """Another session's committed change to the source's structure invalidates the plan a
    session prepared earlier: its next execution plans again and raises PGY01."""
    conn = connect()
    table = f"public.{ident('probe', unique)}"
    conn.execute(f"CREATE TABLE {table} (id int PRIMARY KEY, name text NOT NULL)")
    conn.execute(f"INSERT INTO {table} SELECT g, 'n' || g FROM generate_series(1, 3) g")
    conn.execute("SELECT pggit.commit_changes('main', %s)", [f"add {table}"])
    branch = unique("probe")
    view = conn.execute(
        "SELECT pggit.create_data_branch(%s, 'main', %s)", [table, branch]
    ).fetchone()[0]
    try:
        conn.execute("SET plan_cache_mode = force_generic_plan")
        conn.execute(f"PREPARE probe (int) AS SELECT name FROM {view} WHERE id = $1")
        for _ in range(3):
            assert conn.execute("EXECUTE probe(2)").fetchall() == [("n2",)]
        other = connect()
        other.execute("SET session_replication_role = replica")  # no event trigger refuses it
        other.execute(f"ALTER TABLE {table} ADD COLUMN note text")
        with pytest.raises(psycopg.Error) as stale:
            conn.execute("EXECUTE probe(2)")
        assert stale.value.sqlstate == "PGY01" and "added note" in str(stale.value)
    finally:
        conn.execute("SELECT pggit.delete_branch(%s, true)", [branch])
        conn.execute(f"DROP TABLE {table}")
        conn.execute("SELECT pggit.commit_changes('main', %s)", [f"drop {table}"])
