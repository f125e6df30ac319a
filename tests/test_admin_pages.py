"""Admin pages added by the schema, merge and data-branch features (through HTTP)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pggit import api
from pggit.models import Branch
from tests.helpers import ident, run
from tests.helpers import page_text as text

pytestmark = pytest.mark.django_db


def test_commit_page_shows_changed_objects_ddl_and_diff(admin_client, unique):
    t = ident("adm", unique)
    api.commit("before")
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
    api.commit("create")
    run(f"ALTER TABLE {t} ADD COLUMN price numeric(8,2)")
    commit = api.commit("add price")
    page = admin_client.get(reverse("admin:pggit_commit_change", args=[commit.pk]))
    assert page.status_code == 200
    html = text(page)
    assert f"table:public.{t}" in html and "column price added" in html
    assert f"ALTER TABLE {t} ADD COLUMN price numeric(8,2)" in html  # captured DDL
    assert f"ALTER TABLE {t} ADD COLUMN price numeric(8,2);" in html  # diff against the parent
    assert commit.message in html and commit.author in html


def test_branch_page_lists_data_branches_with_change_counts(admin_client, unique):
    t = ident("admd", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY, v int)", f"INSERT INTO {t} VALUES (1, 1), (2, 2)")
    api.commit("rows")
    branch = unique("admd")
    view = api.create_data_branch(t, "main", branch)
    run(f"UPDATE {view} SET v = 9 WHERE id = 1", f"DELETE FROM {view} WHERE id = 2")
    pk = Branch.objects.get(name=branch, status="ACTIVE").pk
    page = admin_client.get(reverse("admin:pggit_branch_change", args=[pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert view in html
    row = html[html.index(view) : html.index("</tr>", html.index(view))]
    assert "<td>1</td><td>1</td><td>0</td>" in row.replace("\n", "").replace(" ", "")


def test_data_branch_admin_is_read_only(admin_client):
    assert admin_client.get(reverse("admin:pggit_databranch_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:pggit_databranch_add")).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(reverse("admin:pggit_commit_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("name", ["pggit_branch", "pggit_commit", "pggit_databranch"])
def test_changelists_load_for_a_superuser(admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_branch_and_commit_detail_pages(admin_client, unique):
    branch = unique("page")
    commit = api.commit("on a page", branch=branch)
    pk = Branch.objects.get(name=branch, status="ACTIVE").pk
    page = admin_client.get(reverse("admin:pggit_branch_change", args=[pk]))
    assert page.status_code == 200 and commit.short_hash in page.content.decode()
    page = admin_client.get(reverse("admin:pggit_commit_change", args=[commit.pk]))
    assert page.status_code == 200 and "on a page" in page.content.decode()


def test_branch_search_and_status_filter(admin_client, unique):
    name = unique("findme")
    api.create_branch(name)
    found = admin_client.get(reverse("admin:pggit_branch_changelist"), {"q": name}).content.decode()
    assert name in found
    deleted = admin_client.get(
        reverse("admin:pggit_branch_changelist"), {"status__exact": "DELETED"}
    )
    assert name not in deleted.content.decode()


@pytest.mark.parametrize("url", ["admin:pggit_branch_add", "admin:pggit_commit_add"])
def test_history_cannot_be_added_through_the_admin(admin_client, url):
    assert admin_client.get(reverse(url)).status_code == 403


@pytest.mark.parametrize("name", ["pggit_branch", "pggit_commit"])
def test_anonymous_changelists_redirect_to_login(client, name):
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_object_page_shows_the_object_history_with_each_change_ddl(admin_client, unique):
    t = ident("admo", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
    created = api.commit("create")
    run(f"ALTER TABLE {t} ADD COLUMN price numeric(8,2)")
    changed = api.commit("add price")
    key = f"table:public.{t}"
    commit_page = admin_client.get(reverse("admin:pggit_commit_change", args=[changed.pk]))
    object_url = reverse("admin:pggit_commit_object", args=[changed.pk, key])
    assert object_url in commit_page.content.decode()  # reachable from the commit's page
    page = admin_client.get(object_url)
    assert page.status_code == 200
    html = text(page)
    assert html.index("add price") < html.index("create")  # newest first
    assert "1.1.0" in html and "1.0.0" in html and "column price added" in html
    assert f"ALTER TABLE {t} ADD COLUMN price numeric(8,2);" in html  # the change's diff
    assert f"CREATE TABLE {t} (" in html
    old = admin_client.get(reverse("admin:pggit_commit_object", args=[created.pk, key]))
    assert old.status_code == 200 and "price" not in text(old).split("History on branch")[0]


def test_object_page_of_an_unknown_or_malformed_key_is_not_found(admin_client, unique):
    commit = api.commit("any")
    for key in ["table:public.no_such_table", "nonsense"]:
        url = reverse("admin:pggit_commit_object", args=[commit.pk, key])
        assert admin_client.get(url).status_code == 404


def test_object_page_needs_a_login(client):
    commit = api.commit("any")
    url = reverse("admin:pggit_commit_object", args=[commit.pk, "table:public.x"])
    assert client.get(url).status_code == 302


def test_object_page_pages_a_long_history(admin_client, unique):
    t = ident("admp", unique)
    run(f"CREATE TABLE {t} (id int PRIMARY KEY)")
    api.commit("create")
    for n in range(26):
        run(f"ALTER TABLE {t} ADD COLUMN c{n} int")
        last = api.commit(f"column {n}")
    url = reverse("admin:pggit_commit_object", args=[last.pk, f"table:public.{t}"])
    first = text(admin_client.get(url))
    assert "page 1 of 2 (27 changes)" in first and "column 25" in first and "create" not in first
    second = text(admin_client.get(url + "?page=2"))
    assert "page 2 of 2" in second and "CREATE TABLE" in second and "column 25" not in second
