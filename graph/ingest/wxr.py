"""Read a WordPress export (WXR: RSS 2.0 plus the wp: namespace): one Article per post or page.

The XML is parsed with defusedxml and any <!DOCTYPE> is refused, so entity expansion
("billion laughs") and external entities (file://, http://) are never processed: a real WXR file
has no DTD. Bodies (content:encoded) go through the HTML reader; attachments, menu items and
other post types are ignored; drafts and private posts are read with draft=True.

>>> list(read_many("sitemap.xml", "<urlset><url/></urlset>"))[0].reason
'not a WordPress export (no <rss><channel> using the wp: export namespace)'
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, DTDForbidden
from defusedxml.ElementTree import fromstring

from graph.errors import ArticleError
from graph.ingest.exports import record, url_slug
from graph.ingest.sentences import clean
from graph.records import Article, Skipped

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
POST_TYPES = frozenset({"post", "page"})
IGNORED_TERMS = frozenset({"uncategorized"})  # WordPress's default category says nothing about a page
_WP_NAMESPACE = re.compile(r"^\{(http://wordpress\.org/export/\d+(?:\.\d+)*/)\}")
# Paragraph chunks that already start with block markup (or a Gutenberg comment) are left alone.
_STARTS_BLOCK = re.compile(r"^\s*<(?:!--|p|div|h[1-6]|ul|ol|li|table|blockquote|figure|pre|section|hr)\b", re.I)
_SHORTCODE = re.compile(r"\[/?(?:caption|gallery|embed|audio|video|playlist)\b[^\]]*\]", re.I)
_BLANK_LINE = re.compile(r"\n\s*\n")


def read_many(path: str, text: str) -> Iterator[Article | Skipped]:
    """Every post and page in a WXR file; a file that is unsafe or not WXR gives one Skipped row."""
    try:
        channel, wp = _channel(text)
    except ArticleError as exc:
        yield Skipped(path, "skipped", str(exc))
        return
    for n, item in enumerate(channel.findall("item"), start=1):
        if _text(item, f"{wp}post_type") in POST_TYPES:
            yield _item(f"{path}#item{n}", item, wp)


def parse(text: str) -> Element:
    """The document root; ArticleError for a DTD, entities or XML that is not well-formed."""
    try:
        return fromstring(text, forbid_dtd=True)
    except DTDForbidden:
        raise ArticleError("refused: the XML declares a <!DOCTYPE> (entities are never expanded or "
                           "fetched; a WordPress export has none)") from None
    except DefusedXmlException as exc:
        raise ArticleError(f"refused unsafe XML: {exc}") from None
    except ParseError as exc:
        raise ArticleError(f"not well-formed XML ({exc})") from None


def _channel(text: str) -> tuple[Element, str]:
    """The <channel> and the wp: namespace in braces; ArticleError when the file is not WXR."""
    root = parse(text)
    channel = root.find("channel") if root.tag == "rss" else None
    wp = _wp_namespace(channel) if channel is not None else None
    if channel is None or wp is None:
        raise ArticleError("not a WordPress export (no <rss><channel> using the wp: export namespace)")
    return channel, wp


def _wp_namespace(channel: Element) -> str | None:
    """'{http://wordpress.org/export/1.2/}' (any version) if the channel uses it, else None."""
    for node in channel.iter():
        m = _WP_NAMESPACE.match(node.tag)
        if m:
            return "{" + m.group(1) + "}"
    return None


def _text(node: Element, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else ""


# --- one item -------------------------------------------------------------------------------------


def _item(where: str, item: Element, wp: str) -> Article | Skipped:
    """A post or page as export fields, read like a CSV row; trashed posts are skipped."""
    status = _text(item, f"{wp}status") or "publish"
    if status == "trash":
        return Skipped(where, "skipped", "post is in the WordPress trash")
    return record(where, lambda: _fields(item, wp, status))


def _fields(item: Element, wp: str, status: str) -> dict[str, Any]:
    """Export fields (front-matter names) of one item, including Yoast SEO and old-slug metadata."""
    meta = _postmeta(item, wp)
    link, slug = _text(item, "link"), _text(item, f"{wp}post_name")
    return {
        "title": _text(item, "title"),
        "body": autop(_text(item, CONTENT)),
        "format": "html",
        "url": link if urlsplit(link).path.strip("/") else "",  # drafts link to '?p=12': use the pattern
        "slug": slug,
        "date": _text(item, f"{wp}post_date"),
        "updated": _text(item, f"{wp}post_modified"),
        "author": _text(item, CREATOR),
        "description": clean(meta.get("_yoast_wpseo_metadesc", [""])[0]) or _excerpt(item, wp),
        "tags": _terms(item),
        "canonical": meta.get("_yoast_wpseo_canonical", [""])[0],
        "noindex": meta.get("_yoast_wpseo_meta-robots-noindex", [""])[0] == "1",
        "redirect_from": old_urls(link, slug, meta.get("_wp_old_slug", [])),
        "draft": status != "publish",
    }


def _postmeta(item: Element, wp: str) -> dict[str, list[str]]:
    """wp:postmeta pairs; a key may repeat (one _wp_old_slug per rename)."""
    out: dict[str, list[str]] = {}
    for node in item.findall(f"{wp}postmeta"):
        out.setdefault(_text(node, f"{wp}meta_key"), []).append(_text(node, f"{wp}meta_value"))
    return out


def _excerpt(item: Element, wp: str) -> str:
    return clean(_text(item, f"{wp[:-1]}excerpt/}}encoded"))


def _terms(item: Element) -> list[str]:
    """Category and tag names, de-duplicated, without the default 'Uncategorized'."""
    names = [clean(c.text or "") for c in item.findall("category")]
    return list(dict.fromkeys(n for n in names if n and n.lower() not in IGNORED_TERMS))


def old_urls(link: str, slug: str, old_slugs: list[str]) -> list[str]:
    """URLs the post had before a rename: its link with the old slug in place of the current one.

    >>> old_urls("https://site.example/guides/gout/", "gout", ["gout-diet"])
    ['https://site.example/guides/gout-diet/']
    """
    parts = urlsplit(link)
    if not slug or url_slug(link) != slug:
        return []
    stem, tail = parts.path.rstrip("/")[: -len(slug)], "/" if parts.path.endswith("/") else ""
    return [urlunsplit((parts.scheme, parts.netloc, stem + quote(old) + tail, "", ""))
            for old in old_slugs if old and old != slug]


def autop(content: str) -> str:
    """Classic-editor content keeps paragraphs as blank lines; wrap those chunks in <p> like WordPress.

    >>> autop("First idea.\\n\\n<h2>More</h2>\\nSecond [caption id=\\"x\\"]idea[/caption].")
    '<p>First idea.</p>\\n<h2>More</h2>\\nSecond idea.'
    """
    chunks = [c.strip() for c in _BLANK_LINE.split(_SHORTCODE.sub("", content.replace("\r\n", "\n")))]
    return "\n".join(c if _STARTS_BLOCK.match(c) else f"<p>{c}</p>" for c in chunks if c)
