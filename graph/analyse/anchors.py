"""Anchor-text problems and cannibalisation: signals that blur which page is about what.

* one anchor text linking to several pages tells readers and search engines two things at once;
* a generic anchor ("click here", "read more") says nothing about the page it links to;
* several pages about the same primary concept compete for the same searches.

>>> anchor_key("  Read more… "), anchor_key('"Sciatica"')
('read more', 'sciatica')
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from graph.analyse.gaps import publishable
from graph.analyse.links import reaches_article
from graph.records import Article, ArticleConcepts, Concept, LinkKind

SEVERAL_TARGETS, GENERIC = "several-targets", "generic"
#: Anchor texts (after `anchor_key`) that say nothing about their target.
GENERIC_ANCHORS = frozenset({
    "click here", "here", "read more", "learn more", "this article", "this page", "this post", "this link",
    "more", "more info", "more information", "find out more", "see more", "see here", "continue reading",
    "read this", "go here", "link", "this", "click", "website", "article",
})
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class AnchorIssue:
    """One row of anchors.csv: an anchor text, the pages it links to, its link count and the problem."""

    anchor: str
    targets: tuple[str, ...]
    count: int
    issue: str


@dataclass(frozen=True, slots=True)
class Cannibalised:
    """One row of cannibalisation.csv: a concept that several publishable pages are mainly about."""

    concept: str
    label: str
    pages: tuple[str, ...]


def anchor_key(text: str) -> str:
    """Anchor text compared case-insensitively, spaces collapsed, punctuation at the ends dropped."""
    return _EDGES.sub("", _SPACE.sub(" ", text.casefold()).strip())


def anchor_issues(articles: Sequence[Article]) -> list[AnchorIssue]:
    """Generic anchors in running text, and anchors linking to more than one page.

    Related-articles blocks count for several targets only. Sorted by issue (generic first), then link
    count (highest first), then anchor text; a generic anchor is reported as generic only.
    """
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)  # key -> (anchor as written, target)
    for a in articles:
        for lk in a.links:
            key = anchor_key(lk.anchor)
            if key and reaches_article(a, lk) and (lk.kind is LinkKind.BODY or key not in GENERIC_ANCHORS):
                groups[key].append((lk.anchor.strip(), lk.target or ""))
    issues = [_issue(key, found) for key, found in groups.items()]
    return sorted((i for i in issues if i), key=lambda i: (i.issue != GENERIC, -i.count, i.anchor.casefold(), i.anchor))


def _issue(key: str, found: list[tuple[str, str]]) -> AnchorIssue | None:
    """The group's row, or None when its anchor is specific and has one target."""
    targets = tuple(sorted({t for _, t in found}))
    if key in GENERIC_ANCHORS:
        issue = GENERIC
    elif len(targets) > 1:
        issue = SEVERAL_TARGETS
    else:
        return None
    written = Counter(text for text, _ in found)
    shown = min(written, key=lambda t: (-written[t], t))
    return AnchorIssue(shown, targets, len(found), issue)


def cannibalisation(articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts],
                    concepts: Mapping[str, Concept]) -> list[Cannibalised]:
    """Concepts that are the primary topic (first `about`) of several publishable pages.

    Drafts, noindex pages and pages canonicalised elsewhere do not compete in search and are left out.
    Sorted by number of pages (most first), then concept IRI; pages sorted by URL.
    """
    pages: dict[str, list[str]] = defaultdict(list)
    for a in articles:
        found = extracted.get(a.url)
        if found and found.about and publishable(a):
            pages[found.about[0]].append(a.url)
    rows = [Cannibalised(c, concepts[c].label if c in concepts else c, tuple(sorted(urls)))
            for c, urls in pages.items() if len(urls) > 1]
    return sorted(rows, key=lambda r: (-len(r.pages), r.concept))
