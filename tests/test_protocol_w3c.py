"""The query side of the W3C SPARQL 1.1 Protocol test suite, as real HTTP requests to a live server.

Each test is named after the W3C case it ports (protocol/manifest.ttl); the data and queries are
our own. Update cases become "must be refused": this endpoint is read-only.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pyoxigraph as ox
import pytest
import uvicorn

from graph.serve import create_app
from graph.settings import Settings

pytestmark = pytest.mark.server

EX = "http://example.org/"
DATA = {n: f"https://example.org/w3c/data{n}.rdf" for n in range(4)}
RESULT_TYPES = ("application/sparql-results+xml", "application/sparql-results+json", "text/csv",
                "text/tab-separated-values")
RDF_TYPES = ("text/turtle", "application/rdf+xml", "application/n-triples", "application/ld+json")
FORM = {"content-type": "application/x-www-form-urlencoded"}
DIRECT = {"content-type": "application/sparql-query"}
LABELS = f"PREFIX ex: <{EX}> SELECT ?s WHERE {{ ?s ex:label ?l }} ORDER BY ?s"


def trig() -> str:
    words = ["zero", "one", "two", "three"]
    return "\n".join(f'<{DATA[n]}> {{ <{EX}s{n}> <{EX}label> "{words[n]}" ; <{EX}next> <{EX}s{(n + 1) % 4}> . }}'
                     for n in range(4))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live `linkgraph serve` app on 127.0.0.1; yields its base URL."""
    out = tmp_path_factory.mktemp("w3c") / "out"
    out.mkdir()
    writer = ox.Store(str(out / "store"))
    writer.load(trig(), format=ox.RdfFormat.TRIG)
    writer.flush()
    del writer
    (out / "build.json").write_text(json.dumps({"build_id": "w3c"}), encoding="utf-8")
    port = free_port()
    app = create_app(out, Settings(query_timeout=20.0, max_rows=1000), workers=2)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


@pytest.fixture(scope="module")
def http(base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=30.0) as client:
        yield client


def params(*items: tuple[str, str]) -> httpx.QueryParams:
    """Repeatable protocol parameters, in order."""
    found = httpx.QueryParams()
    for key, item in items:
        found = found.add(key, item)
    return found


def subjects(response: httpx.Response, var: str = "s") -> list[str]:
    assert response.status_code == 200, response.text
    return [row[var]["value"] for row in response.json()["results"]["bindings"]]


def boolean(response: httpx.Response) -> bool:
    assert response.status_code == 200, response.text
    value: bool = response.json()["boolean"]
    return value


def is_client_error(response: httpx.Response) -> bool:
    return 400 <= response.status_code < 500


# ----------------------------------------------------------------------------- query operation


def test_query_get(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": "SELECT (1 AS ?value) {}"})
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    assert subjects(response, "value") == ["1"]


def test_query_post_form(http: httpx.Client) -> None:
    response = http.post("/sparql", data={"query": "ASK { ?s ?p ?o }"})
    assert boolean(response) is True


def test_query_post_direct(http: httpx.Client) -> None:
    response = http.post("/sparql", content="ASK { ?s ?p ?o }", headers=DIRECT)
    assert boolean(response) is True


def test_query_post_direct_with_charset_utf8(http: httpx.Client) -> None:
    headers = {"content-type": "application/sparql-query; charset=UTF-8"}
    query = f'PREFIX ex: <{EX}> SELECT ?s WHERE {{ ?s ex:label "zero" }} # naïve'
    assert subjects(http.post("/sparql", content=query.encode("utf-8"), headers=headers)) == [EX + "s0"]


def test_query_dataset_default_graph(http: httpx.Client) -> None:
    own = http.get("/sparql", params={"query": f"ASK {{ <{EX}s1> ?p ?o }}", "default-graph-uri": DATA[1]})
    other = http.get("/sparql", params={"query": f"ASK {{ <{EX}s2> ?p ?o }}", "default-graph-uri": DATA[1]})
    assert boolean(own) is True and boolean(other) is False


def test_query_dataset_default_graph_leaves_no_named_graphs(http: httpx.Client) -> None:
    query = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert subjects(http.get("/sparql", params={"query": query, "default-graph-uri": DATA[1]}), "g") == []


def test_query_dataset_default_graphs_get(http: httpx.Client) -> None:
    asked = params(("query", LABELS), ("default-graph-uri", DATA[1]), ("default-graph-uri", DATA[2]))
    assert subjects(http.get("/sparql", params=asked)) == [EX + "s1", EX + "s2"]


def test_query_dataset_default_graphs_post(http: httpx.Client) -> None:
    body = params(("query", LABELS), ("default-graph-uri", DATA[1]), ("default-graph-uri", DATA[2]))
    response = http.post("/sparql", content=str(body), headers=FORM)
    assert subjects(response) == [EX + "s1", EX + "s2"]


NAMED = "SELECT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g ?s"


def test_query_dataset_named_graphs_post(http: httpx.Client) -> None:
    body = params(("query", NAMED), ("named-graph-uri", DATA[1]), ("named-graph-uri", DATA[2]))
    response = http.post("/sparql", content=str(body), headers=FORM)
    assert sorted(set(zip(subjects(response, "g"), subjects(response, "s"), strict=True))) == [
        (DATA[1], EX + "s1"), (DATA[2], EX + "s2")]


def test_query_dataset_named_graphs_get(http: httpx.Client) -> None:
    response = http.get("/sparql", params=params(("query", NAMED), ("named-graph-uri", DATA[3])))
    assert set(subjects(response, "g")) == {DATA[3]}
    only_named = params(("query", "ASK { ?s ?p ?o }"), ("named-graph-uri", DATA[3]))
    assert boolean(http.get("/sparql", params=only_named)) is False  # the default graph is empty


def test_query_dataset_full(http: httpx.Client) -> None:
    query = f"PREFIX ex: <{EX}> SELECT ?x ?g ?s WHERE {{ ?x ex:label ?l GRAPH ?g {{ ?s ex:label ?m }} }} ORDER BY ?g"
    asked = params(("query", query), ("default-graph-uri", DATA[3]), ("named-graph-uri", DATA[1]),
                   ("named-graph-uri", DATA[2]))
    response = http.get("/sparql", params=asked)
    assert subjects(response, "x") == [EX + "s3", EX + "s3"]
    assert subjects(response, "g") == [DATA[1], DATA[2]]
    assert subjects(response, "s") == [EX + "s1", EX + "s2"]


def test_query_multiple_dataset(http: httpx.Client) -> None:
    # The protocol's dataset wins over the query's FROM.
    query = f"ASK FROM <{DATA[2]}> {{ <{EX}s1> ?p ?o }}"
    assert boolean(http.get("/sparql", params={"query": query})) is False
    assert boolean(http.get("/sparql", params={"query": query, "default-graph-uri": DATA[1]})) is True


def test_query_post_direct_with_dataset_in_url(http: httpx.Client) -> None:
    response = http.post("/sparql", params={"default-graph-uri": DATA[0]}, content=LABELS, headers=DIRECT)
    assert subjects(response) == [EX + "s0"]


# ----------------------------------------------------------------------------- content types


def test_query_content_type_select(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": LABELS}, headers={"accept": ", ".join(RESULT_TYPES)})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in RESULT_TYPES


def test_query_content_type_ask(http: httpx.Client) -> None:
    accept = "application/sparql-results+xml, application/sparql-results+json;q=0.8"
    response = http.get("/sparql", params={"query": "ASK {}"}, headers={"accept": accept})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")
    assert "<boolean>true</boolean>" in response.text


def test_query_content_type_describe(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": f"DESCRIBE <{EX}s1>"}, headers={"accept": ", ".join(RDF_TYPES)})
    media = response.headers["content-type"].split(";")[0]
    assert response.status_code == 200 and media in RDF_TYPES
    subjects_found = {q.subject.value for q in ox.parse(response.content, format=ox.RdfFormat.from_media_type(media))}
    assert subjects_found == {EX + "s1"}


def test_query_content_type_construct(http: httpx.Client) -> None:
    query = f"CONSTRUCT {{ ?s <{EX}seen> true }} WHERE {{ ?s <{EX}label> ?l }}"
    response = http.get("/sparql", params={"query": query}, headers={"accept": "application/n-triples, text/turtle;q=0.5"})
    assert response.headers["content-type"].startswith("application/n-triples")
    assert len(list(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))) == 4


def test_query_csv_and_tsv_results(http: httpx.Client) -> None:
    csv = http.get("/sparql", params={"query": LABELS}, headers={"accept": "text/csv"})
    assert csv.text.splitlines() == ["s", *(f"{EX}s{n}" for n in range(4))]
    tsv = http.get("/sparql", params={"query": LABELS}, headers={"accept": "text/tab-separated-values"})
    assert tsv.text.splitlines()[:2] == ["?s", f"<{EX}s0>"]


# ----------------------------------------------------------------------------- bad requests


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_bad_query_method(http: httpx.Client, method: str) -> None:
    response = http.request(method, "/sparql", params={"query": "ASK {}"})
    assert response.status_code == 405


def test_bad_multiple_queries(http: httpx.Client) -> None:
    response = http.get("/sparql", params=params(("query", "ASK {}"), ("query", "SELECT * {}")))
    assert response.status_code == 400


def test_bad_more_than_one_query_in_a_form(http: httpx.Client) -> None:
    body = str(params(("query", "ASK {}"), ("query", "ASK {}")))
    assert http.post("/sparql", content=body, headers=FORM).status_code == 400


def test_bad_query_in_body_and_url(http: httpx.Client) -> None:
    response = http.post("/sparql", params={"query": "ASK {}"}, content="ASK {}", headers=DIRECT)
    assert response.status_code == 400


def test_bad_query_wrong_media_type(http: httpx.Client) -> None:
    response = http.post("/sparql", content="ASK {}", headers={"content-type": "text/plain"})
    assert response.status_code == 415


def test_bad_query_missing_form_type(http: httpx.Client) -> None:
    response = http.post("/sparql", content=b"query=ASK%20%7B%7D")
    assert "content-type" not in response.request.headers
    assert is_client_error(response)


def test_bad_query_missing_direct_type(http: httpx.Client) -> None:
    response = http.post("/sparql", content=b"ASK {}")
    assert is_client_error(response)


def test_bad_query_non_utf8_declared(http: httpx.Client) -> None:
    headers = {"content-type": "application/sparql-query; charset=UTF-16"}
    response = http.post("/sparql", content="ASK {}".encode("utf-16"), headers=headers)
    assert is_client_error(response)


def test_bad_query_non_utf8_bytes(http: httpx.Client) -> None:
    query = 'ASK { ?s ?p "caf\u00e9" }'.encode("latin-1")
    assert http.post("/sparql", content=query, headers=DIRECT).status_code == 400
    form = b"query=" + query.replace(b" ", b"+")
    assert http.post("/sparql", content=form, headers=FORM).status_code == 400


def test_bad_query_non_utf8_percent_escapes(http: httpx.Client) -> None:
    assert http.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22caf%E9%22%20%7D").status_code == 400
    assert http.get("/sparql?query=ASK%20%7B%20%3Fs%20%3Fp%20%22caf%C3%A9%22%20%7D").status_code == 200
    form = b"query=ASK+%7B+%3Fs+%3Fp+%22caf%E9%22+%7D"
    assert http.post("/sparql", content=form, headers=FORM).status_code == 400


def test_bad_query_syntax(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p "})
    assert response.status_code == 400 and "syntax" in response.text.lower()


def test_bad_update_get(http: httpx.Client) -> None:
    response = http.get("/sparql", params={"update": f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}"})
    assert is_client_error(response)


def test_bad_update_as_query(http: httpx.Client) -> None:
    response = http.post("/sparql", data={"query": f"INSERT DATA {{ <{EX}a> <{EX}b> <{EX}c> }}"})
    assert is_client_error(response)


def test_bad_update_post_direct(http: httpx.Client) -> None:
    headers = {"content-type": "application/sparql-update"}
    assert is_client_error(http.post("/sparql", content="CLEAR ALL", headers=headers))
    assert boolean(http.post("/sparql", content="ASK { ?s ?p ?o }", headers=DIRECT)) is True  # data intact


def test_bad_query_unknown_graph(http: httpx.Client) -> None:
    asked = {"query": "ASK {}", "default-graph-uri": "http://elsewhere.example/g"}
    assert http.get("/sparql", params=asked).status_code == 403


# ----------------------------------------------------------------------------- service description


def test_service_description(http: httpx.Client, base: str) -> None:
    response = http.get("/sparql", headers={"accept": "text/turtle"})
    assert response.headers["content-type"].startswith("text/turtle")
    graph = list(ox.parse(response.content, format=ox.RdfFormat.TURTLE, base_iri=base))
    sd = "http://www.w3.org/ns/sparql-service-description#"
    found = {(t.predicate.value, t.object.value) for t in graph}
    assert (sd + "endpoint", base + "/sparql") in found
    assert (sd + "supportedLanguage", sd + "SPARQL11Query") in found
    assert (sd + "supportedLanguage", sd + "SPARQL11Update") not in found
    assert ("http://www.w3.org/ns/sparql-service-description#resultFormat",
            "http://www.w3.org/ns/formats/SPARQL_Results_JSON") in found
    assert {o for p, o in found if p == sd + "name"} == set(DATA.values())
