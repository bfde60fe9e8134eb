"""Charts drawn on the server as SVG, so that they show without JavaScript.

This module computes geometry only (plain numbers and the texts to show); the templates
(``templates/_charts.html``) write the SVG elements, with Jinja's escaping on every text. Both
charts carry a title and a description for screen readers, and every page that shows one also
has the same numbers as text (the list of papers, the table of co-authors).

- :func:`bar_chart`: counts per year (papers of a person, volumes of a venue), one bar per year
  from the first to the last, empty years included, so gaps show;
- :func:`coauthor_graph`: a person in the middle and the most frequent co-authors around them,
  one spoke per co-author (thicker for more joint papers) and a chord between two co-authors who
  also wrote together. A circle is deterministic, needs no physics simulation, and keeps every
  label readable.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

WIDTH = 640
BAR_HEIGHT = 220
GRAPH_HEIGHT = 460
#: Co-authors shown in the graph (the table lists all of them).
GRAPH_LIMIT = 16


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int
    show_label: bool


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class BarChart:
    """A bar chart of counts per year."""

    title: str
    description: str
    width: int
    height: int
    left: float
    baseline: float
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    unit: str


def _nice_max(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50 ... that is at least ``value`` (at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def bar_chart(counts: Mapping[int, int], *, title: str, unit: str) -> BarChart | None:
    """Bars for ``counts`` (year -> count); None when there is nothing to draw.

    >>> chart = bar_chart({2023: 1, 2025: 6}, title="Papers per year", unit="papers")
    >>> [(bar.label, bar.value) for bar in chart.bars]
    [('2023', 1), ('2024', 0), ('2025', 6)]
    """
    if not counts:
        return None
    first, last = min(counts), max(counts)
    years = list(range(first, last + 1))
    top = _nice_max(max(counts.values()))
    left, right, above, below = 40.0, 10.0, 12.0, 28.0
    plot_width = WIDTH - left - right
    plot_height = BAR_HEIGHT - above - below
    slot = plot_width / len(years)
    every = max(1, math.ceil(len(years) / 16))  # at most 16 year labels
    bars = []
    for index, year in enumerate(years):
        value = counts.get(year, 0)
        height = plot_height * value / top
        bars.append(Bar(x=round(left + index * slot + slot * 0.15, 2),
                        y=round(above + plot_height - height, 2),
                        width=round(slot * 0.7, 2), height=round(height, 2),
                        label=str(year), value=value,
                        show_label=index % every == 0 or index == len(years) - 1))
    steps = top if top <= 5 else 5
    ticks = tuple(Tick(y=round(above + plot_height - plot_height * n / steps, 2),
                       value=top * n // steps) for n in range(steps + 1))
    total = sum(counts.values())
    description = (f"{total} {unit} from {first} to {last}; "
                   + ", ".join(f"{year}: {counts[year]}" for year in sorted(counts)))
    return BarChart(title=title, description=description, width=WIDTH, height=BAR_HEIGHT,
                    left=left, baseline=above + plot_height, bars=tuple(bars), ticks=ticks,
                    unit=unit)


@dataclass(frozen=True)
class GraphNode:
    x: float
    y: float
    radius: float
    label: str
    href: str | None
    count: int
    anchor: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class GraphEdge:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    title: str
    spoke: bool


@dataclass(frozen=True)
class CoauthorGraph:
    title: str
    description: str
    width: int
    height: int
    center: GraphNode
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


@dataclass(frozen=True)
class Coauthor:
    """A co-author to draw: name, page, number of joint papers."""

    name: str
    href: str | None
    count: int


def coauthor_graph(name: str, coauthors: Sequence[Coauthor],
                   pairs: Mapping[tuple[int, int], int]) -> CoauthorGraph | None:
    """The graph around ``name``: the first :data:`GRAPH_LIMIT` of ``coauthors`` (most frequent
    first) and ``pairs`` (indexes into ``coauthors`` -> joint papers of those two).

    >>> graph = coauthor_graph("A", [Coauthor("B", None, 2), Coauthor("C", None, 1)], {(0, 1): 1})
    >>> [node.label for node in graph.nodes], len(graph.edges)
    (['B', 'C'], 3)
    """
    shown = list(coauthors[:GRAPH_LIMIT])
    if not shown:
        return None
    cx, cy, ring = WIDTH / 2, GRAPH_HEIGHT / 2, GRAPH_HEIGHT / 2 - 70
    most = max(c.count for c in shown)
    nodes = []
    for index, coauthor in enumerate(shown):
        angle = -math.pi / 2 + 2 * math.pi * index / len(shown)
        x, y = cx + ring * math.cos(angle), cy + ring * math.sin(angle)
        cos = math.cos(angle)
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        label_x = x + 12 * cos + (0 if anchor == "middle" else (6 if cos > 0 else -6))
        label_y = y + 14 * math.sin(angle) + (4 if anchor != "middle" else
                                              (12 if math.sin(angle) > 0 else -4))
        nodes.append(GraphNode(x=round(x, 2), y=round(y, 2),
                               radius=round(4 + 6 * math.sqrt(coauthor.count / most), 2),
                               label=coauthor.name, href=coauthor.href, count=coauthor.count,
                               anchor=anchor, label_x=round(label_x, 2),
                               label_y=round(label_y, 2)))
    center = GraphNode(x=cx, y=cy, radius=14, label=name, href=None, count=0, anchor="middle",
                       label_x=cx, label_y=cy + 30)
    edges = []
    for (a, b), count in sorted(pairs.items()):
        if a < len(nodes) and b < len(nodes):
            edges.append(GraphEdge(nodes[a].x, nodes[a].y, nodes[b].x, nodes[b].y,
                                   width=round(0.5 + 0.5 * count, 2),
                                   title=f"{shown[a].name} and {shown[b].name}: {count} "
                                         f"joint paper{'s' if count != 1 else ''}",
                                   spoke=False))
    for node, coauthor in zip(nodes, shown, strict=True):
        edges.append(GraphEdge(cx, cy, node.x, node.y,
                               width=round(1 + 4 * coauthor.count / most, 2),
                               title=f"{name} and {coauthor.name}: {coauthor.count} joint "
                                     f"paper{'s' if coauthor.count != 1 else ''}",
                               spoke=True))
    rest = len(coauthors) - len(shown)
    description = (f"{name} and {len(coauthors)} co-authors"
                   + (f" (the {len(shown)} most frequent shown)" if rest else "") + ": "
                   + ", ".join(f"{c.name} ({c.count})" for c in shown))
    return CoauthorGraph(title=f"Co-authors of {name}", description=description, width=WIDTH,
                         height=GRAPH_HEIGHT, center=center, nodes=tuple(nodes),
                         edges=tuple(edges))
