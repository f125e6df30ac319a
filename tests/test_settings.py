"""Settings reach the database: tracked schemas are synced after migrate."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from pggit import conf
from pggit.exceptions import InvalidTrackedSchema
from pggit.installation import sync_tracked_schemas
from tests.helpers import ident, run, sql_rows

pytestmark = pytest.mark.django_db


def tracked() -> list[str]:
    return [r[0] for r in sql_rows("SELECT schema_name FROM pggit.tracked_schemas ORDER BY 1")]


SETTINGS_DOC = Path(__file__).resolve().parent.parent / "docs" / "settings.md"


def documented_defaults() -> dict[str, object]:
    """{key: default} from the table of docs/settings.md (| `KEY` | `default` | meaning |)."""
    text = SETTINGS_DOC.read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z_]+)` \| `([^`]*)` \|", text, re.M)
    return {key: ast.literal_eval(default) for key, default in rows}


def test_the_documented_defaults_are_the_code_defaults():
    documented = documented_defaults()
    assert set(documented) == {
        "TRACKED_SCHEMAS",
        "RETRY_ATTEMPTS",
        "RETRY_BACKOFF_SECONDS",
        "RETRY_BACKOFF_MAX_SECONDS",
        "COMMIT_ON_MIGRATE",
        "MIGRATE_AUTHOR",
        "BRANCH",
        "ALLOW_EMPTY_MESSAGE",
    }
    assert documented == conf.DEFAULTS


@pytest.mark.parametrize("pggit_setting", [{}, None], ids=["empty PGGIT", "no PGGIT"])
def test_each_accessor_returns_the_documented_default_when_unset(pggit_setting):
    with override_settings(PGGIT=pggit_setting):
        if pggit_setting is None:
            del settings.PGGIT
        for key, default in documented_defaults().items():
            accessor = getattr(conf, key.lower())  # TRACKED_SCHEMAS -> conf.tracked_schemas()
            value = accessor()
            assert value == default and type(value) is type(default), key


def test_a_set_key_overrides_only_itself():
    with override_settings(PGGIT={"RETRY_ATTEMPTS": 3}):
        assert conf.retry_attempts() == 3
        assert conf.retry_backoff_seconds() == documented_defaults()["RETRY_BACKOFF_SECONDS"]


def test_tracked_schemas_setting_is_applied_and_snapshots_follow_it(unique):
    extra = ident("billing", unique)
    run(f"CREATE SCHEMA {extra}", f"CREATE TABLE {extra}.invoices (id int PRIMARY KEY)")
    with override_settings(PGGIT={"TRACKED_SCHEMAS": ["public", extra]}):
        sync_tracked_schemas("default")
        assert tracked() == sorted(["public", extra])
        from pggit import api

        assert f"table:{extra}.invoices" in {c.object_key for c in api.status("main")}
        api.commit("before")  # (the same tree as before the sync would be a stale snapshot)
        assert f"table:{extra}.invoices" in api.show(api.commit("tracked").hash)["tree"]
    sync_tracked_schemas("default")
    assert tracked() == ["public"]


@pytest.mark.parametrize("schemas", [["pggit"], ["pg_catalog"], ["no_such_schema_zz"], []])
def test_untrackable_schemas_are_refused(schemas):
    with override_settings(PGGIT={"TRACKED_SCHEMAS": schemas}), pytest.raises(InvalidTrackedSchema):
        sync_tracked_schemas("default")
    assert tracked() == ["public"]
