"""The commit graph's layout: commits -> rows, lanes and edges, shared by the admin's SVG
(:mod:`pggit.templatetags.pggit_graph`) and ``pggit_log --graph``'s text.

Pure Python, no database: :func:`pggit.api.graph` reads one page (``pggit.graph()``, one query)
and :func:`layout` places it. The rules, Git's (``git log --graph``):

* commits come newest first, one a row; commit ids order parents before children, so every
  parent is below its children;
* a lane is a vertical line waiting for one commit (the parent of the commit above it). A commit
  sits in the leftmost lane waiting for it (lanes waiting for the same commit converge on it),
  or in the first free lane when none waits (a branch head); its first parent continues its
  lane, a merge's second parent takes the first free lane to its right (or joins the lane that
  already waits for it);
* two lanes waiting for the same commit join, into the leftmost, right after the row that made
  them (``|/`` in Git), so the graph stays as narrow as the history allows;
* edges only join consecutive rows, so a line meets no node but its own ends;
* a page's top boundary: the edges from commits above the page into it come in as lanes from
  row -1; its bottom: lanes still waiting after the last row go out to row ``len(rows)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil


@dataclass(frozen=True)
class GraphCommit:
    """One commit of a graph page. For a commit above the page, ``parents`` holds only the
    parents on or below the page (the edges crossing its top)."""

    id: int
    hash: str
    parents: tuple[str, ...]
    branch: str
    author: str = ""
    message: str = ""
    committed_at: datetime | None = None
    heads: tuple[str, ...] = ()

    @property
    def short_hash(self) -> str:
        return self.hash[:12]

    @property
    def summary(self) -> str:
        return self.message.splitlines()[0] if self.message else ""

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class GraphPage:
    """What :func:`pggit.api.graph` returns: a page of the graph and where it is."""

    commits: list[GraphCommit]  # the page, newest first
    incoming: list[GraphCommit]  # commits above the page with an edge into it, newest first
    branch: str | None  # the branch whose history this is; None: every commit
    page: int
    page_size: int
    total: int | None  # commits in the graph; None: a branch's history not walked to its root
    current_branch: str

    @property
    def num_pages(self) -> int | None:
        """How many pages there are; None when ``total`` was not counted."""
        return None if self.total is None else max(1, ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.num_pages is None or self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass(frozen=True)
class Row:
    commit: GraphCommit
    lane: int


@dataclass(frozen=True)
class Segment:
    """A piece of an edge from ``(row, from_lane)`` to ``(row + 1, to_lane)``, on its way to
    the commit ``target``. ``row`` -1 is above the page, ``len(rows)`` below it. ``branch``
    names the branch whose colour it takes; ``merge`` is true on a merge's second-parent edge."""

    row: int
    from_lane: int
    to_lane: int
    target: str
    branch: str
    merge: bool = False


@dataclass(frozen=True)
class Layout:
    rows: list[Row]
    segments: list[Segment]
    width: int  # lanes used


@dataclass
class _Lane:
    target: str
    branch: str
    merge: bool = False
    reserved: bool = False  # kept free for a commit further down; nothing drawn in it yet


def _free_slot(lanes: list[_Lane | None], start: int = 0) -> int:
    for i in range(start, len(lanes)):
        if lanes[i] is None:
            return i
    lanes.append(None)
    return len(lanes) - 1


def _trim(lanes: list[_Lane | None]) -> None:
    while lanes and lanes[-1] is None:
        lanes.pop()


def layout(
    commits: Sequence[GraphCommit],
    incoming: Iterable[GraphCommit] = (),
    prefer_branch: str | None = None,
    *,
    reserve: bool = False,
) -> Layout:
    """Place ``commits`` (newest first, parents after their children) in rows and lanes.

    ``incoming`` are the commits above the page with edges into it; their lanes enter from the
    top, those of ``prefer_branch``'s commits leftmost (so a branch keeps the first lane from
    page to page). With ``reserve`` (the admin's picture), the first lane is kept free down to
    ``prefer_branch``'s newest commit on the page, so that branch is the left edge of the graph
    even when other branches have newer commits (Git's text does not do this)."""
    branch_of = {c.hash: c.branch for c in commits}
    lanes: list[_Lane | None] = []
    segments: list[Segment] = []
    ordered = sorted(incoming, key=lambda c: (c.branch != prefer_branch, -c.id))
    for child in ordered:
        for n, parent in enumerate(child.parents):
            if all(lane is None or lane.target != parent for lane in lanes):
                colour = branch_of.get(parent, child.branch) if n else child.branch
                lanes.append(_Lane(parent, colour, merge=n > 0))
    first = next((c for c in commits if c.branch == prefer_branch), None)
    if reserve and first and all(lane is None or lane.target != first.hash for lane in lanes):
        lanes.insert(0, _Lane(first.hash, first.branch, reserved=True))
    for j, lane in enumerate(lanes):
        assert lane is not None
        if not lane.reserved:
            segments.append(Segment(-1, j, j, lane.target, lane.branch, lane.merge))
    width = len(lanes)

    rows: list[Row] = []
    for i, commit in enumerate(commits):
        hits = [
            j for j, lane in enumerate(lanes) if lane is not None and lane.target == commit.hash
        ]
        here = hits[0] if hits else _free_slot(lanes)
        nxt: list[_Lane | None] = list(lanes)
        for j in hits:
            nxt[j] = None
        rows.append(Row(commit, here))
        # (from lane, lane) pairs of this row's transitions
        moves: list[tuple[int, _Lane]] = [
            (j, lane) for j, lane in enumerate(nxt) if lane is not None and not lane.reserved
        ]
        parents = list(dict.fromkeys(commit.parents))
        if parents:
            own = _Lane(parents[0], commit.branch)
            nxt[here] = own
            moves.append((here, own))
        for parent in parents[1:]:
            found = [(j, lane) for j, lane in enumerate(nxt) if lane and lane.target == parent]
            if found:
                j, waiting = found[0]
                joined = _Lane(parent, waiting.branch, merge=True)
                if waiting.reserved:
                    nxt[j] = joined  # the reserved lane is drawn from here on
                moves.append((here, joined))
                continue
            slot = _free_slot(nxt, here + 1)
            lane = _Lane(parent, branch_of.get(parent, commit.branch), merge=True)
            nxt[slot] = lane
            moves.append((here, lane))
        # lanes waiting for the same commit join the leftmost of them
        leftmost: dict[str, int] = {}
        for j, lane in enumerate(nxt):
            if lane is not None:
                if lane.target in leftmost:
                    kept = leftmost[lane.target]
                    kept_lane = nxt[kept]
                    if kept_lane is not None and kept_lane.reserved:
                        nxt[kept] = lane  # a line reaches the reserved lane: it is drawn now
                    nxt[j] = None
                else:
                    leftmost[lane.target] = j
        for j, lane in moves:
            segments.append(
                Segment(i, j, leftmost[lane.target], lane.target, lane.branch, lane.merge)
            )
        _trim(nxt)
        width = max(width, len(nxt), here + 1)
        lanes = nxt
    return Layout(rows, segments, width)


# --- text, as git log --graph prints it ---------------------------------------------------------


def decoration(commit: GraphCommit, current_branch: str | None) -> str:
    """``(HEAD -> main, feature/x)``: the branches whose head the commit is, the current
    branch first and marked as Git marks it; empty when none is."""
    if not commit.heads:
        return ""
    names = sorted(commit.heads, key=lambda name: name != current_branch)
    shown = [f"HEAD -> {n}" if n == current_branch else n for n in names]
    return f"({', '.join(shown)})"


def _line(cells: dict[int, str]) -> str:
    if not cells:
        return ""
    chars = [" "] * (max(cells) + 1)
    for position, char in cells.items():
        chars[position] = char
    return "".join(chars)


def text_graph(layout: Layout, describe: Callable[[GraphCommit], list[str]]) -> list[str]:
    """The lines of ``git log --graph``: each commit's ``describe`` lines behind the graph
    columns (``*`` the commit, ``|`` a lane, ``/`` and ``\\`` an edge moving one lane left or
    right per line; an edge across several lanes takes several lines)."""
    by_row: dict[int, list[Segment]] = {}
    for s in layout.segments:
        by_row.setdefault(s.row, []).append(s)
    out: list[str] = []
    if by_row.get(-1):  # edges coming in from the previous page
        out.append(_line({2 * s.from_lane: "|" for s in by_row[-1]}))
    for i, row in enumerate(layout.rows):
        above = {2 * s.to_lane: "|" for s in by_row.get(i - 1, [])}
        graph = [_line({**above, 2 * row.lane: "*"})]
        below = by_row.get(i, [])
        steps = max((abs(s.to_lane - s.from_lane) for s in below), default=0)
        for t in range(1, steps + 1):
            cells: dict[int, str] = {}
            for s in below:
                distance, d = abs(s.to_lane - s.from_lane), (1 if s.to_lane > s.from_lane else -1)
                if t <= distance:
                    position = 2 * (s.from_lane + d * (t - 1)) + d
                    char = "\\" if d > 0 else "/"
                    cells[position] = char if cells.get(position, char) == char else "X"  # crossing
                else:
                    cells.setdefault(2 * s.to_lane, "|")
            graph.append(_line(cells))
        padding = _line({2 * s.to_lane: "|" for s in below})
        text = describe(row.commit)
        width = max(len(g) for g in graph) if graph else 0
        for n in range(max(len(graph), len(text))):
            g = graph[n] if n < len(graph) else padding
            line = text[n] if n < len(text) else ""
            out.append(f"{g:<{max(width, len(padding))}} {line}".rstrip() if line else g.rstrip())
    return out
