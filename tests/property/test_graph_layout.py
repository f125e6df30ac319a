"""Laws of the commit graph's layout (pggit/graph.py), on random histories shaped as pggit's
are: ids grow, every parent is older than its child, a merge has a second parent, several
roots are possible (a branch's first commit on an empty main). Pure Python: no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pggit.graph import GraphCommit, Layout, Segment, layout, text_graph

BRANCHES = ["main", "feature/a", "feature/b", "fix", "x"]


@st.composite
def histories(draw, max_commits: int = 40) -> list[GraphCommit]:
    """Commits newest first, as pggit.graph() returns them."""
    n = draw(st.integers(1, max_commits))
    commits: list[GraphCommit] = []
    for i in range(n):
        parents: tuple[str, ...] = ()
        if i and draw(st.integers(0, 9)):  # now and then a new root
            first = draw(st.integers(max(0, i - 8), i - 1))  # mostly recent, like real work
            parents = (f"c{first}",)
            if i > 1 and draw(st.integers(0, 3)) == 0:
                second = draw(st.integers(0, i - 1))
                if second != first:
                    parents += (f"c{second}",)
        commits.append(GraphCommit(i + 1, f"c{i}", parents, draw(st.sampled_from(BRANCHES))))
    return commits[::-1]


def by_row(placed: Layout) -> dict[int, list[Segment]]:
    rows: dict[int, list[Segment]] = {}
    for s in placed.segments:
        rows.setdefault(s.row, []).append(s)
    return rows


def trace(placed: Layout, row: int, lane: int, target: str) -> tuple[int, int]:
    """Follow the edge to ``target`` from (row, lane) down to its end: (row, lane) of the
    target's node, or (len(rows), lane) when it leaves the page at the bottom."""
    segments = by_row(placed)
    rows = len(placed.rows)
    while True:
        step = [s for s in segments.get(row, []) if s.from_lane == lane and s.target == target]
        assert len(step) == 1, f"edge to {target} broken at row {row}, lane {lane}: {step}"
        row, lane = row + 1, step[0].to_lane
        if row == rows or placed.rows[row].commit.hash == target:
            return row, lane


def check_laws(placed: Layout, commits: list[GraphCommit]) -> None:
    # each commit on exactly one row, in the order given, in a lane of the layout
    assert [r.commit for r in placed.rows] == commits
    assert all(0 <= r.lane < placed.width for r in placed.rows)
    row_of = {c.hash: i for i, c in enumerate(commits)}
    segments = by_row(placed)
    # every parent edge drawn: from the child's node to the parent's, or off the bottom
    for i, row in enumerate(placed.rows):
        for parent in row.commit.parents:
            end_row, end_lane = trace(placed, i, row.lane, parent)
            if parent in row_of:
                assert (end_row, end_lane) == (row_of[parent], placed.rows[row_of[parent]].lane)
            else:
                assert end_row == len(commits)
    for i, row in enumerate(placed.rows):
        # a lane never crosses a node: only edges into the commit end on it ...
        into = [s for s in segments.get(i - 1, []) if s.to_lane == row.lane]
        assert all(s.target == row.commit.hash for s in into), into
        # ... and only the commit's own edges leave it
        out = [s for s in segments.get(i, []) if s.from_lane == row.lane]
        assert all(s.target in row.commit.parents for s in out), out
        # lanes are continuous: a segment starts at the node or where one of row i - 1 ended
        ended = {(s.to_lane, s.target) for s in segments.get(i - 1, [])}
        for s in segments.get(i, []):
            assert s.from_lane == row.lane or (s.from_lane, s.target) in ended, s
        # no two lines run in one lane between two rows
        lanes = [s.to_lane for s in segments.get(i, [])]
        targets = {s.to_lane: s.target for s in segments.get(i, [])}
        assert len(set(lanes)) == len(targets)
        assert all(s.target == targets[s.to_lane] for s in segments.get(i, []))
    # edges join consecutive rows only
    assert all(-1 <= s.row < len(commits) for s in placed.segments)


@given(histories(), st.sampled_from([None, *BRANCHES]), st.booleans())
def test_layout_laws_hold_on_one_page(commits, prefer, reserve):
    placed = layout(commits, prefer_branch=prefer, reserve=reserve)
    check_laws(placed, commits)
    first = next((r for r in placed.rows if r.commit.branch == prefer), None)
    if reserve and first is not None:
        assert first.lane == 0, "the preferred branch's newest commit takes the first lane"


@given(histories(), st.data())
def test_page_boundaries_keep_every_edge(commits, data):
    """Cut the history into two pages: every edge from the first page into the second (or
    below it) enters the second page from the top and reaches its parent."""
    cut = data.draw(st.integers(0, len(commits) - 1))
    above, page = commits[:cut], commits[cut:]
    on_or_below = {c.hash for c in page} | {
        p for c in commits for p in c.parents if p not in {a.hash for a in above}
    }
    incoming = [
        GraphCommit(c.id, c.hash, tuple(p for p in c.parents if p in on_or_below), c.branch)
        for c in above
        if any(p in on_or_below for p in c.parents)
    ]
    placed = layout(
        page,
        incoming,
        prefer_branch=data.draw(st.sampled_from(BRANCHES)),
        reserve=data.draw(st.booleans()),
    )
    check_laws(placed, page)
    row_of = {c.hash: i for i, c in enumerate(page)}
    entering = {(s.from_lane, s.target) for s in placed.segments if s.row == -1}
    crossing = {p for c in incoming for p in c.parents}
    assert {target for _, target in entering} == crossing
    for lane, target in entering:
        end_row, end_lane = trace(placed, -1, lane, target)
        if target in row_of:
            assert (end_row, end_lane) == (row_of[target], placed.rows[row_of[target]].lane)
        else:
            assert end_row == len(page)
    # and the first page sends each of those edges out of its bottom
    if above:
        first = layout(above)
        leaving = {s.target for s in first.segments if s.row == len(above) - 1}
        assert crossing <= leaving


@given(histories())
def test_text_graph_puts_each_commit_on_its_lane(commits):
    placed = layout(commits)
    lines = text_graph(placed, lambda c: [f"<{c.hash}>"])
    node_lines = [line for line in lines if "<" in line]
    assert len(node_lines) == len(commits)
    for line, row in zip(node_lines, placed.rows, strict=True):
        graph = line[: line.index("<")]
        assert graph.count("*") == 1 and graph.index("*") == 2 * row.lane
        assert line.endswith(f"<{row.commit.hash}>")
    assert all(set(line.split("<")[0]) <= set("*|/\\X ") for line in lines)


def test_a_merge_of_two_branches_draws_as_git_does():
    c = [
        GraphCommit(5, "m", ("c", "f"), "main", heads=("main",)),
        GraphCommit(4, "c", ("b",), "main"),
        GraphCommit(3, "f", ("b",), "feature", heads=("feature",)),
        GraphCommit(2, "b", ("a",), "main"),
        GraphCommit(1, "a", (), "main"),
    ]
    lines = text_graph(layout(c), lambda commit: [commit.hash])
    assert lines == ["*   m", "|\\", "* | c", "| * f", "|/", "* b", "* a"]


@given(histories())
def test_each_segment_is_drawn_once(commits):
    segments = [(s.row, s.from_lane, s.to_lane) for s in layout(commits).segments]
    assert len(segments) == len(set(segments))
