"""Give every article its URL and every link its target and status, once all articles are known."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from graph.ingest.text import TitleIndex, normalise_title
from graph.ingest.urls import Site, safe_slug
from graph.records import Article, Link, LinkKind, LinkStatus, Skipped


@dataclass(frozen=True)
class Corpus:
    """Articles with resolved URLs and links, plus the redirects the corpus declares."""

    articles: tuple[Article, ...]
    redirects: Mapping[str, str]
    skipped: tuple[Skipped, ...]

    def by_url(self) -> dict[str, Article]:
        """Articles keyed by their URL."""
        return {a.url: a for a in self.articles}


def assign_urls(articles: Iterable[Article], site: Site) -> tuple[list[Article], list[Skipped]]:
    """Front matter url/canonical first, else the URL pattern; duplicates: first by path wins."""
    kept: dict[str, Article] = {}
    skipped: list[Skipped] = []
    for article in sorted(articles, key=lambda a: a.path):
        article = _with_safe_slug(article, skipped)
        own = site.resolve(article.url, None) if article.url else None
        url = own or site.article_url(article.slug)
        canonical = site.resolve(article.canonical, url) if article.canonical else None
        if url in kept:
            skipped.append(Skipped(article.path, "skipped", f"duplicate URL {url} (also {kept[url].path})"))
            continue
        kept[url] = replace(article, url=url, canonical=canonical)
    return list(kept.values()), skipped


def _with_safe_slug(article: Article, skipped: list[Skipped]) -> Article:
    """The article with a slug that cannot leave its URL pattern (`../`, NUL, '/'); a change is reported."""
    fallback = "page-" + hashlib.sha256(article.path.encode()).hexdigest()[:10]
    slug = safe_slug(article.slug, fallback)
    if slug == article.slug:
        return article
    reason = f"slug {article.slug[:80]!r} is not usable in a URL; used {slug!r}"
    skipped.append(Skipped(article.path, "repaired", reason))
    return replace(article, slug=slug)


def redirect_map(articles: Iterable[Article], site: Site, extra: Mapping[str, str]) -> dict[str, str]:
    """Old URL -> final URL, from front matter `redirect_from` and the config table; chains followed."""
    table = {}
    for a in articles:
        for old in a.redirect_from:
            src = site.resolve(old, a.url)
            if src and src != a.url:
                table[src] = a.url
    for old, new in extra.items():
        src, dst = site.resolve(old, None), site.resolve(new, None)
        if src and dst:
            table[src] = dst
    return {src: _follow(table, src) for src in table}


def _follow(table: Mapping[str, str], url: str) -> str:
    seen = {url}
    while url in table and table[url] not in seen:
        url = table[url]
        seen.add(url)
    return url


def resolve(articles: Iterable[Article], site: Site, redirects: Mapping[str, str] | None = None) -> Corpus:
    """The whole corpus resolved: URLs, recovered plain-text links, link targets and statuses."""
    placed, skipped = assign_urls(articles, site)
    urls = {a.url for a in placed}
    moved = redirect_map(placed, site, redirects or {})
    titles = _title_table(placed)
    index = TitleIndex(titles)
    by_title = {normalise_title(t): u for t, u in titles.items()}
    resolver = _LinkResolver(site, urls, moved, by_title)
    done = []
    for article in placed:
        links = list(article.links)
        if article.format == "txt":
            links.extend(index.find(article))
        resolved = tuple(r for r in (resolver.resolve(link, article.url) for link in links) if r)
        done.append(replace(article, links=resolved))
    return Corpus(tuple(done), moved, tuple(skipped))


def _title_table(articles: Iterable[Article]) -> dict[str, str]:
    table: dict[str, str] = {}
    for a in articles:
        for title in (a.title, *a.aliases):
            table.setdefault(title, a.url)
    return table


@dataclass(frozen=True)
class _LinkResolver:
    site: Site
    urls: set[str]
    redirects: Mapping[str, str]
    by_title: Mapping[str, str]

    def resolve(self, link: Link, base: str) -> Link | None:
        """The link with target and status set; None for hrefs that are not web links (mailto:...)."""
        if not link.href:
            target = self.by_title.get(normalise_title(link.anchor))
            if target is None:
                return replace(link, status=LinkStatus.UNRESOLVED)
            return replace(link, target=target, status=LinkStatus.OK)
        target = self.site.resolve(link.href, base)
        if target is None:
            return None
        if not self.site.is_internal(target):
            return replace(link, target=target, kind=LinkKind.EXTERNAL, status=LinkStatus.OK)
        final, status = self._internal(target)
        return replace(link, target=final, status=status)

    def _internal(self, target: str) -> tuple[str, LinkStatus]:
        if target in self.redirects:
            return self.redirects[target], LinkStatus.REDIRECT
        if target in self.urls:
            return target, LinkStatus.OK
        if self.site.slug_of(target) is not None:
            return target, LinkStatus.BROKEN
        return target, LinkStatus.OUTSIDE
