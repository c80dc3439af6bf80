"""The CLI in-process (click's CliRunner): exit codes, one-line errors, no tracebacks."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from graph.cli import cli
from tests.conftest import SAMPLE
from tests.rdfcompare import assert_same_graphs


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(code: int, err: str, expected_code: int, fragment: str) -> None:
    assert code == expected_code
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], err


def test_build_sample_writes_every_output(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert "articles" in err and "link suggestions" in err
    with (tmp_path / "o" / "reports" / "pages.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 34


def test_missing_source_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("build", str(tmp_path / "nope"), "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, 2, "not found")


def test_default_source_missing_is_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("build")
    assert_one_line_error(code, err, 2, "data/articles")


def test_empty_folder_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = run("build", str(tmp_path / "empty"), "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, 2, "no articles")


@pytest.mark.parametrize(
    ("config", "fragment"),
    [("site_url = [unclosed", "not valid TOML"), ("colour = 'blue'", "unknown setting"),
     ("gaps_per_source = 'many'", "must be int"), ("site_url = 'ftp://x'", "not an http")],
)
def test_bad_config_is_exit_2(tmp_path: Path, config: str, fragment: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text("---\ntitle: A\n---\nText.\n", encoding="utf-8")
    (src / "linkgraph.toml").write_text(config, encoding="utf-8")
    code, _, err = run("build", str(src), "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, 2, fragment)


def test_unreadable_config_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--config", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "o"))
    assert_one_line_error(code, err, 2, "cannot read config")


def test_setting_override(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--out", str(tmp_path / "o"), "-s", "gaps_per_source", "1", "-q")
    assert code == 0, err
    with (tmp_path / "o" / "reports" / "gaps.csv").open(encoding="utf-8") as fh:
        sources = [r["source_url"] for r in csv.DictReader(fh)]
    assert sources and len(sources) == len(set(sources))


def test_trig_setting_writes_graph_trig_equal_to_the_store(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--out", str(tmp_path / "o"), "-s", "trig", "yes", "-q")
    assert code == 0, err
    assert_same_graphs(tmp_path / "o" / "graph.trig", tmp_path / "o")
    assert "schema:MedicalWebPage" in (tmp_path / "o" / "graph.trig").read_text(encoding="utf-8")


def test_boolean_setting_override_needs_a_boolean(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--out", str(tmp_path / "o"), "-s", "trig", "maybe")
    assert_one_line_error(code, err, 2, "needs a bool")


def test_unknown_setting_override_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--out", str(tmp_path / "o"), "-s", "colour", "blue")
    assert_one_line_error(code, err, 2, "unknown setting")


def test_export_turtle_is_union(sample_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "g.ttl"
    code, _, err = run("export", str(sample_build.out), "--format", "turtle", "-o", str(target))
    assert code == 0, err
    text = target.read_text(encoding="utf-8")
    assert "schema:MedicalWebPage" in text and "GRAPH" not in text


def test_export_of_missing_build_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("export", str(tmp_path))
    assert_one_line_error(code, err, 2, "no linkgraph build")


def test_settings_lists_every_setting() -> None:
    from graph.settings import SETTINGS

    code, out, _ = run("settings")
    assert code == 0
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == [s.name for s in SETTINGS]


def test_python_dash_m_graph_works() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "graph", "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and "linkgraph" in proc.stdout


def test_query_counts_concepts_as_csv(sample_build) -> None:  # type: ignore[no-untyped-def]
    query = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a skos:Concept }"
    code, out, err = run("query", str(sample_build.out), query, "--format", "csv")
    assert code == 0, err
    header, value = out.strip().splitlines()
    assert header == "n" and int(value) >= 300


def test_named_query_with_param(sample_build) -> None:  # type: ignore[no-untyped-def]
    page = "https://healthguide.example/articles/sciatica/"
    code, out, err = run("query", str(sample_build.out), "gaps-from-page", "--param", f"page={page}",
                         "--format", "json")
    assert code == 0, err
    import json

    bindings = json.loads(out)["results"]["bindings"]
    assert bindings and {b["page"]["value"] for b in bindings} == {page}


def test_query_from_file(sample_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rq = tmp_path / "q.rq"
    rq.write_text("ASK { ?p a schema:MedicalWebPage }", encoding="utf-8")
    code, out, err = run("query", str(sample_build.out), "--file", str(rq), "--format", "json")
    assert code == 0, err
    assert '"boolean": true' in out or '"boolean":true' in out


@pytest.mark.parametrize(
    ("query", "code_expected", "fragment"),
    [("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 2, "SERVICE"),
     ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 2, "not allowed"),
     ("SELECT WHERE {", 2, "")],
)
def test_query_refusals_are_one_line(sample_build, query: str, code_expected: int, fragment: str) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("query", str(sample_build.out), query)
    assert_one_line_error(code, err, code_expected, fragment)


def test_query_without_build_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("query", str(tmp_path), "ASK {}")
    assert_one_line_error(code, err, 2, "no linkgraph build")


def test_queries_lists_named_queries() -> None:
    from graph.query import list_queries

    code, out, _ = run("queries")
    assert code == 0
    names = [line.split(":", 1)[0] for line in out.splitlines() if not line.startswith(" ")]
    assert names == [q.name for q in list_queries()] and len(names) >= 10


def test_serve_refuses_public_host_without_token(sample_build) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("serve", str(sample_build.out), "--host", "0.0.0.0")
    assert_one_line_error(code, err, 2, "token")


def test_validate_sample_only_editorial_findings(sample_build) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("validate", str(sample_build.out))
    assert code == 0, err
    assert "0 violations" in err and "Warning\t" in out
    strict, _, _ = run("validate", str(sample_build.out), "--strict")
    assert strict == 1


def test_validate_without_build_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("validate", str(tmp_path))
    assert_one_line_error(code, err, 2, "no linkgraph build")


def test_vocab_check_shipped_is_clean_and_bad_file_fails(tmp_path: Path) -> None:
    code, _, err = run("vocab", "check")
    assert code == 0 and "0 errors" in err
    bad = tmp_path / "bad.ttl"
    bad.write_text(
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n@prefix schema: <http://schema.org/> .\n"
        '<urn:x:a> a skos:Concept, schema:MedicalCondition ; skos:prefLabel "sciatica"@en .\n',
        encoding="utf-8",
    )
    code, out, _ = run("vocab", "check", str(bad))
    assert code == 2 and "sciatica" in out


def test_diff_of_a_build_with_itself_is_empty(sample_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run("diff", str(sample_build.out), str(sample_build.out), "--out", str(tmp_path))
    assert code == 0, err
    assert "No changes" in out
    assert (tmp_path / "diff.csv").read_text(encoding="utf-8").startswith("change,what,source,target,detail")


def test_push_needs_user_and_password_together(sample_build) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run("push", str(sample_build.out), "--gsp", "http://127.0.0.1:9/store", "--user", "u")
    assert_one_line_error(code, err, 2, "--password")


def test_strict_build_exits_1_on_skipped_files_but_writes_output(tmp_path: Path) -> None:
    code, _, err = run("build", str(SAMPLE), "--out", str(tmp_path / "o"), "--strict", "-q")
    assert_one_line_error(code, err, 1, "skipped or repaired")
    assert (tmp_path / "o" / "reports" / "skipped.csv").is_file()


def test_link_limit_repairs_link_farms(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    links = " ".join(f"[x{i}](/articles/p{i}/)" for i in range(30))
    (src / "farm.md").write_text(f"---\ntitle: Farm\n---\n{links}\n", encoding="utf-8")
    code, _, err = run("build", str(src), "--out", str(tmp_path / "o"), "-s", "max_links_per_article", "10", "-q")
    assert code == 0, err
    with (tmp_path / "o" / "reports" / "links.csv").open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 10
    with (tmp_path / "o" / "reports" / "skipped.csv").open(encoding="utf-8") as fh:
        assert [r["action"] for r in csv.DictReader(fh)] == ["repaired"]


def test_explore_writes_a_focused_explorer(sample_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "focus.html"
    code, out, err = run("explore", str(sample_build.out), "--focus", "herniated disc", "--hops", "1",
                         "--out", str(target))
    assert code == 0, err
    assert target.is_file() and "pages" in out
    code, _, err = run("explore", str(sample_build.out), "--focus", "no such topic at all")
    assert_one_line_error(code, err, 2, "no such topic")


def test_export_jsonld_uses_our_inline_context(sample_build, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    from rdflib import Graph
    from rdflib.compare import isomorphic

    target = tmp_path / "g.jsonld"
    code, _, err = run("export", str(sample_build.out), "--format", "jsonld", "-o", str(target))
    assert code == 0, err
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["@context"]["schema"] == "http://schema.org/"
    turtle = tmp_path / "g.ttl"
    run("export", str(sample_build.out), "--format", "turtle", "-o", str(turtle))
    assert isomorphic(Graph().parse(target, format="json-ld"), Graph().parse(turtle, format="turtle"))
