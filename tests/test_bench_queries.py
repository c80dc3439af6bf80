"""The named-query benchmark on the sample build: every query timed, with the rows the command line gets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from graph.pipeline import BuildResult
from graph.query import WorkerPool, list_queries
from graph.store import STORE_DIR

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_queries

#: The sample corpus has no redirected links and no page more than 3 clicks deep.
EMPTY_ON_SAMPLE = {"links-to-redirects", "deep-pages"}


@pytest.fixture(scope="module")
def measured(sample_build: BuildResult) -> dict[str, Any]:
    with WorkerPool(sample_build.out / STORE_DIR, size=1) as pool:  # one worker, not one per query
        return bench_queries.measure_build(sample_build.out, bench_queries.Options(repeat=2, pool=pool))


def test_every_named_query_is_timed(measured: dict[str, Any]) -> None:
    assert set(measured["queries"]) == {q.name for q in list_queries()}
    for name, r in measured["queries"].items():
        assert len(r["runs_ms"]) == 2 and 0 < r["best_ms"] <= r["median_ms"], name
        assert r["within_target"] == (r["median_ms"] <= bench_queries.TARGET_MS)
    assert measured["articles"] > 0 and measured["quads"] > measured["articles"]


def test_rows_where_the_sample_has_data(measured: dict[str, Any]) -> None:
    empty = {name for name, r in measured["queries"].items() if r["rows"] == 0}
    assert empty == EMPTY_ON_SAMPLE


def test_parameters_are_bound_to_values_from_the_build(measured: dict[str, Any]) -> None:
    params = measured["params"]
    assert params["pages-about-concept"]["concept"].startswith("https://w3id.org/linkgraph/concept/")
    assert params["gaps-from-page"]["page"].startswith("https://healthguide.example/")
    assert params["not-reviewed-12-months"] == {}  # optional date left to default to today


def test_engine_rows_match_the_command_line_path(measured: dict[str, Any]) -> None:
    """The in-process figure measures the same answer `linkgraph query --name` gives."""
    for name, r in measured["queries"].items():
        assert r["command_line"] == {"ms": r["command_line"]["ms"], "rows": r["rows"], "truncated": False}, name


def test_only_the_chosen_queries(sample_build: BuildResult) -> None:
    with WorkerPool(sample_build.out / STORE_DIR, size=1) as pool:
        opts = bench_queries.Options(repeat=1, pool=pool, only=frozenset({"orphan-pages"}))
        run = bench_queries.measure_build(sample_build.out, opts)
    assert list(run["queries"]) == ["orphan-pages"] and run["queries"]["orphan-pages"]["rows"] > 0


def test_results_file_keeps_other_sizes(tmp_path: Path, measured: dict[str, Any]) -> None:
    bench_queries.write({"100000": {"queries": {}}}, tmp_path)
    bench_queries.write({"10000": measured}, tmp_path)
    data = json.loads((tmp_path / "queries.json").read_text())
    assert list(data["runs"]) == ["10000", "100000"]
    assert "<= 50 ms" in data["target"]
    assert "| orphan-pages |" in bench_queries.table(measured)
