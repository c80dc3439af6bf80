"""CSV reports: UTF-8, '\\n' line ends, a header always, several values joined with '|'.

Cells starting with = + - @ are prefixed with a quote so spreadsheets never run them as formulas.

>>> safe_cell("=HYPERLINK(1)"), safe_cell("-0.5"), safe_cell(3)
("'=HYPERLINK(1)", '-0.5', '3')
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from graph.analyse.anchors import AnchorIssue, Cannibalised
from graph.analyse.decisions import PendingLink, gap_id
from graph.analyse.links import LinkAnalysis
from graph.records import Article, ArticleConcepts, ContentGap, Gap, LinkStatus, Skipped

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

#: Every report, its columns and its documented sort order (docs/reports.md is checked against this).
COLUMNS: dict[str, tuple[str, ...]] = {
    "pages.csv": ("url", "title", "inlinks", "inlinks_total", "nav_inlinks", "outlinks", "outlinks_total",
                  "broken_links", "link_score", "pagerank", "depth", "hub", "authority", "cluster", "orphan",
                  "dead_end", "about", "draft", "noindex", "canonical_elsewhere", "format", "path", "articulation"),
    "links.csv": ("source_url", "target_url", "anchor_text", "section", "kind", "sentence", "recovered", "status"),
    "broken-links.csv": ("source_url", "target_url", "anchor_text"),
    "outside-links.csv": ("source_url", "target_url", "anchor_text"),
    "orphans.csv": ("url", "title"),
    "gaps.csv": ("source_url", "target_url", "anchor_text", "sentence", "section", "score", "reason", "id"),
    "accepted-pending.csv": ("source_url", "target_url", "anchor_text", "id"),
    "content-gaps.csv": ("concept", "label", "type", "mentions", "articles"),
    "cannibalisation.csv": ("concept", "label", "pages"),
    "anchors.csv": ("anchor_text", "targets", "count", "issue"),
    "skipped.csv": ("path", "action", "reason"),
    "validation.csv": ("focus_node", "rule", "message", "severity"),
}


def safe_cell(value: object) -> str:
    """A cell as text, neutralised against spreadsheet formula injection (numbers stay numbers)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


def write_csv(path: Path, name: str, rows: Iterable[Sequence[object]]) -> None:
    """One report file with its fixed header."""
    with path.joinpath(name).open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS[name])
        writer.writerows([safe_cell(v) for v in row] for row in rows)


def _bool(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class ReportData:
    """Everything the reports are made from."""

    articles: Sequence[Article]
    extracted: Mapping[str, ArticleConcepts]
    links: LinkAnalysis
    gaps: Sequence[Gap]
    content_gaps: Sequence[ContentGap]
    skipped: Sequence[Skipped]
    concept_labels: Mapping[str, str]
    pending: Sequence[PendingLink] = ()
    cannibalised: Sequence[Cannibalised] = ()
    anchors: Sequence[AnchorIssue] = ()


def write_reports(folder: Path, data: ReportData) -> None:
    """Every CSV report into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder, "pages.csv", _pages(data))
    write_csv(folder, "links.csv", _links(data.articles))
    write_csv(folder, "broken-links.csv", _status_rows(data.articles, LinkStatus.BROKEN))
    write_csv(folder, "outside-links.csv", _status_rows(data.articles, LinkStatus.OUTSIDE))
    by_url = {a.url: a for a in data.articles}
    orphans = sorted(u for u, m in data.links.metrics.items() if m.orphan)
    write_csv(folder, "orphans.csv", ((u, by_url[u].title) for u in orphans))
    write_csv(folder, "gaps.csv", ((g.source, g.target, g.anchor, g.sentence, g.section, f"{g.score:.3f}", g.reason,
                                    gap_id(g.source, g.target)) for g in data.gaps))
    write_csv(folder, "accepted-pending.csv", ((p.source, p.target, p.anchor, p.id) for p in data.pending))
    write_csv(folder, "content-gaps.csv", ((c.concept, c.label, c.type, c.mentions, "|".join(c.articles))
                                           for c in data.content_gaps))
    write_csv(folder, "cannibalisation.csv", ((c.concept, c.label, "|".join(c.pages)) for c in data.cannibalised))
    write_csv(folder, "anchors.csv", ((a.anchor, "|".join(a.targets), a.count, a.issue) for a in data.anchors))
    write_csv(folder, "skipped.csv", ((s.path, s.action, s.reason) for s in sorted(data.skipped, key=_skip_key)))


def _skip_key(s: Skipped) -> tuple[str, str, str]:
    return (s.path, s.action, s.reason)


def _pages(data: ReportData) -> list[list[object]]:
    """Sorted by link score desc, then URL."""
    rows = []
    for a in data.articles:
        m = data.links.metrics[a.url]
        about = "|".join(data.concept_labels.get(c, c) for c in data.extracted[a.url].about)
        rows.append([a.url, a.title, m.inlinks, m.inlinks_total, m.nav_inlinks, m.outlinks, m.outlinks_total,
                     m.broken_links, f"{m.link_score:.2f}", f"{m.pagerank:.6f}", "" if m.depth is None else m.depth,
                     f"{m.hub:.6f}", f"{m.authority:.6f}", data.links.clusters.get(m.cluster, ""), _bool(m.orphan),
                     _bool(m.dead_end), about, _bool(a.draft), _bool(a.noindex),
                     _bool(a.canonical not in (None, a.url)), a.format, a.path,
                     _bool(a.url in data.links.articulation)])
    return sorted(rows, key=lambda r: (-float(str(r[8])), str(r[0])))


def _links(articles: Sequence[Article]) -> Iterable[list[object]]:
    """Sorted by source URL, then reading order within the page."""
    for a in sorted(articles, key=lambda a: a.url):
        for lk in a.links:
            yield [a.url, lk.target or "", lk.anchor, lk.section, lk.kind.value, lk.sentence,
                   _bool(lk.recovered), lk.status.value]


def _status_rows(articles: Sequence[Article], status: LinkStatus) -> list[tuple[str, str, str]]:
    """Sorted by source URL, target URL, anchor."""
    return sorted((a.url, lk.target or "", lk.anchor) for a in articles for lk in a.links if lk.status == status)
