"""Read an HTML article: metadata from <head>, text and links from the main content block.

Every `<a href>` is kept with a kind: BODY inside the main content, RELATED inside a related-articles
block, NAV anywhere else (menus, header, footer, sidebars). Hrefs stay raw; a later stage resolves.

>>> a = read("gerd.html", "<title>GERD | Site</title><nav><a href='/'>Home</a></nav>"
...          "<main><p>Reflux burns. Try <a href='/diet/'>diet changes</a> first.</p></main>")
>>> a.title, [(l.kind.value, l.anchor, l.sentence) for l in a.links]
('GERD', [('nav', 'Home', ''), ('body', 'diet changes', 'Try diet changes first.')])
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from graph.errors import ArticleError
from graph.ingest.markdown import (
    RELATED_HEADING,
    TextBuffer,
    check_text,
    parse_date,
    same_text,
    stem_slug,
)
from graph.ingest.sentences import clean, sentence_at
from graph.records import Article, Link, LinkKind, Section

NON_CONTENT = ["script", "style", "noscript", "template"]
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
NAV_TAGS = frozenset({"nav", "header", "footer"})
NAV_SECTION = "nav"  # the section name every NAV link carries
NAV_WORDS = ("menu", "breadcrumb", "byline")
RELATED_TAGS = frozenset({"aside", "section", "div"})
MAX_DEPTH = 128  # elements below <body>; deeper markup is read as plain text
# Tags whose text is never article text (UI widgets, code); links inside them count as NAV.
SKIP_TAGS = frozenset({"pre", "svg", "math", "button", "select", "textarea", "form", "iframe"})
# Tags that end one paragraph and start another; any other tag is inline.
BLOCK_TAGS = frozenset({
    "p", "li", "dd", "dt", "blockquote", "div", "section", "article", "main", "aside", "ul", "ol",
    "dl", "table", "thead", "tbody", "tfoot", "tr", "figure", "figcaption", "details", "summary",
    "address", "hr", "h4", "h5", "h6", "caption", "center",
})
_TITLE_SUFFIX = re.compile(r"^(?P<title>.+?)\s+[|\-–—]\s+[^|\-–—]+$")
_BYLINE = re.compile(r"^\s*by\s+(?P<name>[^·|•]+?)\s*(?:[·|•]|\bupdated\b|\bpublished\b|$)", re.I)
_TIME_LABEL = re.compile(r"(updated|modified|revised|reviewed)\W*$", re.I)


def read(path: str, text: str) -> Article:
    """One Article from an HTML file's text; ArticleError when it has no article text."""
    return read_noted(path, text)[0]


def read_noted(path: str, text: str) -> tuple[Article, tuple[str, ...]]:
    """The Article and a note when markup nested too deeply had to be flattened to text."""
    tree = LexborHTMLParser(check_text(text))
    tree.strip_tags(NON_CONTENT, recursive=True)
    body = tree.body
    if body is None:
        raise ArticleError("no <body> in the document")
    flattened = _flatten_deep(body)
    related = _RelatedMemo()
    main = _main_content(body, related)
    slug = stem_slug(path)
    title = _title(tree, body, main) or slug
    walker = _Walker(title, _ancestors(main), related)
    walker.walk_page(body, main)
    if not any(s.paragraphs for s in walker.sections):
        raise ArticleError("no article text in the HTML")
    notes = (f"markup nested over {MAX_DEPTH} levels deep: {flattened} block(s) read as plain text",)
    article = Article(path=path, slug=slug, title=title, format="html", sections=tuple(walker.sections),
                      links=tuple(walker.links), **_metadata(tree, main, related))
    return article, notes if flattened else ()


def _flatten_deep(body: LexborNode) -> int:
    """Replace each element at depth MAX_DEPTH that still has children by its text; how many were.

    The walk below recurses once per level, and each paragraph looks at all its ancestors, so
    50,000 nested <div>s would exhaust the stack or take hours. No real page nests this deep.
    """
    depth: dict[int, int] = {}
    cut = []
    for node in body.traverse():
        parent = node.parent
        level = depth.get(parent.mem_id, 0) + 1 if parent is not None else 0
        depth[node.mem_id] = level
        if level == MAX_DEPTH and node.child is not None:
            cut.append(node)
    for node in cut:
        node.replace_with(node.text(separator=" "))
    return len(cut)


# --- metadata ---------------------------------------------------------------------------------


def _meta(tree: LexborHTMLParser) -> dict[str, str]:
    """<meta> contents keyed by lower-cased name, property or itemprop (first one wins)."""
    out: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        key = attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or ""
        out.setdefault(key.strip().lower(), clean(attrs.get("content") or ""))
    return out


def _metadata(tree: LexborHTMLParser, main: LexborNode, related: _RelatedMemo) -> dict[str, Any]:
    """Article fields from <head> metadata, with byline and <time> fallbacks from the content."""
    meta = _meta(tree)
    canonical = _canonical(tree)
    dates = _time_dates(main, related)
    published = meta.get("article:published_time") or meta.get("datepublished")
    updated = meta.get("article:modified_time") or meta.get("datemodified")
    return {
        "url": canonical or "",
        "canonical": canonical,
        "description": meta.get("description") or meta.get("og:description", ""),
        "author": meta.get("author") or _byline_author(main),
        "published": parse_date(published) or dates.get("published"),
        "updated": parse_date(updated) or dates.get("updated"),
        "reviewed": dates.get("reviewed"),
        "noindex": "noindex" in meta.get("robots", "").lower(),
    }


def _canonical(tree: LexborHTMLParser) -> str | None:
    """The href of the first <link rel=canonical>, raw."""
    for node in tree.css("link[rel][href]"):
        rel = (node.attributes.get("rel") or "").lower().split()
        href = (node.attributes.get("href") or "").strip()
        if "canonical" in rel and href:
            return href
    return None


def _time_dates(main: LexborNode, related: _RelatedMemo) -> dict[str, date]:
    """Dates from <time datetime> in the content (not in related blocks), named by context."""
    out: dict[str, date] = {}
    for node in main.css("time[datetime]"):
        if any(related(n) is not None for n in _lineage(node)):
            continue
        value = parse_date(node.attributes.get("datetime") or "")
        if value is not None:
            out.setdefault(_time_role(node), value)
    return out


def _time_role(node: LexborNode) -> str:
    """'updated', 'reviewed' or 'published', from itemprop or the text right before the <time>."""
    prop = (node.attributes.get("itemprop") or "").lower()
    if prop in {"datemodified", "datepublished"}:
        return "updated" if prop == "datemodified" else "published"
    before = node.prev.text_content if node.prev is not None and node.prev.is_text_node else ""
    m = _TIME_LABEL.search(before or "")
    if m is None:
        return "published"
    return "reviewed" if m.group(1).lower() == "reviewed" else "updated"


def _byline_author(main: LexborNode) -> str:
    """Author from a 'By Name · Updated ...' byline when no <meta name=author> exists."""
    for node in main.css("[class*=byline], [rel=author], [itemprop=author]"):
        text = clean(node.text())
        m = _BYLINE.match(text)
        if m or node.attributes.get("rel") or node.attributes.get("itemprop"):
            return clean(m.group("name")) if m else text
    return ""


def _title(tree: LexborHTMLParser, body: LexborNode, main: LexborNode) -> str:
    """The main content's <h1>, else any <h1> outside navigation, else <title> minus its site name."""
    for scope, skip_nav in ((main, False), (body, True)):
        for h1 in scope.css("h1"):
            text = clean(h1.text())
            if text and not (skip_nav and _in_nav(h1)):
                return text
    node = tree.css_first("title")
    return strip_site_suffix(clean(node.text())) if node is not None else ""


def strip_site_suffix(title: str) -> str:
    """'Sciatica | HealthGuide' -> 'Sciatica'; ' | ' is preferred over dashes as the separator.

    >>> strip_site_suffix("Sciatica | Guide"), strip_site_suffix("Heat – or Ice - Guide")
    ('Sciatica', 'Heat – or Ice')
    """
    if " | " in title:
        return title.rsplit(" | ", 1)[0].strip() or title
    m = _TITLE_SUFFIX.match(title)
    return m.group("title").strip() if m else title


# --- where a node sits --------------------------------------------------------------------------


def _classes(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}".lower()


def _is_nav(node: LexborNode) -> bool:
    """Site chrome: nav/header/footer, role=navigation, a menu/breadcrumb/byline class or id."""
    if node.tag in NAV_TAGS or (node.attributes.get("role") or "").lower() == "navigation":
        return True
    names = _classes(node)
    return node.tag not in {"html", "body"} and any(w in names for w in NAV_WORDS)


def _in_nav(node: LexborNode) -> bool:
    return any(_is_nav(n) for n in _lineage(node))


def _lineage(node: LexborNode) -> Iterator[LexborNode]:
    """The node and its element ancestors, nearest first."""
    current: LexborNode | None = node
    while current is not None and current.is_element_node:
        yield current
        current = current.parent


def _related_heading(node: LexborNode) -> str | None:
    """The heading of a related-articles block ('' if it has none), or None if `node` is not one.

    A block qualifies by a 'related' class, or by a first heading that reads like 'Related
    articles' / 'See also' and outranks every other heading in it (so a wrapper around the whole
    article never qualifies just because its first heading is 'More on sleep').
    """
    if node.tag not in RELATED_TAGS:
        return None
    headings = node.css("h1, h2, h3, h4, h5, h6")
    first = clean(headings[0].text()) if headings else ""
    if "related" in (node.attributes.get("class") or "").lower():
        return first
    if not headings or not RELATED_HEADING.search(first):
        return None
    top = HEADINGS[headings[0].tag or "h6"]
    return first if all(HEADINGS[h.tag or "h6"] > top for h in headings[1:]) else None


class _RelatedMemo(dict[int, str | None]):
    """`_related_heading` remembered per node of one document.

    It searches the node's subtree, and every paragraph and <time> asks it about all its ancestors:
    without the memo a page of 20,000 paragraphs in one wrapper takes minutes.
    """

    def __call__(self, node: LexborNode) -> str | None:
        key = node.mem_id
        if key not in self:
            self[key] = _related_heading(node)
        return self[key]


def _ancestors(node: LexborNode) -> frozenset[int]:
    """Memory ids of `node` and everything above it: none of them can be a nav or related zone."""
    return frozenset(n.mem_id for n in _lineage(node))


# --- main content -----------------------------------------------------------------------------


def _main_content(body: LexborNode, related: _RelatedMemo) -> LexborNode:
    """<main>, else <article>, else [role=main], else the block holding the most paragraph text."""
    for selector in ("main", "article", "[role=main]"):
        node = body.css_first(selector)
        if node is not None:
            return node
    return _densest(body, related)


def _densest(body: LexborNode, related: _RelatedMemo) -> LexborNode:
    """Readability-style: each <p> scores its parent fully and its grandparent by half."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for p in body.css("p"):
        if any(_is_nav(n) or related(n) is not None for n in _lineage(p)):
            continue
        weight = float(len(clean(p.text())))
        for share, holder in zip((1.0, 0.5), (p.parent, p.parent and p.parent.parent), strict=True):
            if holder is not None and holder.tag not in {None, "html", "-document"}:
                scores[holder.mem_id] = scores.get(holder.mem_id, 0.0) + weight * share
                nodes[holder.mem_id] = holder
    if not scores:
        return body
    return nodes[max(scores, key=lambda k: scores[k])]


# --- walking the page -------------------------------------------------------------------------


@dataclass
class _Walker:
    """One document-order pass: sections and BODY links from main, NAV/RELATED links elsewhere."""

    title: str
    protected: frozenset[int]
    related: _RelatedMemo = field(default_factory=_RelatedMemo)
    sections: list[Section] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    heading: str = ""
    level: int = 1
    stack: list[tuple[int, str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    buf: TextBuffer | None = None
    pending: list[tuple[str, str, int]] = field(default_factory=list)

    def walk_page(self, body: LexborNode, main: LexborNode) -> None:
        """Outside main every link is NAV, except in related blocks; main is read as content."""
        if main.mem_id == body.mem_id:
            self._content(body)
        else:
            self._outside(body, main)
        self._close_section()

    def _outside(self, node: LexborNode, main: LexborNode) -> None:
        for child in node.iter():
            if child.mem_id == main.mem_id:
                self._content(child)
            elif self._zone(child):
                continue
            elif child.tag == "a" and "href" in child.attributes:
                self._zone_links(child, LinkKind.NAV, NAV_SECTION)
            else:
                self._outside(child, main)

    def _zone(self, node: LexborNode) -> bool:
        """Collect the links of a nav or related block; True if `node` was one."""
        if node.mem_id in self.protected:
            return False
        if _is_nav(node):
            self._zone_links(node, LinkKind.NAV, NAV_SECTION)
            return True
        heading = self.related(node)
        if heading is not None:
            self._zone_links(node, LinkKind.RELATED, heading)
        return heading is not None

    def _zone_links(self, node: LexborNode, kind: LinkKind, section: str) -> None:
        anchors = [node] if node.tag == "a" else node.css("a[href]")
        for a in anchors:
            if "href" in a.attributes:
                sentence = _context_sentence(a, node) if kind is LinkKind.RELATED else ""
                self.links.append(Link(_href(a), _anchor(a), section, sentence, kind))

    # main content: text, headings and inline links

    def _content(self, node: LexborNode) -> None:
        for child in node.iter(include_text=True):
            tag = child.tag or ""
            if child.is_text_node:
                self._text(child.text_content or "")
            elif not child.is_element_node or self._zone(child):
                continue
            elif tag in SKIP_TAGS:
                self._zone_links(child, LinkKind.NAV, NAV_SECTION)
            elif tag in {"h1", "h2", "h3"}:
                self._heading(child, HEADINGS[tag])
            elif tag == "a" and "href" in child.attributes:
                self._link(child)
            else:
                self._element(child, tag)

    def _element(self, node: LexborNode, tag: str) -> None:
        """Block tags bound paragraphs; cells are joined by ' | '; inline tags just add text."""
        if tag == "br":
            self._text(" ")
        elif tag in {"td", "th"} and self.buf is not None and self.buf.size:
            self._text(" | ")
        block = tag in BLOCK_TAGS
        if block:
            self._flush()
        self._content(node)
        if block:
            self._flush()

    def _text(self, text: str) -> None:
        if self.buf is None:
            if not text.strip():
                return
            self.buf = TextBuffer()
        self.buf.add(text)

    def _link(self, node: LexborNode) -> None:
        if self.buf is None:
            self.buf = TextBuffer()
        buf, start = self.buf, self.buf.size
        self._content(node)
        if self.buf is buf:
            anchor, offset = buf.since(start)
            self.pending.append((_href(node), anchor or _anchor(node), offset))
        else:  # the link wraps blocks (a card around a <div> or <h2>): its own text is its sentence
            anchor = _anchor(node)
            self._record(anchor, [(_href(node), anchor, 0)])

    def _heading(self, node: LexborNode, level: int) -> None:
        """h2/h3 (and an h1 that is not the title) start a section; links in them keep the heading."""
        self._flush()
        self.buf = TextBuffer()
        self._content(node)
        text, pending = self._take()
        if not (level == 1 and same_text(text, self.title)):
            self._start_section(text, level)
        self._record(text, pending)

    def _start_section(self, heading: str, level: int) -> None:
        self._close_section()
        self.heading, self.level = heading, level
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, heading))

    def _take(self) -> tuple[str, list[tuple[str, str, int]]]:
        text = self.buf.value() if self.buf is not None else ""
        pending, self.buf, self.pending = self.pending, None, []
        return text, pending

    def _flush(self) -> None:
        """End the current paragraph: keep its text and give its links their sentences."""
        text, pending = self._take()
        if text:
            self.paragraphs.append(text)
        self._record(text, pending)

    def _record(self, text: str, pending: list[tuple[str, str, int]]) -> None:
        related = any(RELATED_HEADING.search(h) for _, h in self.stack)
        kind = LinkKind.RELATED if related else LinkKind.BODY
        for href, anchor, offset in pending:
            sentence = sentence_at(text, offset) if text else ""
            self.links.append(Link(href, anchor, self.heading, sentence, kind))

    def _close_section(self) -> None:
        self._flush()
        if self.heading or self.paragraphs:
            self.sections.append(Section(self.heading, tuple(self.paragraphs), self.level))
        self.paragraphs = []


def _href(node: LexborNode) -> str:
    return (node.attributes.get("href") or "").strip()


def _anchor(node: LexborNode) -> str:
    """Visible text of a link, else its image alt, aria-label or title."""
    text = clean(node.text())
    if text:
        return text
    img = node.css_first("img[alt]")
    alt = img.attributes.get("alt") if img is not None else None
    return clean(alt or node.attributes.get("aria-label") or node.attributes.get("title") or "")


def _context_sentence(a: LexborNode, zone: LexborNode) -> str:
    """The sentence around a link in a related block: its list item or paragraph, located by text."""
    holder = a
    for n in _lineage(a):
        if n.tag in {"li", "p", "dd", "td"}:
            holder = n
            break
        if n.mem_id == zone.mem_id:
            break
    text = clean(holder.text())
    return sentence_at(text, max(text.find(_anchor(a)), 0))
