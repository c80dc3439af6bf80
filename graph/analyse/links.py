"""Link metrics on the body+related link graph; nav links are counted apart, self-links never."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from graph import iris
from graph.records import Article, ArticleConcepts, Concept, Link, LinkKind, LinkStatus, PageMetrics

COUNTED = (LinkKind.BODY, LinkKind.RELATED)
REACHES = (LinkStatus.OK, LinkStatus.REDIRECT)
LOUVAIN_SEED = 42


@dataclass(frozen=True)
class LinkAnalysis:
    """Per-page metrics plus the named topic clusters."""

    metrics: dict[str, PageMetrics]
    clusters: dict[str, str]
    start_pages: tuple[str, ...]
    articulation: frozenset[str] = frozenset()


def reaches_article(article: Article, link: Link) -> bool:
    """A body or related link to another article (redirects count as links to where they land): what the
    model writes as schema:significantLink or schema:relatedLink."""
    return link.kind in COUNTED and link.status in REACHES and bool(link.target) and link.target != article.url


def _counts(link: Link, source: str, urls: set[str]) -> bool:
    return link.kind in COUNTED and link.status in REACHES and link.target in urls and link.target != source


def link_graph(articles: Sequence[Article]) -> nx.DiGraph:
    """Pages as nodes; an edge per linked pair with `count` = link occurrences (body and related)."""
    urls = {a.url for a in articles}
    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(urls))
    for a in articles:
        for link in a.links:
            if _counts(link, a.url, urls):
                data = graph.get_edge_data(a.url, link.target)
                graph.add_edge(a.url, link.target, count=(data["count"] + 1) if data else 1)
    return graph


def linked_pairs(articles: Sequence[Article]) -> set[tuple[str, str]]:
    """(source, target) of every body or related link with a target: pairs a suggestion must not repeat."""
    return {(a.url, lk.target) for a in articles for lk in a.links if lk.kind in COUNTED and lk.target}


def articulation_pages(graph: nx.DiGraph) -> set[str]:
    """Pages whose removal cuts the undirected link graph in two: the only bridge between parts of the site.

    >>> articulation_pages(nx.DiGraph([("a", "b"), ("b", "c")]))
    {'b'}
    """
    return set(nx.articulation_points(graph.to_undirected(as_view=True)))


def link_scores(pagerank: Mapping[str, float]) -> dict[str, float]:
    """PageRank log-scaled and min-max scaled to 0-100 (docs/analysis.md gives the formula).

    >>> link_scores({"a": 0.1, "b": 0.01, "c": 0.001})
    {'a': 100.0, 'b': 50.0, 'c': 0.0}
    """
    logs = {u: math.log10(max(v, 1e-12)) for u, v in pagerank.items()}
    lo, hi = min(logs.values(), default=0.0), max(logs.values(), default=0.0)
    span = hi - lo
    return {u: round(100 * (v - lo) / span, 2) if span > 1e-12 else 100.0 for u, v in logs.items()}


def analyse_links(articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts],
                  concepts: Mapping[str, Concept], site_key: str, start_urls: Sequence[str]) -> LinkAnalysis:
    """Every page metric of pages.csv, computed once on the link graph."""
    graph = link_graph(articles)
    pagerank = nx.pagerank(graph, alpha=0.85) if len(graph) else {}
    scores = link_scores(pagerank)
    hubs, auths = _hits(graph)
    starts = tuple(u for u in start_urls if u in graph) or _top(scores)
    depth = nx.multi_source_dijkstra_path_length(graph, set(starts), weight=None) if starts else {}
    cluster_of, names = _clusters(graph, extracted, concepts, site_key)
    nav, broken = _nav_and_broken(articles)
    metrics = {}
    for url in graph.nodes:
        ins, outs = graph.in_edges(url, data="count"), graph.out_edges(url, data="count")
        metrics[url] = PageMetrics(
            url=url, inlinks=len(ins), inlinks_total=sum(c for *_, c in ins), nav_inlinks=nav[url],
            outlinks=len(outs), outlinks_total=sum(c for *_, c in outs), broken_links=broken[url],
            pagerank=round(pagerank.get(url, 0.0), 6), link_score=scores.get(url, 0.0),
            depth=depth.get(url), hub=round(hubs.get(url, 0.0), 6), authority=round(auths.get(url, 0.0), 6),
            cluster=cluster_of.get(url, ""), orphan=not ins, dead_end=not outs,
        )
    return LinkAnalysis(metrics, names, starts, frozenset(articulation_pages(graph)))


def _top(scores: Mapping[str, float]) -> tuple[str, ...]:
    if not scores:
        return ()
    return (min(scores, key=lambda u: (-scores[u], u)),)


def _hits(graph: nx.DiGraph, iterations: int = 200, tol: float = 1e-10) -> tuple[dict[str, float], dict[str, float]]:
    """HITS hub and authority scores by power iteration from a uniform start: the same on every run.

    networkx's `hits` uses ARPACK, which starts from a random vector, so scores changed between
    identical builds whenever the top singular value is repeated (small or disconnected sites).
    """
    if graph.number_of_edges() == 0:
        return {}, {}
    nodes = list(graph)
    adjacency = nx.to_scipy_sparse_array(graph, nodelist=nodes, weight=None, format="csr")
    hubs = np.full(len(nodes), 1.0 / len(nodes))
    for _ in range(iterations):
        auths = adjacency.T @ hubs
        auths /= auths.sum() or 1.0
        new_hubs = adjacency @ auths
        new_hubs /= new_hubs.sum() or 1.0
        done = np.abs(new_hubs - hubs).sum() < tol
        hubs = new_hubs
        if done:
            break
    return dict(zip(nodes, hubs.tolist(), strict=True)), dict(zip(nodes, auths.tolist(), strict=True))


def _nav_and_broken(articles: Sequence[Article]) -> tuple[Counter[str], Counter[str]]:
    """Distinct pages linking in from navigation, and broken links per page."""
    nav_pairs = {(a.url, lk.target) for a in articles for lk in a.links
                 if lk.kind == LinkKind.NAV and lk.target and lk.target != a.url}
    nav = Counter(target for _, target in nav_pairs)
    broken = Counter(a.url for a in articles for lk in a.links if lk.status == LinkStatus.BROKEN)
    return nav, broken


def _clusters(graph: nx.DiGraph, extracted: Mapping[str, ArticleConcepts], concepts: Mapping[str, Concept],
              site_key: str) -> tuple[dict[str, str], dict[str, str]]:
    """Louvain communities (fixed seed), each named after its members' most common about-concept."""
    if graph.number_of_edges() == 0:
        return {}, {}
    communities = nx.community.louvain_communities(graph.to_undirected(), seed=LOUVAIN_SEED)
    communities = sorted((sorted(c) for c in communities if len(c) > 1), key=lambda c: (-len(c), c[0]))
    cluster_of, names = {}, {}
    for number, members in enumerate(communities, start=1):
        key = iris.cluster_iri(site_key, number)
        about = Counter(c for u in members if u in extracted for c in extracted[u].about)
        top = min(about, key=lambda c: (-about[c], c)) if about else ""
        names[key] = concepts[top].label if top in concepts else f"cluster {number}"
        cluster_of.update(dict.fromkeys(members, key))
    return cluster_of, names
