"""``{% load pggit_graph %}``: the commit graph as inline SVG, drawn on the server.

``{% commit_graph page %}`` lays out a :class:`~pggit.graph.GraphPage` (:func:`pggit.graph.layout`)
and draws it: a circle per commit in its lane, a line or curve per edge segment, each branch in
its own colour, branch heads as labels (the current branch as ``HEAD → name``), and each row's
short hash (a link to the commit's page), summary, author and date. No JavaScript: the SVG is
plain markup, every text in it escaped.
"""

from __future__ import annotations

import zlib

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from pggit.graph import GraphCommit, GraphPage, Layout, Segment, layout

register = template.Library()

ROW = 26  # px per row
LANE = 16  # px per lane, while the lanes fit in GRAPH_WIDTH; narrower (down to MIN_LANE) past it
MIN_LANE = 8
GRAPH_WIDTH = 400
PAD = 8
RADIUS = 5
CHAR = 6.7  # px per character of the 11px monospace labels
SUMMARY = 72  # characters of the message shown
# Colour-blind-friendly palette (Okabe-Ito and Tol); main always takes the first.
PALETTE = (
    "#0072b2",
    "#e69f00",
    "#009e73",
    "#cc79a7",
    "#d55e00",
    "#56b4e9",
    "#882255",
    "#117733",
    "#999933",
    "#aa4499",
    "#44aa99",
    "#332288",
)


def colour(branch: str) -> str:
    """A branch's colour: stable across pages and requests."""
    if branch == "main":
        return PALETTE[0]
    return PALETTE[1 + zlib.crc32(branch.encode()) % (len(PALETTE) - 1)]


def lane_width(lanes: int) -> float:
    """Px per lane: LANE, or less for a wide graph (50 branches at work at once still fit
    beside their text), never under MIN_LANE."""
    return max(MIN_LANE, min(LANE, GRAPH_WIDTH / max(lanes, 1)))


def _x(lane: int, px: float = LANE) -> float:
    return PAD + lane * px + px / 2


def _y(row: int, rows: int) -> float:
    if row < 0:
        return 0
    if row >= rows:
        return rows * ROW + PAD
    return PAD / 2 + row * ROW + ROW / 2


def _path(s: Segment, rows: int, px: float) -> str:
    x1, y1, x2, y2 = _x(s.from_lane, px), _y(s.row, rows), _x(s.to_lane, px), _y(s.row + 1, rows)
    if x1 == x2:
        return f"M{x1:g} {y1:g}V{y2:g}"
    middle = (y1 + y2) / 2
    return f"M{x1:g} {y1:g}C{x1:g} {middle:g} {x2:g} {middle:g} {x2:g} {y2:g}"


def _text_width(c: GraphCommit) -> float:
    """About how wide a row's labels and text are drawn (the SVG is sized to hold them)."""
    labels = sum(len(name) + 6 + 8 / CHAR for name in c.heads) * CHAR
    text = 12 + min(len(c.summary), SUMMARY) + len(c.author) + 20  # hash, summary, author, date
    return labels + text * 6.4


def render_svg(page: GraphPage, placed: Layout, selected: str | None = None) -> str:
    """The SVG markup of ``placed`` (a layout of ``page``); ``selected`` is a commit hash to
    highlight."""
    n = len(placed.rows)
    px = lane_width(placed.width)
    radius = min(RADIUS, px * 0.4)
    text_x = PAD + placed.width * px + 10
    height = n * ROW + PAD
    width = text_x + max((_text_width(r.commit) for r in placed.rows), default=0) + PAD
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pggit-graph" width="{width:g}"'
        f' height="{height}" viewBox="0 0 {width:g} {height}" role="img"'
        f' data-lanes="{placed.width}" data-rows="{n}" data-edges="{len(placed.segments)}"'
        f' aria-label="Commit graph: {n} commits in {placed.width} lanes">'
    ]
    for i, row in enumerate(placed.rows):
        if row.commit.hash == selected:
            out.append(
                f'<rect class="pggit-selected" x="0" y="{PAD / 2 + i * ROW:g}"'
                f' width="{width:g}" height="{ROW}"/>'
            )
    for s in placed.segments:
        classes = "pggit-edge" + (" pggit-merge" if s.merge else "")
        if s.row < 0 or s.row + 1 >= n:
            classes += " pggit-offpage"
        out.append(
            f'<path class="{classes}" d="{_path(s, n, px)}" stroke="{colour(s.branch)}"'
            f' data-target="{escape(s.target[:12])}"/>'
        )
    for i, row in enumerate(placed.rows):
        c = row.commit
        x, y = _x(row.lane, px), _y(i, n)
        classes = "pggit-node" + (" pggit-merge-node" if c.is_merge else "")
        if c.heads:
            classes += " pggit-head"
        if page.current_branch in c.heads:
            classes += " pggit-current"
        title = escape(f"{c.short_hash} on {c.branch}: {c.summary}")
        out.append(
            f'<circle class="{classes}" cx="{x:g}" cy="{y:g}" r="{radius:g}"'
            f' fill="{colour(c.branch)}" data-hash="{escape(c.short_hash)}"'
            f' data-lane="{row.lane}"><title>{title}</title></circle>'
        )
        label_x: float = text_x
        for name in sorted(c.heads, key=lambda b: b != page.current_branch):
            current = name == page.current_branch
            label = f"HEAD → {name}" if current else name
            w = len(label) * CHAR + 8
            out.append(
                f'<g class="pggit-ref{" pggit-ref-current" if current else ""}">'
                f'<rect x="{label_x:g}" y="{y - 8:g}" width="{w:g}" height="16" rx="3"'
                f' fill="{colour(name)}"/><text x="{label_x + 4:g}" y="{y + 4:g}">'
                f"{escape(label)}</text></g>"
            )
            label_x += w + 4
        summary = c.summary if len(c.summary) <= SUMMARY else c.summary[: SUMMARY - 1] + "…"
        when = f"{c.committed_at:%Y-%m-%d %H:%M}" if c.committed_at else ""
        url = reverse("admin:pggit_commit_change", args=[c.id])
        out.append(
            f'<text class="pggit-row" x="{label_x:g}" y="{y + 4:g}">'
            f'<a href="{escape(url)}"><tspan class="pggit-hash">{escape(c.short_hash)}</tspan></a>'
            f" <tspan>{escape(summary)}</tspan>"
            f' <tspan class="pggit-meta">{escape(c.author)} · {escape(when)}</tspan></text>'
        )
    out.append("</svg>")
    return "".join(out)


STYLE = """<style>
.pggit-graph-wrap { overflow-x: auto; }
svg.pggit-graph { display: block; font: 12px/1 system-ui, sans-serif; }
svg.pggit-graph .pggit-edge { fill: none; stroke-width: 2; }
svg.pggit-graph .pggit-merge { stroke-dasharray: none; opacity: .85; }
svg.pggit-graph .pggit-offpage { stroke-dasharray: 3 3; }
svg.pggit-graph .pggit-node { stroke: var(--body-bg, #fff); stroke-width: 1.5; }
svg.pggit-graph .pggit-current { stroke: var(--body-fg, #333); stroke-width: 2.5; }
svg.pggit-graph .pggit-selected { fill: var(--selected-row, #ffc); }
svg.pggit-graph text { fill: var(--body-fg, #333); }
svg.pggit-graph .pggit-ref text { fill: #fff; font: 11px/1 ui-monospace, monospace; }
svg.pggit-graph .pggit-ref-current text { font-weight: bold; }
svg.pggit-graph .pggit-hash { font-family: ui-monospace, monospace; fill: var(--link-fg, #447e9b); }
svg.pggit-graph .pggit-meta { fill: var(--body-quiet-color, #777); }
</style>"""


@register.simple_tag
def commit_graph(page: GraphPage, selected: str | None = None) -> SafeString:
    """The graph of ``page`` as inline SVG (its styles included), laid out with the page's
    branch (or the current branch) in the leftmost lane, kept for it from the top."""
    placed = layout(page.commits, page.incoming, page.branch or page.current_branch, reserve=True)
    svg = render_svg(page, placed, selected)
    return mark_safe(f'{STYLE}<div class="pggit-graph-wrap">{svg}</div>')  # noqa: S308
