"""The build's fast editorial checks (plain SPARQL on the store) agree with full pySHACL validation."""

from __future__ import annotations

import csv

import pyoxigraph as ox

from graph.pipeline import BuildResult
from graph.validate import editorial_report, editorial_shapes, load_shapes, validate


def test_fast_editorial_checks_equal_pyshacl(sample_build: BuildResult) -> None:
    db = ox.Store.read_only(str(sample_build.out / "store"))
    fast = editorial_report(db, load_shapes(editorial_shapes()))
    full = validate(sample_build.out, editorial_shapes())
    assert fast.findings and sorted(fast.findings) == sorted(full.findings)


def test_build_writes_validation_csv(sample_build: BuildResult) -> None:
    with (sample_build.out / "reports" / "validation.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    rules = {r["rule"] for r in rows}
    assert {"ConditionLinksToTreatment", "SymptomLinksToCondition", "ReviewedWithinAYear"} <= rules
    assert {r["severity"] for r in rows} <= {"Warning", "Info"}
