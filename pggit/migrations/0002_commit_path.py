# A cheaper commit path (pggit/sql/120_commit_path.sql); reversing restores 0001's definitions.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0001_initial"),
    ]

    operations = [
        RunSQLFiles(files=["120_commit_path.sql"], reverse=["120_commit_path_reverse.sql"]),
    ]
