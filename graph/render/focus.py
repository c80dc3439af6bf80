"""A focused explorer: only the part of the graph within a few hops of one page or concept.

The focus is matched, case-insensitively, against page URLs, then page titles, then concept labels
(preferred and alternative); every page or concept that matches is a starting point. Hops follow
the edges the explorer shows by default: links in the text, related-articles links, suggested
links (all in either direction) and "page is about concept". Pages that only mention a concept
are one hop from it when that concept is the focus itself, so a topic no page is about still has
a neighbourhood; mentions are not followed further, or two hops would reach most of a site.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from graph.collector import without_gc
from graph.errors import UsageError
from graph.records import ArticleConcepts, Mention
from graph.render.explorer import data_folder, explorer_payload, write_payload
from graph.render.graphdata import SiteIndex, concepts_in_use, site_index
from graph.render.view import ExplorerView

MAX_HOPS = 10


@dataclass(frozen=True)
class FocusSummary:
    """What a focused explorer shows: the matched starting points and how much is around them."""

    seeds: tuple[str, ...]
    pages: int
    concepts: int


@without_gc
def write_focused_explorer(path: Path, view: ExplorerView, focus: str, hops: int,
                           build: Path | None = None) -> FocusSummary:
    """Write an explorer of the subgraph within `hops` of `focus`; `build` is where its report links go.

    Raises UsageError when nothing matches `focus` (naming close matches) or `hops` is out of range.
    """
    sub, seeds = focused_view(view, focus, hops)
    pages = len(sub.articles)
    caption = f"Focused on “{focus.strip()}”, {hops} hop{'s' if hops != 1 else ''}: {pages} pages"
    payload = explorer_payload(sub, data_folder(path).name, focus=seeds, caption=caption)
    write_payload(path, sub, payload, build)
    return FocusSummary(tuple(seeds), pages, len(sub.concepts))


def focus_file_name(focus: str) -> str:
    """A default file name for a focused explorer, e.g. 'explorer-herniated-disc.html'.

    >>> focus_file_name("  Herniated DISC? "), focus_file_name("https://a.example/x/y/")
    ('explorer-herniated-disc.html', 'explorer-https-a-example-x-y.html')
    """
    slug = re.sub(r"[^a-z0-9]+", "-", focus.casefold()).strip("-")[:60].strip("-")
    return f"explorer-{slug or 'focus'}.html"


def focused_view(view: ExplorerView, focus: str, hops: int) -> tuple[ExplorerView, list[str]]:
    """The view cut down to everything within `hops` of what `focus` names, and the matched ids."""
    if not 0 <= hops <= MAX_HOPS:
        raise UsageError(f"hops must be between 0 and {MAX_HOPS}, got {hops}")
    index = site_index(view)
    seeds = find_focus(index, focus)
    keep = within(neighbours(index, set(seeds)), seeds, hops)
    return _restricted(view, index, keep), seeds


def find_focus(index: SiteIndex, focus: str) -> list[str]:
    """Pages whose URL, else pages whose title, else concepts whose label equals `focus` (any case)."""
    wanted = focus.strip().casefold()
    if not wanted:
        raise UsageError("give a page URL, a page title or a concept label to focus on")
    concepts = [index.view.concepts[iri] for iri in concepts_in_use(index.extracted.values(), index.view.concepts)]
    for candidates in (
        [u for u in index.pages if u.casefold() == wanted],
        [u for u, a in index.pages.items() if a.title.strip().casefold() == wanted],
        [c.iri for c in concepts if wanted in {x.strip().casefold() for x in (c.label, *c.labels)}],
    ):
        if candidates:
            return candidates
    names = [a.title for a in index.pages.values()] + [c.label for c in concepts]
    close = difflib.get_close_matches(focus.strip(), names, n=5, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UsageError(f"no page URL, page title or concept label is {focus.strip()!r}{hint}")


def neighbours(index: SiteIndex, seeds: set[str]) -> Mapping[str, set[str]]:
    """Undirected adjacency over the default edges (mentions only next to a seed concept)."""
    near: defaultdict[str, set[str]] = defaultdict(set)
    pairs = [(s, t) for (s, t, kind) in index.links if kind != "nav"]
    pairs += [(g.source, g.target) for g in index.gaps]
    for found in index.extracted.values():
        pairs += [(found.url, iri) for iri in found.about if iri in index.view.concepts]
        pairs += [(found.url, m.concept) for m in found.mentions if m.concept in seeds]
    for a, b in pairs:
        near[a].add(b)
        near[b].add(a)
    return near


def within(near: Mapping[str, set[str]], seeds: Iterable[str], hops: int) -> set[str]:
    """Every node at most `hops` steps from a seed (breadth-first).

    >>> sorted(within({"a": {"b"}, "b": {"a", "c"}, "c": {"b"}}, ["a"], 1))
    ['a', 'b']
    """
    seen = set(seeds)
    frontier = set(seen)
    for _ in range(hops):
        frontier = {n for node in frontier for n in near.get(node, ())} - seen
        seen |= frontier
    return seen


def _restricted(view: ExplorerView, index: SiteIndex, keep: set[str]) -> ExplorerView:
    articles = [a for a in view.articles if a.url in keep and a.url in index.pages]
    concepts = {iri: c for iri, c in view.concepts.items() if iri in keep}
    extracted = [_only(found, keep) for url, found in index.extracted.items() if url in keep]
    gaps = [g for g in view.gaps if g.source in keep and g.target in keep]
    return replace(view, articles=articles, concepts=concepts, extracted=extracted, gaps=gaps)


def _only(found: ArticleConcepts, keep: set[str]) -> ArticleConcepts:
    mentions: Sequence[Mention] = [m for m in found.mentions if m.concept in keep]
    return replace(found, about=tuple(c for c in found.about if c in keep), mentions=tuple(mentions))
