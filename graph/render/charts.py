"""Bar charts as inline SVG, drawn in Python so the report needs no script and no library.

Every piece of text is escaped; colours and numbers are the only other things written.

>>> "<script" in bar_chart("t", [Bar("<script>", 3)], "x", "y")
False
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 520, 250
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 24, 52
BAR_COLOR = "#4e79a7"
AXIS_COLOR = "#5d6b79"
GRID_COLOR = "#e3e7eb"


@dataclass(frozen=True)
class Bar:
    """One bar: its label under the axis, its height, and what its tooltip says."""

    label: str
    value: int
    color: str = BAR_COLOR
    note: str = ""


def nice_ticks(top: int, most: int = 5) -> list[int]:
    """Round tick values from 0 to at least `top`, at most `most` + 1 of them.

    >>> nice_ticks(0), nice_ticks(7), nice_ticks(230)
    ([0, 1], [0, 2, 4, 6, 8], [0, 50, 100, 150, 200, 250])
    """
    if top <= 0:
        return [0, 1]
    magnitude = 10 ** max(0, math.floor(math.log10(top / most)))
    step = next(m * magnitude for m in (1, 2, 5, 10) if top / (m * magnitude) <= most)
    return list(range(0, math.ceil(top / step) * step + 1, step))


def bar_chart(title: str, bars: Sequence[Bar], x_label: str, y_label: str, chart_id: str = "chart") -> Markup:
    """A labelled vertical bar chart; each bar carries a <title> tooltip and its value above it."""
    ticks = nice_ticks(max((b.value for b in bars), default=0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(bars))
    parts = [_open(title, chart_id), *_grid(ticks, plot_w, plot_h)]
    for i, bar in enumerate(bars):
        parts.append(_bar(bar, LEFT + i * slot, slot, plot_h * bar.value / ticks[-1]))
    parts += _axes(x_label, y_label, plot_w, plot_h)
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(title: str, chart_id: str) -> str:
    ident = escape(chart_id)
    return (f'<svg class="chart" id="{ident}" role="img" aria-labelledby="{ident}-title" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
            f'xmlns="http://www.w3.org/2000/svg"><title id="{ident}-title">{escape(title)}</title>')


def _grid(ticks: Sequence[int], plot_w: float, plot_h: float) -> list[str]:
    rows = []
    for tick in ticks:
        y = TOP + plot_h - plot_h * tick / ticks[-1]
        rows.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="{GRID_COLOR}"/>'
                    f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
                    f'fill="{AXIS_COLOR}">{tick}</text>')
    return rows


def _bar(bar: Bar, x: float, slot: float, height: float) -> str:
    gap = min(8.0, slot * 0.2)
    y = TOP + (HEIGHT - TOP - BOTTOM) - height
    tip = escape(bar.note or f"{bar.label}: {bar.value}")
    return (f'<g class="bar"><title>{tip}</title>'
            f'<rect x="{x + gap / 2:.1f}" y="{y:.1f}" width="{slot - gap:.1f}" height="{height:.1f}" '
            f'fill="{escape(bar.color)}"/>'
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="11" '
            f'fill="#1d232a">{bar.value}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 15}" text-anchor="middle" font-size="11" '
            f'fill="{AXIS_COLOR}">{escape(bar.label)}</text></g>')


def _axes(x_label: str, y_label: str, plot_w: float, plot_h: float) -> list[str]:
    base = TOP + plot_h
    return [
        f'<line x1="{LEFT}" y1="{base}" x2="{LEFT + plot_w}" y2="{base}" stroke="{AXIS_COLOR}"/>',
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle" font-size="12" '
        f'fill="#1d232a">{escape(x_label)}</text>',
        f'<text transform="translate(13 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle" font-size="12" '
        f'fill="#1d232a">{escape(y_label)}</text>',
    ]
