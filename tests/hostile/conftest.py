"""Fixtures for hostile tests: a request-recording HTTP server and small real builds."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.pipeline import build
from graph.settings import Settings

SITE = "https://site.example/"

#: Three short articles of our own, enough for a store with pages, links, concepts and analysis.
ARTICLES = {
    "back-pain.md": "---\ntitle: Back pain\ndate: 2024-03-01\n---\n"
                    "Back pain often follows lifting. Read about [sciatica](/articles/sciatica/) too.\n\n"
                    "## Treatment\n\nGentle walking and ibuprofen ease back pain for most people.\n",
    "sciatica.md": "---\ntitle: Sciatica\n---\n"
                   "Sciatica sends pain down one leg. It often starts with [back pain](/articles/back-pain/).\n",
    "heartburn.md": "---\ntitle: Heartburn\n---\nHeartburn is a burning feeling after meals. Antacids help.\n",
}


@dataclass
class Recorder:
    """A plain HTTP server on 127.0.0.1 that answers 500 and remembers every request line."""

    server: http.server.ThreadingHTTPServer
    requests: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def url(self, path: str = "/sparql") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _handler(log: list[str]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self) -> None:
            log.append(f"{self.command} {self.path}")
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _record

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the list above is the log."""

    return Handler


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    """A live recording server on a free port, in a thread; stopped after the test."""
    log: list[str] = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(log))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Recorder(server, log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def write_files(folder: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write {relative path: text or bytes} under `folder` and return it."""
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="")
    return folder


def settings(**values: object) -> Settings:
    """Test settings: our site, serial parsing (no process pool to start)."""
    return Settings(site_url=SITE, workers=1).with_overrides(**values)


@pytest.fixture(scope="session")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """OUT of a real build of ARTICLES; tests must not modify it."""
    root = tmp_path_factory.mktemp("hostile-build")
    source = write_files(root / "src", dict(ARTICLES))
    out = root / "out"
    build(source, out, settings(query_timeout=20.0, max_rows=1000))
    return out


def triple_count(store: Path) -> int:
    """Quads in a store, read without writing."""
    return len(ox.Store.read_only(str(store)))


def tree_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder`, by relative path (nothing excluded)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
