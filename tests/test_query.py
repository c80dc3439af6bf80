"""SPARQL library: the guard, the killable worker, the row cap, named queries and formats."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from graph.errors import QueryRefused, QuerySyntaxError, QueryTimeout, UsageError
from graph.query import (
    PREFIXES,
    QueryForm,
    QueryResult,
    check_query,
    display_term,
    fill_slots,
    format_result,
    list_queries,
    load_query,
    run_named_query,
    run_query,
    store_graphs,
)

SITE = "https://example.org/articles/"
STRAIN, BACK, LOWER, HEART = (SITE + s + "/" for s in ("muscle-strain", "back-pain", "lower-back", "heartburn"))
OLD = SITE + "old-page/"
ANALYSIS = "https://w3id.org/linkgraph/site/example.org/analysis"
VOCAB = "https://w3id.org/linkgraph/site/example.org/vocabulary"

# Four pages: strain <-> back -> lower; lower has a broken and an unresolved link; heartburn is
# an orphan. Back and lower are both about back pain; heartburn (the concept) is a content gap.
FIXTURE = f"""
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix lg: <https://w3id.org/linkgraph/ns#> .
@prefix lgc: <https://w3id.org/linkgraph/concept/> .

<{VOCAB}> {{
  lgc:muscle-strain a skos:Concept, schema:MedicalCondition ;
      skos:prefLabel "Muscle strain"@en ; skos:altLabel "pulled muscle"@en .
  lgc:back-pain a skos:Concept, schema:MedicalSignOrSymptom ;
      skos:prefLabel "Back pain"@en ; skos:altLabel "lumbago"@en .
  lgc:heartburn a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "Heartburn"@en .
  lgc:ibuprofen a skos:Concept, schema:Drug ; skos:prefLabel "Ibuprofen"@en ;
      skos:altLabel "strain"@en .
  lgc:strain-injury a skos:Concept, schema:MedicalCondition ; skos:prefLabel "Strain injury"@en ;
      skos:altLabel "strain"@en .
}}

<{STRAIN}> {{
  <{STRAIN}> a schema:MedicalWebPage ; schema:url <{STRAIN}> ; schema:name "Muscle strain" ;
      schema:about lgc:muscle-strain ; schema:mentions lgc:back-pain, lgc:ibuprofen ;
      schema:significantLink <{BACK}> ; lg:link _:l1, _:l2 .
  _:l1 a lg:Link ; lg:source <{STRAIN}> ; lg:target <{BACK}> ; lg:anchorText "back pain" ;
      lg:section "Causes" ; lg:kind "body" ; lg:status "ok" .
  _:l2 a lg:Link ; lg:source <{STRAIN}> ; lg:target <https://other.example/x> ;
      lg:anchorText "Back pain" ; lg:kind "external" ; lg:status "outside" .
}}

<{BACK}> {{
  <{BACK}> a schema:MedicalWebPage ; schema:url <{BACK}> ; schema:name "Back pain" ;
      schema:about lgc:back-pain ; schema:mentions lgc:muscle-strain, lgc:heartburn ;
      schema:significantLink <{STRAIN}> ; schema:relatedLink <{LOWER}> ; lg:link _:l3, _:l4 .
  _:l3 a lg:Link ; lg:source <{BACK}> ; lg:target <{STRAIN}> ; lg:anchorText "muscle strain" ;
      lg:kind "body" ; lg:status "ok" .
  _:l4 a lg:Link ; lg:source <{BACK}> ; lg:target <{LOWER}> ; lg:anchorText "Lower back pain" ;
      lg:kind "related" ; lg:status "ok" .
}}

<{LOWER}> {{
  <{LOWER}> a schema:MedicalWebPage ; schema:url <{LOWER}> ; schema:name "Lower back pain" ;
      schema:about lgc:back-pain ; schema:mentions lgc:heartburn ; lg:link _:l5, _:l6 .
  _:l5 a lg:Link ; lg:source <{LOWER}> ; lg:target <{OLD}> ; lg:anchorText "Back Pain" ;
      lg:section "Overview" ; lg:kind "body" ; lg:status "broken" .
  _:l6 a lg:Link ; lg:source <{LOWER}> ; lg:anchorText "see here" ; lg:kind "body" ;
      lg:status "unresolved" .
}}

<{HEART}> {{
  <{HEART}> a schema:MedicalWebPage ; schema:url <{HEART}> ; schema:name "Heartburn remedies" ;
      schema:mentions lgc:heartburn, lgc:back-pain .
}}

<{ANALYSIS}> {{
  <{STRAIN}> a schema:MedicalWebPage ; lg:inlinks 1 ; lg:outlinks 1 ;
      lg:linkScore "80.0"^^xsd:decimal ; lg:depth 0 ; lg:isOrphan false ; lg:isDeadEnd false .
  <{BACK}> lg:inlinks 1 ; lg:outlinks 2 ; lg:linkScore "95.5"^^xsd:decimal ; lg:depth 3 ;
      lg:isOrphan false ; lg:isDeadEnd false .
  <{LOWER}> lg:inlinks 1 ; lg:outlinks 0 ; lg:linkScore "40.0"^^xsd:decimal ; lg:depth 4 ;
      lg:isOrphan false ; lg:isDeadEnd true .
  <{HEART}> lg:inlinks 0 ; lg:outlinks 0 ; lg:linkScore "5.0"^^xsd:decimal ;
      lg:isOrphan true ; lg:isDeadEnd true .
  _:g1 a lg:LinkSuggestion ; lg:source <{HEART}> ; lg:target <{BACK}> ; lg:anchorText "back pain" ;
      lg:sentence "Heartburn can feel like back pain." ; lg:section "Symptoms" ;
      lg:score "0.8"^^xsd:decimal ; lg:reason "mentions the target's main concept" .
  _:g2 a lg:LinkSuggestion ; lg:source <{HEART}> ; lg:target <{STRAIN}> ;
      lg:anchorText "muscle strain" ; lg:score "0.5"^^xsd:decimal .
  _:g3 a lg:LinkSuggestion ; lg:source <{STRAIN}> ; lg:target <{LOWER}> ;
      lg:anchorText "lower back" ; lg:score "0.6"^^xsd:decimal .
  _:c1 a lg:ContentGap ; lg:concept lgc:heartburn ; lg:mentionCount 4 ; lg:articleCount 3 .
  _:c2 a lg:ContentGap ; lg:concept lgc:ibuprofen ; lg:mentionCount 1 ; lg:articleCount 1 .
  # What the analysis ranks for the named queries (graph/analyse/findings.py).
  <{BACK}> lg:linkRank 1 . <{STRAIN}> lg:linkRank 2 . <{HEART}> lg:linkRank 4 .
  <{LOWER}> lg:linkRank 3 ; lg:deepPageRank 1 .
  _:a1 a lg:AmbiguousAnchor ; lg:anchorText "back pain" ; lg:anchorTarget <{BACK}>, <{OLD}> ; lg:rank 1 .
}}
"""



@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture as an on-disk store, like OUT/store of a build."""
    path = tmp_path_factory.mktemp("build") / "store"
    writer = ox.Store(str(path))
    writer.load(FIXTURE, format=ox.RdfFormat.TRIG)
    writer.flush()
    del writer
    return path


def values(result: QueryResult, var: str) -> list[str | None]:
    return [None if t is None else display_term(t) if isinstance(t, ox.Triple) else t.value
            for t in result.column(var)]


def named(store: Path, name: str, **params: str) -> QueryResult:
    return run_named_query(store, name, params, timeout=20.0, max_rows=1000)


def sparql(store: Path, text: str, *, timeout: float = 20.0, max_rows: int = 1000, **kw: Any) -> QueryResult:
    """run_query with generous limits, for tests that are not about limits."""
    return run_query(store, text, timeout=timeout, max_rows=max_rows, **kw)


# ----------------------------------------------------------------------------- guard


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://evil.example/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { { SERVICE <http://evil.example/> { ?s ?q ?r } } } }",
        "SELECT * WHERE { { SELECT ?s WHERE { SERVICE ?endpoint { ?s ?p ?o } } } }",
        "ASK { FILTER EXISTS { SERVICE <http://evil.example/> { ?s ?p ?o } } }",
        "SELECT * WHERE { # comment\r SERVICE <http://evil.example/> { ?s ?p ?o } }",
    ],
    ids=["plain", "silent", "nested", "subquery", "in-filter", "after-cr-comment"],
)
def test_service_is_refused_wherever_it_hides(text: str) -> None:
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(text)


def test_long_queries_are_guarded_too() -> None:
    from graph.errors import QueryTooLarge
    from graph.query import MAX_QUERY_CHARS

    padding = "# " + "x" * (MAX_QUERY_CHARS - 200) + "\n"
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(padding + "SELECT * WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } }")
    assert check_query(padding + "ASK {}") is QueryForm.ASK
    with pytest.raises(QueryTooLarge):
        check_query("# " + "x" * MAX_QUERY_CHARS + "\nASK {}")


def test_unicode_escapes_cannot_hide_a_service_in_a_fake_long_string() -> None:
    # Pre-expanded, the two \u0022 escapes would read as a long string around the SERVICE.
    text = r'SELECT * { BIND("\u0022" AS ?x) SERVICE <http://evil.example/> { ?s ?p ?o } BIND("\u0022" AS ?y) }'
    with pytest.raises(QueryRefused, match="SERVICE"):
        check_query(text)
    assert check_query(r'SELECT ?x { BIND("caf\u00e9" AS ?x) }') is QueryForm.SELECT


def test_unicode_escapes_reach_oxigraph_unchanged(store: Path) -> None:
    result = sparql(store, r'SELECT ?x { BIND("caf\u00e9 \"q\"" AS ?x) }')
    assert values(result, "x") == ['café "q"']


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "DELETE WHERE { ?s ?p ?o }",
        "LOAD <http://evil.example/data.ttl>",
        "DROP ALL",
        "CLEAR GRAPH <http://a>",
        "PREFIX ex: <http://e/> INSERT { ?s ex:p 1 } WHERE { ?s ?p ?o }",
    ],
)
def test_updates_are_refused(text: str) -> None:
    with pytest.raises(QueryRefused, match="updates"):
        check_query(text)


def test_from_is_allowed_only_for_graphs_of_the_build(store: Path) -> None:
    graphs = store_graphs(store)
    assert ANALYSIS in graphs and BACK in graphs
    with pytest.raises(QueryRefused, match="evil"):
        check_query("SELECT * FROM <http://evil/> WHERE { ?s ?p ?o }", graphs)
    with pytest.raises(QueryRefused):
        check_query("PREFIX e: <http://evil/> SELECT * FROM NAMED e:g WHERE { ?s ?p ?o }", graphs)
    assert check_query(f"SELECT * FROM <{ANALYSIS}> WHERE {{ ?s ?p ?o }}", graphs) is QueryForm.SELECT


def test_from_narrows_the_dataset_instead_of_the_union(store: Path) -> None:
    text = "SELECT ?page WHERE { ?page lg:isOrphan true }"
    assert values(sparql(store, text), "page") == [HEART]
    only_pages = f"SELECT ?page FROM <{BACK}> WHERE {{ ?page lg:isOrphan true }}"
    assert sparql(store, only_pages).rows == ()
    narrowed = sparql(store, text, default_graphs=[BACK])
    assert narrowed.rows == ()
    with pytest.raises(QueryRefused):
        sparql(store, text, default_graphs=["http://evil/"])


def test_forms_and_syntax_errors() -> None:
    assert check_query("ASK { ?s ?p ?o }") is QueryForm.ASK
    assert check_query("CONSTRUCT WHERE { ?s ?p ?o }") is QueryForm.CONSTRUCT
    assert check_query("DESCRIBE <http://a>") is QueryForm.DESCRIBE
    for bad in ["SELECT * WHERE { ?s ?p ", "", "# nothing", "SELECT * {" + "{" * 3000 + "}" * 3001]:
        with pytest.raises(QuerySyntaxError):
            check_query(bad)


def test_oxigraph_syntax_errors_are_syntax_errors(store: Path) -> None:
    with pytest.raises(QuerySyntaxError):
        sparql(store, "SELECT ?x WHERE { ?x nope:thing ?y }")


# ----------------------------------------------------------------------------- evaluation


def test_select_uses_predeclared_prefixes_and_the_union_graph(store: Path) -> None:
    text = "SELECT ?page ?score WHERE { ?page schema:name ?t ; lg:linkScore ?score } ORDER BY ?page"
    result = sparql(store, text)
    assert result.form is QueryForm.SELECT and result.variables == ("page", "score")
    assert values(result, "page") == sorted([BACK, HEART, STRAIN, LOWER])
    assert not result.truncated


def test_ask_and_construct(store: Path) -> None:
    assert sparql(store, "ASK { ?p lg:isOrphan true }").boolean is True
    graph = sparql(store, "CONSTRUCT { ?p schema:name ?n } WHERE { ?p schema:about lgc:back-pain ; schema:name ?n }")
    assert graph.form is QueryForm.CONSTRUCT
    assert sorted(display_term(t.object) for t in graph.triples) == ["Back pain", "Lower back pain"]


def test_row_cap_truncates_and_flags(store: Path) -> None:
    text = "SELECT ?page WHERE { ?page a schema:MedicalWebPage } ORDER BY ?page"
    assert len(sparql(store, text, max_rows=10).rows) == 5  # union: one page twice
    capped = sparql(store, text, max_rows=2)
    assert len(capped.rows) == 2 and capped.truncated
    exact = sparql(store, "SELECT DISTINCT ?p WHERE { ?p lg:isOrphan true }", max_rows=1)
    assert len(exact.rows) == 1 and not exact.truncated
    triples = sparql(store, "CONSTRUCT WHERE { ?s ?p ?o }", max_rows=3)
    assert len(triples.triples) == 3 and triples.truncated


def test_timeout_kills_the_worker(store: Path) -> None:
    cartesian = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        sparql(store, cartesian, timeout=0.3, max_rows=10)
    assert time.monotonic() - started < 15
    assert multiprocessing.active_children() == []


def test_bindings_are_terms_not_text(store: Path) -> None:
    evil = '"} ; DROP ALL ; SELECT * WHERE { ?s ?p "'
    result = sparql(store, "SELECT ?x WHERE {}", bindings={"x": evil})
    assert result.rows == ((ox.Literal(evil),),)
    text = "SELECT ?page ?n WHERE { ?page schema:name ?n }"
    page = sparql(store, text, bindings={"page": ox.NamedNode(BACK)})
    assert values(page, "n") == ["Back pain"]
    assert store_graphs(store)  # the store is unchanged and still opens


def test_evil_literal_param_is_just_a_literal(store: Path) -> None:
    with pytest.raises(UsageError, match="no concept labelled"):
        named(store, "pages-about-concept", concept='x"} ; DROP ALL ; #')


def test_slots_take_typed_terms_and_leave_other_bindings(store: Path) -> None:
    evil = 'x" } ; DROP ALL ; SELECT * WHERE { ?s ?p "\n'
    text = "SELECT ?x ?y WHERE { VALUES ?x { UNDEF } VALUES ?y { UNDEF } }"
    filled, rest = fill_slots(text, {"x": ox.Literal(evil), "z": ox.NamedNode(BACK)})
    assert rest == {"z": ox.NamedNode(BACK)} and "VALUES ?y { UNDEF }" in filled
    result = sparql(store, filled)  # the guard parses the filled text; the value stays one literal
    assert result.rows == ((ox.Literal(evil), None),)
    inner = fill_slots("SELECT * WHERE { { SELECT ?p WHERE { VALUES  ?p {UNDEF} } } }", {"p": ox.NamedNode(BACK)})
    assert inner[0] == f"SELECT * WHERE {{ {{ SELECT ?p WHERE {{ VALUES ?p {{ <{BACK}> }} }} }} }}" and not inner[1]


def test_slotted_named_queries_run_unfilled_too(store: Path) -> None:
    """A file with `VALUES ?name { UNDEF }` still runs as it is (say with --file on an endpoint)."""
    text = load_query("pages-about-concept").text
    assert "VALUES ?concept { UNDEF }" in text
    assert len(sparql(store, text).rows) > len(named(store, "pages-about-concept", concept="back pain").rows)


# ----------------------------------------------------------------------------- named queries


def test_every_named_query_has_a_header_and_parses() -> None:
    queries = list_queries()
    assert {q.name for q in queries} >= {
        "orphan-pages", "top-pages-by-link-score", "broken-links", "gaps-from-page", "gaps-to-page",
        "pages-about-concept", "content-gaps", "deep-pages", "anchors-multiple-targets",
        "cannibalised-concepts",
    }
    for query in queries:
        assert query.title and query.description, query.name
        assert check_query(query.text) is QueryForm.SELECT
        for param in query.params:
            assert f"?{param.name}" in query.text.split("WHERE")[0], (query.name, param.name)


def test_unknown_named_query_suggests_close_names() -> None:
    with pytest.raises(UsageError, match="orphan-pages"):
        load_query("orphan-page")
    assert [p.type for p in load_query("gaps-from-page").params] == ["iri"]


def test_orphan_pages(store: Path) -> None:
    result = named(store, "orphan-pages")
    assert values(result, "page") == [HEART]
    assert values(result, "title") == ["Heartburn remedies"]


def test_top_pages_by_link_score(store: Path) -> None:
    result = named(store, "top-pages-by-link-score")
    assert values(result, "page") == [BACK, STRAIN, LOWER, HEART]
    assert values(result, "score")[0] == "95.5"


def test_broken_links(store: Path) -> None:
    result = named(store, "broken-links")
    assert [(r[0].value if r[0] else None, r[1].value if r[1] else None, r[4].value if r[4] else None)  # type: ignore[union-attr]
            for r in result.rows] == [(LOWER, OLD, "broken"), (LOWER, None, "unresolved")]


def test_gaps_from_page(store: Path) -> None:
    result = named(store, "gaps-from-page", page=HEART)
    assert values(result, "target") == [BACK, STRAIN]
    assert values(result, "sentence")[0] == "Heartburn can feel like back pain."
    assert values(result, "page") == [HEART, HEART]
    assert named(store, "gaps-from-page", page=BACK).rows == ()


def test_gaps_to_page(store: Path) -> None:
    assert values(named(store, "gaps-to-page", page=LOWER), "source") == [STRAIN]
    assert values(named(store, "gaps-to-page", page=BACK), "sourceTitle") == ["Heartburn remedies"]


def test_pages_about_concept_by_label_alt_label_or_iri(store: Path) -> None:
    expected = [BACK, LOWER]
    assert values(named(store, "pages-about-concept", concept="BACK PAIN"), "page") == expected
    assert values(named(store, "pages-about-concept", concept="Lumbago"), "page") == expected
    assert values(named(store, "pages-about-concept", concept="lgc:back-pain"), "page") == expected
    with pytest.raises(UsageError, match="several concepts"):
        named(store, "pages-about-concept", concept="strain")
    assert values(named(store, "pages-about-concept", concept="muscle strain"), "page") == [STRAIN]


def test_named_query_params_are_checked(store: Path) -> None:
    with pytest.raises(UsageError, match="missing"):
        named(store, "gaps-from-page")
    with pytest.raises(UsageError, match="unknown"):
        named(store, "orphan-pages", page=HEART)
    with pytest.raises(UsageError, match="IRI"):
        named(store, "gaps-from-page", page="not a url")


def test_content_gaps(store: Path) -> None:
    result = named(store, "content-gaps")
    assert values(result, "concept") == [PREFIXES["lgc"] + "heartburn", PREFIXES["lgc"] + "ibuprofen"]
    assert values(result, "label") == ["Heartburn", "Ibuprofen"]
    assert values(result, "articleCount") == ["3", "1"]


def test_deep_pages(store: Path) -> None:
    assert values(named(store, "deep-pages"), "page") == [LOWER]


def test_anchors_multiple_targets(store: Path) -> None:
    result = named(store, "anchors-multiple-targets")
    assert values(result, "anchor") == ["back pain"]
    assert values(result, "targetCount") == ["2"]
    assert sorted(str(values(result, "targets")[0]).split()) == [BACK, OLD]


def test_cannibalised_concepts(store: Path) -> None:
    result = named(store, "cannibalised-concepts")
    assert values(result, "concept") == [PREFIXES["lgc"] + "back-pain"]
    assert values(result, "pageCount") == ["2"]
    assert sorted(str(values(result, "pages")[0]).split()) == [BACK, LOWER]


# ----------------------------------------------------------------------------- formats


@pytest.fixture(scope="module")
def sample(store: Path) -> QueryResult:
    return sparql(store, "SELECT ?page ?title ?x WHERE { ?page lg:depth 4 ; schema:name ?title }")


def test_json_is_sparql_results_json(sample: QueryResult) -> None:
    data = json.loads(format_result(sample, "json"))
    assert data["head"]["vars"] == ["page", "title", "x"]
    assert data["results"]["bindings"] == [
        {"page": {"type": "uri", "value": LOWER}, "title": {"type": "literal", "value": "Lower back pain"}}
    ]
    ask = QueryResult(QueryForm.ASK, boolean=False)
    assert json.loads(format_result(ask, "json")) == {"head": {}, "boolean": False}


def test_csv_tsv_xml_table(sample: QueryResult) -> None:
    assert format_result(sample, "csv").splitlines() == ["page,title,x", f"{LOWER},Lower back pain,"]
    assert format_result(sample, "tsv").splitlines()[1] == f"<{LOWER}>\t\"Lower back pain\"\t"
    assert "<literal>Lower back pain</literal>" in format_result(sample, "xml")
    table = format_result(sample, "table").splitlines()
    assert table[0].split() == ["page", "title", "x"] and set(table[1]) <= {"-", " "}
    assert table[2] == f"{LOWER}  Lower back pain"
    with pytest.raises(UsageError):
        format_result(sample, "turtle")


def test_graph_formats(store: Path) -> None:
    graph = sparql(store, f"DESCRIBE <{HEART}>")
    turtle = format_result(graph, "turtle")
    assert "@prefix schema: <http://schema.org/>" in turtle and "Heartburn remedies" in turtle
    reparsed = list(ox.parse(format_result(graph, "ntriples"), format=ox.RdfFormat.N_TRIPLES))
    assert {quad.triple for quad in reparsed} == set(graph.triples)
    assert "subject" in format_result(graph, "table")
    with pytest.raises(UsageError):
        format_result(graph, "csv")
