"""The synthetic corpus generator: deterministic output, and corpora with the problems a build must find."""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from graph.pipeline import build
from graph.settings import Settings

GENERATOR = Path(__file__).resolve().parents[1] / "scripts" / "make_corpus.py"


@pytest.fixture(scope="module")
def make_corpus() -> ModuleType:
    """scripts/make_corpus.py imported by path (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_corpus", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_files(make_corpus: ModuleType, tmp_path: Path) -> None:
    make_corpus.make_corpus(40, tmp_path / "a", seed=7)
    make_corpus.make_corpus(40, tmp_path / "b", seed=7)
    make_corpus.make_corpus(40, tmp_path / "c", seed=8)
    first, second, other = files(tmp_path / "a"), files(tmp_path / "b"), files(tmp_path / "c")
    assert len(first) == 41  # 40 articles and linkgraph.toml
    assert first == second
    assert first != other


def test_formats_are_mixed_mostly_markdown(make_corpus: ModuleType, tmp_path: Path) -> None:
    paths = make_corpus.make_corpus(200, tmp_path, seed=1)
    kinds = Counter(p.suffix for p in paths)
    assert set(kinds) == {".md", ".html", ".txt"}
    assert 0.6 < kinds[".md"] / len(paths) < 0.8
    assert kinds[".html"] > 10 and kinds[".txt"] > 10
    page = next(p for p in paths if p.suffix == ".html").read_text(encoding="utf-8")
    assert "<nav" in page and "<footer" in page


def test_build_finds_orphans_broken_links_and_gaps(make_corpus: ModuleType, tmp_path: Path) -> None:
    src, out = tmp_path / "src", tmp_path / "out"
    make_corpus.make_corpus(50, src, seed=1)
    result = build(src, out, Settings.load(src / "linkgraph.toml"))
    assert result.articles == 50 and result.skipped == 0
    assert result.orphans >= 1
    assert result.broken_links >= 1
    assert result.gaps >= 1
    assert len((out / "reports" / "content-gaps.csv").read_text(encoding="utf-8").splitlines()) > 1
