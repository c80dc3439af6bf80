"""Site-structure findings: anchor-text problems, cannibalised concepts and articulation pages."""

from __future__ import annotations

import networkx as nx

from graph.analyse.anchors import GENERIC, SEVERAL_TARGETS, AnchorIssue, Cannibalised, anchor_issues, cannibalisation
from graph.analyse.links import analyse_links, articulation_pages, link_graph
from graph.records import Article, ArticleConcepts, Concept, ConceptType, Link, LinkKind, LinkStatus, Section


def url(slug: str) -> str:
    return f"https://s.example/articles/{slug}/"


def link(target: str, anchor: str, kind: LinkKind = LinkKind.BODY, status: LinkStatus = LinkStatus.OK) -> Link:
    return Link(f"/articles/{target}/", anchor, "Overview", f"See {anchor}.", kind, url(target), status)


def page(slug: str, *links: Link, **flags: object) -> Article:
    return Article(f"{slug}.md", slug, slug.title(), "md", url=url(slug),
                   sections=(Section("Overview", ("Some text.",)),), links=links, **flags)  # type: ignore[arg-type]


# --- anchors ----------------------------------------------------------------------------------------

def test_one_anchor_for_several_pages_is_reported_once_with_every_target() -> None:
    """Case and end punctuation are ignored; the row shows the most common spelling."""
    pages = [page("a", link("disc", "Back pain"), link("upper", "back pain")),
             page("b", link("disc", "back pain!"), link("disc", "back pain")), page("disc"), page("upper")]
    assert anchor_issues(pages) == [AnchorIssue("back pain", (url("disc"), url("upper")), 4, SEVERAL_TARGETS)]


def test_generic_anchors_in_running_text_only() -> None:
    pages = [page("a", link("disc", "Click here"), link("upper", "read more…"),
                  link("disc", "Read more", LinkKind.RELATED), link("upper", "here", LinkKind.NAV)),
             page("b", link("disc", "click here")), page("disc"), page("upper")]
    assert anchor_issues(pages) == [AnchorIssue("Click here", (url("disc"),), 2, GENERIC),  # a tie: code-point order
                                    AnchorIssue("read more…", (url("upper"),), 1, GENERIC)]


def test_a_generic_anchor_to_several_pages_is_reported_as_generic() -> None:
    pages = [page("a", link("disc", "this article"), link("upper", "This article")), page("disc"), page("upper")]
    assert [(i.anchor.lower(), i.issue, i.count, len(i.targets)) for i in anchor_issues(pages)] == [
        ("this article", GENERIC, 2, 2)]


def test_specific_anchors_self_links_and_dead_links_are_not_issues() -> None:
    pages = [page("a", link("disc", "herniated disc"), link("a", "sciatica"), link("gone", "sciatica", status=LinkStatus.BROKEN),
                  link("upper", "Upper back pain")),
             page("b", link("disc", "herniated disc"), link("upper", "sciatica")), page("disc"), page("upper")]
    assert anchor_issues(pages) == []


def test_redirected_links_count_where_they_land() -> None:
    pages = [page("a", link("disc", "disc", status=LinkStatus.REDIRECT), link("upper", "disc")), page("disc"),
             page("upper")]
    assert [i.targets for i in anchor_issues(pages)] == [(url("disc"), url("upper"))]


# --- cannibalisation --------------------------------------------------------------------------------

DISC = Concept("c:disc", "herniated disc", ConceptType.CONDITION)
PAIN = Concept("c:pain", "back pain", ConceptType.SYMPTOM)


def about(slug: str, *concepts: str) -> ArticleConcepts:
    return ArticleConcepts(url(slug), concepts, ())


def test_pages_sharing_a_primary_concept_are_cannibalised() -> None:
    pages = [page("slipped"), page("disc"), page("bulging"), page("pain"), page("draft", draft=True),
             page("old", noindex=True), page("copy", canonical=url("disc"))]
    extracted = {e.url: e for e in [about("slipped", "c:disc"), about("disc", "c:disc", "c:pain"),
                                    about("bulging", "c:pain", "c:disc"), about("pain", "c:pain"),
                                    about("draft", "c:disc"), about("old", "c:disc"), about("copy", "c:disc")]}
    found = cannibalisation(pages, extracted, {c.iri: c for c in (DISC, PAIN)})
    assert found == [Cannibalised("c:disc", "herniated disc", (url("disc"), url("slipped"))),
                     Cannibalised("c:pain", "back pain", (url("bulging"), url("pain")))]


def test_one_page_per_concept_is_no_cannibalisation() -> None:
    pages = [page("disc"), page("pain"), page("none")]
    extracted = {e.url: e for e in [about("disc", "c:disc"), about("pain", "c:pain"), about("none")]}
    assert cannibalisation(pages, extracted, {}) == []


# --- articulation pages -----------------------------------------------------------------------------

def test_articulation_pages_hold_the_site_together() -> None:
    # a <-> b -> hub -> c -> d, and e links to nobody: removing hub or c cuts the graph.
    pages = [page("a", link("b", "b")), page("b", link("a", "a"), link("hub", "hub")), page("hub", link("c", "c")),
             page("c", link("d", "d")), page("d"), page("e")]
    graph = link_graph(pages)
    assert articulation_pages(graph) == {url("b"), url("hub"), url("c")}
    assert analyse_links(pages, {}, {}, "s.example", [url("a")]).articulation == frozenset(articulation_pages(graph))


def test_a_ring_has_no_articulation_page_and_nav_links_do_not_count() -> None:
    ring = nx.DiGraph([("a", "b"), ("b", "c"), ("c", "a")])
    assert articulation_pages(ring) == set()
    pages = [page("a", link("b", "b", LinkKind.NAV)), page("b", link("c", "c", LinkKind.NAV)), page("c")]
    assert articulation_pages(link_graph(pages)) == set()
