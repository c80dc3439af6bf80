"""Traffic priority: suggestions in pages readers actually visit rank higher.

The optional `traffic` setting names a CSV of page traffic, e.g. a Search Console "Pages" export
(`Top pages, Clicks, Impressions, CTR, Position`). Each suggestion's score is multiplied by a factor of
its SOURCE page, bounded to 0.75-1:

    factor(p) = 0.75 + 0.25 * log(1 + clicks(p)) / log(1 + max clicks)

The busiest page keeps its score, a page with no recorded clicks keeps three quarters of it; the log
keeps one viral page from flattening the rest. Scores stay within 0-1 and the order is deterministic.

>>> f = traffic_factors({"a": 999.0, "b": 9.0, "c": 0.0})
>>> f["a"], round(f["b"], 3), f["c"]
(1.0, 0.833, 0.75)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from graph.analyse.tables import Row, Table, read_table
from graph.records import Gap

#: Share of the score a page without traffic keeps; the busiest page keeps all of it.
FLOOR = 0.75
#: Header names (as `tables.key` makes them) accepted for the page and for its traffic, in preference order.
URL_COLUMNS = ("url", "page", "pages", "top_pages", "landing_page", "landing_pages", "page_url", "address",
               "page_path", "page_path_and_screen_class", "path")
CLICK_COLUMNS = ("clicks", "url_clicks", "sessions", "visits", "views", "pageviews", "page_views", "screen_page_views",
                 "users", "impressions")
_SEPARATORS = re.compile(r"[,\s'_\u00a0\u202f]")


def read_traffic(path: Path, resolve: Callable[[str], str | None] = lambda u: u) -> dict[str, float]:
    """Clicks per page URL (normalised by `resolve`; rows of one page summed, unusable URLs skipped)."""
    table = read_table(path, "traffic")
    url_col, clicks_col = table.first_of(URL_COLUMNS), table.first_of(CLICK_COLUMNS)
    if url_col is None or clicks_col is None:
        raise table.error(1, f"the header needs a page column ({', '.join(URL_COLUMNS[:5])}...) and a traffic "
                             f"column ({', '.join(CLICK_COLUMNS[:4])}...); it has {', '.join(table.columns)}")
    clicks: dict[str, float] = {}
    for row in table.rows:
        url = resolve(row.get(url_col)) if row.get(url_col) else None
        if url:
            clicks[url] = clicks.get(url, 0.0) + _number(table, row, clicks_col)
    return clicks


def _number(table: Table, row: Row, column: str) -> float:
    """A count as exports write it: '1,234', '1 234' or empty (0)."""
    text = _SEPARATORS.sub("", row.get(column))
    try:
        value = float(text) if text else 0.0
    except ValueError:
        raise table.error(row.line, f"{column} must be a number, got {row.get(column)!r}") from None
    if value < 0 or not math.isfinite(value):
        raise table.error(row.line, f"{column} must be a count of 0 or more, got {row.get(column)!r}")
    return value


def traffic_factors(clicks: Mapping[str, float]) -> dict[str, float]:
    """The factor of every page in `clicks` (all 1 when no page has any)."""
    top = max(clicks.values(), default=0.0)
    if top <= 0:
        return dict.fromkeys(clicks, 1.0)
    return {u: FLOOR + (1 - FLOOR) * math.log1p(c) / math.log1p(top) for u, c in clicks.items()}


def weight_by_traffic(gaps: Sequence[Gap], clicks: Mapping[str, float]) -> list[Gap]:
    """Scores times the source's factor (FLOOR for pages the file lacks), sorted as gaps.csv is.

    Which suggestions are listed does not change (`gap_min_score` applies to the evidence score before).
    """
    if max(clicks.values(), default=0.0) <= 0:
        return list(gaps)  # no traffic recorded: nothing to rank by
    factors = traffic_factors(clicks)
    weighted = [replace(g, score=round(min(1.0, max(0.0, g.score * factors.get(g.source, FLOOR))), 3)) for g in gaps]
    return sorted(weighted, key=lambda g: (-g.score, g.source, g.target))
