"""The explorer and report in headless Chromium: offline, searchable, and running no injected code.

One browser serves the whole module; each test gets a fresh page with every non-file request
aborted and recorded, and console errors collected.
"""

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
from graph.render import layout
from graph.render.explorer import ExplorerView, data_folder, write_explorer
from graph.render.report import ReportView, write_report
from tests.test_explorer_overview import big_view
from tests.test_explorer_overview import url as big_url
from tests.test_report_html import report_view

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
    Browser,
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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield launched
        launched.close()


def open_page(browser: Browser, target: Path, ready: bool = True) -> Session:
    """`target` opened from file:// in a fresh page, waiting for the explorer to be ready."""
    session = Session(browser.new_page(viewport={"width": 1400, "height": 900}))
    _watch(session)
    session.page.goto(target.as_uri())
    if ready:
        session.page.wait_for_function("() => window.linkgraphReady === true", timeout=20_000)
    return session


@pytest.fixture
def open_explorer(browser: Browser, tmp_path: Path) -> Iterator[Session]:
    """The explorer opened from file:// with every non-file request aborted and recorded."""
    target = tmp_path / "explorer.html"
    write_explorer(target, view())
    session = open_page(browser, target)
    yield session
    session.page.close()


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


def test_large_graph_opens_with_fixed_positions(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(layout, "PHYSICS_LIMIT", 2)
    target = tmp_path / "big.html"
    write_explorer(target, view())
    session = open_page(browser, target)
    assert session.page.evaluate("window.linkgraph.network.physics.options.enabled") is False
    session.page.close()


# --- the report -------------------------------------------------------------------------------


def test_report_renders_its_charts_offline_without_errors(browser: Browser, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    data = report_view()
    write_report(target, ReportView(data.view, data.content_gaps, data.skipped, data.built))
    session = open_page(browser, target, ready=False)
    page = session.page
    for chart in ("#score-chart", "#depth-chart"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 150, chart
    heights = page.eval_on_selector_all("#depth-chart rect", "rects => rects.map(r => r.getBBox().height)")
    assert len(heights) == 8 and max(heights) > 0
    assert page.locator("#gaps tbody tr").count() == 1
    assert page.locator("img, script").count() == 0
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 20_000
    assert session.errors == [] and session.outside == []
    page.close()


# --- big sites: the cluster overview ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_explorer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("big") / "explorer.html"
    write_explorer(target, big_view())
    return target


def cluster_point(page: Page, number: int) -> tuple[float, float]:
    return node_point(page, f"cluster:{number}")


def test_overview_opens_a_cluster_from_its_sibling_file_on_click(
    browser: Browser, big_explorer: Path, tmp_path: Path
) -> None:
    session = open_page(browser, big_explorer)
    page = session.page
    assert js(page, "window.linkgraph.mode()") == "overview"
    assert len(page.evaluate("window.linkgraph.visibleNodeIds()")) == 51
    page.screenshot(path=str(tmp_path / "overview.png"))
    page.mouse.click(*cluster_point(page, 3))
    page.wait_for_function("() => window.linkgraph.group() === 3", timeout=10_000)
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.getAttribute('src'))")
    assert "explorer-data/cluster-3.js" in scripts
    pages: list[str] = page.evaluate("window.linkgraph.nodeIds('page')")
    assert len(pages) == 49 and big_url(3) in pages and big_url(4) not in pages
    assert page.locator("#panel h2").text_content() == "Topic 3"
    assert page.locator("#to-overview").is_visible()
    page.screenshot(path=str(tmp_path / "cluster.png"))
    page.click("#to-overview")
    page.wait_for_function("() => window.linkgraph.group() === null")
    assert session.errors == [] and session.outside == []
    page.close()


def test_overview_search_and_cross_cluster_links_load_the_right_cluster(browser: Browser, big_explorer: Path) -> None:
    session = open_page(browser, big_explorer)
    page = session.page
    assert page.evaluate("q => window.linkgraph.search(q)", "article 1234 on topic 34") == big_url(1234)
    assert js(page, "window.linkgraph.group()") == 34 and js(page, "window.linkgraph.selected()") == big_url(1234)
    assert page.evaluate("q => window.linkgraph.search(q)", "Topic 7") == "cluster:7"
    assert js(page, "window.linkgraph.group()") == 7
    page.evaluate("id => window.linkgraph.select(id)", big_url(7))  # the hostile title, as text
    assert page.locator("#panel h2").text_content() == big_view().articles[7].title
    assert js(page, f"window.linkgraph.select('{big_url(1)}')") == big_url(1)
    assert js(page, "window.linkgraph.group()") == 1
    page.locator("#panel .nodelink.elsewhere", has_text="Article 0 on topic 0").first.click()
    page.wait_for_function(f"() => window.linkgraph.selected() === '{big_url(0)}'", timeout=10_000)
    assert js(page, "window.linkgraph.group()") == 0
    assert js(page, "typeof window.__pwned") == "undefined"
    assert session.errors == [] and session.outside == []
    page.close()


def test_missing_cluster_file_says_so(browser: Browser, tmp_path: Path) -> None:
    target = tmp_path / "explorer.html"
    write_explorer(target, big_view())
    (data_folder(target) / "cluster-2.js").unlink()
    session = open_page(browser, target)
    assert js(session.page, "window.linkgraph.openCluster(2)") is None
    assert "Could not load explorer-data/cluster-2.js" in (session.page.locator("#search-status").text_content() or "")
    assert js(session.page, "window.linkgraph.group()") is None
    session.page.close()
