"""Query guards: nothing a query says can reach the network, write the store or kill the server.

Every remote IRI below points at a recording server on 127.0.0.1, so "no outbound request" is
checked by looking at its log, not assumed. pyoxigraph really does fetch SERVICE and LOAD (the
differential test at the end proves the recorder would see it), so an empty log means the guard
stopped the query before evaluation.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from graph import workers
from graph.errors import LinkgraphError, QueryRefused, QuerySyntaxError, QueryTimeout
from graph.query import PREFIXES, WorkerPool, check_query, run_query
from graph.serve import create_app
from graph.settings import Settings
from tests.hostile.conftest import Recorder, triple_count

SERVICE = {
    "plain": "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "silent": "SELECT * WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }",
    "optional": "SELECT * WHERE { ?a ?b ?c OPTIONAL { SERVICE <{url}> { ?a ?q ?r } } }",
    "subquery": "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <{url}> { ?s ?p ?o } } } }",
    "union": "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE SILENT <{url}> { ?s ?p ?o } } }",
    "variable": "SELECT * WHERE { VALUES ?x { <{url}> } SERVICE ?x { ?s ?p ?o } }",
    "minus": "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{url}> { ?s ?p ?o } } }",
    "exists": "ASK { FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "in-graph": "SELECT * WHERE { GRAPH ?g { SERVICE <{url}> { ?s ?p ?o } } }",
    "construct": "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "lower-case": "select * where { service silent <{url}> { ?s ?p ?o } }",
    "prefixed": "PREFIX r: <{base}> SELECT * WHERE { SERVICE r:sparql { ?s ?p ?o } }",
    "after-cr-comment": "SELECT * WHERE { # note\r SERVICE <{url}> { ?s ?p ?o } }",
}
UPDATES = {
    "load": "LOAD <{url}>",
    "load-silent-into": "LOAD SILENT <{url}> INTO GRAPH <urn:x:g>",
    "insert-data": "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "insert-where": "INSERT { ?s <urn:x:copy> ?o } WHERE { ?s ?p ?o }",
    "delete-data": "DELETE DATA { <urn:x:a> <urn:x:b> <urn:x:c> }",
    "delete-where": "DELETE WHERE { ?s ?p ?o }",
    "with-modify": "WITH <urn:x:g> DELETE { ?s ?p ?o } INSERT { ?o ?p ?s } WHERE { ?s ?p ?o }",
    "drop": "DROP ALL",
    "drop-silent": "DROP SILENT GRAPH <{url}>",
    "clear": "CLEAR DEFAULT",
    "create": "CREATE GRAPH <{url}>",
    "add": "ADD DEFAULT TO <urn:x:g>",
    "move": "MOVE DEFAULT TO <{url}>",
    "copy": "COPY <{url}> TO DEFAULT",
    "two-requests": "INSERT DATA { <urn:x:a> <urn:x:b> <urn:x:c> } ; LOAD <{url}>",
}
DATASETS = {
    "from": "SELECT * FROM <{url}> WHERE { ?s ?p ?o }",
    "from-named": "SELECT * FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "ask-from": "ASK FROM <{url}> { ?s ?p ?o }",
    "construct-from": "CONSTRUCT { ?s ?p ?o } FROM <{url}> WHERE { ?s ?p ?o }",
    "describe-from": "DESCRIBE ?s FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }",
}
REFUSED = {f"service-{k}": v for k, v in SERVICE.items()} | {f"update-{k}": v for k, v in UPDATES.items()} \
    | {f"dataset-{k}": v for k, v in DATASETS.items()}
# Queries that name the recorder but must run without contacting it: IRIs are data, never links.
HARMLESS = {
    "describe": "DESCRIBE <{url}>",
    "iri-function": "SELECT ?x WHERE { BIND(IRI(\"{url}\") AS ?x) }",
    "ask-about": "ASK { <{url}> ?p ?o }",
    "values": "SELECT ?x WHERE { VALUES ?x { <{url}> } }",
}
# Long enough never to finish on any build: five independent scans of every quad.
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?n2 ?o }"
EXCEPTION_NAMES = (
    "Traceback", "LinkgraphError", "QueryRefused", "QuerySyntaxError", "QueryTimeout", "UsageError",
    "InputError", "ValueError", "TypeError", "RuntimeError", "OSError", "KeyError", "SyntaxError",
    "RecursionError", "ParseException", "HTTPException", "PanicException", "AttributeError",
)
GUARD = Settings(query_timeout=20.0, max_rows=1000)


def fill(template: str, recorder: Recorder) -> str:
    return template.replace("{url}", recorder.url()).replace("{base}", recorder.url("/"))


def assert_clean_body(text: str, out: Path) -> None:
    """No traceback, no server path, no Python class names in what a client sees."""
    for secret in (str(out), str(out.resolve()), "site-packages", sys.prefix, str(Path.cwd())):
        assert secret not in text, f"{secret!r} leaked in {text!r}"
    for name in EXCEPTION_NAMES:
        assert name not in text, f"{name} leaked in {text!r}"


# ----------------------------------------------------------------------------- graph.query.run_query


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_run_query_refuses_before_any_request(name: str, small_build: Path, recorder: Recorder) -> None:
    store = small_build / "store"
    before = triple_count(store)
    with pytest.raises(QueryRefused) as caught:
        run_query(store, fill(REFUSED[name], recorder), timeout=20.0, max_rows=100)
    assert caught.value.http_status == 403 and caught.value.exit_code == 2
    assert triple_count(store) == before
    assert recorder.requests == []


def test_protocol_dataset_outside_the_build_is_refused(small_build: Path, recorder: Recorder) -> None:
    store = small_build / "store"
    for kwargs in ({"default_graphs": [recorder.url()]}, {"named_graphs": [recorder.url()]}):
        with pytest.raises(QueryRefused):
            run_query(store, "SELECT * WHERE { ?s ?p ?o }", timeout=20.0, max_rows=10, **kwargs)  # type: ignore[arg-type]
    assert recorder.requests == []


def test_iris_in_allowed_queries_are_never_dereferenced(small_build: Path, recorder: Recorder) -> None:
    with WorkerPool(small_build / "store", size=1) as pool:
        for template in HARMLESS.values():
            run_query(small_build / "store", fill(template, recorder), timeout=20.0, max_rows=10, pool=pool)
    time.sleep(0.2)  # a fetch would be synchronous anyway; leave room for a stray one to land
    assert recorder.requests == []


# ----------------------------------------------------------------------------- the HTTP endpoint


@pytest.fixture(scope="module")
def client(small_build: Path) -> Iterator[TestClient]:
    with TestClient(create_app(small_build, GUARD, workers=1)) as test_client:
        yield test_client


def _three_ways(client: Any, query: str) -> list[httpx.Response]:
    """GET, POST form and POST application/sparql-query: every way the protocol allows."""
    return [
        client.get("/sparql", params={"query": query}),
        client.post("/sparql", data={"query": query}),
        client.post("/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}),
    ]


def test_endpoint_refuses_with_403_and_a_clean_body(client: TestClient, small_build: Path, recorder: Recorder) -> None:
    before = triple_count(small_build / "store")
    for name, template in sorted(REFUSED.items()):
        for response in _three_ways(client, fill(template, recorder)):
            assert response.status_code == 403, (name, response.status_code, response.text)
            assert response.headers["content-type"].startswith("text/plain")
            assert_clean_body(response.text, small_build)
    assert triple_count(small_build / "store") == before
    assert recorder.requests == []


def test_endpoint_refuses_update_requests_and_foreign_datasets(client: TestClient, small_build: Path,
                                                               recorder: Recorder) -> None:
    load = f"LOAD <{recorder.url()}>"
    select = "SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    responses = [
        client.post("/sparql", data={"update": load}),
        client.post("/sparql", content=load.encode(), headers={"content-type": "application/sparql-update"}),
        client.get("/sparql", params={"update": load}),
        client.get("/sparql", params={"query": select, "default-graph-uri": recorder.url()}),
        client.post("/sparql", data={"query": select, "named-graph-uri": recorder.url()}),
    ]
    assert [r.status_code for r in responses] == [403] * len(responses)
    for response in responses:
        assert_clean_body(response.text, small_build)
    assert recorder.requests == []


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p ",
    "SELECT * WHERE " + "{" * 1000 + "}" * 1000,
    "SELECT (<rel> AS ?x) WHERE {}",
    "PREFIX : <x> SELECT * WHERE { ?s nope:p ?o }",
    "\x00\x01 SELECT",
    "SELECT * WHERE { ?s ?p ?o } " + "LIMIT 1 " * 50,
], ids=["unclosed", "deep", "relative-iri", "undeclared-prefix", "control-chars", "repeated-limit"])
def test_bad_queries_are_400_with_a_clean_body(client: TestClient, small_build: Path, query: str) -> None:
    for response in _three_ways(client, query):
        assert response.status_code == 400, (response.status_code, response.text)
        assert_clean_body(response.text, small_build)


def test_other_error_routes_have_clean_bodies(client: TestClient, small_build: Path) -> None:
    responses = {
        404: [client.get("/reports/..%2fbuild.json"), client.get("/reports/%2e%2e%2fbuild.json"),
              client.get("/queries/..%2f..%2fetc%2fpasswd"), client.get("/nowhere")],
        400: [client.get("/queries/gaps-from-page", params={"page": "not an iri"}),
              client.post("/sparql", content=b"\xff\xfe", headers={"content-type": "application/sparql-query"})],
        413: [client.post("/sparql", data={"query": "#" * (2 << 20)})],
        415: [client.post("/sparql", content=b"SELECT", headers={"content-type": "text/x-evil"})],
    }
    for status, found in responses.items():
        for response in found:
            assert response.status_code == status, (status, response.status_code, response.text)
            assert_clean_body(response.text, small_build)


# ----------------------------------------------------------------------------- a live uvicorn server


@pytest.fixture(scope="module")
def live(small_build: Path) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread."""
    config = uvicorn.Config(create_app(small_build, GUARD, workers=1), host="127.0.0.1", port=0,
                            log_level="critical", server_header=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)


@pytest.mark.server
def test_live_server_refuses_everything_remote_or_writing(live: str, small_build: Path, recorder: Recorder) -> None:
    before = triple_count(small_build / "store")
    with httpx.Client(base_url=live, timeout=30, trust_env=False) as http:
        for name, template in sorted(REFUSED.items()):
            for response in _three_ways(http, fill(template, recorder)):
                assert response.status_code == 403, (name, response.status_code, response.text)
                assert_clean_body(response.text, small_build)
        ok = http.get("/sparql", params={"query": fill(HARMLESS["describe"], recorder)})
        assert ok.status_code == 200
    assert triple_count(small_build / "store") == before
    assert recorder.requests == []


# ----------------------------------------------------------------------------- timeouts kill the worker


def _gone(process: multiprocessing.process.BaseProcess) -> bool:
    """The worker has exited and been reaped; on POSIX its pid no longer exists either."""
    if process.exitcode is None:
        return False
    if os.name == "posix" and process.pid is not None:
        try:
            os.kill(process.pid, 0)
        except ProcessLookupError:
            return True
        return False
    return True


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[multiprocessing.process.BaseProcess]:
    """Every worker process started during the test (its handle, for the liveness check)."""
    found: list[multiprocessing.process.BaseProcess] = []
    real = workers._spawn

    def spy(store: Path) -> Any:
        worker = real(store)
        found.append(worker.process)
        return worker

    monkeypatch.setattr(workers, "_spawn", spy)
    return found


def test_one_off_query_timeout_leaves_no_worker(small_build: Path,
                                                spawned: list[multiprocessing.process.BaseProcess]) -> None:
    with pytest.raises(QueryTimeout) as caught:
        run_query(small_build / "store", CARTESIAN, timeout=0.5, max_rows=10)
    assert caught.value.exit_code == 3 and caught.value.http_status == 503
    assert len(spawned) == 1 and _gone(spawned[0])


def test_pool_timeout_kills_only_the_late_worker(small_build: Path,
                                                 spawned: list[multiprocessing.process.BaseProcess]) -> None:
    store = small_build / "store"
    with WorkerPool(store, size=1) as pool:
        run_query(store, "ASK { ?s ?p ?o }", timeout=20.0, max_rows=1, pool=pool)
        (late,) = spawned
        with pytest.raises(QueryTimeout):
            run_query(store, CARTESIAN, timeout=0.5, max_rows=1, pool=pool)
        assert _gone(late)
        assert run_query(store, "ASK { ?s ?p ?o }", timeout=20.0, max_rows=1, pool=pool).boolean is True
        assert len(spawned) == 2 and not _gone(spawned[1])
    assert _gone(spawned[1])  # closing the pool stops the replacement too


def test_endpoint_timeout_is_503_and_the_worker_is_dead(small_build: Path,
                                                        spawned: list[multiprocessing.process.BaseProcess]) -> None:
    quick = Settings(query_timeout=0.5, max_rows=100)
    with TestClient(create_app(small_build, quick, workers=1)) as test_client:
        assert test_client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        late = list(spawned)
        response = test_client.get("/sparql", params={"query": CARTESIAN})
        assert response.status_code == 503
        assert_clean_body(response.text, small_build)
        assert late and all(_gone(p) for p in late)
        assert test_client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


# ----------------------------------------------------------------------------- the guard against oxigraph

# Fragments that lex differently in careless parsers: comments ended by odd characters, long strings,
# escapes that spell quotes or line ends, IRIs holding '#'.
_TRICKS = [
    "", " ", "\n", "\r", "\t", "# c\n", "# c\r", "# c\u2028", "# c\x0b", "# c\\u000A", "# c\\U0000000D",
    "BIND('a' AS ?t1)", "BIND(\"\\u0022\" AS ?t2)", "BIND('\\u0027' AS ?t3)", "BIND('''x''' AS ?t4)",
    "BIND(\"\"\"x\"\"\"\" AS ?t5)", "BIND(<http://x.example/#> AS ?t6)", "BIND('#' AS ?t7)",
    "?s ?p ?o .", "OPTIONAL {", "{", "}", "\\u0023", "<urn:x:\\u003E>",
]


@pytest.fixture(scope="module")
def memory_store() -> ox.Store:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:x:s"), ox.NamedNode("urn:x:p"), ox.NamedNode("urn:x:o")))
    return store


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(st.sampled_from(_TRICKS), max_size=4), after=st.lists(st.sampled_from(_TRICKS), max_size=4),
       silent=st.booleans())
def test_whatever_the_guard_allows_oxigraph_never_sends(memory_store: ox.Store, recorder: Recorder,
                                                        before: list[str], after: list[str], silent: bool) -> None:
    service = f"SERVICE {'SILENT ' if silent else ''}<{recorder.url()}> {{ ?s ?p ?o }}"
    query = f"SELECT * WHERE {{ {' '.join(before)} {service} {' '.join(after)}\n}}"
    try:
        check_query(query)
    except (QueryRefused, QuerySyntaxError):
        return
    sent = len(recorder.requests)
    with contextlib.suppress(SyntaxError, OSError, RuntimeError, ValueError):
        _drain(memory_store.query(query, prefixes=PREFIXES))
    assert len(recorder.requests) == sent, f"the guard allowed a query oxigraph sent out: {query!r}"


def _drain(result: ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples) -> None:
    """Evaluate every solution (pyoxigraph is lazy: SERVICE runs when iterated)."""
    if not isinstance(result, ox.QueryBoolean):
        for _ in result:
            pass


def test_the_recorder_would_see_a_real_fetch(memory_store: ox.Store, recorder: Recorder) -> None:
    """Control for the tests above: unguarded, pyoxigraph does contact the recorder."""
    with pytest.raises(OSError):
        _drain(memory_store.query(f"SELECT * WHERE {{ SERVICE <{recorder.url()}> {{ ?s ?p ?o }} }}"))
    assert recorder.requests == ["POST /sparql"]


def test_guard_errors_are_linkgraph_errors() -> None:
    for text in ["", "   ", "SELECT", "\x00", "INSERT", "{" * 5000, "SERVICE", "FROM <x>"]:
        with pytest.raises(LinkgraphError):
            check_query(text)


# ----------------------------------------------------------------------------- the guard's own cost


def test_queries_too_long_to_guard_are_refused_before_parsing(small_build: Path) -> None:
    # rdflib's parse (the guard) cannot be interrupted and costs ~0.2 ms a character on FILTER chains,
    # so texts over MAX_QUERY_CHARS are refused before any parsing: the check stays bounded.
    from graph.errors import QueryTooLarge
    from graph.query import MAX_QUERY_CHARS

    query = "SELECT * WHERE { ?s ?p ?o " + "FILTER(?o = 1) " * 8000 + "}"  # valid, 120 KB
    assert len(query) > MAX_QUERY_CHARS
    with pytest.raises(QueryTooLarge) as refused:
        run_query(small_build / "store", query, timeout=0.5, max_rows=10)
    assert refused.value.http_status == 413
