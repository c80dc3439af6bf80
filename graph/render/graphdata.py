"""Nodes, edges and side-panel details of the explorer, for the whole site or any set of its pages.

`SiteIndex` is computed once per view; `graph_data(index, urls)` then gives the drawable graph of
those pages (the concepts they use included). Page details always describe the whole site, so a
page shown inside one topic cluster still lists its links to pages in other clusters.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from operator import attrgetter
from typing import Any

from graph.records import Article, ArticleConcepts, Concept, ConceptType, Gap, LinkKind, LinkStatus, PageMetrics
from graph.render import layout
from graph.render.view import ExplorerView, on_site, site_host

Json = dict[str, Any]
LinkCounts = Counter[tuple[str, str, str]]

LABEL_MAX = 48
GAPS_SHOWN = 10


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
_CONCEPT_OF = attrgetter("concept")
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False, check_circular=False)


@dataclass(frozen=True)
class SiteIndex:
    """The view's pages, links between them and suggestions, indexed once for every part drawn."""

    view: ExplorerView
    host: str
    pages: Mapping[str, Article]
    links: LinkCounts
    inlinks: Mapping[str, set[str]]
    outlinks: Mapping[str, set[str]]
    gaps: Sequence[Gap]
    links_from: Mapping[str, list[tuple[str, str, int]]]
    gaps_from: Mapping[str, list[Gap]]
    gaps_out: Mapping[str, list[Json]]
    gaps_in: Mapping[str, list[Json]]
    extracted: Mapping[str, ArticleConcepts]


def site_index(view: ExplorerView) -> SiteIndex:
    """Index `view` for drawing: pages by URL, page-to-page links, and suggestions by page."""
    pages = {a.url: a for a in view.articles if a.url}
    links = page_links(pages)
    inlinks, outlinks = _adjacency(links)
    gaps = [g for g in view.gaps if g.source in pages and g.target in pages]
    links_from: defaultdict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for (source, target, kind), n in links.items():
        links_from[source].append((target, kind, n))
    gaps_from: defaultdict[str, list[Gap]] = defaultdict(list)
    for gap in gaps:
        gaps_from[gap.source].append(gap)
    gaps_out, gaps_in = _gaps_by_page(gaps)
    extracted = {e.url: e for e in view.extracted if e.url in pages}
    return SiteIndex(view, site_host(view.site_url), pages, links, inlinks, outlinks, gaps, dict(links_from),
                     dict(gaps_from), gaps_out, gaps_in, extracted)


def graph_data(index: SiteIndex, urls: Collection[str] | None = None,
               layouts: layout.LayoutCache | None = None) -> Json:
    """Nodes, edges, details and layout mode for the pages `urls`, in that order (all pages when None).

    `layouts` holds positions computed before, for a graph too big for the browser's physics.
    """
    ordered = list(index.pages) if urls is None else [u for u in dict.fromkeys(urls) if u in index.pages]
    chosen = set(ordered)
    found = [index.extracted[u] for u in ordered if u in index.extracted]
    concept_ids = concepts_in_use(found, index.view.concepts)
    nodes = [_page_node(index.pages[u], index.view.metrics) for u in ordered]
    nodes += [_concept_node(index.view.concepts[iri]) for iri in concept_ids]
    links = Counter({(u, t, k): n for u in ordered for t, k, n in index.links_from.get(u, ()) if t in chosen})
    gaps = [g for u in ordered for g in index.gaps_from.get(u, ()) if g.target in chosen]
    edges = _numbered([*_link_edges(links), *_gap_edges(gaps), *_concept_edges(found, concept_ids)])
    physics = len(nodes) <= layout.PHYSICS_LIMIT
    if not physics:
        layout.place(nodes, edges, cache=layouts)
    details = {u: _page_detail(index, u) for u in ordered}
    details.update(_concept_details(index.view.concepts, found, concept_ids))
    return {"physics": physics, "nodes": nodes, "edges": edges, "details": details}


def counts(index: SiteIndex) -> dict[str, int]:
    """The header's figures for the whole view."""
    concept_ids = concepts_in_use(list(index.extracted.values()), index.view.concepts)
    content_links = sum(n for (_, _, kind), n in index.links.items() if kind != "nav")
    return {"pages": len(index.pages), "concepts": len(concept_ids), "links": content_links,
            "gaps": len(index.view.gaps)}


def safe_json(data: object) -> str:
    """JSON that can sit inside a <script> element: no '<', '>' or '&' survives unescaped.

    >>> safe_json({"title": "</script><img src=x>"})
    '{"title":"\\\\u003c/script\\\\u003e\\\\u003cimg src=x\\\\u003e"}'
    """
    return _ENCODER.encode(data).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- pages and links ---------------------------------------------------------------------------


def page_links(pages: Mapping[str, Article]) -> LinkCounts:
    """(source, target, edge kind) -> occurrences, for links from one page to another."""
    found: LinkCounts = Counter()
    for source, article in pages.items():
        for link in article.links:
            target = link.target
            if target is not None and target != source and target in pages:
                kind = LINK_EDGE_KINDS.get(link.kind)
                if kind:
                    found[(source, target, kind)] += 1
    return found


def _page_node(article: Article, metrics: Mapping[str, PageMetrics]) -> Json:
    m = metrics.get(article.url) or PageMetrics(article.url)
    broken = broken_count(article, m) > 0
    fill = ORPHAN_FILL if m.orphan else PAGE.color
    border = BROKEN_BORDER if broken else PAGE_BORDER
    return {
        "id": article.url,
        "label": short(article.title or article.slug or article.url),
        "nodeType": "page",
        "shape": PAGE.shape,
        "size": round(8 + 0.24 * max(0.0, min(100.0, m.link_score)), 1),
        "color": node_color(fill, border),
        "borderWidth": 4 if broken else 1.5,
        **({"shapeProperties": {"borderDashes": list(DEAD_END_DASHES)}} if m.dead_end else {}),
        "flags": {"orphan": m.orphan, "deadEnd": m.dead_end, "broken": broken},
    }


def broken_count(article: Article, m: PageMetrics) -> int:
    """Broken links of a page, whether the metrics or the links themselves say so."""
    return max(m.broken_links, sum(link.status is LinkStatus.BROKEN for link in article.links))


def node_color(fill: str, border: str) -> Json:
    """A node's colours; the page's script keeps the fill and blackens the border on hover or select."""
    return {"background": fill, "border": border}


def short(text: str) -> str:
    """One-line label of at most LABEL_MAX characters."""
    text = " ".join(text.split())
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1].rstrip() + "…"


def _link_edges(links: LinkCounts) -> Iterable[Json]:
    for (source, target, kind), count in links.items():
        yield edge(source, target, kind, count=count)


def _gap_edges(gaps: Sequence[Gap]) -> Iterable[Json]:
    best: dict[tuple[str, str], Gap] = {}
    for gap in gaps:
        key = (gap.source, gap.target)
        if key not in best or gap.score > best[key].score:
            best[key] = gap
    for (source, target), gap in best.items():
        yield edge(source, target, "gap", score=round(gap.score, 3))


def edge(source: str, target: str, kind: str, **extra: Any) -> Json:
    """One edge; how it is drawn comes from its kind (`edge_styles`), so big graphs stay small."""
    return {"from": source, "to": target, "kind": kind, **extra}


def edge_styles() -> dict[str, Json]:
    """vis edge options for each kind, merged into every edge of that kind by the page's script."""
    return {kind: _vis_style(s) for kind, s in EDGE_STYLES.items()}


def _vis_style(style: EdgeStyle) -> Json:
    color = {"color": style.color, "highlight": style.color, "hover": style.color, "inherit": False}
    return {
        "color": color,
        "width": style.width,
        "dashes": list(style.dashes) if style.dashes else False,
        "arrows": "to" if style.arrows else "",
        "hidden": not style.shown,
    }


def _numbered(edges: list[Json]) -> list[Json]:
    return [{"id": f"e{i}", **edge} for i, edge in enumerate(edges)]


# --- concepts ----------------------------------------------------------------------------------


def concepts_in_use(extracted: Iterable[ArticleConcepts], known: Mapping[str, Concept]) -> list[str]:
    """Concept IRIs these pages are about or mention, in first-seen order (unknown IRIs dropped)."""
    seen = dict.fromkeys(chain.from_iterable(chain(f.about, map(_CONCEPT_OF, f.mentions)) for f in extracted))
    return [iri for iri in seen if iri in known]


def _concept_node(concept: Concept) -> Json:
    style = CONCEPT_STYLES[concept.type]
    return {
        "id": concept.iri,
        "label": short(concept.label),
        "nodeType": "concept",
        "ctype": concept.type.value,
        "shape": style.shape,
        "size": 11,
        "color": node_color(style.color, "#4d4d4d"),
        "borderWidth": 1,
    }


def _concept_edges(extracted: Sequence[ArticleConcepts], concept_ids: Sequence[str]) -> Iterable[Json]:
    wanted = set(concept_ids)
    for found in extracted:
        about = [iri for iri in dict.fromkeys(found.about) if iri in wanted]
        yield from (edge(found.url, iri, "about") for iri in about)
        for mention in found.mentions:
            if mention.concept in wanted and mention.concept not in about:
                yield edge(found.url, mention.concept, "mentions", count=mention.count)


# --- side panel details ------------------------------------------------------------------------


def _page_detail(index: SiteIndex, url: str) -> Json:
    article = index.pages[url]
    m = index.view.metrics.get(url) or PageMetrics(url)
    return {
        "kind": "page",
        "title": article.title,
        "url": url,
        "href": url if on_site(url, index.host) else None,
        "draft": article.draft,
        "noindex": article.noindex,
        "metrics": _metrics(m, broken_count(article, m), index.view.clusters),
        "inlinks": _by_title(index.inlinks.get(url, ()), index.pages),
        "outlinks": _by_title(index.outlinks.get(url, ()), index.pages),
        "gapsOut": index.gaps_out.get(url, [])[:GAPS_SHOWN],
        "gapsIn": index.gaps_in.get(url, [])[:GAPS_SHOWN],
    }


def _adjacency(links: LinkCounts) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Pages linking in and out through content (body and related links, not navigation)."""
    inlinks: defaultdict[str, set[str]] = defaultdict(set)
    outlinks: defaultdict[str, set[str]] = defaultdict(set)
    for source, target, kind in links:
        if kind != "nav":
            inlinks[target].add(source)
            outlinks[source].add(target)
    return dict(inlinks), dict(outlinks)


def _by_title(urls: Iterable[str], pages: Mapping[str, Article]) -> list[str]:
    return sorted(urls, key=lambda u: (pages[u].title.casefold(), u))


def _metrics(m: PageMetrics, broken: int, cluster_names: Mapping[str, str]) -> Json:
    return {
        "inlinks": m.inlinks,
        "outlinks": m.outlinks,
        "navInlinks": m.nav_inlinks,
        "brokenLinks": broken,
        "linkScore": round(m.link_score, 1),
        "depth": m.depth,
        "orphan": m.orphan,
        "deadEnd": m.dead_end,
        "cluster": cluster_names.get(m.cluster, m.cluster),
    }


def _gaps_by_page(gaps: Sequence[Gap]) -> tuple[dict[str, list[Json]], dict[str, list[Json]]]:
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
    return dict(out), dict(into)


def _concept_details(concepts: Mapping[str, Concept], extracted: Sequence[ArticleConcepts],
                     concept_ids: Sequence[str]) -> Json:
    about: defaultdict[str, list[str]] = defaultdict(list)
    mentions: defaultdict[str, list[list[Any]]] = defaultdict(list)
    for found in extracted:
        for iri in dict.fromkeys(found.about):
            about[iri].append(found.url)
        for mention in found.mentions:
            mentions[mention.concept].append([found.url, mention.count])
    return {iri: _concept_detail(concepts[iri], about, mentions) for iri in concept_ids}


def _concept_detail(concept: Concept, about: Mapping[str, list[str]], mentions: Mapping[str, list[list[Any]]]) -> Json:
    return {
        "kind": "concept",
        "title": concept.label,
        "iri": concept.iri,
        "type": CONCEPT_STYLES[concept.type].label,
        "about": about.get(concept.iri, []),
        "mentions": sorted(mentions.get(concept.iri, []), key=lambda row: -row[1]),
    }
