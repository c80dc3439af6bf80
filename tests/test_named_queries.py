"""The editorial named queries on a hand-built store, and cross-checked on the sample build."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph import model
from graph.analyse.findings import Findings, MissingKind, MissingLink, editorial_findings
from graph.analyse.links import LinkAnalysis
from graph.errors import UsageError
from graph.pipeline import BuildResult, build
from graph.query import PREFIXES, QueryResult, WorkerPool, list_queries, load_query, run_named_query
from graph.records import Article, ArticleConcepts, Link, LinkKind, LinkStatus, Mention, PageMetrics
from graph.settings import Settings
from graph.vocab import build as vocabulary

SITE = "https://example.org/articles/"
SCIATICA, STONES, FLU, DRUG, PHYSIO, LEGPAIN, FEVER, NSAIDS, SHINGLES = (
    SITE + s + "/" for s in
    ("sciatica", "kidney-stones", "flu", "ibuprofen", "physio", "leg-pain", "fever", "nsaids", "shingles")
)
SAMPLE_SITE = "https://healthguide.example/articles/"
LGC, LG, SCHEMA = PREFIXES["lgc"], PREFIXES["lg"], PREFIXES["schema"]
ANALYSIS = "https://w3id.org/linkgraph/site/example.org/analysis"
VOCAB = "https://w3id.org/linkgraph/site/example.org/vocabulary"


def page(url: str, about: str, mentions: str = "", links: str = "", extra: str = "") -> str:
    """One article's named graph in TriG."""
    lines = [f"<{url}> a schema:MedicalWebPage ; schema:url <{url}> ; schema:name \"{url.split('/')[-2]}\"",
             f"schema:about {about}"]
    lines += [f"schema:mentions {mentions}"] if mentions else []
    lines += [links] if links else []
    return f"<{url}> {{\n  " + " ;\n    ".join(lines) + " .\n" + extra + "}\n"


def mention(url: str, concept: str, count: int, sentence: str) -> str:
    node = f"<{url}#mention-{concept}>"
    return (f"  <{url}> lg:mention {node} .\n  {node} a lg:Mention ; lg:concept lgc:{concept} ; "
            f"lg:count {count} ; lg:sentence \"{sentence}\" .\n")


# Sciatica links to no treatment page; kidney stones links one of its two (as a related link);
# flu's only treatment has no page; shingles links a page, but not its treatment's. "Fever" is the
# anchor of links to two pages (one in navigation). The `store` fixture adds what a build's analysis
# would find in these pages (link ranks, deep-page ranks, editorial findings).
FIXTURE = f"""
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix lg: <https://w3id.org/linkgraph/ns#> .
@prefix lgc: <{LGC}> .

<{VOCAB}> {{
  lgc:sciatica a skos:Concept, schema:MedicalCondition ; skos:prefLabel "Sciatica"@en ;
      schema:possibleTreatment lgc:physio, lgc:ibuprofen ; schema:signOrSymptom lgc:leg-pain .
  lgc:kidney-stones a skos:Concept, schema:MedicalCondition ; skos:prefLabel "Kidney stones"@en ;
      schema:possibleTreatment lgc:ibuprofen, lgc:physio .
  lgc:flu a skos:Concept, schema:MedicalCondition ; skos:prefLabel "Flu"@en ;
      schema:possibleTreatment lgc:rest ; schema:signOrSymptom lgc:fever .
  lgc:shingles a skos:Concept, schema:MedicalCondition ; skos:prefLabel "Shingles"@en ;
      skos:altLabel "herpes zoster"@en ; schema:possibleTreatment lgc:ibuprofen ;
      schema:signOrSymptom lgc:fever, lgc:leg-pain .
  lgc:leg-pain a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "Leg pain"@en .
  lgc:fever a skos:Concept, schema:MedicalSignOrSymptom ; skos:prefLabel "Fever"@en .
  lgc:ibuprofen a skos:Concept, schema:Drug ; skos:prefLabel "Ibuprofen"@en .
  lgc:nsaid a skos:Concept, schema:DrugClass ; skos:prefLabel "NSAID"@en .
  lgc:physio a skos:Concept, schema:MedicalTherapy ; skos:prefLabel "Physiotherapy"@en .
  lgc:rest a skos:Concept, schema:MedicalTherapy ; skos:prefLabel "Bed rest"@en .
}}

{page(SCIATICA, "lgc:sciatica", "lgc:ibuprofen, lgc:leg-pain, lgc:shingles",
      extra=mention(SCIATICA, "ibuprofen", 2, "Ibuprofen can ease the ache.")
      + mention(SCIATICA, "shingles", 1, "Shingles can mimic it."))}
{page(STONES, "lgc:kidney-stones", "lgc:ibuprofen", f"schema:relatedLink <{DRUG}>")}
{page(FLU, "lgc:flu", links=f"schema:significantLink <{FEVER}> ; lg:link <{FLU}#l1>, <{FLU}#l2>",
      extra=f'''  <{FLU}#l1> a lg:Link ; lg:source <{FLU}> ; lg:href "/articles/influenza/" ;
      lg:target <{FEVER}> ; lg:anchorText "high temperature" ; lg:section "Symptoms" ;
      lg:kind "body" ; lg:status "redirect" .
  <{FLU}#l2> a lg:Link ; lg:source <{FLU}> ; lg:href "/articles/fever/" ; lg:target <{FEVER}> ;
      lg:anchorText "fever" ; lg:kind "body" ; lg:status "ok" .
''')}
{page(DRUG, "lgc:ibuprofen", "lgc:nsaid", extra=mention(DRUG, "nsaid", 1, "It is an NSAID."))}
{page(PHYSIO, "lgc:physio", "lgc:sciatica, lgc:ibuprofen", f"schema:relatedLink <{DRUG}>")}
{page(LEGPAIN, "lgc:leg-pain", "lgc:shingles", extra=mention(LEGPAIN, "shingles", 3, "Shingles hurts."))}
{page(FEVER, "lgc:fever", "lgc:shingles", f"schema:significantLink <{FLU}>, <{SHINGLES}>")}
{page(NSAIDS, "lgc:nsaid", "lgc:ibuprofen", f"schema:significantLink <{DRUG}>")}
{page(SHINGLES, "lgc:shingles", "lgc:shingles", f"schema:significantLink <{PHYSIO}> ; lg:link <{SHINGLES}#l1>",
      extra=f'''  <{SHINGLES}#l1> a lg:Link ; lg:source <{SHINGLES}> ; lg:href "/articles/flu/" ;
      lg:target <{FLU}> ; lg:anchorText "Fever" ; lg:section "" ; lg:kind "nav" ; lg:status "ok" .
''')}

<{SCIATICA}> {{ <{SCIATICA}> schema:lastReviewed "2024-02-29"^^xsd:date . }}
<{FLU}> {{ <{FLU}> schema:lastReviewed "2025-01-10"^^xsd:date . }}
<{FEVER}> {{ <{FEVER}> schema:lastReviewed "2025-06-30"^^xsd:date . }}
<{LEGPAIN}> {{ <{LEGPAIN}> schema:lastReviewed "2025-07-01T09:30:00"^^xsd:dateTime . }}

<{ANALYSIS}> {{
  <{SCIATICA}> lg:isDeadEnd true ; lg:inlinks 0 ; lg:linkScore "10.0"^^xsd:decimal ; lg:depth 5 .
  <{LEGPAIN}> lg:isDeadEnd true ; lg:inlinks 2 ; lg:linkScore "30.0"^^xsd:decimal ; lg:depth 4 .
  <{FEVER}> lg:linkScore "50.0"^^xsd:decimal ; lg:depth 2 .
  <{FLU}> lg:isDeadEnd false ; lg:inlinks 1 .
}}
"""

NEW_QUERIES = {
    "condition-pages-without-treatment-link", "symptom-pages-not-linking-conditions",
    "drug-mentions-without-link", "not-reviewed-12-months", "links-to-redirects", "where-to-link-new-page",
    "dead-end-pages",
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("editorial") / "store"
    writer = ox.Store(str(path))
    writer.load(FIXTURE, format=ox.RdfFormat.TRIG)
    writer.extend(analysed(writer))
    writer.flush()
    del writer
    return path


@pytest.fixture(scope="module")
def pool(store: Path) -> Iterator[WorkerPool]:
    with WorkerPool(store, size=2) as workers:
        yield workers


def analysed(store: ox.Store) -> list[ox.Quad]:
    """What a build's analysis adds for these pages (graph/analyse/findings.py), from records read back
    out of the store: so the hand-written expectations below test the findings code too."""
    pages = sorted(typed(store, SCHEMA + "MedicalWebPage"))
    articles = [Article(p, p, p, "md", url=p, links=tuple(links_of(store, p))) for p in pages]
    extracted = {p: ArticleConcepts(p, tuple(sorted(objects(store, ox.NamedNode(p), SCHEMA + "about"))),
                                    tuple(Mention(c, 1, c, "", "") for c in objects(store, ox.NamedNode(p), SCHEMA + "mentions")))
                 for p in pages}
    vocab = vocabulary([q.triple for q in store.quads_for_pattern(None, None, None, ox.NamedNode(VOCAB))])
    metrics = {p: PageMetrics(p, link_score=float(score), inlinks=int(metric(store, p, "inlinks") or 0),
                              depth=int(depth) if (depth := metric(store, p, "depth")) else None)
               for p in pages if (score := metric(store, p, "linkScore"))}
    return model.findings_quads("example.org", editorial_findings(articles, extracted, vocab, LinkAnalysis(metrics, {}, ())))


def links_of(store: ox.Store, page: str) -> list[Link]:
    """The page's lg:Link nodes, and its schema:significantLink / relatedLink pairs (each anchor its own)."""
    found = [Link(t, t, kind=kind, target=t, status=LinkStatus.OK)
             for kind, pred in ((LinkKind.BODY, "significantLink"), (LinkKind.RELATED, "relatedLink"))
             for t in sorted(objects(store, ox.NamedNode(page), SCHEMA + pred))]
    for node in objects(store, ox.NamedNode(page), LG + "link"):
        fields = {q.predicate.value.removeprefix(LG): value(q.object) for q in store.quads_for_pattern(ox.NamedNode(node), None, None)}
        found.append(Link(fields.get("href", ""), fields["anchorText"], kind=LinkKind(fields["kind"]),
                          target=fields.get("target"), status=LinkStatus(fields["status"])))
    return found


def metric(store: ox.Store, page: str, name: str) -> str | None:
    return next((value(q.object) for q in store.quads_for_pattern(ox.NamedNode(page), ox.NamedNode(LG + name), None)), None)


def named(pool: WorkerPool, name: str, **params: str) -> QueryResult:
    return run_named_query(pool.store, name, params, timeout=20.0, max_rows=1000, pool=pool)


def rows(result: QueryResult, *names: str) -> list[tuple[str | None, ...]]:
    """Selected columns as plain strings; concept IRIs shortened to their slug."""
    out = []
    for row in result.rows:
        values = dict(zip(result.variables, row, strict=True))
        out.append(tuple(None if values[n] is None else _short(values[n].value) for n in names))  # type: ignore[union-attr]
    return out


def _short(value: str) -> str:
    return value.removeprefix(LGC)


# ----------------------------------------------------------------------------- catalogue


def test_at_least_fifteen_named_queries_with_headers() -> None:
    queries = {q.name: q for q in list_queries()}
    assert len(queries) >= 15 and set(queries) >= NEW_QUERIES
    for query in queries.values():
        assert query.title and len(query.description) > 30, query.name
        assert query.text.startswith("# title: "), query.name


def test_optional_date_param_is_declared() -> None:
    (param,) = load_query("not-reviewed-12-months").params
    assert (param.name, param.type, param.optional) == ("date", "date", True)
    (concept,) = load_query("where-to-link-new-page").params
    assert (concept.name, concept.type, concept.optional) == ("concept", "concept", False)


# ----------------------------------------------------------------------------- hand-built store


def test_condition_pages_without_treatment_link(pool: WorkerPool) -> None:
    result = named(pool, "condition-pages-without-treatment-link")
    assert rows(result, "page", "condition", "treatmentPageCount", "score") == [
        (SCIATICA, "sciatica", "2", "10"),  # highest link score first
        (SHINGLES, "shingles", "1", None),  # links physio, which does not treat shingles
    ]  # kidney stones links one treatment (related link); flu's treatment has no page
    sciatica = result.column("treatments")[0]
    assert sorted(str(sciatica.value).split()) == [LGC + "ibuprofen", LGC + "physio"]  # type: ignore[union-attr]
    assert rows(result, "exampleTreatmentPage")[0][0] in {DRUG, PHYSIO}
    assert rows(result, "exampleTreatmentPage")[1] == (DRUG,) and rows(result, "treatments")[1] == ("ibuprofen",)


def test_symptom_pages_not_linking_conditions(pool: WorkerPool) -> None:
    result = named(pool, "symptom-pages-not-linking-conditions")
    assert rows(result, "page", "symptom", "condition", "conditionPageCount", "exampleConditionPage") == [
        (LEGPAIN, "leg-pain", "sciatica", "1", SCIATICA),
        (LEGPAIN, "leg-pain", "shingles", "1", SHINGLES),
    ]  # the fever page links both flu and shingles


def test_drug_mentions_without_link(pool: WorkerPool) -> None:
    result = named(pool, "drug-mentions-without-link")
    assert rows(result, "page", "drug", "drugPageCount", "exampleDrugPage", "mentions", "sentence") == [
        (SCIATICA, "ibuprofen", "1", DRUG, "2", "Ibuprofen can ease the ache."),  # link score 10 first
        (DRUG, "nsaid", "1", NSAIDS, "1", "It is an NSAID."),
    ]  # kidney stones and physio link the drug page; the NSAID page does too


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-06-30", [SCIATICA, FLU]),  # reviewed exactly 12 months before: not yet due
        ("2026-07-02", [SCIATICA, FLU, FEVER, LEGPAIN]),  # a dateTime compares by its day
        ("2025-03-01", [SCIATICA]),
        ("2025-02-28", []),  # 2024-02-29 is less than 12 months before
        ("2028-02-29", [SCIATICA, FLU, FEVER, LEGPAIN]),  # a leap day does not break the arithmetic
    ],
)
def test_not_reviewed_12_months_before_a_date(pool: WorkerPool, day: str, expected: list[str]) -> None:
    result = named(pool, "not-reviewed-12-months", date=day)
    assert [r[0] for r in rows(result, "page")] == expected
    assert {r[0] for r in rows(result, "date")} <= {day}


def test_not_reviewed_12_months_defaults_to_today(pool: WorkerPool) -> None:
    result = named(pool, "not-reviewed-12-months")
    today = datetime.datetime.now(datetime.UTC).date()
    due = f"{today.year - 1}{today.isoformat()[4:]}"
    assert result.volatile  # NOW(): the server must not cache it
    assert {r[0] for r in rows(result, "reviewDue")} == {due}
    expected = [(SCIATICA, "2024-02-29"), (FLU, "2025-01-10"), (FEVER, "2025-06-30"),
                (LEGPAIN, "2025-07-01T09:30:00")]
    assert rows(result, "page", "lastReviewed") == [e for e in expected if e[1][:10] < due]
    with pytest.raises(UsageError, match="not a date"):
        named(pool, "not-reviewed-12-months", date="2026-13-01")


def test_links_to_redirects(pool: WorkerPool) -> None:
    result = named(pool, "links-to-redirects")
    assert rows(result, "source", "href", "target", "anchor", "section") == [
        (FLU, "/articles/influenza/", FEVER, "high temperature", "Symptoms"),
    ]


def test_where_to_link_new_page(pool: WorkerPool) -> None:
    result = named(pool, "where-to-link-new-page", concept="herpes zoster")
    assert rows(result, "concept", "page", "mentions", "sentence") == [
        ("shingles", LEGPAIN, "3", "Shingles hurts."),
        ("shingles", SCIATICA, "1", "Shingles can mimic it."),
    ]  # the fever page links the shingles page; the shingles page is about it
    assert rows(named(pool, "where-to-link-new-page", concept="lgc:nsaid"), "page") == [(DRUG,)]
    with pytest.raises(UsageError, match="missing"):
        named(pool, "where-to-link-new-page")


def test_dead_end_pages(pool: WorkerPool) -> None:
    assert rows(named(pool, "dead-end-pages"), "page", "inlinks") == [(LEGPAIN, "2"), (SCIATICA, "0")]


def test_top_pages_deep_pages_and_anchors_read_what_the_analysis_ranked(pool: WorkerPool) -> None:
    assert rows(named(pool, "top-pages-by-link-score"), "page", "score", "inlinks") == [
        (FEVER, "50", None), (LEGPAIN, "30", "2"), (SCIATICA, "10", "0")]  # only pages with a link score
    assert rows(named(pool, "deep-pages"), "page", "depth", "inlinks") == [(LEGPAIN, "4", "2"), (SCIATICA, "5", "0")]
    anchors = named(pool, "anchors-multiple-targets")
    assert rows(anchors, "anchor", "targetCount") == [("fever", "2")]  # "fever" and a nav link's "Fever"
    assert sorted(str(anchors.column("targets")[0].value).split()) == [FEVER, FLU]  # type: ignore[union-attr]


def test_a_finding_query_lists_the_first_100_findings_by_rank(tmp_path: Path) -> None:
    pages = [f"{SITE}p{i:03d}/" for i in range(150)]
    found = Findings({}, tuple(MissingLink(MissingKind.CONDITION, page, LGC + "shingles", 150 - i, 1, pages[0],
                                           symptom=LGC + "fever") for i, page in enumerate(pages)))
    db = ox.Store(str(tmp_path / "store"))
    db.extend(model.findings_quads("example.org", found))
    db.flush()
    del db
    with WorkerPool(tmp_path / "store", size=1) as workers:
        result = named(workers, "symptom-pages-not-linking-conditions")
    assert [r[0] for r in rows(result, "page")] == pages[::-1][:100]  # rank 1 is the last page


def test_named_queries_share_one_warm_worker(pool: WorkerPool) -> None:
    before = pool.spawned
    for _ in range(3):
        named(pool, "where-to-link-new-page", concept="shingles")  # a lookup and a query each
    assert pool.spawned == before


# ----------------------------------------------------------------------------- sample build


@pytest.fixture(scope="module")
def sample(sample_build: BuildResult) -> Iterator[tuple[WorkerPool, ox.Store]]:
    path = sample_build.out / "store"
    with WorkerPool(path, size=1) as workers:
        yield workers, ox.Store.read_only(str(path))


def value(term: object) -> str:
    assert isinstance(term, ox.NamedNode | ox.Literal), term
    return term.value


def subjects(store: ox.Store, predicate: str, obj: str | None = None) -> set[str]:
    pattern = store.quads_for_pattern(None, ox.NamedNode(predicate), None if obj is None else ox.NamedNode(obj))
    return {value(q.subject) for q in pattern}


def objects(store: ox.Store, subject: ox.NamedNode, predicate: str) -> set[str]:
    return {value(q.object) for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)}


def about_index(store: ox.Store) -> dict[str, set[str]]:
    """concept -> pages about it, computed in Python as an independent check of the queries."""
    index: dict[str, set[str]] = {}
    for quad in store.quads_for_pattern(None, ox.NamedNode("http://schema.org/about"), None):
        index.setdefault(value(quad.object), set()).add(value(quad.subject))
    return index


def linked(store: ox.Store, page: str) -> set[str]:
    node = ox.NamedNode(page)
    return objects(store, node, "http://schema.org/significantLink") | objects(store, node, "http://schema.org/relatedLink")


def typed(store: ox.Store, kind: str) -> set[str]:
    return subjects(store, PREFIXES["rdf"] + "type", kind)


def test_symptom_query_matches_a_python_check_on_the_sample(sample: tuple[WorkerPool, ox.Store]) -> None:
    pool, store = sample
    about = about_index(store)
    expected: dict[tuple[str, str], set[str]] = {}
    for symptom in typed(store, "http://schema.org/MedicalSignOrSymptom"):
        for page in about.get(symptom, ()):
            for condition in typed(store, "http://schema.org/MedicalCondition"):
                if symptom not in objects(store, ox.NamedNode(condition), "http://schema.org/signOrSymptom"):
                    continue
                pages = about.get(condition, set())
                if not pages & linked(store, page) and pages - {page}:
                    expected[(page, condition)] = pages - {page}
    result = named(pool, "symptom-pages-not-linking-conditions")
    got = {(str(r[0]), LGC + str(r[1])): (int(str(r[2])), r[3]) for r in rows(
        result, "page", "condition", "conditionPageCount", "exampleConditionPage")}
    assert len(result.rows) < 100  # under the query's LIMIT, so every finding is there
    assert got.keys() == expected.keys()
    assert all(count == len(expected[key]) and example in expected[key] for key, (count, example) in got.items())
    assert (SAMPLE_SITE + "can-heartburn-make-your-back-hurt/", LGC + "gerd") in got
    assert_by_link_score(store, result)


def test_drug_query_matches_a_python_check_on_the_sample(sample: tuple[WorkerPool, ox.Store]) -> None:
    pool, store = sample
    about = about_index(store)
    drugs = typed(store, "http://schema.org/Drug") | typed(store, "http://schema.org/DrugClass")
    expected: dict[tuple[str, str], set[str]] = {}
    for page in typed(store, "http://schema.org/MedicalWebPage"):
        node = ox.NamedNode(page)
        for drug in objects(store, node, "http://schema.org/mentions") & drugs:
            pages = about.get(drug, set())
            if pages and page not in pages and not pages & linked(store, page):
                expected[(page, drug)] = pages
    result = named(pool, "drug-mentions-without-link")
    got = {(str(r[0]), LGC + str(r[1])): (int(str(r[2])), r[3]) for r in rows(
        result, "page", "drug", "drugPageCount", "exampleDrugPage")}
    assert 5 <= len(result.rows) < 100 and got.keys() == expected.keys()
    assert all(count == len(expected[key]) and example in expected[key] for key, (count, example) in got.items())
    assert_by_link_score(store, result)


def test_condition_query_matches_a_python_check_on_the_sample(sample: tuple[WorkerPool, ox.Store]) -> None:
    pool, store = sample
    about = about_index(store)
    expected: dict[tuple[str, str], set[str]] = {}
    for condition in typed(store, "http://schema.org/MedicalCondition"):
        treatments = objects(store, ox.NamedNode(condition), "http://schema.org/possibleTreatment")
        treatment_pages = {p for t in treatments for p in about.get(t, ())}
        for page in about.get(condition, ()):
            if not treatment_pages & linked(store, page) and treatment_pages - {page}:
                expected[(page, condition)] = treatment_pages - {page}
    result = named(pool, "condition-pages-without-treatment-link")
    got = {(str(r[0]), LGC + str(r[1])): (int(str(r[2])), r[3]) for r in rows(
        result, "page", "condition", "treatmentPageCount", "exampleTreatmentPage")}
    assert got and len(result.rows) < 100 and got.keys() == expected.keys()
    assert all(count == len(expected[key]) and example in expected[key] for key, (count, example) in got.items())
    assert_by_link_score(store, result)


def assert_by_link_score(store: ox.Store, result: QueryResult) -> None:
    """Rows come by the page's link score, highest first, and carry that score."""
    scores = {value(q.subject): float(value(q.object))
              for q in store.quads_for_pattern(None, ox.NamedNode(PREFIXES["lg"] + "linkScore"), None)}
    pages = [str(r[0]) for r in rows(result, "page")]
    assert [float(str(s)) for (s,) in rows(result, "score")] == [scores[p] for p in pages]
    assert [scores[p] for p in pages] == sorted((scores[p] for p in pages), reverse=True)


def test_where_to_link_on_the_sample(sample: tuple[WorkerPool, ox.Store]) -> None:
    pool, store = sample
    about = about_index(store)
    concept = LGC + "sciatica"
    result = named(pool, "where-to-link-new-page", concept="sciatica")
    pages = {r[0] for r in rows(result, "page")}
    mentioning = subjects(store, "http://schema.org/mentions", concept)
    assert pages == {p for p in mentioning - about[concept] if not about[concept] & linked(store, p)}
    counts = [int(str(r[0])) for r in rows(result, "mentions")]
    assert pages and counts == sorted(counts, reverse=True)


def test_top_pages_and_anchors_match_a_python_check_on_the_sample(sample: tuple[WorkerPool, ox.Store]) -> None:
    pool, store = sample
    scores = {value(q.subject): float(value(q.object))
              for q in store.quads_for_pattern(None, ox.NamedNode(LG + "linkScore"), None)}
    top = sorted(scores, key=lambda page: (-scores[page], page))[:20]
    assert [r[0] for r in rows(named(pool, "top-pages-by-link-score"), "page")] == top
    targets: dict[str, set[str]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(LG + "anchorText"), None):
        link = ox.NamedNode(value(q.subject))
        if objects(store, link, LG + "kind") & {"body", "related", "nav"} and (to := objects(store, link, LG + "target")):
            targets.setdefault(value(q.object).lower(), set()).update(to)
    expected = sorted(((a, len(t)) for a, t in targets.items() if len(t) > 1), key=lambda x: (-x[1], x[0]))
    assert expected and rows(named(pool, "anchors-multiple-targets"), "anchor", "targetCount") == [
        (a, str(n)) for a, n in expected]


# ----------------------------------------------------------------------------- a real build with a redirect


def test_links_to_redirects_on_a_built_corpus(write_corpus, tmp_path: Path) -> None:
    source = write_corpus({
        "gout.md": "---\ntitle: Gout\nredirect_from: [/articles/old-gout/]\n---\nGout is a joint disease.\n",
        "toe-pain.md": "---\ntitle: Toe pain\n---\nSudden toe pain can be [gout](/articles/old-gout/) "
                       "or a [sprain](/articles/sprain/).\n",
    })
    result = build(source, tmp_path / "out", Settings.load(source / "linkgraph.toml"))
    with WorkerPool(result.out / "store", size=1) as workers:
        found = named(workers, "links-to-redirects")
    assert rows(found, "source", "href", "target", "anchor") == [
        ("https://site.example/articles/toe-pain/", "/articles/old-gout/", "https://site.example/articles/gout/",
         "gout"),
    ]
