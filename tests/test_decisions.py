"""The strategist's inputs: decisions that persist across builds, and traffic that ranks suggestions."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import pytest

from graph import iris
from graph.analyse.decisions import (
    Decision,
    DecisionResult,
    PendingLink,
    Verdict,
    apply_decisions,
    decide,
    gap_id,
    match_ids,
    read_decisions,
)
from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.inputs import Inputs, apply_inputs, load_inputs
from graph.analyse.traffic import FLOOR, read_traffic, traffic_factors, weight_by_traffic
from graph.errors import UsageError
from graph.ingest.urls import Site
from graph.pipeline import BuildResult, build
from graph.records import Article, Gap, Link, LinkKind, LinkStatus, Section
from graph.settings import Settings, settings_names

SITE = Site("https://s.example/", ["/articles/{slug}/"])
ALL = GapSettings(per_source=10, min_score=0.0)
BASICS_TEXT = ("Leg pain from sciatica is common. A narrowing called spinal stenosis affects older adults. "
               "Kidney stones also hurt.")


def url(slug: str) -> str:
    return f"https://s.example/articles/{slug}/"


def page(slug: str, title: str, text: str, links: tuple[Link, ...] = ()) -> Article:
    return Article(f"{slug}.md", slug, title, "md", url=url(slug), sections=(Section("Overview", (text,)),),
                   links=links)


def corpus(*links: Link) -> list[Article]:
    """A page naming three others by title, which it does not link yet (unless `links` says so)."""
    return [
        page("basics", "Back Pain Basics", BASICS_TEXT, links),
        page("sciatica", "Sciatica", "Sciatica is pain along the nerve down the leg."),
        page("stenosis", "Spinal Stenosis", "The canal narrows with age and pinches nerves."),
        page("stones", "Kidney Stones", "Hard deposits form in the kidney and pass with pain."),
        page("sleep", "Sleep Hygiene", "Keep a regular bedtime and a dark quiet bedroom."),
    ]


def finder(*links: Link) -> GapFinder:
    return GapFinder(corpus(*links), {}, {}, ())


def targets(gaps: list[Gap]) -> list[str]:
    return [g.target.split("/")[-2] for g in gaps]


def write(tmp_path: Path, text: str, name: str = "decisions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- IDs ------------------------------------------------------------------------------------------

def test_id_is_the_last_segment_of_the_suggestion_iri_for_any_site() -> None:
    iri = iris.gap_iri("s.example", url("basics"), url("sciatica"))
    assert gap_id(url("basics"), url("sciatica")) == iri.rsplit("/", 1)[-1]
    assert gap_id(url("basics"), url("sciatica")) != gap_id(url("sciatica"), url("basics"))
    assert len(gap_id("a", "b")) == 16


# --- reading the file -------------------------------------------------------------------------------

def test_reads_ids_urls_and_full_iris(tmp_path: Path) -> None:
    sid, iri = gap_id(url("basics"), url("sciatica")), iris.gap_iri("s.example", url("basics"), url("stones"))
    path = write(tmp_path, f"id,decision,note\n{sid},accepted,good one\n{iri},Rejected ,\n")
    found = read_decisions(path)
    assert [(d.id, d.verdict, d.note, d.line) for d in found] == [
        (sid, Verdict.ACCEPTED, "good one", 2), (gap_id(url("basics"), url("stones")), Verdict.REJECTED, "", 3)]
    assert all(d.pair is None for d in found)


def test_url_rows_are_normalised_like_the_build_and_win_over_the_id(tmp_path: Path) -> None:
    path = write(tmp_path, "source_url,target_url,decision,id\n"
                           "/articles/basics/,http://www.s.example/articles/sciatica/,rejected,ffffffffffffffff\n")
    (d,) = read_decisions(path, lambda u: SITE.resolve(u, None))
    assert d.pair == (url("basics"), url("sciatica"))
    assert d.id == gap_id(url("basics"), url("sciatica"))


def test_spreadsheet_files_copied_rows_blank_and_repeated_decisions(tmp_path: Path) -> None:
    """A BOM, ';' separators, any header case, extra columns, blank decisions, later lines winning."""
    a, b = gap_id(url("basics"), url("sciatica")), gap_id(url("basics"), url("stones"))
    text = (f"\ufeffSource URL;Target URL;Anchor text;ID;Decision;Note\n"
            f"{url('basics')};{url('sciatica')};sciatica;{a};accepted;\n"
            f"{url('basics')};{url('stones')};Kidney stones;{b};;not yet\n"
            f"# a comment line\n\n"
            f"{url('basics')};{url('sciatica')};sciatica;{a};rejected;changed my mind\n")
    found = read_decisions(write(tmp_path, text))
    assert [(d.id, d.verdict, d.note, d.line) for d in found] == [(a, Verdict.REJECTED, "changed my mind", 6)]


def test_quoted_notes_may_span_lines_and_line_numbers_stay_right(tmp_path: Path) -> None:
    text = 'id,decision,note\n0123456789abcdef,accepted,"two\nlines"\n0123456789abcdeg,accepted,\n'
    with pytest.raises(UsageError, match=r"decisions.csv:4: id must be"):
        read_decisions(write(tmp_path, text))


@pytest.mark.parametrize(("text", "where", "message"), [
    ("id,decision\n0123456789abcdef,maybe\n", ":2:", "decision must be 'accepted' or 'rejected', got 'maybe'"),
    ("id,decision\nabc,accepted\n", ":2:", "id must be the 16-character ID"),
    ("id,decision\n,accepted\n", ":2:", "id must be"),
    ("source_url,target_url,decision\n/articles/a/,,accepted\n", ":2:", "needs both source_url and target_url"),
    ("id,verdict\n0123456789abcdef,accepted\n", ":1:", "needs a 'decision' column"),
    ("decision,note\naccepted,x\n", ":1:", "needs a 'decision' column and 'id'"),
    ("id,decision\n0123456789abcdef,accepted,extra\n", ":2:", "3 cells but the header has 2"),
    ("", ":1:", "empty"),
    ('id,decision\n"0123456789abcdef,accepted\n', ":2:", "not valid CSV"),
])
def test_malformed_files_name_path_and_line(tmp_path: Path, text: str, where: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError, match=message) as err:
        read_decisions(path)
    assert f"{path}{where}" in str(err.value)


def test_a_missing_or_binary_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="decisions file not found"):
        read_decisions(tmp_path / "nope.csv")
    (tmp_path / "bin.csv").write_bytes(b"id,decision\n\xff\xfe\x00")
    with pytest.raises(UsageError, match="cannot read decisions file"):
        read_decisions(tmp_path / "bin.csv")


# --- applying them ----------------------------------------------------------------------------------

def gap(source: str, target: str, score: float = 0.5, anchor: str = "words") -> Gap:
    return Gap(url(source), url(target), anchor, "Some words here.", "Overview", score, "reason")


def decision(verdict: Verdict, source: str, target: str, line: int = 2) -> Decision:
    return Decision(verdict, gap_id(url(source), url(target)), url(source), url(target), line=line)


def test_apply_decisions_drops_lists_pending_and_counts_done() -> None:
    gaps = [gap("a", "b", anchor="bee"), gap("a", "c"), gap("a", "d")]
    decisions = [decision(Verdict.REJECTED, "a", "c"), decision(Verdict.ACCEPTED, "a", "b"),
                 decision(Verdict.ACCEPTED, "a", "e"), Decision(Verdict.ACCEPTED, "0" * 16, line=9)]
    result = apply_decisions(gaps, decisions, {(url("a"), url("e"))})
    assert targets(result.gaps) == ["d"]
    assert result.pending == [PendingLink(url("a"), url("b"), "bee", gap_id(url("a"), url("b")))]
    assert (result.rejected, result.done) == (1, 1)
    assert [d.line for d in result.unknown] == [9]


def test_decisions_about_pages_that_no_longer_exist_are_unknown() -> None:
    result = apply_decisions([], [decision(Verdict.ACCEPTED, "a", "gone")], set(), pages={url("a")})
    assert result.pending == [] and len(result.unknown) == 1


def test_ids_are_matched_to_page_pairs_the_build_knows() -> None:
    d = Decision(Verdict.REJECTED, gap_id(url("a"), url("b")))
    (matched,) = match_ids([d], [(url("x"), url("y")), (url("a"), url("b"))])
    assert matched.pair == (url("a"), url("b"))
    assert match_ids([d], [(url("x"), url("y"))]) == [d]


def test_round_trip_reject_accept_link(tmp_path: Path) -> None:
    """Build, decide, rebuild: the rejected suggestion is gone for good; the accepted one waits until linked."""
    first = finder().suggest(ALL)
    assert targets(first) == ["sciatica", "stones", "stenosis"]
    by_target = {t: g for t, g in zip(targets(first), first, strict=True)}
    rows = [f"{gap_id(by_target[t].source, by_target[t].target)},{v}," for t, v in
            (("stones", "rejected"), ("sciatica", "accepted"))]
    decisions = read_decisions(write(tmp_path, "id,decision,note\n" + "\n".join(rows) + "\n"))

    second = decide(finder(), ALL, decisions)
    assert targets(second.gaps) == ["stenosis"]
    assert second.pending == [PendingLink(url("basics"), url("sciatica"), "sciatica",
                                          gap_id(url("basics"), url("sciatica")))]
    assert (second.rejected, second.done) == (1, 0)

    added = Link("/articles/sciatica/", "sciatica", "Overview", "Leg pain from sciatica is common.", LinkKind.BODY,
                 url("sciatica"), LinkStatus.OK)
    third = decide(finder(added), ALL, decisions)
    assert targets(third.gaps) == ["stenosis"]
    assert third.pending == [] and (third.rejected, third.done) == (1, 1)


def test_a_decided_suggestion_frees_its_slot_for_the_next_one() -> None:
    one = GapSettings(per_source=1, min_score=0.0)
    assert targets(finder().suggest(one)) == ["sciatica"]
    rejected = Decision(Verdict.REJECTED, gap_id(url("basics"), url("sciatica")))
    assert targets(decide(finder(), one, [rejected]).gaps) == ["stones"]


def test_an_accepted_pair_the_limit_hides_still_gets_its_anchor() -> None:
    one = GapSettings(per_source=1, min_score=0.0)
    accepted = Decision(Verdict.ACCEPTED, gap_id(url("basics"), url("stenosis")))
    result = decide(finder(), one, [accepted])
    assert [p.anchor for p in result.pending] == ["spinal stenosis"]


# --- traffic ----------------------------------------------------------------------------------------

SEARCH_CONSOLE = ("Top pages,Clicks,Impressions,CTR,Position\n"
                  "https://s.example/articles/basics/,\"1,200\",40000,3%,7.1\n"
                  "https://www.s.example/articles/sleep/,9,300,3%,12\n"
                  "/articles/sleep/?utm=x,3,10,30%,4\n"
                  "(other),,,,\n")


def test_reads_a_search_console_export(tmp_path: Path) -> None:
    clicks = read_traffic(write(tmp_path, SEARCH_CONSOLE, "pages.csv"), lambda u: SITE.resolve(u, None))
    assert clicks[url("basics")] == 1200.0
    assert clicks[url("sleep")] == 9.0  # www. and http variants meet on the site's URL
    assert sum(clicks.values()) == 1212.0


@pytest.mark.parametrize(("header", "row"), [
    ("Landing page\tSessions", "/articles/basics/\t12"),
    ("URL;Views", "/articles/basics/;12"),
    ("page,impressions", "/articles/basics/,12"),
    ("Address,Clicks,Sessions", "/articles/basics/,12,999"),  # clicks preferred
])
def test_traffic_headers_are_matched_leniently(tmp_path: Path, header: str, row: str) -> None:
    clicks = read_traffic(write(tmp_path, f"{header}\n{row}\n", "t.csv"), lambda u: SITE.resolve(u, None))
    assert clicks == {url("basics"): 12.0}


@pytest.mark.parametrize(("text", "message"), [
    ("page,clicks\n/a/,lots\n", r"t.csv:2: clicks must be a number"),
    ("page,clicks\n/a/,-3\n", r"t.csv:2: clicks must be a count"),
    ("name,score\na,1\n", r"t.csv:1: the header needs a page column"),
])
def test_bad_traffic_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        read_traffic(write(tmp_path, text, "t.csv"))


def test_factors_are_bounded_and_log_scaled() -> None:
    factors = traffic_factors({"top": 10_000.0, "mid": 99.0, "none": 0.0})
    assert factors["top"] == 1.0 and factors["none"] == FLOOR
    assert FLOOR < factors["mid"] < 1.0 and factors["mid"] == pytest.approx(0.75 + 0.25 * 0.5, abs=1e-3)
    assert traffic_factors({"a": 0.0}) == {"a": 1.0}


def test_busy_source_pages_rank_first_and_scores_stay_in_range() -> None:
    gaps = [gap("quiet", "x", 0.9), gap("busy", "y", 0.8), gap("unknown", "z", 1.0)]
    weighted = weight_by_traffic(gaps, {url("busy"): 500.0, url("quiet"): 0.0})
    assert [(g.source.split("/")[-2], g.score) for g in weighted] == [
        ("busy", 0.8), ("unknown", 0.75), ("quiet", 0.675)]
    assert weight_by_traffic(gaps, {url("busy"): 0.0}) == gaps  # no clicks anywhere: no ranking signal
    assert weight_by_traffic(list(reversed(gaps)), {url("busy"): 500.0}) == weighted


# --- both together, as a build reads them ----------------------------------------------------------

def test_inputs_are_read_once_with_a_fingerprint(tmp_path: Path) -> None:
    write(tmp_path, f"id,decision\n{gap_id(url('basics'), url('sciatica'))},rejected\n")
    write(tmp_path, "page,clicks\n/articles/basics/,10\n", "traffic.csv")
    resolve = lambda u: SITE.resolve(u, None)  # noqa: E731
    inputs = load_inputs(tmp_path, "decisions.csv", "traffic.csv", resolve)
    assert len(inputs.decisions) == 1 and inputs.clicks == {url("basics"): 10.0}
    write(tmp_path, "page,clicks\n/articles/basics/,11\n", "traffic.csv")
    assert load_inputs(tmp_path, "decisions.csv", "traffic.csv", resolve).fingerprint != inputs.fingerprint
    assert load_inputs(tmp_path, "", "", resolve) == Inputs()
    with pytest.raises(UsageError, match="traffic file not found"):
        load_inputs(tmp_path, "", "missing.csv", resolve)

    result = apply_inputs(finder(), ALL, inputs)
    assert isinstance(result, DecisionResult) and targets(result.gaps) == ["stones", "stenosis"]
    assert all(0 <= g.score <= 1 for g in result.gaps)


# --- through a build (runs once the pipeline reads the `decisions` and `traffic` settings) ---------

wired = pytest.mark.skipif("decisions" not in settings_names(), reason="settings `decisions`/`traffic` not wired yet")
SOURCE = {
    "basics.md": f"---\ntitle: Back Pain Basics\n---\n{BASICS_TEXT}\n",
    "sciatica.md": "---\ntitle: Sciatica\n---\nSciatica is pain along the nerve down the leg.\n",
    "stenosis.md": "---\ntitle: Spinal Stenosis\n---\nThe canal narrows with age and pinches nerves.\n",
    "stones.md": "---\ntitle: Kidney Stones\n---\nHard deposits form in the kidney and pass with pain.\n",
    "sleep.md": "---\ntitle: Sleep Hygiene\n---\nKeep a regular bedtime and a dark quiet bedroom. Kidney stones "
                "can wake you at night.\n",
}


def counts(result: BuildResult) -> tuple[int, int, int]:
    """Pending, done and rejected decisions of a build."""
    found = asdict(result)
    return found["pending"], found["done"], found["rejected"]


def report(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "reports" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@wired
def test_build_round_trip(write_corpus: Callable[..., Path], tmp_path: Path) -> None:
    """Reject -> gone on rebuild; accept -> pending until the link is added -> gone, counted as done."""
    config = 'site_url = "https://s.example/"\ndecisions = "decisions.csv"\n'
    src = write_corpus({**SOURCE, "decisions.csv": "id,decision,note\n"}, config)
    out = tmp_path / "out"
    build(src, out, Settings.load(src / "linkgraph.toml"))
    first = {(r["source_url"], r["target_url"]): r["id"] for r in report(out, "gaps.csv")}
    assert all(i == gap_id(*pair) for pair, i in first.items())
    reject, accept = first[url("basics"), url("stones")], first[url("basics"), url("sciatica")]
    (src / "decisions.csv").write_text(f"id,decision,note\n{reject},rejected,\n{accept},accepted,\n")

    result = build(src, out, Settings.load(src / "linkgraph.toml"))
    assert {(r["source_url"], r["target_url"]) for r in report(out, "gaps.csv")} == set(first) - {
        (url("basics"), url("stones")), (url("basics"), url("sciatica"))}
    assert report(out, "accepted-pending.csv") == [
        {"source_url": url("basics"), "target_url": url("sciatica"), "anchor_text": "sciatica", "id": accept}]
    assert counts(result) == (1, 0, 1)

    text = SOURCE["basics.md"].replace("from sciatica", "from [sciatica](/articles/sciatica/)")
    (src / "basics.md").write_text(text, encoding="utf-8")
    result = build(src, out, Settings.load(src / "linkgraph.toml"))
    assert report(out, "accepted-pending.csv") == []
    assert (url("basics"), url("stones")) not in {(r["source_url"], r["target_url"]) for r in report(out, "gaps.csv")}
    assert counts(result) == (0, 1, 1)


@wired
def test_build_ranks_by_traffic_and_stops_on_a_bad_decisions_file(write_corpus: Callable[..., Path],
                                                                   tmp_path: Path) -> None:
    config = 'site_url = "https://s.example/"\ntraffic = "pages.csv"\n'
    src = write_corpus({**SOURCE, "pages.csv": "Top pages,Clicks\nhttps://s.example/articles/sleep/,500\n"}, config)
    out = tmp_path / "out"
    build(src, out, Settings.load(src / "linkgraph.toml"))
    rows = report(out, "gaps.csv")
    assert rows[0]["source_url"] == url("sleep")
    assert all(float(r["score"]) <= 0.75 for r in rows if r["source_url"] != url("sleep"))
    (src / "bad.csv").write_text("id,decision\n0123456789abcdef,perhaps\n", encoding="utf-8")
    settings = Settings.load(src / "linkgraph.toml").with_overrides(decisions="bad.csv")
    with pytest.raises(UsageError, match=r"bad\.csv:2: decision must be"):
        build(src, tmp_path / "other", settings)
    assert not (tmp_path / "other").exists()
