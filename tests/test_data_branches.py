"""Copy-on-write data branches: creation, isolation, constraints, lifecycle, diff, merge."""

from __future__ import annotations

import json
import re

import pytest
from django.db import DatabaseError, transaction

from pggit import api
from pggit.exceptions import (
    BranchDeleted,
    InvalidDataBranchTarget,
    InvalidResolution,
    MergeConflict,
    NoPrimaryKey,
    NotATable,
    TableNotFound,
)
from pggit.models import DataBranch
from tests.helpers import committed_table, ident, run, sql_error, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(unique):
    t = ident("items", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, name text NOT NULL,"
        " price int CHECK (price >= 0), note text)",
        f"INSERT INTO {t} SELECT g, 'item ' || g, g * 10, NULL FROM generate_series(1, 20) g",
    )
    api.commit(f"add {t}")
    return t


def rows(relation: str) -> dict[int, tuple]:
    return {
        r[0]: r[1:] for r in sql_rows(f"SELECT id, name, price, note FROM {relation} ORDER BY id")
    }


def test_creation_copies_no_rows_and_the_source_stays_a_plain_table(unique):
    t = ident("big", unique)
    run(
        f"CREATE TABLE {t} (id bigint PRIMARY KEY, payload text)",
        f"INSERT INTO {t} SELECT g, repeat('x', 50) FROM generate_series(1, 50000) g",
    )
    api.commit(f"add {t}")
    view = api.create_data_branch(t, "main", unique("big"))
    data = DataBranch.objects.get(view_name=view)
    sizes = sql_rows(
        "SELECT pg_relation_size(%s), pg_relation_size(%s)", [data.delta_table, data.preimage_table]
    )
    assert sizes == [(0, 0)], "nothing was copied"
    assert sql_scalar(f"SELECT count(*) FROM {view}") == 50000
    assert sql_rows("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [t]) == [("r",)]
    assert sql_scalar("SELECT count(*) FROM pg_rewrite WHERE ev_class = %s::regclass", [t]) == 0
    triggers = {
        r[0] for r in sql_rows("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass", [t])
    }
    assert triggers and all(name.startswith("pggit_data_") for name in triggers)


def test_each_side_is_isolated_from_the_others_writes(unique, items):
    branch = unique("iso")
    view = api.create_data_branch(items, "main", branch)
    before = rows(items)
    assert rows(view) == before
    run(
        f"UPDATE {view} SET price = 999 WHERE id = 1",
        f"DELETE FROM {view} WHERE id = 2",
        f"INSERT INTO {view} VALUES (100, 'branch row', 1, NULL)",
    )
    assert rows(items) == before, "branch writes never reach the source"
    run(
        f"UPDATE {items} SET name = 'main name' WHERE id = 3",
        f"DELETE FROM {items} WHERE id = 4",
        f"INSERT INTO {items} VALUES (200, 'main row', 2, NULL)",
    )
    seen = rows(view)
    assert seen[3] == before[3] and 4 in seen and 200 not in seen, (
        "source writes never reach the branch"
    )
    assert seen[1][1] == 999 and 2 not in seen and seen[100] == ("branch row", 1, None)


def test_a_source_update_that_changes_keys_stays_out_of_the_branch(unique, items):
    """Moving a row to a new key on the source, or swapping two keys, is a source write: the
    branch keeps the rows it had and never sees the new keys."""
    branch = unique("srckey")
    view = api.create_data_branch(items, "main", branch)
    before = rows(view)
    run(
        f"UPDATE {items} SET id = 2000 WHERE id = 2",
        f"UPDATE {items} SET id = -3 WHERE id = 3",
        f"UPDATE {items} SET id = 3 WHERE id = 4",
        f"UPDATE {items} SET id = 4 WHERE id = -3",  # 3 and 4 swapped
        f"UPDATE {items} SET id = id + 1000, price = 0 WHERE id BETWEEN 10 AND 12",
    )
    assert rows(view) == before
    assert 2000 in rows(items) and 2 not in rows(items)
    changes = {
        (r[0], r[1])
        for r in sql_rows(
            "SELECT (key ->> 'id')::int, change FROM pggit.diff_data(%s, 'main', %s)",
            [items, branch],
        )
    }
    # from main to the branch: the branch has the old keys, main the new ones
    assert {(2, "added"), (2000, "removed"), (10, "added"), (1010, "removed")} <= changes
    assert {k for k, c in changes if k in (-3, 3, 4)} == {3, 4} and all(
        c == "modified" for k, c in changes if k in (3, 4)
    )
    flag = f"pggit.keys_moved_{sql_scalar('SELECT %s::regclass::oid', [items])}"
    assert sql_scalar("SELECT coalesce(current_setting(%s, true), '')", [flag]) == "", (
        "each statement clears it"
    )
    api.merge(branch, "main")
    assert 2000 in rows(items) and 2 not in rows(items), (
        "main's move survives the merge of an untouched branch"
    )


def test_updates_that_change_the_key_and_returning_work(unique, items):
    view = api.create_data_branch(items, "main", unique("key"))
    assert sql_rows(f"UPDATE {view} SET id = 500 WHERE id = 5 RETURNING id, name") == [
        (500, "item 5")
    ]
    assert 5 not in rows(view) and rows(view)[500][0] == "item 5"
    assert sql_rows(f"INSERT INTO {view} VALUES (600, 'n', 0, NULL) RETURNING id") == [(600,)]
    run(f"DELETE FROM {view} WHERE id = 600")
    run(f"INSERT INTO {view} VALUES (600, 'again', 0, NULL)")  # a deleted key can come back
    assert rows(view)[600][0] == "again"


@pytest.mark.parametrize(
    "statement,state",
    [
        ("INSERT INTO {v} VALUES (1, 'dup', 1, NULL)", "23505"),
        ("UPDATE {v} SET id = 2 WHERE id = 1", "23505"),
        ("INSERT INTO {v} VALUES (300, NULL, 1, NULL)", "23502"),
        ("UPDATE {v} SET name = NULL WHERE id = 1", "23502"),
        ("INSERT INTO {v} VALUES (301, 'x', -1, NULL)", "23514"),
        ("INSERT INTO {v} VALUES (302, 'x', 1, NULL) ON CONFLICT (id) DO NOTHING", "42P10"),
    ],
)
def test_branch_keeps_the_primary_key_not_null_and_check_rules(unique, items, statement, state):
    view = api.create_data_branch(items, "main", unique("rules"))
    before = rows(view)
    assert sql_error(statement.format(v=view) + " RETURNING 1").sqlstate == state
    assert rows(view) == before


def test_table_without_primary_key_and_bad_names_are_refused(unique, items):
    t = ident("nopk", unique)
    run(f"CREATE TABLE {t} (v int)", f"CREATE VIEW {t}_v AS SELECT 1 AS x")
    api.commit("nopk")
    with pytest.raises(NoPrimaryKey):
        api.create_data_branch(t, "main", unique("x"))
    with pytest.raises(TableNotFound):
        api.create_data_branch(unique("nosuch").replace("-", "_"), "main", unique("x"))
    with pytest.raises(NotATable):
        api.create_data_branch(f"{t}_v", "main", unique("x"))
    with pytest.raises(InvalidDataBranchTarget):
        api.create_data_branch(items, "main", "main")
    gone = unique("gone")
    api.create_branch(gone)
    api.delete_branch(gone)
    with pytest.raises(BranchDeleted):
        api.create_data_branch(items, "main", gone)
    assert (
        sql_error(
            "SELECT pggit.create_data_branch(%s, 'main', 'x')", ['x"; DROP TABLE canary; --']
        ).sqlstate
        == "PGT01"
    )


def test_creation_is_idempotent_and_creates_the_branch(unique, items):
    branch = unique("idem")
    first = api.create_data_branch(items, "main", branch)
    objects = sql_scalar("SELECT count(*) FROM pg_class")
    assert api.create_data_branch(items, "main", branch) == first
    assert sql_scalar("SELECT count(*) FROM pg_class") == objects
    assert api.get_branch(branch).parent_branch.name == "main"
    assert [d["view_name"] for d in api.data_branches(branch)] == [first]


def test_altering_dropping_or_truncating_a_live_source_is_refused(unique, items):
    branch = unique("guard")
    api.create_data_branch(items, "main", branch)
    for statement, state in [
        (f"ALTER TABLE {items} ADD COLUMN z int", "PGX09"),
        (f"DROP TABLE {items} CASCADE", "PGX09"),
        (f"TRUNCATE {items}", "PGX08"),
    ]:
        err = sql_error(statement)
        assert err.sqlstate == state and branch in err.diag.message_primary
    # a plain DROP is already refused by PostgreSQL: the branch's view depends on the table
    assert sql_error(f"DROP TABLE {items}").sqlstate == "2BP01"
    api.delete_branch(branch, force=True)
    run(f"ALTER TABLE {items} ADD COLUMN z int")  # allowed once no data branch is live
    assert sql_scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass", [items]) == 0


def test_deleting_the_branch_removes_its_data_branch_objects(unique, items):
    branch = unique("del")
    view = api.create_data_branch(items, "main", branch)
    data = DataBranch.objects.get(view_name=view)
    run(f"UPDATE {view} SET price = 1 WHERE id = 1", f"UPDATE {items} SET price = 2 WHERE id = 2")
    api.delete_branch(branch, force=True)
    assert sql_scalar("SELECT to_regclass(%s)", [view]) is None
    # its rows go; the table's store stays, empty, for its next data branch (test_data_stores.py)
    for name in (data.delta_table, data.preimage_table):
        assert sql_scalar(f"SELECT count(*) FROM {name}") == 0
    assert DataBranch.objects.get(pk=data.pk).status == "DROPPED"
    assert (
        sql_rows(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname LIKE 'pggit%%'",
            [items],
        )
        == []
    ), "the source is a plain table again, without capture triggers"


def test_diff_data_lists_added_removed_and_modified_rows(unique, items):
    branch = unique("diff")
    view = api.create_data_branch(items, "main", branch)
    run(
        f"UPDATE {view} SET price = 1, note = 'n' WHERE id = 1",
        f"DELETE FROM {view} WHERE id = 2",
        f"INSERT INTO {view} VALUES (100, 'new', 1, NULL)",
        f"UPDATE {items} SET name = 'x' WHERE id = 3",
    )
    changes = {c.key["id"]: c for c in api.diff_data(items, "main", branch)}
    assert set(changes) == {1, 2, 3, 100}
    assert changes[1].change == "modified" and changes[1].changed_columns == ["note", "price"]
    assert changes[2].change == "removed" and changes[100].change == "added"
    assert changes[3].changed_columns == ["name"] and changes[3].b_row["name"] == "item 3"
    other = unique("other")
    other_view = api.create_data_branch(items, "main", other)
    run(f"DELETE FROM {other_view} WHERE id = 20")
    between = {
        c.key["id"]: c.change for c in api.diff_data(items, branch, other)
    }  # the general path
    # other branched after main renamed row 3, so it sees the new name; branch sees the old one
    assert between == {1: "modified", 2: "added", 3: "modified", 20: "removed", 100: "removed"}


def test_data_merge_combines_both_sides_cell_by_cell(unique, items):
    branch = unique("dm")
    view = api.create_data_branch(items, "main", branch)
    run(
        f"UPDATE {view} SET price = 555 WHERE id = 1",
        f"DELETE FROM {view} WHERE id = 2",
        f"INSERT INTO {view} VALUES (100, 'from branch', 1, NULL)",
        f"UPDATE {items} SET note = 'main' WHERE id = 1",
        f"INSERT INTO {items} VALUES (200, 'from main', 2, NULL)",
    )
    result = api.merge(branch)
    assert result.status == "merged"
    merged = rows(items)
    assert merged[1] == ("item 1", 555, "main") and 2 not in merged
    assert merged[100] == ("from branch", 1, None) and merged[200] == ("from main", 2, None)
    assert DataBranch.objects.get(view_name=view).status == "MERGED"
    assert sql_scalar("SELECT count(*) FROM pg_trigger WHERE tgrelid = %s::regclass", [items]) == 0


@pytest.mark.parametrize("resolution", ["ours", "theirs", "value"])
def test_row_conflicts_are_recorded_then_resolved(unique, items, resolution):
    branch = unique("rc")
    view = api.create_data_branch(items, "main", branch)
    run(
        f"UPDATE {view} SET price = 1 WHERE id = 1",
        f"UPDATE {items} SET price = 2 WHERE id = 1",
        f"DELETE FROM {view} WHERE id = 2",
        f"UPDATE {items} SET note = 'kept' WHERE id = 2",
        f"UPDATE {view} SET name = 'clean' WHERE id = 3",
    )
    before = rows(items)
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    kinds = {c["object"].split(":", 2)[2]: c["kind"] for c in info.value.conflicts}
    assert kinds == {'{"id": 1}': "row modify/modify", '{"id": 2}': "row modify/delete"}
    assert rows(items) == before, "nothing is applied while conflicts are open"
    merge_id = info.value.merge_id
    key1, key2 = (c["object"] for c in info.value.conflicts)
    if resolution == "value":
        with pytest.raises(InvalidResolution):
            api.resolve_conflict(merge_id, key1, "not json")
        api.resolve_conflict(
            merge_id, key1, '{"id": 1, "name": "chosen", "price": 7, "note": null}'
        )
        done = api.resolve_conflict(merge_id, key2, "theirs")
    else:
        api.resolve_conflict(merge_id, key1, resolution)
        done = api.resolve_conflict(merge_id, key2, resolution)
    assert done
    after = rows(items)
    assert after[3][0] == "clean", "the non-conflicting row lands"
    expected_1 = {
        "ours": ("item 1", 2, None),
        "theirs": ("item 1", 1, None),
        "value": ("chosen", 7, None),
    }
    assert after[1] == expected_1[resolution]
    assert (2 in after) == (resolution == "ours")


def test_source_writers_need_no_rights_on_pggit(unique, items):
    """The source's capture triggers are SECURITY DEFINER: a role with rights on the table
    alone can still write to it while a data branch is live."""
    role = ident("writer", unique)
    view = api.create_data_branch(items, "main", unique("rights"))
    run(f"CREATE ROLE {role}", f"GRANT SELECT, UPDATE ON {items} TO {role}")
    with transaction.atomic():
        run(
            f"SET LOCAL ROLE {role}",
            f"UPDATE {items} SET note = 'by writer' WHERE id = 7",
            "RESET ROLE",
        )
    assert rows(items)[7][2] == "by writer"
    assert rows(view)[7][2] is None, "the branch still sees the row as it was"
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        run(f"SET LOCAL ROLE {role}", "SELECT * FROM pggit.data_branches")


def test_a_branch_that_changed_rows_and_structure_of_a_table_merges(unique, items):
    branch = unique("both")
    view = api.create_data_branch(items, "main", branch)
    run(f"UPDATE {view} SET price = 1 WHERE id = 1")
    with api.checkout(branch):
        run(f"ALTER TABLE {items} ADD COLUMN discount int")
    api.commit("discount", branch=branch)
    assert api.merge(branch).status == "merged"
    assert sql_rows(f"SELECT price, discount FROM {items} WHERE id = 1") == [(1, None)]
    assert api.status("main") == []


def test_columns_named_like_internal_aliases_work(unique):
    """Generated SQL must never confuse a user's column with one of its own aliases."""
    t = ident("alias", unique)
    cols = ["v", "s", "p", "d", "x", "y", "k", "e", "r", "key", "value", "n", "o"]
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, {', '.join(f'{q(c)} int' for c in cols)})",
        f"INSERT INTO {t} (id, {', '.join(q(c) for c in cols)})"
        f" VALUES (1, {', '.join('1' for _ in cols)})",
    )
    api.commit("aliases")
    branch = unique("alias")
    view = api.create_data_branch(t, "main", branch)
    run(f'UPDATE {view} SET "v" = 2, "key" = 3 WHERE id = 1', f"INSERT INTO {view} (id) VALUES (2)")
    changes = {c.key["id"]: c for c in api.diff_data(t, "main", branch)}
    assert changes[1].changed_columns == ["key", "v"] and changes[2].change == "added"
    assert api.merge(branch).status == "merged"
    assert sql_rows(f'SELECT "v", "key" FROM {t} ORDER BY id') == [(2, 3), (None, None)]


def q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def test_diff_and_merge_with_a_composite_primary_key(unique):
    """Composite keys take the general changed-key filter (a row-valued IN)."""
    t = committed_table(
        unique,
        "stock",
        "(region text, id int, qty int NOT NULL, PRIMARY KEY (region, id))",
        "INSERT INTO {t} SELECT r, g, g FROM unnest(ARRAY['eu', 'us']) r, generate_series(1, 10) g",
    )
    branch = unique("ck")
    view = api.create_data_branch(t, "main", branch)
    run(
        f"UPDATE {view} SET qty = 100 WHERE region = 'eu' AND id = 1",
        f"DELETE FROM {view} WHERE region = 'us' AND id = 2",
        f"INSERT INTO {view} VALUES ('asia', 1, 7)",
        f"UPDATE {t} SET qty = -3 WHERE region = 'us' AND id = 3",
    )
    changes = {(c.key["region"], c.key["id"]): c.change for c in api.diff_data(t, "main", branch)}
    assert changes == {
        ("eu", 1): "modified",
        ("us", 2): "removed",
        ("asia", 1): "added",
        ("us", 3): "modified",
    }
    assert api.merge(branch).status == "merged"
    merged = {
        (region, id_): qty for region, id_, qty in sql_rows(f"SELECT region, id, qty FROM {t}")
    }
    assert merged[("eu", 1)] == 100 and ("us", 2) not in merged
    assert merged[("asia", 1)] == 7 and merged[("us", 3)] == -3 and len(merged) == 20


def test_diff_and_merge_when_more_than_50000_keys_changed(unique):
    """Past 50,000 changed keys the filter switches from = ANY(array) to IN (subquery)."""
    t = committed_table(
        unique,
        "wide",
        "(id int PRIMARY KEY, v int NOT NULL, w int)",
        "INSERT INTO {t} SELECT g, g, NULL FROM generate_series(1, 50010) g",
    )
    branch = unique("wide")
    view = api.create_data_branch(t, "main", branch)
    run(f"UPDATE {view} SET w = 1 WHERE id <= 5", f"UPDATE {t} SET v = v + 1")
    changes = api.diff_data(t, "main", branch)
    assert len(changes) == 50010 and all(c.change == "modified" for c in changes)
    assert {tuple(c.changed_columns) for c in changes} == {("v",), ("v", "w")}
    assert api.merge(branch).status == "merged"
    assert sql_rows(f"SELECT count(*), count(w), sum(v - id) FROM {t}") == [(50010, 5, 50010)]


def anti_joins(relation: str) -> int:
    """How many anti-joins PostgreSQL plans for a full scan of relation."""
    plan = sql_scalar(f"EXPLAIN (FORMAT JSON) SELECT count(*) FROM {relation}")
    text = plan if isinstance(plan, str) else json.dumps(plan)
    return len(re.findall(r'"Join Type": "(?:Right )?Anti"', text))


def test_a_full_scan_of_a_branch_probes_each_source_row_once(unique, items):
    """The source's rows are kept by one anti-join against the delta's and pre-images' keys
    (probing each table on its own plans three anti-joins); the rows are the same."""
    branch = unique("scan")
    view = api.create_data_branch(items, "main", branch)
    run(
        f"UPDATE {view} SET price = 1 WHERE id <= 3",
        f"UPDATE {items} SET note = 'main' WHERE id >= 18",
    )
    assert anti_joins(view) == 2, "one for the source, one for the pre-images"
    expected = {i: (f"item {i}", 1 if i <= 3 else i * 10, None) for i in range(1, 21)}
    assert rows(view) == expected


# The steps create_data_branch is made of, each where it decides something.


def test_the_target_branch_is_created_when_new_and_refused_when_main_same_or_deleted(unique):
    fresh = unique("target")
    target = sql_rows("SELECT name, status FROM pggit.data_branch_target(%s, 'main')", [fresh])
    assert target == [(fresh, "ACTIVE")], "a name never used becomes a branch of from_branch"
    assert sql_scalar("SELECT count(*) FROM pggit.branches WHERE name = %s", [fresh]) == 1
    assert sql_rows("SELECT name FROM pggit.data_branch_target(%s, 'main')", [fresh]) == [(fresh,)]
    for name, source in [("main", fresh), (fresh, fresh)]:
        assert (
            sql_error("SELECT pggit.data_branch_target(%s, %s)", [name, source]).sqlstate == "PGX07"
        )
    api.delete_branch(fresh, force=True)
    assert sql_error("SELECT pggit.data_branch_target(%s, 'main')", [fresh]).sqlstate == "PGB05"


def test_primary_key_columns_come_in_key_order_or_not_at_all(unique):
    t = ident("pk", unique)
    run(
        f"CREATE TABLE {t} (a int, b int, c int, PRIMARY KEY (c, a))",
        f"CREATE TABLE {t}_nokey (a int)",
    )
    assert sql_scalar("SELECT pggit.primary_key_columns(%s::regclass, 'x')", [t]) == ["c", "a"]
    error = sql_error("SELECT pggit.primary_key_columns(%s::regclass, 'the table')", [f"{t}_nokey"])
    assert error.sqlstate == "PGX01" and "the table" in error.diag.message_primary


def test_same_table_structure_ignores_schema_and_triggers_but_not_columns(unique):
    t = ident("st", unique)
    other = ident("st_schema", unique)
    run(
        f"CREATE TABLE {t} (id int PRIMARY KEY, v text DEFAULT 'x')",
        f"CREATE SCHEMA {other}",
        f"CREATE TABLE {other}.{t} (id int PRIMARY KEY, v text DEFAULT 'x')",
        f"CREATE FUNCTION {other}.noop() RETURNS trigger LANGUAGE plpgsql"
        " AS $$ BEGIN RETURN NULL; END $$",
        f"CREATE TRIGGER audit_any AFTER UPDATE ON {other}.{t}"
        f" FOR EACH ROW EXECUTE FUNCTION {other}.noop()",
    )
    same = "SELECT pggit.same_table_structure(%s::regclass, %s::regclass)"
    assert sql_scalar(same, [t, f"{other}.{t}"]) is True
    run(f"ALTER TABLE {other}.{t} ADD COLUMN w int")
    assert sql_scalar(same, [t, f"{other}.{t}"]) is False


def test_merged_data_rows_takes_each_resolution_and_refuses_an_open_conflict(unique, items):
    """merged_data_rows, the step of complete_merge that decides what a data merge writes: the
    planned row where nothing conflicts, nothing for 'ours', the branch's row for 'theirs', the
    given row for 'value'; an unresolved conflict is PGM01."""
    branch = unique("mdr")
    view = api.create_data_branch(items, "main", branch)
    run(
        f"UPDATE {view} SET price = 1 WHERE id = 1",
        f"UPDATE {items} SET price = 2 WHERE id = 1",
        f"UPDATE {view} SET name = 'clean' WHERE id = 3",
    )
    with pytest.raises(MergeConflict) as info:
        api.merge(branch)
    merge_id, [key] = info.value.merge_id, [c["object"] for c in info.value.conflicts]
    data_id = sql_scalar("SELECT id FROM pggit.data_branches WHERE view_name = %s", [view])
    rows_of = "SELECT pggit.merged_data_rows(%s, %s)"
    assert sql_error(rows_of, [merge_id, data_id]).sqlstate == "PGM01"
    resolve = (
        "UPDATE pggit.merge_conflicts SET resolution = %s, resolution_value = %s"
        " WHERE merge_id = %s"
    )
    chosen = {"id": 1, "name": "chosen", "price": 7, "note": None}
    for resolution, value, row_1 in [
        ("ours", None, None),
        ("theirs", None, {"id": 1, "name": "item 1", "price": 1, "note": None}),
        ("value", json.dumps(chosen), chosen),
    ]:
        with transaction.atomic():
            run(resolve, params=[resolution, value, merge_id])
            written = sql_scalar(rows_of, [merge_id, data_id])
            written = json.loads(written) if isinstance(written, str) else written
            transaction.set_rollback(True)
        by_id = {r["key"]["id"]: r["row"] for r in written}
        assert by_id[3]["name"] == "clean", "a row without conflict is written as planned"
        assert by_id.get(1) == row_1 and (1 in by_id) == (resolution != "ours")
    assert key.endswith('{"id": 1}')


def test_source_writes_under_replica_mode_are_captured(unique, items):
    """A logical replication apply worker writes with session_replication_role = replica: the
    capture triggers fire ALWAYS, so the branch keeps its rows."""
    view = api.create_data_branch(items, "main", unique("replica"))
    before = rows(view)
    assert set(
        sql_rows("SELECT tgenabled FROM pg_trigger WHERE tgrelid = %s::regclass", [items])
    ) == {("A",)}
    with transaction.atomic():
        run(
            "SET LOCAL session_replication_role = replica",
            f"UPDATE {items} SET name = 'replicated' WHERE id = 1",
            f"DELETE FROM {items} WHERE id = 2",
            f"INSERT INTO {items} VALUES (99, 'new', 1, NULL)",
            f"UPDATE {items} SET id = 100 WHERE id = 3",
        )
    assert rows(view) == before


def test_branch_with_data_compares_a_table_changed_on_from_branch_since_its_head(unique):
    """create_branch_with_data skips the structure comparison only when from_branch has no DDL
    pending since its head (the new branch's copies are its head's tables); a table changed on
    from_branch since then is refused (PGX05) and nothing is created."""
    kept, changed = ident("kept", unique), ident("changed", unique)
    run(
        f"CREATE TABLE {kept} (id int PRIMARY KEY, v text)",
        f"CREATE TABLE {changed} (id int PRIMARY KEY, v text)",
        f"INSERT INTO {kept} VALUES (1, 'a')",
    )
    api.commit(f"add {kept}, {changed}")
    # other DDL pending on main: the tables are compared, and kept is the same
    run(f"CREATE TABLE {ident('pending', unique)} (id int PRIMARY KEY)")
    first = unique("wd")
    sql_scalar("SELECT pggit.create_branch_with_data(%s, 'main', ARRAY[%s])", [first, kept])
    view = sql_scalar(
        "SELECT view_name FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id"
        " WHERE b.name = %s AND d.status = 'ACTIVE'",
        [first],
    )
    assert sql_rows(f"SELECT id, v FROM {view}") == [(1, "a")]

    run(f"ALTER TABLE {changed} ADD COLUMN w int")
    for tables in ([kept, changed], None):
        name = unique("wd")
        error = sql_error("SELECT pggit.create_branch_with_data(%s, 'main', %s)", [name, tables])
        assert error.sqlstate == "PGX05", error
        said = error.diag.message_primary
        assert said.endswith(f"{changed} on branch '{name}' differs from 'main''s"), said
        assert sql_scalar("SELECT count(*) FROM pggit.branches WHERE name = %s", [name]) == 0


def test_branch_with_data_compares_every_table_when_ddl_capture_is_off(unique):
    """Without DDL capture nothing says whether from_branch changed since its head: every table
    is compared with its copy."""
    t = ident("nocapture", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, v text)")
    api.commit(f"add {t}")
    run(
        "ALTER EVENT TRIGGER pggit_capture_ddl DISABLE",
        "ALTER EVENT TRIGGER pggit_capture_drop DISABLE",
        f"ALTER TABLE {t} ADD COLUMN w int",
    )
    assert sql_scalar("SELECT pggit.ddl_capture_enabled()") is False
    error = sql_error(
        "SELECT pggit.create_branch_with_data(%s, 'main', ARRAY[%s])", [unique("wd"), t]
    )
    assert error.sqlstate == "PGX05", error


def test_a_merge_that_brings_only_rows_records_a_one_parent_data_commit(unique, items):
    """merge_commit's decision: no schema change (up to date), rows merged: one commit on the
    target, with one parent, saying it merged the branch's data."""
    branch = unique("dc")
    view = api.create_data_branch(items, "main", branch)
    run(f"UPDATE {view} SET price = 7 WHERE id = 1")
    head = sql_scalar("SELECT head_hash FROM pggit.branches WHERE name = 'main'")
    result = api.merge(branch)
    message, parent, merge_parent = sql_rows(
        "SELECT message, parent_hash, merge_parent_hash FROM pggit.commits WHERE hash = %s",
        [result.commit_hash],
    )[0]
    assert message == f"Merge data of branch '{branch}' into 'main'"
    assert (parent, merge_parent) == (head, None)
    assert rows(items)[1][1] == 7
