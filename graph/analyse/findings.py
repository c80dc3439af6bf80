"""Site-wide editorial findings, ranked once here so the named queries read them instead of recomputing.

The editorial named queries (graph/queries/*.rq) used to derive these from the whole graph on every
run: seconds at 10k articles, since the store looks terms up one at a time. The analysis graph now
holds each finding with its place in the query's order (lg:rank), and a query reads the first rows.
Each function states the query it serves; the rule is the query's, so the rows stay the same:

* missing drug links      -- drug-mentions-without-link
* missing treatment links -- condition-pages-without-treatment-link
* missing condition links -- symptom-pages-not-linking-conditions
* ambiguous anchors       -- anchors-multiple-targets
* link ranks              -- top-pages-by-link-score, and ties in the others
* deep page ranks         -- deep-pages

A "linked" article is what the model writes as schema:significantLink or schema:relatedLink: a body or
related link that reaches another article (ok or redirect).

>>> from graph.records import Link
>>> ambiguous_anchors([Article("a.md", "a", "A", "md", url="u:a", links=(
...     Link("/b", "Sciatica", target="u:b"), Link("/c", "sciatica", kind=LinkKind.NAV, target="u:c")))])
[AmbiguousAnchor(anchor='sciatica', targets=('u:b', 'u:c'), rank=1)]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from graph.analyse.links import LinkAnalysis, reaches_article
from graph.records import Article, ArticleConcepts, Concept, ConceptType, LinkKind, PageMetrics
from graph.vocab import Vocabulary

#: Clicks from a start page beyond which a page is deep (the deep-pages query).
DEEP = 3
#: Link kinds the anchors query groups (every kind but external), as lg:kind spells them.
ANCHOR_KINDS = (LinkKind.BODY, LinkKind.RELATED, LinkKind.NAV)


class MissingKind(StrEnum):
    """Which link a page lacks (graph/model.py writes each kind as its own class)."""

    DRUG = "drug"
    TREATMENT = "treatment"
    CONDITION = "condition"


@dataclass(frozen=True, slots=True)
class MissingLink:
    """A page that should link an article about `concept` and links none.

    `symptom` is set for a missing condition link: the symptom the page is about that the condition
    lists. `targets` counts the articles (other than the page) that would fix it, `best` is the one
    with the highest link score, and `rank` the row's place among the findings of its kind (1 = first).
    """

    kind: MissingKind
    page: str
    concept: str
    rank: int
    targets: int
    best: str
    symptom: str = ""


@dataclass(frozen=True, slots=True)
class _Key:
    """A finding before ranking: what is missing where, and the articles that would fix it."""

    page: str
    symptom: str
    concept: str
    targets: frozenset[str]


@dataclass(frozen=True, slots=True)
class AmbiguousAnchor:
    """One anchor text (lower-cased) whose links point at several pages, with its place in the list."""

    anchor: str
    targets: tuple[str, ...]
    rank: int


@dataclass(frozen=True)
class Findings:
    """Everything the analysis graph gains for the editorial queries."""

    link_ranks: dict[str, int]
    missing: tuple[MissingLink, ...] = ()
    anchors: tuple[AmbiguousAnchor, ...] = ()
    deep_ranks: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Site:
    """The indexes every rule reads: who is about what, who links whom, what each concept is."""

    about: dict[str, frozenset[str]]  # concept -> pages about it
    linked: dict[str, frozenset[str]]  # page -> articles it links
    types: dict[str, ConceptType]
    ranks: dict[str, int]
    bests: dict[frozenset[str], str] = field(default_factory=dict)  # `best` remembered per page set

    def pages(self, concept: str) -> frozenset[str]:
        return self.about.get(concept, frozenset())

    def links_any(self, page: str, targets: frozenset[str]) -> bool:
        return not self.linked.get(page, frozenset()).isdisjoint(targets)

    def is_a(self, concept: str, *kinds: ConceptType) -> bool:
        return self.types.get(concept) in kinds

    def best(self, pages: frozenset[str]) -> str:
        """The page with the highest link score (lowest link rank, then URL); every mention of a drug
        asks about the same set, so each set is looked at once."""
        if pages not in self.bests:
            self.bests[pages] = min(pages, key=lambda page: (self.ranks.get(page, len(self.ranks) + 1), page))
        return self.bests[pages]

    def others(self, pages: frozenset[str], page: str) -> frozenset[str]:
        """`pages` without `page`, the same set when it is not there (most often)."""
        return pages - {page} if page in pages else pages


def editorial_findings(articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts], vocab: Vocabulary,
                       links: LinkAnalysis) -> Findings:
    """Every finding the editorial queries list, ranked as the queries order them."""
    site = _index(articles, extracted, vocab.concepts, links.metrics)
    missing = (
        *_missing_drug_links(site, extracted),
        *_missing_treatment_links(site, _related(vocab, "possibleTreatment")),
        *_missing_condition_links(site, _related(vocab, "signOrSymptom")),
    )
    return Findings(site.ranks, missing, tuple(ambiguous_anchors(articles)), deep_page_ranks(links.metrics, site.ranks))


def link_ranks(metrics: Mapping[str, PageMetrics]) -> dict[str, int]:
    """Each page's place by link score, highest first, ties by URL: the order of `ORDER BY DESC(?score) ?page`.

    >>> link_ranks({u: PageMetrics(u, link_score=s) for u, s in [("b", 5.0), ("a", 5.0), ("c", 9.0)]})
    {'c': 1, 'a': 2, 'b': 3}
    """
    order = sorted(metrics, key=lambda url: (-metrics[url].link_score, url))
    return {url: rank for rank, url in enumerate(order, start=1)}


def deep_page_ranks(metrics: Mapping[str, PageMetrics], ranks: Mapping[str, int]) -> dict[str, int]:
    """The deep-pages order of the pages more than DEEP clicks from a start page: most inlinks first,
    then deepest, then by link rank.

    >>> deep_page_ranks({u: PageMetrics(u, inlinks=i, depth=d) for u, i, d in [("a", 1, 4), ("b", 5, 9), ("c", 9, 2)]},
    ...                 {"a": 1, "b": 2, "c": 3})
    {'b': 1, 'a': 2}
    """
    deep = [m for m in metrics.values() if m.depth is not None and m.depth > DEEP]
    order = sorted(deep, key=lambda m: (-m.inlinks, -(m.depth or 0), ranks.get(m.url, len(ranks) + 1), m.url))
    return {m.url: rank for rank, m in enumerate(order, start=1)}


def _index(articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts], concepts: Mapping[str, Concept],
           metrics: Mapping[str, PageMetrics]) -> _Site:
    about: dict[str, set[str]] = defaultdict(set)
    for page, found in extracted.items():
        for concept in found.about:
            about[concept].add(page)
    linked = {a.url: _linked_articles(a) for a in articles}
    return _Site({c: frozenset(p) for c, p in about.items()}, {p: t for p, t in linked.items() if t},
                 {iri: c.type for iri, c in concepts.items()}, link_ranks(metrics))


def _linked_articles(article: Article) -> frozenset[str]:
    """What the model writes as schema:significantLink or schema:relatedLink of the page."""
    return frozenset(lk.target for lk in article.links if lk.target and reaches_article(article, lk))


def _related(vocab: Vocabulary, predicate: str) -> dict[str, tuple[str, ...]]:
    """Subject -> objects of one clinical relation, e.g. condition -> its possible treatments."""
    objects: dict[str, list[str]] = defaultdict(list)
    for relation in vocab.related(predicate):
        objects[relation.subject].append(relation.object)
    return {s: tuple(o) for s, o in objects.items()}


def _ranked(kind: MissingKind, site: _Site, keys: Iterable[_Key]) -> list[MissingLink]:
    """Findings numbered in query order: the page's link rank (pages without one last), page, symptom, concept."""
    last = len(site.ranks) + 1
    unique = sorted(set(keys), key=lambda k: (site.ranks.get(k.page, last), k.page, k.symptom, k.concept))
    return [MissingLink(kind, k.page, k.concept, rank, len(k.targets), site.best(k.targets), k.symptom)
            for rank, k in enumerate(unique, start=1)]


def _missing_drug_links(site: _Site, extracted: Mapping[str, ArticleConcepts]) -> list[MissingLink]:
    """drug-mentions-without-link: a page mentions (unnegated) a drug or drug class that has an article,
    is not about it, and links no article about it."""
    return _ranked(MissingKind.DRUG, site, _drug_keys(site, extracted))


def _drug_keys(site: _Site, extracted: Mapping[str, ArticleConcepts]) -> Iterator[_Key]:
    for page, found in extracted.items():
        for mention in found.mentions:
            drug = mention.concept
            if mention.negated or not site.is_a(drug, ConceptType.DRUG, ConceptType.DRUG_CLASS):
                continue
            pages = site.pages(drug)
            if pages and page not in pages and not site.links_any(page, pages):
                yield _Key(page, "", drug, pages)


def _missing_treatment_links(site: _Site, treatments: Mapping[str, Sequence[str]]) -> list[MissingLink]:
    """condition-pages-without-treatment-link: a page about a condition links no article about any of
    its possible treatments, though another page is about one."""
    return _ranked(MissingKind.TREATMENT, site, _treatment_keys(site, treatments))


def _treatment_keys(site: _Site, treatments: Mapping[str, Sequence[str]]) -> Iterator[_Key]:
    for condition, cures in treatments.items():
        if not site.is_a(condition, ConceptType.CONDITION):
            continue
        targets: frozenset[str] = frozenset().union(*(site.pages(t) for t in cures))
        for page in site.pages(condition):
            if (rest := site.others(targets, page)) and not site.links_any(page, targets):
                yield _Key(page, "", condition, rest)


def _missing_condition_links(site: _Site, symptoms: Mapping[str, Sequence[str]]) -> list[MissingLink]:
    """symptom-pages-not-linking-conditions: a page about a symptom links no article about a condition
    that lists the symptom (schema:signOrSymptom), though another page is about the condition."""
    return _ranked(MissingKind.CONDITION, site, _condition_keys(site, symptoms))


def _condition_keys(site: _Site, symptoms: Mapping[str, Sequence[str]]) -> Iterator[_Key]:
    for condition, signs in symptoms.items():
        targets = site.pages(condition)
        if not site.is_a(condition, ConceptType.CONDITION) or not targets:
            continue
        for symptom in signs:
            if not site.is_a(symptom, ConceptType.SYMPTOM):
                continue
            for page in site.pages(symptom):
                if (rest := site.others(targets, page)) and not site.links_any(page, targets):
                    yield _Key(page, symptom, condition, rest)


def ambiguous_anchors(articles: Sequence[Article]) -> list[AmbiguousAnchor]:
    """anchors-multiple-targets: anchor texts, lower-cased, whose body, related or nav links (with a
    target) point at more than one URL; most targets first, then by anchor."""
    targets: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        for link in a.links:
            if link.kind in ANCHOR_KINDS and link.target:
                targets[link.anchor.lower()].add(link.target)
    several = sorted(((anchor, t) for anchor, t in targets.items() if len(t) > 1), key=lambda x: (-len(x[1]), x[0]))
    return [AmbiguousAnchor(anchor, tuple(sorted(t)), rank) for rank, (anchor, t) in enumerate(several, start=1)]
