"""report.html: figures, SVG charts, tables linking to their CSVs, and nothing an article can run."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import replace
from pathlib import Path

import pytest

from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    ContentGap,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    PageMetrics,
    Skipped,
)
from graph.render import report
from graph.render.charts import Bar, bar_chart
from graph.render.report import ReportView, render_report, write_report
from graph.render.view import ExplorerView

SITE = "https://care.example"
HOSTILE = '<img src=x onerror="alert(1)">'
SCRIPT = "</style><script>alert(2)</script>"
COND = "https://w3id.org/linkgraph/concept/gout"


def url(slug: str) -> str:
    return f"{SITE}/{slug}/"


def page(slug: str, title: str, *links: Link) -> Article:
    return Article(f"{slug}.md", slug, title, "md", url=url(slug), links=links)


def report_view(hostile: str = HOSTILE) -> ReportView:
    """Gout links to diet; diet has a broken link; joints is an orphan; one gap from joints to gout."""
    articles = [
        page("gout", "Gout flare-ups", Link("/diet/", "diet", target=url("diet"), status=LinkStatus.OK)),
        page("diet", "Eating for gout", Link("/purines/", hostile, target=None, status=LinkStatus.BROKEN),
             Link("/gout/", "home", kind=LinkKind.NAV, target=url("gout"), status=LinkStatus.OK)),
        page("joints", hostile),
        Article("evil.md", "evil", "Off-site", "md", url="javascript:alert(3)"),
    ]
    metrics = {
        url("gout"): PageMetrics(url("gout"), link_score=95.0, depth=0, outlinks=1),
        url("diet"): PageMetrics(url("diet"), link_score=42.0, depth=1, inlinks=1, broken_links=1),
        url("joints"): PageMetrics(url("joints"), link_score=3.0, depth=None, orphan=True, dead_end=True),
        "javascript:alert(3)": PageMetrics("javascript:alert(3)", link_score=7.0, depth=9, orphan=True),
    }
    gaps = [Gap(url("joints"), url("gout"), hostile, f"Swollen toes {hostile} hurt.", "Signs", 0.87, hostile)]
    view = ExplorerView(SITE + "/", articles, metrics, {COND: Concept(COND, "gout", ConceptType.CONDITION)},
                        [ArticleConcepts(url("gout"), (COND,), ())], gaps)
    cgaps = [ContentGap("https://w3id.org/linkgraph/concept/uric", hostile, "MedicalSignOrSymptom", 12,
                        (url("gout"), url("diet")))]
    skipped = [Skipped(f"bad/{hostile}.md", "skipped", hostile)]
    return ReportView(view, cgaps, skipped, "2025-01-02 03:04 UTC")


@pytest.fixture(scope="module")
def html() -> str:
    return render_report(report_view())


def section(html: str, ident: str) -> str:
    match = re.search(rf'<section id="{ident}".*?</section>', html, re.S)
    assert match, ident
    return match.group(0)


def test_hostile_strings_are_escaped_everywhere(html: str) -> None:
    assert "<img" not in html and "onerror=\"alert" not in html
    for ident in ("gaps", "orphans", "broken", "content-gaps", "skipped"):
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in section(html, ident), ident


def test_a_title_cannot_close_the_style_or_open_a_script() -> None:
    html = render_report(report_view(SCRIPT))
    assert "<script" not in html.lower() and html.lower().count("</style>") == 1


def test_csp_allows_no_script_and_only_the_inline_style_by_hash(html: str) -> None:
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', html)
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert policy and style
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert policy.group(1).startswith("default-src 'none';")
    assert f"style-src 'sha256-{digest}'" in policy.group(1)
    assert "script-src" not in policy.group(1) and "unsafe" not in policy.group(1)
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?(?:https?:)?//(?!care\.example/)""", html)


def test_figures(html: str) -> None:
    figures = dict(report.report_context(report_view())["figures"])
    assert figures["Pages"] == 4 and figures["Orphan pages"] == 2 and figures["Broken links"] == 1
    assert figures["Links between pages"] == 1, "navigation links are not counted"
    assert figures["Unreachable pages"] == 1 and figures["Content gaps"] == 1
    assert figures["Files skipped or repaired"] == 1 and figures["Suggested links"] == 1
    assert "<dt>Orphan pages</dt><dd>2</dd>" in html


def bars(svg: str) -> dict[str, int]:
    """Bar label -> value, read back from the chart's own text."""
    found = re.findall(r'<g class="bar">.*?<text[^>]*>(\d+)</text><text[^>]*>([^<]*)</text></g>', svg, re.S)
    return {label: int(value) for value, label in found}


def test_charts_are_inline_svg_with_the_distributions(html: str) -> None:
    score = re.search(r'<svg class="chart" id="score-chart".*?</svg>', html, re.S)
    depth = re.search(r'<svg class="chart" id="depth-chart".*?</svg>', html, re.S)
    assert score and depth
    assert bars(score.group(0)) == {"0–9": 2, "10–19": 0, "20–29": 0, "30–39": 0, "40–49": 1, "50–59": 0,
                                    "60–69": 0, "70–79": 0, "80–89": 0, "90–100": 1}
    assert bars(depth.group(0)) == {"0": 1, "1": 1, "2": 0, "3": 0, "4": 0, "5": 0, "6+": 1, "none": 1}
    assert f'fill="{report.UNREACHABLE_COLOR}"' in depth.group(0)
    assert 'role="img"' in score.group(0) and "<title" in score.group(0)


def test_tables_link_to_their_csv_files(html: str) -> None:
    for ident, name in [("gaps", "gaps.csv"), ("orphans", "orphans.csv"), ("broken", "broken-links.csv"),
                        ("content-gaps", "content-gaps.csv"), ("skipped", "skipped.csv"), ("charts", "pages.csv")]:
        assert f'href="reports/{name}"' in section(html, ident), ident
    assert 'href="explorer.html"' in html


def test_gap_rows_name_both_pages_anchor_sentence_and_reason(html: str) -> None:
    gaps = section(html, "gaps")
    assert f'<a href="{url("gout")}" rel="noopener noreferrer">Gout flare-ups</a>' in gaps
    assert "Swollen toes" in gaps and "(Signs)" in gaps and ">0.87<" in gaps


def test_only_on_site_urls_become_links(html: str) -> None:
    assert 'href="javascript' not in html
    assert "Off-site" in section(html, "orphans")


def test_long_tables_show_the_first_rows_and_say_how_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report, "ROWS_SHOWN", 1)
    orphans = section(render_report(report_view()), "orphans")
    assert orphans.count("<tr>") == 2  # header and one row
    assert "Showing 1 of 2 orphan pages." in orphans and "All 2 in reports/orphans.csv" in orphans


def test_reports_not_written_are_not_linked() -> None:
    data = report_view()
    html = render_report(replace(data, view=replace(data.view, reports=("gaps.csv",))))
    assert 'href="reports/gaps.csv"' in html and "orphans.csv" not in html


def test_empty_build_renders_every_section_with_a_note() -> None:
    html = render_report(ReportView(ExplorerView(SITE, [], {}, {}, [], [])))
    assert "No link suggestions." in html and "No orphan pages." in html and "No broken links." in html
    assert html.count('<svg class="chart"') == 2


def test_content_gap_type_is_readable(html: str) -> None:
    assert "Sign or symptom" in section(html, "content-gaps")


def test_write_report_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.html"
    write_report(target, report_view())
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_bar_chart_escapes_labels_and_scales_to_the_largest_bar() -> None:
    svg = bar_chart("<b>", [Bar("<i>", 10), Bar("b", 5)], "x & y", "n")
    assert "<b>" not in svg and "<i>" not in svg and "&lt;i&gt;" in svg and "x &amp; y" in svg
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[0] == pytest.approx(2 * heights[1])
