"""What the render stage is given: the earlier stages' results, gathered in one frozen record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from graph.records import Article, ArticleConcepts, Concept, Gap, PageMetrics
from graph.reports import COLUMNS

REPORTS = tuple(COLUMNS)  # the CSV files reports.py writes into OUT/reports/


@dataclass(frozen=True)
class ExplorerView:
    """Everything the explorer shows, as produced by the earlier stages.

    `clusters` maps a cluster IRI (PageMetrics.cluster) to its name, as LinkAnalysis.clusters does.
    """

    site_url: str
    articles: Sequence[Article]
    metrics: Mapping[str, PageMetrics]
    concepts: Mapping[str, Concept]
    extracted: Sequence[ArticleConcepts]
    gaps: Sequence[Gap]
    reports: Sequence[str] = REPORTS
    clusters: Mapping[str, str] = field(default_factory=dict)


def site_host(site_url: str) -> str:
    """The lower-case host of the site, which links to article URLs must stay on.

    >>> site_host("https://HealthGuide.example:443/")
    'healthguide.example'
    """
    return (urlsplit(site_url).hostname or "").lower()


def on_site(url: str, host: str) -> bool:
    """True for an http(s) URL on the site's own host: the only URLs the pages turn into links.

    >>> on_site("https://a.example/x", "a.example"), on_site("javascript:alert(1)", "a.example")
    (True, False)
    """
    parts = urlsplit(url)
    return parts.scheme in {"http", "https"} and bool(host) and (parts.hostname or "") == host


def is_plain_name(name: str) -> bool:
    """A report file name safe to put in a relative href (no scheme, no folders)."""
    return bool(name) and all(c.isalnum() or c in "._-" for c in name) and not name.startswith(".")
