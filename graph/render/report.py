"""report.html: a one-page summary of a build that a strategist can send to an editor.

Figures, two charts (link score and click depth, inline SVG), the best link suggestions, orphans,
broken links, content gaps and skipped files; each table shows its first rows and links to the
CSV with all of them. The page runs no script at all: its CSP allows nothing but its own style
(by hash) and data: images, so it opens offline and an article string can never become code.
Every article-derived string goes through Jinja's autoescaping.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from markupsafe import Markup

from graph.collector import without_gc
from graph.records import Article, ContentGap, Gap, LinkStatus, PageMetrics, Skipped
from graph.render.charts import Bar, bar_chart
from graph.render.explorer import csp_markup, environment, inline_asset
from graph.render.graphdata import CONCEPT_STYLES, concepts_in_use, page_links
from graph.render.view import ExplorerView, is_plain_name, on_site, site_host

ROWS_SHOWN = 25
DEPTH_BARS = 6  # depths 0..5 get a bar each; deeper pages share one
UNREACHABLE_COLOR = "#d62728"
EXPLORER_PAGE = "explorer.html"
TYPE_LABELS = {t.value: style.label for t, style in CONCEPT_STYLES.items()}


@dataclass(frozen=True)
class ReportView:
    """The explorer's view plus what only the report shows; `built` is a time to print, e.g. ISO 8601."""

    view: ExplorerView
    content_gaps: Sequence[ContentGap] = ()
    skipped: Sequence[Skipped] = ()
    built: str = ""


@dataclass(frozen=True)
class Table:
    """A table of the report: its first rows, how many there are in all, and its CSV."""

    rows: list[dict[str, Any]]
    total: int
    csv: str | None

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


@without_gc
def write_report(path: Path, data: ReportView) -> None:
    """Write report.html to `path` (parent folders are created); links are relative to its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")


def render_report(data: ReportView) -> str:
    """The report as one self-contained HTML string."""
    css = (files("graph.render") / "templates" / "report.css").read_text(encoding="utf-8")
    return _template().render(**report_context(data), css=inline_asset(css, "</style"), csp=_csp(css))


def report_context(data: ReportView) -> dict[str, Any]:
    """Everything the template shows, computed once; the tests read this too."""
    view = data.view
    pages = {a.url: a for a in view.articles if a.url}
    metrics = [view.metrics.get(u) or PageMetrics(u) for u in pages]
    csvs = {n for n in view.reports if is_plain_name(n)}
    host = site_host(view.site_url)
    return {
        "host": host,
        "built": data.built,
        "explorer": EXPLORER_PAGE,
        "figures": _figures(view, pages, metrics, data),
        "score_chart": bar_chart("Pages by link score", _score_bars(metrics), "Link score (0-100)", "Pages",
                                 "score-chart"),
        "depth_chart": bar_chart("Pages by click depth", _depth_bars(metrics), "Clicks from the start pages",
                                 "Pages", "depth-chart"),
        "pages_csv": _csv("pages.csv", csvs),
        "gaps": _gaps(view.gaps, pages, host, csvs),
        "orphans": _orphans(pages, metrics, host, csvs),
        "broken": _broken(pages, host, csvs),
        "content_gaps": _table([_content_gap(c) for c in data.content_gaps], "content-gaps.csv", csvs),
        "skipped": _table([{"path": s.path, "action": s.action, "reason": s.reason}
                           for s in sorted(data.skipped, key=lambda s: (s.path, s.action, s.reason))],
                          "skipped.csv", csvs),
    }


def _csv(name: str, available: set[str]) -> str | None:
    return f"reports/{name}" if name in available else None


def _table(rows: list[dict[str, Any]], name: str, available: set[str]) -> Table:
    return Table(rows[:ROWS_SHOWN], len(rows), _csv(name, available))


def _figures(view: ExplorerView, pages: Mapping[str, Article], metrics: Sequence[PageMetrics],
             data: ReportView) -> list[tuple[str, int]]:
    links = sum(n for (_, _, kind), n in page_links(pages).items() if kind != "nav")
    broken = sum(1 for a in pages.values() for link in a.links if link.status is LinkStatus.BROKEN)
    return [
        ("Pages", len(pages)),
        ("Links between pages", links),
        ("Concepts found", len(concepts_in_use(view.extracted, view.concepts))),
        ("Suggested links", len(view.gaps)),
        ("Orphan pages", sum(m.orphan for m in metrics)),
        ("Dead-end pages", sum(m.dead_end for m in metrics)),
        ("Unreachable pages", sum(m.depth is None for m in metrics)),
        ("Broken links", broken),
        ("Content gaps", len(data.content_gaps)),
        ("Files skipped or repaired", len(data.skipped)),
    ]


def _score_bars(metrics: Sequence[PageMetrics]) -> list[Bar]:
    bins = Counter(min(9, int(max(0.0, m.link_score) // 10)) for m in metrics)
    labels = [f"{10 * i}–{10 * i + 9}" for i in range(9)] + ["90–100"]
    return [Bar(labels[i], bins[i], note=f"Link score {labels[i]}: {bins[i]} pages") for i in range(10)]


def _depth_bars(metrics: Sequence[PageMetrics]) -> list[Bar]:
    depths = Counter(min(DEPTH_BARS, m.depth) for m in metrics if m.depth is not None)
    bars = [Bar(str(d), depths[d], note=f"{depths[d]} pages {d} clicks away") for d in range(DEPTH_BARS)]
    bars.append(Bar(f"{DEPTH_BARS}+", depths[DEPTH_BARS], note=f"{depths[DEPTH_BARS]} pages {DEPTH_BARS} "
                                                               "or more clicks away"))
    lost = sum(m.depth is None for m in metrics)
    return [*bars, Bar("none", lost, UNREACHABLE_COLOR, f"{lost} pages no link path reaches")]


def _page(url: str, pages: Mapping[str, Article], host: str) -> dict[str, Any]:
    """A page as a table cell: its title, and its URL as a link only when it is on the site."""
    title = pages[url].title if url in pages else url
    return {"title": title or url, "url": url, "href": url if on_site(url, host) else None}


def _gaps(gaps: Sequence[Gap], pages: Mapping[str, Article], host: str, csvs: set[str]) -> Table:
    best = sorted(gaps, key=lambda g: (-g.score, g.source, g.target))
    rows = [{"source": _page(g.source, pages, host), "target": _page(g.target, pages, host), "anchor": g.anchor,
             "sentence": g.sentence, "section": g.section, "reason": g.reason, "score": f"{g.score:.2f}"}
            for g in best[:ROWS_SHOWN]]
    return Table(rows, len(gaps), _csv("gaps.csv", csvs))


def _orphans(pages: Mapping[str, Article], metrics: Sequence[PageMetrics], host: str, csvs: set[str]) -> Table:
    urls = sorted((m.url for m in metrics if m.orphan), key=lambda u: (pages[u].title.casefold(), u))
    return _table([_page(u, pages, host) for u in urls], "orphans.csv", csvs)


def _broken(pages: Mapping[str, Article], host: str, csvs: set[str]) -> Table:
    rows = [{"source": _page(url, pages, host), "href": link.target or link.href, "anchor": link.anchor}
            for url in sorted(pages) for link in pages[url].links if link.status is LinkStatus.BROKEN]
    return _table(rows, "broken-links.csv", csvs)


def _content_gap(gap: ContentGap) -> dict[str, Any]:
    kind = TYPE_LABELS.get(gap.type, gap.type)
    return {"label": gap.label, "type": kind, "mentions": gap.mentions, "articles": len(gap.articles)}


def _csp(css: str) -> Markup:
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    return csp_markup(f"default-src 'none'; style-src 'sha256-{digest}'; img-src data:; base-uri 'none'; "
                      "form-action 'none'")


@cache
def _template() -> Any:
    return environment().get_template("report.html.j2")
