"""SHACL validation: the sample build, each structural shape on a small valid graph, each editorial rule."""

from __future__ import annotations

import csv
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal

from graph import store, validate
from graph.errors import InputError, UsageError
from graph.iris import PREFIXES
from graph.pipeline import BuildResult
from graph.validate import DataGraph, Finding, ValidationReport, exit_code

SHAPES = validate.shipped_shapes_dir()
STRUCTURE, EDITORIAL = SHAPES / "structure.ttl", SHAPES / "editorial.ttl"
ARTICLES = "https://healthguide.example/articles/"
TURTLE_PREFIXES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in PREFIXES.items())
EDITORIAL_RULES = {"ConditionLinksToTreatment", "SymptomLinksToCondition", "ReviewedWithinAYear",
                   "DrugPageNamesItsClass"}


def graph_of(turtle: str) -> DataGraph:
    data = DataGraph()
    data.parse(data=TURTLE_PREFIXES + turtle, format="turtle")
    return data


def flagged(report: ValidationReport, rule: str) -> set[str]:
    return {f.focus for f in report.findings if f.rule == rule}


# --------------------------------------------------------------------------- the sample build


@pytest.fixture(scope="module")
def sample_report(sample_build: BuildResult) -> ValidationReport:
    return validate.validate(sample_build.out)


def test_shipped_shapes_are_found() -> None:
    assert validate.shipped_shapes() == [EDITORIAL, STRUCTURE]


def test_the_sample_build_has_no_structural_violation(sample_report: ValidationReport) -> None:
    assert sample_report.conforms
    assert [f for f in sample_report.findings if f.severity == "Violation"] == []
    assert exit_code(sample_report) == 0


def test_the_sample_has_editorial_warnings_and_strict_fails(sample_report: ValidationReport) -> None:
    assert sample_report.count("Warning") >= 5
    assert {f.severity for f in sample_report.findings} <= {"Warning", "Info"}
    assert exit_code(sample_report, strict=True) == 1


def test_a_page_whose_topic_is_not_in_the_vocabulary_is_a_warning(sample_report: ValidationReport) -> None:
    topic = [f for f in sample_report.findings if f.rule == "PageTopicShape/schema:about"]
    assert [(f.focus, f.severity) for f in topic] == [(ARTICLES + "welcome/", "Warning")]
    assert "schema:about" in topic[0].message


def test_a_condition_page_without_links_is_told_to_link_a_treatment(sample_report: ValidationReport) -> None:
    """gallstones links nowhere (a dead end), so it links to no treatment page either."""
    assert ARTICLES + "gallstones/" in flagged(sample_report, "ConditionLinksToTreatment")
    assert ARTICLES + "herniated-disc/" not in flagged(sample_report, "ConditionLinksToTreatment")
    message = next(f.message for f in sample_report.findings if f.focus == ARTICLES + "gallstones/"
                   and f.rule == "ConditionLinksToTreatment")
    assert '"gallstones"' in message


def test_stale_reviews_are_those_more_than_a_year_before_the_build(sample_build: BuildResult,
                                                                   sample_report: ValidationReport) -> None:
    db = store.open_read_only(sample_build.out)
    q = "SELECT ?p ?r ?t WHERE { ?p schema:lastReviewed ?r . ?b prov:startedAtTime ?t }"
    reviewed = [tuple(t.value for t in row) for row in db.query(q, use_default_graph_as_union=True, prefixes=PREFIXES)]  # type: ignore[union-attr]
    built = datetime.fromisoformat(reviewed[0][2]).date()
    expected = {page for page, day, _ in reviewed if _add_months(date.fromisoformat(day), 12) < built}
    assert flagged(sample_report, "ReviewedWithinAYear") == expected


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (clamped to the month's end), the plain-Python reference."""
    year, month = divmod(day.month - 1 + months, 12)
    for d in range(day.day, 27, -1) if day.day > 28 else (day.day,):
        try:
            return date(day.year + year, month + 1, d)
        except ValueError:
            continue
    return date(day.year + year, month + 1, 28)


def test_validation_of_the_sample_is_fast(sample_build: BuildResult) -> None:
    started = time.perf_counter()
    validate.validate(sample_build.out)
    assert time.perf_counter() - started < 15  # about 2 s; pySHACL alone re-parses SPARQL and takes 10+


def test_editorial_shapes_alone_give_only_editorial_findings(sample_build: BuildResult) -> None:
    report = validate.validate(sample_build.out, [EDITORIAL])
    assert report.findings and {f.rule for f in report.findings} <= EDITORIAL_RULES


def test_validate_without_a_build_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        validate.validate(tmp_path)


def test_a_shapes_file_that_does_not_parse_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\n<a> sh:property [ .\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.ttl") as err:
        validate.load_shapes([bad])
    assert err.value.exit_code == 2


# --------------------------------------------------------------------------- report, CSV, exit code


def test_write_validation_csv_writes_one_row_per_finding(tmp_path: Path) -> None:
    report = ValidationReport([Finding("https://a.example/x/", "PageShape/schema:name", 'Title, "quoted"', "Violation"),
                               Finding("https://a.example/y/", "ReviewedWithinAYear", "Old", "Warning")])
    path = tmp_path / "reports" / "validation.csv"
    validate.write_validation_csv(report, path.parent)
    assert b"\r\n" not in path.read_bytes()
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["focus_node", "rule", "message", "severity"]
    assert rows[1:] == [["https://a.example/x/", "PageShape/schema:name", 'Title, "quoted"', "Violation"],
                        ["https://a.example/y/", "ReviewedWithinAYear", "Old", "Warning"]]


@pytest.mark.parametrize(("severities", "strict", "code"), [
    ((), False, 0), ((), True, 0), (("Info", "Warning"), False, 0), (("Warning",), True, 1),
    (("Violation",), False, 1), (("Violation", "Warning"), True, 1),
])
def test_exit_code(severities: tuple[str, ...], strict: bool, code: int) -> None:
    report = ValidationReport([Finding(f"https://a.example/{i}", "R", "m", s) for i, s in enumerate(severities)])
    assert exit_code(report, strict) == code
    assert report.conforms is ("Violation" not in severities)


def test_data_graph_keeps_plain_strings_plain_and_types_the_rest() -> None:
    page, graph = ox.NamedNode("https://a.example/x/"), ox.NamedNode("https://a.example/x/")
    quads = [ox.Quad(page, ox.NamedNode(PREFIXES["schema"] + "name"), ox.Literal("X"), graph),
             ox.Quad(page, ox.NamedNode(PREFIXES["lg"] + "isDraft"), ox.Literal("false", datatype=ox.NamedNode(
                 PREFIXES["xsd"] + "boolean")), graph),
             ox.Quad(page, ox.NamedNode(PREFIXES["skos"] + "altLabel"), ox.Literal("x", language="en"), graph)]
    objects = set(validate.data_graph(quads).objects())
    assert objects == {Literal("X"), Literal(False), Literal("x", lang="en")}


def test_the_data_graph_parses_each_query_text_once() -> None:
    data = graph_of("<https://a.example/x/> a schema:MedicalWebPage .")
    text = "SELECT ?p WHERE { ?p a <http://schema.org/MedicalWebPage> }"
    before = validate._prepared.cache_info()
    assert len(data.query(text)) == len(data.query(text)) == 1
    after = validate._prepared.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)


# --------------------------------------------------------------------------- structural shapes, one at a time

VALID = """
<https://s.example/a/> a schema:MedicalWebPage ; schema:url <https://s.example/a/> ; schema:name "Sciatica" ;
    schema:about lgc:sciatica ; schema:mentions lgc:sciatica, lgc:physical-therapy ;
    schema:significantLink <https://s.example/b/> ; schema:lastReviewed "2025-05-01"^^xsd:date ;
    lg:slug "a" ; lg:sourcePath "a.md" ; lg:format "md" ; lg:isDraft false ; lg:isNoindex false ;
    lg:link <https://s.example/a/#link-1> ; lg:mention <https://s.example/a/#mention-1> ;
    lg:linkScore 100.0 ; lg:pageRank 0.5 ; lg:inlinks 1 ; lg:outlinks 1 ; lg:depth 0 ;
    lg:isOrphan false ; lg:isDeadEnd false ; lg:cluster <https://w3id.org/linkgraph/site/s.example/cluster/1> .
<https://s.example/b/> a schema:MedicalWebPage ; schema:url <https://s.example/b/> ; schema:name "Physical therapy" ;
    schema:about lgc:physical-therapy ; schema:relatedLink <https://s.example/a/> ;
    lg:slug "b" ; lg:sourcePath "b.md" ; lg:format "md" ; lg:isDraft false ; lg:isNoindex false ;
    lg:linkScore 0.0 ; lg:pageRank 0.5 ; lg:inlinks 1 ; lg:outlinks 1 ; lg:isOrphan false ; lg:isDeadEnd false ;
    lg:cluster <https://w3id.org/linkgraph/site/s.example/cluster/1> .
<https://s.example/a/#link-1> a lg:Link ; lg:source <https://s.example/a/> ; lg:target <https://s.example/b/> ;
    lg:anchorText "physical therapy" ; lg:href "/b/" ; lg:section "" ; lg:kind "body" ; lg:status "ok" ;
    lg:recovered false .
<https://s.example/a/#mention-1> a lg:Mention ; lg:concept lgc:sciatica ; lg:count 2 ; lg:negated false ;
    lg:weight 4.5 ; lg:surface "sciatica" ; lg:section "" ; lg:sentence "Sciatica hurts." .
<https://w3id.org/linkgraph/site/s.example/cluster/1> a lg:Cluster ; schema:name "sciatica" .
<https://w3id.org/linkgraph/site/s.example/gap/1> a lg:LinkSuggestion ; lg:source <https://s.example/b/> ;
    lg:target <https://s.example/c/> ; lg:anchorText "fever" ; lg:sentence "A fever." ; lg:section "" ;
    lg:score 0.5 ; lg:reason "names fever" ; lg:concept lgc:fever .
<https://s.example/c/> a schema:MedicalWebPage ; schema:url <https://s.example/c/> ; schema:name "Fever" ;
    schema:about lgc:headache ; lg:slug "c" ; lg:sourcePath "c.txt" ; lg:format "txt" ; lg:isDraft false ;
    lg:isNoindex false ; lg:linkScore 0.0 ; lg:pageRank 0.1 ; lg:inlinks 0 ; lg:outlinks 0 ;
    lg:isOrphan true ; lg:isDeadEnd true .
<https://w3id.org/linkgraph/site/s.example/content-gap/1> a lg:ContentGap ; lg:concept lgc:fever ;
    lg:mentionCount 3 ; lg:articleCount 2 .
lgc:sciatica a skos:Concept, schema:MedicalCondition ; skos:prefLabel "sciatica"@en ;
    skos:notation "M54.3"^^lg:ICD10CM ; schema:code <https://w3id.org/linkgraph/code/icd10cm/M54.3> ;
    schema:possibleTreatment lgc:physical-therapy .
<https://w3id.org/linkgraph/code/icd10cm/M54.3> a schema:MedicalCode ; schema:codeValue "M54.3" ;
    schema:codingSystem "ICD-10-CM" .
lgc:physical-therapy a skos:Concept, schema:MedicalTherapy ; skos:prefLabel "physical therapy"@en .
lgc:fever a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "fever"@en .
lgc:headache a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "headache"@en .
<https://w3id.org/linkgraph/site/s.example/build/activity> a prov:Activity ;
    prov:startedAtTime "2026-01-10T10:00:00Z"^^xsd:dateTime ; prov:endedAtTime "2026-01-10T10:00:02Z"^^xsd:dateTime ;
    lg:linkgraphVersion "0.1.0" .
"""

def swap(old: str, new: str) -> str:
    """One DELETE/INSERT operation that replaces a triple (no `;`-separated second operation)."""
    return f"DELETE {{ {old} }} INSERT {{ {new} }} WHERE {{ {old} }}"


A, LINK, GAP = "<https://s.example/a/>", "<https://s.example/a/#link-1>", "<https://w3id.org/linkgraph/site/s.example/gap/1>"


@pytest.fixture(scope="module")
def structure() -> object:
    return validate.load_shapes([STRUCTURE])


def structural(structure: object, update: str = "") -> ValidationReport:
    plain = Graph().parse(data=TURTLE_PREFIXES + VALID, format="turtle")  # rdflib updates only plain Graphs
    if update:
        before = set(plain)
        plain.update("".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items()) + update)
        assert set(plain) != before, "the update changed nothing"
    data = DataGraph()
    data += plain
    return validate.validate_graph(data, structure)  # type: ignore[arg-type]


def test_the_small_valid_graph_conforms_without_any_finding(structure: object) -> None:
    assert structural(structure).findings == []


BREAKAGES = [
    (f"DELETE DATA {{ {A} schema:name 'Sciatica' }}", "PageShape/schema:name", A),
    (f"INSERT DATA {{ {A} schema:name 'Another title' }}", "PageShape/schema:name", A),
    (f"INSERT DATA {{ {A} schema:url <https://s.example/other/> }}", "PageShape/schema:url PageUrlShape", A),
    (swap(f"{A} schema:url {A}", f"{A} schema:url <https://s.example/other/>"),
     "PageUrlShape", A),
    (f"INSERT DATA {{ {A} schema:about <https://s.example/not-a-concept> }}", "PageShape/schema:about", A),
    (f"INSERT DATA {{ {A} schema:significantLink <https://elsewhere.example/> }}",
     "PageShape/schema:significantLink", A),
    (swap(f"{A} lg:linkScore 100.0", f"{A} lg:linkScore 120.0"),
     "PageMetricsShape/lg:linkScore", A),
    (swap(f"{LINK} lg:kind 'body'", f"{LINK} lg:kind 'sidebar'"), "LinkShape/lg:kind", LINK),
    (swap(f"{LINK} lg:status 'ok'", f"{LINK} lg:status 'gone'"), "LinkShape/lg:status", LINK),
    (swap(f"{LINK} lg:recovered false", f"{LINK} lg:recovered 'no'"),
     "LinkShape/lg:recovered", LINK),
    (swap(f"{LINK} lg:status 'ok'", f"{LINK} lg:status 'unresolved'"),
     "LinkTargetShape", LINK),
    (f"DELETE DATA {{ {LINK} lg:target <https://s.example/b/> }}", "LinkTargetShape", LINK),
    (f"DELETE DATA {{ {A} lg:link {LINK} }}", "LinkShape/^lg:link", LINK),
    (swap(f"{GAP} lg:score 0.5", f"{GAP} lg:score 1.5"), "LinkSuggestionShape/lg:score", GAP),
    (swap(f"{GAP} lg:score 0.5", f"{GAP} lg:score '0.5'"), "LinkSuggestionShape/lg:score",
     GAP),
    (f"DELETE DATA {{ {GAP} lg:reason 'names fever' }}", "LinkSuggestionShape/lg:reason", GAP),
    (swap(f"{GAP} lg:anchorText 'fever'", f"{GAP} lg:anchorText ''"),
     "LinkSuggestionShape/lg:anchorText", GAP),
    (swap(f"{GAP} lg:target <https://s.example/c/>", f"{GAP} lg:target {A}"),
     "SuggestionIsNewShape", GAP),
    ("INSERT DATA { lgc:fever skos:prefLabel 'pyrexia'@en }", "ConceptShape/skos:prefLabel", "lgc:fever"),
    ("DELETE DATA { lgc:fever a schema:MedicalSignOrSymptom }", "ConceptShape/rdf:type", "lgc:fever"),
    ("INSERT DATA { lgc:fever a schema:MedicalCondition }", "ConceptShape/rdf:type", "lgc:fever"),
    ("INSERT DATA { lgc:fever skos:notation 'r50'^^lg:ICD10CM }", "ConceptCodeShape", "lgc:fever"),
    ("INSERT DATA { <https://s.example/c/> schema:about lgc:fever }", "ContentGapIsOpenShape",
     "<https://w3id.org/linkgraph/site/s.example/content-gap/1>"),
    ("DELETE DATA { <https://w3id.org/linkgraph/site/s.example/build/activity> lg:linkgraphVersion '0.1.0' }",
     "BuildShape/lg:linkgraphVersion", "<https://w3id.org/linkgraph/site/s.example/build/activity>"),
]


@pytest.mark.parametrize(("update", "rule", "focus"), BREAKAGES, ids=[f"{r}-{i}" for i, (_, r, _) in enumerate(BREAKAGES)])
def test_each_structural_breakage_is_a_violation_of_its_rule(structure: object, update: str, rule: str,
                                                             focus: str) -> None:
    report = structural(structure, update)
    iri = focus.strip("<>").replace("lgc:", PREFIXES["lgc"])
    assert sorted((f.rule, f.focus, f.severity) for f in report.findings) == [(r, iri, "Violation") for r in rule.split()]
    assert not report.conforms and all(f.message for f in report.findings)


def test_a_page_with_no_topic_is_only_a_warning(structure: object) -> None:
    report = structural(structure, "DELETE DATA { <https://s.example/c/> schema:about lgc:headache }")
    assert [(f.rule, f.severity) for f in report.findings] == [("PageTopicShape/schema:about", "Warning")]
    assert report.conforms and exit_code(report) == 0 and exit_code(report, strict=True) == 1


# --------------------------------------------------------------------------- editorial rules

VOCABULARY = """
lgc:sciatica a skos:Concept, schema:MedicalCondition ; skos:prefLabel "sciatica"@en ;
    schema:possibleTreatment lgc:decompression ; schema:signOrSymptom lgc:leg-pain .
lgc:decompression a skos:Concept, schema:MedicalProcedure ; skos:prefLabel "decompression surgery"@en .
lgc:physical-therapy a skos:Concept, schema:MedicalTherapy ; skos:prefLabel "physical therapy"@en .
lgc:leg-pain a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "leg pain"@en .
lgc:fever a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "fever"@en .
lgc:ibuprofen a skos:Concept, schema:Drug ; skos:prefLabel "ibuprofen"@en ; schema:drugClass lgc:nsaid .
lgc:nsaid a skos:Concept, schema:DrugClass ; skos:prefLabel "NSAID"@en ; skos:broader lgc:analgesic .
lgc:analgesic a skos:Concept, schema:DrugClass ; skos:prefLabel "analgesic"@en .
lgc:melatonin a skos:Concept, schema:Drug ; skos:prefLabel "melatonin"@en .
"""
BUILT = '<https://w3id.org/linkgraph/site/s.example/build/activity> a prov:Activity ; prov:startedAtTime "{}"^^xsd:dateTime .\n'


@pytest.fixture(scope="module")
def editorial() -> object:
    return validate.load_shapes([EDITORIAL])


def page(slug: str, about: str, *, body: str = "", related: str = "", mentions: str = "", reviewed: str = "") -> str:
    """A page's editorial-relevant triples; links and mentions are space-separated slugs / concept names."""
    iri = f"<https://s.example/{slug}/>"
    lines = [f"{iri} a schema:MedicalWebPage ; schema:about lgc:{about} ."]
    lines += [f"{iri} schema:significantLink <https://s.example/{t}/> ." for t in body.split()]
    lines += [f"{iri} schema:relatedLink <https://s.example/{t}/> ." for t in related.split()]
    lines += [f"{iri} schema:mentions lgc:{c} ." for c in mentions.split()]
    if reviewed:
        lines.append(f'{iri} schema:lastReviewed "{reviewed}"^^xsd:date .')
    return "\n".join(lines) + "\n"


def run_editorial(editorial: object, *pages: str, built: str = "2026-03-15T09:00:00Z") -> ValidationReport:
    data = graph_of(VOCABULARY + (BUILT.format(built) if built else "") + "".join(pages))
    return validate.validate_graph(data, editorial)  # type: ignore[arg-type]


def slugs(report: ValidationReport, rule: str) -> set[str]:
    return {f.focus.rsplit("/", 2)[-2] for f in report.findings if f.rule == rule}


def test_a_condition_page_must_link_to_a_treatment_page(editorial: object) -> None:
    report = run_editorial(
        editorial,
        page("pt", "physical-therapy"), page("surgery", "decompression"), page("legs", "leg-pain"),
        page("no-treatment", "sciatica", body="legs"),
        page("any-therapy", "sciatica", body="pt"),
        page("own-treatment", "sciatica", related="surgery"),
        page("not-a-condition", "fever", body="legs"),
    )
    assert slugs(report, "ConditionLinksToTreatment") == {"no-treatment"}
    finding = next(f for f in report.findings if f.rule == "ConditionLinksToTreatment")
    assert finding.severity == "Warning" and '"sciatica"' in finding.message


def test_a_symptom_page_must_link_to_a_condition_that_causes_it(editorial: object) -> None:
    report = run_editorial(
        editorial,
        page("sciatica", "sciatica", body="pt"), page("pt", "physical-therapy"), page("fever", "fever"),
        page("legs-linked", "leg-pain", related="sciatica"),
        page("legs-alone", "leg-pain", body="fever"),
    )
    assert slugs(report, "SymptomLinksToCondition") == {"legs-alone"}  # no condition has fever: nothing to link


def test_a_drug_page_must_name_its_class_or_a_broader_one(editorial: object) -> None:
    report = run_editorial(
        editorial,
        page("class", "ibuprofen", mentions="nsaid"),
        page("broader", "ibuprofen", mentions="analgesic"),
        page("silent", "ibuprofen", mentions="fever"),
        page("no-class-known", "melatonin"),
    )
    assert slugs(report, "DrugPageNamesItsClass") == {"silent"}
    finding = next(f for f in report.findings if f.rule == "DrugPageNamesItsClass")
    assert finding.severity == "Info" and '"ibuprofen"' in finding.message and '"NSAID"' in finding.message


def test_a_review_more_than_twelve_months_before_the_build_is_flagged(editorial: object) -> None:
    report = run_editorial(
        editorial,
        page("exactly-a-year", "fever", reviewed="2025-03-15"),
        page("a-year-and-a-day", "fever", reviewed="2025-03-14"),
        page("eleven-months", "fever", reviewed="2025-04-30"),
        page("month-end", "fever", reviewed="2025-02-28"),
        page("last-year-december", "fever", reviewed="2024-12-31"),
        page("never-reviewed", "fever"),
        built="2026-03-15T09:00:00Z",
    )
    assert slugs(report, "ReviewedWithinAYear") == {"a-year-and-a-day", "month-end", "last-year-december"}
    finding = next(f for f in report.findings if f.focus.endswith("/a-year-and-a-day/"))
    assert "2025-03-14" in finding.message and "12 months" in finding.message and "2026-03-15" in finding.message


def test_without_a_build_activity_reviews_are_compared_with_today(editorial: object) -> None:
    today = datetime.now(UTC).date().isoformat()
    report = run_editorial(editorial, page("old", "fever", reviewed="2001-01-01"),
                           page("today", "fever", reviewed=today), built="")
    assert slugs(report, "ReviewedWithinAYear") == {"old"}
