"""docs/ontology.ttl against a real build, both ways, and the SPARQL examples of docs/model.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, URIRef
from rdflib.collection import Collection

from graph import store
from graph.iris import LG, PREFIXES, SKOS, XSD
from graph.pipeline import BuildResult

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "docs" / "ontology.ttl"
MODEL_DOC = ROOT / "docs" / "model.md"
WRITERS = (ROOT / "graph" / "model.py", ROOT / "graph" / "vocab.py")
RESERVED = URIRef("http://www.w3.org/2003/06/sw-vocab-status/ns#term_status")
PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def db(sample_build: BuildResult) -> Iterator[ox.Store]:
    yield store.open_read_only(sample_build.out)


def rows(db: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = db.query(query, use_default_graph_as_union=True, prefixes=PREFIXES)
    return [tuple(term.value if term is not None else "" for term in row) for row in result]  # type: ignore[union-attr]


def lg_terms_in_data(db: ox.Store) -> dict[str, set[str]]:
    """lg: predicates, classes and literal datatypes the sample build uses."""
    used = {
        "predicates": {r[0] for r in rows(db, "SELECT DISTINCT ?p WHERE { ?s ?p ?o }")},
        "classes": {r[0] for r in rows(db, "SELECT DISTINCT ?c WHERE { ?s a ?c }")},
        "datatypes": {r[0] for r in rows(db, "SELECT DISTINCT (DATATYPE(?o) AS ?d) WHERE { ?s ?p ?o FILTER isLiteral(?o) }")},
    }
    return {kind: {t for t in terms if t.startswith(LG)} for kind, terms in used.items()}


def defined(ontology: Graph) -> set[str]:
    return {str(s) for s in ontology.subjects(RDFS.label, None) if str(s).startswith(LG)}


def written_by_code() -> set[str]:
    """lg: terms the writer modules name literally (f"{LG}name")."""
    return {LG + name for path in WRITERS for name in re.findall(r"\{LG\}(\w+)", path.read_text(encoding="utf-8"))}


def range_members(ontology: Graph, node: URIRef) -> list[str]:
    """The classes of a domain or range: the node itself, or the members of its owl:unionOf."""
    union = ontology.value(node, OWL.unionOf)
    return [str(m) for m in Collection(ontology, union)] if union is not None else [str(node)]


# --------------------------------------------------------------------------- the ontology file


def test_every_defined_term_has_an_english_label_comment_and_kind(ontology: Graph) -> None:
    kinds = (*PROPERTY_KINDS, OWL.Class, RDFS.Datatype)
    for term in defined(ontology):
        node = URIRef(term)
        labels = [lbl for lbl in ontology.objects(node, RDFS.label) if isinstance(lbl, Literal)]
        assert labels and {lbl.language for lbl in labels} == {"en"}, term
        comments = [c for c in ontology.objects(node, RDFS.comment) if isinstance(c, Literal)]
        assert comments and all(c.language == "en" and len(c) > 20 for c in comments), term
        assert any((node, RDF.type, k) in ontology for k in kinds), f"{term} has no OWL/RDFS kind"
        assert (node, RDFS.isDefinedBy, URIRef(LG.rstrip("#"))) in ontology, term


def test_every_property_has_a_domain_and_a_range(ontology: Graph) -> None:
    for term in defined(ontology):
        node = URIRef(term)
        if any((node, RDF.type, k) in ontology for k in PROPERTY_KINDS):
            assert ontology.value(node, RDFS.domain) is not None, f"{term} has no rdfs:domain"
            assert ontology.value(node, RDFS.range) is not None, f"{term} has no rdfs:range"


def test_label_kinds_are_alt_labels_and_icd10cm_is_a_restricted_string(ontology: Graph) -> None:
    for name in ("layLabel", "clinicalLabel", "abbreviation", "ambiguousLabel"):
        assert (URIRef(LG + name), RDFS.subPropertyOf, URIRef(SKOS + "altLabel")) in ontology
    code = URIRef(LG + "ICD10CM")
    assert (code, RDF.type, RDFS.Datatype) in ontology
    assert ontology.value(code, OWL.onDatatype) == URIRef(XSD + "string")
    assert URIRef(LG + "contextCue") in {URIRef(t) for t in defined(ontology)}


# --------------------------------------------------------------------------- ontology <-> build


def test_every_lg_term_the_build_uses_is_defined(ontology: Graph, db: ox.Store) -> None:
    used = lg_terms_in_data(db)
    assert used["classes"] >= {LG + c for c in ("Link", "Mention", "LinkSuggestion", "ContentGap", "Cluster")}
    assert LG + "ICD10CM" in used["datatypes"]
    for kind, terms in used.items():
        assert terms - defined(ontology) == set(), f"{kind} used but not in docs/ontology.ttl"


def test_every_lg_term_the_code_writes_is_defined(ontology: Graph) -> None:
    assert written_by_code() - defined(ontology) == set()


def test_nothing_is_defined_that_nothing_uses(ontology: Graph, db: ox.Store) -> None:
    """A term unused by the sample must at least be written by the code, or be marked reserved."""
    used = set().union(*lg_terms_in_data(db).values())
    reserved = {str(s) for s in ontology.subjects(RESERVED, Literal("reserved"))}
    assert defined(ontology) - used - written_by_code() - reserved == set()


def test_object_and_datatype_properties_match_the_objects_in_the_build(ontology: Graph, db: ox.Store) -> None:
    query = "SELECT ?p (SUM(IF(isLiteral(?o), 1, 0)) AS ?lits) (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"
    for pred, literals, total in rows(db, query):
        if not pred.startswith(LG):
            continue
        node = URIRef(pred)
        if (node, RDF.type, OWL.ObjectProperty) in ontology:
            assert literals == "0", f"{pred} is an object property but has literal values"
        else:
            assert literals == total, f"{pred} is a datatype/annotation property but has IRI values"


def test_literals_in_the_build_have_the_declared_range(ontology: Graph, db: ox.Store) -> None:
    for pred in lg_terms_in_data(db)["predicates"]:
        rng = ontology.value(URIRef(pred), RDFS.range)
        values = rows(db, f"SELECT DISTINCT ?o (DATATYPE(?o) AS ?d) WHERE {{ ?s <{pred}> ?o FILTER isLiteral(?o) }}")
        if isinstance(rng, URIRef) and str(rng).startswith(XSD):
            assert {d for _, d in values} <= {str(rng)}, pred
        elif rng is not None and (members := ontology.value(rng, OWL.oneOf)) is not None:
            allowed = {str(v) for v in Collection(ontology, members)}
            assert {v for v, _ in values} <= allowed, pred


def test_subjects_and_objects_in_the_build_have_the_declared_classes(ontology: Graph, db: ox.Store) -> None:
    """Domains and object ranges hold in the data without any inference."""
    for pred in lg_terms_in_data(db)["predicates"]:
        node = URIRef(pred)
        domain = range_members(ontology, ontology.value(node, RDFS.domain))  # type: ignore[arg-type]
        assert _untyped(db, pred, "?s", domain) == 0, f"{pred}: a subject is none of {domain}"
        rng = ontology.value(node, RDFS.range)
        if (node, RDF.type, OWL.ObjectProperty) in ontology and rng != RDFS.Resource:
            assert _untyped(db, pred, "?o", range_members(ontology, rng)) == 0, f"{pred}: an object is not {rng}"  # type: ignore[arg-type]


def _untyped(db: ox.Store, pred: str, var: str, classes: list[str]) -> int:
    allowed = ", ".join(f"<{c}>" for c in classes)
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{pred}> ?o FILTER NOT EXISTS {{ {var} a ?c FILTER (?c IN ({allowed})) }} }}"
    return int(rows(db, query)[0][0])


def test_icd10cm_codes_in_the_build_match_the_datatype_pattern(ontology: Graph, db: ox.Store) -> None:
    restriction = ontology.value(ontology.value(URIRef(LG + "ICD10CM"), OWL.withRestrictions), RDF.first)
    pattern = re.compile(str(ontology.value(restriction, URIRef(XSD + "pattern"))))
    codes = [r[0] for r in rows(db, "SELECT ?c WHERE { ?s skos:notation ?c FILTER (DATATYPE(?c) = lg:ICD10CM) }")]
    assert len(codes) > 100
    assert [c for c in codes if not pattern.fullmatch(c)] == []
    assert pattern.fullmatch("M54") and not pattern.fullmatch("m54.5")


def test_each_lg_label_kind_is_also_published_as_skos_alt_label(db: ox.Store) -> None:
    query = """SELECT (COUNT(*) AS ?n) WHERE {
        VALUES ?kind { lg:layLabel lg:clinicalLabel lg:abbreviation lg:ambiguousLabel }
        ?c ?kind ?label FILTER NOT EXISTS { ?c skos:altLabel ?label } }"""
    assert rows(db, query) == [("0",)]


# --------------------------------------------------------------------------- docs/model.md


def sparql_examples() -> list[str]:
    return re.findall(r"```sparql\n(.*?)```", MODEL_DOC.read_text(encoding="utf-8"), flags=re.S)


def test_model_doc_has_at_least_six_examples() -> None:
    assert len(sparql_examples()) >= 6


@pytest.mark.parametrize("query", sparql_examples(), ids=lambda q: " ".join(q.split())[:60])
def test_model_doc_example_returns_rows_on_the_sample(db: ox.Store, query: str) -> None:
    assert "PREFIX" not in query.upper(), "examples rely on the predeclared prefixes"
    assert len(rows(db, query)) >= 1


def test_model_doc_iri_examples_are_what_iris_mints() -> None:
    from graph import iris

    text = MODEL_DOC.read_text(encoding="utf-8")
    page = "https://healthguide.example/articles/"
    minted = [
        iris.link_iri(page + "gerd/", 3),
        iris.mention_iri(page + "gerd/", iris.LGC + "gerd").rsplit("/", 1)[-1],
        iris.gap_iri("healthguide.example", page + "sciatica/", page + "spinal-stenosis/").rsplit("/", 1)[-1],
        iris.content_gap_iri("healthguide.example", iris.LGC + "fever").rsplit("/", 1)[-1],
        iris.code_iri("icd10cm", "K21.9"),
        iris.site_graph("healthguide.example", "analysis").rsplit("/", 2)[-2],
    ]
    for iri in minted:
        assert iri in text, iri


def test_named_queries_use_only_defined_terms(ontology: Graph) -> None:
    queries = sorted((ROOT / "graph" / "queries").glob("*.rq"))
    used = {LG + name for q in queries for name in re.findall(r"\blg:(\w+)", q.read_text(encoding="utf-8"))}
    assert queries and used - defined(ontology) == set()
