"""Link suggestions for an unpublished article, against a finished build: `linkgraph suggest FILE --out OUT`.

The draft is read like any article, placed among the pages OUT was built from (their parsed text is in
OUT/cache, which every build writes), and the corpus is analysed again with the draft in it. That gives

* links out -- existing pages the draft should link to, with anchor words from the draft's own text;
* links in -- existing pages that should link to the draft, with anchor words from their text.

Both come from the same GapFinder as gaps.csv, so the scores, anchors and reasons mean the same. A draft
whose URL is an existing page's (a rewrite) takes that page's place.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from graph.analyse.gaps import GapFinder, GapSettings
from graph.cache import CACHE_DIR, BuildCache, article_from_json
from graph.errors import UsageError
from graph.ingest.registry import extensions, read_file
from graph.ingest.resolve import assign_urls, resolve
from graph.ingest.source import decode
from graph.ingest.urls import Site
from graph.outdir import read_build_json
from graph.parallel import worker_count
from graph.pipeline import extract_all, load_vocabulary
from graph.records import Article, Gap, Skipped
from graph.render.snapshot import load_view
from graph.reports import safe_cell
from graph.settings import Settings

PARSED = Path(CACHE_DIR) / "parsed.json"
#: Columns of `--format csv`; `page_title` is the other page's title (the target out, the source in).
COLUMNS = ("direction", "source_url", "target_url", "page_title", "anchor_text", "sentence", "section", "score",
           "reason")
FORMATS = ("table", "csv", "json")


@dataclass(frozen=True)
class DraftSuggestions:
    """Where a draft should link, and which pages should link to it."""

    url: str
    title: str
    about: tuple[str, ...]
    links_out: list[Gap]
    links_in: list[Gap]
    titles: dict[str, str]
    replaces: str = ""

    def rows(self) -> list[dict[str, str]]:
        """Links out, then links in, each best first, as flat rows with COLUMNS as keys."""
        found = [self._row("out", g, g.target) for g in self.links_out]
        return found + [self._row("in", g, g.source) for g in self.links_in]

    def _row(self, direction: str, g: Gap, other: str) -> dict[str, str]:
        values = (direction, g.source, g.target, self.titles.get(other, ""), g.anchor, g.sentence, g.section,
                  f"{g.score:.3f}", g.reason)
        return dict(zip(COLUMNS, values, strict=True))


def suggest_for_draft(draft_path: Path, out: Path, settings: Settings, limit: int = 10) -> DraftSuggestions:
    """Suggestions for the article in `draft_path` against the build in `out` (best `limit` each way)."""
    site = Site(settings.site_url, settings.url_pattern)
    draft = _url_given(read_draft(draft_path), site)
    articles, replaced = _with_draft(draft, out, site, settings)
    vocab, fingerprint = load_vocabulary(settings)
    extracted = extract_all(articles, vocab, fingerprint, BuildCache(out), workers=worker_count(settings.workers))
    finder = GapFinder(articles, extracted, vocab.concepts, vocab.relations)
    excluded = frozenset(filter(None, (site.resolve(u, None) for u in settings.exclude_pages)))
    gaps = GapSettings(limit, settings.gap_min_score, excluded - {draft.url})
    about = tuple(vocab.concepts[c].label if c in vocab.concepts else c for c in extracted[draft.url].about)
    return DraftSuggestions(draft.url, draft.title, about, finder.gaps_from(draft.url, gaps),
                            finder.gaps_to(draft.url, gaps), {a.url: a.title for a in articles}, replaced)


def _with_draft(draft: Article, out: Path, site: Site, settings: Settings) -> tuple[tuple[Article, ...], str]:
    """The build's pages plus the draft, resolved; and the URL of the page the draft replaces ('' if none)."""
    view = load_view(out)
    if view.site_url.rstrip("/") != settings.site_url.rstrip("/"):
        raise UsageError(f"{out} was built for {view.site_url}, not {settings.site_url}: pass the build's --config")
    existing = load_built_articles(out)
    kept = [a for a in existing if _url_given(a, site).url != draft.url]
    corpus = resolve([*kept, draft], site, settings.redirects)
    missing = {a.url for a in view.articles} - {a.url for a in corpus.articles}
    if missing:
        raise UsageError(f"{len(missing)} pages of {out} (e.g. {min(missing)}) get other URLs with these settings: "
                         "pass the build's --config")
    return corpus.articles, draft.url if len(kept) < len(existing) else ""


def read_draft(path: Path) -> Article:
    """The one article in a draft file, made publishable (a draft is about to be published)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read draft {path}: {exc.__class__.__name__}") from None
    text, _ = decode(raw, path.name)
    records = list(read_file(path.name, text))
    articles = [r for r in records if isinstance(r, Article)]
    if not articles:
        reasons = "; ".join(r.reason for r in records if isinstance(r, Skipped) and r.action == "skipped")
        kinds = ", ".join(extensions())
        raise UsageError(f"no article in draft {path}: {reasons or f'not a supported file ({kinds})'}")
    if len(articles) > 1:
        raise UsageError(f"draft {path} holds {len(articles)} articles; give one article per file")
    return replace(articles[0], path=f"(draft)/{path.name}", draft=False, noindex=False, canonical=None)


def _url_given(article: Article, site: Site) -> Article:
    """The article with the URL a build gives it (front matter `url`, else the URL pattern)."""
    placed, _ = assign_urls([article], site)
    return placed[0]


def load_built_articles(out: Path) -> list[Article]:
    """The articles OUT was built from, as parsed (before URLs and links are resolved)."""
    data = read_build_json(out, PARSED)
    try:
        records = [article_from_json(dict(item)) for items in data.values() for item in items]
    except (AttributeError, KeyError, TypeError, ValueError):
        raise UsageError(f"{out / PARSED} was written by another linkgraph version: build again") from None
    return [r for r in records if isinstance(r, Article)]


def build_source(out: Path) -> Path | None:
    """The source folder OUT was built from (OUT/build.json), so its linkgraph.toml can be found again."""
    try:
        source = json.loads((out / "build.json").read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(source) if isinstance(source, str) and source else None


def format_suggestions(found: DraftSuggestions, fmt: str) -> str:
    """The suggestions as `table` (for people), `csv` or `json`."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([safe_cell(v) for v in row.values()] for row in found.rows())
        return buffer.getvalue()
    if fmt == "json":
        return json.dumps(_json(found), ensure_ascii=False, indent=2) + "\n"
    if fmt == "table":
        return _table(found)
    raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def _json(found: DraftSuggestions) -> dict[str, Any]:
    """The suggestions as JSON data; scores as numbers."""
    rows: list[dict[str, Any]] = [{**r, "score": float(r["score"])} for r in found.rows()]
    return {"url": found.url, "title": found.title, "about": list(found.about), "replaces": found.replaces or None,
            "links_out": [r for r in rows if r["direction"] == "out"],
            "links_in": [r for r in rows if r["direction"] == "in"]}


def _table(found: DraftSuggestions) -> str:
    about = ", ".join(found.about) or "no vocabulary concept"
    lines = [f"{found.title} -> {found.url} (about: {about})"]
    if found.replaces:
        lines.append(f"Replaces the existing page {found.replaces}.")
    lines += _block("Link from this draft to:", found.links_out, lambda g: g.target, found.titles)
    lines += _block("Link to this draft from:", found.links_in, lambda g: g.source, found.titles)
    return "\n".join(lines) + "\n"


def _block(heading: str, gaps: Sequence[Gap], other: Callable[[Gap], str], titles: dict[str, str]) -> list[str]:
    lines = ["", heading]
    if not gaps:
        return [*lines, "  (none)"]
    for g in gaps:
        page = other(g)
        lines.append(f"  {g.score:.3f}  {titles.get(page, page)}  <{page}>")
        lines.append(f'         anchor "{g.anchor}" in: {g.sentence}')
        lines.append(f"         why: {g.reason}")
    return lines
