"""Read a Markdown article: YAML front matter for metadata, markdown-it tokens for the body.

Links keep their raw href; resolution and internal/external kinds are decided by a later stage.

>>> a = read("notes/Sciatica.md", "Sciatica irritates the nerve. See [rest](/rest/) first.")
>>> a.slug, a.title, a.links[0].anchor, a.links[0].sentence
('sciatica', 'sciatica', 'rest', 'See rest first.')
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from graph.errors import ArticleError
from graph.ingest.sentences import clean, sentence_at
from graph.records import Article, Link, LinkKind, Section

RELATED_HEADING = re.compile(r"\b(related|see also|further reading|read next|more on)\b", re.I)
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?![\d])")
_SPACES = re.compile(r"\s+")
_HTML_A_OPEN = re.compile(r"""^<a\s[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_HTML_A_CLOSE = re.compile(r"^</a\s*>$", re.I)
_TRUE = frozenset({"true", "yes", "on", "1"})
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Characters that can start inline markup (escape, code, emphasis, link, image, autolink, HTML,
# entity); a block without any is plain text, so its inline parse is skipped (see _inline).
_MARKUP = re.compile(r"[\\`*_\[\]!<&]")
_HANDLER = YAMLHandler()


def _inline_with_markup(state: StateCore) -> None:
    """markdown-it's inline rule, run only on blocks holding markup (most hold none)."""
    for token in state.tokens:
        if token.type == "inline" and _MARKUP.search(token.content):
            token.children = []
            state.md.inline.parse(token.content, state.md, state.env, token.children)


_MD = MarkdownIt("commonmark").enable("table")
_MD.core.ruler.at("inline", _inline_with_markup)
# The text rule stops only where an enabled inline rule can start (the default list also stops at
# - : # + = and more for plugins we do not load), so runs of prose are taken in one step.
_MD.inline.terminator_re = re.compile(r"[\n\\`*_\[\]!<&]")

RawLink = tuple[str, str, int]  # href, anchor, offset of the anchor in its paragraph

# Front-matter limits: far above any real article, far below what could hang or exhaust a build.
MAX_FRONT_MATTER = 64 * 1024  # characters of YAML
MAX_NESTING = 20  # lists and mappings inside each other
MAX_ALIASES = 20  # YAML *aliases; a real front matter has none
MAX_ITEMS = 500  # entries of a list field (tags, aliases, redirect_from)
MAX_CHARS = {"title": 500, "slug": 200, "author": 500, "description": 5_000,
             "url": 2_000, "permalink": 2_000, "canonical": 2_000}
LIST_FIELDS = ("tags", "aliases", "redirect_from")
DATE_FIELDS = ("date", "updated", "reviewed")
FLAG_FIELDS = ("draft", "noindex")


class _DatesAsText(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings, so one impossible date drops only its field."""


class _FastDatesAsText(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader on libyaml when present: several times faster on plain front matter."""


for _loader in (_DatesAsText, _FastDatesAsText):
    _loader.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )

# Front matter in the everyday subset: `key: value` lines whose value is a plain word run, a
# double-quoted string without escapes or a one-line [list], or `- item` lines. libyaml and PyYAML
# build the same data from it (they differ on tabs, tags, block scalars, odd flow and unicode line
# breaks); it nests 2 deep and holds no alias. Anything else takes the pure-Python path.
_NOT_SAFE = r"\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029\ufeff\ufffe\uffff"
_QUOTED = rf'"[^"\\{_NOT_SAFE}]*"'
_PLAIN = rf"[\w(/$+](?:[^#:\"\[\]{{}}|>&*!`{_NOT_SAFE}]|:(?=[^ \n]))*"
_ITEM = rf"(?:{_QUOTED}|[\w(/$+][^#:?\"\[\]{{}},|>&*!`{_NOT_SAFE}]*)"
_VALUE = rf"(?:{_QUOTED}|{_PLAIN}|\[ *(?:{_ITEM}(?:, *{_ITEM})*)?\])"
_LINE = rf"(?:[A-Za-z_][\w-]*:(?: +{_VALUE})?|(?:  )?- (?:{_QUOTED}|{_PLAIN}))? *"
_SIMPLE_YAML = re.compile(rf"(?:{_LINE}\n)*{_LINE}")


def read(path: str, text: str) -> Article:
    """One Article from a Markdown file's text; ArticleError when the file is unusable."""
    return read_noted(path, text)[0]


def read_noted(path: str, text: str) -> tuple[Article, tuple[str, ...]]:
    """The Article and one note per front-matter value that was unusable and ignored."""
    meta, body = _front_matter(text)
    meta, notes = checked_fields(meta)
    return from_parts(path, meta, body), notes


def from_parts(path: str, meta: Mapping[str, Any], body: str) -> Article:
    """One Article from front-matter-style fields (lower-case keys) and a Markdown body.

    Shared with CMS export readers, whose metadata comes from columns instead of front matter.
    """
    tokens = _MD.parse(body.replace("\r\n", "\n"))
    slug = _string(meta.get("slug")).strip("/") or stem_slug(path)
    title = clean(_string(meta.get("title"))) or _first_h1(tokens) or slug
    sections, links = _Walker(title).walk(tokens)
    if not any(s.paragraphs for s in sections):
        raise ArticleError("no article text (only front matter, headings or code)")
    return Article(
        path=path,
        slug=slug,
        title=title,
        format="md",
        sections=tuple(sections),
        links=tuple(links),
        **metadata(meta),
    )


def stem_slug(path: str) -> str:
    """Lower-cased file stem; `x/index.md` and `x/_index.md` take the folder name."""
    p = PurePosixPath(path.replace("\\", "/"))
    stem = p.stem
    if stem.lower() in {"index", "_index"} and p.parent.name:
        stem = p.parent.name
    return stem.lower()


def check_text(text: str) -> str:
    """The text without a BOM; ArticleError if it is empty or looks binary (shared by readers)."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ArticleError("empty file")
    head = text[:4096]
    if "\x00" in head or head.count("\ufffd") > len(head) // 20:
        raise ArticleError("binary content, not text")
    return text


# --- front matter ---------------------------------------------------------------------------


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Front-matter mapping (keys lower-cased) and body; bad or non-mapping YAML: ArticleError."""
    text = check_text(text).replace("\r\n", "\n")
    if not _HANDLER.detect(text):
        return {}, text
    try:
        raw, body = _HANDLER.split(text)
    except ValueError:
        raise ArticleError("front matter is not closed (no second '---' line)") from None
    data = _load_yaml(raw)
    if data is None:
        return {}, body
    if not isinstance(data, Mapping):
        raise ArticleError(f"front matter is a {type(data).__name__}, not a mapping of fields")
    return {scrub(str(k)).lower(): scrub(v) for k, v in data.items()}, body


def scrub(value: Any, depth: int = 2) -> Any:
    """Text with lone surrogates replaced by U+FFFD, in a value and its items `depth` levels down.

    YAML and JSON escapes such as \\ud800 decode to lone surrogates, which no UTF-8 file or RDF
    literal can hold: left in, one title would crash the writers. Deeper levels are never read.
    """
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if depth and isinstance(value, list | tuple):
        return [scrub(v, depth - 1) for v in value]
    if depth and isinstance(value, Mapping):
        return {scrub(k, 0): scrub(v, depth - 1) for k, v in value.items()}
    return value


def _load_yaml(raw: str) -> Any:
    """Parse front matter safely; an error becomes a one-line reason with the file line number.

    Everyday front matter goes to libyaml; its shape needs no check. If libyaml fails, the
    pure-Python path below runs too, so the reason is worded as it always was.
    """
    if len(raw) <= MAX_FRONT_MATTER and _SIMPLE_YAML.fullmatch(raw):
        try:
            return yaml.load(raw, Loader=_FastDatesAsText)
        except (yaml.YAMLError, ValueError, RecursionError):
            pass
    return _load_checked(raw)


def _load_checked(raw: str) -> Any:
    """Parse any front matter with pure-Python PyYAML, whose error messages the Skipped rows quote.

    Only plain data is built (no Python tags), and the shape is checked on the event stream first:
    a huge, deeply nested or alias-heavy ("billion laughs") block is refused before it is built.
    """
    try:
        _check_shape(raw)
        return _HANDLER.load(raw, Loader=_DatesAsText)
    except yaml.MarkedYAMLError as exc:
        where = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise ArticleError(f"front matter is not valid YAML{where}: {exc.problem}") from None
    except yaml.YAMLError as exc:
        reason = clean(str(exc)) or exc.__class__.__name__
        raise ArticleError(f"front matter is not valid YAML: {reason}") from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer over Python's 4300-digit limit
        raise ArticleError(f"front matter has an unusable value: {clean(str(exc))[:200]}") from None


def _check_shape(raw: str) -> None:
    """Refuse front matter over the size, nesting or alias limits, without building any of it."""
    if len(raw) > MAX_FRONT_MATTER:
        raise ArticleError(f"front matter is {len(raw)} characters, over the {MAX_FRONT_MATTER} limit")
    depth = aliases = 0
    for event in yaml.parse(raw, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise ArticleError(f"front matter nests over {MAX_NESTING} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ArticleError(f"front matter uses over {MAX_ALIASES} YAML aliases (refused: alias bomb)")


def checked_fields(meta: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Front matter without the values that cannot be right, and a note naming each one dropped.

    Wrong types (a list where text belongs), absurd lengths and impossible dates are ignored, so the
    article is still read, and reported, so the editor can fix the file.
    """
    kept: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in meta.items():
        problem = None if value is None else _field_problem(key, value)
        if problem:
            notes.append(f"front matter {key[:40]!r} {problem}; ignored")
        else:
            kept[key] = value
    return kept, tuple(notes)


def _field_problem(key: str, value: Any) -> str | None:
    """Why one front-matter value is unusable, or None."""
    if key in MAX_CHARS:
        return _text_problem(key, value)
    if key in LIST_FIELDS:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list | tuple) or not all(_is_scalar(v) for v in items):
            return f"is {_kind(value)}, not a list of text"
        return f"has {len(items)} entries (limit {MAX_ITEMS})" if len(items) > MAX_ITEMS else None
    if key in DATE_FIELDS and parse_date(value) is None:
        return f"is not a date (YYYY-MM-DD): {clean(str(value))[:40]!r}" if _is_scalar(value) else f"is {_kind(value)}"
    if key in FLAG_FIELDS and not _is_scalar(value):
        return f"is {_kind(value)}, not true or false"
    return None


def _text_problem(key: str, value: Any) -> str | None:
    if key == "author" and isinstance(value, Mapping | list | tuple):
        return None  # a mapping with a name, or a list of names
    if not _is_scalar(value) or isinstance(value, bool):
        return f"is {_kind(value)}, not text"
    if _CONTROL.search(str(value)):
        return "holds control characters"
    size = len(str(value))
    return f"is {size} characters long (limit {MAX_CHARS[key]})" if size > MAX_CHARS[key] else None


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | date)


def _kind(value: Any) -> str:
    names = {"dict": "a mapping", "list": "a list", "bool": "true/false", "NoneType": "empty"}
    return names.get(type(value).__name__, f"a {type(value).__name__}")


def metadata(meta: Mapping[str, Any]) -> dict[str, Any]:
    """Article fields from front matter, each read leniently (a bad value drops only that field)."""
    canonical = _string(meta.get("canonical")) or None
    return {
        "url": _string(meta.get("url")) or _string(meta.get("permalink")) or canonical or "",
        "canonical": canonical,
        "description": clean(_string(meta.get("description"))),
        "author": _author(meta.get("author")),
        "published": parse_date(meta.get("date")),
        "updated": parse_date(meta.get("updated")),
        "reviewed": parse_date(meta.get("reviewed")),
        "tags": _strings(meta.get("tags"), split=","),
        "aliases": _strings(meta.get("aliases")),
        "redirect_from": _strings(meta.get("redirect_from")),
        "draft": _flag(meta.get("draft")),
        "noindex": _flag(meta.get("noindex")),
    }


def _string(value: Any) -> str:
    """A scalar as stripped text; lists, mappings and None give ''."""
    if value is None or isinstance(value, Mapping | list | tuple | set | bool):
        return ""
    return str(value).strip()


def _strings(value: Any, split: str | None = None) -> tuple[str, ...]:
    """A list (or a lone string) as a tuple of non-empty strings."""
    if isinstance(value, str):
        items: Sequence[Any] = value.split(split) if split else [value]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return ()
    return tuple(s for s in (clean(_string(v)) for v in items) if s)


def _author(value: Any) -> str:
    """Author as text: a name, a list of names, or a mapping with a `name`."""
    if isinstance(value, Mapping):
        return clean(_string(value.get("name")))
    if isinstance(value, list | tuple):
        return ", ".join(_strings(value))
    return clean(_string(value))


def parse_date(value: Any) -> date | None:
    """A date from a YAML date or an ISO string; anything else (or an impossible date): None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _ISO_DATE.match(value) if isinstance(value, str) else None
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _flag(value: Any) -> bool:
    """YAML booleans, plus 'yes'/'true'/'1' strings some exporters write."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in _TRUE


# --- body -------------------------------------------------------------------------------------


def _first_h1(tokens: Sequence[Token]) -> str:
    """Text of the first `# H1`, or ''."""
    for i, tok in enumerate(tokens[:-1]):
        if tok.type == "heading_open" and tok.tag == "h1":
            return _inline(tokens[i + 1])[0]
    return ""


def same_text(a: str, b: str) -> bool:
    """Equal after collapsing whitespace and case (an H1 that repeats the title)."""
    return clean(a).casefold() == clean(b).casefold()


class _Walker:
    """Turns block tokens into sections and links, tracking the heading each link sits under."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[Section] = []
        self.heading, self.level = "", 1
        self.paragraphs: list[str] = []
        self.stack: list[tuple[int, str]] = []
        self.links: list[Link] = []
        self.row: list[tuple[str, list[RawLink]]] = []

    def walk(self, tokens: Sequence[Token]) -> tuple[list[Section], list[Link]]:
        """Sections (the lead only when it has text) and links in document order."""
        for i, tok in enumerate(tokens):
            if tok.type == "inline":
                self._inline_block(tokens[i - 1] if i else None, tok)
            elif tok.type == "tr_close":
                self._emit_row()
        self._close_section()
        return self.sections, self.links

    def _inline_block(self, opener: Token | None, tok: Token) -> None:
        """Route an inline token by the block that holds it."""
        text, raw = _inline(tok)
        kind = opener.type if opener else ""
        if opener is not None and kind == "heading_open":
            self._heading(int(opener.tag[1:]), text, raw)
        elif kind in {"th_open", "td_open"}:
            self.row.append((text, raw))
        else:
            self._paragraph(text, raw)

    def _heading(self, level: int, text: str, raw: list[RawLink]) -> None:
        """Start a section, unless this is the H1 that repeats the title."""
        if not (level == 1 and same_text(text, self.title)):
            self._close_section()
            self.heading, self.level = text, level
            while self.stack and self.stack[-1][0] >= level:
                self.stack.pop()
            self.stack.append((level, text))
        self._links(text, raw)

    def _paragraph(self, text: str, raw: list[RawLink]) -> None:
        if text:
            self.paragraphs.append(text)
        self._links(text, raw)

    def _emit_row(self) -> None:
        """A table row is one paragraph, cells joined by ' | ' (link offsets shifted to match)."""
        parts: list[str] = []
        raw: list[RawLink] = []
        for text, links in self.row:
            if not text and not links:
                continue
            shift = sum(len(p) for p in parts) + 3 * len(parts)
            raw += [(href, anchor, offset + shift) for href, anchor, offset in links]
            parts.append(text)
        self.row = []
        self._paragraph(" | ".join(parts), raw)

    def _links(self, text: str, raw: list[RawLink]) -> None:
        related = any(RELATED_HEADING.search(h) for _, h in self.stack)
        kind = LinkKind.RELATED if related else LinkKind.BODY
        for href, anchor, offset in raw:
            sentence = sentence_at(text, offset) if text else ""
            self.links.append(Link(href, anchor, self.heading, sentence, kind))

    def _close_section(self) -> None:
        if self.heading or self.paragraphs:
            self.sections.append(Section(self.heading, tuple(self.paragraphs), self.level))
        self.paragraphs = []


class TextBuffer:
    """Whitespace-collapsing accumulator whose `size` is always an offset into the final text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []  # offset of each part, so `since` joins only the tail
        self.size = 0
        self.space = True

    def add(self, piece: str) -> None:
        if "  " in piece or not piece.isprintable():  # any whitespace but single spaces
            piece = _SPACES.sub(" ", piece)
        if self.space:
            piece = piece.lstrip(" ")
        if piece:
            self.parts.append(piece)
            self.starts.append(self.size)
            self.size += len(piece)
            self.space = piece.endswith(" ")

    def since(self, start: int) -> tuple[str, int]:
        """Stripped text added since `start`, and the offset where it begins."""
        first = max(bisect_right(self.starts, start) - 1, 0)
        skip = start - self.starts[first] if self.starts else 0
        raw = "".join(self.parts[first:])[skip:]
        return raw.strip(), start + len(raw) - len(raw.lstrip())

    def value(self) -> str:
        return "".join(self.parts).rstrip(" ")


def _inline(tok: Token) -> tuple[str, list[RawLink]]:
    """Plain text of an inline token (markup stripped, anchors kept) and the links in it."""
    if not _MARKUP.search(tok.content):  # never inline-parsed: text and line breaks only
        return clean(tok.content), []
    return _flatten(tok.children or [])


def _flatten(children: Sequence[Token]) -> tuple[str, list[RawLink]]:
    """Text of parsed inline tokens, whitespace collapsed, and the links among them."""
    out = TextBuffer()
    links: list[RawLink] = []
    open_links: list[tuple[str, int, str]] = []  # href, start, image alt
    for child in children:
        href = _opens_link(child)
        if href is not None:
            open_links.append((href, out.size, ""))
        elif _closes_link(child) and open_links:
            href, start, alt = open_links.pop()
            anchor, offset = out.since(start)
            links.append((href, anchor or alt, offset))
        elif child.type == "image" and open_links:
            href, start, _ = open_links[-1]
            open_links[-1] = (href, start, clean(child.content))
        elif child.type in {"text", "code_inline"}:
            out.add(child.content)
        elif child.type in {"softbreak", "hardbreak"}:
            out.add(" ")
    return out.value(), links


def _opens_link(tok: Token) -> str | None:
    """The href a token opens: a Markdown link, an autolink, or inline `<a href>` HTML."""
    if tok.type == "link_open":
        return str(tok.attrs.get("href", ""))
    if tok.type == "html_inline":
        m = _HTML_A_OPEN.match(tok.content)
        if m:
            return next(g for g in m.groups() if g is not None)
    return None


def _closes_link(tok: Token) -> bool:
    return tok.type == "link_close" or (
        tok.type == "html_inline" and bool(_HTML_A_CLOSE.match(tok.content.strip()))
    )
