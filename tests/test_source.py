"""Reading files from disk: encodings, line endings, size limits, binaries, hidden files, symlinks."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from graph.ingest.source import SourceFile, decode, discover, read_sources
from graph.pipeline import build
from graph.records import Skipped
from graph.settings import Settings


def test_decode_bom_and_line_endings() -> None:
    text, note = decode("\ufeffA\r\nB\rC\n".encode(), "a.md")
    assert text == "A\nB\nC\n" and note is None


def test_invalid_utf8_is_repaired_and_reported_with_offset() -> None:
    text, note = decode(b"caf\xe9 au lait", "a.md")
    assert "\ufffd" in text
    assert note == Skipped("a.md", "repaired", "invalid UTF-8 at byte 3, replaced")


def test_discover_skips_config_hidden_and_unknown(tmp_path: Path) -> None:
    for name in ("a.md", "b.HTML", "c.txt", "linkgraph.toml", ".hidden.md", "image.png", ".git/x.md", "sub/d.md"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x", encoding="utf-8")
    assert discover(tmp_path) == ["a.md", "b.HTML", "c.txt", "sub/d.md"]


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_symlinks_outside_the_root_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text("---\ntitle: Secret\n---\nPrivate.\n", encoding="utf-8")
    root = tmp_path / "src"
    root.mkdir()
    (root / "leak.md").symlink_to(outside)
    (root / "ok.md").write_text("x", encoding="utf-8")
    assert discover(root) == ["ok.md"]


def test_size_limit_and_binary_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "big.md").write_text("x" * 200, encoding="utf-8")
    (tmp_path / "bin.md").write_bytes(b"\x00\x01\x02PNG")
    (tmp_path / "ok.md").write_text("fine", encoding="utf-8")
    items = list(read_sources(tmp_path, max_bytes=100))
    reasons = {i.path: i.reason for i in items if isinstance(i, Skipped)}
    assert "over the 100-byte limit" in reasons["big.md"]
    assert "binary" in reasons["bin.md"]
    assert [i.path for i in items if isinstance(i, SourceFile)] == ["ok.md"]


ARTICLE = "---\ntitle: Sciatica\nredirect_from: [/articles/old-sciatica/]\n---\nSciatica is leg pain from a nerve.\n"
LINKER = "---\ntitle: Back Care\n---\nRead about [sciatica](/articles/old-sciatica/) and [gout](/old/gout/).\n"


def test_line_endings_never_change_the_graph(write_corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.rdfcompare import assert_same_graphs

    unix = write_corpus({"sciatica.md": ARTICLE, "back.md": LINKER})
    build(unix, tmp_path / "a", Settings.load(unix / "linkgraph.toml"))
    for path in unix.glob("*.md"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    build(unix, tmp_path / "b", Settings.load(unix / "linkgraph.toml"))
    assert_same_graphs(tmp_path / "a", tmp_path / "b")


def test_redirects_from_front_matter_and_config(write_corpus, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = 'site_url = "https://site.example/"\n[redirects]\n"/old/gout/" = "/articles/sciatica/"\n'
    src = write_corpus({"sciatica.md": ARTICLE, "back.md": LINKER}, config)
    build(src, tmp_path / "o", Settings.load(src / "linkgraph.toml"))
    with (tmp_path / "o" / "reports" / "links.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["source_url"].endswith("/back/")]
    assert [(r["anchor_text"], r["status"], r["target_url"]) for r in rows] == [
        ("sciatica", "redirect", "https://site.example/articles/sciatica/"),
        ("gout", "redirect", "https://site.example/articles/sciatica/"),
    ]
