"""The explorer page: data it carries, styles of each edge kind, and no way out of its sandbox."""

from __future__ import annotations

import base64
import gc
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from graph.collector import without_gc
from graph.errors import LinkgraphError
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
from graph.render import explorer, graphdata, layout
from graph.render.explorer import ExplorerView, explorer_data, render_explorer, write_explorer

SITE = "https://clinic.example"
HOSTILE = '<img src=x onerror="alert(1)">'
CONDITION = "https://w3id.org/linkgraph/concept/back-pain"
THERAPY = "https://w3id.org/linkgraph/concept/physiotherapy"
DATA_RE = re.compile(r'<script type="application/json" id="data">(.*?)</script>', re.S)


def url(slug: str) -> str:
    return f"{SITE}/guides/{slug}/"


def link(slug: str | None, kind: LinkKind = LinkKind.BODY, status: LinkStatus = LinkStatus.OK) -> Link:
    return Link(href=f"/guides/{slug}/", anchor="see", kind=kind, target=url(slug) if slug else None, status=status)


def page(slug: str, title: str, *links: Link, site: str = SITE) -> Article:
    return Article(path=f"{slug}.md", slug=slug, title=title, format="md", url=f"{site}/guides/{slug}/", links=links)


def tiny_view() -> ExplorerView:
    """Four pages: back pain links to stretching (body, twice) and exercise (related)."""
    articles = [
        page(
            "back-pain",
            "Lower back pain",
            link("stretching"),
            link("stretching"),
            link("exercise", LinkKind.RELATED),
            link(None, status=LinkStatus.BROKEN),
            link("back-pain"),
            link("missing"),
        ),
        page("stretching", "Gentle stretching", link("back-pain", LinkKind.NAV)),
        page("exercise", HOSTILE),
        page("posture", "Posture at the desk"),
    ]
    metrics = {
        url("back-pain"): PageMetrics(url("back-pain"), inlinks=0, outlinks=2, link_score=80.0),
        url("posture"): PageMetrics(url("posture"), orphan=True, dead_end=True, depth=None),
    }
    concepts = {
        CONDITION: Concept(CONDITION, "Back pain", ConceptType.CONDITION),
        THERAPY: Concept(THERAPY, "Physiotherapy", ConceptType.THERAPY),
    }
    extracted = [
        ArticleConcepts(url("back-pain"), (CONDITION,), (Mention(THERAPY, 2, "physio", "", ""),)),
        ArticleConcepts(url("stretching"), (), (Mention(CONDITION, 1, "back pain", "", ""),)),
    ]
    gaps = [
        Gap(
            url("posture"),
            url("back-pain"),
            HOSTILE,
            "Sitting badly strains the back.",
            "Lead",
            0.72,
            "both are about back pain",
            CONDITION,
        )
    ]
    return ExplorerView(SITE + "/", articles, metrics, concepts, extracted, gaps)


def data_of(html: str) -> dict[str, Any]:
    match = DATA_RE.search(html)
    assert match, "no data script in the page"
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed


def outside_data(html: str) -> str:
    return DATA_RE.sub("", html)


def own_markup(html: str) -> str:
    """The page without the data block and without the inlined vis-network library."""
    return re.sub(r'<script id="vis-lib">.*?</script>', "", outside_data(html), flags=re.S)


def edges_of(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """Edges of one kind with their kind's style merged in, as the page's script does."""
    return [{**data["edgeStyles"][kind], **e} for e in data["edges"] if e["kind"] == kind]


@pytest.fixture(scope="module")
def html() -> str:
    return render_explorer(tiny_view())


def test_nodes_are_every_page_and_the_concepts_in_use(html: str) -> None:
    data = data_of(html)
    by_type = {t: {n["id"] for n in data["nodes"] if n["nodeType"] == t} for t in ("page", "concept")}
    assert by_type["page"] == {url(s) for s in ("back-pain", "stretching", "exercise", "posture")}
    assert by_type["concept"] == {CONDITION, THERAPY}
    assert all("title" not in n for n in data["nodes"]), "vis renders node titles as HTML"


def test_page_nodes_are_sized_and_marked(html: str) -> None:
    nodes = {n["id"]: n for n in data_of(html)["nodes"]}
    hub, orphan, plain = nodes[url("back-pain")], nodes[url("posture")], nodes[url("stretching")]
    assert hub["size"] > plain["size"]
    assert hub["flags"]["broken"] and hub["color"]["border"] == graphdata.BROKEN_BORDER
    assert orphan["flags"] == {"orphan": True, "deadEnd": True, "broken": False}
    assert orphan["color"]["background"] == graphdata.ORPHAN_FILL
    assert orphan["shapeProperties"]["borderDashes"]
    assert "shapeProperties" not in plain
    assert nodes[THERAPY]["shape"] != nodes[CONDITION]["shape"]


def test_link_edges_join_pages_only_once_per_kind(html: str) -> None:
    data = data_of(html)
    body = [(e["from"], e["to"], e["count"]) for e in edges_of(data, "body")]
    assert body == [(url("back-pain"), url("stretching"), 2)]  # no self, broken or unknown target
    (related,) = edges_of(data, "related")
    assert related["to"] == url("exercise") and related["dashes"] and not related["hidden"]
    (nav,) = edges_of(data, "nav")
    assert nav["hidden"] is True, "navigation links are off until the user asks for them"


def test_gap_edge_is_dashed_and_orange(html: str) -> None:
    (gap,) = edges_of(data_of(html), "gap")
    assert (gap["from"], gap["to"]) == (url("posture"), url("back-pain"))
    assert gap["dashes"] and gap["dashes"] != edges_of(data_of(html), "related")[0]["dashes"]
    assert gap["color"]["color"] == "#f28e2b"
    assert gap["score"] == 0.72


def test_concept_edges_about_thin_and_mentions_hidden(html: str) -> None:
    data = data_of(html)
    (about,) = edges_of(data, "about")
    assert (about["from"], about["to"]) == (url("back-pain"), CONDITION)
    assert about["width"] < edges_of(data, "body")[0]["width"] and not about["hidden"]
    mentions = {(e["from"], e["to"]) for e in edges_of(data, "mentions")}
    assert mentions == {(url("back-pain"), THERAPY), (url("stretching"), CONDITION)}
    assert all(e["hidden"] for e in edges_of(data, "mentions"))


def test_edges_carry_only_their_kind_and_counts(html: str) -> None:
    data = data_of(html)
    assert {k for e in data["edges"] for k in e} <= {"id", "from", "to", "kind", "count", "score"}
    assert set(data["edgeStyles"]) >= {"body", "related", "nav", "gap", "about", "mentions"}
    assert all(set(n["color"]) == {"background", "border"} for n in data["nodes"])


def test_edges_never_use_dynamic_smoothing(html: str) -> None:
    assert '"dynamic"' not in own_markup(html)
    assert "smooth: false" in own_markup(html)
    assert all("smooth" not in e for e in data_of(html)["edges"])


def test_side_panel_details(html: str) -> None:
    details = data_of(html)["details"]
    hub = details[url("back-pain")]
    assert hub["href"] == url("back-pain")
    assert hub["outlinks"] == [url("exercise"), url("stretching")]  # by title; "<" sorts first
    assert hub["metrics"]["brokenLinks"] == 1 and hub["metrics"]["linkScore"] == 80.0
    assert [g["source"] for g in hub["gapsIn"]] == [url("posture")]
    assert details[url("posture")]["gapsOut"][0]["anchor"] == HOSTILE
    assert details[url("stretching")]["inlinks"] == [url("back-pain")]
    assert details[CONDITION]["about"] == [url("back-pain")]
    assert details[CONDITION]["mentions"] == [[url("stretching"), 1]]


def test_header_counts_and_relative_report_links(html: str) -> None:
    assert data_of(html)["counts"] == {"pages": 4, "concepts": 2, "links": 3, "gaps": 1}
    report, *hrefs = re.findall(r'href="([^"]*)"', own_markup(html))
    assert report == "report.html"
    assert hrefs and all(h.startswith("reports/") and h.endswith(".csv") for h in hrefs)


def test_csp_allows_only_the_inline_scripts_by_hash(html: str) -> None:
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)  # type: ignore[union-attr]
    scripts = re.findall(r"<script(?: id=\"[a-z-]+\")?>(.*?)</script>", html, re.S)
    assert len(scripts) == 2  # vis-network and the app; the data block is JSON and never runs
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "'self'" not in policy, "a page without data files needs no scripts from its folder"


def test_no_resource_from_any_host(html: str) -> None:
    rest = outside_data(html)
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", rest, re.I)
    for tag in re.findall(r"<(?:script|link|img|iframe)\b[^>]*>", rest, re.I):
        assert "src=" not in tag and "href=" not in tag, tag
    assert "default-src 'none'" in rest and 'http-equiv="Content-Security-Policy"' in rest


def test_vis_network_is_inlined_from_pyvis_not_vendored(html: str) -> None:
    css, js = explorer.vis_assets()
    assert js in html and css in html
    package = Path(explorer.__file__).parent.parent
    assert not list(package.rglob("vis-network*")), "vis-network must not be copied into the repo"


def test_hostile_strings_stay_escaped_json(html: str) -> None:
    assert "<img" not in html
    assert "\\u003cimg src=x onerror=" in DATA_RE.search(html).group(1)  # type: ignore[union-attr]
    assert data_of(html)["details"][url("exercise")]["title"] == HOSTILE


def test_closing_script_tag_in_a_title_cannot_end_the_data_block() -> None:
    view = tiny_view()
    sneaky = page("sneaky", "</script><script>window.x=1</script>")
    html = render_explorer(ExplorerView(view.site_url, [*view.articles, sneaky], {}, {}, [], []))
    assert html.count("</script>") == 3  # data, vis-lib, app
    assert data_of(html)["details"][url("sneaky")]["title"] == sneaky.title


def test_off_site_page_url_gets_no_link() -> None:
    away = page("elsewhere", "Elsewhere", site="https://other.example")
    data = explorer_data(ExplorerView(SITE, [away], {}, {}, [], []))
    assert data["details"]["https://other.example/guides/elsewhere/"]["href"] is None


def test_report_names_that_are_not_plain_files_are_dropped() -> None:
    view = ExplorerView(SITE, [], {}, {}, [], [], reports=("pages.csv", "javascript:alert(1)", "../x.csv"))
    hrefs = re.findall(r'href="([^"]*)"', own_markup(render_explorer(view)))
    assert hrefs == ["report.html", "reports/pages.csv"]


def test_large_graphs_get_positions_and_no_physics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "PHYSICS_LIMIT", 3)
    first, second = explorer_data(tiny_view()), explorer_data(tiny_view())
    assert first["physics"] is False
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in first["nodes"])
    assert first["nodes"] == second["nodes"], "seeded layout must be reproducible"
    nodes = {n["id"]: (n["x"], n["y"]) for n in first["nodes"]}
    assert len(set(nodes.values())) == len(nodes), "no two nodes on one spot"


def test_force_layout_keeps_linked_nodes_closer_than_unlinked() -> None:
    """Two groups of 15 nodes, each fully linked inside, joined by one edge, and 10 lone nodes."""
    group = [(i, j) for i in range(15) for j in range(i + 1, 15)]
    pairs = group + [(15 + i, 15 + j) for i, j in group] + [(0, 15)]
    pos = layout.force_layout(40, pairs)
    assert pos.shape == (40, 2) and abs(pos).max() <= 1.0 + 1e-9

    def mean_distance(a: range, b: range) -> float:
        return float(sum(((pos[i] - pos[j]) ** 2).sum() ** 0.5 for i in a for j in b if i != j)) / (len(a) * len(b))

    first, second = range(15), range(15, 30)
    assert 2 * mean_distance(first, first) < mean_distance(first, second)
    assert 2 * mean_distance(second, second) < mean_distance(first, second)


def test_layout_cache_reuses_positions_of_an_unchanged_graph(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "PHYSICS_LIMIT", 3)
    first = layout.LayoutCache()
    write_explorer(tmp_path / "a" / "explorer.html", tiny_view(), first)
    first.save(tmp_path / "a")
    assert first.hits == 0 and len(first.new) == 1

    def no_layout(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached layout must not be computed again")

    monkeypatch.setattr(layout, "force_layout", no_layout)
    again = layout.LayoutCache(tmp_path / "a")
    write_explorer(tmp_path / "b" / "explorer.html", tiny_view(), again)
    assert again.hits == 1
    assert (tmp_path / "b" / "explorer.html").read_bytes() == (tmp_path / "a" / "explorer.html").read_bytes()


def test_layout_cache_recomputes_a_changed_graph_or_a_damaged_entry(tmp_path: Path) -> None:
    pairs = [(0, 1), (1, 2)]
    first = layout.LayoutCache()
    expected = first.layout(3, pairs, [1.0, 1.0])
    first.save(tmp_path)
    assert layout.LayoutCache(tmp_path).layout(3, pairs, [1.0, 1.0]).tolist() == expected.tolist()
    changed = layout.LayoutCache(tmp_path)
    changed.layout(3, [(0, 1), (0, 2)], [1.0, 1.0])
    assert changed.hits == 0
    key = layout.layout_key(3, pairs, [1.0, 1.0])
    (tmp_path / "cache" / layout.LAYOUT_FILE).write_text(json.dumps({key: [[0.5, "x"]] * 3}), encoding="utf-8")
    damaged = layout.LayoutCache(tmp_path)
    assert damaged.layout(3, pairs, [1.0, 1.0]).tolist() == expected.tolist() and damaged.hits == 0


def test_writers_pause_the_cycle_collector_and_restore_its_state() -> None:
    seen: list[bool] = []
    paused = without_gc(lambda: seen.append(gc.isenabled()))
    assert gc.isenabled()
    paused()
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        paused()
        assert not gc.isenabled(), "a collector the caller turned off stays off"
    finally:
        gc.enable()


def test_physics_is_on_for_small_graphs(html: str) -> None:
    data = data_of(html)
    assert data["physics"] is True and all("x" not in n for n in data["nodes"])


def test_inline_refuses_text_that_would_close_its_element() -> None:
    with pytest.raises(LinkgraphError):
        explorer.inline_asset("var a = '</SCRIPT>';", "</script")


def test_write_explorer_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "out" / "explorer.html"
    write_explorer(target, tiny_view())
    assert data_of(target.read_text(encoding="utf-8"))["site"] == "clinic.example"
