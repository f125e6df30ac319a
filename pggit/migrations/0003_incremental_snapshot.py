# Incremental snapshots (pggit/sql/130_incremental_snapshot.sql); reversing restores 0002's
# definitions.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0002_commit_path"),
    ]

    operations = [
        RunSQLFiles(files=["130_incremental_snapshot.sql"],
                    reverse=["130_incremental_snapshot_reverse.sql"]),
    ]
