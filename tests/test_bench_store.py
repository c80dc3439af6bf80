"""The store benchmark feeds `pipeline._quads` exactly what the build does, so its figures stay comparable."""

from __future__ import annotations

import sys
from pathlib import Path

from graph import pipeline
from tests.conftest import SAMPLE

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_store
import benchlib


def test_store_bench_inputs_make_the_build_s_quads() -> None:
    args = bench_store.inputs(benchlib.prepare(SAMPLE))
    predicates = {q.predicate.value.rsplit("#", 1)[-1] for q in pipeline._quads(*args)}
    assert {"mention", "link", "linkScore", "linkRank"} <= predicates
