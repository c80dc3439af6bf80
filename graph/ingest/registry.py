"""Readers keyed by file extension: one module per format, all producing Article records.

A page reader exposes `read(path, text) -> Article` and raises ArticleError for a file it cannot
use; it may also expose `read_noted(path, text) -> (Article, notes)`, each note a repair worth a
"repaired" row (a front-matter value ignored, markup flattened). An export reader (CMS dumps
holding many articles) exposes `read_many(path, text) -> Iterator[Article | Skipped]`, so one bad
row is reported and the rest are read. `path` is relative to the source root; readers never
touch the network.

>>> is_article("notes/Sciatica.MD"), is_article("linkgraph.toml")
(True, False)
>>> [type(x).__name__ for x in read_file("a.md", "---\\ntitle: [oops\\n---\\nText\\n")]
['Skipped']
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from pathlib import PurePath
from types import ModuleType

from graph.errors import ArticleError
from graph.records import Article, Skipped

Reader = Callable[[str, str], Article]

_READERS: dict[str, str] = {
    ".md": "graph.ingest.markdown",
    ".markdown": "graph.ingest.markdown",
    ".html": "graph.ingest.html",
    ".htm": "graph.ingest.html",
    ".txt": "graph.ingest.text",
    ".csv": "graph.ingest.exports",
    ".jsonl": "graph.ingest.exports",
    ".ndjson": "graph.ingest.exports",
    ".xml": "graph.ingest.wxr",
}


def extensions() -> list[str]:
    """Every file extension a reader is registered for."""
    return sorted(_READERS)


def is_article(path: str) -> bool:
    """True when a reader is registered for the file's extension (no import needed)."""
    return PurePath(path).suffix.lower() in _READERS


def _module(path: str) -> ModuleType | None:
    name = _READERS.get(PurePath(path).suffix.lower())
    return importlib.import_module(name) if name else None


def reader_for(path: str) -> Reader | None:
    """The single-page reader for a file, or None (not an article, or an export format)."""
    module = _module(path)
    reader: Reader | None = getattr(module, "read", None)
    return reader


def read_file(path: str, text: str) -> Iterator[Article | Skipped]:
    """Every article in one file; problems become Skipped rows instead of exceptions."""
    module = _module(path)
    if module is None:
        return
    if hasattr(module, "read_many"):
        yield from module.read_many(path, text)
        return
    try:
        if hasattr(module, "read_noted"):
            article, notes = module.read_noted(path, text)
        else:
            article, notes = module.read(path, text), ()
    except ArticleError as exc:
        yield Skipped(path, "skipped", str(exc))
        return
    yield from (Skipped(path, "repaired", note) for note in notes)
    yield article
