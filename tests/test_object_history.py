"""Reading the past: one object's history (object_log), an object at a commit (show_object),
and a commit's schema materialized read-only (checkout_commit)."""

from __future__ import annotations

import pytest
from django.db import transaction

from pggit import api
from pggit.exceptions import (
    BranchNotFound,
    CheckoutNamespaceTaken,
    CheckoutReadOnly,
    CommitNotFound,
    InvalidObjectKey,
    ObjectNotFound,
)
from tests.helpers import on_branch, run, snapshot_counts, sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


def test_object_log_lists_the_commits_that_changed_one_table_newest_first(table):
    key = f"table:public.{table}"
    run(f"CREATE TABLE {table}_other (id int)")
    api.commit("unrelated table")
    run(f"ALTER TABLE {table} ADD COLUMN note text")
    added_column = api.commit("add note")
    api.commit("no change at all")
    run(f"ALTER TABLE {table} DROP COLUMN note")
    dropped_column = api.commit("drop note")
    run(f"DROP TABLE {table}")
    removed = api.commit("drop the table")

    entries = api.object_log(key)
    assert [e.hash for e in entries[:3]] == [removed.hash, dropped_column.hash, added_column.hash]
    assert [e.change for e in entries] == ["removed", "modified", "modified", "added"]
    assert entries[-1].message == f"add {table}" and entries[-1].version == "1.0.0"
    assert entries[2].version == "1.1.0" and "note added" in entries[2].detail
    assert entries[1].version == "2.0.0" and "note removed" in entries[1].detail
    assert entries[0].version == "3.0.0" and entries[0].object_hash is None
    assert entries[2].object_hash == sql_scalar(
        "SELECT entries->>%s FROM pggit.trees WHERE hash = %s", [key, added_column.tree_hash]
    )


def test_object_log_follows_the_branch_history_and_not_other_branches(unique, table):
    key = f"table:public.{table}"
    branch = unique("ol")
    api.create_branch(branch)
    on_branch(branch, f"ALTER TABLE {table} ADD COLUMN only_here int", message="branch change")
    run(f"ALTER TABLE {table} ADD COLUMN only_main int")
    on_main = api.commit("main change")

    on_the_branch = api.object_log(key, branch=branch)
    assert [e.message for e in on_the_branch] == ["branch change", f"add {table}"]
    assert "only_here" in on_the_branch[0].detail
    assert [e.hash for e in api.object_log(key)][0] == on_main.hash
    assert "branch change" not in [e.message for e in api.object_log(key)]


def test_object_log_follows_the_chain_across_branches_after_a_fast_forward(unique, table):
    key = f"table:public.{table}"
    run(f"ALTER TABLE {table} ADD COLUMN before_branch int")
    before = api.commit("before the branch")
    branch = unique("ff")
    api.create_branch(branch)
    first = on_branch(branch, f"ALTER TABLE {table} ADD COLUMN on_branch int", message="on branch")
    on_branch(branch, f"CREATE TABLE {table}_side (id int)", message="other object")
    second = on_branch(branch, f"ALTER TABLE {table} DROP COLUMN before_branch", message="drop")
    assert api.merge(branch).status == "fast-forward"
    run(f"ALTER TABLE {table} ADD COLUMN after_merge int")
    after = api.commit("after the merge")

    entries = api.object_log(key)
    assert [e.hash for e in entries] == [after.hash, second.hash, first.hash, before.hash] + [
        e.hash for e in entries[4:]
    ]
    assert [e.version for e in entries[:4]] == ["2.1.0", "2.0.0", "1.2.0", "1.1.0"]
    assert api.object_log(f"table:public.{table}_side")[0].change == "added"


def test_object_log_refuses_bad_keys_and_unknown_objects_and_branches(table):
    for bad in ["", "users", "table:users", "tabel:public.users", "table:public.x\n", "x" * 2000]:
        with pytest.raises(InvalidObjectKey):
            api.object_log(bad)
    with pytest.raises(InvalidObjectKey):
        api.object_log(None)
    with pytest.raises(ObjectNotFound, match="no commit on branch 'main' changed"):
        api.object_log("table:public.never_there'; DROP TABLE x; --")
    with pytest.raises(BranchNotFound):
        api.object_log(f"table:public.{table}", branch="no-such-branch")
    error = sql_error("SELECT * FROM pggit.object_log('view:public.nope')")
    assert error.sqlstate == "PGK02" and error.diag.message_hint


def test_show_object_returns_the_stored_definition_and_ddl_at_a_commit(table):
    key = f"table:public.{table}"
    before = api.log(limit=1)[0]
    run(f"ALTER TABLE {table} ADD COLUMN later int")
    api.commit("later column")
    shown = api.show_object(before.hash, key)
    assert shown["commit"] == before.hash and shown["object_type"] == "table"
    assert [c["name"] for c in shown["definition"]["columns"]] == ["id", "name", "qty"]
    assert shown["ddl"][0].startswith(f"CREATE TABLE {table} (")
    assert "later" not in " ".join(shown["ddl"])
    assert api.show_object(before.hash[:10], key)["object_hash"] == shown["object_hash"]


def test_show_object_refuses_unknown_refs_and_objects(table):
    head = api.log(limit=1)[0].hash
    counts = snapshot_counts()
    with pytest.raises(CommitNotFound):
        api.show_object("ffffffffffff", f"table:public.{table}")
    with pytest.raises(CommitNotFound):
        api.show_object("'; DROP SCHEMA pggit CASCADE; --", f"table:public.{table}")
    with pytest.raises(ObjectNotFound, match="has no object"):
        api.show_object(head, f"table:public.{table}_missing")
    with pytest.raises(InvalidObjectKey):
        api.show_object(head, "public.users")
    assert snapshot_counts() == counts


def test_checkout_commit_materializes_an_old_schema_read_only(table):
    run(f"INSERT INTO {table} VALUES (1, 'a', 1)")
    old = api.log(limit=1)[0]
    run(
        f"ALTER TABLE {table} ADD COLUMN later int",
        f"CREATE VIEW {table}_v AS SELECT id FROM {table}",
    )
    api.commit("later")
    try:
        namespaces = api.checkout_commit(old.hash)
        ns = namespaces["public"]
        assert ns == f"pggit_c{old.hash[:12]}_1"
        columns = [
            r[0]
            for r in sql_rows(
                "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0"
                " AND NOT attisdropped ORDER BY attnum",
                [f"{ns}.{table}"],
            )
        ]
        assert columns == ["id", "name", "qty"]
        assert sql_scalar(f"SELECT count(*) FROM {ns}.{table}") == 0  # empty: no data travel
        assert sql_scalar("SELECT to_regclass(%s)", [f"{ns}.{table}_v"]) is None
        for statement in [
            f"INSERT INTO {ns}.{table} VALUES (2, 'b', 2)",
            f"UPDATE {ns}.{table} SET qty = 3",
            f"DELETE FROM {ns}.{table}",
            f"TRUNCATE {ns}.{table}",
        ]:
            error = sql_error(statement)
            assert error.sqlstate == "PGK03", statement
            assert "read-only commit checkout" in error.diag.message_primary
        with transaction.atomic():  # the trigger fires under session_replication_role too
            run("SET LOCAL session_replication_role = replica")
            assert sql_error(f"INSERT INTO {ns}.{table} VALUES (2, 'b', 2)").sqlstate == "PGK03"
        assert api.checkout_commit(old.hash[:12]) == namespaces  # idempotent
        assert api.status("main") == []  # the checkout is not the branch's DDL
    finally:
        assert api.drop_commit_checkout(old.hash) == 1
    assert sql_scalar("SELECT to_regnamespace(%s)", [ns]) is None
    assert api.drop_commit_checkout(old.hash) == 0


def test_checkout_commit_write_error_is_typed_through_django(table):
    head = api.log(limit=1)[0].hash
    ns = api.checkout_commit(head)["public"]
    try:
        with pytest.raises(CheckoutReadOnly), api.translated_errors(), transaction.atomic():
            run(f"INSERT INTO {ns}.{table} (id) VALUES (1)")
    finally:
        api.drop_commit_checkout(head)


def test_checkout_commit_refuses_bad_refs_and_a_taken_namespace(table):
    head = api.log(limit=1)[0].hash
    counts = snapshot_counts()
    for ref in ["nope", "", "0000000", "x" * 500]:
        with pytest.raises(CommitNotFound):
            api.checkout_commit(ref)
        with pytest.raises(CommitNotFound):
            api.drop_commit_checkout(ref)
    assert snapshot_counts() == counts
    run(f'CREATE SCHEMA "pggit_c{head[:12]}_1"')
    try:
        counts = snapshot_counts()
        with pytest.raises(CheckoutNamespaceTaken):
            api.checkout_commit(head)
        assert snapshot_counts() == counts
    finally:
        run(f'DROP SCHEMA "pggit_c{head[:12]}_1"')
