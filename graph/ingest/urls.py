"""The project's only URL normaliser, and the Site that decides what is internal.

>>> site = Site("https://healthguide.example/", ["/articles/{slug}/"])
>>> site.resolve("../sciatica?utm_source=x#causes", "https://healthguide.example/articles/gerd/")
'https://healthguide.example/articles/sciatica/'
>>> site.resolve("http://www.healthguide.example:80/articles/gerd/index.html", None)
'https://healthguide.example/articles/gerd/'
>>> site.resolve("mailto:editor@healthguide.example", None) is None
True
>>> site.slug_of("https://healthguide.example/articles/gerd/")
'gerd'
"""

from __future__ import annotations

import functools
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

NOT_LINKS = frozenset({"mailto", "tel", "javascript", "data", "sms", "file", "ftp", "about", "blob"})
TRACKING = re.compile(r"^(utm_\w+|gclid|fbclid|msclkid|mc_cid|mc_eid|_ga|yclid|ref_src)$", re.I)
DEFAULT_PORTS = {"http": "80", "https": "443"}
INDEX_FILES = ("index.html", "index.htm", "index.php", "default.aspx")
MAX_SLUG = 200
_UNSAFE_SLUG = re.compile(r"[/\\%]")


def normalise(href: str, base: str | None = None) -> str | None:
    """Absolute, canonical form of a link, or None when it is not a web link.

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters,
    removes dot segments and index files, and gives extension-less paths a trailing slash.

    >>> normalise("HTTPS://Example.ORG:443/a/./b/../c?utm_medium=mail&q=1#top")
    'https://example.org/a/c/?q=1'
    >>> normalise("/x/index.html", "https://example.org/y/")
    'https://example.org/x/'
    >>> normalise("javascript:alert(1)") is None, normalise("http://x.example:port/") is None
    (True, True)
    """
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    if base and href.startswith("/") and not href.startswith("//"):
        base = _origin(base)
    return _normalise_once(href, base)


def _origin(base: str) -> str:
    """`scheme://host` of an http(s) base: all a root-relative href takes from it (else the base)."""
    try:
        parts = urlsplit(base)
    except ValueError:  # a malformed IPv6 host: left for _normalise_once to refuse
        return base
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in DEFAULT_PORTS and parts.netloc else base


@functools.lru_cache(maxsize=1 << 16)
def _normalise_once(href: str, base: str | None) -> str | None:
    """Memoised: a corpus links to the same few pages from thousands of articles."""
    try:
        return _normalise(href, base)
    except ValueError:  # a bad port or IPv6 host, or a lone surrogate: not a link anyone can follow
        return None


def _normalise(href: str, base: str | None) -> str | None:
    scheme = urlsplit(href).scheme.lower()
    if scheme in NOT_LINKS or (scheme and scheme not in DEFAULT_PORTS and not base):
        return None
    absolute = urljoin(base, href) if base else href
    parts = urlsplit(absolute)
    if parts.scheme.lower() not in DEFAULT_PORTS or not (parts.hostname or "").rstrip("."):
        return None  # no host, or only dots ("http://./"): nowhere to go
    return urlunsplit((parts.scheme.lower(), _netloc(parts), _path(parts.path), _query(parts.query), ""))


def _netloc(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    port = parts.port if parts.port is not None else None
    if port is not None and str(port) != DEFAULT_PORTS.get(parts.scheme.lower()):
        return f"{host}:{port}"
    return host


def _path(path: str) -> str:
    path = quote(unquote(path), safe="/:@!$&'()*+,;=-._~%")
    norm = posixpath.normpath(path or "/")
    norm = "/" + norm.lstrip("/") if norm != "." else "/"
    while posixpath.basename(norm).lower() in INDEX_FILES:  # /a/index.html/index.html is /a/
        norm = posixpath.dirname(norm)
    if "." in posixpath.basename(norm):
        return norm
    return norm.rstrip("/") + "/"


def _query(query: str) -> str:
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not TRACKING.match(k)]
    return urlencode(sorted(pairs))


@dataclass(frozen=True)
class Site:
    """A site's home URL and article URL patterns: what is internal and what an article URL is."""

    url: str
    patterns: list[str] = field(default_factory=lambda: ["/articles/{slug}/"])

    def __post_init__(self) -> None:
        home = normalise(self.url)
        if home is None:
            from graph.errors import UsageError

            raise UsageError(f"site_url is not an http(s) URL: {self.url!r}")
        object.__setattr__(self, "url", home)

    @functools.cached_property
    def host(self) -> str:
        """Host without a leading www., used to key graphs so several sites share a store."""
        return _bare(urlsplit(self.url).netloc)

    def is_internal(self, url: str) -> bool:
        """Same host, ignoring http/https and www. variants."""
        return _bare(urlsplit(url).netloc) == self.host

    def resolve(self, href: str, base: str | None) -> str | None:
        """Normalise a link; internal variants (http, www.) are rewritten onto site_url."""
        url = normalise(href, base or self.url)
        if url is None or not self.is_internal(url):
            return url
        home = self._home
        parts = urlsplit(url)
        return urlunsplit((home.scheme, home.netloc, parts.path, parts.query, ""))

    @functools.cached_property
    def _home(self) -> SplitResult:
        return urlsplit(self.url)

    def article_url(self, slug: str) -> str:
        """URL of an article from its slug and the first pattern."""
        path = self.patterns[0].replace("{slug}", quote(slug, safe=""))
        return self.resolve(path, None) or self.url

    def slug_of(self, url: str) -> str | None:
        """The slug if `url` matches an article pattern, else None."""
        if not self.is_internal(url):
            return None
        path = urlsplit(url).path
        for pattern in self._regexes:
            m = pattern.fullmatch(path)
            if m:
                return unquote(m.group("slug"))
        return None

    @functools.cached_property
    def _regexes(self) -> list[re.Pattern[str]]:
        out = []
        for p in self.patterns:
            norm = _path(p.replace("{slug}", "SLUGSLOT"))
            out.append(re.compile(re.escape(norm).replace("SLUGSLOT", r"(?P<slug>[^/]+)")))
        return out


def safe_slug(slug: str, fallback: str) -> str:
    """A slug that stays one path segment under its pattern; `fallback` when nothing usable is left.

    Slugs come from front matter and exports: control characters go, separators and '%' (which
    could spell `%2e%2e`) become '-', a slug of only dots is unusable, and length is capped.

    >>> safe_slug("../../etc/passwd", "x"), safe_slug("..", "page-1"), safe_slug("a\\x00b", "x")
    ('..-..-etc-passwd', 'page-1', 'ab')
    """
    text = "".join(ch for ch in slug if unicodedata.category(ch) != "Cc")
    text = _UNSAFE_SLUG.sub("-", text).strip()[:MAX_SLUG].strip()
    return fallback if not text.strip(".") else text


def _bare(netloc: str) -> str:
    netloc = netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc
