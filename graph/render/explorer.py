"""The offline explorer: one HTML file to browse pages, concepts, links and suggested links.

vis-network's JS and CSS are read from the installed pyvis package and inlined, so the page opens
from file:// and never contacts a host. Graph data travels as JSON in a non-executing script
element, escaped so that no article string can close it; the page's own script builds every
piece of text with textContent, and no node carries a vis `title` (vis renders those as HTML).

>>> safe_json({"title": "</script><img src=x>"})
'{"title":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x\\\\u003e"}'
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import networkx as nx
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from graph.errors import LinkgraphError
from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    Gap,
    LinkKind,
    LinkStatus,
    PageMetrics,
)
from graph.reports import COLUMNS

Json = dict[str, Any]

REPORTS = tuple(COLUMNS)  # the CSV files reports.py writes into OUT/reports/
PHYSICS_LIMIT = 500  # above this many nodes, Python places them and the browser runs no physics
SPRING_LIMIT = 3000  # above this, spring_layout is too slow; a spectral layout is used instead
LABEL_MAX = 48
GAPS_SHOWN = 10


@dataclass(frozen=True)
class ExplorerView:
    """Everything the explorer shows, as produced by the earlier stages."""

    site_url: str
    articles: Sequence[Article]
    metrics: Mapping[str, PageMetrics]
    concepts: Mapping[str, Concept]
    extracted: Sequence[ArticleConcepts]
    gaps: Sequence[Gap]
    reports: Sequence[str] = REPORTS


@dataclass(frozen=True)
class EdgeStyle:
    """How one kind of edge is drawn, and what the legend calls it."""

    label: str
    color: str
    width: float
    dashes: tuple[int, ...] = ()
    arrows: bool = True
    shown: bool = True


@dataclass(frozen=True)
class NodeStyle:
    """How one kind of node is drawn, and what the legend calls it."""

    label: str
    color: str
    shape: str


PAGE = NodeStyle("Article page (size = link score)", "#4e79a7", "dot")
PAGE_BORDER = "#24425f"
ORPHAN_FILL = "#d9d9d9"
BROKEN_BORDER = "#d62728"
DEAD_END_DASHES = (4, 3)

CONCEPT_STYLES: dict[ConceptType, NodeStyle] = {
    ConceptType.CONDITION: NodeStyle("Condition", "#59a14f", "diamond"),
    ConceptType.SYMPTOM: NodeStyle("Sign or symptom", "#edc948", "triangle"),
    ConceptType.THERAPY: NodeStyle("Therapy", "#b07aa1", "square"),
    ConceptType.DRUG: NodeStyle("Drug", "#ff9da7", "hexagon"),
    ConceptType.DRUG_CLASS: NodeStyle("Drug class", "#9c755f", "star"),
    ConceptType.PROCEDURE: NodeStyle("Procedure", "#76b7b2", "triangleDown"),
    ConceptType.RISK_FACTOR: NodeStyle("Risk factor", "#8cd17d", "box"),
}

EDGE_STYLES: dict[str, EdgeStyle] = {
    "body": EdgeStyle("Link in the text", "#5b6f86", 1.2),
    "related": EdgeStyle("Related-articles link", "#8c8c8c", 1.2, dashes=(2, 4)),
    "nav": EdgeStyle("Navigation link", "#c7c7c7", 0.8, shown=False),
    "gap": EdgeStyle("Suggested link (gap)", "#f28e2b", 2.5, dashes=(10, 6)),
    "about": EdgeStyle("Page is about concept", "#a58bc4", 0.6, arrows=False),
    "mentions": EdgeStyle("Page mentions concept", "#c9b8dd", 0.5, dashes=(1, 3), arrows=False, shown=False),
}
LINK_EDGE_KINDS = {LinkKind.BODY: "body", LinkKind.RELATED: "related", LinkKind.NAV: "nav"}


def write_explorer(path: Path, view: ExplorerView) -> None:
    """Write the explorer page to `path` (parent folders are created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_explorer(view), encoding="utf-8")


def render_explorer(view: ExplorerView) -> str:
    """The explorer page as one self-contained HTML string."""
    data = explorer_data(view)
    css, js = vis_assets()
    return _template().render(
        host=data["site"],
        counts=data["counts"],
        reports=[name for name in view.reports if _is_plain_name(name)],
        node_legend=_node_legend(),
        page_marks=_page_marks(),
        edge_legend=_edge_legend(),
        vis_css=_inline(css, "</style"),
        vis_js=_inline(js, "</script"),
        app_css=_inline(_own_asset("explorer.css"), "</style"),
        app_js=_inline(_own_asset("explorer.js"), "</script"),
        data_json=Markup(safe_json(data)),
    )


def explorer_data(view: ExplorerView) -> Json:
    """Nodes, edges and side-panel details, ready for JSON."""
    pages = {a.url: a for a in view.articles if a.url}
    concept_ids = _concepts_in_use(view.extracted, pages, view.concepts)
    links = _page_links(pages)
    nodes = _page_nodes(pages, view.metrics) + _concept_nodes(concept_ids, view.concepts)
    gaps = [g for g in view.gaps if g.source in pages and g.target in pages]
    edges = _numbered([*_link_edges(links), *_gap_edges(gaps), *_concept_edges(view.extracted, pages, concept_ids)])
    physics = len(nodes) <= PHYSICS_LIMIT
    if not physics:
        _place(nodes, edges)
    return {
        "site": site_host(view.site_url),
        "physics": physics,
        "nodes": nodes,
        "edges": edges,
        "details": _details(view, pages, links, gaps, concept_ids),
        "counts": _counts(pages, concept_ids, links, view.gaps),
    }


def safe_json(data: object) -> str:
    """JSON that can sit inside a <script> element: no '<', '>' or '&' survives unescaped."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def site_host(site_url: str) -> str:
    """The lower-case host of the site, which the explorer's URL links must stay on.

    >>> site_host("https://HealthGuide.example:443/")
    'healthguide.example'
    """
    return (urlsplit(site_url).hostname or "").lower()


def vis_assets() -> tuple[str, str]:
    """vis-network's CSS and minified JS, from the newest vis folder shipped inside pyvis."""
    lib = files("pyvis") / "templates" / "lib"
    folders = [d for d in lib.iterdir() if d.name.startswith("vis-") and _has_vis(d)]
    if not folders:
        raise LinkgraphError("vis-network not found inside the installed pyvis package")
    newest = max(folders, key=lambda d: _version(d.name[4:]))
    css = (newest / "vis-network.css").read_text(encoding="utf-8")
    return css, (newest / "vis-network.min.js").read_text(encoding="utf-8")


def _has_vis(folder: Traversable) -> bool:
    return (folder / "vis-network.min.js").is_file() and (folder / "vis-network.css").is_file()


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else -1 for part in text.split("."))


def _inline(text: str, closing: str) -> Markup:
    """Trusted library text for a raw-text element, refused if it could end that element early."""
    lowered = text.lower()
    if closing in lowered or "<!--" in lowered:
        raise LinkgraphError(f"cannot inline an asset containing {closing!r} or '<!--'")
    return Markup(text)


def _own_asset(name: str) -> str:
    return (files("graph.render") / "templates" / name).read_text(encoding="utf-8")


@cache
def _template() -> Any:
    env = Environment(
        loader=PackageLoader("graph.render", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("explorer.html.j2")


def _is_plain_name(name: str) -> bool:
    """A report file name safe to put in a relative href (no scheme, no folders)."""
    return bool(name) and all(c.isalnum() or c in "._-" for c in name) and not name.startswith(".")


# --- pages and links ---------------------------------------------------------------------------


def _page_links(pages: Mapping[str, Article]) -> Counter[tuple[str, str, str]]:
    """(source, target, edge kind) -> occurrences, for links from one page to another."""
    found: Counter[tuple[str, str, str]] = Counter()
    for source, article in pages.items():
        for link in article.links:
            kind, target = LINK_EDGE_KINDS.get(link.kind), link.target
            if kind and target is not None and target in pages and target != source:
                found[(source, target, kind)] += 1
    return found


def _page_nodes(pages: Mapping[str, Article], metrics: Mapping[str, PageMetrics]) -> list[Json]:
    return [_page_node(a, metrics.get(url, PageMetrics(url))) for url, a in pages.items()]


def _page_node(article: Article, m: PageMetrics) -> Json:
    broken = _broken_count(article, m) > 0
    fill = ORPHAN_FILL if m.orphan else PAGE.color
    border = BROKEN_BORDER if broken else PAGE_BORDER
    return {
        "id": article.url,
        "label": _short(article.title or article.slug or article.url),
        "nodeType": "page",
        "shape": PAGE.shape,
        "size": round(8 + 0.24 * max(0.0, min(100.0, m.link_score)), 1),
        "color": _node_color(fill, border),
        "borderWidth": 4 if broken else 1.5,
        "shapeProperties": {"borderDashes": list(DEAD_END_DASHES) if m.dead_end else False},
        "flags": {"orphan": m.orphan, "deadEnd": m.dead_end, "broken": broken},
    }


def _broken_count(article: Article, m: PageMetrics) -> int:
    return max(m.broken_links, sum(link.status is LinkStatus.BROKEN for link in article.links))


def _node_color(fill: str, border: str) -> Json:
    return {
        "background": fill,
        "border": border,
        "highlight": {"background": fill, "border": "#000000"},
        "hover": {"background": fill, "border": "#000000"},
    }


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1].rstrip() + "…"


def _link_edges(links: Counter[tuple[str, str, str]]) -> Iterable[Json]:
    for (source, target, kind), count in links.items():
        yield _edge(source, target, kind, count=count)


def _gap_edges(gaps: Sequence[Gap]) -> Iterable[Json]:
    best: dict[tuple[str, str], Gap] = {}
    for gap in gaps:
        key = (gap.source, gap.target)
        if key not in best or gap.score > best[key].score:
            best[key] = gap
    for (source, target), gap in best.items():
        yield _edge(source, target, "gap", score=round(gap.score, 3))


def _edge(source: str, target: str, kind: str, **extra: Any) -> Json:
    style = EDGE_STYLES[kind]
    color = {"color": style.color, "highlight": style.color, "hover": style.color, "inherit": False}
    return {
        "from": source,
        "to": target,
        "kind": kind,
        "color": color,
        "width": style.width,
        "dashes": list(style.dashes) if style.dashes else False,
        "arrows": "to" if style.arrows else "",
        "hidden": not style.shown,
        **extra,
    }


def _numbered(edges: list[Json]) -> list[Json]:
    return [{"id": f"e{i}", **edge} for i, edge in enumerate(edges)]


# --- concepts ----------------------------------------------------------------------------------


def _concepts_in_use(
    extracted: Sequence[ArticleConcepts], pages: Mapping[str, Article], known: Mapping[str, Concept]
) -> list[str]:
    """Concept IRIs some page is about or mentions, in first-seen order (unknown IRIs dropped)."""
    seen: dict[str, None] = {}
    for found in extracted:
        if found.url in pages:
            for iri in (*found.about, *(m.concept for m in found.mentions)):
                if iri in known:
                    seen.setdefault(iri, None)
    return list(seen)


def _concept_nodes(concept_ids: Sequence[str], concepts: Mapping[str, Concept]) -> list[Json]:
    return [_concept_node(concepts[iri]) for iri in concept_ids]


def _concept_node(concept: Concept) -> Json:
    style = CONCEPT_STYLES[concept.type]
    return {
        "id": concept.iri,
        "label": _short(concept.label),
        "nodeType": "concept",
        "ctype": concept.type.value,
        "shape": style.shape,
        "size": 11,
        "color": _node_color(style.color, "#4d4d4d"),
        "borderWidth": 1,
    }


def _concept_edges(
    extracted: Sequence[ArticleConcepts], pages: Mapping[str, Article], concept_ids: Sequence[str]
) -> Iterable[Json]:
    wanted = set(concept_ids)
    for found in extracted:
        if found.url not in pages:
            continue
        about = [iri for iri in dict.fromkeys(found.about) if iri in wanted]
        yield from (_edge(found.url, iri, "about") for iri in about)
        for mention in found.mentions:
            if mention.concept in wanted and mention.concept not in about:
                yield _edge(found.url, mention.concept, "mentions", count=mention.count)


# --- side panel details and counts -------------------------------------------------------------


def _details(
    view: ExplorerView,
    pages: Mapping[str, Article],
    links: Counter[tuple[str, str, str]],
    gaps: Sequence[Gap],
    concept_ids: Sequence[str],
) -> Json:
    host = site_host(view.site_url)
    inlinks, outlinks = _adjacency(links)
    gaps_out, gaps_in = _gaps_by_page(gaps, pages)
    details: Json = {}
    for url, article in pages.items():
        m = view.metrics.get(url, PageMetrics(url))
        details[url] = {
            "kind": "page",
            "title": article.title,
            "url": url,
            "href": url if _on_site(url, host) else None,
            "draft": article.draft,
            "noindex": article.noindex,
            "metrics": _metrics(m, _broken_count(article, m)),
            "inlinks": _by_title(inlinks[url], pages),
            "outlinks": _by_title(outlinks[url], pages),
            "gapsOut": gaps_out[url][:GAPS_SHOWN],
            "gapsIn": gaps_in[url][:GAPS_SHOWN],
        }
    details.update(_concept_details(view, pages, concept_ids))
    return details


def _on_site(url: str, host: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(host) and (parts.hostname or "") == host


def _adjacency(
    links: Counter[tuple[str, str, str]],
) -> tuple[defaultdict[str, set[str]], defaultdict[str, set[str]]]:
    """Pages linking in and out through content (body and related links, not navigation)."""
    inlinks: defaultdict[str, set[str]] = defaultdict(set)
    outlinks: defaultdict[str, set[str]] = defaultdict(set)
    for source, target, kind in links:
        if kind != "nav":
            inlinks[target].add(source)
            outlinks[source].add(target)
    return inlinks, outlinks


def _by_title(urls: Iterable[str], pages: Mapping[str, Article]) -> list[str]:
    return sorted(urls, key=lambda u: (pages[u].title.casefold(), u))


def _metrics(m: PageMetrics, broken: int) -> Json:
    return {
        "inlinks": m.inlinks,
        "outlinks": m.outlinks,
        "navInlinks": m.nav_inlinks,
        "brokenLinks": broken,
        "linkScore": round(m.link_score, 1),
        "depth": m.depth,
        "orphan": m.orphan,
        "deadEnd": m.dead_end,
        "cluster": m.cluster,
    }


def _gaps_by_page(
    gaps: Sequence[Gap], pages: Mapping[str, Article]
) -> tuple[defaultdict[str, list[Json]], defaultdict[str, list[Json]]]:
    """Each page's suggestions, best first: those it should make, and those pointing to it."""
    out: defaultdict[str, list[Json]] = defaultdict(list)
    into: defaultdict[str, list[Json]] = defaultdict(list)
    for gap in sorted(gaps, key=lambda g: (-g.score, g.source, g.target)):
        row = {
            "source": gap.source,
            "target": gap.target,
            "anchor": gap.anchor,
            "sentence": gap.sentence,
            "section": gap.section,
            "reason": gap.reason,
            "score": round(gap.score, 3),
        }
        out[gap.source].append(row)
        into[gap.target].append(row)
    return out, into


def _concept_details(view: ExplorerView, pages: Mapping[str, Article], concept_ids: Sequence[str]) -> Json:
    about: defaultdict[str, list[str]] = defaultdict(list)
    mentions: defaultdict[str, list[list[Any]]] = defaultdict(list)
    for found in view.extracted:
        if found.url in pages:
            for iri in dict.fromkeys(found.about):
                about[iri].append(found.url)
            for mention in found.mentions:
                mentions[mention.concept].append([found.url, mention.count])
    return {iri: _concept_detail(view.concepts[iri], about, mentions) for iri in concept_ids}


def _concept_detail(concept: Concept, about: Mapping[str, list[str]], mentions: Mapping[str, list[list[Any]]]) -> Json:
    return {
        "kind": "concept",
        "title": concept.label,
        "iri": concept.iri,
        "type": CONCEPT_STYLES[concept.type].label,
        "about": about.get(concept.iri, []),
        "mentions": sorted(mentions.get(concept.iri, []), key=lambda row: -row[1]),
    }


def _counts(
    pages: Mapping[str, Article],
    concept_ids: Sequence[str],
    links: Counter[tuple[str, str, str]],
    gaps: Sequence[Gap],
) -> dict[str, int]:
    content_links = sum(n for (_, _, kind), n in links.items() if kind != "nav")
    return {
        "pages": len(pages),
        "concepts": len(concept_ids),
        "links": content_links,
        "gaps": len(gaps),
    }


# --- layout for large graphs -------------------------------------------------------------------


def _place(nodes: list[Json], edges: Sequence[Json]) -> None:
    """Give every node fixed x/y so the browser needs no physics (spring layout, seeded)."""
    graph: nx.Graph[str] = nx.Graph()
    graph.add_nodes_from(node["id"] for node in nodes)
    graph.add_edges_from((e["from"], e["to"]) for e in edges if e["kind"] != "nav")
    positions = _layout(graph)
    scale = 40.0 * math.sqrt(len(nodes))
    for node in nodes:
        x, y = positions[node["id"]]
        node["x"], node["y"] = round(float(x) * scale, 1), round(float(y) * scale, 1)


def _layout(graph: nx.Graph[str]) -> Mapping[str, Any]:
    n = graph.number_of_nodes()
    if n <= SPRING_LIMIT:
        iterations = max(10, min(50, 60_000_000 // (n * n)))
        return nx.spring_layout(graph, seed=7, iterations=iterations)
    return _spectral_with_isolates(graph)


def _spectral_with_isolates(graph: nx.Graph[str]) -> dict[str, Any]:
    """A cheap layout for very large graphs: spectral for connected nodes, isolated ones on a ring.

    Spectral layouts put structurally equal nodes (say, leaves of one hub) on one point, so each
    connected node gets a small seeded jitter to keep them apart.
    """
    isolated = [v for v, degree in graph.degree() if degree == 0]
    core = graph.subgraph(v for v in graph if graph.degree(v) > 0)
    spectral = nx.spectral_layout(core) if len(core) > 1 else {}
    rng = random.Random(7)
    positions: dict[str, Any] = {}
    for v in core:
        x, y = spectral.get(v, (0.0, 0.0))
        positions[v] = (float(x) + rng.uniform(-0.04, 0.04), float(y) + rng.uniform(-0.04, 0.04))
    for i, v in enumerate(isolated):
        angle = 2 * math.pi * i / len(isolated)
        positions[v] = (1.3 * math.cos(angle), 1.3 * math.sin(angle))
    return positions


# --- legend ------------------------------------------------------------------------------------


def _node_legend() -> list[Json]:
    """Legend rows for node shapes and colours; `key` names the filter checkbox a row carries."""
    rows: list[Json] = [_legend_node("page", PAGE.label, PAGE.shape, PAGE.color, PAGE_BORDER)]
    rows += [_legend_node(f"type:{t.value}", s.label, s.shape, s.color, "#4d4d4d") for t, s in CONCEPT_STYLES.items()]
    return rows


def _legend_node(key: str, label: str, shape: str, fill: str, border: str) -> Json:
    return {"key": key, "label": label, "shape": shape, "fill": fill, "border": border}


def _page_marks() -> list[Json]:
    """Legend rows for the marks a page node can carry (they combine)."""
    return [
        _mark("Orphan (no content links in)", ORPHAN_FILL, PAGE_BORDER),
        _mark("Dead end (no content links out)", PAGE.color, PAGE_BORDER, dashed=True),
        _mark("Has broken links", PAGE.color, BROKEN_BORDER, width=3.0),
    ]


def _mark(label: str, fill: str, border: str, dashed: bool = False, width: float = 1.5) -> Json:
    return {"label": label, "fill": fill, "border": border, "dashed": dashed, "width": width}


def _edge_legend() -> list[Json]:
    return [
        {
            "kind": kind,
            "label": s.label,
            "color": s.color,
            "width": max(1.0, s.width),
            "dasharray": " ".join(str(d) for d in s.dashes),
            "checked": s.shown,
        }
        for kind, s in EDGE_STYLES.items()
    ]
