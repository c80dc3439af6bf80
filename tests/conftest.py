"""Shared fixtures: the sample corpus built once per session, and small hand-made corpora."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from graph.pipeline import BuildResult, build
from graph.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "articles"
SEEDS = ROOT.parent / "shared" / "seeds"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests run only with `-m slow`; the default suite stays fast."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def sample_settings() -> Settings:
    return Settings.load(SAMPLE / "linkgraph.toml")


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory, sample_settings: Settings) -> BuildResult:
    """The sample corpus built once; tests read its output and never modify it."""
    out = tmp_path_factory.mktemp("sample") / "output"
    return build(SAMPLE, out, sample_settings)


@pytest.fixture
def write_corpus(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write {relative path: text} into a fresh source folder with a config, and return the folder."""

    def _write(files: dict[str, str], config: str = 'site_url = "https://site.example/"\n') -> Path:
        src = tmp_path / "src"
        src.mkdir(exist_ok=True)
        (src / "linkgraph.toml").write_text(config, encoding="utf-8")
        for rel, text in files.items():
            path = src / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return src

    return _write


def chromium_or_skip() -> str:
    """Path of Debian's Chromium; tests skip without it, except in CI where it must be there."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Chromium not installed")
    return path
