"""Records -> RDF quads. The only module that writes ontology terms (defined in docs/ontology.ttl)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime

import pyoxigraph as ox

from graph import iris
from graph.analyse.findings import AmbiguousAnchor, Findings, MissingKind, MissingLink
from graph.analyse.links import REACHES
from graph.iris import LG, PROV, RDF, SCHEMA, SKOS, XSD
from graph.records import (
    Article,
    ArticleConcepts,
    ContentGap,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    Mention,
    PageMetrics,
)
from graph.vocab import Vocabulary

A = ox.NamedNode(f"{RDF}type")
Q = ox.Quad


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


@functools.lru_cache(maxsize=1 << 15, typed=True)
def shared(value: str | int | float) -> ox.Literal:
    """`lit(value)` made once: counts, weights, headings and anchors recur, and terms are immutable.

    typed=True keeps 1, 1.0 and True apart (they hash alike but are different literals).
    """
    return lit(value)


# The article graphs' terms, made once: 4.3M quads at 10k articles share them. Each is spelled out as an
# f-string on LG so tests/test_ontology.py sees it. Nodes new per page (link and mention IRIs) are made
# with ox.NamedNode directly: 383k of them at 10k would only flush the cache of `n`.
LG_LINK, LG_LINK_CLASS, LG_SOURCE = n(f"{LG}link"), n(f"{LG}Link"), n(f"{LG}source")
LG_TARGET, LG_ANCHOR, LG_HREF = n(f"{LG}target"), n(f"{LG}anchorText"), n(f"{LG}href")
LG_SECTION, LG_SENTENCE, LG_KIND = n(f"{LG}section"), n(f"{LG}sentence"), n(f"{LG}kind")
LG_STATUS, LG_RECOVERED = n(f"{LG}status"), n(f"{LG}recovered")
LG_MENTION, LG_MENTION_CLASS, LG_CONCEPT = n(f"{LG}mention"), n(f"{LG}Mention"), n(f"{LG}concept")
LG_COUNT, LG_NEGATED, LG_WEIGHT, LG_SURFACE = n(f"{LG}count"), n(f"{LG}negated"), n(f"{LG}weight"), n(f"{LG}surface")
SCHEMA_ABOUT, SCHEMA_MENTIONS = n(f"{SCHEMA}about"), n(f"{SCHEMA}mentions")
TRUE, FALSE = lit(True), lit(False)
_KIND = {k: ox.Literal(k.value) for k in LinkKind}
_STATUS = {s: ox.Literal(s.value) for s in LinkStatus}


class _Quads:
    """Collects quads for one graph with short helpers."""

    def __init__(self, graph: str) -> None:
        self.graph = n(graph)
        self.quads: list[ox.Quad] = []

    def add(self, s: str, p: str, o: ox.NamedNode | ox.Literal | str) -> None:
        obj = n(o) if isinstance(o, str) else o
        self.quads.append(Q(n(s), n(p), obj, self.graph))

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
    for i, link in enumerate(article.links, start=1):
        _link(q.quads, q.graph, page, i, link)
    _mentions(q.quads, q.graph, page, concepts)
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


_LINK_PREDICATE = {LinkKind.BODY: n(f"{SCHEMA}significantLink"), LinkKind.RELATED: n(f"{SCHEMA}relatedLink")}


def _link(out: list[ox.Quad], page: ox.NamedNode, url: str, i: int, link: Link) -> None:
    """The i-th link node of a page (the page node is also the graph); its IRI is new, so it skips the cache."""
    node = ox.NamedNode(iris.link_iri(url, i))
    target = n(link.target) if link.target else None
    out += (Q(page, LG_LINK, node, page), Q(node, A, LG_LINK_CLASS, page), Q(node, LG_SOURCE, page, page))
    if target is not None:
        out.append(Q(node, LG_TARGET, target, page))
    out.append(Q(node, LG_ANCHOR, shared(link.anchor), page))
    if link.href:
        out.append(Q(node, LG_HREF, ox.Literal(link.href), page))
    out.append(Q(node, LG_SECTION, shared(link.section), page))
    if link.sentence:
        out.append(Q(node, LG_SENTENCE, ox.Literal(link.sentence), page))
    out += (Q(node, LG_KIND, _KIND[link.kind], page), Q(node, LG_STATUS, _STATUS[link.status], page),
            Q(node, LG_RECOVERED, TRUE if link.recovered else FALSE, page))
    pred = _LINK_PREDICATE.get(link.kind)
    if pred and target is not None and link.status in REACHES and link.target != url:
        out.append(Q(page, pred, target, page))


def _mentions(out: list[ox.Quad], page: ox.NamedNode, url: str, found: ArticleConcepts) -> None:
    """schema:about, then per mention schema:mentions (unless negated) and its lg:Mention node."""
    out += (Q(page, SCHEMA_ABOUT, n(concept), page) for concept in found.about)
    for m in found.mentions:
        _mention(out, page, url, m)


def _mention(out: list[ox.Quad], page: ox.NamedNode, url: str, m: Mention) -> None:
    """One mention node; its IRI is new (no cache), every other term is shared."""
    concept = n(m.concept)
    node = ox.NamedNode(iris.mention_iri(url, m.concept))
    if not m.negated:
        out.append(Q(page, SCHEMA_MENTIONS, concept, page))
    out += (Q(page, LG_MENTION, node, page), Q(node, A, LG_MENTION_CLASS, page), Q(node, LG_CONCEPT, concept, page),
            Q(node, LG_COUNT, shared(m.count), page), Q(node, LG_NEGATED, TRUE if m.negated else FALSE, page),
            Q(node, LG_WEIGHT, shared(float(m.weight)), page))
    if m.surface:
        out.append(Q(node, LG_SURFACE, shared(m.surface), page))
    if m.section:
        out.append(Q(node, LG_SECTION, shared(m.section), page))
    if m.sentence:
        out.append(Q(node, LG_SENTENCE, ox.Literal(m.sentence), page))


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


# --------------------------------------------------------------------------- editorial findings (analysis graph)
_MISSING_CLASS = {MissingKind.DRUG: n(f"{LG}MissingDrugLink"), MissingKind.TREATMENT: n(f"{LG}MissingTreatmentLink"),
                  MissingKind.CONDITION: n(f"{LG}MissingConditionLink")}
_AMBIGUOUS_ANCHOR, _ANCHOR_TEXT = n(f"{LG}AmbiguousAnchor"), n(f"{LG}anchorText")
_ANCHOR_TARGET, _SOURCE, _CONCEPT = n(f"{LG}anchorTarget"), n(f"{LG}source"), n(f"{LG}concept")
_SYMPTOM, _TARGET_COUNT, _BEST_TARGET = n(f"{LG}symptom"), n(f"{LG}targetCount"), n(f"{LG}bestTarget")
_RANK = n(f"{LG}rank")


def findings_quads(site_key: str, findings: Findings) -> list[ox.Quad]:
    """What the editorial named queries read, in the analysis graph: each page's lg:linkRank (and
    lg:deepPageRank if deep), and each finding as a node with its lg:rank, the row it is in its
    query's order, so a query reads its first rows instead of sorting the whole site.

    Finding quads are made directly: a big site has hundreds of thousands of them, each node new."""
    q = _Quads(iris.site_graph(site_key, "analysis"))
    for page, rank in findings.link_ranks.items():
        q.add(page, f"{LG}linkRank", lit(rank))
    for page, rank in findings.deep_ranks.items():
        q.add(page, f"{LG}deepPageRank", lit(rank))
    for m in findings.missing:
        q.quads += _missing_link(q.graph, _finding(site_key, m.kind.value, m.page, m.symptom, m.concept), m)
    for a in findings.anchors:
        q.quads += _ambiguous_anchor(q.graph, _finding(site_key, "anchor", a.anchor), a)
    return q.quads


def _finding(site_key: str, *key: str) -> ox.NamedNode:
    return ox.NamedNode(iris.finding_iri(site_key, *key))


def _missing_link(graph: ox.NamedNode, node: ox.NamedNode, m: MissingLink) -> list[ox.Quad]:
    quads = [ox.Quad(node, A, _MISSING_CLASS[m.kind], graph), ox.Quad(node, _SOURCE, n(m.page), graph),
             ox.Quad(node, _CONCEPT, n(m.concept), graph), ox.Quad(node, _TARGET_COUNT, lit(m.targets), graph),
             ox.Quad(node, _BEST_TARGET, n(m.best), graph), ox.Quad(node, _RANK, lit(m.rank), graph)]
    if m.symptom:
        quads.append(ox.Quad(node, _SYMPTOM, n(m.symptom), graph))
    return quads


def _ambiguous_anchor(graph: ox.NamedNode, node: ox.NamedNode, a: AmbiguousAnchor) -> list[ox.Quad]:
    quads = [ox.Quad(node, A, _AMBIGUOUS_ANCHOR, graph), ox.Quad(node, _ANCHOR_TEXT, lit(a.anchor), graph),
             ox.Quad(node, _RANK, lit(a.rank), graph)]
    return quads + [ox.Quad(node, _ANCHOR_TARGET, n(target), graph) for target in a.targets]
