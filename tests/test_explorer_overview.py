"""Big sites: the explorer opens on topic clusters and keeps each cluster's graph in a sibling file."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from graph.records import Article, ArticleConcepts, Concept, ConceptType, Gap, Link, LinkKind, LinkStatus, PageMetrics
from graph.render import overview
from graph.render.explorer import data_folder, explorer_data, explorer_payload, write_explorer
from graph.render.graphdata import site_index
from graph.render.view import ExplorerView

SITE = "https://big.example"
TOPICS = 50  # of 50 pages each: small clusters keep the browser tests quick
HOSTILE = "</script><script>window.__pwned=1</script>"


def url(i: int) -> str:
    return f"{SITE}/a/{i}/"


def cluster(t: int) -> str:
    return f"{SITE}/cluster/{t:02d}"  # sorts as numbers do, so group number == topic


def concept(t: int) -> str:
    return f"https://w3id.org/linkgraph/concept/topic-{t}"


def link(j: int, kind: LinkKind = LinkKind.BODY) -> Link:
    return Link(href=f"/a/{j}/", anchor="see", kind=kind, target=url(j), status=LinkStatus.OK)


def big_view(pages: int = 2500, unclustered: int = 50) -> ExplorerView:
    """Page i is in topic i % TOPICS and links to the next two pages of its topic; every 25th page
    also links to the next page (next topic), and the last `unclustered` pages are in no cluster."""
    articles, metrics, extracted = [], {}, []
    for i in range(pages):
        t = i % TOPICS
        links = [link(j) for j in (i + TOPICS, i + 2 * TOPICS) if j < pages]
        if i % 25 == 0 and i + 1 < pages:
            links.append(link(i + 1))
        links.append(link(0, LinkKind.NAV))
        title = HOSTILE if i == 7 else f"Article {i} on topic {t}"
        articles.append(Article(f"{i}.md", str(i), title, "md", url=url(i), links=tuple(links)))
        metrics[url(i)] = PageMetrics(url(i), link_score=float(i % 100), cluster="" if i >= pages - unclustered else cluster(t))
        extracted.append(ArticleConcepts(url(i), (concept(t),), ()))
    concepts = {concept(t): Concept(concept(t), f"Topic {t}", ConceptType.CONDITION) for t in range(TOPICS)}
    gaps = [Gap(url(i), url(i + 3 * TOPICS), "topic", "A sentence.", "", 0.5, "same topic") for i in range(0, 300, 7)]
    names = {cluster(t): f"Topic {t}" for t in range(TOPICS)}
    return ExplorerView(SITE + "/", articles, metrics, concepts, extracted, gaps, clusters=names)


@pytest.fixture(scope="module")
def view() -> ExplorerView:
    return big_view()


@pytest.fixture(scope="module")
def written(view: ExplorerView, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("big") / "explorer.html"
    write_explorer(target, view)
    return target


def registered(script: str, function: str) -> tuple[int, Any]:
    match = re.fullmatch(rf"window\.{function}\((\d+),(.*)\);\n", script, re.S)
    assert match, script[:80]
    return int(match.group(1)), json.loads(match.group(2))


def page_data(path: Path) -> dict[str, Any]:
    html = path.read_text(encoding="utf-8")
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert match
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed


def test_small_sites_get_one_graph_and_no_files(tmp_path: Path) -> None:
    target = tmp_path / "explorer.html"
    write_explorer(target, big_view(pages=300, unclustered=0))
    assert page_data(target)["mode"] == "full"
    assert not data_folder(target).exists()


def test_overview_has_one_node_per_cluster_sized_by_pages(view: ExplorerView) -> None:
    data = explorer_data(view)
    assert data["mode"] == "overview" and data["physics"] is False
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == TOPICS + 1  # the topics and one pool of unclustered pages
    assert [g["pages"] for g in data["groups"]] == [49] * TOPICS + [50]
    assert {g["name"] for g in data["groups"]} == {f"Topic {t}" for t in range(TOPICS)} | {"Other pages"}
    assert all(n["nodeType"] == "cluster" and "x" in n and "title" not in n for n in nodes.values())
    assert nodes["cluster:0"]["size"] < nodes[f"cluster:{TOPICS}"]["size"]
    assert data["counts"]["pages"] == 2500


def test_overview_edges_count_links_between_clusters(view: ExplorerView) -> None:
    data = explorer_data(view)
    groups = overview.page_groups(site_index(view))
    group_of = {u: g.number for g in groups for u in g.pages}
    expected: Counter[tuple[int, int]] = Counter()
    for a in view.articles:
        for lk in a.links:
            ends = group_of[a.url], group_of[lk.target or ""]
            if lk.kind is LinkKind.BODY and ends[0] != ends[1]:
                expected[(min(ends), max(ends))] += 1
    found = {(int(e["from"][8:]), int(e["to"][8:])): e["count"] for e in data["edges"]}
    assert found == expected and expected
    widths = sorted((e["count"], e["width"]) for e in data["edges"])
    assert widths[0][1] <= widths[-1][1], "more links draw a thicker line"


def test_each_cluster_file_registers_that_clusters_pages(view: ExplorerView, written: Path) -> None:
    data = page_data(written)
    folder = data_folder(written)
    assert folder.name == "explorer-data"
    groups = overview.page_groups(site_index(view))
    for group, listed in zip(groups, data["groups"], strict=True):
        assert listed["file"] == f"explorer-data/cluster-{group.number}.js"
        number, part = registered((folder / group.file).read_text(encoding="utf-8"), "linkgraphCluster")
        pages = [n["id"] for n in part["nodes"] if n["nodeType"] == "page"]
        assert number == group.number and pages == list(group.pages)
        assert all(e["from"] in pages or e["to"] in pages for e in part["edges"])
        assert set(part["details"]) >= set(pages)


def test_page_details_in_a_cluster_file_still_list_links_to_other_clusters(written: Path) -> None:
    _, part = registered((data_folder(written) / "cluster-1.js").read_text(encoding="utf-8"), "linkgraphCluster")
    # page 1 (topic 1) is linked from page 0 (topic 0), whose cluster file is another one
    assert url(0) in part["details"][url(1)]["inlinks"]
    assert url(0) not in {n["id"] for n in part["nodes"]}
    assert part["details"][url(1)]["metrics"]["cluster"] == "Topic 1"


def test_directory_file_lists_every_page_with_its_cluster(view: ExplorerView, written: Path) -> None:
    count, rows = registered((data_folder(written) / "pages.js").read_text(encoding="utf-8"), "linkgraphPages")
    assert count == len(rows) == 2500
    assert rows[7] == [url(7), HOSTILE, 7]
    assert rows[-1][2] == TOPICS


def test_cluster_files_cannot_close_a_script_or_run_a_title(written: Path) -> None:
    for script in data_folder(written).glob("*.js"):
        text = script.read_text(encoding="utf-8")
        assert "<" not in text and ">" not in text, script.name
    assert "__pwned" in (data_folder(written) / "pages.js").read_text(encoding="utf-8")


def test_overview_page_allows_scripts_from_its_folder_only(written: Path) -> None:
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', written.read_text(encoding="utf-8"))
    assert policy and "script-src 'self' 'sha256-" in policy.group(1)
    assert "'unsafe-inline'" not in policy.group(1).split(";")[1]


def test_data_folder_follows_the_page_name_and_stale_files_go(view: ExplorerView, tmp_path: Path) -> None:
    target = tmp_path / "site-map.html"
    write_explorer(target, view)
    assert page_data(target)["groups"][0]["file"] == "site-map-data/cluster-0.js"
    assert (tmp_path / "site-map-data" / "cluster-0.js").is_file()
    (tmp_path / "site-map-data" / "view.json").write_text("{}", encoding="utf-8")
    write_explorer(target, big_view(pages=100, unclustered=0))
    assert sorted(p.name for p in (tmp_path / "site-map-data").iterdir()) == ["view.json"]


def test_big_clusters_are_split_and_small_ones_pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(overview, "OVERVIEW_LIMIT", 10)
    monkeypatch.setattr(overview, "GROUP_MAX", 15)
    monkeypatch.setattr(overview, "MAX_GROUPS", 3)
    monkeypatch.setattr(overview, "POOL_SIZE", 50)
    groups = overview.page_groups(site_index(big_view(pages=1000, unclustered=0)))
    names = [g.name for g in groups]
    assert names[:2] == ["Topic 0 (part 1 of 2)", "Topic 0 (part 2 of 2)"]
    assert sum(len(g.pages) for g in groups) == 1000
    assert all(len(g.pages) <= 15 for g in groups)
    pooled = [g for g in groups if not g.cluster]
    assert [g.name for g in pooled][:2] == ["Other pages 1", "Other pages 2"] and len(pooled) == 63  # 940 pages
    assert [g.number for g in groups] == list(range(len(groups)))


def test_payload_of_a_big_view_is_quick(view: ExplorerView) -> None:
    import time

    started = time.perf_counter()
    payload = explorer_payload(view)
    assert time.perf_counter() - started < 10
    assert len(payload.files) == TOPICS + 2  # every cluster and the page directory
