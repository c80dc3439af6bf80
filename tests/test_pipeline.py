"""Whole builds on small corpora: each stage's effect is visible in the output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from graph.errors import UsageError
from graph.pipeline import build
from graph.settings import Settings
from tests.rdfcompare import assert_same_graphs

SITE = 'site_url = "https://site.example/"\nurl_pattern = "/articles/{slug}/"\n'
SCIATICA = """---
title: Sciatica
date: 2025-01-02
---
Sciatica is nerve pain running down one leg. A [herniated disc](/articles/herniated-disc/) is a common cause.
Heat therapy and gentle stretching ease it, and a [missing page](/articles/no-such-page/) is broken.

## Related articles
- [Herniated disc](../herniated-disc/)
"""
DISC = """---
title: Herniated Disc
---
A herniated disc can press on a nerve root and cause numbness in the leg.
Read about [our team](/about/) or [NIH](https://www.nih.gov/).
"""
STRAIN = """---
title: Muscle Strain
---
A muscle strain is an overstretched muscle. It rarely causes sciatica, but back pain is common.
"""


def read_csv(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "reports" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def small(write_corpus) -> Path:  # type: ignore[no-untyped-def]
    return write_corpus({"sciatica.md": SCIATICA, "herniated-disc.md": DISC, "muscle-strain.md": STRAIN,
                         "bad.md": "---\ntitle: [unclosed\n---\ntext\n", "notes.toml": "x = 1\n"}, SITE)


def test_small_build_reports(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = build(small, out, Settings.load(small / "linkgraph.toml"))
    assert result.articles == 3
    pages = {r["url"].rsplit("/", 2)[-2]: r for r in read_csv(out, "pages.csv")}
    assert pages["herniated-disc"]["inlinks"] == "1"
    assert pages["herniated-disc"]["inlinks_total"] == "2"
    assert pages["sciatica"]["orphan"] == "true"
    assert {r["url"] for r in read_csv(out, "orphans.csv")} == {
        "https://site.example/articles/sciatica/", "https://site.example/articles/muscle-strain/"}
    broken = read_csv(out, "broken-links.csv")
    assert [(b["target_url"], b["anchor_text"]) for b in broken] == [
        ("https://site.example/articles/no-such-page/", "missing page")]
    skipped = read_csv(out, "skipped.csv")
    assert [s["path"] for s in skipped] == ["bad.md"]


def test_gap_found_with_anchor_sentence_and_reason(small: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(small, out, Settings.load(small / "linkgraph.toml"))
    gaps = {(g["source_url"].split("/")[-2], g["target_url"].split("/")[-2]): g for g in read_csv(out, "gaps.csv")}
    gap = gaps[("muscle-strain", "sciatica")]
    assert gap["anchor_text"] == "sciatica"
    assert gap["anchor_text"] in gap["sentence"]
    assert "sciatica" in gap["reason"].lower()
    assert ("sciatica", "herniated-disc") not in gaps  # already linked


def test_rebuild_is_isomorphic_and_reports_identical(small: Path, tmp_path: Path) -> None:
    settings = Settings.load(small / "linkgraph.toml")
    a, b = tmp_path / "a", tmp_path / "b"
    build(small, a, settings)
    build(small, b, settings)
    assert_same_graphs(a, b)
    for name in ("pages.csv", "links.csv", "gaps.csv", "content-gaps.csv"):
        assert (a / "reports" / name).read_bytes() == (b / "reports" / name).read_bytes()


def test_failed_build_keeps_previous_output(small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    settings = Settings.load(small / "linkgraph.toml")
    build(small, out, settings)
    before = (out / "reports" / "pages.csv").read_bytes()
    manifest = json.loads((out / "build.json").read_text())

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("graph.pipeline.write_explorer", boom)
    with pytest.raises(RuntimeError):
        build(small, out, settings)
    assert (out / "reports" / "pages.csv").read_bytes() == before
    assert json.loads((out / "build.json").read_text()) == manifest
    assert not list(tmp_path.glob(".out.*"))  # temporary folders cleaned up


def test_refuses_to_replace_a_folder_that_is_not_a_build(small: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.docx").write_text("mine")
    with pytest.raises(UsageError, match="not a linkgraph build"):
        build(small, precious, Settings.load(small / "linkgraph.toml"))
    assert (precious / "thesis.docx").read_text() == "mine"


def test_empty_source_is_a_usage_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match="no articles"):
        build(empty, tmp_path / "out", Settings())


def test_incremental_equals_full_rebuild(small: Path, tmp_path: Path) -> None:
    settings = Settings.load(small / "linkgraph.toml")
    inc, full = tmp_path / "inc", tmp_path / "full"
    first = build(small, inc, settings, incremental=True)
    assert first.reused == 0
    (small / "muscle-strain.md").write_text(STRAIN.replace("back pain", "a herniated disc"), encoding="utf-8")
    (small / "herniated-disc.md").unlink()
    (small / "new.md").write_text("---\ntitle: Heat Therapy\n---\nHeat therapy eases sciatica.\n", encoding="utf-8")
    second = build(small, inc, settings, incremental=True)
    assert second.reused == 2  # sciatica.md and bad.md came from the cache
    build(small, full, settings)
    assert_same_graphs(inc, full)
    for name in ("pages.csv", "links.csv", "gaps.csv", "content-gaps.csv", "skipped.csv"):
        assert (inc / "reports" / name).read_bytes() == (full / "reports" / name).read_bytes(), name
