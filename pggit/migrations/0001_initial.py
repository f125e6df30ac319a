# Installs the SQL core (pggit/sql/, one file per concern, in dependency order) and the state of
# the unmanaged models. Reversed by uninstall.sql.

from django.db import migrations, models

from pggit.operations import RunSQLFiles


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        RunSQLFiles(
            files=[
                "000_schema.sql",
                "010_branches.sql",
                "020_commits.sql",
                "025_refs.sql",
                "030_snapshots.sql",
                "040_ddl_capture.sql",
                "050_changes.sql",
                "060_ddl_generation.sql",
                "070_workspaces.sql",
                "080_data_branches.sql",
                "085_data_branch_evolution.sql",
                "090_merge.sql",
                "100_verify.sql",
                "105_privileges.sql",
                "110_roles.sql",
                "120_enable_capture.sql",
            ],
            reverse=["uninstall.sql"],
        ),
        migrations.CreateModel(
            name="Branch",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("uuid", models.UUIDField(editable=False, unique=True)),
                ("name", models.TextField()),
                (
                    "status",
                    models.TextField(
                        choices=[
                            ("ACTIVE", "active"),
                            ("MERGED", "merged"),
                            ("DELETED", "deleted"),
                        ],
                        default="ACTIVE",
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("created_by", models.TextField()),
                ("deleted_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "branches",
                "permissions": [
                    ("create_branch", "Can create a branch"),
                    ("delete_branch", "Can delete a branch"),
                    ("merge_branch", "Can merge a branch and resolve its conflicts"),
                ],
                "db_table": 'pggit"."branches',
                "ordering": ["name", "-id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="Commit",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("uuid", models.UUIDField(editable=False, unique=True)),
                ("hash", models.TextField(unique=True)),
                ("tree_hash", models.TextField()),
                ("message", models.TextField()),
                ("author", models.TextField()),
                ("committed_at", models.DateTimeField()),
                (
                    "commit_id",
                    models.TextField(
                        blank=True,
                        help_text=(
                            "The caller-supplied commit ID (pggit.commit_changes' third argument)."
                        ),
                        null=True,
                        unique=True,
                    ),
                ),
            ],
            options={
                "db_table": 'pggit"."commits',
                "ordering": ["-id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="DataBranch",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("uuid", models.UUIDField(editable=False, unique=True)),
                ("logical_schema", models.TextField()),
                ("table_name", models.TextField()),
                ("source_name", models.TextField()),
                ("view_name", models.TextField()),
                ("delta_table", models.TextField()),
                ("preimage_table", models.TextField()),
                (
                    "status",
                    models.TextField(
                        choices=[("ACTIVE", "active"), ("MERGED", "merged"), ("DROPPED", "dropped")]
                    ),
                ),
                ("created_at", models.DateTimeField()),
                ("ended_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name_plural": "data branches",
                "db_table": 'pggit"."data_branches',
                "ordering": ["-id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="DdlEvent",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("command_tag", models.TextField()),
                ("object_type", models.TextField(blank=True, null=True)),
                ("schema_name", models.TextField(blank=True, null=True)),
                ("object_identity", models.TextField(blank=True, null=True)),
                ("statement", models.TextField(blank=True, null=True)),
                ("role_name", models.TextField()),
                ("occurred_at", models.DateTimeField()),
            ],
            options={
                "verbose_name": "DDL event",
                "db_table": 'pggit"."ddl_events',
                "ordering": ["id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="Merge",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("uuid", models.UUIDField(editable=False, unique=True)),
                (
                    "kind",
                    models.TextField(
                        choices=[("merge", "merge"), ("cherry-pick", "cherry-pick")],
                        default="merge",
                    ),
                ),
                ("base_hash", models.TextField(blank=True, null=True)),
                ("source_hash", models.TextField()),
                ("target_hash", models.TextField(blank=True, null=True)),
                (
                    "status",
                    models.TextField(
                        choices=[
                            ("CONFLICTED", "conflicted"),
                            ("COMPLETED", "completed"),
                            ("ABANDONED", "abandoned"),
                        ]
                    ),
                ),
                ("message", models.TextField(blank=True, null=True)),
                ("author", models.TextField()),
                ("result_hash", models.TextField(blank=True, null=True)),
                ("created_at", models.DateTimeField()),
                ("completed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "db_table": 'pggit"."merges',
                "ordering": ["-id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="MergeConflict",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "merge_id",
                        "object_key",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("object_key", models.TextField()),
                ("kind", models.TextField()),
                ("detail", models.TextField(blank=True, null=True)),
                ("resolution", models.TextField(blank=True, null=True)),
                ("resolution_value", models.TextField(blank=True, null=True)),
                ("resolved_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "db_table": 'pggit"."merge_conflicts',
                "ordering": ["object_key"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="Tag",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("uuid", models.UUIDField(editable=False, unique=True)),
                ("name", models.TextField(unique=True)),
                ("message", models.TextField(blank=True, null=True)),
                ("tagger", models.TextField()),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "db_table": 'pggit"."tags',
                "ordering": ["name"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="ReflogEntry",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("old_hash", models.TextField(blank=True, null=True)),
                ("new_hash", models.TextField(blank=True, null=True)),
                ("operation", models.TextField()),
                ("role_name", models.TextField()),
                ("author", models.TextField()),
                ("reason", models.TextField()),
                ("ddl_events", models.IntegerField(blank=True, null=True)),
                ("versions", models.BigIntegerField()),
                ("moved_at", models.DateTimeField()),
                ("prev_hash", models.TextField(blank=True, null=True)),
                ("entry_hash", models.TextField()),
            ],
            options={
                "verbose_name": "reflog entry",
                "verbose_name_plural": "reflog",
                "db_table": 'pggit"."reflog',
                "ordering": ["-id"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
        migrations.CreateModel(
            name="CommitCheckout",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "commit_id",
                        "logical_schema",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("logical_schema", models.TextField()),
                ("namespace", models.TextField(unique=True)),
                ("created_by", models.TextField()),
                ("created_at", models.DateTimeField()),
            ],
            options={
                "db_table": 'pggit"."commit_checkouts',
                "ordering": ["namespace"],
                "managed": False,
                "default_permissions": ("view",),
            },
        ),
    ]
