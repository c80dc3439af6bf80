"""The big-site explorer: an overview of topic clusters, each cluster's graph in a sibling file.

Above OVERVIEW_LIMIT pages one graph of every page is too slow to draw and too dense to read, so
the page opens on one node per group of pages (a topic cluster from PageMetrics.cluster) and loads
a group's full graph only when it is clicked. Each group's data is a script file calling a global
registration function, because pages opened from file:// may run <script src> but may not fetch().
Louvain clusters bigger than GROUP_MAX pages are split, and small clusters and unclustered pages
are pooled, so that no file and no overview grows without bound.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from graph.records import PageMetrics
from graph.render.graphdata import PAGE_BORDER, SiteIndex, graph_data, node_color, safe_json, short
from graph.render.layout import LayoutCache, place

Json = dict[str, Any]

OVERVIEW_LIMIT = 2000  # above this many pages the explorer opens on the cluster overview
MAX_GROUPS = 400  # the biggest clusters get a node each; the rest are pooled
MIN_GROUP = 3  # clusters with fewer pages are pooled with the unclustered pages
GROUP_MAX = 3000  # a cluster with more pages is split into parts of at most this many
POOL_SIZE = 1000  # pooled pages per "Other pages" group
TOP_PAGES = 12
LINES_PER_GROUP = 6  # the overview draws each cluster's strongest links to other clusters only
NEIGHBOURS_SHOWN = 25

REGISTER_GROUP = "linkgraphCluster"
REGISTER_PAGES = "linkgraphPages"
PAGES_FILE = "pages.js"
PALETTE = ("#4e79a7", "#59a14f", "#b07aa1", "#f28e2b", "#76b7b2", "#edc948", "#e15759", "#9c755f",
           "#ff9da7", "#8cd17d")
POOL_FILL = "#bab0ac"
LINK_COLOR = "#8aa1b8"


@dataclass(frozen=True)
class Group:
    """Pages loaded and drawn together: one topic cluster, a part of one, or a pool of small ones."""

    number: int
    name: str
    cluster: str
    pages: tuple[str, ...]

    @property
    def node_id(self) -> str:
        return f"cluster:{self.number}"

    @property
    def file(self) -> str:
        return f"cluster-{self.number}.js"


def page_groups(index: SiteIndex) -> list[Group]:
    """The groups of the overview, biggest cluster first, pooled pages last."""
    members: defaultdict[str, list[str]] = defaultdict(list)
    for url in index.pages:
        members[(index.view.metrics.get(url) or PageMetrics(url)).cluster].append(url)
    ranked = sorted((c for c in members if c and len(members[c]) >= MIN_GROUP), key=lambda c: (-len(members[c]), c))
    kept = ranked[:MAX_GROUPS]
    named = [(_cluster_name(index, c, i), c, sorted(members[c])) for i, c in enumerate(kept, start=1)]
    rest = set(members) - set(kept)
    pooled = sorted((u for c in rest for u in members[c]), key=lambda u: (_cluster(index, u), u))
    parts = [(part_name, c, part) for name, c, pages in named for part_name, part in _split(name, pages, GROUP_MAX)]
    parts += [(name, "", pages) for name, pages in _pool_names(pooled, min(POOL_SIZE, GROUP_MAX))]
    return [Group(number, name, c, tuple(pages)) for number, (name, c, pages) in enumerate(parts)]


def _cluster(index: SiteIndex, url: str) -> str:
    return (index.view.metrics.get(url) or PageMetrics(url)).cluster


def _cluster_name(index: SiteIndex, cluster: str, rank: int) -> str:
    return index.view.clusters.get(cluster) or f"Cluster {rank}"


def _pool_names(pooled: list[str], size: int) -> Iterator[tuple[str, list[str]]]:
    chunks = [pooled[i:i + size] for i in range(0, len(pooled), size)]
    for i, chunk in enumerate(chunks, start=1):
        yield ("Other pages" if len(chunks) == 1 else f"Other pages {i}"), chunk


def _split(name: str, pages: list[str], size: int) -> Iterator[tuple[str, list[str]]]:
    parts = max(1, math.ceil(len(pages) / size))
    step = math.ceil(len(pages) / parts)
    for i in range(parts):
        yield (name if parts == 1 else f"{name} (part {i + 1} of {parts})"), pages[i * step:(i + 1) * step]


def overview_data(index: SiteIndex, folder: str, layouts: LayoutCache | None = None) -> tuple[Json, dict[str, str]]:
    """The page's data (cluster nodes and links between them) and {file name: script} for `folder`."""
    groups = page_groups(index)
    group_of = {url: g.number for g in groups for url in g.pages}
    between, within = _group_links(index, group_of)
    biggest = max(len(g.pages) for g in groups)
    nodes = [_group_node(g, biggest) for g in groups]
    edges = [_group_edge(i, a, b, n) for i, ((a, b), n) in enumerate(strongest(between, LINES_PER_GROUP))]
    place(nodes, edges, scale=2.5 * sum(n["size"] for n in nodes) / math.sqrt(len(nodes)), cache=layouts)
    near = _neighbours(between)
    details = {g.node_id: _group_detail(index, g, within[g.number], near[g.number]) for g in groups}
    files = {g.file: register(REGISTER_GROUP, g.number, graph_data(index, g.pages, layouts)) for g in groups}
    files[PAGES_FILE] = register(REGISTER_PAGES, len(index.pages), _directory(index, group_of))
    data = {"physics": False, "nodes": nodes, "edges": edges, "details": details,
            "groups": [{"name": g.name, "file": f"{folder}/{g.file}", "pages": len(g.pages)} for g in groups],
            "directory": f"{folder}/{PAGES_FILE}"}
    return data, files


def register(function: str, key: int, payload: object) -> str:
    """A script calling window.<function>(key, payload); the payload is inert, escaped JSON."""
    return f"window.{function}({key},{safe_json(payload)});\n"


def _group_links(index: SiteIndex, group_of: dict[str, int]) -> tuple[Counter[tuple[int, int]], Counter[int]]:
    """Content-link occurrences between two groups (either direction) and inside each group."""
    between: Counter[tuple[int, int]] = Counter()
    within: Counter[int] = Counter()
    for (source, target, kind), n in index.links.items():
        if kind == "nav":
            continue
        a, b = group_of[source], group_of[target]
        if a == b:
            within[a] += n
        else:
            between[(min(a, b), max(a, b))] += n
    return between, within


def _group_node(group: Group, biggest: int) -> Json:
    fill = PALETTE[group.number % len(PALETTE)] if group.cluster else POOL_FILL
    return {
        "id": group.node_id,
        "label": f"{short(group.name)} · {len(group.pages)}",
        "nodeType": "cluster",
        "cluster": group.number,
        "shape": "dot",
        "size": round(12 + 38 * math.sqrt(len(group.pages) / max(1, biggest)), 1),
        "color": node_color(fill, PAGE_BORDER),
        "borderWidth": 1.5,
        "font": {"size": 16, "strokeWidth": 3, "strokeColor": "#ffffff"},
    }


def _group_edge(i: int, a: int, b: int, count: int) -> Json:
    return {
        "id": f"c{i}",
        "from": f"cluster:{a}",
        "to": f"cluster:{b}",
        "kind": "clusterlink",
        "count": count,
        "weight": round(1 + math.log10(count), 3),
        "width": round(min(12.0, 1 + 2.5 * math.log10(count)), 2),
    }


def edge_styles() -> dict[str, Json]:
    """How links between clusters are drawn (their width is each edge's own)."""
    color = {"color": LINK_COLOR, "highlight": "#1f2d3d", "hover": "#1f2d3d", "inherit": False, "opacity": 0.7}
    return {"clusterlink": {"color": color, "arrows": "", "dashes": False, "hidden": False}}


def strongest(between: Counter[tuple[int, int]], per_group: int) -> list[tuple[tuple[int, int], int]]:
    """The links between groups worth a line: each group's `per_group` strongest, in pair order.

    >>> strongest(Counter({(0, 1): 9, (0, 2): 1, (1, 2): 5}), 1)
    [((0, 1), 9), ((1, 2), 5)]
    """
    kept: set[tuple[int, int]] = set()
    for group, rows in _neighbours(between).items():
        kept.update((min(group, other), max(group, other)) for other, _ in rows[:per_group])
    return sorted((pair, between[pair]) for pair in kept)


def _neighbours(between: Counter[tuple[int, int]]) -> defaultdict[int, list[list[int]]]:
    """Each group's linked groups as [group, links], most links first."""
    near: defaultdict[int, list[list[int]]] = defaultdict(list)
    for (a, b), n in between.items():
        near[a].append([b, n])
        near[b].append([a, n])
    for rows in near.values():
        rows.sort(key=lambda row: (-row[1], row[0]))
    return near


def _group_detail(index: SiteIndex, group: Group, within: int, neighbours: list[list[int]]) -> Json:
    return {
        "kind": "cluster",
        "title": group.name,
        "group": group.number,
        "pages": len(group.pages),
        "links": within,
        "gaps": sum(len(index.gaps_out.get(u, ())) for u in group.pages),
        "topPages": [[u, index.pages[u].title] for u in _top_pages(index, group.pages)],
        "linkedClusters": len(neighbours),
        "neighbours": neighbours[:NEIGHBOURS_SHOWN],
    }


def _top_pages(index: SiteIndex, pages: Sequence[str]) -> list[str]:
    def score(url: str) -> float:
        return (index.view.metrics.get(url) or PageMetrics(url)).link_score

    return sorted(pages, key=lambda u: (-score(u), u))[:TOP_PAGES]


def _directory(index: SiteIndex, group_of: dict[str, int]) -> list[list[Any]]:
    """[url, title, group] for every page: what search and cross-cluster links need."""
    return [[url, article.title, group_of[url]] for url, article in index.pages.items()]
