"""The interface contract of the foundation issue: report headers and RDF terms never change silently."""

from __future__ import annotations

import csv
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.iris import PREFIXES
from graph.pipeline import BuildResult

HEADERS = {
    "pages.csv": ["url", "title", "inlinks", "inlinks_total", "nav_inlinks", "outlinks"],
    "links.csv": ["source_url", "target_url", "anchor_text", "section", "kind", "sentence", "recovered", "status"],
    "broken-links.csv": ["source_url", "target_url", "anchor_text"],
    "orphans.csv": ["url", "title"],
    "gaps.csv": ["source_url", "target_url", "anchor_text", "sentence", "section", "score", "reason"],
    "content-gaps.csv": ["concept", "label", "type", "mentions", "articles"],
    "skipped.csv": ["path", "action", "reason"],
}


def rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "reports" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize(("name", "header"), sorted(HEADERS.items()))
def test_report_headers_and_rows(sample_build: BuildResult, name: str, header: list[str]) -> None:
    path = sample_build.out / "reports" / name
    raw = path.read_bytes()
    assert b"\r\n" not in raw
    first = raw.decode("utf-8").split("\n", 1)[0].split(",")
    assert first[: len(header)] == header
    assert rows(sample_build.out, name), f"{name} has no rows on the sample corpus"


def test_outputs_exist(sample_build: BuildResult) -> None:
    for name in ("explorer.html", "report.html", "build.json", "store", "reports/pages.csv"):
        assert (sample_build.out / name).exists()
    assert not (sample_build.out / "graph.trig").exists(), "graph.trig is written only with the trig setting"


def test_link_kinds_and_statuses_are_from_the_contract(sample_build: BuildResult) -> None:
    links = rows(sample_build.out, "links.csv")
    assert {r["kind"] for r in links} == {"body", "related", "nav", "external"}
    assert {r["status"] for r in links} <= {"ok", "broken", "outside", "redirect", "unresolved"}
    assert {"ok", "broken", "outside", "unresolved"} <= {r["status"] for r in links}


def test_gaps_sorted_and_scored(sample_build: BuildResult) -> None:
    gaps = rows(sample_build.out, "gaps.csv")
    keys = [(-float(g["score"]), g["source_url"], g["target_url"]) for g in gaps]
    assert keys == sorted(keys)
    assert all(0 <= float(g["score"]) <= 1 for g in gaps)


def ask(store: ox.Store, where: str) -> bool:
    result = store.query(f"ASK {{ {where} }}", prefixes=PREFIXES, use_default_graph_as_union=True)
    return bool(result)


@pytest.mark.parametrize(
    "pattern",
    [
        "?p a schema:MedicalWebPage; schema:url ?u; schema:name ?t; schema:about ?c; schema:mentions ?c . FILTER(isIRI(?u))",
        "?p schema:significantLink ?t . ?t a schema:MedicalWebPage",
        "?p schema:relatedLink ?t . ?t a schema:MedicalWebPage",
        "?c a skos:Concept, schema:MedicalCondition; skos:prefLabel ?l",
        "?c a skos:Concept, schema:MedicalSignOrSymptom", "?c a skos:Concept, schema:MedicalTherapy",
        "?c a skos:Concept, schema:Drug", "?c a skos:Concept, schema:DrugClass",
        "?c a skos:Concept, schema:MedicalProcedure", "?c a skos:Concept, schema:MedicalRiskFactor",
        "?x schema:drugClass ?y", "?x schema:signOrSymptom ?y", "?x schema:possibleTreatment ?y",
        "?c schema:code ?k . ?k a schema:MedicalCode; schema:codeValue ?v; schema:codingSystem 'ICD-10-CM'",
        "GRAPH ?p { ?p a schema:MedicalWebPage }",
        "?l a lg:Link; lg:source ?p; lg:anchorText ?a; lg:kind 'nav'; lg:status ?s; lg:recovered ?r",
        "?g a lg:LinkSuggestion; lg:source ?a; lg:target ?b; lg:score ?s; lg:reason ?r",
        "?p lg:linkScore ?s; lg:inlinks ?i; lg:isOrphan true",
        "?cg a lg:ContentGap; lg:concept ?c",
    ],
)
def test_rdf_terms(sample_build: BuildResult, pattern: str) -> None:
    store = ox.Store.read_only(str(sample_build.out / "store"))
    assert ask(store, pattern), pattern


def test_site_graphs_and_no_https_schema(sample_build: BuildResult) -> None:
    store = ox.Store.read_only(str(sample_build.out / "store"))
    graphs = {g.value for g in store.named_graphs()}
    site = "https://w3id.org/linkgraph/site/healthguide.example/"
    assert {site + "vocabulary", site + "analysis", site + "build"} <= graphs
    assert not ask(store, "?s ?p ?o FILTER(STRSTARTS(STR(?p), 'https://schema.org/'))")


def test_at_least_300_concepts_queryable(sample_build: BuildResult) -> None:
    store = ox.Store.read_only(str(sample_build.out / "store"))
    (row,) = store.query("SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a skos:Concept }", prefixes=PREFIXES,
                         use_default_graph_as_union=True)
    assert int(row["n"].value) >= 300
