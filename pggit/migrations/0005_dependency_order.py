# Views, types and functions are created and dropped in dependency order
# (pggit/sql/150_dependency_order.sql); reversing restores 0001's tree_ddl.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0004_data_branch_key_updates"),
    ]

    operations = [
        RunSQLFiles(files=["150_dependency_order.sql"],
                    reverse=["150_dependency_order_reverse.sql"]),
    ]
