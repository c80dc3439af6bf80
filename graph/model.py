"""Records -> RDF quads. The only module that writes ontology terms (defined in docs/ontology.ttl)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime

import pyoxigraph as ox

from graph import iris
from graph.iris import LG, PROV, RDF, SCHEMA, SKOS, XSD
from graph.records import (
    Article,
    ArticleConcepts,
    ContentGap,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    PageMetrics,
)
from graph.vocab import Vocabulary

A = ox.NamedNode(f"{RDF}type")
LINKED = (LinkStatus.OK, LinkStatus.REDIRECT)


@functools.lru_cache(maxsize=1 << 16)
def n(iri: str) -> ox.NamedNode:
    """A named node; predicates, pages and concepts recur, so nodes are made once (a third of model time)."""
    return ox.NamedNode(iri)


def lit(value: str | int | float | bool | date) -> ox.Literal:
    """A typed literal: xsd:boolean, integer, decimal, date or dateTime; strings stay plain."""
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=n(f"{XSD}boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=n(f"{XSD}integer"))
    if isinstance(value, float):
        return ox.Literal(f"{value:.4f}", datatype=n(f"{XSD}decimal"))
    if isinstance(value, datetime):
        return ox.Literal(value.isoformat(), datatype=n(f"{XSD}dateTime"))
    if isinstance(value, date):
        return ox.Literal(value.isoformat(), datatype=n(f"{XSD}date"))
    return ox.Literal(value)


class _Quads:
    """Collects quads for one graph with short helpers."""

    def __init__(self, graph: str) -> None:
        self.graph = n(graph)
        self.quads: list[ox.Quad] = []

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = n(o) if isinstance(o, str) else o
        self.quads.append(ox.Quad(n(s), n(p), obj, self.graph))

    def opt(self, s: str, p: str, value: object) -> None:
        if value not in (None, "", ()):
            self.add(s, p, lit(value))  # type: ignore[arg-type]


def article_quads(article: Article, concepts: ArticleConcepts) -> list[ox.Quad]:
    """One article's named graph: the page, its links and its mentions."""
    q = _Quads(article.url)
    page = article.url
    q.add(page, f"{RDF}type", f"{SCHEMA}MedicalWebPage")
    q.add(page, f"{SCHEMA}url", page)
    q.add(page, f"{SCHEMA}name", lit(article.title))
    for pred, value in _page_fields(article):
        q.opt(page, pred, value)
    for tag in article.tags:
        q.add(page, f"{SCHEMA}keywords", lit(tag))
    if article.canonical and article.canonical != page:
        q.add(page, f"{LG}canonical", article.canonical)
    _links(q, article)
    _mentions(q, page, concepts)
    return q.quads


def _page_fields(a: Article) -> Iterator[tuple[str, object]]:
    yield f"{SCHEMA}description", a.description
    yield f"{SCHEMA}author", a.author
    yield f"{SCHEMA}datePublished", a.published
    yield f"{SCHEMA}dateModified", a.updated
    yield f"{SCHEMA}lastReviewed", a.reviewed
    yield f"{LG}slug", a.slug
    yield f"{LG}sourcePath", a.path
    yield f"{LG}format", a.format
    yield f"{LG}isDraft", a.draft
    yield f"{LG}isNoindex", a.noindex


_LINK_PREDICATE = {LinkKind.BODY: f"{SCHEMA}significantLink", LinkKind.RELATED: f"{SCHEMA}relatedLink"}


def _links(q: _Quads, article: Article) -> None:
    page = article.url
    for i, link in enumerate(article.links, start=1):
        node = iris.link_iri(page, i)
        q.add(page, f"{LG}link", node)
        q.add(node, f"{RDF}type", f"{LG}Link")
        q.add(node, f"{LG}source", page)
        _link_fields(q, node, link)
        pred = _LINK_PREDICATE.get(link.kind)
        if pred and link.target and link.status in LINKED and link.target != page:
            q.add(page, pred, link.target)


def _link_fields(q: _Quads, node: str, link: Link) -> None:
    if link.target:
        q.add(node, f"{LG}target", link.target)
    q.add(node, f"{LG}anchorText", lit(link.anchor))
    q.opt(node, f"{LG}href", link.href)
    q.add(node, f"{LG}section", lit(link.section))
    q.opt(node, f"{LG}sentence", link.sentence)
    q.add(node, f"{LG}kind", lit(link.kind.value))
    q.add(node, f"{LG}status", lit(link.status.value))
    q.add(node, f"{LG}recovered", lit(link.recovered))


def _mentions(q: _Quads, page: str, found: ArticleConcepts) -> None:
    for concept in found.about:
        q.add(page, f"{SCHEMA}about", concept)
    for m in found.mentions:
        if not m.negated:
            q.add(page, f"{SCHEMA}mentions", m.concept)
        node = iris.mention_iri(page, m.concept)
        q.add(page, f"{LG}mention", node)
        q.add(node, f"{RDF}type", f"{LG}Mention")
        q.add(node, f"{LG}concept", m.concept)
        q.add(node, f"{LG}count", lit(m.count))
        q.add(node, f"{LG}negated", lit(m.negated))
        q.add(node, f"{LG}weight", lit(float(m.weight)))
        q.opt(node, f"{LG}surface", m.surface)
        q.opt(node, f"{LG}section", m.section)
        q.opt(node, f"{LG}sentence", m.sentence)


_ALT = (f"{LG}layLabel", f"{LG}clinicalLabel", f"{LG}abbreviation", f"{LG}ambiguousLabel")


def vocabulary_quads(vocab: Vocabulary, site_key: str) -> list[ox.Quad]:
    """The vocabulary graph: the SKOS triples, alt labels made explicit, and code nodes."""
    graph = n(iris.site_graph(site_key, "vocabulary"))
    quads = [ox.Quad(t.subject, t.predicate, t.object, graph) for t in vocab.triples]
    q = _Quads(graph.value)
    for t in vocab.triples:
        if t.predicate.value in _ALT and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.Literal):
            q.add(t.subject.value, f"{SKOS}altLabel", t.object)
    for c in vocab.concepts.values():
        if c.code:
            code = iris.code_iri("icd10cm", c.code)
            q.add(c.iri, f"{SCHEMA}code", code)
            q.add(code, f"{RDF}type", f"{SCHEMA}MedicalCode")
            q.add(code, f"{SCHEMA}codeValue", lit(c.code))
            q.add(code, f"{SCHEMA}codingSystem", lit("ICD-10-CM"))
    return quads + q.quads


def analysis_quads(site_key: str, metrics: Iterable[PageMetrics], gaps: Sequence[Gap],
                   content_gaps: Sequence[ContentGap], cluster_names: Mapping[str, str]) -> list[ox.Quad]:
    """The analysis graph: link metrics, clusters, link suggestions and content gaps."""
    q = _Quads(iris.site_graph(site_key, "analysis"))
    for m in metrics:
        _metric(q, m)
    for key, label in cluster_names.items():
        q.add(key, f"{RDF}type", f"{LG}Cluster")
        q.add(key, f"{SCHEMA}name", lit(label))
    for g in gaps:
        _gap(q, site_key, g)
    for cg in content_gaps:
        node = iris.content_gap_iri(site_key, cg.concept)
        q.add(node, f"{RDF}type", f"{LG}ContentGap")
        q.add(node, f"{LG}concept", cg.concept)
        q.add(node, f"{LG}mentionCount", lit(cg.mentions))
        q.add(node, f"{LG}articleCount", lit(len(cg.articles)))
    return q.quads


def _metric(q: _Quads, m: PageMetrics) -> None:
    page = m.url
    for pred, value in (("inlinks", m.inlinks), ("inlinksTotal", m.inlinks_total), ("navInlinks", m.nav_inlinks),
                        ("outlinks", m.outlinks), ("outlinksTotal", m.outlinks_total),
                        ("brokenLinks", m.broken_links)):
        q.add(page, f"{LG}{pred}", lit(value))
    q.add(page, f"{LG}linkScore", lit(float(m.link_score)))
    q.add(page, f"{LG}pageRank", lit(float(m.pagerank)))
    q.add(page, f"{LG}hubScore", lit(float(m.hub)))
    q.add(page, f"{LG}authorityScore", lit(float(m.authority)))
    if m.depth is not None:
        q.add(page, f"{LG}depth", lit(m.depth))
    q.add(page, f"{LG}isOrphan", lit(m.orphan))
    q.add(page, f"{LG}isDeadEnd", lit(m.dead_end))
    if m.cluster:
        q.add(page, f"{LG}cluster", m.cluster)


def _gap(q: _Quads, site_key: str, g: Gap) -> None:
    node = iris.gap_iri(site_key, g.source, g.target)
    q.add(node, f"{RDF}type", f"{LG}LinkSuggestion")
    q.add(node, f"{LG}source", g.source)
    q.add(node, f"{LG}target", g.target)
    q.add(node, f"{LG}anchorText", lit(g.anchor))
    q.add(node, f"{LG}sentence", lit(g.sentence))
    q.add(node, f"{LG}section", lit(g.section))
    q.add(node, f"{LG}score", lit(float(g.score)))
    q.add(node, f"{LG}reason", lit(g.reason))
    if g.concept:
        q.add(node, f"{LG}concept", g.concept)


def build_quads(site_key: str, source: str, version: str, started: datetime, ended: datetime) -> list[ox.Quad]:
    """Build provenance (PROV); lives only in the build graph, which comparisons leave out."""
    q = _Quads(iris.site_graph(site_key, "build"))
    act = iris.build_iri(site_key)
    q.add(act, f"{RDF}type", f"{PROV}Activity")
    q.add(act, f"{PROV}startedAtTime", lit(started))
    q.add(act, f"{PROV}endedAtTime", lit(ended))
    q.add(act, f"{PROV}used", lit(source))
    q.add(act, f"{LG}linkgraphVersion", lit(version))
    return q.quads
