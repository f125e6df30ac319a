# Installs the SQL core (frozen files in pggit/sql/) and the state of the unmanaged models.

from django.db import migrations, models

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):

    initial = True

    dependencies = [
    ]

    operations = [
        RunSQLFiles(
            files=[
                "000_schema.sql",
                "010_branches.sql",
                "020_commits.sql",
                "030_snapshots.sql",
                "040_ddl_capture.sql",
                "050_changes.sql",
                "060_ddl_generation.sql",
                "070_workspaces.sql",
                "080_merge.sql",
                "090_data_branches.sql",
            ],
            reverse=["uninstall.sql"],
        ),
        migrations.CreateModel(
            name='Branch',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('uuid', models.UUIDField(editable=False, unique=True)),
                ('name', models.TextField()),
                ('status', models.TextField(choices=[('ACTIVE', 'active'), ('MERGED', 'merged'), ('DELETED', 'deleted')], default='ACTIVE')),
                ('created_at', models.DateTimeField()),
                ('created_by', models.TextField()),
                ('deleted_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name_plural': 'branches',
                'db_table': 'pggit"."branches',
                'ordering': ['name', '-id'],
                'managed': False,
            },
        ),
        migrations.CreateModel(
            name='Commit',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('uuid', models.UUIDField(editable=False, unique=True)),
                ('hash', models.TextField(unique=True)),
                ('tree_hash', models.TextField()),
                ('message', models.TextField()),
                ('author', models.TextField()),
                ('committed_at', models.DateTimeField()),
            ],
            options={
                'db_table': 'pggit"."commits',
                'ordering': ['-id'],
                'managed': False,
            },
        ),
    ]
