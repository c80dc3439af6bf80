"""Decisions on link suggestions that persist across builds: rejected ones never return, accepted ones
wait in accepted-pending.csv until the link is in the text.

Every suggestion has a stable ID, the last segment of its IRI (`graph.iris.gap_iri`): it depends only
on the source and target URLs, so the same pair has the same ID in every build. The strategist keeps a
CSV (setting `decisions`) with columns `id,decision,note`, or `source_url,target_url` instead of `id`;
copying rows of gaps.csv and adding a `decision` column works too (extra columns are ignored).

>>> gap_id("https://a.example/x/", "https://a.example/y/")
'c9209be5338b95bb'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from graph import iris
from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.tables import Row, Table, read_table
from graph.records import Gap

Pair = tuple[str, str]
Resolve = Callable[[str], str | None]
_ID = re.compile(r"(?:^|/gap/)([0-9a-f]{16})$")


class Verdict(StrEnum):
    """What the strategist decided about a suggestion."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Decision:
    """One line of the decisions file; `source`/`target` are '' until the ID is matched to a page pair."""

    verdict: Verdict
    id: str
    source: str = ""
    target: str = ""
    note: str = ""
    line: int = 0

    @property
    def pair(self) -> Pair | None:
        """(source, target) once known."""
        return (self.source, self.target) if self.source and self.target else None


@dataclass(frozen=True, slots=True)
class PendingLink:
    """An accepted suggestion whose link is not in the source page yet (a row of accepted-pending.csv)."""

    source: str
    target: str
    anchor: str
    id: str


@dataclass(frozen=True)
class DecisionResult:
    """Suggestions left after the decisions, and what became of the decisions."""

    gaps: list[Gap]
    pending: list[PendingLink]
    rejected: int = 0
    done: int = 0
    unknown: tuple[Decision, ...] = ()


def gap_id(source: str, target: str) -> str:
    """The short stable ID of a suggestion: the last segment of its IRI (the same for every site key)."""
    return iris.gap_iri("", source, target).rsplit("/", 1)[-1]


def _same(url: str) -> str | None:
    return url


def read_decisions(path: Path, resolve: Resolve = _same) -> list[Decision]:
    """The decisions in `path`, later lines overriding earlier ones for the same suggestion.

    `resolve` normalises URLs as the build does (`Site.resolve`); a row with an empty decision is skipped,
    anything else malformed is a UsageError with the file and line.
    """
    table = read_table(path, "decisions")
    if "decision" not in table.columns or not ({"id"} <= set(table.columns) or _has_urls(table)):
        raise table.error(1, "the header needs a 'decision' column and 'id' (or 'source_url' and 'target_url')")
    found: dict[str, Decision] = {}
    for row in table.rows:
        decision = _decision(table, row, resolve)
        if decision:
            found.pop(decision.id, None)
            found[decision.id] = decision
    return list(found.values())


def _has_urls(table: Table) -> bool:
    return {"source_url", "target_url"} <= set(table.columns)


def _decision(table: Table, row: Row, resolve: Resolve) -> Decision | None:
    """One row as a Decision (None when its decision cell is empty)."""
    text = row.get("decision").lower()
    if not text:
        return None
    if text not in {v.value for v in Verdict}:
        raise table.error(row.line, f"decision must be 'accepted' or 'rejected', got {row.get('decision')!r}")
    source, target = row.get("source_url"), row.get("target_url")
    if source or target:
        pair = _pair(table, row, source, target, resolve)
        return Decision(Verdict(text), gap_id(*pair), *pair, note=row.get("note"), line=row.line)
    found = _ID.search(row.get("id").lower())
    if not found:
        raise table.error(row.line, f"id must be the 16-character ID from gaps.csv, got {row.get('id')!r}")
    return Decision(Verdict(text), found.group(1), note=row.get("note"), line=row.line)


def _pair(table: Table, row: Row, source: str, target: str, resolve: Resolve) -> Pair:
    """Both URLs, normalised; URLs win over an `id` in the same row."""
    urls = resolve(source) if source else None, resolve(target) if target else None
    if urls[0] is None or urls[1] is None:
        raise table.error(row.line, f"needs both source_url and target_url as URLs, got {source!r}, {target!r}")
    return urls[0], urls[1]


def match_ids(decisions: Sequence[Decision], pairs: Iterable[Pair]) -> list[Decision]:
    """Fill in the pages of decisions given by ID alone, from the page pairs a build knows of."""
    wanted = {d.id for d in decisions if d.pair is None}
    found: dict[str, Pair] = {}
    for pair in pairs if wanted else ():
        if (key := gap_id(*pair)) in wanted:
            found[key] = pair
    return [replace(d, source=found[d.id][0], target=found[d.id][1]) if d.id in found else d for d in decisions]


def apply_decisions(gaps: Sequence[Gap], decisions: Sequence[Decision], linked_pairs: Collection[Pair],
                    explain: Callable[[str, str], Gap | None] | None = None,
                    pages: Collection[str] | None = None) -> DecisionResult:
    """Drop decided suggestions; list accepted ones not linked yet; count rejected and done.

    `explain` gives the anchor of an accepted pair the suggestions no longer list; decisions naming a page
    not in `pages` (or with an ID no pair has) come back as `unknown`.
    """
    known = [d for d in decisions if d.pair and (pages is None or all(u in pages for u in d.pair))]
    unknown = tuple(d for d in decisions if d not in known)
    decided = {d.pair: d for d in known}
    anchors = {(g.source, g.target): g.anchor for g in gaps}
    accepted = [d for d in known if d.verdict is Verdict.ACCEPTED]
    pending = [PendingLink(d.source, d.target, _anchor(d, anchors, explain), d.id)
               for d in accepted if d.pair not in linked_pairs]
    return DecisionResult([g for g in gaps if (g.source, g.target) not in decided],
                          sorted(pending, key=lambda p: (p.source, p.target)),
                          rejected=sum(d.verdict is Verdict.REJECTED for d in known),
                          done=len(accepted) - len(pending), unknown=unknown)


def _anchor(d: Decision, anchors: dict[Pair, str], explain: Callable[[str, str], Gap | None] | None) -> str:
    if d.pair in anchors:
        return anchors[d.pair]
    gap = explain(d.source, d.target) if explain else None
    return gap.anchor if gap else ""


def decide(finder: GapFinder, settings: GapSettings, decisions: Sequence[Decision]) -> DecisionResult:
    """Suggestions with the decisions applied: decided pairs free their slot for the next candidate."""
    by_id_only = any(d.pair is None for d in decisions)
    matched = match_ids(decisions, finder.candidates() | finder.linked) if by_id_only else list(decisions)
    decided = frozenset(d.pair for d in matched if d.pair)
    gaps = finder.suggest(replace(settings, skip=settings.skip | decided))
    return apply_decisions(gaps, matched, finder.linked, finder.explain, finder.index)
