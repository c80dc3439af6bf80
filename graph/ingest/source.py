"""Walk a source folder and decode each article file; problems become Skipped rows, never crashes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.errors import UsageError
from graph.ingest.registry import is_article
from graph.records import Skipped


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A decoded article file: its path relative to the source root and its text with \\n endings."""

    path: str
    text: str


def discover(root: Path) -> list[str]:
    """Relative paths of every article file under `root`, sorted; hidden entries and symlinks out of root skipped."""
    if not root.is_dir():
        raise UsageError(f"source folder not found: {root}")
    real_root = root.resolve()
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            full = Path(dirpath, name)
            if name.startswith(".") or not is_article(name):
                continue
            if not full.resolve().is_relative_to(real_root):
                continue
            found.append(full.relative_to(root).as_posix())
    return sorted(found)


def decode(raw: bytes, path: str) -> tuple[str, Skipped | None]:
    """Text of a file as UTF-8 (BOM dropped, line endings unified); invalid bytes replaced and reported."""
    try:
        text = raw.decode("utf-8-sig")
        note = None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8-sig", errors="replace")
        note = Skipped(path, "repaired", f"invalid UTF-8 at byte {exc.start}, replaced")
    return text.replace("\r\n", "\n").replace("\r", "\n"), note


def read_sources(root: Path, max_bytes: int) -> Iterator[SourceFile | Skipped]:
    """Each article file decoded, or a Skipped row saying why it cannot be read."""
    for rel in discover(root):
        full = root / rel
        try:
            size = full.stat().st_size
            if size > max_bytes:
                yield Skipped(rel, "skipped", f"file is {size} bytes, over the {max_bytes}-byte limit")
                continue
            raw = full.read_bytes()
        except OSError as exc:
            yield Skipped(rel, "skipped", f"cannot read file: {exc.strerror or exc.__class__.__name__}")
            continue
        if b"\x00" in raw[:8192]:
            yield Skipped(rel, "skipped", "binary file (NUL bytes)")
            continue
        text, note = decode(raw, rel)
        if note:
            yield note
        yield SourceFile(rel, text)
