"""Read CMS exports (CSV, JSON Lines) holding many articles: one Article per row or line.

Columns map onto the same fields as Markdown front matter, case-insensitively; bodies go through the
Markdown or HTML reader, so an exported page reads exactly like the same page saved as a file. A bad
row becomes a Skipped row pointing at `file.csv#rowN` (or `file.jsonl#lineN`) and the rest are read.

>>> [a.slug for a in read_many("cms.csv", "Title,Body\\nKnee Pain,Knees ache after running.\\n")]
['knee-pain']
>>> looks_like_html("<p>Rest.</p>"), looks_like_html("Rest and [ice](/ice/).")
(True, False)
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from graph.errors import ArticleError
from graph.ingest import html, markdown
from graph.ingest.sentences import clean
from graph.records import Article, Skipped

#: Canonical field -> accepted column names (after lower-casing; spaces and dashes become '_').
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "body": ("body", "content", "html", "markdown"),
    "url": ("url", "permalink", "link"),
    "slug": ("slug",),
    "date": ("date", "published"),
    "updated": ("updated", "modified"),
    "reviewed": ("reviewed",),
    "author": ("author",),
    "description": ("description",),
    "tags": ("tags",),
    "aliases": ("aliases",),
    "redirect_from": ("redirect_from",),
    "canonical": ("canonical",),
    "draft": ("draft",),
    "noindex": ("noindex",),
    "format": ("format",),
}
_TEXT_FIELDS = ("title", "body", "url", "slug", "canonical", "format")
_LIST_FIELDS = ("tags", "aliases", "redirect_from")
_FORMATS = {"markdown": "md", "md": "md", "html": "html", "htm": "html"}
CSV_FIELD_LIMIT = 5_000_000  # bytes per cell; the stdlib default (128 KiB) is too small for long articles
_BLOCK_TAG = re.compile(
    r"<(?:p|div|h[1-6]|ul|ol|li|table|section|article|main|body|html|br|blockquote|figure)\b[^>]*>|<!doctype",
    re.I)
_LINK_TAG = re.compile(r"<a\s[^>]*\bhref", re.I)
_MARKDOWN_SYNTAX = re.compile(r"\]\(|^#{1,6}\s|^\s*[-*]\s", re.M)
_LIST_SEPARATOR = re.compile(r"[,;|]")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")
_APOSTROPHE = re.compile(r"['’]")


def read_many(path: str, text: str) -> Iterator[Article | Skipped]:
    """Every article in a .csv, .jsonl or .ndjson export; bad rows become Skipped rows."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        yield Skipped(path, "skipped", "empty file")
    elif PurePosixPath(path).suffix.lower() == ".csv":
        yield from _read_csv(path, text)
    else:
        yield from _read_jsonl(path, text)


# --- CSV ----------------------------------------------------------------------------------------


def _read_csv(path: str, text: str) -> Iterator[Article | Skipped]:
    """One article per data row; a file without a body column is skipped whole, with one row."""
    csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    n, header = 0, []
    try:
        header = [_column(h) for h in next(rows, [])]
        if not any(h in COLUMNS["body"] for h in header):
            names = ", ".join(COLUMNS["body"])
            yield Skipped(path, "skipped", f"not an article export: no body column (expected one of {names})")
            return
        for n, row in enumerate(rows, start=1):
            if any(cell.strip() for cell in row):
                yield record(f"{path}#row{n}", partial(_row_fields, header, row))
    except csv.Error as exc:
        where = f"{path}#row{n + 1}" if header else path  # n + 1: the row the parser choked on
        yield Skipped(where, "skipped", f"CSV parse error ({exc}); the rest of the file was not read")


def _delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most (spreadsheets differ by locale)."""
    first = text.split("\n", 1)[0]
    return max(",;\t", key=first.count) if any(c in first for c in ",;\t") else ","


def _row_fields(header: Sequence[str], row: Sequence[str]) -> dict[str, Any]:
    """A row keyed by column name; more cells than columns is an error (usually a quoting slip)."""
    if len(row) > len(header):
        raise ArticleError(f"row has {len(row)} cells but the header has {len(header)} columns")
    return dict(zip(header, row, strict=False))


# --- JSON Lines ---------------------------------------------------------------------------------


def _read_jsonl(path: str, text: str) -> Iterator[Article | Skipped]:
    """One article per non-blank line; a line that is not a JSON object is skipped alone."""
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield record(f"{path}#line{n}", partial(_json_object, line))


def _json_object(line: str) -> dict[str, Any]:
    """The line's object with normalised keys; when two keys normalise alike, the first wins."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ArticleError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise ArticleError("JSON nests too deeply to be an article record") from None
    if not isinstance(data, dict):
        raise ArticleError(f"line holds a JSON {type(data).__name__}, not an object")
    return {_column(markdown.scrub(str(k))): markdown.scrub(v) for k, v in reversed(data.items())}


# --- one record -----------------------------------------------------------------------------------


def record(where: str, fields: Callable[[], Mapping[str, Any]]) -> Article | Skipped:
    """The article of one row or item, or a Skipped row saying why not (`where` is path#rowN)."""
    try:
        meta = canonical_fields(fields())
        body, fmt = meta.pop("body"), meta.pop("format")
        return _with_slug(where, meta, body, fmt or ("html" if looks_like_html(body) else "md"))
    except ArticleError as exc:
        return Skipped(where, "skipped", str(exc))


def _column(name: str) -> str:
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def canonical_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Front-matter-style fields from export columns; ArticleError for a missing or mistyped value.

    `format` comes out as 'md', 'html' or '' (guess from the body); a body taken from a column
    named `html` or `markdown` says its own format.
    """
    meta = {field: _first(raw, names) for field, names in COLUMNS.items()}
    for field in _TEXT_FIELDS:
        if meta[field] is not None and not isinstance(meta[field], str):
            raise ArticleError(f"{field} is not text (got JSON {type(meta[field]).__name__})")
        meta[field] = meta[field] or ""
    for field in _LIST_FIELDS:
        if isinstance(meta[field], str):
            meta[field] = _LIST_SEPARATOR.split(meta[field])
    if not meta["body"].strip():
        raise ArticleError("no title and no body" if not meta["title"].strip() else "empty body")
    meta["format"] = _format(meta["format"].strip() or _body_column(raw))
    return meta


def _first(raw: Mapping[str, Any], names: Sequence[str]) -> Any:
    """The first of several synonymous columns that holds a value."""
    return next((raw[n] for n in names if raw.get(n) not in (None, "")), None)


def _body_column(raw: Mapping[str, Any]) -> str:
    """'html' or 'markdown' when the body sits in a column of that name, else ''."""
    name = next((n for n in COLUMNS["body"] if raw.get(n) not in (None, "")), "")
    return name if name in _FORMATS else ""


def _format(declared: str) -> str:
    """'md', 'html', or '' when nothing is declared; ArticleError for an unknown format."""
    fmt = _FORMATS.get(declared.lower(), "") if declared else ""
    if declared and not fmt:
        raise ArticleError(f"unknown format {declared!r} (expected markdown or html)")
    return fmt


def looks_like_html(body: str) -> bool:
    """Block markup means HTML; a lone <a href> counts only when no Markdown syntax is present."""
    if _BLOCK_TAG.search(body):
        return True
    return bool(_LINK_TAG.search(body)) and not _MARKDOWN_SYNTAX.search(body)


def _with_slug(where: str, meta: Mapping[str, Any], body: str, fmt: str) -> Article:
    """Slug from the slug field, else the URL's last segment, else the title (given or from the body)."""
    fallback = f"{markdown.stem_slug(where.split('#', 1)[0])}-{where.rsplit('#', 1)[-1]}"
    given = meta["slug"].strip().strip("/") or url_slug(meta["url"].strip()) or slugify(meta["title"])
    page = article(where, {**meta, "slug": given or fallback}, body, fmt)
    return page if given else replace(page, slug=slugify(page.title) or fallback)


def article(where: str, meta: Mapping[str, Any], body: str, fmt: str) -> Article:
    """An Article from export fields and a Markdown ('md') or HTML body; shared with the WXR reader.

    `meta` uses front-matter keys and must hold a slug; `where` is the record's report path.
    """
    if fmt == "md":
        return markdown.from_parts(where, meta, body)
    page = html.read(where, body)
    found = page.title if page.title != markdown.stem_slug(where) else ""  # h1 or <title> in the body
    title = clean(str(meta.get("title") or "")) or found or str(meta["slug"])
    own = {k: v for k, v in markdown.metadata(meta).items() if v}
    return replace(page, slug=str(meta["slug"]), title=title, **own)


def url_slug(url: str) -> str:
    """The last path segment of a URL ('' for a site root or a query-only link like '?p=12')."""
    return unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]) if url else ""


def slugify(title: str) -> str:
    """A URL slug from a title: accents and apostrophes dropped, lower case, dashes between words.

    >>> slugify("Crohn's Disease: Diet & Flares"), slugify("Ödem")
    ('crohns-disease-diet-flares', 'odem')
    """
    title = _APOSTROPHE.sub("", title)
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug or _NOT_WORD.sub("-", title.lower()).strip("-")
