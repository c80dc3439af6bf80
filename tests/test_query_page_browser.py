"""The /query page in headless Chromium: named queries run, answers render as text, CSP holds."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import uvicorn

from graph.serve import create_app
from graph.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing on CI", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402

HOSTILE = '<img src=x onerror="window.__pwned=1">Cramp'
A = "https://example.org/articles/alpha/"
B = "https://example.org/articles/beta/"
ANALYSIS = "https://w3id.org/linkgraph/site/example.org/analysis"
FIXTURE = f"""
@prefix schema: <http://schema.org/> .
@prefix lg: <https://w3id.org/linkgraph/ns#> .
<{A}> {{ <{A}> a schema:MedicalWebPage ; schema:name {json.dumps(HOSTILE)} . }}
<{B}> {{ <{B}> a schema:MedicalWebPage ; schema:name "Beta" ; schema:significantLink <{A}> . }}
<{ANALYSIS}> {{ <{A}> lg:isOrphan false . <{B}> lg:isOrphan true ; lg:outlinks 1 . }}
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("page") / "out"
    out.mkdir()
    writer = ox.Store(str(out / "store"))
    writer.load(FIXTURE, format=ox.RdfFormat.TRIG)
    writer.flush()
    del writer
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    app = create_app(out, Settings(query_timeout=20.0, max_rows=100), workers=2)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(15)


def test_query_page_runs_queries_and_shows_values_as_text(base: str) -> None:
    problems: list[str] = []
    failed: list[tuple[int, str]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("response", lambda r: failed.append((r.status, r.url.removeprefix(base))) if r.status >= 400 else None)
        page.goto(base + "/query")
        page.locator("#named option").nth(16).wait_for(state="attached")  # 16 named queries and "write your own"

        page.select_option("#named", "orphan-pages")
        assert "no other article links" in page.text_content("#description").lower()  # type: ignore[union-attr]
        page.click("#run")
        page.wait_for_selector("#results table")
        assert page.locator("#results th").all_text_contents() == ["page", "title", "outlinks"]
        assert page.locator("#results td").all_text_contents() == [B, "Beta", "1"]
        assert "1 row(s)" in page.text_content("#status")  # type: ignore[operator]

        page.select_option("#named", "")
        page.fill("#query", "SELECT ?name WHERE { ?p schema:name ?name } ORDER BY ?name")
        page.keyboard.press("Control+Enter")
        expect(page.locator("#results td")).to_have_count(2)
        assert page.locator("#results td").all_text_contents() == [HOSTILE, "Beta"]
        assert page.locator("#results img").count() == 0
        assert page.evaluate("window.__pwned") is None

        page.fill("#query", "SELECT * WHERE { SERVICE <http://evil.example/> { ?s ?p ?o } }")
        page.click("#run")
        page.wait_for_selector("#status.error")
        assert "Error 403" in page.text_content("#status")  # type: ignore[operator]
        browser.close()
    assert [f for f in failed if f[1] != "/favicon.ico"] == [(403, "/sparql")]
    assert all(text.startswith("Failed to load resource") for text in problems), problems  # no CSP reports
