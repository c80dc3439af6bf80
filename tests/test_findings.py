"""Editorial findings (graph/analyse/findings.py) on hand-made records, and their quads (graph/model.py)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph import iris, model
from graph.analyse.findings import (
    AmbiguousAnchor,
    Findings,
    MissingKind,
    MissingLink,
    ambiguous_anchors,
    deep_page_ranks,
    editorial_findings,
    link_ranks,
)
from graph.analyse.links import LinkAnalysis
from graph.iris import LG, LGC, RDF, SCHEMA
from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    Link,
    LinkKind,
    LinkStatus,
    Mention,
    PageMetrics,
    Relation,
)
from graph.vocab import Vocabulary

SITE = "https://site.example/"
T = ConceptType
CONCEPTS = {
    "sciatica": T.CONDITION, "shingles": T.CONDITION, "gout": T.CONDITION, "leg-pain": T.SYMPTOM,
    "fever": T.SYMPTOM, "ibuprofen": T.DRUG, "nsaid": T.DRUG_CLASS, "physio": T.THERAPY, "rest": T.THERAPY,
}
RELATIONS = [
    ("sciatica", "possibleTreatment", "physio"), ("sciatica", "possibleTreatment", "ibuprofen"),
    ("shingles", "possibleTreatment", "ibuprofen"), ("gout", "possibleTreatment", "rest"),
    ("sciatica", "signOrSymptom", "leg-pain"), ("shingles", "signOrSymptom", "leg-pain"),
    ("shingles", "signOrSymptom", "fever"), ("gout", "signOrSymptom", "fever"),
]
VOCAB = Vocabulary(
    {LGC + c: Concept(LGC + c, c, kind) for c, kind in CONCEPTS.items()},
    tuple(Relation(LGC + s, SCHEMA + p, LGC + o) for s, p, o in RELATIONS),
    (),
)


def url(slug: str) -> str:
    return f"{SITE}{slug}/"


def link(target: str, anchor: str = "", kind: LinkKind = LinkKind.BODY, status: LinkStatus = LinkStatus.OK) -> Link:
    return Link(f"/{target}/", anchor or target, kind=kind, target=url(target), status=status)


def page(slug: str, about: str, mentions: str = "", *links: Link, negated: str = "") -> tuple[Article, ArticleConcepts]:
    """An article and what extraction found in it; concepts by slug, space-separated."""
    found = [Mention(LGC + c, 1, c, "", f"{c}.") for c in mentions.split()]
    found += [Mention(LGC + c, 1, c, "", f"no {c}.", negated=True) for c in negated.split()]
    return (Article(f"{slug}.md", slug, slug, "md", url=url(slug), links=links),
            ArticleConcepts(url(slug), tuple(LGC + c for c in about.split()), tuple(found)))


def findings(*pages: tuple[Article, ArticleConcepts], scores: dict[str, float] | None = None) -> Findings:
    scores = scores or {}
    metrics = {a.url: PageMetrics(a.url, link_score=scores.get(a.slug, 0.0)) for a, _ in pages}
    return editorial_findings([a for a, _ in pages], {c.url: c for _, c in pages}, VOCAB,
                              LinkAnalysis(metrics, {}, ()))


def rows(found: Findings, kind: MissingKind) -> list[tuple[str, str, str, int, int, str]]:
    """(page, symptom, concept, rank, targets, best) of one kind, slugs for short."""
    def slug(iri: str) -> str:
        return iri.removeprefix(LGC).removeprefix(SITE).rstrip("/")
    return [(slug(m.page), slug(m.symptom), slug(m.concept), m.rank, m.targets, slug(m.best))
            for m in found.missing if m.kind is kind]


# --------------------------------------------------------------------------- ranks


def test_link_ranks_break_ties_by_url_and_deep_ranks_by_inlinks_depth_then_link_rank() -> None:
    metrics = {u: PageMetrics(u, link_score=s, inlinks=i, depth=d) for u, s, i, d in [
        ("https://s/b", 50.0, 3, 5), ("https://s/a", 50.0, 3, 5), ("https://s/c", 90.0, 3, 4),
        ("https://s/d", 10.0, 8, 4), ("https://s/e", 99.0, 9, 3), ("https://s/f", 99.0, 9, None)]}
    ranks = link_ranks(metrics)
    assert [u for u, _ in sorted(ranks.items(), key=lambda kv: kv[1])] == [
        "https://s/e", "https://s/f", "https://s/c", "https://s/a", "https://s/b", "https://s/d"]
    assert deep_page_ranks(metrics, ranks) == {"https://s/d": 1, "https://s/a": 2, "https://s/b": 3, "https://s/c": 4}


# --------------------------------------------------------------------------- missing links


def test_a_drug_mention_is_a_finding_until_the_page_links_an_article_about_the_drug() -> None:
    found = findings(
        page("ibuprofen", "ibuprofen", "nsaid"),
        page("nsaid-guide", "nsaid", "ibuprofen", link("ibuprofen", kind=LinkKind.RELATED)),
        page("back", "sciatica", "ibuprofen nsaid", link("old-ibuprofen", status=LinkStatus.REDIRECT)),
        page("knee", "gout", "ibuprofen rest", link("ibuprofen", kind=LinkKind.NAV)),  # nav does not count
        page("hip", "gout", "physio", negated="ibuprofen"),  # negated; physio is no drug
        page("ibuprofen-2", "ibuprofen"),
        scores={"knee": 40.0, "back": 20.0, "ibuprofen-2": 5.0},
    )
    assert rows(found, MissingKind.DRUG) == [
        ("knee", "", "ibuprofen", 1, 2, "ibuprofen-2"),  # highest link score first; best-linked target
        ("back", "", "ibuprofen", 2, 2, "ibuprofen-2"),  # a redirect to another URL is not the drug page
        ("back", "", "nsaid", 3, 1, "nsaid-guide"),
        ("ibuprofen", "", "nsaid", 4, 1, "nsaid-guide"),
    ]  # nsaid-guide links the ibuprofen page; the ibuprofen pages are about it


def test_a_condition_page_is_a_finding_when_it_links_no_treatment_article() -> None:
    found = findings(
        page("sciatica", "sciatica"),
        page("sciatica-2", "sciatica", "", link("ibuprofen", status=LinkStatus.BROKEN)),  # broken does not count
        page("sciatica-3", "sciatica", "", link("physio", kind=LinkKind.RELATED)),
        page("shingles", "shingles"),
        page("gout", "gout rest"),  # the only article about its treatment is itself
        page("ibuprofen", "ibuprofen"), page("physio", "physio"),
        scores={"sciatica-2": 60.0, "ibuprofen": 10.0},
    )
    assert rows(found, MissingKind.TREATMENT) == [
        ("sciatica-2", "", "sciatica", 1, 2, "ibuprofen"),
        ("sciatica", "", "sciatica", 2, 2, "ibuprofen"),
        ("shingles", "", "shingles", 3, 1, "ibuprofen"),
    ]


def test_a_symptom_page_is_a_finding_per_condition_it_does_not_link() -> None:
    found = findings(
        page("leg-pain", "leg-pain"),
        page("fever", "fever", "", link("shingles")),
        page("fever-2", "fever gout"),  # the only gout article: nothing else to link for gout
        page("sciatica", "sciatica"), page("shingles", "shingles"),
        scores={"leg-pain": 5.0, "shingles": 70.0},
    )
    assert rows(found, MissingKind.CONDITION) == [
        ("leg-pain", "leg-pain", "sciatica", 1, 1, "sciatica"),  # highest link score first
        ("leg-pain", "leg-pain", "shingles", 2, 1, "shingles"),
        ("fever-2", "fever", "shingles", 3, 1, "shingles"),  # then by URL: "fever-2/" sorts before "fever/"
        ("fever", "fever", "gout", 4, 1, "fever-2"),
    ]


def test_ambiguous_anchors_ignore_case_and_external_links_most_targets_first() -> None:
    a, _ = page("a", "fever", "", link("b", "Fever"), link("c", "fever", LinkKind.NAV), link("d", "FEVER"),
                link("b", "gout"), link("c", "Gout", LinkKind.RELATED), link("e", "leg", LinkKind.EXTERNAL),
                link("f", "leg"), Link("/x", "leg"))  # no target
    assert ambiguous_anchors([a]) == [
        AmbiguousAnchor("fever", (url("b"), url("c"), url("d")), 1),
        AmbiguousAnchor("gout", (url("b"), url("c")), 2),
    ]


# --------------------------------------------------------------------------- quads


def text(term: object) -> str:
    assert isinstance(term, ox.NamedNode | ox.Literal), term
    return term.value


@pytest.fixture(scope="module")
def quads() -> list[ox.Quad]:
    found = Findings(
        {url("a"): 1, url("b"): 2}, (
            MissingLink(MissingKind.DRUG, url("a"), LGC + "ibuprofen", 1, 2, url("b")),
            MissingLink(MissingKind.CONDITION, url("a"), LGC + "gout", 1, 1, url("c"), symptom=LGC + "fever"),
        ), (AmbiguousAnchor("fever", (url("b"), url("c")), 1),), {url("b"): 1})
    return model.findings_quads("site.example", found)


def test_findings_go_to_the_analysis_graph_with_stable_distinct_iris(quads: list[ox.Quad]) -> None:
    assert {q.graph_name for q in quads} == {ox.NamedNode(iris.site_graph("site.example", "analysis"))}
    nodes = {text(q.subject) for q in quads if q.predicate.value == RDF + "type"}
    assert len(nodes) == 3 and all(n.startswith("https://w3id.org/linkgraph/site/site.example/finding/") for n in nodes)
    again = Findings({}, (MissingLink(MissingKind.DRUG, url("a"), LGC + "ibuprofen", 7, 5, url("c")),))
    assert {text(q.subject) for q in model.findings_quads("site.example", again)} <= nodes  # rank-independent IRI


def test_each_finding_node_carries_what_its_query_reads(quads: list[ox.Quad]) -> None:
    by_node: dict[str, dict[str, list[str]]] = {}
    for q in quads:
        by_node.setdefault(text(q.subject), {}).setdefault(q.predicate.value.removeprefix(LG), []).append(text(q.object))
    drug, condition, anchor = (next(p for p in by_node.values() if p.get(RDF + "type") == [LG + cls])
                               for cls in ("MissingDrugLink", "MissingConditionLink", "AmbiguousAnchor"))
    assert drug == {RDF + "type": [LG + "MissingDrugLink"], "source": [url("a")], "concept": [LGC + "ibuprofen"],
                    "targetCount": ["2"], "bestTarget": [url("b")], "rank": ["1"]}
    assert condition["symptom"] == [LGC + "fever"] and "symptom" not in drug
    assert anchor["anchorText"] == ["fever"] and sorted(anchor["anchorTarget"]) == [url("b"), url("c")]
    assert by_node[url("a")] == {"linkRank": ["1"]} and by_node[url("b")] == {"linkRank": ["2"], "deepPageRank": ["1"]}
