"""Pushing builds to a real Oxigraph server (the `oxigraph` command from the PyPI package of that name)
over the Graph Store Protocol, plus credentials, redirects and errors against a tiny recording server."""

from __future__ import annotations

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pyoxigraph as ox
import pytest

from graph.errors import LinkgraphError, QueryTimeout, UsageError
from graph.pipeline import BuildResult, build
from graph.push import graph_url, push
from graph.remote import RemoteError, query_endpoint
from graph.settings import Settings
from tests.conftest import SAMPLE

pytestmark = pytest.mark.server

SITE_GRAPHS = "https://w3id.org/linkgraph/site/"
REMOVED = "insomnia"
PAGES = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { GRAPH ?g { ?p a <http://schema.org/MedicalWebPage> } }"


def oxigraph_or_skip() -> str:
    """The server binary beside this Python (a venv's bin/) or on PATH; required in CI."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the oxigraph server is required in CI (pip install -e '.[test]')")
        pytest.skip("oxigraph server not installed (pip install oxigraph)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Oxigraph:
    """A running server: its Graph Store and query URLs."""

    def __init__(self, port: int) -> None:
        base = f"http://127.0.0.1:{port}"
        self.store, self.query_url = f"{base}/store", f"{base}/query"

    def select(self, text: str) -> list[dict[str, str]]:
        return list(csv.DictReader(io.StringIO(query_endpoint(self.query_url, text, "csv", 10))))

    def graphs(self) -> set[str]:
        return {r["g"] for r in self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g {} }")}

    def put(self, graph: str, ntriples: str) -> None:
        request = urllib.request.Request(graph_url(self.store, graph), data=ntriples.encode(), method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        urllib.request.urlopen(request, timeout=10).close()


def _wait_until_up(server: Oxigraph, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"oxigraph exited with {proc.returncode}")
        try:
            server.select("ASK {}")
            return
        except LinkgraphError:
            time.sleep(0.1)
    pytest.fail("oxigraph did not start within 20 s")


@pytest.fixture
def oxigraph(tmp_path: Path) -> Iterator[Oxigraph]:
    """A fresh on-disk Oxigraph server on a free loopback port, stopped after the test."""
    binary, port = oxigraph_or_skip(), free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path / "oxigraph"),
                             "--bind", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Oxigraph(port)
    try:
        _wait_until_up(server, proc)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def smaller_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample corpus without one article."""
    root = tmp_path_factory.mktemp("push")
    src = root / "src"
    shutil.copytree(SAMPLE, src)
    (src / f"{REMOVED}.html").unlink()
    build(src, root / "out", Settings.load(src / "linkgraph.toml"))
    return root / "out"


def local_graphs(out: Path) -> set[str]:
    return {g.value for g in ox.Store.read_only(str(out / "store")).named_graphs() if isinstance(g, ox.NamedNode)}


def test_round_trip_then_the_removed_article_graph_is_deleted(oxigraph: Oxigraph, sample_build: BuildResult,
                                                               smaller_build: Path) -> None:
    first = push(sample_build.out, oxigraph.store, query_url=oxigraph.query_url)
    assert first.deleted == ()
    assert oxigraph.graphs() == local_graphs(sample_build.out) == set(first.written)
    assert int(oxigraph.select(PAGES)[0]["n"]) == sample_build.articles
    total = oxigraph.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(total[0]["n"]) == first.triples == len(ox.Store.read_only(str(sample_build.out / "store")))

    removed = f"https://healthguide.example/articles/{REMOVED}/"
    second = push(smaller_build, oxigraph.store, query_url=oxigraph.query_url)
    assert second.deleted == (removed,)
    assert removed not in oxigraph.graphs()
    assert oxigraph.graphs() == local_graphs(smaller_build)
    assert int(oxigraph.select(PAGES)[0]["n"]) == sample_build.articles - 1
    assert "Deleted 1 stale graph of the site." in second.summary()


def test_put_replaces_and_other_sites_are_left_alone(oxigraph: Oxigraph, sample_build: BuildResult) -> None:
    page = "https://healthguide.example/articles/gerd/"
    stale = {"https://healthguide.example/articles/gone/", f"{SITE_GRAPHS}healthguide.example/old"}
    others = {"https://other.example/articles/gone/", f"{SITE_GRAPHS}other.example/analysis",
              f"{SITE_GRAPHS}healthguide.example.org/analysis", "https://healthguide.example.org/articles/x/"}
    for graph in {page} | stale | others:
        oxigraph.put(graph, "<https://x.example/s> <https://x.example/p> \"leftover\" .\n")
    result = push(sample_build.out, oxigraph.store, query_url=oxigraph.query_url)
    assert set(result.deleted) == stale
    assert oxigraph.graphs() == local_graphs(sample_build.out) | others
    leftover = f'ASK {{ GRAPH <{page}> {{ ?s ?p "leftover" }} }}'
    assert query_endpoint(oxigraph.query_url, leftover, "csv", 10).strip().endswith("false")


def test_without_a_query_url_nothing_is_deleted(oxigraph: Oxigraph, sample_build: BuildResult) -> None:
    gone = "https://healthguide.example/articles/gone/"
    oxigraph.put(gone, "<https://x.example/s> <https://x.example/p> \"1\" .\n")
    result = push(sample_build.out, oxigraph.store)
    assert not result.pruned and result.deleted == ()
    assert gone in oxigraph.graphs()
    assert "not looked for" in result.summary()


def test_errors_are_one_line(oxigraph: Oxigraph, sample_build: BuildResult, tmp_path: Path) -> None:
    with pytest.raises(RemoteError, match="HTTP 404") as wrong_path:
        push(sample_build.out, oxigraph.store.replace("/store", "/nothing-here"))
    with pytest.raises(RemoteError, match="list the remote graphs") as wrong_query:
        push(sample_build.out, oxigraph.store, query_url=oxigraph.store)
    with pytest.raises(UsageError, match="cannot reach") as closed:
        push(sample_build.out, f"http://127.0.0.1:{free_port()}/store")
    with pytest.raises(UsageError, match="not a linkgraph build"):
        push(tmp_path, oxigraph.store)
    with pytest.raises(UsageError, match="not in the URL"):
        push(sample_build.out, oxigraph.store.replace("http://", "http://user:pw@"))
    for exc in (wrong_path, wrong_query, closed):
        assert "\n" not in str(exc.value)


class Recorder(BaseHTTPRequestHandler):
    """Records each request; /moved redirects to /elsewhere, /slow answers late, /query lists no graphs."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def _answer(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization")))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/moved"):
            self.send_response(302)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path.startswith("/slow"):
            time.sleep(1.5)
        body = b'{"head":{"vars":["g"]},"results":{"bindings":[]}}' if self.path == "/query" else b""
        try:
            self.send_response(200 if body else 204)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)

    do_PUT = do_POST = do_GET = do_DELETE = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_basic_and_bearer_credentials_go_with_every_request(recorder: str, sample_build: BuildResult) -> None:
    push(sample_build.out, f"{recorder}/store", query_url=f"{recorder}/query", auth=("editor", "pa:ss"))
    assert {auth for _, _, auth in Recorder.seen} == {"Basic ZWRpdG9yOnBhOnNz"}
    assert ("POST", "/query") in {(m, p) for m, p, _ in Recorder.seen}
    Recorder.seen.clear()
    push(sample_build.out, f"{recorder}/store", auth="t0ken")
    assert {auth for _, _, auth in Recorder.seen} == {"Bearer t0ken"}
    assert {m for m, _, _ in Recorder.seen} == {"PUT"}


def test_redirects_are_not_followed(recorder: str, sample_build: BuildResult) -> None:
    with pytest.raises(RemoteError, match="redirect to /elsewhere"):
        push(sample_build.out, f"{recorder}/moved", auth="t0ken")
    assert [p for _, p, _ in Recorder.seen if p.startswith("/elsewhere")] == []


def test_a_slow_store_times_out(recorder: str, sample_build: BuildResult) -> None:
    with pytest.raises(QueryTimeout, match=r"no answer within 0\.3 s"):
        push(sample_build.out, f"{recorder}/slow", timeout=0.3)
