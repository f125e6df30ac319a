# commit_changes(..., full_snapshot) records DDL the event triggers did not see
# (pggit/sql/170_full_snapshot.sql); reversing restores 0002's commit_changes.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0006_data_branch_scan"),
    ]

    operations = [
        RunSQLFiles(files=["170_full_snapshot.sql"],
                    reverse=["170_full_snapshot_reverse.sql"]),
    ]
