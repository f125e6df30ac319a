"""The commit graph: ``pggit.graph()`` (one page, its boundary edges, branch heads),
``pggit_log --graph`` against real histories with merges (and against Git's own drawing of
the same history), and the admin's graph pages through HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import psycopg
import pytest
from django.urls import reverse

from pggit import api
from pggit.exceptions import BranchNotFound, InvalidArgument, InvalidBranchName
from pggit.graph import layout
from pggit.models import Branch
from tests.helpers import ScratchDatabase, cmd, page_text, sql_error, user_error

GIT_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def install(db: ScratchDatabase) -> psycopg.Connection:
    """The core installed in a scratch database (what migrate pggit runs), a connection."""
    from pggit.operations import install_statements

    conn = db.connect(autocommit=True)
    with conn.transaction():
        for statement in install_statements():
            conn.execute(statement)
    return conn


def story(conn: psycopg.Connection) -> None:
    """Two feature branches, merged back at different times, one after merging main into it."""
    sql = conn.execute
    sql("SELECT pggit.commit_changes('main', 'base')")
    sql("SELECT pggit.create_branch('feature/a')")
    sql("SELECT pggit.create_branch('feature/b')")
    sql("SELECT pggit.commit_changes('feature/a', 'a one')")
    sql("SELECT pggit.commit_changes('main', 'main one')")
    sql("SELECT pggit.commit_changes('feature/b', 'b one')")
    sql("SELECT pggit.commit_changes('feature/a', 'a two')")
    sql("SELECT * FROM pggit.merge('feature/a', 'main', 'Merge feature/a')")
    sql("SELECT pggit.commit_changes('feature/b', 'b two')")
    sql("SELECT * FROM pggit.merge('main', 'feature/b', 'Merge main into feature/b')")
    sql("SELECT pggit.commit_changes('main', 'main two')")
    sql("SELECT * FROM pggit.merge('feature/b', 'main', 'Merge feature/b')")
    sql("SELECT pggit.create_branch('fix')")
    sql("SELECT pggit.commit_changes('fix', 'fix one')")


def fork_and_merge(conn: psycopg.Connection) -> None:
    """The everyday shape: a feature branch forks, both sides move, it merges back; a fix
    branch forks later and is not merged yet."""
    sql = conn.execute
    sql("SELECT pggit.commit_changes('main', 'base')")
    sql("SELECT pggit.create_branch('feature/a')")
    sql("SELECT pggit.commit_changes('feature/a', 'a one')")
    sql("SELECT pggit.commit_changes('main', 'main one')")
    sql("SELECT pggit.commit_changes('feature/a', 'a two')")
    sql("SELECT * FROM pggit.merge('feature/a', 'main', 'Merge feature/a')")
    sql("SELECT pggit.create_branch('fix')")
    sql("SELECT pggit.commit_changes('fix', 'fix one')")
    sql("SELECT pggit.commit_changes('main', 'main two')")


def git_mirror(conn: psycopg.Connection, where: Path) -> None:
    """The same history as a Git repository: one empty-tree commit per pggit commit, same
    parents, same message, committer dates in commit order; a ref per live branch."""

    def git(*args: str, env: dict | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=where,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
        return done.stdout.strip()

    git("init", "-q", "-b", "main")
    mirrored: dict[str, str] = {}
    rows = conn.execute(
        "SELECT hash, parent_hash, merge_parent_hash, message FROM pggit.commits ORDER BY id"
    ).fetchall()
    for n, (hash_, parent, merge_parent, message) in enumerate(rows):
        parents = [x for p in (parent, merge_parent) if p for x in ("-p", mirrored[p])]
        date = f"{1_700_000_000 + n * 60} +0000"
        mirrored[hash_] = git(
            "commit-tree",
            GIT_EMPTY_TREE,
            *parents,
            "-m",
            message,
            env={
                "GIT_AUTHOR_DATE": date,
                "GIT_COMMITTER_DATE": date,
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@t",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@t",
            },
        )
    for name, head in conn.execute(
        "SELECT name, head_hash FROM pggit.branches WHERE status <> 'DELETED'"
    ):
        git("update-ref", f"refs/heads/{name}", mirrored[head])


def shape(lines: str) -> list[str]:
    """Graph and subject only: hashes and branch decorations taken out, trailing space cut."""
    out = []
    for line in lines.splitlines():
        line = re.sub(r"[0-9a-f]{12} (\([^)]*\) )?", "", line)
        if not line.startswith("(page "):
            out.append(line.rstrip())
    return out


def test_pggit_log_graph_draws_a_real_history_as_git_log_graph_does(scratch_database, tmp_path):
    with install(scratch_database) as conn:
        fork_and_merge(conn)
        git_mirror(conn, tmp_path)
    for args, git_args in (
        (["--branch", "main"], ["main"]),
        (["--all"], ["--all"]),
        (["--branch", "fix"], ["fix"]),
    ):
        ours = scratch_database.manage("pggit_log", "--graph", "--oneline", *args)
        assert ours.returncode == 0, ours.stderr
        theirs = subprocess.run(
            ["git", "log", "--graph", "--date-order", "--format=%s", *git_args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert shape(ours.stdout) == shape(theirs), f"ours:\n{ours.stdout}\ngit:\n{theirs}"
    drawn = scratch_database.manage("pggit_log", "--graph", "--oneline", "--all").stdout
    assert [re.sub(r"[0-9a-f]{12} ", "", line) for line in drawn.splitlines()] == [
        "* (HEAD -> main) main two",
        "| * (fix) fix one",
        "|/",
        "*   Merge feature/a",
        "|\\",
        "| * (feature/a) a two",
        "* | main one",
        "| * a one",
        "|/",
        "* base",
    ]


def test_pggit_log_graph_draws_interleaved_merges_in_shared_lanes(scratch_database):
    """Merges both ways between long-lived branches: every commit once, each merge's second
    parent reached by an edge (Git opens a column and folds it back over extra lines; the
    shared layout joins the lane that already waits for the parent)."""
    with install(scratch_database) as conn:
        story(conn)
    drawn = scratch_database.manage("pggit_log", "--graph", "--oneline", "--all").stdout
    lines = [re.sub(r"[0-9a-f]{12} ", "", line) for line in drawn.splitlines()]
    nodes = [line for line in lines if "*" in line]
    assert len(nodes) == 11 and lines[-1] == "* base"
    assert lines[:3] == ["* (fix) fix one", "*   (HEAD -> main) Merge feature/b", "|\\"]
    assert sum("\\" in line for line in lines) >= 2  # two merges open a lane to the right
    into_b = lines.index("| * (feature/b) Merge main into feature/b")
    assert "/" in lines[into_b + 1], "main's side joins the lane already waiting for it"


def test_pggit_log_graph_full_format_and_pages(scratch_database):
    with install(scratch_database) as conn:
        story(conn)
        merge = conn.execute(
            "SELECT hash, parent_hash, merge_parent_hash FROM pggit.commits"
            " WHERE message = 'Merge feature/a'"
        ).fetchone()
    full = scratch_database.manage("pggit_log", "--graph", "--all")
    lines = full.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(f"commit {merge[0]}"))
    graph, text = lines[at + 1].split("Merge:  ")
    assert text == f"{merge[1][:12]} {merge[2][:12]}"
    assert "\\" in graph, "the merge's second parent opens a lane beside the commit's text"
    assert any(line.endswith("    Merge feature/a") for line in lines)
    # 11 commits, 5 a page: page 3 has the last one and says where it is
    paged = scratch_database.manage(
        "pggit_log", "--graph", "--oneline", "--all", "--limit", "5", "--page", "3"
    )
    assert paged.returncode == 0, paged.stderr
    assert paged.stdout.splitlines()[-1] == "(page 3 of 3; --page N for another)"
    assert paged.stdout.splitlines()[0] == "|", "an edge comes in from page 2"
    assert [line.split()[-1] for line in paged.stdout.splitlines()[1:-1] if "*" in line] == ["base"]
    as_json = json.loads(
        scratch_database.manage("pggit_log", "--graph", "--json", "--all", "--limit", "5").stdout
    )
    assert (as_json["page"], as_json["pages"], as_json["total"]) == (1, 3, 11)
    assert len(as_json["commits"]) == 5 and as_json["commits"][0]["heads"] == ["fix"]
    bad = scratch_database.manage("pggit_log", "--graph", "--page", "0")
    assert bad.returncode == 1 and bad.stderr.strip().count("\n") == 0
    assert "page must be at least 1" in bad.stderr and "Traceback" not in bad.stderr


def test_graph_pages_keep_the_edges_that_cross_them(scratch_database):
    with install(scratch_database) as conn:
        story(conn)
        everything = conn.execute(
            "SELECT hash, parent_hash, merge_parent_hash FROM pggit.commits ORDER BY id"
        ).fetchall()
        parents = {h: {p for p in (a, b) if p} for h, a, b in everything}
        seen_edges: set[tuple[str, str]] = set()
        for page in (1, 2, 3):
            rows = conn.execute("SELECT * FROM pggit.graph(NULL, %s, 5)", [page]).fetchall()
            on_page = [r for r in rows if r[0]]
            above = [r for r in rows if not r[0]]
            assert all(r[10] == 11 and r[11] == page and r[12] == "main" for r in rows)
            top = max(r[1] for r in on_page)
            assert all(r[1] > top for r in above)
            for r in on_page:
                assert {p for p in (r[3], r[4]) if p} == parents[r[2]]
                seen_edges |= {(r[2], p) for p in parents[r[2]]}
            # the commits above the page that point into it, and only those parents
            ids = {h: i for i, h in enumerate(h for h, *_ in everything)}
            for r in above:
                given = {p for p in (r[3], r[4]) if p}
                assert given and given <= parents[r[2]]
                assert all(
                    p in {x[2] for x in on_page} or ids[p] < ids[on_page[-1][2]] for p in given
                )
        assert seen_edges == {(h, p) for h, ps in parents.items() for p in ps}
        # past the last page: the last page; heads of live branches
        last = conn.execute("SELECT page_shown, hash FROM pggit.graph(NULL, 99, 5)").fetchall()
        assert {r[0] for r in last} == {3}
        heads: dict[str, list[str]] = dict(
            conn.execute(
                "SELECT message, heads FROM pggit.graph('main', 1, 50) WHERE on_page"
            ).fetchall()
        )
        assert heads["Merge feature/b"] == ["main"] and heads["a two"] == ["feature/a"]
        assert "fix one" not in heads, "fix's commit is not in main's history"
        assert conn.execute("SELECT count(*) FROM pggit.graph('fix', 1, 50)").fetchone()[0] == 11
        conn.execute("SELECT pggit.checkout('fix')")
        assert conn.execute("SELECT DISTINCT current_branch FROM pggit.graph()").fetchone() == (
            "fix",
        )


def test_a_branch_graph_walks_only_what_its_page_needs(scratch_database):
    """Page by page (one commit a page), main's graph lists exactly the commits main reaches,
    newest first, each page with the edges coming into it; total stays uncounted (NULL) until
    a page's walk reaches the root."""
    with install(scratch_database) as conn:
        story(conn)
        rows = conn.execute(
            "SELECT hash, parent_hash, merge_parent_hash FROM pggit.commits ORDER BY id DESC"
        ).fetchall()
        parents = {h: [p for p in (a, b) if p] for h, a, b in rows}
        head = conn.execute("SELECT head_hash FROM pggit.branches WHERE name = 'main'").fetchone()
        reachable, todo = set(), [head[0]]
        while todo:
            h = todo.pop()
            if h not in reachable:
                reachable.add(h)
                todo += parents[h]
        expected = [h for h, *_ in rows if h in reachable]
        shown, totals = [], []
        for page in range(1, len(expected) + 1):
            got = conn.execute("SELECT * FROM pggit.graph('main', %s, 1)", [page]).fetchall()
            on_page = [r for r in got if r[0]]
            assert len(on_page) == 1 and on_page[0][11] == page
            shown.append(on_page[0][2])
            totals.append(on_page[0][10])
            above = set(shown[:-1])
            crossing = {(child, p) for child in above for p in parents[child] if p not in above}
            assert {(r[2], p) for r in got if not r[0] for p in (r[3], r[4]) if p} == crossing
        assert shown == expected
        assert totals[0] is None, "the first page did not count the whole history"
        assert totals[-1] == len(expected)
        past = conn.execute("SELECT DISTINCT page_shown, total FROM pggit.graph('main', 99, 1)")
        assert past.fetchall() == [(len(expected), len(expected))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "call, state",
    [
        ("SELECT * FROM pggit.graph(NULL, 0)", "PGC04"),
        ("SELECT * FROM pggit.graph(NULL, 1, 1001)", "PGC04"),
        ("SELECT * FROM pggit.graph(NULL, 1, NULL)", "PGC04"),
        ("SELECT * FROM pggit.graph('no-such-branch-x')", "PGB01"),
        ("SELECT * FROM pggit.graph('bad..name')", "PGB04"),
    ],
)
def test_graph_refuses_bad_input(call, state):
    assert sql_error(call).sqlstate == state


@pytest.mark.django_db
def test_api_graph_types_and_errors(unique):
    with pytest.raises(InvalidArgument):
        api.graph(page=True)
    with pytest.raises(InvalidArgument):
        api.graph(page=0)
    with pytest.raises(InvalidBranchName):
        api.graph("a b")
    with pytest.raises(BranchNotFound):
        api.graph(unique("nope"))
    api.commit("graph api")
    branch = unique("g")
    api.create_branch(branch)
    api.commit("on g", branch=branch)
    page = api.graph(branch, page_size=3)
    assert page.branch == branch and page.page == 1 and len(page.commits) <= 3
    assert page.commits[0].message == "on g" and page.commits[0].heads == (branch,)
    assert page.commits[1].message == "graph api"
    placed = layout(page.commits, page.incoming)
    assert [r.lane for r in placed.rows[:2]] == [0, 0]


@pytest.mark.django_db
def test_pggit_log_graph_user_errors(unique):
    assert "no-such" in str(user_error("pggit_log", "--graph", "--branch", "no-such-x"))
    assert "page_size" in str(user_error("pggit_log", "--graph", "--limit", "0"))
    assert "add --graph" in str(user_error("pggit_log", "--all"))
    assert "add --graph" in str(user_error("pggit_log", "--page", "2"))
    out = cmd("pggit_log", "--graph", "--oneline", "--branch", "main", "--limit", "1")
    assert out.startswith("*") or "no commits" in out


# --- admin -------------------------------------------------------------------------------


def graph_svg(html: str) -> str:
    start = html.index("<svg xmlns")
    return html[start : html.index("</svg>", start) + 6]


@pytest.mark.django_db
def test_branch_and_commit_pages_draw_the_graph(admin_client, unique):
    api.commit("admin graph base")
    feature = unique("feature/g")
    api.create_branch(feature)
    mine = api.commit("feature work", branch=feature)
    api.commit("main work")
    merged = api.merge(feature, "main", message="Merge it")
    branch = Branch.objects.get(name="main", status__in=["ACTIVE", "MERGED"])
    page = admin_client.get(reverse("admin:pggit_branch_change", args=[branch.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    svg = graph_svg(html)
    lanes = int(re.search(r'data-lanes="(\d+)"', svg).group(1))
    assert lanes >= 2, "the merged feature had a lane of its own"
    assert svg.count('class="pggit-node') >= 4
    assert "HEAD → main" in svg and "pggit-current" in svg
    assert f">{feature}</text>" in svg  # the feature's head label
    assert "pggit-merge-node" in svg and "<script" not in graph_svg(html)
    # the commit's page: the graph page holding it, the commit highlighted
    commit_page = admin_client.get(reverse("admin:pggit_commit_change", args=[mine.pk]))
    svg = graph_svg(commit_page.content.decode())
    assert 'class="pggit-selected"' in svg and mine.short_hash in svg
    assert merged.commit_hash[:12] in svg


@pytest.mark.django_db
def test_graph_page_filters_pages_and_escapes(admin_client, unique):
    hostile = '<script>alert("x")</script> & co'
    api.commit(hostile)
    url = reverse("admin:pggit_commit_graph")
    page = admin_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert hostile not in html and "&lt;script&gt;" in graph_svg(html)
    assert "History graph" in page_text(page)
    listing = admin_client.get(reverse("admin:pggit_commit_changelist"))
    assert url in listing.content.decode()
    assert admin_client.get(url, {"branch": "no-such-x"}).status_code == 404
    assert admin_client.get(url, {"branch": "main", "page": "zz"}).status_code == 200
    only_main = admin_client.get(url, {"branch": "main"})
    assert "History of main" in page_text(only_main)


@pytest.mark.django_db
def test_graph_page_needs_view_permission(client, django_user_model):
    user = django_user_model.objects.create_user("staff-g", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:pggit_commit_graph")).status_code == 403
