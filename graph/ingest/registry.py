"""Readers keyed by file extension: one function per format, all returning an Article.

A reader takes the file's path relative to the source root (used for the slug and reports) and
its decoded text, and raises ArticleError for a file it cannot use. It never touches the network.

>>> reader_for("notes/Sciatica.MD").__module__
'graph.ingest.markdown'
>>> reader_for("linkgraph.toml") is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from graph.records import Article

Reader = Callable[[str, str], Article]

_READERS: dict[str, str] = {
    ".md": "graph.ingest.markdown",
    ".markdown": "graph.ingest.markdown",
    ".html": "graph.ingest.html",
    ".htm": "graph.ingest.html",
    ".txt": "graph.ingest.text",
}


def extensions() -> list[str]:
    """Every file extension a reader is registered for."""
    return sorted(_READERS)


def is_article(path: str) -> bool:
    """True when a reader is registered for the file's extension (no import needed)."""
    return PurePath(path).suffix.lower() in _READERS


def reader_for(path: str) -> Reader | None:
    """The reader for a file, or None when the file is not an article (config, images...)."""
    module_name = _READERS.get(PurePath(path).suffix.lower())
    if module_name is None:
        return None
    import importlib

    module = importlib.import_module(module_name)
    reader: Reader = module.read
    return reader
