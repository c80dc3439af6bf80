"""`check_vocabulary`: small broken vocabularies in temporary files, each with the finding it must produce."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from graph.vocabcheck import COMMON_WORDS, Finding, check_vocabulary

PREFIXES = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix schema: <http://schema.org/> .
@prefix lg: <https://w3id.org/linkgraph/ns#> .
@prefix lgc: <https://w3id.org/linkgraph/concept/> .
@prefix ex: <https://example.org/c/> .
"""
EX = "https://example.org/c/"


def check(tmp_path: Path, body: str) -> list[Finding]:
    path = tmp_path / "own.ttl"
    path.write_text(PREFIXES + body, encoding="utf-8")
    return check_vocabulary([path])


def about(findings: list[Finding], concept: str) -> list[tuple[str, str]]:
    return [(f.severity, f.message) for f in findings if f.concept == concept]


def test_shipped_vocabulary_is_clean() -> None:
    assert check_vocabulary() == []
    assert check_vocabulary(None) == check_vocabulary([])


def test_a_well_formed_user_file_adds_no_findings(tmp_path: Path) -> None:
    findings = check(tmp_path, """
ex:knee-bursitis a skos:Concept, schema:MedicalCondition ; skos:prefLabel "knee bursitis"@en ;
    lg:layLabel "housemaid's knee"@en ; skos:notation "M70.40"^^lg:ICD10CM ; skos:broader lgc:bursitis ;
    schema:possibleTreatment lgc:cold-therapy .
lgc:sciatica skos:prefLabel "sciatic pain"@en .
""")
    assert findings == []


def test_same_label_on_two_concepts_is_an_error_whatever_the_case(tmp_path: Path) -> None:
    findings = check(tmp_path, """
ex:a a skos:Concept, schema:MedicalCondition ; skos:prefLabel "house fever"@en .
ex:b a skos:Concept, schema:MedicalCondition ; skos:prefLabel "barn fever"@en ; skos:altLabel "House Fever"@en .
""")
    assert [f.severity for f in findings] == ["error"]
    assert findings[0].concept == f"{EX}a" and f"{EX}b" in findings[0].message


def test_a_label_clashing_with_the_shipped_vocabulary_or_its_other_spelling(tmp_path: Path) -> None:
    findings = check(tmp_path, """
ex:a a skos:Concept, schema:MedicalCondition ; skos:prefLabel "nerve trouble"@en ; skos:altLabel "Sciatica"@en .
ex:b a skos:Concept, schema:MedicalCondition ; skos:prefLabel "orchard anaemia"@en .
ex:c a skos:Concept, schema:MedicalCondition ; skos:prefLabel "orchard anemia"@en .
ex:d a skos:Concept, schema:Drug ; skos:prefLabel "drug d"@en ; lg:abbreviation "GERD"@en .
""")
    messages = " | ".join(str(f) for f in findings)
    assert all(f.severity == "error" for f in findings) and len(findings) == 3
    assert "'Sciatica'" in messages and "sciatica" in messages
    assert f"{EX}c ('orchard anemia')" in messages
    assert "'GERD'" in messages


def test_invalid_icd10cm_code_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("simple_icd_10_cm")
    findings = check(tmp_path, """
ex:a a skos:Concept, schema:MedicalCondition ; skos:prefLabel "orchard itch"@en ; skos:notation "Z99.999"^^lg:ICD10CM .
ex:b a skos:Concept, schema:MedicalCondition ; skos:prefLabel "orchard ache"@en ; skos:notation "M54.3"^^lg:ICD10CM .
""")
    assert about(findings, f"{EX}a") == [("error", "ICD-10-CM code 'Z99.999' is not a valid code")]
    assert about(findings, f"{EX}b") == []


def test_codes_not_checked_without_the_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "simple_icd_10_cm", None)
    findings = check(tmp_path, 'ex:a a skos:Concept, schema:MedicalCondition ; skos:prefLabel "orchard itch"@en ;'
                               ' skos:notation "Z99.999"^^lg:ICD10CM .\n')
    assert [(f.severity, f.concept) for f in findings] == [("warning", "")]
    assert "codes not checked" in findings[0].message


def test_missing_type_or_preflabel_are_errors(tmp_path: Path) -> None:
    findings = check(tmp_path, """
ex:untyped a skos:Concept ; skos:prefLabel "orchard gloom"@en .
ex:unlabelled a skos:Concept, schema:MedicalCondition ; skos:altLabel "orchard blues"@en .
ex:loose a schema:Drug ; skos:prefLabel "orchard tonic"@en .
ex:twice a skos:Concept, schema:Drug ; skos:prefLabel "tonic one"@en, "tonic two"@en .
ex:stray skos:altLabel "orchard fog"@en .
""")
    assert about(findings, f"{EX}untyped")[0][0] == "error" and "no schema.org type" in about(findings, f"{EX}untyped")[0][1]
    assert about(findings, f"{EX}unlabelled") == [("error", "has no skos:prefLabel")]
    assert about(findings, f"{EX}loose") == [("error", "is not a skos:Concept, so builds ignore it")]
    assert about(findings, f"{EX}twice") == [("error", "has 2 prefLabels: tonic one, tonic two")]
    assert about(findings, f"{EX}stray")[0][0] == "warning"


def test_relation_targets_must_be_concepts_of_the_right_type(tmp_path: Path) -> None:
    findings = check(tmp_path, """
ex:a a skos:Concept, schema:MedicalCondition ; skos:prefLabel "orchard itch"@en ;
    schema:possibleTreatment ex:nowhere ; skos:broader lgc:skin-condition .
ex:d a skos:Concept, schema:Drug ; skos:prefLabel "orchard balm"@en ; schema:drugClass lgc:sciatica .
""")
    assert about(findings, f"{EX}a") == [("error", f"possibleTreatment points at {EX}nowhere, which is not a concept")]
    assert about(findings, f"{EX}d") == [
        ("error", "drugClass points at https://w3id.org/linkgraph/concept/sciatica, which is not a DrugClass")
    ]


def test_common_words_need_an_ambiguity_marker_and_cues(tmp_path: Path) -> None:
    assert {"cold", "stroke", "heat", "rest"} <= COMMON_WORDS
    findings = check(tmp_path, """
ex:plain a skos:Concept, schema:MedicalCondition ; skos:prefLabel "weather sickness"@en ; skos:altLabel "weather"@en .
ex:marked a skos:Concept, schema:MedicalCondition ; skos:prefLabel "window sickness"@en ;
    lg:ambiguousLabel "window"@en ; lg:contextCue "draught"@en .
ex:cueless a skos:Concept, schema:MedicalCondition ; skos:prefLabel "garden sickness"@en ; lg:ambiguousLabel "garden"@en .
""")
    assert [s for s, _ in about(findings, f"{EX}plain")] == ["warning"]
    assert "common English word" in about(findings, f"{EX}plain")[0][1]
    assert about(findings, f"{EX}marked") == []
    assert about(findings, f"{EX}cueless") == [("warning", "has ambiguous labels but no lg:contextCue, so they never match")]


def test_a_file_that_does_not_parse_is_one_error_naming_it(tmp_path: Path) -> None:
    findings = check(tmp_path, "ex:a a skos:Concept ; skos:prefLabel \"unterminated .\n")
    assert len(findings) == 1 and findings[0].severity == "error" and "own.ttl" in findings[0].message


def test_errors_sort_before_warnings_and_print_readably(tmp_path: Path) -> None:
    findings = check(tmp_path, """
ex:w a skos:Concept, schema:MedicalCondition ; skos:prefLabel "weather sickness"@en ; skos:altLabel "weather"@en .
ex:e a skos:Concept ; skos:prefLabel "orchard gloom"@en .
""")
    assert [f.severity for f in findings] == ["error", "warning"]
    assert str(findings[0]).startswith(f"error: {EX}e has no schema.org type")
