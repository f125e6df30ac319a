# Views over views are created, dropped and re-created in dependency order
# (pggit/sql/150_view_dependencies.sql); reversing restores 0001's tree_ddl.

from django.db import migrations

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    dependencies = [
        ("pggit", "0004_data_branch_key_updates"),
    ]

    operations = [
        RunSQLFiles(files=["150_view_dependencies.sql"],
                    reverse=["150_view_dependencies_reverse.sql"]),
    ]
