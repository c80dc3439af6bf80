"""Records -> quads: one article's named graph, term by term, and the shared literals behind it."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyoxigraph as ox
import pytest

from graph import iris, model
from graph.records import Article, ArticleConcepts, Link, LinkKind, LinkStatus, Mention

PAGE = "https://site.example/articles/sciatica/"
GERD = "https://site.example/articles/gerd/"
SCIATICA, FEVER = iris.LGC + "sciatica", iris.LGC + "fever"
PREFIXES = {"rdf:": iris.RDF, "schema:": iris.SCHEMA, "lg:": iris.LG, "lgc:": iris.LGC, "xsd:": iris.XSD, ":": PAGE,
            "a:": "https://site.example/articles/"}


def term(text: str) -> ox.NamedNode | ox.Literal:
    """'lg:link' -> a named node, '"3"^^xsd:integer' or '"x"' -> a literal; ':#link-1' is relative to PAGE."""
    if text.startswith('"'):
        value, _, datatype = text[1:].rpartition('"')
        return ox.Literal(value, datatype=term(datatype[2:]) if datatype else None)  # type: ignore[arg-type]
    prefix, _, local = text.partition(":")
    return ox.NamedNode(PREFIXES[prefix + ":"] + local)


def triples(quads: list[ox.Quad]) -> Counter[tuple[object, object, object]]:
    assert {q.graph_name for q in quads} == {ox.NamedNode(PAGE)}
    return Counter((q.subject, q.predicate, q.object) for q in quads)


def expected(*rows: str) -> Counter[tuple[object, object, object]]:
    return Counter(tuple(term(t) for t in row.split(" ", 2)) for row in rows)  # type: ignore[misc]


PAGE_LINKS = {term("schema:significantLink"), term("schema:relatedLink")}


def article(*links: Link) -> Article:
    return Article("sciatica.md", "sciatica", "Sciatica", "markdown", url=PAGE, published=date(2024, 5, 1),
                   tags=("back",), links=links)


def test_one_article_graph_holds_page_links_and_mentions() -> None:
    body = Link("../gerd/", "heartburn", "Causes", "See heartburn.", LinkKind.BODY, GERD, LinkStatus.OK)
    external = Link("https://other.example/x", "elsewhere", kind=LinkKind.EXTERNAL, status=LinkStatus.OUTSIDE,
                    recovered=True)
    found = ArticleConcepts(PAGE, (SCIATICA,), (Mention(SCIATICA, 3, "sciatica", "Causes", "It hurts.", weight=0.75),
                                                Mention(FEVER, 1, "", "", "", negated=True, weight=1.0)))
    m1, m2 = (iris.mention_iri(PAGE, c).removeprefix(PAGE) for c in (SCIATICA, FEVER))
    assert triples(model.article_quads(article(body, external), found)) == expected(
        ": rdf:type schema:MedicalWebPage", ": schema:url :", ': schema:name "Sciatica"',
        ': schema:datePublished "2024-05-01"^^xsd:date', ': lg:slug "sciatica"', ': lg:sourcePath "sciatica.md"',
        ': lg:format "markdown"', ': lg:isDraft "false"^^xsd:boolean', ': lg:isNoindex "false"^^xsd:boolean',
        ': schema:keywords "back"',
        ": lg:link :#link-1", ":#link-1 rdf:type lg:Link", ":#link-1 lg:source :",
        ":#link-1 lg:target a:gerd/",
        ':#link-1 lg:anchorText "heartburn"', ':#link-1 lg:href "../gerd/"', ':#link-1 lg:section "Causes"',
        ':#link-1 lg:sentence "See heartburn."', ':#link-1 lg:kind "body"', ':#link-1 lg:status "ok"',
        ':#link-1 lg:recovered "false"^^xsd:boolean', ": schema:significantLink a:gerd/",
        ": lg:link :#link-2", ":#link-2 rdf:type lg:Link", ":#link-2 lg:source :",
        ':#link-2 lg:anchorText "elsewhere"', ':#link-2 lg:href "https://other.example/x"', ':#link-2 lg:section ""',
        ':#link-2 lg:kind "external"', ':#link-2 lg:status "outside"', ':#link-2 lg:recovered "true"^^xsd:boolean',
        ": schema:about lgc:sciatica", ": schema:mentions lgc:sciatica",
        f": lg:mention :{m1}", f":{m1} rdf:type lg:Mention", f":{m1} lg:concept lgc:sciatica",
        f':{m1} lg:count "3"^^xsd:integer', f':{m1} lg:negated "false"^^xsd:boolean',
        f':{m1} lg:weight "0.7500"^^xsd:decimal', f':{m1} lg:surface "sciatica"', f':{m1} lg:section "Causes"',
        f':{m1} lg:sentence "It hurts."',
        f": lg:mention :{m2}", f":{m2} rdf:type lg:Mention", f":{m2} lg:concept lgc:fever",
        f':{m2} lg:count "1"^^xsd:integer', f':{m2} lg:negated "true"^^xsd:boolean',
        f':{m2} lg:weight "1.0000"^^xsd:decimal')


@pytest.mark.parametrize(("kind", "target", "status", "predicate"), [
    (LinkKind.BODY, GERD, LinkStatus.OK, "significantLink"),
    (LinkKind.BODY, GERD, LinkStatus.REDIRECT, "significantLink"),
    (LinkKind.RELATED, GERD, LinkStatus.OK, "relatedLink"),
    (LinkKind.NAV, GERD, LinkStatus.OK, None),
    (LinkKind.BODY, GERD, LinkStatus.BROKEN, None),
    (LinkKind.BODY, PAGE, LinkStatus.OK, None),
    (LinkKind.BODY, None, LinkStatus.UNRESOLVED, None),
])
def test_only_working_body_and_related_links_to_other_pages_link_the_pages(
        kind: LinkKind, target: str | None, status: LinkStatus, predicate: str | None) -> None:
    link = Link("x/", "x", kind=kind, target=target, status=status)
    got = triples(model.article_quads(article(link), ArticleConcepts(PAGE, (), ())))
    page_links = {(p, o) for (s, p, o) in got if s == ox.NamedNode(PAGE) and p in PAGE_LINKS}
    assert page_links == ({(term("schema:" + predicate), ox.NamedNode(target))} if predicate and target else set())
    targets = [o for (s, p, o) in got if p == ox.NamedNode(iris.LG + "target")]
    assert targets == ([ox.NamedNode(target)] if target else [])


def test_shared_literals_keep_equal_numbers_of_different_types_apart() -> None:
    made = [model.shared(v) for v in (1, 1.0, True, "1")]
    assert [str(x) for x in made] == [str(model.lit(v)) for v in (1, 1.0, True, "1")]
    assert len({x.datatype for x in made}) == 4
    assert model.shared(1.0) is model.shared(1.0)
