"""The one URL normaliser: every variant a CMS produces maps to one form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graph.ingest.urls import Site, normalise

SITE = Site("https://healthguide.example/", ["/articles/{slug}/", "/drugs/{slug}/"])
PAGE = "https://healthguide.example/articles/gerd/"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/articles/sciatica/", "https://healthguide.example/articles/sciatica/"),
        ("/articles/sciatica", "https://healthguide.example/articles/sciatica/"),
        ("../sciatica/", "https://healthguide.example/articles/sciatica/"),
        ("sciatica/", "https://healthguide.example/articles/gerd/sciatica/"),
        ("./", PAGE),
        ("/articles/sciatica/index.html", "https://healthguide.example/articles/sciatica/"),
        ("/articles/sciatica/#causes", "https://healthguide.example/articles/sciatica/"),
        ("/articles/sciatica/?utm_source=mail&utm_medium=x", "https://healthguide.example/articles/sciatica/"),
        ("/articles/sciatica/?b=2&a=1&fbclid=z", "https://healthguide.example/articles/sciatica/?a=1&b=2"),
        ("http://www.healthguide.example/articles/sciatica/", "https://healthguide.example/articles/sciatica/"),
        ("HTTPS://HealthGuide.Example:443/articles/sciatica/", "https://healthguide.example/articles/sciatica/"),
        ("/a/b/../../articles/./sciatica/", "https://healthguide.example/articles/sciatica/"),
        ("/files/leaflet.pdf", "https://healthguide.example/files/leaflet.pdf"),
        ("https://www.nih.gov/", "https://www.nih.gov/"),
        ("https://example.org:8443/x", "https://example.org:8443/x/"),
    ],
)
def test_resolve_variants(href: str, expected: str) -> None:
    assert SITE.resolve(href, PAGE) == expected


@pytest.mark.parametrize("href", ["mailto:a@b.example", "tel:+15551234", "javascript:void(0)", "data:text/html,x",
                                  "#top", "", "   ", "ftp://files.example/x"])
def test_non_links(href: str) -> None:
    assert SITE.resolve(href, PAGE) is None


def test_slug_of_each_pattern() -> None:
    assert SITE.slug_of("https://healthguide.example/drugs/ibuprofen/") == "ibuprofen"
    assert SITE.slug_of("https://healthguide.example/about/") is None
    assert SITE.slug_of("https://other.example/articles/x/") is None
    assert SITE.article_url("herniated-disc") == "https://healthguide.example/articles/herniated-disc/"


def test_host_ignores_www() -> None:
    assert Site("https://www.healthguide.example/").host == "healthguide.example"


@given(st.text(alphabet="abc/.-_?#=&%", max_size=30))
def test_normalise_is_idempotent(path: str) -> None:
    once = normalise(path, PAGE)
    assert once is None or normalise(once) == once
