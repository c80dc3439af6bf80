"""The focused explorer (a subgraph around one page or concept) and the view snapshot it is made from."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from graph.errors import UsageError
from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    Mention,
    PageMetrics,
)
from graph.render.explorer import explorer_data
from graph.render.focus import focused_view, write_focused_explorer
from graph.render.snapshot import SNAPSHOT, load_view, write_view_snapshot
from graph.render.view import ExplorerView

SITE = "https://spine.example"
DISC = "https://w3id.org/linkgraph/concept/herniated-disc"
NERVE = "https://w3id.org/linkgraph/concept/sciatica"
FEVER = "https://w3id.org/linkgraph/concept/fever"


def url(slug: str) -> str:
    return f"{SITE}/{slug}/"


def to(slug: str, kind: LinkKind = LinkKind.BODY, status: LinkStatus = LinkStatus.OK) -> Link:
    return Link(href=f"/{slug}/", anchor=slug, kind=kind, target=url(slug), status=status)


def page(slug: str, title: str, *links: Link) -> Article:
    return Article(f"{slug}.md", slug, title, "md", url=url(slug), links=links)


def spine_view() -> ExplorerView:
    """disc -> nerve -> stretch -> posture (a chain of body links); home links everywhere by nav only;
    a gap from desk to disc; 'flu' only mentions fever, which no page is about."""
    articles = [
        page("disc", "Slipped Disc Explained", to("nerve"), Link("/gone/", "gone", status=LinkStatus.BROKEN)),
        page("nerve", "Nerve pain", to("stretch", LinkKind.RELATED)),
        page("stretch", "Stretches", to("posture")),
        page("posture", "Posture"),
        page("home", "Home", *(to(s, LinkKind.NAV) for s in ("disc", "nerve", "stretch", "posture", "desk", "flu"))),
        page("desk", "Desk set-up"),
        page("flu", "Flu"),
    ]
    concepts = {
        DISC: Concept(DISC, "herniated disc", ConceptType.CONDITION, labels=("slipped disc",)),
        NERVE: Concept(NERVE, "sciatica", ConceptType.SYMPTOM),
        FEVER: Concept(FEVER, "fever", ConceptType.SYMPTOM),
    }
    extracted = [
        ArticleConcepts(url("disc"), (DISC,), (Mention(NERVE, 2, "sciatica", "", ""),)),
        ArticleConcepts(url("nerve"), (NERVE,), ()),
        ArticleConcepts(url("flu"), (), (Mention(FEVER, 3, "fever", "", ""),)),
    ]
    gaps = [Gap(url("desk"), url("disc"), "slipped disc", "Bad chairs strain discs.", "Lead", 0.8, "about it")]
    metrics = {a.url: PageMetrics(a.url, link_score=50.0, depth=1, cluster=f"{SITE}/cluster/1") for a in articles}
    metrics[url("posture")] = PageMetrics(url("posture"), orphan=False, dead_end=True)
    return ExplorerView(SITE + "/", articles, metrics, concepts, extracted, gaps,
                        clusters={f"{SITE}/cluster/1": "back pain"})


def kept(view: ExplorerView) -> set[str]:
    return {a.url for a in view.articles} | set(view.concepts)


def test_focus_on_a_page_title_any_case_one_hop() -> None:
    sub, seeds = focused_view(spine_view(), "  slipped DISC explained ", 1)
    assert seeds == [url("disc")]
    # nerve (link out), desk (suggested link in), the concept it is about; not home (nav only)
    assert kept(sub) == {url("disc"), url("nerve"), url("desk"), DISC}
    assert [g.source for g in sub.gaps] == [url("desk")]


def test_focus_hops_widen_the_subgraph() -> None:
    view = spine_view()
    assert kept(focused_view(view, url("disc"), 0)[0]) == {url("disc")}
    two = kept(focused_view(view, url("disc"), 2)[0])
    assert two == {url("disc"), url("nerve"), url("desk"), DISC, url("stretch"), NERVE}
    assert url("posture") in kept(focused_view(view, url("disc"), 3)[0])


def test_focus_on_a_concept_label_or_alternative_label() -> None:
    view = spine_view()
    sub, seeds = focused_view(view, "Herniated Disc", 1)
    assert seeds == [DISC] and kept(sub) == {DISC, url("disc")}
    assert focused_view(view, "SLIPPED disc", 0)[1] == [DISC]


def test_focus_on_a_concept_only_mentioned_reaches_the_pages_mentioning_it() -> None:
    sub, _ = focused_view(spine_view(), "fever", 1)
    assert kept(sub) == {FEVER, url("flu")}
    assert explorer_data(sub)["counts"]["pages"] == 1


def test_mentions_are_not_followed_away_from_the_focus() -> None:
    sub, _ = focused_view(spine_view(), "nerve pain", 1)
    assert kept(sub) == {url("nerve"), url("disc"), url("stretch"), NERVE}
    disc = next(e for e in sub.extracted if e.url == url("disc"))
    assert disc.about == () and [m.concept for m in disc.mentions] == [NERVE]  # cut to what is shown


def test_unknown_focus_names_close_matches_and_bad_hops_fail() -> None:
    view = spine_view()
    with pytest.raises(UsageError, match="did you mean 'Nerve pain'"):
        focused_view(view, "nerve pian", 1)
    with pytest.raises(UsageError, match="between 0 and"):
        focused_view(view, "Flu", -1)
    with pytest.raises(UsageError):
        focused_view(view, "   ", 1)


def page_data(path: Path) -> dict[str, Any]:
    match = re.search(r'id="data">(.*?)</script>', path.read_text(encoding="utf-8"), re.S)
    assert match
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed


def test_write_focused_explorer_selects_the_focus_and_links_back_to_the_build(tmp_path: Path) -> None:
    build = tmp_path / "output"
    target = tmp_path / "elsewhere" / "disc.html"
    summary = write_focused_explorer(target, spine_view(), "herniated disc", 2, build=build)
    data = page_data(target)
    assert summary.seeds == (DISC,) and summary.pages == len(data["details"]) - summary.concepts
    assert data["focus"] == [DISC] and data["mode"] == "full"
    html = target.read_text(encoding="utf-8")
    assert "Focused on “herniated disc”, 2 hops" in html
    assert 'href="../output/report.html"' in html and 'href="../output/reports/gaps.csv"' in html


def test_focused_explorer_without_a_build_has_no_report_links(tmp_path: Path) -> None:
    target = tmp_path / "f.html"
    write_focused_explorer(target, spine_view(), "Flu", 0)
    assert "report.html" not in target.read_text(encoding="utf-8")


def test_snapshot_round_trip_draws_the_same_explorer(tmp_path: Path) -> None:
    view = spine_view()
    path = write_view_snapshot(tmp_path, view)
    assert path == tmp_path / SNAPSHOT
    again = load_view(tmp_path)
    assert explorer_data(again) == explorer_data(view)
    assert again.clusters == view.clusters and again.metrics == view.metrics and list(again.gaps) == list(view.gaps)
    assert again.concepts[DISC].labels == ("slipped disc",)


def test_snapshot_keeps_only_what_the_explorer_needs(tmp_path: Path) -> None:
    view = spine_view()
    article = replace(view.articles[0], sections=(), description="long text never needed")
    unused = Concept("https://w3id.org/linkgraph/concept/unused", "unused", ConceptType.DRUG)
    write_view_snapshot(tmp_path, replace(view, articles=[article, *view.articles[1:]],
                                          concepts={**view.concepts, unused.iri: unused}))
    text = (tmp_path / SNAPSHOT).read_text(encoding="utf-8")
    assert "long text never needed" not in text and unused.iri not in text


def test_load_view_without_a_snapshot_or_from_another_version_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="linkgraph build"):
        load_view(tmp_path)
    (tmp_path / SNAPSHOT).parent.mkdir(parents=True)
    (tmp_path / SNAPSHOT).write_text('{"format": 999}', encoding="utf-8")
    with pytest.raises(UsageError, match="another linkgraph version"):
        load_view(tmp_path)
    (tmp_path / SNAPSHOT).write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError, match="cannot read"):
        load_view(tmp_path)
