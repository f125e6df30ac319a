"""Admin branch actions through HTTP: create, delete, merge with preview, conflict resolution;
permissions (no button without one, 403 on the URL); ahead/behind, search, paginated history."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from pggit import api
from pggit.admin import COMMITS_PER_PAGE
from pggit.models import Branch, Merge
from tests.helpers import committed_table, on_branch, run, sql_scalar, table_columns
from tests.helpers import page_text as text

pytestmark = pytest.mark.django_db


def staff(*permissions: str) -> Client:
    user = User.objects.create_user(f"staff{User.objects.count()}", password="x", is_staff=True)
    codenames = ["view_branch", "view_commit", *permissions]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="pggit", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client


def live(name: str) -> Branch:
    return Branch.objects.get(name=name, status="ACTIVE")


@pytest.fixture
def table(unique):
    return committed_table(unique, "aa", "(id int PRIMARY KEY, name text)")


def test_custom_permissions_exist_and_replace_add_change_delete():
    codenames = set(
        Permission.objects.filter(
            content_type__app_label="pggit", content_type__model="branch"
        ).values_list("codename", flat=True)
    )
    assert codenames == {"view_branch", "create_branch", "delete_branch", "merge_branch"}


# --- permissions ---------------------------------------------------------------------------


def test_viewer_sees_no_action_button_and_gets_403_on_every_action_url(unique):
    name = unique("perm")
    api.create_branch(name)
    pk = live(name).pk
    viewer = staff()
    changelist = viewer.get(reverse("admin:pggit_branch_changelist")).content.decode()
    page = viewer.get(reverse("admin:pggit_branch_change", args=[pk])).content.decode()
    assert 'id="pggit-create-branch"' not in changelist
    assert 'id="pggit-merge"' not in page and 'id="pggit-delete"' not in page
    for url in (
        reverse("admin:pggit_branch_create"),
        reverse("admin:pggit_branch_delete_branch", args=[pk]),
        reverse("admin:pggit_branch_merge", args=[pk]),
    ):
        assert viewer.get(url).status_code == 403
        assert (
            viewer.post(
                url, {"name": "x", "from_branch": "main", "target": "main", "force": "on"}
            ).status_code
            == 403
        )
    assert live(name).status == "ACTIVE", "a refused POST changed nothing"
    assert not Branch.objects.filter(name="x").exists()


def test_each_permission_unlocks_only_its_own_action(unique):
    name = unique("perm1")
    api.create_branch(name)
    pk = live(name).pk
    creator, deleter, merger = staff("create_branch"), staff("delete_branch"), staff("merge_branch")
    assert (
        'id="pggit-create-branch"'
        in creator.get(reverse("admin:pggit_branch_changelist")).content.decode()
    )
    assert creator.get(reverse("admin:pggit_branch_create")).status_code == 200
    assert creator.get(reverse("admin:pggit_branch_merge", args=[pk])).status_code == 403
    page = deleter.get(reverse("admin:pggit_branch_change", args=[pk])).content.decode()
    assert 'id="pggit-delete"' in page and 'id="pggit-merge"' not in page
    assert deleter.get(reverse("admin:pggit_branch_delete_branch", args=[pk])).status_code == 200
    assert deleter.get(reverse("admin:pggit_branch_create")).status_code == 403
    page = merger.get(reverse("admin:pggit_branch_change", args=[pk])).content.decode()
    assert 'id="pggit-merge"' in page and 'id="pggit-delete"' not in page
    assert merger.get(reverse("admin:pggit_branch_merge", args=[pk])).status_code == 200


def test_main_offers_no_delete_and_its_delete_url_refuses():
    main = live("main")
    client = staff("delete_branch")
    assert (
        "pggit-delete"
        not in client.get(reverse("admin:pggit_branch_change", args=[main.pk])).content.decode()
    )
    response = client.post(
        reverse("admin:pggit_branch_delete_branch", args=[main.pk]), {"force": "on"}
    )
    assert response.status_code == 200 and "protected" in text(response)
    assert live("main").status == "ACTIVE"


# --- create --------------------------------------------------------------------------------


def test_create_branch_through_the_admin(unique):
    api.commit("clean main")
    client = staff("create_branch")
    name = unique("feature/adm")
    response = client.post(
        reverse("admin:pggit_branch_create"), {"name": name, "from_branch": "main"}
    )
    branch = live(name)
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:pggit_branch_change", args=[branch.pk]
    )
    assert branch.base_id == live("main").head_id
    follow = client.get(response["Location"])
    assert f"Branch '{name}' created" in text(follow)


@pytest.mark.parametrize("bad", ['bad"; DROP TABLE canary; --', "x" * 300, "main"])
def test_create_branch_refuses_bad_names_on_the_form(unique, bad):
    run("CREATE TABLE IF NOT EXISTS canary (id int)")
    before = Branch.objects.count()
    response = staff("create_branch").post(
        reverse("admin:pggit_branch_create"), {"name": bad, "from_branch": "main"}
    )
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert Branch.objects.count() == before
    assert sql_scalar("SELECT to_regclass('canary') IS NOT NULL")


# --- delete --------------------------------------------------------------------------------


def test_delete_lists_unmerged_commits_and_needs_force(unique):
    api.commit("clean main")
    name = unique("del")
    api.create_branch(name)
    work = api.commit("work only here", branch=name)
    pk = live(name).pk
    client = staff("delete_branch")
    url = reverse("admin:pggit_branch_delete_branch", args=[pk])
    page = client.get(url)
    assert "1 unmerged commit" in text(page) and work.short_hash in text(page)
    refused = client.post(url, {})
    assert refused.status_code == 200 and "not merged" in text(refused)
    assert live(name).status == "ACTIVE"
    done = client.post(url, {"force": "on"})
    assert done.status_code == 302 and done["Location"] == reverse("admin:pggit_branch_changelist")
    assert Branch.objects.get(pk=pk).status == "DELETED"
    assert client.get(url).status_code == 404, "a deleted branch has no delete page"


# --- merge ---------------------------------------------------------------------------------


def test_merge_page_previews_then_merges(unique, table):
    name = unique("mrg")
    api.create_branch(name)
    on_branch(name, f"ALTER TABLE {table} ADD COLUMN price numeric(8,2)", message="price")
    client = staff("merge_branch")
    url = reverse("admin:pggit_branch_merge", args=[live(name).pk])
    page = client.get(url)
    body = text(page)
    assert "Preview: fast-forward" in body
    assert f"table:public.{table}" in body
    assert f"ALTER TABLE {table} ADD COLUMN price numeric(8,2);" in body
    assert 'class="pggit-sql"' in page.content.decode() and "<span" in page.content.decode(), (
        "highlighted"
    )
    assert "price" not in table_columns("public", table), "a preview applies nothing"
    done = client.post(url, {"target": "main", "message": ""})
    assert done.status_code == 302
    assert "price" in table_columns("public", table)
    assert Branch.objects.filter(name=name).latest("id").status == "MERGED"


def test_merge_with_conflicts_goes_to_resolution_and_completes(unique, table):
    name = unique("cfl")
    api.create_branch(name)
    on_branch(name, f"ALTER TABLE {table} ALTER COLUMN name TYPE varchar(10)", message="theirs")
    run(f"ALTER TABLE {table} ALTER COLUMN name TYPE varchar(20)")
    api.commit("ours")
    client = staff("merge_branch")
    url = reverse("admin:pggit_branch_merge", args=[live(name).pk])
    assert "1 conflict" in text(client.get(url))
    response = client.post(url, {"target": "main"})
    merge = Merge.objects.filter(source_branch__name=name).latest("id")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:pggit_branch_conflicts", args=[merge.pk])
    page = client.get(response["Location"])
    assert f"table:public.{table}" in text(page) and "modify/modify" in text(page)
    # a custom resolution without DDL is refused on the form; nothing is resolved
    refused = client.post(
        response["Location"], {"object_key": f"table:public.{table}", "resolution": "custom"}
    )
    assert refused.status_code == 200 and "Give the DDL" in text(refused)
    done = client.post(
        response["Location"], {"object_key": f"table:public.{table}", "resolution": "theirs"}
    )
    merge.refresh_from_db()
    assert merge.status == "COMPLETED" and done.status_code == 302
    assert done["Location"] == reverse("admin:pggit_commit_change", args=[live("main").head.pk])
    assert (
        sql_scalar(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = %s::regclass AND attname = 'name'",
            [table],
        )
        == "character varying(10)"
    )
    assert "Status: completed" in text(client.get(response["Location"]))


def test_merge_form_names_the_target_in_the_default_message(unique):
    parent, child = unique("par"), unique("chi")
    api.create_branch(parent)
    api.create_branch(child, from_branch=parent)
    api.commit("on the child", branch=child)
    api.commit("on the parent", branch=parent)  # so the merge makes a merge commit
    client = staff("merge_branch")
    url = reverse("admin:pggit_branch_merge", args=[live(child).pk])
    default = f"Merge branch '{child}' into '{parent}'"
    page = text(client.get(url))
    assert f"Default: {default}." in page, "the parent branch is the default target"
    other = text(client.get(url, {"target": "main"}))
    assert f"Default: Merge branch '{child}' into 'main'." in other
    assert "into 'target'" not in text(client.get(url))
    done = client.post(url, {"target": parent, "message": ""})
    assert done.status_code == 302
    assert live(parent).head.message == default, "the help text shows the message a merge records"


def test_merge_error_is_shown_and_changes_nothing(unique, table):
    name = unique("unc")
    api.create_branch(name)
    api.commit("one", branch=name)
    run(f"ALTER TABLE {table} ADD COLUMN uncommitted int")  # main has uncommitted changes
    client = staff("merge_branch")
    head = live("main").head_id
    response = client.post(
        reverse("admin:pggit_branch_merge", args=[live(name).pk]), {"target": "main"}
    )
    assert response.status_code == 200 and "uncommitted changes" in text(response)
    assert live("main").head_id == head and live(name).status == "ACTIVE"


# --- list and history ----------------------------------------------------------------------


def test_changelist_shows_ahead_behind_main_and_finds_branches_by_commit_message(unique, table):
    name = unique("abl")
    api.create_branch(name)
    marker = unique("needle")
    api.commit(f"work {marker}", branch=name)
    api.commit("more", branch=name)
    run(f"CREATE TABLE {table}_b (id int)")
    api.commit("main moves on")
    client = staff()
    page = client.get(reverse("admin:pggit_branch_changelist"), {"q": marker})
    results = re.search(r'<table id="result_list">.*?</table>', page.content.decode(), re.S).group(
        0
    )
    rows = re.findall(r"<tr.*?</tr>", results, re.S)
    found = [r for r in rows if f">{name}<" in r]
    assert len(found) == 1 and len(rows) == 2, (
        "header + exactly the branch with that commit message"
    )
    assert "2 / 1" in found[0]


def test_branch_history_is_paginated(unique):
    name = unique("pages")
    api.create_branch(name)
    commits = [api.commit(f"c{i}", branch=name) for i in range(COMMITS_PER_PAGE + 3)]
    client = staff()
    url = reverse("admin:pggit_branch_change", args=[live(name).pk])

    def history(response) -> str:
        return re.search(
            r'<fieldset[^>]*id="pggit-history".*?</fieldset>', response.content.decode(), re.S
        ).group(0)

    first = history(client.get(url))
    assert commits[-1].short_hash in first and commits[0].short_hash not in first
    assert "page 1 of 2" in first
    second = history(client.get(url, {"page": 2}))
    assert commits[0].short_hash in second and commits[-1].short_hash not in second


def test_no_action_creates_a_branch_it_was_not_asked_for(unique):
    """The admin's forms offer live branches only: a posted name that is not one (a typo, a
    forged form) is refused on the form and creates nothing (issue 21)."""
    api.commit("clean main")
    source = unique("feature/src")
    api.create_branch(source)
    ghost = unique("ghost")
    client = staff("create_branch", "merge_branch")
    before = Branch.objects.count()
    created = client.post(
        reverse("admin:pggit_branch_create"), {"name": unique("feature/n"), "from_branch": ghost}
    )
    merged = client.post(
        reverse("admin:pggit_branch_merge", args=[live(source).pk]), {"target": ghost}
    )
    for response in (created, merged):
        assert response.status_code == 200
        assert f"{ghost} is not one of the available choices" in text(response)
    assert Branch.objects.count() == before
    assert not Branch.objects.filter(name=ghost).exists()
