"""Comparing two builds: what was added and removed, diff.csv and the terminal summary."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from graph.diff import COLUMNS, Change, diff_builds, write_diff
from graph.errors import UsageError
from graph.pipeline import build
from graph.settings import Settings

SITE = 'site_url = "https://site.example/"\nurl_pattern = "/articles/{slug}/"\n'
ART = "https://site.example/articles/"
LGC = "https://w3id.org/linkgraph/concept/"

SCIATICA = """---
title: Sciatica
---
Sciatica is a nerve pain that travels from the lower back into one leg.
A bulging [herniated disc](/articles/herniated-disc/) presses on the nerve in many cases.
"""
DISC = """---
title: Herniated Disc
---
In a herniated disc the soft core of a spinal disc pushes through its outer ring.
Numbness in the leg is one of the signs.
"""
STRAIN_OLD = """---
title: Muscle Strain
---
A muscle strain is an overstretched muscle in the back or the legs.
A strain rarely causes sciatica, even though both can hurt when you bend.
"""
STRAIN_NEW = STRAIN_OLD.replace("rarely causes sciatica", "rarely causes [sciatica](/articles/sciatica/)")
HEAT = """---
title: Heat Therapy
---
Heat therapy relaxes tight muscles; a warm pack helps a [muscle strain](/articles/muscle-strain/) after two days.
"""


def write(src: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        src.joinpath(name).write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Old: sciatica, disc, strain (which names sciatica without a link). New: disc deleted, heat added,
    strain now links to sciatica. Built once for the module; tests only read them."""
    root = tmp_path_factory.mktemp("diff")
    src = root / "src"
    src.mkdir()
    write(src, {"linkgraph.toml": SITE, "sciatica.md": SCIATICA, "herniated-disc.md": DISC,
                "muscle-strain.md": STRAIN_OLD})
    settings = Settings.load(src / "linkgraph.toml")
    build(src, root / "old", settings)
    (src / "herniated-disc.md").unlink()
    write(src, {"muscle-strain.md": STRAIN_NEW, "heat-therapy.md": HEAT})
    build(src, root / "new", settings)
    return root / "old", root / "new"


def rows(diff_changes: tuple[Change, ...], what: str) -> set[tuple[str, str, str, str]]:
    return {(c.change, c.source, c.target, c.detail) for c in diff_changes if c.what == what}


def test_pages_and_links_added_and_removed(builds: tuple[Path, Path]) -> None:
    diff = diff_builds(*builds)
    assert rows(diff.changes, "page") == {
        ("removed", ART + "herniated-disc/", "", "Herniated Disc"),
        ("added", ART + "heat-therapy/", "", "Heat Therapy"),
    }
    assert rows(diff.changes, "link") == {
        ("added", ART + "muscle-strain/", ART + "sciatica/", "body"),
        ("added", ART + "heat-therapy/", ART + "muscle-strain/", "body"),
    }
    # sciatica -> herniated-disc is still there (now broken): same source, target and kind, so no row.


def test_gap_closed_by_the_new_link_is_removed(builds: tuple[Path, Path]) -> None:
    diff = diff_builds(*builds)
    gaps = rows(diff.changes, "gap")
    assert ("removed", ART + "muscle-strain/", ART + "sciatica/", "sciatica") in gaps
    assert not any(change == "added" and source == ART + "muscle-strain/" and target == ART + "sciatica/"
                   for change, source, target, _ in gaps)


def test_concept_tags_follow_the_pages(builds: tuple[Path, Path]) -> None:
    concepts = rows(diff_builds(*builds).changes, "concept")
    assert ("removed", ART + "herniated-disc/", LGC + "herniated-disc", "about") in concepts
    assert ("added", ART + "heat-therapy/", LGC + "heat-therapy", "about") in concepts
    # The two pages that stayed kept their concepts; the deleted page's tags are only removed.
    assert {source for _, source, _, _ in concepts} == {ART + "herniated-disc/", ART + "heat-therapy/"}
    assert {change for change, source, _, _ in concepts if source == ART + "herniated-disc/"} == {"removed"}


def test_reverse_diff_swaps_added_and_removed(builds: tuple[Path, Path]) -> None:
    old, new = builds
    forward, backward = diff_builds(old, new), diff_builds(new, old)
    flip = {"added": "removed", "removed": "added"}
    assert {(flip[c.change], c.what, c.source, c.target, c.detail) for c in forward.changes} == {
        c.row() for c in backward.changes}


def test_same_build_has_no_changes(builds: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = builds
    diff = diff_builds(old, old)
    assert diff.changes == ()
    assert diff.summary().startswith("No changes")
    path = write_diff(diff, tmp_path / "report")
    assert path.read_text(encoding="utf-8") == ",".join(COLUMNS) + "\n"


def test_diff_csv_is_sorted_and_matches_the_changes(builds: tuple[Path, Path], tmp_path: Path) -> None:
    diff = diff_builds(*builds)
    path = write_diff(diff, tmp_path / "diff-out")
    assert path == tmp_path / "diff-out" / "diff.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    assert tuple(table[0]) == COLUMNS
    body = [tuple(r) for r in table[1:]]
    assert body == [c.row() for c in diff.changes]
    order = {"page": 0, "link": 1, "gap": 2, "concept": 3}
    assert [order[r[1]] for r in body] == sorted(order[r[1]] for r in body)
    assert {r[0] for r in body} == {"added", "removed"}


def test_summary_counts_each_kind(builds: tuple[Path, Path]) -> None:
    diff = diff_builds(*builds)
    lines = diff.summary().splitlines()
    assert lines[0] == "1 page added, 1 removed"
    assert lines[1] == "2 links added, 0 removed"
    assert lines[2].endswith(f"added, {diff.count('gap', 'removed')} removed")
    assert lines[3].startswith(f"{diff.count('concept', 'added')} concept tag")


def test_a_folder_that_is_not_a_build_is_refused(builds: tuple[Path, Path], tmp_path: Path) -> None:
    old, _ = builds
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("hello", encoding="utf-8")
    for bad in (plain, tmp_path / "missing"):
        with pytest.raises(UsageError, match="not a linkgraph build"):
            diff_builds(old, bad)
    no_store = tmp_path / "no-store"
    shutil.copytree(old, no_store)
    shutil.rmtree(no_store / "store")
    with pytest.raises(UsageError, match="no linkgraph build"):
        diff_builds(no_store, old)
