"""`suggest_for_draft`: where an unpublished article should link, and which pages should link to it."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from graph.errors import UsageError
from graph.pipeline import build
from graph.settings import Settings
from graph.suggest import COLUMNS, DraftSuggestions, build_source, format_suggestions, suggest_for_draft

SITE = "https://site.example/articles/"
PAGES = {
    "sciatica.md": "---\ntitle: Sciatica\n---\nSciatica is pain that runs from the lower back down one leg. "
                   "It usually eases within six weeks.\n",
    "herniated-disc.md": "---\ntitle: Herniated Disc\n---\nA herniated disc presses on a nerve root. "
                         "The soft centre of the disc bulges through its outer ring.\n",
    "stretching.md": "---\ntitle: Stretching For Back Pain\n---\nGentle stretching eases stiffness in the hips. "
                     "A tight buttock muscle, as in piriformis syndrome, also responds to stretching.\n",
    "hip-pain.md": "---\ntitle: Hip Pain\n---\nPain deep in the buttock can come from "
                   "[piriformis syndrome](/articles/piriformis-syndrome/), a muscle problem.\n",
    "sleep.md": "---\ntitle: Sleep Hygiene\n---\nKeep a regular bedtime and a dark, quiet bedroom for better rest.\n",
}
DRAFT = ("---\ntitle: Piriformis Syndrome\ndraft: true\n---\n"
         "The piriformis muscle can press on the nerve and cause pain much like sciatica.\n\n"
         "## Is it a disc?\n\nUnlike a herniated disc, the pain does not come from the spine.\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Settings]:
    """A small site built once; tests write drafts beside it and never change OUT."""
    root = tmp_path_factory.mktemp("site")
    src = root / "src"
    src.mkdir()
    (src / "linkgraph.toml").write_text('site_url = "https://site.example/"\n', encoding="utf-8")
    for name, text in PAGES.items():
        (src / name).write_text(text, encoding="utf-8")
    settings = Settings.load(src / "linkgraph.toml")
    build(src, root / "out", settings)
    return root / "out", settings


def draft(tmp_path: Path, text: str = DRAFT, name: str = "piriformis-syndrome.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def slugs(urls: list[str]) -> list[str]:
    return [u.split("/")[-2] for u in urls]


def test_links_out_use_the_drafts_own_words(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    found = suggest_for_draft(draft(tmp_path), out, settings)
    assert found.url == f"{SITE}piriformis-syndrome/" and found.title == "Piriformis Syndrome"
    by_target = {g.target.split("/")[-2]: g for g in found.links_out}
    assert {"sciatica", "herniated-disc"} <= set(by_target)
    assert all(g.source == found.url for g in found.links_out)
    disc = by_target["herniated-disc"]
    assert (disc.anchor, disc.section) == ("herniated disc", "Is it a disc?")
    assert disc.sentence == "Unlike a herniated disc, the pain does not come from the spine."
    assert disc.reason == 'uses the page title "Herniated Disc"'


def test_links_in_use_the_other_pages_words_and_skip_pages_already_linking(built: tuple[Path, Settings],
                                                                            tmp_path: Path) -> None:
    out, settings = built
    found = suggest_for_draft(draft(tmp_path), out, settings)
    assert slugs([g.source for g in found.links_in]) == ["stretching"]  # hip-pain links to the URL already
    (gap,) = found.links_in
    assert gap.target == found.url and gap.anchor == "piriformis syndrome"
    assert gap.sentence == "A tight buttock muscle, as in piriformis syndrome, also responds to stretching."
    assert 0.2 <= gap.score <= 1


def test_any_supported_format_and_the_limit(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    html = ("<html><head><title>Piriformis Syndrome</title></head><body><h1>Piriformis Syndrome</h1>"
            "<p>The pain feels much like sciatica. Unlike a herniated disc, it is a muscle problem.</p></body></html>")
    found = suggest_for_draft(draft(tmp_path, html, "piriformis-syndrome.html"), out, settings, limit=1)
    assert len(found.links_out) == 1 and len(found.links_in) == 1


def test_a_rewrite_takes_the_place_of_the_published_page(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    text = "---\ntitle: Sciatica\n---\nSciatica often comes from a herniated disc in the lower back.\n"
    found = suggest_for_draft(draft(tmp_path, text, "sciatica.md"), out, settings)
    assert found.replaces == found.url == f"{SITE}sciatica/"
    assert slugs([g.target for g in found.links_out]) == ["herniated-disc"]
    assert found.url not in {g.source for g in found.links_in}


def test_formats(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    found = suggest_for_draft(draft(tmp_path), out, settings)
    rows = list(csv.DictReader(io.StringIO(format_suggestions(found, "csv"))))
    assert tuple(rows[0]) == COLUMNS
    assert [r["direction"] for r in rows] == ["out"] * len(found.links_out) + ["in"] * len(found.links_in)
    assert rows[-1]["page_title"] == "Stretching For Back Pain"
    data = json.loads(format_suggestions(found, "json"))
    assert data["url"] == found.url and data["replaces"] is None
    assert [(r["source_url"], r["score"]) for r in data["links_in"]] == [(g.source, g.score) for g in found.links_in]
    table = format_suggestions(found, "table")
    assert "Link to this draft from:" in table and 'anchor "piriformis syndrome"' in table
    with pytest.raises(UsageError, match="unknown format"):
        format_suggestions(found, "xml")


def test_a_draft_nothing_relates_to_gets_empty_lists(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    found = suggest_for_draft(draft(tmp_path, "---\ntitle: Tide Tables\n---\nHigh water comes twice a day.\n",
                                    "tides.md"), out, settings)
    assert (found.links_out, found.links_in, found.about) == ([], [], ())
    assert "(none)" in format_suggestions(found, "table")
    assert isinstance(found, DraftSuggestions)


def test_usage_errors(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    with pytest.raises(UsageError, match="cannot read draft"):
        suggest_for_draft(tmp_path / "missing.md", out, settings)
    with pytest.raises(UsageError, match="no article in draft"):
        suggest_for_draft(draft(tmp_path, "x", "notes.docx"), out, settings)
    with pytest.raises(UsageError, match=r"built for https://site\.example/"):
        suggest_for_draft(draft(tmp_path), out, Settings())
    with pytest.raises(UsageError, match="get other URLs"):
        suggest_for_draft(draft(tmp_path), out, settings.with_overrides(url_pattern=["/posts/{slug}/"]))
    with pytest.raises(UsageError, match="linkgraph build"):
        suggest_for_draft(draft(tmp_path), tmp_path / "nothing", settings)
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    shutil.rmtree(copy / "cache")
    with pytest.raises(UsageError, match=r"cache/parsed\.json"):
        suggest_for_draft(draft(tmp_path), copy, settings)


def test_the_build_remembers_its_source_folder(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, _ = built
    source = build_source(out)
    assert source is not None and (source / "linkgraph.toml").is_file()
    assert build_source(tmp_path) is None
    (tmp_path / "build.json").write_text("[1]", encoding="utf-8")
    assert build_source(tmp_path) is None


def test_a_cache_from_another_version_is_a_usage_error(built: tuple[Path, Settings], tmp_path: Path) -> None:
    out, settings = built
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    for text in ('{"k": [{"_type": "Article", "path": "a.md"}]}', "[1, 2]", "{not json"):
        (copy / "cache" / "parsed.json").write_text(text, encoding="utf-8")
        with pytest.raises(UsageError, match=r"parsed\.json"):
            suggest_for_draft(draft(tmp_path), copy, settings)

