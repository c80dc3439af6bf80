"""The explorer in headless Chromium: loads offline, searches, filters, and runs no injected code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    Mention,
    PageMetrics,
)
from graph.render import explorer
from graph.render.explorer import ExplorerView, write_explorer

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
SITE = "https://clinic.example"
HOSTILE = '<img src=x onerror="window.__pwned=1">'
HREF_TITLE = 'Why href="javascript:window.__pwned=2" is just text'
MIGRAINE = "https://w3id.org/linkgraph/concept/migraine"
TRIPTAN = "https://w3id.org/linkgraph/concept/triptans"
GLARE = "https://w3id.org/linkgraph/concept/light-sensitivity"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing on CI", pytrace=False)
    pytest.skip(f"{CHROMIUM} is not installed", allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    ConsoleMessage,
    Error,
    Page,
    Request,
    Route,
    sync_playwright,
)


def url(slug: str) -> str:
    return f"{SITE}/topics/{slug}/"


def body(slug: str, kind: LinkKind = LinkKind.BODY) -> Link:
    return Link(href=f"/topics/{slug}/", anchor=slug, kind=kind, target=url(slug), status=LinkStatus.OK)


def article(slug: str, title: str, *links: Link) -> Article:
    return Article(path=f"{slug}.md", slug=slug, title=title, format="md", url=url(slug), links=links)


def view() -> ExplorerView:
    """Migraine hub, two hostile titles, an orphan with a hostile suggested anchor."""
    articles = [
        article("migraine", "Migraine headaches", body("triptans"), body("aura")),
        article("triptans", "Triptan medicines", body("migraine"), body("aura", LinkKind.NAV)),
        article("aura", HOSTILE, body("migraine", LinkKind.RELATED)),
        article("screens", HREF_TITLE),
    ]
    metrics = {a.url: PageMetrics(a.url, inlinks=1, outlinks=1, link_score=40.0) for a in articles}
    metrics[url("screens")] = PageMetrics(url("screens"), orphan=True, dead_end=True)
    concepts = {
        MIGRAINE: Concept(MIGRAINE, "Migraine", ConceptType.CONDITION),
        TRIPTAN: Concept(TRIPTAN, "Triptans", ConceptType.DRUG_CLASS),
        GLARE: Concept(GLARE, "Light sensitivity", ConceptType.SYMPTOM),
    }
    extracted = [
        ArticleConcepts(url("migraine"), (MIGRAINE,), (Mention(TRIPTAN, 3, "triptan", "", ""),)),
        ArticleConcepts(url("triptans"), (TRIPTAN,), ()),
        ArticleConcepts(url("aura"), (), (Mention(GLARE, 1, "glare", "", ""),)),
    ]
    gaps = [
        Gap(
            url("screens"),
            url("migraine"),
            HOSTILE,
            f"Bright screens {HOSTILE} hurt.",
            "Lead",
            0.61,
            HREF_TITLE,
            MIGRAINE,
        )
    ]
    return ExplorerView(SITE + "/", articles, metrics, concepts, extracted, gaps)


@dataclass
class Session:
    page: Page
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def open_explorer(tmp_path: Path) -> Iterator[Session]:
    """The explorer opened from file:// with every non-file request aborted and recorded."""
    target = tmp_path / "explorer.html"
    write_explorer(target, view())
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        session = Session(browser.new_page(viewport={"width": 1400, "height": 900}))
        _watch(session)
        session.page.goto(target.as_uri())
        session.page.wait_for_function("() => window.linkgraphReady === true", timeout=20_000)
        yield session
        browser.close()


def _watch(session: Session) -> None:
    def route(r: Route, request: Request) -> None:
        if request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            session.outside.append(request.url)
            r.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            session.errors.append(message.text)

    def page_error(error: Error) -> None:
        session.errors.append(str(error))

    session.page.route("**/*", route)
    session.page.on("console", console)
    session.page.on("pageerror", page_error)


def js(page: Page, expression: str) -> object:
    return page.evaluate(expression)


def node_point(page: Page, node_id: str) -> tuple[float, float]:
    """Viewport coordinates of a node's centre."""
    point = page.evaluate(
        """id => {
            const net = window.linkgraph.network;
            const dom = net.canvasToDOM(net.getPositions([id])[id]);
            const box = document.getElementById("graph").getBoundingClientRect();
            return [box.left + dom.x, box.top + dom.y];
        }""",
        node_id,
    )
    return float(point[0]), float(point[1])


def test_loads_offline_without_errors(open_explorer: Session, tmp_path: Path) -> None:
    page = open_explorer.page
    assert page.locator("#count-pages").text_content() == "4"
    assert page.locator("#count-gaps").text_content() == "1"
    page.screenshot(path=str(tmp_path / "explorer.png"))
    assert (tmp_path / "explorer.png").stat().st_size > 10_000
    assert open_explorer.outside == []
    assert open_explorer.errors == []


def test_search_selects_and_shows_the_page(open_explorer: Session) -> None:
    page = open_explorer.page
    page.fill("#search", "triptan medicines")
    page.press("#search", "Enter")
    assert js(page, "window.linkgraph.selected()") == url("triptans")
    assert page.locator("#panel h2").text_content() == "Triptan medicines"
    assert page.locator("#panel a.url").get_attribute("href") == url("triptans")
    page.fill("#search", "no such thing")
    page.press("#search", "Enter")
    assert "Nothing matches" in (page.locator("#search-status").text_content() or "")


def test_search_finds_concepts_by_label_and_pages_by_url(open_explorer: Session) -> None:
    page = open_explorer.page
    assert js(page, "window.linkgraph.search('migraine')") == MIGRAINE  # exact label beats prefix
    assert page.locator("#panel h2").text_content() == "Migraine"
    assert js(page, "window.linkgraph.search('migraine head')") == url("migraine")
    assert js(page, f"window.linkgraph.search('{url('aura')}')") == url("aura")
    assert js(page, "window.linkgraph.search('triptans')") == TRIPTAN


def test_concept_filter_hides_concept_nodes(open_explorer: Session) -> None:
    page = open_explorer.page
    hidden = "ids => ids.map(id => window.linkgraph.isHidden(id))"
    concepts = [MIGRAINE, TRIPTAN]
    pages = js(page, "window.linkgraph.nodeIds('page')")
    assert page.evaluate(hidden, concepts) == [False, False]
    page.uncheck('input[data-group="concept"]')
    assert page.evaluate(hidden, concepts) == [True, True]
    assert page.evaluate(hidden, pages) == [False] * 4
    about = js(page, "window.linkgraph.edgeIds('about')")
    assert page.evaluate("ids => ids.every(id => window.linkgraph.edgeHidden(id))", about)
    page.check('input[data-group="concept"]')
    assert page.evaluate(hidden, concepts) == [False, False]


def test_edge_kind_toggles(open_explorer: Session) -> None:
    page = open_explorer.page
    every_hidden = "kind => window.linkgraph.edgeIds(kind).every(window.linkgraph.edgeHidden)"
    assert page.evaluate(every_hidden, "nav") and page.evaluate(every_hidden, "mentions")
    assert not page.evaluate(every_hidden, "body")
    page.check('input[data-edge="nav"]')
    assert not page.evaluate(every_hidden, "nav")
    page.uncheck('input[data-edge="body"]')
    assert page.evaluate(every_hidden, "body")


def test_concepts_only_mentioned_appear_with_mention_edges(open_explorer: Session) -> None:
    page = open_explorer.page
    assert js(page, f"window.linkgraph.isHidden('{GLARE}')") is True
    page.check('input[data-edge="mentions"]')
    assert js(page, f"window.linkgraph.isHidden('{GLARE}')") is False
    page.uncheck('input[data-edge="mentions"]')
    assert js(page, "window.linkgraph.search('light sens')") == GLARE
    assert js(page, f"window.linkgraph.isHidden('{GLARE}')") is False, "a found concept is shown"
    assert page.locator("#panel .nodelink").all_text_contents() == [HOSTILE]


def test_only_gaps_neighbourhood_and_reset(open_explorer: Session) -> None:
    page = open_explorer.page
    visible = "() => window.linkgraph.visibleNodeIds().sort()"
    page.check("#only-gaps")
    assert page.evaluate(visible) == sorted([url("migraine"), url("screens")])
    page.click("#reset")
    js(page, f"window.linkgraph.select('{url('triptans')}')")
    page.click("#neighbourhood")
    assert page.evaluate(visible) == sorted([url("triptans"), url("migraine"), TRIPTAN])
    page.click("#reset")
    assert len(page.evaluate(visible)) == 6  # the concept only mentioned stays hidden
    assert js(page, "window.linkgraph.selected()") is None


def test_hostile_strings_never_run(open_explorer: Session) -> None:
    page = open_explorer.page
    page.check('input[data-edge="mentions"]')  # every node on screen
    node_ids: list[str] = page.evaluate("window.linkgraph.nodeIds()")
    for node_id in node_ids:
        x, y = node_point(page, node_id)
        page.mouse.move(x, y)
        page.wait_for_timeout(350)  # past vis's tooltip delay
        page.mouse.click(x, y)
        assert js(page, "window.linkgraph.selected()") == node_id
        assert page.locator("#panel img, #panel script, .vis-tooltip img").count() == 0
    page.mouse.click(*node_point(page, url("screens")))
    panel = page.locator("#panel").text_content() or ""
    assert HOSTILE in panel and HREF_TITLE in panel
    page.locator("#panel .nodelink", has_text="Migraine headaches").first.click()
    assert HOSTILE in (page.locator("#panel").text_content() or "")
    assert js(page, "typeof window.__pwned") == "undefined"
    assert page.locator("img").count() == 0
    assert open_explorer.errors == [] and open_explorer.outside == []


def test_large_graph_opens_with_fixed_positions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(explorer, "PHYSICS_LIMIT", 2)
    target = tmp_path / "big.html"
    write_explorer(target, view())
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(target.as_uri())
        page.wait_for_function("() => window.linkgraphReady === true", timeout=10_000)
        physics = page.evaluate("window.linkgraph.network.physics.options.enabled")
        browser.close()
    assert physics is False
