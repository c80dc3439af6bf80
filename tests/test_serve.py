"""HTTP endpoint: SPARQL 1.1 Protocol, status codes, negotiation, auth, CORS and static routes."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
from starlette.testclient import TestClient

from graph.errors import UsageError
from graph.serve import MAX_BODY, Answer, ResultCache, check_bind, create_app, negotiate
from graph.settings import Settings

A = "https://example.org/articles/alpha/"
B = "https://example.org/articles/beta/"
ANALYSIS = "https://w3id.org/linkgraph/site/example.org/analysis"
CRAMP = "https://w3id.org/linkgraph/concept/cramp"

FIXTURE = f"""
@prefix schema: <http://schema.org/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix lg: <https://w3id.org/linkgraph/ns#> .
@prefix lgc: <https://w3id.org/linkgraph/concept/> .
<{A}> {{ <{A}> a schema:MedicalWebPage ; schema:name "Alpha" ; schema:about lgc:cramp ;
           schema:significantLink <{B}> . }}
<{B}> {{ <{B}> a schema:MedicalWebPage ; schema:name "Beta" ; schema:mentions lgc:cramp . }}
<{ANALYSIS}> {{
  <{A}> lg:isOrphan true ; lg:depth 0 .
  <{B}> lg:isOrphan false ; lg:depth 1 .
  _:g a lg:LinkSuggestion ; lg:source <{B}> ; lg:target <{A}> ; lg:anchorText "cramp" ;
      lg:score 0.7 .
  lgc:cramp a skos:Concept ; skos:prefLabel "Cramp"@en .
}}
"""

SELECT = "SELECT ?page ?name WHERE { ?page schema:name ?name } ORDER BY ?page"
CONSTRUCT = "CONSTRUCT { ?page schema:name ?name } WHERE { ?page schema:name ?name }"
SETTINGS = Settings(query_timeout=20.0, max_rows=100)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build folder with a store, build.json, an explorer page, reports and a private file."""
    folder = tmp_path_factory.mktemp("serve") / "out"
    (folder / "reports").mkdir(parents=True)
    writer = ox.Store(str(folder / "store"))
    writer.load(FIXTURE, format=ox.RdfFormat.TRIG)
    writer.flush()
    del writer
    (folder / "build.json").write_text(json.dumps({"build_id": "build-1"}), encoding="utf-8")
    (folder / "explorer.html").write_text("<html><body>explorer</body></html>", encoding="utf-8")
    (folder / "reports" / "gaps.csv").write_text("source,target\n", encoding="utf-8")
    (folder / "secret.txt").write_text("not for the web", encoding="utf-8")
    (folder / "reports" / "link.csv").symlink_to(folder / "secret.txt")
    return folder


@pytest.fixture(scope="module")
def client(out: Path) -> Iterator[TestClient]:
    with TestClient(create_app(out, SETTINGS)) as test_client:
        yield test_client


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    """SPARQL JSON results as plain {variable: value} rows."""
    data = json.loads(response.text)
    return [{k: v["value"] for k, v in row.items()} for row in data["results"]["bindings"]]


# ----------------------------------------------------------------------------- protocol


def test_get_select_defaults_to_sparql_json(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert bindings(response) == [{"page": A, "name": "Alpha"}, {"page": B, "name": "Beta"}]
    assert "linkgraph-truncated" not in response.headers


def test_post_form_and_post_query_body(client: TestClient) -> None:
    form = client.post("/sparql", data={"query": SELECT, "format": "json", "output": "json"})
    assert form.status_code == 200 and len(bindings(form)) == 2
    direct = client.post("/sparql", content=SELECT, headers={"content-type": "application/sparql-query"})
    assert direct.status_code == 200 and bindings(direct) == bindings(form)


def test_dataset_parameters_narrow_the_default_graph(client: TestClient) -> None:
    narrowed = client.get("/sparql", params={"query": SELECT, "default-graph-uri": B})
    assert bindings(narrowed) == [{"page": B, "name": "Beta"}]
    in_url = client.post(
        f"/sparql?default-graph-uri={quote(A)}", content=SELECT,
        headers={"content-type": "application/sparql-query"},
    )
    assert bindings(in_url) == [{"page": A, "name": "Alpha"}]
    foreign = client.get("/sparql", params={"query": SELECT, "named-graph-uri": "http://evil/"})
    assert foreign.status_code == 403


@pytest.mark.parametrize(
    ("accept", "media", "first_line"),
    [
        ("application/sparql-results+xml", "application/sparql-results+xml", '<?xml version="1.0"?>'),
        ("text/csv", "text/csv", "page,name"),
        ("text/tab-separated-values", "text/tab-separated-values", "?page\t?name"),
        ("text/html, application/json;q=0.9", "application/sparql-results+json", '{"head"'),
        ("image/png", "application/sparql-results+json", '{"head"'),
    ],
)
def test_select_negotiation(client: TestClient, accept: str, media: str, first_line: str) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media)
    assert response.text.startswith(first_line)


def test_csv_rows(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"accept": "text/csv"})
    assert list(csv.reader(io.StringIO(response.text)))[1:] == [[A, "Alpha"], [B, "Beta"]]


@pytest.mark.parametrize(
    ("accept", "media"),
    [
        (None, "text/turtle"),
        ("application/n-triples", "application/n-triples"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
    ],
)
def test_construct_negotiation(client: TestClient, accept: str | None, media: str) -> None:
    headers = {"accept": accept} if accept else {}
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    fmt = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
           "application/rdf+xml": ox.RdfFormat.RDF_XML, "application/ld+json": ox.RdfFormat.JSON_LD}[media]
    names = {q.object.value for q in ox.parse(response.content, format=fmt)}
    assert names == {"Alpha", "Beta"}


def test_ask(client: TestClient) -> None:
    response = client.get("/sparql", params={"query": "ASK { ?p lg:isOrphan true }"})
    assert response.json() == {"head": {}, "boolean": True}


def test_negotiate_prefers_quality_then_order() -> None:
    assert negotiate("text/csv;q=0.2, text/tab-separated-values;q=0.8", graph=False) == "tsv"
    assert negotiate("text/*", graph=False) == "csv"
    assert negotiate("application/sparql-results+xml;q=0, */*", graph=False) == "json"
    assert negotiate(None, graph=True) == "turtle"


# ----------------------------------------------------------------------------- status codes


def test_errors_are_short_plain_text(client: TestClient, out: Path) -> None:
    cases = {
        400: client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p "}),
        403: client.get("/sparql", params={"query": "SELECT * { SERVICE <http://evil/> { ?s ?p ?o } }"}),
    }
    for status, response in cases.items():
        assert response.status_code == status
        assert response.headers["content-type"].startswith("text/plain")
        assert "Traceback" not in response.text and str(out) not in response.text
        assert len(response.text) < 600


def test_missing_or_repeated_query_is_400(client: TestClient) -> None:
    assert client.get("/sparql", params={"default-graph-uri": A}).status_code == 400
    assert client.post("/sparql", data={"default-graph-uri": A}).status_code == 400
    assert client.get("/sparql", params=[("query", SELECT), ("query", SELECT)]).status_code == 400


def test_updates_are_403_however_they_come(client: TestClient) -> None:
    drop = "DROP ALL"
    assert client.post("/sparql", data={"update": drop}).status_code == 403
    sent = client.post("/sparql", content=drop, headers={"content-type": "application/sparql-update"})
    assert sent.status_code == 403
    assert client.post("/sparql", data={"query": drop}).status_code == 403
    assert client.get("/sparql", params={"query": SELECT}).status_code == 200  # store untouched


def test_size_limits(client: TestClient) -> None:
    huge = SELECT + " #" + "x" * MAX_BODY
    assert client.post("/sparql", data={"query": huge}).status_code == 413
    long_url = SELECT + " #" + "x" * 9000
    assert client.get("/sparql", params={"query": long_url}).status_code == 414


def test_wrong_content_type_and_method(client: TestClient) -> None:
    assert client.post("/sparql", content=SELECT, headers={"content-type": "text/plain"}).status_code == 415
    assert client.put("/sparql", content=SELECT).status_code == 405
    assert client.delete("/sparql").status_code == 405


def test_timeout_is_503_without_a_partial_body(out: Path) -> None:
    quick = Settings(query_timeout=0.3, max_rows=100)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { " + " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(8)) + " }"
    with TestClient(create_app(out, quick)) as test_client:
        response = test_client.get("/sparql", params={"query": slow})
    assert response.status_code == 503
    assert "head" not in response.text


def test_row_cap_sets_the_truncated_header(out: Path) -> None:
    with TestClient(create_app(out, Settings(query_timeout=20.0, max_rows=1))) as test_client:
        response = test_client.get("/sparql", params={"query": SELECT})
    assert response.headers["linkgraph-truncated"] == "true"
    assert len(bindings(response)) == 1


# ----------------------------------------------------------------------------- named queries


def test_queries_list_and_run(client: TestClient) -> None:
    listed = client.get("/queries").json()
    gaps = next(q for q in listed if q["name"] == "gaps-from-page")
    assert gaps["params"] == [
        {"name": "page", "type": "iri", "description": "URL of the source article", "optional": False}
    ]
    assert gaps["text"].startswith("# title: Link suggestions from a page")
    orphans = client.get("/queries/orphan-pages")
    assert [row["page"] for row in bindings(orphans)] == [A]
    suggested = client.get("/queries/gaps-from-page", params={"page": B})
    assert [row["target"] for row in bindings(suggested)] == [A]
    about = client.get("/queries/pages-about-concept", params={"concept": "cramp"}, headers={"accept": "text/csv"})
    assert about.text.splitlines()[1].startswith(f"{CRAMP},{A}")


def test_named_query_errors(client: TestClient) -> None:
    assert client.get("/queries/orphan-page").status_code == 404
    assert "orphan-pages" in client.get("/queries/orphan-page").text
    assert client.get("/queries/gaps-from-page").status_code == 400
    assert client.get("/queries/orphan-pages", params={"page": A}).status_code == 400


# ----------------------------------------------------------------------------- pages, health


def test_explorer_and_reports(client: TestClient) -> None:
    assert "explorer" in client.get("/").text
    report = client.get("/reports/gaps.csv")
    assert report.status_code == 200 and report.text == "source,target\n"
    for sneaky in ["/reports/..%2Fsecret.txt", "/reports/%2e%2e%2fsecret.txt", "/reports/link.csv",
                   "/reports/.hidden", "/reports/missing.csv", "/secret.txt"]:
        response = client.get(sneaky)
        assert response.status_code == 404, sneaky
        assert "not for the web" not in response.text


def test_health_and_etag(client: TestClient) -> None:
    response = client.get("/health")
    assert response.json() == {"status": "ok", "build_id": "build-1"}
    assert response.headers["etag"] == '"build-1"'
    assert client.get("/health", headers={"if-none-match": '"build-1"'}).status_code == 304


def test_a_rebuilt_folder_is_not_served_under_the_old_build_id(tmp_path: Path, out: Path) -> None:
    folder = tmp_path / "out"
    shutil.copytree(out, folder, symlinks=True)
    with TestClient(create_app(folder, SETTINGS)) as test_client:
        assert test_client.get("/sparql", params={"query": SELECT}).status_code == 200
        (folder / "build.json").write_text(json.dumps({"build_id": "new"}), encoding="utf-8")
        assert test_client.get("/sparql", params={"query": SELECT}).status_code == 503
        assert test_client.get("/health").json()["status"] == "stale"


def test_missing_build_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no linkgraph build"):
        create_app(tmp_path, SETTINGS)


# ----------------------------------------------------------------------------- auth, CORS, bind


def test_bearer_token(out: Path) -> None:
    with TestClient(create_app(out, SETTINGS, token="s3cret")) as test_client:
        assert test_client.get("/sparql", params={"query": SELECT}).status_code == 401
        wrong = {"authorization": "Bearer nope"}
        assert test_client.get("/queries", headers=wrong).status_code == 401
        right = {"authorization": "Bearer s3cret"}
        assert test_client.get("/sparql", params={"query": SELECT}, headers=right).status_code == 200
        assert test_client.get("/health").status_code == 200


def test_cors_is_off_by_default_and_exact_when_on(client: TestClient, out: Path) -> None:
    origin = {"origin": "https://tools.example.org"}
    assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
    with TestClient(create_app(out, SETTINGS, cors="https://tools.example.org")) as test_client:
        allowed = test_client.get("/health", headers=origin)
        assert allowed.headers["access-control-allow-origin"] == "https://tools.example.org"
        assert "access-control-allow-credentials" not in allowed.headers
        other = test_client.get("/health", headers={"origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    with TestClient(create_app(out, SETTINGS, cors="*")) as test_client:
        anyone = test_client.get("/health", headers={"origin": "https://evil.example"})
        assert anyone.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in anyone.headers
    with pytest.raises(UsageError):
        create_app(out, SETTINGS, cors="https://a.example/path")


def test_check_bind() -> None:
    for loopback in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]:
        check_bind(loopback, token=None, no_auth=False)
    with pytest.raises(UsageError, match="--token"):
        check_bind("0.0.0.0", token=None, no_auth=False)
    check_bind("0.0.0.0", token="t", no_auth=False)
    check_bind("192.0.2.1", token=None, no_auth=True)


# ----------------------------------------------------------------------------- live server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.server
def test_live_server_answers_sparqlwrapper(out: Path) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    port = _free_port()
    config = uvicorn.Config(create_app(out, SETTINGS), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        client = SPARQLWrapper(f"http://127.0.0.1:{port}/sparql")
        client.setQuery(SELECT)
        client.setReturnFormat(JSON)
        data: Any = client.query().convert()
        assert [row["name"]["value"] for row in data["results"]["bindings"]] == ["Alpha", "Beta"]
    finally:
        server.should_exit = True
        thread.join(10)


# ----------------------------------------------------------------------------- service description


def test_bare_get_is_the_service_description(client: TestClient) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/turtle")
    assert "sd:Service" in response.text and "sd:SPARQL11Query" in response.text
    assert "SPARQL11Update" not in response.text
    triples = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE))
    endpoint = [t.object.value for t in triples if t.predicate.value.endswith("#endpoint")]
    assert endpoint == ["http://testserver/sparql"]
    names = {t.object.value for t in triples if t.predicate.value.endswith("#name")}
    assert names == {A, B, ANALYSIS}
    ntriples = client.get("/sparql", headers={"accept": "application/n-triples"})
    assert ntriples.headers["content-type"].startswith("application/n-triples")
    assert len(list(ox.parse(ntriples.content, format=ox.RdfFormat.N_TRIPLES))) == len(triples)


# ----------------------------------------------------------------------------- answer cache


def test_repeated_queries_come_from_the_cache(out: Path) -> None:
    with TestClient(create_app(out, SETTINGS)) as test_client:
        first = test_client.get("/sparql", params={"query": SELECT})
        again = test_client.post("/sparql", data={"query": SELECT})
        as_csv = test_client.get("/sparql", params={"query": SELECT}, headers={"accept": "text/csv"})
        narrowed = test_client.get("/sparql", params={"query": SELECT, "default-graph-uri": A})
        assert [r.headers["linkgraph-cache"] for r in (first, again, as_csv, narrowed)] == ["miss", "hit", "miss", "miss"]
        assert again.content == first.content and bindings(narrowed) == [{"page": A, "name": "Alpha"}]
        named = [test_client.get("/queries/gaps-from-page", params={"page": B}) for _ in range(2)]
        assert [r.headers["linkgraph-cache"] for r in named] == ["miss", "hit"]
        other = test_client.get("/queries/gaps-from-page", params={"page": A})
        assert other.headers["linkgraph-cache"] == "miss" and bindings(other) == []


def test_answers_that_depend_on_the_moment_are_not_cached(client: TestClient) -> None:
    query = "SELECT (STR(NOW()) AS ?now) (RAND() AS ?r) WHERE {}"
    states = [client.get("/sparql", params={"query": query}).headers["linkgraph-cache"] for _ in range(2)]
    assert states == ["miss", "miss"]


def test_queries_too_long_to_guard_get_413(client: TestClient) -> None:
    long_query = SELECT + "\n#" + "x" * 40_000
    response = client.post("/sparql", data={"query": long_query})
    assert response.status_code == 413
    assert "limit" in response.text and "Traceback" not in response.text


def test_cache_can_be_turned_off(out: Path) -> None:
    with TestClient(create_app(out, SETTINGS, cache_entries=0)) as test_client:
        states = [test_client.get("/sparql", params={"query": SELECT}).headers["linkgraph-cache"] for _ in range(2)]
    assert states == ["miss", "miss"]


def test_result_cache_is_a_bounded_lru() -> None:
    cache = ResultCache(2, max_bytes=100, max_entry=60)
    answer = Answer(b"x" * 10, "text/csv", truncated=False)
    cache.put("a", answer)
    cache.put("b", answer)
    assert cache.get("a") is answer  # a is now the most recent
    cache.put("c", answer)
    assert cache.get("b") is None and cache.get("a") is answer and len(cache) == 2
    cache.put("big", Answer(b"x" * 61, "text/csv", truncated=False))
    assert cache.get("big") is None
    for key in "defg":
        cache.put(key, Answer(b"x" * 55, "text/csv", truncated=False))
    assert len(cache) == 1 and cache.get("g") is not None  # 2 x 55 bytes would pass max_bytes
    assert (cache.hits, cache.misses) == (3, 2)


# ----------------------------------------------------------------------------- workers through the app


def test_a_timed_out_query_kills_its_worker_and_the_server_goes_on(out: Path) -> None:
    quick = Settings(query_timeout=0.5, max_rows=100)
    slow = "SELECT (COUNT(*) AS ?n) WHERE { " + " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(8)) + " }"
    with TestClient(create_app(out, quick, workers=1)) as test_client:
        pool = test_client.app.state.pool  # type: ignore[attr-defined]
        assert test_client.get("/sparql", params={"query": SELECT}).status_code == 200
        (pid,) = pool.pids()
        assert test_client.get("/sparql", params={"query": slow}).status_code == 503
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
        assert test_client.get("/sparql", params={"query": SELECT + " LIMIT 1"}).status_code == 200
        assert pool.spawned == 2
    assert pool.pids() == []  # the lifespan closed the pool


def test_workers_are_warm_before_the_first_request(out: Path) -> None:
    with TestClient(create_app(out, SETTINGS, workers=2)) as test_client:
        pool = test_client.app.state.pool  # type: ignore[attr-defined]
        assert pool.spawned == 2
        for n in range(10):
            assert test_client.get("/sparql", params={"query": f"{SELECT} LIMIT {n + 1}"}).status_code == 200
        assert pool.spawned == 2


def test_named_graph_narrowing(client: TestClient) -> None:
    query = "SELECT ?g ?name WHERE { GRAPH ?g { ?page schema:name ?name } } ORDER BY ?g"
    everything = client.get("/sparql", params={"query": query})
    assert [row["g"] for row in bindings(everything)] == [A, B]
    only_b = client.get("/sparql", params={"query": query, "named-graph-uri": B})
    assert bindings(only_b) == [{"g": B, "name": "Beta"}]
    default_only = client.get("/sparql", params={"query": query, "default-graph-uri": A})
    assert bindings(default_only) == []  # protocol dataset: no named graphs were given
    union = "SELECT ?name WHERE { ?page schema:name ?name }"
    assert bindings(client.get("/sparql", params={"query": union, "named-graph-uri": B})) == []


# ----------------------------------------------------------------------------- query page


def test_query_page_is_ours_and_locked_down(client: TestClient) -> None:
    page = client.get("/query")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert "<textarea" in page.text and "<script>" not in page.text and "yasgui" not in page.text.lower()
    script = client.get("/query/app.js")
    assert script.headers["content-type"].startswith("text/javascript")
    for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert risky not in script.text, risky
    assert "textContent" in script.text and '"queries"' in script.text
    assert client.get("/query/app.css").headers["content-type"].startswith("text/css")


def test_query_page_loads_without_the_token_but_data_needs_it(out: Path) -> None:
    with TestClient(create_app(out, SETTINGS, token="s3cret")) as test_client:
        for path in ("/query", "/query/app.js", "/query/app.css"):
            assert test_client.get(path).status_code == 200, path
        assert test_client.get("/queries").status_code == 401
        assert test_client.get("/sparql").status_code == 401
