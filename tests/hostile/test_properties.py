"""Property tests: the URL normaliser and every reader hold their contract for any input.

Readers may only raise ArticleError (an unusable article is reported, never a crash), and the
registry never raises at all; URLs normalise idempotently, never keep a fragment, and relative links
found on the site stay on the site. A short run of scripts/fuzz.py covers each reader as well.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from graph.errors import ArticleError, LinkgraphError
from graph.ingest import html, markdown, text
from graph.ingest.registry import read_file
from graph.ingest.urls import Site, normalise
from graph.query import check_query
from graph.records import Article, Skipped

ROOT = Path(__file__).resolve().parents[2]
SITE = Site("https://site.example/", ["/articles/{slug}/"])
BASE = "https://site.example/articles/back-pain/"
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- strategies

_schemes = st.sampled_from(["http", "https", "HTTPS", "ftp", "mailto", "javascript", "file", "data", "x-app"])
_hosts = st.sampled_from(["site.example", "WWW.Site.Example", "site.example.", "other.example", "127.0.0.1",
                          "[::1]", "xn--bcher-kva.example", "a", "site.example:8080", "site.example:443",
                          "site.example:port", "[zz]", "user:pw@site.example", ""])
_segments = st.one_of(st.sampled_from(["..", ".", "", "index.html", "%2e%2e", "a%2Fb", "b.pdf", "ü", "%", "%zz",
                                       ";p", "\\", " x "]),
                      st.text(max_size=8))
_paths = st.lists(_segments, max_size=6).map("/".join)
_queries = st.lists(st.tuples(st.sampled_from(["utm_source", "q", "gclid", "page", "", "a b"]), st.text(max_size=5)),
                    max_size=3).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))
_fragments = st.one_of(st.just(""), st.text(max_size=6).map(lambda f: "#" + f))


@st.composite
def urls(draw: st.DrawFn) -> str:
    """Absolute URLs with the awkward parts real pages contain."""
    return f"{draw(_schemes)}://{draw(_hosts)}/{draw(_paths)}?{draw(_queries)}{draw(_fragments)}"


relative_hrefs = st.tuples(st.sampled_from(["", "/", "./", "../", "../../../../", "/articles/"]), _paths,
                           _fragments).map("".join).filter(
    lambda h: h.strip() and not h.strip().startswith(("//", "#")) and ":" not in h)
anything = st.one_of(urls(), relative_hrefs, st.text(max_size=60))

# Structure characters of each format, so random text reaches deep into the parsers.
FRAGMENTS = {
    "md": ["---\n", "title: ", "[a](", "](/x/)", "<a href='/y/'>", "</a>", "\n\n", "# ", "## Related\n", "- ",
           "> ", "```", "|", "|---|\n", "![i](", "*", "_", "&#xD800;", "<", "\\", "\r\n", "\x00", "\ufeff"],
    "html": ["<main>", "</main>", "<p>", "</p>", "<a href='/z/'>", "</a>", "<div>", "<h2>", "Related", "<nav>",
             "<table><tr><td>", "<time datetime='2024-02-30'>", "<!--", "<script>", "&amp;", "&#0;", "<", ">",
             "<title>", "<link rel=canonical href=", "\x00"],
    "txt": ["\n", "\n\n", "Related Articles\n", "Read More\n", "• ", "- ", "?", ".", "Causes\n", "\x0c", "\t"],
    "csv": [",", "\"", "\n", "title,body\n", "Title;Body\n", "format\n", "html", "<p>", "\r", "slug,body,url\n"],
    "jsonl": ["{", "}", "\"title\":", "\"body\":", "\"x\"", ",", "\n", "[", "]", "null", "\\ud800", "1e999"],
    "xml": ["<rss>", "<channel>", "<item>", "</item>", "xmlns:wp='http://wordpress.org/export/1.2/'",
            "<wp:post_type>post</wp:post_type>", "<!DOCTYPE x [<!ENTITY a 'b'>]>", "&a;", "<![CDATA[", "]]>"],
}


def documents(fmt: str) -> st.SearchStrategy[str]:
    """Text mixing a format's structure characters with arbitrary characters."""
    pieces = st.one_of(st.sampled_from(FRAGMENTS[fmt]), st.text(max_size=12))
    return st.lists(pieces, max_size=40).map("".join)


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
              st.dates(min_value=date(1, 1, 1))),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)
front_matter = st.dictionaries(
    st.one_of(st.sampled_from(["title", "slug", "date", "updated", "reviewed", "tags", "aliases", "author",
                               "description", "draft", "noindex", "url", "canonical", "redirect_from", "Title"]),
              st.text(max_size=8)),
    yaml_values, max_size=8)


# --------------------------------------------------------------------------- URLs


@QUICK
@given(anything, st.one_of(st.none(), urls(), st.just(BASE)))
@example("http://x.example:port/", None)
@example("http://[::1", None)
@example("http://x.example/\ud800", None)
def test_normalise_never_raises_and_never_keeps_a_fragment(href: str, base: str | None) -> None:
    url = normalise(href, base)
    assert url is None or (isinstance(url, str) and "#" not in url)


@QUICK
@given(anything, st.one_of(st.none(), urls(), st.just(BASE)))
def test_normalise_is_idempotent(href: str, base: str | None) -> None:
    url = normalise(href, base)
    assume(url is not None)
    assert url is not None and normalise(url) == url


@QUICK
@given(relative_hrefs)
@example("../../../../etc/passwd")
@example("/..%2F..%2Fx")
def test_relative_links_stay_on_the_site(href: str) -> None:
    url = SITE.resolve(href, BASE)
    assert url is not None
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "site.example") and not parts.fragment
    assert SITE.resolve(url, None) == url


@QUICK
@given(anything)
def test_site_resolve_is_idempotent_and_internal_variants_land_on_site_url(href: str) -> None:
    url = SITE.resolve(href, BASE)
    assume(url is not None)
    assert url is not None and SITE.resolve(url, None) == url
    if SITE.is_internal(url):
        assert url.startswith("https://site.example/")


# --------------------------------------------------------------------------- readers


READERS = {"md": markdown.read, "html": html.read, "txt": text.read}


@pytest.mark.parametrize("fmt", sorted(READERS))
@QUICK
@given(data=st.data())
def test_page_readers_raise_only_article_errors(fmt: str, data: st.DataObject) -> None:
    page = data.draw(documents(fmt))
    try:
        article = READERS[fmt](f"page.{fmt}", page)
    except ArticleError:
        return
    assert isinstance(article, Article) and article.sections


@pytest.mark.parametrize("fmt", sorted(FRAGMENTS))
@QUICK
@given(data=st.data())
def test_the_registry_never_raises(fmt: str, data: st.DataObject) -> None:
    records = list(read_file(f"file.{fmt}", data.draw(documents(fmt))))
    assert all(isinstance(r, Article | Skipped) for r in records)
    for record in records:
        if isinstance(record, Article):
            _assert_writable(record)


def _assert_writable(article: Article) -> None:
    """Every text field survives UTF-8 encoding (what the CSV, RDF and HTML writers need)."""
    for value in (article.title, article.slug, article.text, article.description, *(lk.anchor for lk in article.links)):
        value.encode("utf-8")


@QUICK
@given(front_matter, st.text(max_size=80))
@example({"title": "\ud800"}, "Body.")
@example({"tags": "x" * 10}, "Body.")
def test_any_front_matter_gives_an_article_or_an_article_error(meta: dict[str, object], body: str) -> None:
    try:
        dumped = yaml.safe_dump(meta, allow_unicode=True)
    except yaml.YAMLError:
        return
    try:
        article, notes = markdown.read_noted("page.md", f"---\n{dumped}---\n{body}\nBack pain text.\n")
    except ArticleError:
        return
    _assert_writable(article)
    assert all(isinstance(n, str) and n for n in notes)


@QUICK
@given(st.text(max_size=200))
@example("SELECT * WHERE " + "{" * 400)
def test_the_query_guard_raises_only_linkgraph_errors(query: str) -> None:
    with contextlib.suppress(LinkgraphError):
        check_query(query)


# --------------------------------------------------------------------------- the fuzz script, briefly


def _fuzz_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz", ROOT / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("fuzz", module)
    spec.loader.exec_module(module)
    return module


def test_a_brief_fuzz_of_every_reader_finds_nothing(tmp_path: Path) -> None:
    fuzz = _fuzz_module()
    findings = [f for reader in fuzz.READERS for f in fuzz.fuzz(reader, seconds=0.4, seed=7, save_to=tmp_path)]
    assert findings == []
    assert list(tmp_path.iterdir()) == []
