"""Work that must not grow with history: the lookups behind commits, DDL capture, branch creation
and diff read what they need by index, not every branch's, commit's or definition's rows.

Each test builds a table of the size that made the planner choose a scan, then reads the plan
(or the rows the statement read in this transaction) -- never a timing.
"""

from __future__ import annotations

import json

import pytest
from django.db import connection

from pggit import api
from tests.helpers import run, sql_rows, sql_scalar


def plan_nodes(statement: str, params: list | tuple = ()) -> list[dict]:
    """Every node of the statement's plan (EXPLAIN, not run), depth first."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {statement}", params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def rows_read(table: str) -> int:
    """Rows of pggit.<table> this transaction has read so far, by scans and index fetches."""
    return sql_scalar(
        "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0)"
        " FROM pg_stat_xact_user_tables WHERE schemaname = 'pggit' AND relname = %s",
        [table],
    )


@pytest.mark.django_db
def test_attaching_pending_ddl_reads_only_the_branchs_own_events(unique):
    # main has a long attached history and another branch has DDL not yet committed: the plan
    # PL/pgSQL makes for a commit's "attach my pending events" (the branch id as a constant)
    # must go through the pending-events index, not through every branch's pending events.
    api.commit("base")
    other = api.create_branch(unique("pending"))
    main_id = api.get_branch("main").id
    sql_scalar(
        "INSERT INTO pggit.ddl_events (branch_id, commit_id, command_tag, role_name)"
        " SELECT %s, c.id, 'CREATE TABLE', 'test' FROM pggit.commits c, generate_series(1, 2000)"
        " WHERE c.hash = (SELECT head_hash FROM pggit.branches WHERE id = %s) RETURNING 1",
        [main_id, main_id],
    )
    sql_scalar(
        "INSERT INTO pggit.ddl_events (branch_id, command_tag, role_name)"
        " SELECT %s, 'CREATE TABLE', 'test' FROM generate_series(1, 200) RETURNING 1",
        [other.id],
    )
    run("ANALYZE pggit.ddl_events", "SET LOCAL enable_seqscan = off")
    nodes = plan_nodes(
        "UPDATE pggit.ddl_events SET commit_id = NULL"
        f" WHERE branch_id = {int(main_id)} AND commit_id IS NULL"
    )
    indexes = {n["Index Name"] for n in nodes if n.get("Index Name", "").startswith("ddl_events_")}
    assert indexes == {"ddl_events_pending_idx"}, nodes


@pytest.mark.django_db
def test_listing_a_namespace_reads_the_catalog_by_oid():
    # pg_class, pg_proc and pg_type have no index on their namespace column: the listing finds
    # a namespace's members through pg_depend, then each row by oid. A filter on the namespace
    # column alone reads the whole catalog, every branch workspace's objects included.
    run("SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off")
    nodes = plan_nodes("SELECT * FROM pggit.namespace_objects('public'::regnamespace, '{}')")
    catalogs = {"pg_class", "pg_proc", "pg_type"}
    catalog_scans = [n for n in nodes if n.get("Relation Name") in catalogs]
    assert {n["Relation Name"] for n in catalog_scans} == catalogs, nodes
    for node in catalog_scans:
        assert node["Node Type"] in ("Index Scan", "Index Only Scan"), node
        assert node["Index Name"].endswith("_oid_index"), node


@pytest.mark.django_db
def test_the_namespace_listing_finds_every_kind_of_object(unique):
    # the listing is driven by pg_depend's namespace entries: every kind it lists has one
    schema = unique("listing").replace("-", "_")
    run(
        f"CREATE SCHEMA {schema}",
        f"CREATE TABLE {schema}.t (id serial PRIMARY KEY)",
        f"CREATE TABLE {schema}.p (id int) PARTITION BY RANGE (id)",
        f"CREATE TABLE {schema}.p1 PARTITION OF {schema}.p FOR VALUES FROM (0) TO (10)",
        f"CREATE VIEW {schema}.v AS SELECT id FROM {schema}.t",
        f"CREATE MATERIALIZED VIEW {schema}.m AS SELECT id FROM {schema}.t",
        f"CREATE SEQUENCE {schema}.s",
        f"CREATE FUNCTION {schema}.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        f"CREATE TYPE {schema}.e AS ENUM ('a')",
        f"CREATE DOMAIN {schema}.d AS int",
        f"CREATE TYPE {schema}.c AS (x int)",
        f"CREATE TABLE {schema}.moved (id int)",
        f"CREATE SCHEMA {schema}_2",
        f"ALTER TABLE {schema}.moved SET SCHEMA {schema}_2",
    )
    listing = (
        "SELECT object_type, object_name"
        " FROM pggit.namespace_objects(%s::regnamespace, '{}') ORDER BY 1, 2"
    )
    listed = sql_rows(listing, [schema])
    assert listed == [
        ("composite_type", "c"),
        ("domain", "d"),
        ("enum", "e"),
        ("function", "f()"),
        ("materialized_view", "m"),
        ("sequence", "s"),
        ("sequence", "t_id_seq"),
        ("table", "p"),
        ("table", "p1"),
        ("table", "t"),
        ("view", "v"),
    ]
    assert sql_rows(listing, [f"{schema}_2"]) == [("table", "moved")]


@pytest.mark.django_db
def test_tree_ddl_reads_only_the_definitions_it_needs(unique):
    # pggit.objects keeps every definition ever committed; the script between two trees looks
    # up the entries' definitions by hash instead of joining (and scanning) the whole table.
    table = unique("defs").replace("-", "_")
    run(f"CREATE TABLE public.{table} (id int PRIMARY KEY)")
    before = api.commit("one table")
    run(f"ALTER TABLE public.{table} ADD COLUMN v text")
    after = api.commit("one column")
    sql_scalar(
        "INSERT INTO pggit.objects (hash, object_type, definition)"
        " SELECT pggit.hash_definition(x.d), 'table', x.d"
        "   FROM (SELECT jsonb_build_object('type', 'table', 'name', 'gone_' || g) AS d"
        "           FROM generate_series(1, 5000) g) x ON CONFLICT (hash) DO NOTHING RETURNING 1"
    )
    run("ANALYZE pggit.objects")
    entries = sql_scalar("SELECT count(*) FROM pggit.tree_entries(%s)", [after.tree_hash])
    start = rows_read("objects")
    script = [
        r[0]
        for r in sql_rows("SELECT statement FROM pggit.diff_ddl(%s, %s)", [before.hash, after.hash])
    ]
    assert len(script) == 1 and "ADD COLUMN v text" in script[0], script
    created = sql_scalar(
        "SELECT count(*) FROM pggit.tree_ddl('{}', pggit.resolve_tree(%s))", [after.hash]
    )
    assert created >= entries
    assert rows_read("objects") - start <= 4 * entries + 10


@pytest.mark.django_db
def test_unmerged_commit_walk_stops_at_the_branchs_oldest_commit(unique):
    # deleting a branch asks which of its commits no other branch reaches; the walk back from
    # the other heads need not go past the branch's first commit, however long the history
    # before it
    api.commit("main is clean")
    sql_scalar(
        "SELECT count(pggit.commit_changes('main', 'history ' || g)) FROM generate_series(1, 300) g"
    )
    branch = unique("walk")
    api.create_branch(branch)
    only_here = api.commit("only here", branch=branch)
    # statistics as autovacuum would leave them, so the plan does not depend on whether it ran
    # yet (an unanalyzed table can make the join below read every commit)
    run("ANALYZE pggit.commits")
    run("SET LOCAL enable_seqscan = off")  # this small table's listing of the branch's commits
    # one lookup per other live head (other tests may have left branches), then the few
    # commits newer than the branch's own
    heads = sql_scalar(
        "SELECT count(*) FROM pggit.branches WHERE status <> 'DELETED' AND head_hash IS NOT NULL"
    )
    start = rows_read("commits")
    assert sql_scalar("SELECT pggit.unmerged_commits(%s)", [api.get_branch(branch).id]) == 1
    assert rows_read("commits") - start < heads + 50, (heads, rows_read("commits") - start)
    start = rows_read("commits")
    assert [c.hash for c in api.unmerged_commits(branch)] == [only_here.hash]
    assert rows_read("commits") - start < heads + 50, (heads, rows_read("commits") - start)


@pytest.mark.django_db
def test_unmerged_commits_reached_through_merges_and_branches_are_not_listed(unique):
    # the same answers as a walk of every ancestor: commits reached from another branch's head
    # through a merge parent, or as that branch's own history, are merged
    api.commit("main is clean")
    feature, child = unique("feature"), unique("child")
    api.create_branch(feature)
    api.commit("first", branch=feature)
    api.commit("second", branch=feature)
    api.create_branch(child, from_branch=feature)
    api.commit("child's own", branch=child)
    assert api.unmerged_commits(feature) == []  # the child reaches both
    third = api.commit("third", branch=feature)
    assert [c.hash for c in api.unmerged_commits(feature)] == [third.hash]
    api.merge(feature)
    sql_scalar(
        "SELECT count(pggit.commit_changes('main', 'later ' || g)) FROM generate_series(1, 5) g"
    )
    assert api.unmerged_commits(feature) == []
    assert len(api.unmerged_commits(child)) == 1
