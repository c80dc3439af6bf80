"""Hostile build input: every bad file is a row in reports/skipped.csv, and the build goes on.

One build of a corpus full of traps (bad bytes, huge files, link farms, YAML that tries to run code
or explode, hostile slugs, spreadsheet formulas, symlinks out of the tree) is checked row by row;
readers are also driven directly with pages built to exhaust the stack or take quadratic time.
"""

from __future__ import annotations

import contextlib
import csv
import os
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlsplit

import networkx as nx
import pytest
import yaml
from click.testing import CliRunner
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from graph.analyse.links import _hits
from graph.cli import cli
from graph.errors import ArticleError
from graph.ingest import html, markdown
from graph.ingest.registry import read_file
from graph.ingest.source import discover
from graph.pipeline import build
from graph.records import Article, Skipped
from tests.hostile.conftest import ARTICLES, settings, write_files
from tests.rdfcompare import named_graphs, store_nquads

LG = "https://w3id.org/linkgraph/ns#"
MAX_BYTES = 1_500_000
MAX_LINKS = 10
BAD_UTF8 = b"---\ntitle: Caf\xe9 culture\n---\nCoffee and back pain are not related at all.\n"
FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+SUM(1,2)", "-2+3", "@cmd")


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """'Billion laughs' in YAML: each anchor lists the previous one `width` times."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "---\n" + "\n".join(lines) + f"\ntitle: *l{levels}\n---\nBody text about back pain.\n"


def front(fields: str, body: str = "Back pain improves with gentle walking.") -> str:
    return f"---\n{fields}\n---\n{body}\n"


def hostile_files(marker: Path) -> dict[str, str | bytes]:
    farm = " ".join(f"[link {i}](/articles/page-{i}/)" for i in range(50))
    payload = marker.as_posix()
    return {
        **ARTICLES,
        "bad-utf8.md": BAD_UTF8,
        "oversize.md": front("title: Big", "Word. " * (MAX_BYTES // 6 + 10)),
        "link-farm.md": front("title: Link farm", f"Many links follow. {farm}"),
        "python-tag.md": front(f"title: !!python/object/apply:os.system [\"touch {payload}\"]"),
        "python-open.md": front(f"title: Open\ntags: [!!python/object/apply:builtins.open [\"{payload}\", \"w\"]]"),
        "python-name.md": front("title: !!python/name:os.system"),
        "wrong-types.md": front("title: [a, list]\ndate: {year: 2024}\ntags: {a: 1}\ndraft: [yes]\n"
                                "description: [1, 2]"),
        "huge-title.md": front("title: " + "x" * 1_000_000),
        "long-title.md": front("title: " + "y" * 600),
        "impossible-date.md": front("title: Leap\ndate: 2023-02-30\nreviewed: 2024-13-45"),
        "alias-bomb.md": alias_bomb(),
        "deep-yaml.md": front("title: Deep\nx: " + "[" * 500 + "]" * 500),
        "huge-int.md": front("title: Int\nx: " + "9" * 5000),
        "slug-traversal.md": front("title: Traversal\nslug: ../../../etc/passwd"),
        "slug-nul.md": front('title: Nul\nslug: "a\\0b"'),
        "slug-dots.md": front("title: Dots\nslug: '..'"),
        "slug-percent.md": front("title: Percent\nslug: '%2e%2e'"),
        "CON.md": front("title: Reserved con"),
        "nul.html": "<html><body><main><h1>Reserved nul</h1><p>Plain text about sleep.</p></main></body></html>",
        ("z" * 240) + ".md": front("title: Long name"),
        "formulas.md": front(f"title: '{FORMULAS[0]}'",
                             f"{FORMULAS[2]} is a sum. See [{FORMULAS[1]}](/articles/back-pain/) and "
                             f"[{FORMULAS[3]}](/articles/sciatica/)."),
        "=SUM(1).md": "",
        "script-title.md": front("title: \"</script><img src=x onerror=alert(1)>\""),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the trap corpus once; returns its source, OUT, the marker path and an outside folder."""
    root = tmp_path_factory.mktemp("hostile-input")
    marker = root / "marker-created"
    source = write_files(root / "src", hostile_files(marker))
    outside = write_files(root / "outside", {"secret.md": front("title: Secret", "Zebracorn secrets stay out.")})
    try:
        (source / "linked.md").symlink_to(outside / "secret.md")
        (source / "linked-dir").symlink_to(outside, target_is_directory=True)
    except OSError:  # Windows without the symlink privilege
        pass
    before = sorted(p.name for p in root.iterdir())
    out = root / "out"
    build(source, out, settings(max_file_bytes=MAX_BYTES, max_links_per_article=MAX_LINKS))
    assert sorted(p.name for p in root.iterdir()) == sorted([*before, "out"])  # nothing written beside OUT
    return {"source": source, "out": out, "marker": marker, "root": root}


def rows(out: Path, name: str) -> list[dict[str, str]]:
    with (out / "reports" / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def reasons(out: Path, path: str) -> list[tuple[str, str]]:
    return [(r["action"], r["reason"]) for r in rows(out, "skipped.csv") if r["path"] == path]


def page_paths(out: Path) -> set[str]:
    return {r["path"] for r in rows(out, "pages.csv")}


# ----------------------------------------------------------------------------- reports of bad files


def test_the_build_goes_on_around_bad_files(hostile: dict[str, Path]) -> None:
    assert set(ARTICLES) <= page_paths(hostile["out"])


def test_invalid_utf8_is_reported_with_its_byte_offset(hostile: dict[str, Path]) -> None:
    offset = BAD_UTF8.index(b"\xe9")
    assert reasons(hostile["out"], "bad-utf8.md") == [("repaired", f"invalid UTF-8 at byte {offset}, replaced")]
    assert "bad-utf8.md" in page_paths(hostile["out"])


def test_file_size_limit(hostile: dict[str, Path]) -> None:
    (row,) = reasons(hostile["out"], "oversize.md")
    assert row[0] == "skipped" and f"over the {MAX_BYTES}-byte limit" in row[1]


def test_links_per_article_limit(hostile: dict[str, Path]) -> None:
    out = hostile["out"]
    assert reasons(out, "link-farm.md") == [("repaired", f"50 links, kept the first {MAX_LINKS}")]
    farm = [r for r in rows(out, "links.csv") if r["source_url"].endswith("/link-farm/")]
    assert len(farm) == MAX_LINKS


def test_python_tags_never_run(hostile: dict[str, Path]) -> None:
    assert not hostile["marker"].exists()
    for name in ("python-tag.md", "python-open.md", "python-name.md"):
        (row,) = reasons(hostile["out"], name)
        assert row[0] == "skipped" and "python/" in row[1], row


def test_the_marker_would_prove_execution(tmp_path: Path) -> None:
    """Control: an unsafe loader does run the same payload and create the marker."""
    marker = tmp_path / "control"
    opened = yaml.unsafe_load(f"!!python/object/apply:builtins.open [\"{marker.as_posix()}\", \"w\"]")
    opened.close()
    assert marker.exists()


def test_wrong_types_are_ignored_and_reported(hostile: dict[str, Path]) -> None:
    found = reasons(hostile["out"], "wrong-types.md")
    assert all(action == "repaired" for action, _ in found)
    assert {reason.split("'")[1] for _, reason in found} == {"title", "date", "tags", "draft", "description"}
    assert "wrong-types.md" in page_paths(hostile["out"])


def test_absurd_lengths_are_reported(hostile: dict[str, Path]) -> None:
    (huge,) = reasons(hostile["out"], "huge-title.md")
    assert huge[0] == "skipped" and "front matter is" in huge[1] and "limit" in huge[1]
    assert reasons(hostile["out"], "long-title.md") == [
        ("repaired", "front matter 'title' is 600 characters long (limit 500); ignored")]
    titles = {r["path"]: r["title"] for r in rows(hostile["out"], "pages.csv")}
    assert titles["long-title.md"] == "long-title"  # falls back to the file name


def test_impossible_dates_are_ignored_and_reported(hostile: dict[str, Path]) -> None:
    found = dict((reason.split("'")[1], action) for action, reason in reasons(hostile["out"], "impossible-date.md"))
    assert found == {"date": "repaired", "reviewed": "repaired"}


@pytest.mark.parametrize("name, words", [("alias-bomb.md", "alias"), ("deep-yaml.md", "nests"),
                                         ("huge-int.md", "unusable value")])
def test_yaml_that_explodes_is_refused(hostile: dict[str, Path], name: str, words: str) -> None:
    (row,) = reasons(hostile["out"], name)
    assert row[0] == "skipped" and words in row[1], row


def test_alias_bomb_is_refused_quickly_in_little_memory() -> None:
    text = alias_bomb(levels=12, width=12)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ArticleError, match="alias"):
            markdown.read("bomb.md", text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 10
    assert peak < 20_000_000


def test_empty_files_are_reported_with_a_neutralised_path(hostile: dict[str, Path]) -> None:
    with (hostile["out"] / "reports" / "skipped.csv").open(encoding="utf-8", newline="") as fh:
        cells = [row[0] for row in csv.reader(fh)]
    assert "'=SUM(1).md" in cells and "=SUM(1).md" not in cells


# ----------------------------------------------------------------------------- slugs and output paths


def test_hostile_slugs_are_sanitised_and_reported(hostile: dict[str, Path]) -> None:
    out = hostile["out"]
    urls = {r["path"]: r["url"] for r in rows(out, "pages.csv")}
    for name in ("slug-traversal.md", "slug-nul.md", "slug-dots.md", "slug-percent.md"):
        path = urlsplit(urls[name]).path
        assert path.startswith("/articles/") and path.rstrip("/").count("/") == 2, (name, urls[name])
        assert path.split("/")[2] not in ("", ".", "..") and "%00" not in path and "%2e" not in path.lower()
        assert [action for action, _ in reasons(out, name)] == ["repaired"]
    long_name = ("z" * 240) + ".md"
    assert len(urls[long_name]) < 300 and reasons(out, long_name)[0][0] == "repaired"
    assert urls["CON.md"].endswith("/articles/con/") and urls["nul.html"].endswith("/articles/nul/")


def test_every_output_path_stays_inside_out(hostile: dict[str, Path], small_build: Path) -> None:
    out = hostile["out"].resolve()
    found = list(out.rglob("*"))
    assert found and not any(p.is_symlink() for p in found)
    assert all(p.resolve().is_relative_to(out) for p in found)
    # No file is named after article data: a hostile corpus writes the same files as a benign one.
    assert {p.relative_to(out).parts[0] for p in found} == {p.relative_to(small_build).parts[0]
                                                             for p in small_build.rglob("*")}
    assert sorted(p.name for p in (out / "reports").iterdir()) == sorted(
        p.name for p in (small_build / "reports").iterdir())


def test_symlinks_out_of_the_source_are_never_followed(hostile: dict[str, Path]) -> None:
    source = hostile["source"]
    if not (source / "linked.md").is_symlink():
        pytest.skip("symlinks cannot be created here")
    assert not any(p.startswith("linked") for p in discover(source))
    assert not any(p.startswith("linked") for p in page_paths(hostile["out"]))
    assert b"Zebracorn" not in store_nquads(hostile["out"])


# ----------------------------------------------------------------------------- escaping


def test_report_cells_that_look_like_formulas_are_neutralised(hostile: dict[str, Path]) -> None:
    out = hostile["out"]
    title = next(r["title"] for r in rows(out, "pages.csv") if r["path"] == "formulas.md")
    assert title == "'" + FORMULAS[0]
    anchors = {r["anchor_text"] for r in rows(out, "links.csv") if "/formulas/" in r["source_url"]}
    assert anchors == {"'" + FORMULAS[1], "'" + FORMULAS[3]}
    sentences = {r["sentence"] for r in rows(out, "links.csv") if "/formulas/" in r["source_url"]}
    assert all(s[:1] not in "=+-@" for s in sentences)
    for report in (out / "reports").glob("*.csv"):
        with report.open(encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    assert cell[:1] not in ("=", "+", "@", "\t", "\r") or cell.lstrip("+-").replace(".", "").isdigit()
                    assert not cell.startswith("-") or cell[1:].replace(".", "").isdigit(), (report.name, cell)


def test_titles_cannot_close_the_explorer_script(hostile: dict[str, Path]) -> None:
    for page in ("explorer.html", "report.html"):
        text = (hostile["out"] / page).read_text(encoding="utf-8")
        assert "</script><img" not in text and "<img src=x" not in text, page


# ----------------------------------------------------------------------------- --strict


def test_strict_exits_1_and_still_writes(tmp_path: Path) -> None:
    source = write_files(tmp_path / "src", {**ARTICLES, "bad-utf8.md": BAD_UTF8})
    (source / "linkgraph.toml").write_text('site_url = "https://site.example/"\nworkers = 1\n', encoding="utf-8")
    runner = CliRunner()
    strict = runner.invoke(cli, ["build", str(source), "--out", str(tmp_path / "out"), "--strict", "-q"])
    assert strict.exit_code == 1, strict.output
    assert "skipped.csv" in strict.output and (tmp_path / "out" / "reports" / "skipped.csv").is_file()
    (source / "bad-utf8.md").unlink()
    clean = runner.invoke(cli, ["build", str(source), "--out", str(tmp_path / "out"), "--strict", "-q"])
    assert clean.exit_code == 0, clean.output


# ----------------------------------------------------------------------------- line endings


def test_crlf_cr_and_lf_give_isomorphic_graphs(tmp_path: Path) -> None:
    files = {
        **ARTICLES,
        "gout.html": "<html>\n<head><title>Gout | Site</title></head>\n<body><main>\n<h1>Gout</h1>\n"
                     "<p>Gout flares hurt.\nSee <a href='/articles/back-pain/'>back\npain</a>.</p>\n</main></body></html>\n",
        "cramp.txt": "Leg Cramp\n\nCauses\n\nCramp often follows exercise.\nStretching helps.\n",
        "cms.csv": "title,body\nNeck Pain,\"Neck pain follows poor posture.\n\nSee [sciatica](/articles/sciatica/).\"\n",
    }
    outs = []
    for name, ending in (("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")):
        converted = {k: v.replace("\n", ending) for k, v in files.items()}
        source = write_files(tmp_path / name, converted)
        build(source, tmp_path / f"out-{name}", settings())
        outs.append(tmp_path / f"out-{name}")
    first = _graphs_without_hits(outs[0])
    for other in outs[1:]:
        again = _graphs_without_hits(other)
        assert sorted(first) == sorted(again)
        assert [n for n in first if not isomorphic(first[n], again[n])] == []


def _graphs_without_hits(out: Path) -> dict[str, Graph]:
    """Named graphs minus HITS scores, which vary from run to run (see test_hits_scores_are_deterministic)."""
    graphs = named_graphs(out)
    for graph in graphs.values():
        for name in ("hubScore", "authorityScore"):
            graph.remove((None, URIRef(LG + name), None))
    return graphs


def test_hits_scores_are_deterministic() -> None:
    graph = nx.DiGraph([("back", "sciatica"), ("sciatica", "back"), ("gout", "back"), ("neck", "sciatica")])
    runs = {tuple(sorted(_hits(graph)[0].items())) for _ in range(20)}
    assert len(runs) == 1
    assert all(v >= 0 for v in _hits(graph)[0].values())


# ----------------------------------------------------------------------------- pathological pages


def test_fifty_thousand_nested_divs_parse_without_recursion_errors() -> None:
    page = "<html><body><main>" + "<div>" * 50_000 + "<p>Deep text about gout.</p>" + "</div>" * 50_000
    records = list(read_file("deep.html", page + "</main></body></html>"))
    assert [type(r) for r in records] == [Skipped, Article]
    assert isinstance(records[0], Skipped) and "nested" in records[0].reason
    assert isinstance(records[1], Article) and "Deep text about gout." in records[1].text


def test_deep_pages_without_a_main_element_still_parse() -> None:
    page = "<html><body>" + "<div>" * 20_000 + "<p>Deep text.</p>" + "</div>" * 20_000 + "</body></html>"
    assert "Deep text." in html.read("deep.html", page).text


def test_five_megabyte_paragraphs_with_many_links_parse() -> None:
    chunk = "Rest helps the sore back heal. " * 30
    md = (chunk + "See [rest](/articles/rest/) first. ") * 5_000
    html_page = "<main><p>" + (chunk + "See <a href='/articles/rest/'>rest</a> first. ") * 5_000 + "</p></main>"
    assert len(md) > 4_500_000
    for article in (markdown.read("big.md", md), html.read("big.html", html_page)):
        assert len(article.links) == 5_000
        assert {lk.sentence for lk in article.links} == {"See rest first."}


def test_a_markdown_page_of_deep_nesting_parses() -> None:
    quotes = "> " * 5_000 + "Quoted text about sleep.\n"
    lists = "".join("  " * i + "- item\n" for i in range(1_000))
    for text in (quotes, lists, "*" * 50_000 + "a" + "*" * 50_000, "[" * 20_000 + "a](/x/)"):
        with contextlib.suppress(ArticleError):
            markdown.read("deep.md", text)


def test_symlinked_source_root_is_allowed_but_not_its_escapes(tmp_path: Path) -> None:
    real = write_files(tmp_path / "real", dict(ARTICLES))
    link = tmp_path / "link"
    try:
        link.symlink_to(real, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks cannot be created here")
    assert discover(link) == sorted(ARTICLES)
    assert os.path.realpath(link) == str(real.resolve())
