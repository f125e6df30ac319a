"""Security: roles, hostile identifiers, pinned search_path of SECURITY DEFINER functions."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, transaction

from pggit import api
from pggit.exceptions import PgGitError
from tests.helpers import run, sql_rows, sql_scalar

pytestmark = pytest.mark.django_db

HOSTILE = [
    '"',
    "'",
    ";",
    "--",
    '"; DROP TABLE canary; --',
    "'; DROP TABLE canary; --",
    "ünï©ødé",
    "x" * 63,
    "y" * 64,
    "z" * 300,
    "a\x01b",
    "a b",
    "a..b",
    "$$",
    "%s",
    "%I",
    "\\",
    "pggit.commits",
]


def test_reader_reads_history_but_cannot_write_it(unique):
    login = f"reader_{uuid.uuid4().hex[:8]}"
    commit = api.commit("visible", branch=unique("sec"))
    run(f"CREATE ROLE {login}", f"GRANT pggit_reader TO {login}")
    with transaction.atomic():
        run(f"SET LOCAL ROLE {login}")
        assert sql_scalar("SELECT count(*) FROM pggit.log(%s, 5)", [commit.branch.name]) >= 1
        run("RESET ROLE")
    before = sql_rows("SELECT count(*) FROM pggit.commits")
    for statement in (
        "SELECT pggit.commit_changes('main', 'by a reader')",
        f"SELECT pggit.create_branch('{unique('reader')}')",
        "INSERT INTO pggit.branches (name) VALUES ('forged')",
    ):
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            run(f"SET LOCAL ROLE {login}", statement)
    assert sql_rows("SELECT count(*) FROM pggit.commits") == before


def test_writer_commits_branches_and_merges(unique):
    login = f"writer_{uuid.uuid4().hex[:8]}"
    run(f"CREATE ROLE {login}", f"GRANT pggit_writer TO {login}")
    api.commit("main is committed")  # a merge needs a target without uncommitted changes
    branch = unique("writer")
    with transaction.atomic():
        run(f"SET LOCAL ROLE {login}")
        run(f"SELECT pggit.create_branch('{branch}')")
        run(f"SELECT pggit.commit_changes('{branch}', 'by a writer')")
        assert sql_scalar(f"SELECT status FROM pggit.merge('{branch}', 'main')") in {
            "merged",
            "fast-forward",
        }
        run("RESET ROLE")
    assert sql_scalar("SELECT author FROM pggit.log(%s, 1)", [branch]) == login


def test_hostile_names_never_touch_a_canary():
    run("CREATE TABLE canary (id int)", "INSERT INTO canary VALUES (42)")
    api.commit("canary")
    calls = [
        lambda n: api.commit("x", branch=n),
        lambda n: api.create_branch(n),
        lambda n: api.delete_branch(n),
        lambda n: api.log(n),
        lambda n: api.schema_hash(n),
        lambda n: api.get_version(n),
        lambda n: api.status(n),
        lambda n: api.show(n),
        lambda n: api.diff("main", n),
        lambda n: api.merge(n),
        lambda n: api.create_data_branch(n, "main", "hostile-target"),
        lambda n: api.create_data_branch("canary", "main", n),
        lambda n: api.diff_data(n, "main", "main"),
        lambda n: api.commit("x", author=n),
        lambda n: api.revert(n),
    ]
    for hostile in HOSTILE:
        for call in calls:
            try:
                call(hostile)
            except (PgGitError, ValueError, LookupError):
                pass  # refused with a typed error: fine
    assert sql_rows("SELECT id FROM canary") == [(42,)]


def test_security_definer_functions_pin_search_path():
    unpinned = sql_rows(
        "SELECT p.oid::regprocedure::text"
        "  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE n.nspname = 'pggit' AND p.prosecdef"
        " AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%%')"
    )
    assert unpinned == []
    assert (
        sql_scalar(
            "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
            " WHERE n.nspname = 'pggit' AND p.prosecdef"
        )
        >= 3
    )


INLINED = ["unqualify", "generate_trinity_id", "current_author", "commit_payload", "commit_hash"]


def test_inlined_helpers_ignore_a_hostile_search_path(unique):
    """The helpers without a SET clause name pg_catalog for everything: objects a caller puts
    first on search_path (here a || operator and a to_char function) change nothing."""
    commit = api.commit("genuine", branch=unique("evil"))
    recompute = "SELECT pggit.commit_hash(c) = c.hash FROM pggit.commits c WHERE c.hash = %s"
    with transaction.atomic():
        run(
            "CREATE SCHEMA evil",
            "CREATE FUNCTION evil.cat(text, text) RETURNS text LANGUAGE sql"
            " AS $$ SELECT 'pwned' $$",
            "CREATE OPERATOR evil.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.cat)",
            "CREATE FUNCTION evil.to_char(timestamp, text) RETURNS text LANGUAGE sql"
            " AS $$ SELECT 'pwned' $$",
            "SET LOCAL search_path = evil, pg_catalog, public",
        )
        assert sql_scalar("SELECT 'a' || 'b'") == "pwned"  # the trap works for plain SQL
        assert sql_scalar(recompute, [commit.hash]) is True
        assert (
            sql_scalar("SELECT pggit.unqualify('CREATE INDEX i ON s.t (x)', 's', 't')")
            == "CREATE INDEX i ON t (x)"
        )
        assert sql_scalar("SELECT pggit.current_author()") == sql_scalar(
            "SELECT current_user::text"
        )
        assert len(sql_scalar("SELECT pggit.generate_trinity_id()")) == 36
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", INLINED)
def test_hot_helpers_stay_inlinable(name):
    """A SET clause (or SECURITY DEFINER) would stop the planner from inlining these, and each
    call would be planned again per transaction: the commit path's cost, see 020_commits.sql."""
    row = sql_rows(
        "SELECT p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql'),"
        " p.proconfig, p.prosecdef"
        " FROM pg_proc p WHERE p.pronamespace = 'pggit'::regnamespace AND p.proname = %s",
        [name],
    )
    assert row == [(True, None, False)]
    if name == "commit_hash":
        plan = "\n".join(
            r[0]
            for r in sql_rows(
                "EXPLAIN (VERBOSE, COSTS OFF) SELECT pggit.commit_hash(c) FROM pggit.commits c"
            )
        )
        assert "sha256" in plan and "commit_hash" not in plan and "commit_payload" not in plan
