"""The sample corpus against its hand-checked expectations (docs/sample-corpus.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.pipeline import BuildResult

BASE = "https://healthguide.example/articles/"


def table(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "reports" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def slug(url: str) -> str:
    return url.removeprefix(BASE).strip("/")


@pytest.fixture(scope="module")
def pages(sample_build: BuildResult) -> dict[str, dict[str, str]]:
    return {slug(r["url"]): r for r in table(sample_build.out, "pages.csv")}


def test_every_article_read_and_the_bad_file_skipped(sample_build: BuildResult, pages: dict) -> None:  # type: ignore[type-arg]
    assert len(pages) == 34
    assert {r["format"] for r in pages.values()} == {"md", "html", "txt"}
    skipped = table(sample_build.out, "skipped.csv")
    assert [(s["path"], s["action"]) for s in skipped] == [("broken-front-matter.md", "skipped")]


def test_orphans_dead_ends_and_nav_only(pages: dict) -> None:  # type: ignore[type-arg]
    assert {s for s, r in pages.items() if r["orphan"] == "true"} == {
        "kidney-stone-pain", "spinal-stenosis", "melatonin-dosage"}
    assert {s for s, r in pages.items() if r["dead_end"] == "true"} == {"gallstones", "semaglutide-side-effects"}
    melatonin = pages["melatonin-dosage"]
    assert melatonin["inlinks"] == "0" and int(melatonin["nav_inlinks"]) == 5  # nav links never make a page linked


def test_broken_links(sample_build: BuildResult) -> None:
    broken = {(slug(r["source_url"]), slug(r["target_url"])) for r in table(sample_build.out, "broken-links.csv")}
    assert broken == {
        ("herniated-disc", "sciatca"),
        ("when-to-see-a-doctor-for-back-pain", "cauda-equina-syndrome"),
        ("welcome", "vitamin-d-and-bones"),
        ("physical-therapy-for-back-pain", "core-exercises-for-back-pain"),
    }


def test_link_forms_resolve_and_special_links(sample_build: BuildResult) -> None:
    links = table(sample_build.out, "links.csv")
    by_kind: dict[str, int] = {}
    for r in links:
        by_kind[r["kind"]] = by_kind.get(r["kind"], 0) + 1
    assert by_kind["nav"] > 0 and by_kind["external"] == 7
    # The script in gerd.html holds a link-like string that must never become a link.
    assert not any(slug(r["source_url"]) == "gerd" and "spinal-stenosis" in r["target_url"] for r in links)
    # Plain-text related block naming no article stays unresolved, with no target.
    unresolved = [r for r in links if r["status"] == "unresolved"]
    assert [(slug(r["source_url"]), r["anchor_text"], r["target_url"]) for r in unresolved] == [
        ("pain-in-back-of-ribs", "Vitamin D And Bone Health", "")]
    # Fragment, tracking-parameter, http://www. and relative forms all land on the article URL.
    targets = {r["target_url"] for r in links if r["status"] == "ok" and r["kind"] != "external"}
    assert all(t.startswith(BASE) and t.endswith("/") and "#" not in t and "?" not in t for t in targets)


def test_recovered_plain_text_links(sample_build: BuildResult) -> None:
    recovered = [r for r in table(sample_build.out, "links.csv") if r["recovered"] == "true"]
    assert recovered and all(r["kind"] == "body" and r["anchor_text"] in r["sentence"] for r in recovered)
    pairs = {(slug(r["source_url"]), slug(r["target_url"])) for r in recovered}
    assert ("muscle-spasm-in-back", "can-urgent-care-prescribe-muscle-relaxers") in pairs


def test_self_link_listed_but_not_counted(sample_build: BuildResult, pages: dict) -> None:  # type: ignore[type-arg]
    own = BASE + "ibuprofen-vs-acetaminophen/"
    assert any(r["source_url"] == own and r["target_url"] == own for r in table(sample_build.out, "links.csv"))
    assert int(pages["ibuprofen-vs-acetaminophen"]["outlinks"]) == len(
        {r["target_url"] for r in table(sample_build.out, "links.csv")
         if r["source_url"] == own and r["target_url"] != own and r["kind"] in ("body", "related")
         and r["status"] == "ok"})


def test_depth_from_the_start_page(pages: dict) -> None:  # type: ignore[type-arg]
    assert pages["welcome"]["depth"] == "0"
    assert pages["kidney-stone-pain"]["depth"] == ""  # orphan: unreachable
    assert all(r["depth"] == "" or int(r["depth"]) >= 0 for r in pages.values())


def test_flags(pages: dict) -> None:  # type: ignore[type-arg]
    assert pages["can-telehealth-prescribe-muscle-relaxers"]["draft"] == "true"
    assert pages["pulled-muscle-vs-muscle-spasm"]["noindex"] == "true"


def test_no_gap_targets_a_draft_or_noindex_page(sample_build: BuildResult) -> None:
    targets = {slug(r["target_url"]) for r in table(sample_build.out, "gaps.csv")}
    assert not targets & {"can-telehealth-prescribe-muscle-relaxers", "pulled-muscle-vs-muscle-spasm"}


def test_every_gap_has_anchor_in_sentence_and_a_reason(sample_build: BuildResult) -> None:
    gaps = table(sample_build.out, "gaps.csv")
    assert len(gaps) >= 20
    assert all(g["anchor_text"] and g["anchor_text"] in g["sentence"] and g["reason"] for g in gaps)


def test_depths_match_a_breadth_first_walk_of_links_csv(sample_build: BuildResult, pages: dict) -> None:  # type: ignore[type-arg]
    """Depth = fewest body/related clicks from the start page, recomputed here from links.csv alone."""
    edges: dict[str, set[str]] = {}
    for r in table(sample_build.out, "links.csv"):
        if r["kind"] in ("body", "related") and r["status"] in ("ok", "redirect") and r["source_url"] != r["target_url"]:
            edges.setdefault(slug(r["source_url"]), set()).add(slug(r["target_url"]))
    depth, frontier = {"welcome": 0}, ["welcome"]
    while frontier:
        nxt = []
        for page in frontier:
            for target in sorted(edges.get(page, ())):
                if target not in depth:
                    depth[target] = depth[page] + 1
                    nxt.append(target)
        frontier = nxt
    assert {s: r["depth"] for s, r in pages.items()} == {s: str(depth[s]) if s in depth else "" for s in pages}
    assert max(depth.values()) >= 2 and len(depth) < len(pages)  # a real walk, with unreachable pages
