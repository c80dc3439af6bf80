"""The incremental-build cache: parsed articles and extractions from the last build, keyed by content.

A key hashes everything the result depends on (linkgraph version, the file's bytes, the vocabulary,
the article's text and link anchors), so a hit is always the result a full build would compute and
`--incremental` equals a full rebuild. The cache lives in OUT/cache and is replaced with OUT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from graph import __version__
from graph.records import Article, ArticleConcepts, Link, LinkKind, LinkStatus, Mention, Section, Skipped

CACHE_DIR = "cache"
_FILES = {"parsed": "parsed.json", "extracted": "extracted.json"}


def digest(*parts: str | bytes) -> str:
    """A short stable hash of the parts (the version always included)."""
    h = hashlib.sha256(__version__.encode())
    for part in parts:
        h.update(b"\x1f" + (part.encode() if isinstance(part, str) else part))
    return h.hexdigest()[:32]


def extraction_key(article: Article, vocabulary: str) -> str:
    """Everything extraction reads: URL, title, tags, sections and link anchors, plus the vocabulary."""
    anchors = sorted((lk.sentence, lk.anchor) for lk in article.links)
    sections = [(s.heading, s.level, s.paragraphs) for s in article.sections]
    payload = json.dumps([article.url, article.title, article.tags, sections, anchors])
    return digest(vocabulary, payload)


def _fields(record: object) -> dict[str, Any]:
    """A dataclass's fields, one level deep (asdict deep-copies everything and costs 10x more)."""
    return {f: getattr(record, f) for f in record.__dataclass_fields__}  # type: ignore[attr-defined]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def article_to_json(item: Article | Skipped) -> dict[str, Any]:
    """A JSON-ready dict; dates as ISO strings, enums as their values."""
    data = _fields(item)
    data["_type"] = type(item).__name__
    if isinstance(item, Article):
        for key in ("published", "updated", "reviewed"):
            data[key] = data[key].isoformat() if data[key] else None
        data["sections"] = [_fields(s) for s in item.sections]
        data["links"] = [_fields(lk) for lk in item.links]
    return data


def article_from_json(data: dict[str, Any]) -> Article | Skipped:
    """The record `article_to_json` wrote."""
    kind = data.pop("_type")
    if kind == "Skipped":
        return Skipped(**data)
    data["sections"] = tuple(Section(s["heading"], tuple(s["paragraphs"]), s["level"]) for s in data["sections"])
    data["links"] = tuple(Link(**{**lk, "kind": LinkKind(lk["kind"]), "status": LinkStatus(lk["status"])})
                          for lk in data["links"])
    for key in ("published", "updated", "reviewed"):
        data[key] = _date(data[key])
    for key in ("tags", "aliases", "redirect_from"):
        data[key] = tuple(data[key])
    return Article(**data)


def concepts_from_json(data: dict[str, Any]) -> ArticleConcepts:
    """The ArticleConcepts that `remember_extracted` wrote."""
    return ArticleConcepts(data["url"], tuple(data["about"]), tuple(Mention(**m) for m in data["mentions"]))


class BuildCache:
    """Results of the previous build, plus what this build adds; written back with the new output."""

    def __init__(self, previous: Path | None = None) -> None:
        self.old: dict[str, dict[str, Any]] = {name: {} for name in _FILES}
        self.new: dict[str, dict[str, Any]] = {name: {} for name in _FILES}
        self.hits = 0
        if previous is not None:
            for name, file in _FILES.items():
                self.old[name] = _load(previous / CACHE_DIR / file)

    def parsed(self, key: str) -> list[Article | Skipped] | None:
        """The records a file gave last time, or None."""
        found = self.old["parsed"].get(key)
        if found is None:
            return None
        self.hits += 1
        self.new["parsed"][key] = found
        return [article_from_json(dict(d)) for d in found]

    def remember_parsed(self, key: str, items: Iterable[Article | Skipped]) -> None:
        """Keep what a file gave for the next build."""
        self.new["parsed"][key] = [article_to_json(i) for i in items]

    def extracted(self, key: str) -> ArticleConcepts | None:
        """The extraction of an unchanged article, or None."""
        found = self.old["extracted"].get(key)
        if found is None:
            return None
        self.new["extracted"][key] = found
        return concepts_from_json(found)

    def remember_extracted(self, key: str, found: ArticleConcepts) -> None:
        """Keep an extraction for the next build."""
        self.new["extracted"][key] = {"url": found.url, "about": found.about,
                                      "mentions": [_fields(m) for m in found.mentions]}

    def save(self, out: Path) -> None:
        """Write this build's entries (only those used, so deleted articles drop out)."""
        folder = out / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        for name, file in _FILES.items():
            (folder / file).write_text(json.dumps(self.new[name], separators=(",", ":")), encoding="utf-8")


def _load(path: Path) -> dict[str, Any]:
    """A cache file, or empty when missing or unreadable (a cache is never worth failing a build)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, Mapping) else {}  # type: ignore[return-value]
