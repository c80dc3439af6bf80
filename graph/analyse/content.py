"""Content gaps: concepts many articles mention that no page is about."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from graph.records import ArticleConcepts, Concept, ContentGap


def content_gaps(extracted: Sequence[ArticleConcepts], concepts: Mapping[str, Concept],
                 min_articles: int = 2) -> list[ContentGap]:
    """Sorted by number of articles, then mentions (both desc), then concept IRI."""
    covered = {c for e in extracted for c in e.about}
    counts: dict[str, int] = defaultdict(int)
    pages: dict[str, list[str]] = defaultdict(list)
    for e in extracted:
        for m in e.mentions:
            if not m.negated and m.concept not in covered and m.concept in concepts:
                counts[m.concept] += m.count
                pages[m.concept].append(e.url)
    gaps = [ContentGap(c, concepts[c].label, concepts[c].type.value, counts[c], tuple(sorted(pages[c])))
            for c in counts if len(pages[c]) >= min_articles]
    return sorted(gaps, key=lambda g: (-len(g.articles), -g.mentions, g.concept))
