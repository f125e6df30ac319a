# pggit's own statements run without JIT, and the DDL generators' row estimates fit what they
# return (pggit/sql/180_planner_settings.sql); reversing puts PostgreSQL's defaults back.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0007_full_snapshot"),
    ]

    operations = [
        RunSQLFiles(files=["180_planner_settings.sql"],
                    reverse=["180_planner_settings_reverse.sql"]),
    ]
