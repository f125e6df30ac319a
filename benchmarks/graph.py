"""The commit graph in the admin: how long its pages take to render with 50 branches and
10,000 commits (with merges), next to the plain commit changelist of the same database.

The scratch database is migrated by Django (the test project: pggit, auth, admin), so the
pages are the real admin views, rendered in this process by Django's test client as a logged-in
superuser: the time is the whole request (the one ``pggit.graph()`` query, the layout, the
SVG, the template), the same as the changelist's. Figures are medians of alternating runs.

Goal: every graph page (the first and the last of all branches, main's branch page, a commit's
page) renders in < 300 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable

import psycopg
from psycopg.conninfo import conninfo_to_dict

from benchmarks.harness import ROOT, Bench, Figure, judge, progress

BRANCHES = 50
COMMITS = 10_000
MERGE_EVERY = 50  # a branch merged into main every this many commits
TARGET_MS = 300


def build_history(conn: psycopg.Connection, commits: int) -> None:
    """BRANCHES live branches (created from main as it moves), commits spread over them and
    main, and a merge into main every MERGE_EVERY commits: the shape the graph draws."""
    conn.execute("SELECT pggit.commit_changes('main', 'base')")
    conn.execute(f"""DO $$
    DECLARE v_branch text; v_n int := 0;
    BEGIN
        FOR i IN 1..{commits} LOOP
            v_branch := CASE WHEN i % {BRANCHES + 1} = 0 THEN 'main'
                             ELSE 'graph/b' || i % {BRANCHES + 1} END;
            IF i % {MERGE_EVERY} = 0 AND v_branch <> 'main' THEN
                PERFORM * FROM pggit.merge(v_branch, 'main', 'Merge ' || v_branch);
            ELSE
                PERFORM pggit.commit_changes(v_branch, 'commit ' || i);
            END IF;
        END LOOP;
    END $$""")


def _django(dbname: str, server: str) -> Callable[[str], float]:
    """Django set up on ``dbname`` (migrated, a superuser logged in): a function that times one
    GET of an admin path, in seconds."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")
    from django.conf import settings

    params = conninfo_to_dict(server)
    settings.DATABASES["default"].update(
        NAME=dbname,
        USER=params.get("user") or "",
        PASSWORD=params.get("password") or "",
        HOST=params.get("host") or "",
        PORT=params.get("port") or "",
    )
    settings.DEBUG = False  # no query log: the page's cost, not the debug tooling's
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench")
    client = Client()
    client.force_login(user)

    def get(path: str) -> float:
        start = time.perf_counter()
        response = client.get(path)
        spent = time.perf_counter() - start
        assert response.status_code == 200, (path, response.status_code)
        return spent

    return get


def run(bench: Bench) -> None:
    commits = 2_000 if bench.quick else COMMITS
    repetitions = 7 if bench.quick else 15
    dbname = f"{bench.dbname}_graph"
    with bench.database(dbname, with_core=False):
        get = _django(dbname, bench.server)
        from django.db import connection

        from pggit.models import Branch, Commit

        with bench.connect(dbname) as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute("SET jit = off")  # building is setup, not measured
            progress(f"building history: {BRANCHES} branches, {commits:,} commits with merges")
            start = time.perf_counter()
            for i in range(1, BRANCHES + 1):
                conn.execute("SELECT pggit.create_branch(%s)", [f"graph/b{i}"])
            build_history(conn, commits)
            conn.execute("VACUUM ANALYZE")
            progress(f"history built in {time.perf_counter() - start:.0f} s")
        from pggit import api
        from pggit.graph import layout

        first = api.graph()
        lanes = layout(first.commits, first.incoming, "main").width
        progress(f"first page of the graph: {len(first.commits)} commits in {lanes} lanes")
        total = Commit.objects.count()
        merges = Commit.objects.filter(merge_parent__isnull=False).count()
        last_page = -(-total // 50)
        main = Branch.objects.get(name="main", status__in=["ACTIVE", "MERGED"]).pk
        middle = Commit.objects.order_by("id")[total // 2].pk
        pages = [
            ("graph of all branches, first page", "/admin/pggit/commit/graph/"),
            ("graph of all branches, last page", f"/admin/pggit/commit/graph/?page={last_page}"),
            (
                "graph of main's history, last page",
                f"/admin/pggit/commit/graph/?branch=main&page={last_page}",
            ),
            ("branch page of main (graph of its history)", f"/admin/pggit/branch/{main}/change/"),
            (
                "commit page (graph page holding the commit)",
                f"/admin/pggit/commit/{middle}/change/",
            ),
        ]
        baseline_path = "/admin/pggit/commit/"
        times: dict[str, list[float]] = {path: [] for _, path in pages}
        times[baseline_path] = []
        for path in times:  # warm-up: plans, template loading
            get(path)
        for r in range(repetitions):
            order = list(times) if r % 2 == 0 else list(reversed(times))
            for path in order:
                times[path].append(get(path))
        connection.close()
        baseline = statistics.median(times[baseline_path]) * 1000
        for name, path in pages:
            figure = bench.record(
                Figure(
                    f"admin {name}, {BRANCHES} branches, {total:,} commits",
                    statistics.median(times[path]) * 1000,
                    "ms",
                    baseline,
                    "plain commit changelist",
                    extra={"commits": total, "merges": merges, "lanes": lanes, "path": path},
                )
            )
            judge(figure, figure.value < TARGET_MS, f"< {TARGET_MS} ms")
