"""The Django workflow (issue 16): migrate records a commit, Django runs on a branch
(PGGIT_BRANCH), a branch made with main's data migrates and merges back with its
django_migrations rows, two branches' migrations merge and Django sees two leaves.

Everything runs through ``manage.py`` in subprocesses, on a new database, with a small app
(``shop``) whose migrations are written into a temporary folder for the test."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.helpers import ScratchDatabase

SETTINGS = """
from testproject.settings import *  # noqa: F401,F403
INSTALLED_APPS = [*INSTALLED_APPS, "shop"]
PGGIT = {**PGGIT, "MIGRATE_AUTHOR": "Ada"}
"""

MODELS = {
    "0001_initial": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            initial = True
            dependencies = []
            operations = [
                migrations.CreateModel(
                    name="Item",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("name", models.CharField(max_length=50)),
                        ("price", models.IntegerField()),
                    ],
                ),
            ]
    """,
    # on a branch made with data: a new model and a data migration of main's rows
    "0002_tag_double_prices": """
        from django.db import migrations, models
        from django.db.models import F

        def double(apps, schema_editor):
            apps.get_model("shop", "Item").objects.update(price=F("price") * 2)

        class Migration(migrations.Migration):
            dependencies = [("shop", "0001_initial")]
            operations = [
                migrations.CreateModel(
                    name="Tag",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("label", models.CharField(max_length=20)),
                        ("note", models.CharField(max_length=20, null=True)),
                    ],
                ),
                migrations.RunPython(double, migrations.RunPython.noop),
            ]
    """,
    "0003_a": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("shop", "0002_tag_double_prices")]
            operations = [
                migrations.CreateModel(
                    name="Colour",
                    fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
                ),
            ]
    """,
    "0003_b": """
        from django.db import migrations, models

        class Migration(migrations.Migration):
            dependencies = [("shop", "0002_tag_double_prices")]
            operations = [
                migrations.CreateModel(
                    name="Size",
                    fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
                ),
            ]
    """,
}


class Project:
    """The test project plus app ``shop`` in a temporary folder, on a scratch database."""

    def __init__(self, root: Path, database: ScratchDatabase) -> None:
        self.root = root
        self.db = database
        (root / "shop" / "migrations").mkdir(parents=True)
        (root / "shop" / "__init__.py").write_text("")
        (root / "shop" / "migrations" / "__init__.py").write_text("")
        (root / "shop_settings.py").write_text(SETTINGS)
        self.models(item=True)
        self.migration("0001_initial")

    def models(self, **models: bool) -> None:
        code = ["from django.db import models\n"]
        fields = {
            "item": "name = models.CharField(max_length=50)\n    price = models.IntegerField()",
            "tag": "label = models.CharField(max_length=20)\n"
            "    note = models.CharField(max_length=20, null=True)",
            "colour": "pass",
            "size": "pass",
        }
        if models.pop("stock", False):
            fields["item"] += (
                "\n    stock = models.IntegerField(default=1)"
                "\n    note = models.TextField(null=True)"
                "\n    label = models.CharField(max_length=10, null=True, default='plain')"
                "\n\n    class Meta:"
                "\n        indexes = [models.Index(fields=['stock'], name='shop_item_stock_idx')]"
            )
        for model, present in models.items():
            if present:
                code.append(f"class {model.title()}(models.Model):\n    {fields[model]}\n")
        (self.root / "shop" / "models.py").write_text("\n".join(code))

    def migration(self, name: str, present: bool = True) -> None:
        path = self.root / "shop" / "migrations" / f"{name}.py"
        if present:
            path.write_text(textwrap.dedent(MODELS[name]))
        else:
            path.unlink()

    def manage(self, *args: str, branch: str | None = None, ok: bool = True):
        env = {"PYTHONPATH": str(self.root), "DJANGO_SETTINGS_MODULE": "shop_settings"}
        if branch:
            env["PGGIT_BRANCH"] = branch
        done = self.db.manage(*args, env=env)
        if ok:
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done

    def sql(self, statement: str, params: tuple = ()):
        with self.db.connect(autocommit=True) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

    def log(self, branch: str) -> list[dict]:
        """The branch's history, newest first (as pggit_log shows it; read with SQL, which is
        quicker than a process per check)."""
        rows = self.sql(
            "SELECT c.message, c.author FROM pggit.log(%s, 1000) l JOIN pggit.commits c"
            " USING (hash) ORDER BY l.depth",
            (branch,),
        )
        return [{"message": message, "author": author} for message, author in rows]


@pytest.fixture
def project(tmp_path, scratch_database) -> Project:
    return Project(tmp_path, scratch_database)


def test_a_missing_or_deleted_branch_is_an_error_at_connection_time(project):
    project.manage("migrate", "pggit")
    project.manage("pggit_branch", "create", "gone")
    project.manage("pggit_branch", "delete", "gone")
    before = project.db.created_objects()
    for name, said in (
        ("ghost", "PGGIT_BRANCH='ghost': branch 'ghost' does not exist"),
        ("gone", "PGGIT_BRANCH='gone': branch 'gone' is deleted"),
        ('x"; DROP SCHEMA pggit; --', "PGGIT_BRANCH='x\"; DROP SCHEMA pggit; --': invalid"),
    ):
        commands = [["migrate"], ["pggit_status"], ["showmigrations"], ["dbshell"]]
        for command in commands if name == "ghost" else commands[:1]:
            done = project.manage(*command, branch=name, ok=False)
            assert done.returncode == 1, (command, done.stderr)
            assert said in done.stderr, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert project.db.created_objects() == before


def test_dbshell_and_shell_work_on_the_branch(project):
    project.manage("migrate")
    project.manage("pggit_branch", "create", "feature/bare")
    bare = project.manage("migrate", branch="feature/bare", ok=False)
    assert bare.returncode == 1
    assert "branch 'feature/bare' has no data branch of django_migrations" in bare.stderr
    project.manage("pggit_branch", "create", "feature/sh", "--with-data")
    done = project.manage(
        "dbshell",
        "--",
        "-Atc",
        "SELECT pggit.current_branch(), current_schemas(false)::text,"
        " (SELECT count(*) FROM django_migrations) > 0",
        branch="feature/sh",
    )
    branch, schemas, has_rows = done.stdout.strip().split("|")
    assert branch == "feature/sh" and has_rows == "t"
    (branch_id,) = project.sql("SELECT id FROM pggit.branches WHERE name = 'feature/sh'")[0]
    assert schemas.startswith(f"{{pggit_b{branch_id}_1_data,pggit_b{branch_id}_1"), schemas
    shell = project.manage(
        "shell",
        "-c",
        "from pggit import api; from django.db.migrations.recorder import MigrationRecorder as M;"
        "from django.db import connection as c;"
        "print(api.current_branch(), M(c).has_table(), len(M(c).applied_migrations()) > 0)",
        branch="feature/sh",
    )
    assert shell.stdout.strip().endswith("feature/sh True True")


def test_commit_on_migrate_settings_and_a_failing_commit(project):
    settings = project.root / "shop_settings.py"
    settings.write_text(SETTINGS + 'PGGIT["COMMIT_ON_MIGRATE"] = "yes"\n')
    refused = project.manage("migrate", ok=False)
    assert refused.returncode == 1
    assert "PGGIT[\"COMMIT_ON_MIGRATE\"] must be True or False, not 'yes'" in refused.stderr
    assert project.db.created_objects() == [], "nothing migrated"

    settings.write_text(SETTINGS + 'PGGIT["COMMIT_ON_MIGRATE"] = False\n')
    project.manage("migrate", "pggit")
    project.manage("migrate", "contenttypes")
    assert [c["message"] for c in project.log("main")] == [], "off: no commit"

    # the commit fails (a trigger refuses it): migrations stay applied, exit 1, one clear line
    settings.write_text(SETTINGS)
    project.sql(
        "CREATE FUNCTION public.no_commits() RETURNS trigger LANGUAGE plpgsql AS"
        " $$BEGIN RAISE EXCEPTION 'commits are closed today'; END$$;"
        "CREATE TRIGGER no_commits BEFORE INSERT ON pggit.commits"
        " FOR EACH ROW EXECUTE FUNCTION public.no_commits()"
    )
    failed = project.manage("migrate", "shop", ok=False)
    assert failed.returncode == 1
    assert "Applying shop.0001_initial... OK" in failed.stdout
    assert (
        "the migrations were applied, but pggit could not record their commit on 'main':"
        " commits are closed today" in failed.stderr
    )
    assert "Traceback" not in failed.stderr
    assert project.sql("SELECT name FROM django_migrations WHERE app = 'shop'") == [
        ("0001_initial",)
    ]
    project.sql("DROP TRIGGER no_commits ON pggit.commits")
    pending = project.manage("pggit_status").stdout
    assert "+ table:public.shop_item" in pending


def test_branch_with_data_bad_tables_create_nothing(project):
    project.manage("migrate")
    before = project.sql("SELECT count(*) FROM pggit.branches")
    for tables, said in (
        (["shop_nothing"], "table shop_nothing does not exist on branch 'main'"),
        (["pggit.branches"], "cannot branch the data of pggit.branches: schema pggit is not"),
        (["shop_item", "other.t"], "cannot branch the data of other.t: schema other is not"),
        (["a.b.c"], "invalid table name 'a.b.c'"),
    ):
        done = project.manage(
            "pggit_branch", "create", "feature/t", "--with-data", "--tables", *tables, ok=False
        )
        assert done.returncode == 1 and said in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    assert project.sql("SELECT count(*) FROM pggit.branches") == before
    assert not [s for s in project.db.created_objects() if s.startswith("schema pggit_b")]
    done = project.manage("pggit_branch", "create", "feature/t", "--tables", "shop_item", ok=False)
    assert done.returncode == 1 and "--tables goes with --with-data" in done.stderr

    project.sql("INSERT INTO shop_item (name, price) VALUES ('pen', 3)")
    project.manage("pggit_branch", "create", "feature/t", "--with-data", "--tables", "shop_item")
    read = project.manage(
        "shell",
        "-c",
        "from shop.models import Item; Item.objects.create(name='cap', price=1);"
        "print(sorted(Item.objects.values_list('name', flat=True)))",
        branch="feature/t",
    )
    assert "['cap', 'pen']" in read.stdout
    assert project.sql("SELECT name FROM shop_item") == [("pen",)], "main keeps its rows"
    # the branch reads main's rows of shop_item only: another table is its own, empty copy
    assert (
        project.manage(
            "shell",
            "-c",
            "from django.contrib.auth.models import User; print(User.objects.count())",
            branch="feature/t",
        )
        .stdout.strip()
        .endswith("0")
    )
    # a migration changing a column's type on a table the branch reads through a data branch:
    # the data branch cannot follow, so it is refused in one line and nothing changes
    (project.root / "shop" / "migrations" / "0002_item_price.py").write_text(
        textwrap.dedent(
            """
            from django.db import migrations, models

            class Migration(migrations.Migration):
                dependencies = [("shop", "0001_initial")]
                operations = [migrations.AlterField("item", "price", models.BigIntegerField())]
            """
        )
    )
    before = project.db.created_objects()
    refused = project.manage("migrate", "shop", branch="feature/t", ok=False)
    assert refused.returncode == 1
    said = (
        "cannot change the type or nullability of column price of table public.shop_item"
        " on branch 'feature/t': the branch reads its rows through a data branch"
    )
    assert said in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    assert project.db.created_objects() == before
    assert project.sql(
        "SELECT c.data_type FROM information_schema.columns c JOIN pggit.workspaces w"
        " ON w.namespace = c.table_schema JOIN pggit.branches b ON b.id = w.branch_id"
        " WHERE b.name = 'feature/t' AND c.table_name = 'shop_item' AND c.column_name = 'price'"
    ) == [("integer",)]
    ((view,),) = project.sql(
        "SELECT d.view_name FROM pggit.data_branches d JOIN pggit.branches b ON b.id = d.branch_id"
        " WHERE b.name = 'feature/t' AND d.table_name = 'django_migrations' AND d.status = 'ACTIVE'"
    )
    assert project.sql(f"SELECT name FROM {view} WHERE app = 'shop'") == [("0001_initial",)]


@pytest.mark.django_db(transaction=True)
def test_admin_header_shows_the_branch_the_process_works_on(
    admin_client, unique, monkeypatch, table
):
    from django.db import connections
    from django.urls import reverse

    from pggit import api
    from pggit.runtime import checkout_configured_branch

    url = reverse("admin:pggit_branch_changelist")
    assert "on branch <strong>main</strong>" in admin_client.get(url).content.decode()
    name = unique("proc")
    # not "all" (every test's tables); the admin reads the user and the session on the branch
    api.create_branch(name, data=[table, "auth_user", "django_session", "django_content_type"])
    monkeypatch.setenv("PGGIT_BRANCH", name)
    connection = connections["default"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('search_path')")
        path = cursor.fetchone()[0]
    try:
        checkout_configured_branch(None, connection)
        page = admin_client.get(url).content.decode()
        assert f"on branch <strong>{name}</strong>" in page
        assert api.current_branch() == name
    finally:
        del connection.pggit_branch  # type: ignore[attr-defined]
        del connection.SchemaEditorClass
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('search_path', %s, false),"
                " set_config('pggit.branch', '', false)",
                [path],
            )
        api.delete_branch(name, force=True)


GUIDE = Path(__file__).resolve().parent.parent / "docs" / "django-workflow.md"

# on a branch made with data: fields added to a table whose rows the branch reads from main
# (NOT NULL with a default, and nullable), an index, a data migration of main's rows
STOCK = """
from django.db import migrations, models

def restock(apps, schema_editor):
    apps.get_model("shop", "Item").objects.filter(name="pen").update(stock=10, note="restocked")

class Migration(migrations.Migration):
    dependencies = [("shop", "{merge}")]
    operations = [
        migrations.AddField("item", "stock", models.IntegerField(default=1)),
        migrations.AddField("item", "note", models.TextField(null=True)),
        migrations.AddField(
            "item", "label", models.CharField(max_length=10, null=True, default="plain")
        ),
        migrations.AddIndex("item", models.Index(fields=["stock"], name="shop_item_stock_idx")),
        migrations.RunPython(restock, migrations.RunPython.noop),
    ]
"""


def test_every_command_of_the_django_workflow_guide_runs(project):
    """docs/django-workflow.md, command by command, with checks of what each step did.

    ``<!-- guide: shop NAME [only] -->`` puts migration NAME (and its model) in place first
    (``only``: the other 0003 is removed, as on a branch with its own code)."""
    import re
    import shlex

    ran: list[tuple[str, str]] = []
    for marker, block in re.findall(
        r"(?:<!-- guide: (.*?) -->\n)?```console\n(.*?)```", GUIDE.read_text(), re.S
    ):
        if marker:
            _, name, *only = marker.split()
            if name == "0005_item_stock":
                merge = next((project.root / "shop" / "migrations").glob("0004_merge*.py")).stem
                (project.root / "shop" / "migrations" / f"{name}.py").write_text(
                    STOCK.format(merge=merge)
                )
                project.models(item=True, tag=True, stock=True)
            else:
                project.migration(name)
                if only:
                    project.migration("0003_a", present=False)
                project.models(item=True, tag=name >= "0002")
        for line in block.splitlines():
            assert line.startswith("$ "), line
            words = shlex.split(line[2:])
            branch = None
            if words[0].startswith("PGGIT_BRANCH="):
                branch = words.pop(0).split("=", 1)[1]
            assert words[:2] == ["python", "manage.py"], line
            if words[2] == "makemigrations":
                # before the merge migration, Django sees the two leaves and refuses
                leaves = project.manage("migrate", ok=False)
                assert leaves.returncode != 0, leaves.stdout
                assert "Conflicting migrations detected" in leaves.stderr
                assert "0003_a" in leaves.stderr and "0003_b" in leaves.stderr
                applied = project.sql(
                    "SELECT name FROM django_migrations WHERE app = 'shop' ORDER BY name"
                )
                assert applied == [
                    ("0001_initial",),
                    ("0002_tag_double_prices",),
                    ("0003_a",),
                    ("0003_b",),
                ], "both branches' rows, no conflict"
            done = project.manage(*words[2:], branch=branch)
            ran.append((line, done.stdout))
            check_step(project, line, done.stdout)
    assert [line for line, _ in ran] == re.findall(r"^\$ .*$", GUIDE.read_text(), re.M)


def check_step(project: Project, line: str, out: str) -> None:
    """What the guide says each step does."""
    if line == "$ python manage.py pggit_log --oneline":
        (head,) = project.log("main")[:1]
        assert head["message"].startswith("migrate: contenttypes.0001_initial, auth.0001_initial")
        assert head["message"].endswith("shop.0001_initial") and "pggit." not in head["message"]
        assert head["author"] == "Ada"
        project.sql("INSERT INTO shop_item (name, price) VALUES ('pen', 3), ('ink', 5)")
    elif line == "$ PGGIT_BRANCH=feature/tags python manage.py migrate shop":
        assert "Applying shop.0002_tag_double_prices... OK" in out
        assert project.log("feature/tags")[0]["message"] == "migrate: shop.0002_tag_double_prices"
        prices = project.sql("SELECT name, price FROM shop_item ORDER BY id")
        assert prices == [("pen", 3), ("ink", 5)], "main's rows are untouched"
    elif line == "$ PGGIT_BRANCH=feature/tags python manage.py showmigrations shop":
        assert "[X] 0002_tag_double_prices" in out
    elif line == "$ PGGIT_BRANCH=feature/tags python manage.py pggit_status":
        assert out.startswith("On branch feature/tags\n")
    elif line == "$ python manage.py showmigrations shop":
        merged = project.sql("SELECT count(*) FROM pggit.merges WHERE status = 'COMPLETED'")
        mark = "[X]" if merged[0][0] else "[ ]"
        assert f"{mark} 0002_tag_double_prices" in out
        if (project.root / "shop" / "migrations" / "0005_item_stock.py").exists():
            assert "[X] 0005_item_stock" in out
    elif line == "$ python manage.py pggit_merge feature/tags":
        # the data migration's row changes arrived; the ORM reads the branch's new model
        prices = project.sql("SELECT name, price FROM shop_item ORDER BY id")
        assert prices == [("pen", 6), ("ink", 10)]
        read = project.manage(
            "shell", "-c", "from shop.models import Tag; print(Tag.objects.count())"
        )
        assert read.stdout.strip().endswith("0")
    elif line == "$ python manage.py migrate":
        if list((project.root / "shop" / "migrations").glob("0004_merge*.py")):
            assert "Applying shop.0004_merge" in out
            assert project.log("main")[0]["message"].startswith("migrate: shop.0004_merge")
        elif project.sql("SELECT to_regclass('public.shop_tag')")[0][0]:
            assert "No migrations to apply" in out, "merged: nothing left to apply"
        else:
            assert "pggit: [main " in out
    elif line == "$ python manage.py pggit_branch create feature/stock --with-data":
        # main writes after the branch point: invisible to the branch
        project.sql("INSERT INTO shop_item (name, price) VALUES ('cap', 1)")
        project.sql("UPDATE shop_item SET price = 11 WHERE name = 'ink'")
    elif line == "$ PGGIT_BRANCH=feature/stock python manage.py migrate shop":
        assert "Applying shop.0005_item_stock... OK" in out
        assert project.sql(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = 'shop_item' ORDER BY ordinal_position"
        ) == [("id",), ("name",), ("price",)], "main's table is unchanged"
        assert project.sql("SELECT name, price FROM shop_item ORDER BY id") == [
            ("pen", 6),
            ("ink", 11),
            ("cap", 1),
        ], "main's rows are unchanged"
    elif line.startswith("$ PGGIT_BRANCH=feature/stock python manage.py shell"):
        # main's rows with the new columns: the default's value, the data migration's values
        assert out.strip().splitlines()[-1] == "[('pen', 10, 'restocked'), ('ink', 1, None)]"
        read = project.manage(
            "shell",
            "-c",
            "from shop.models import Item; ink = Item.objects.get(name='ink');"
            " print(ink.price, ink.label, Item.objects.filter(name='cap').exists())",
            branch="feature/stock",
        )
        # the nullable field with a default: its value for main's rows; main's later writes
        # (ink's price, the row cap) are not the branch's
        assert read.stdout.strip().endswith("10 plain False"), read.stdout
    elif line == "$ python manage.py pggit_merge feature/stock":
        assert project.sql("SELECT name, price, stock, note, label FROM shop_item ORDER BY id") == [
            ("pen", 6, 10, "restocked", "plain"),
            ("ink", 11, 1, None, "plain"),
            ("cap", 1, 1, None, "plain"),
        ]
        assert project.sql(
            "SELECT is_nullable, column_default FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name = 'shop_item' AND column_name = 'stock'"
        ) == [("NO", None)], "NOT NULL as Django made it, main's rows filled"
        assert project.sql("SELECT to_regclass('public.shop_item_stock_idx') IS NOT NULL") == [
            (True,)
        ]
    elif line == "$ python manage.py migrate shop":
        assert "No migrations to apply" in out, "merged: nothing left to apply"
        read = project.manage(
            "shell",
            "-c",
            "from shop.models import Item;"
            " print(list(Item.objects.order_by('id').values_list('stock', 'note')))",
        )
        assert read.stdout.strip().endswith("[(10, 'restocked'), (1, None), (1, None)]")


@pytest.mark.django_db
class TestCreateBranchWithData:
    def test_the_branch_reads_the_sources_rows_and_writes_only_its_own(self, unique, table):
        from pggit import api
        from pggit.models import Branch, DataBranch
        from tests.helpers import run, sql_scalar

        run(f"INSERT INTO {table} VALUES (1, 'a', 1), (2, 'b', 2)")
        name = unique("wd")
        branch = api.create_branch(name, data=[table])
        view = DataBranch.objects.get(branch=branch, table_name=table, status="ACTIVE").view_name
        run(f"UPDATE {view} SET qty = 10 WHERE id = 1", f"INSERT INTO {view} VALUES (3, 'c', 3)")
        assert sql_scalar(f"SELECT sum(qty) FROM {view}") == 15
        assert sql_scalar(f"SELECT sum(qty) FROM {table}") == 3
        assert Branch.objects.get(pk=branch.pk).name == name

    @pytest.mark.parametrize(
        "data, error, said",
        [
            ("some", "InvalidArgument", "not 'some'"),
            ([], "InvalidArgument", "not []"),
            (["nope_missing"], "TableNotFound", "table nope_missing does not exist"),
            (["pggit.branches"], "SchemaNotTracked", "schema pggit is not tracked"),
            (["x.y.z"], "InvalidTableName", "invalid table name 'x.y.z'"),
            ([None], "InvalidTableName", "table name must be a string"),
        ],
    )
    def test_bad_data_creates_nothing(self, unique, table, data, error, said):
        from pggit import api, exceptions
        from tests.helpers import snapshot_counts

        before = snapshot_counts()
        with pytest.raises(getattr(exceptions, error)) as info:
            api.create_branch(
                unique("bad"), data=[table, *data] if isinstance(data, list) and data else data
            )
        assert said in str(info.value)
        assert snapshot_counts() == before

    def test_sql_untracked_schema_is_pgt06(self, unique):
        from tests.helpers import sql_error

        error = sql_error(
            "SELECT pggit.create_branch_with_data(%s, 'main', ARRAY['nowhere.t'])", [unique("u")]
        )
        assert error.sqlstate == "PGT06"
