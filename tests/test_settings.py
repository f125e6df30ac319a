"""Settings reach the database: tracked schemas are synced after migrate."""

from __future__ import annotations

import pytest
from django.test import override_settings

from pggit import conf
from pggit.exceptions import InvalidTrackedSchema
from pggit.installation import sync_tracked_schemas
from tests.helpers import ident, run, sql_rows

pytestmark = pytest.mark.django_db


def tracked() -> list[str]:
    return [r[0] for r in sql_rows("SELECT schema_name FROM pggit.tracked_schemas ORDER BY 1")]


def test_defaults():
    assert conf.tracked_schemas() == ["public"]
    assert conf.retry_attempts() >= 1 and conf.retry_backoff_seconds() > 0


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
