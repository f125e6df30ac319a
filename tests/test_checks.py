"""System checks pggit.E001 (PostgreSQL 15+) and pggit.W001 (DDL capture off), on the real
``default`` PostgreSQL alias and the test project's ``sqlite`` alias, with and without a router
that keeps pggit away from an alias."""

from __future__ import annotations

import pytest
from django.core import checks
from django.db import connections
from django.test import override_settings

from pggit.checks import TAG, check_ddl_capture, check_postgresql
from tests.helpers import run

pytestmark = pytest.mark.django_db
BOTH = ["default", "sqlite"]


class PgGitOn:
    """A router that migrates pggit into the given aliases only (and has no say on other apps)."""

    def __init__(self, *aliases: str):
        self.aliases = aliases

    def allow_migrate(self, db, app_label, **hints):
        return db in self.aliases if app_label == "pggit" else None


def ids(messages) -> list[tuple[str, str]]:
    return [(m.id, m.msg.split("'")[1]) for m in messages]


def test_the_aliases_are_what_the_checks_are_tested_on():
    assert connections["default"].vendor == "postgresql"
    assert connections["default"].pg_version >= 150000  # type: ignore[attr-defined]  # PostgreSQL's
    assert connections["sqlite"].vendor == "sqlite"


def test_e001_without_a_router_flags_every_database_that_is_not_postgresql():
    assert ids(check_postgresql(databases=BOTH)) == [("pggit.E001", "sqlite")]
    assert check_postgresql(databases=["default"]) == []
    assert check_postgresql(databases=None) == [], "no --database: the default alias only"


def test_e001_honours_the_router_the_hint_mentions():
    with override_settings(DATABASE_ROUTERS=[PgGitOn("default")]):
        assert check_postgresql(databases=BOTH) == []
    with override_settings(DATABASE_ROUTERS=[PgGitOn("sqlite")]):
        assert ids(check_postgresql(databases=BOTH)) == [("pggit.E001", "sqlite")]
    with override_settings(DATABASE_ROUTERS=[PgGitOn()]):
        assert check_postgresql(databases=BOTH) == []
    error = check_postgresql(databases=["sqlite"])[0]
    assert "route pggit away" in error.hint and "allow_migrate" in error.hint


def test_e001_is_registered_with_the_pggit_checks():
    found = checks.run_checks(tags=[TAG], databases=BOTH)
    assert ids(m for m in found if m.id.startswith("pggit.")) == [("pggit.E001", "sqlite")]
    with override_settings(DATABASE_ROUTERS=[PgGitOn("default")]):
        found = checks.run_checks(tags=[TAG], databases=BOTH)
        assert [m for m in found if m.id.startswith("pggit.")] == []


def test_without_databases_the_checks_look_at_default_unless_routed_away(capture_off):
    """Plain ``manage.py check`` passes no databases: the checks look at ``default``, as long
    as the router lets pggit migrate there."""
    found = checks.run_checks(tags=[TAG])  # databases=None, as plain `check` runs them
    assert ids(m for m in found if m.id.startswith("pggit.")) == [("pggit.W001", "default")]
    with override_settings(DATABASE_ROUTERS=[PgGitOn("sqlite")]):
        assert [m for m in checks.run_checks(tags=[TAG]) if m.id.startswith("pggit.")] == []


@pytest.fixture
def capture_off():
    """DDL capture disabled for the test (its transaction restores it)."""
    run("ALTER EVENT TRIGGER pggit_capture_ddl DISABLE")
    yield
    run("ALTER EVENT TRIGGER pggit_capture_ddl ENABLE")


def test_w001_is_silent_while_ddl_capture_is_on():
    assert check_ddl_capture(databases=BOTH) == []


def test_w001_warns_when_ddl_capture_is_off(capture_off):
    warnings = check_ddl_capture(databases=BOTH)
    # and never for a database that is not PostgreSQL
    assert ids(warnings) == [("pggit.W001", "default")]
    assert warnings[0].level == checks.WARNING
    found = checks.run_checks(tags=[TAG], databases=["default"])
    assert ids(m for m in found if m.id.startswith("pggit.")) == [("pggit.W001", "default")]


def test_w001_honours_the_router(capture_off):
    with override_settings(DATABASE_ROUTERS=[PgGitOn("sqlite")]):
        assert check_ddl_capture(databases=BOTH) == []
    with override_settings(DATABASE_ROUTERS=[PgGitOn("default")]):
        assert ids(check_ddl_capture(databases=BOTH)) == [("pggit.W001", "default")]
