# Source UPDATEs that change a primary key stay out of data branches
# (pggit/sql/140_data_branch_key_updates.sql); reversing restores 0003's definitions.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0003_incremental_snapshot"),
    ]

    operations = [
        RunSQLFiles(files=["140_data_branch_key_updates.sql"],
                    reverse=["140_data_branch_key_updates_reverse.sql"]),
    ]
