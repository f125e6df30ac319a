# A data branch's table reads its source through one anti-join
# (pggit/sql/160_data_branch_scan.sql); reversing restores 0004's view and create_data_branch.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0005_dependency_order"),
    ]

    operations = [
        RunSQLFiles(files=["160_data_branch_scan.sql"],
                    reverse=["160_data_branch_scan_reverse.sql"]),
    ]
