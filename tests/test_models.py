"""The read model matches the tables the SQL core creates."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from tests.helpers import sql_rows

pytestmark = pytest.mark.django_db

# information_schema.data_type for each Django db_type we use.
EXPECTED_TYPES = {
    "bigint": "bigint",
    "bigserial": "bigint",
    "text": "text",
    "uuid": "uuid",
    "timestamp with time zone": "timestamp with time zone",
    "integer": "integer",
    "serial": "integer",
    "boolean": "boolean",
    "jsonb": "jsonb",
}


@pytest.mark.parametrize("model", list(apps.get_app_config("pggit").get_models()), ids=str)
def test_every_model_field_maps_onto_a_real_column_of_the_right_type(model):
    schema, table = model._meta.db_table.split('"."')
    columns = dict(
        sql_rows(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = %s AND table_name = %s",
            [schema, table],
        )
    )
    assert columns, f"{model._meta.db_table} does not exist"
    for field in model._meta.concrete_fields:
        assert field.column in columns, f"{model.__name__}.{field.name}: no column {field.column}"
        db_type = field.rel_db_type(connection) if field.remote_field else field.db_type(connection)
        assert columns[field.column] == EXPECTED_TYPES[db_type.split("(")[0]], field.name


def test_makemigrations_is_clean():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
