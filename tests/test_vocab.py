"""The shipped vocabulary: size, types, labels, codes and relations are all checkable facts."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from graph.records import ConceptType
from graph.vocab import Vocabulary, load, shipped_files

icd = pytest.importorskip("simple_icd_10_cm")


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load()


def test_ships_at_least_300_concepts_of_every_type(vocab: Vocabulary) -> None:
    assert len(vocab.concepts) >= 300
    assert set(Counter(c.type for c in vocab.concepts.values())) == set(ConceptType)


def test_every_code_is_valid_icd10cm(vocab: Vocabulary) -> None:
    codes = {c.iri: c.code for c in vocab.concepts.values() if c.code}
    assert len(codes) >= 200
    invalid = {iri: code for iri, code in codes.items() if not icd.is_valid_item(code)}
    assert invalid == {}


def test_no_label_names_two_concepts(vocab: Vocabulary) -> None:
    owners: dict[str, set[str]] = {}
    for c in vocab.concepts.values():
        for label in (c.label, *c.labels, *c.ambiguous):
            owners.setdefault(label.lower(), set()).add(c.iri)
    assert {label: iris for label, iris in owners.items() if len(iris) > 1} == {}


def test_relations_connect_known_concepts_in_schema_direction(vocab: Vocabulary) -> None:
    by_kind = Counter(r.predicate.rsplit("/", 1)[-1] for r in vocab.relations)
    assert by_kind["signOrSymptom"] >= 100
    assert by_kind["possibleTreatment"] >= 100
    assert by_kind["drugClass"] >= 50
    assert by_kind["riskFactor"] >= 30
    for r in vocab.related("drugClass"):
        assert vocab.concepts[r.object].type is ConceptType.DRUG_CLASS


def test_key_clinical_facts(vocab: Vocabulary) -> None:
    c = "https://w3id.org/linkgraph/concept/"
    rel = {(r.subject, r.predicate.rsplit("/", 1)[-1], r.object) for r in vocab.relations}
    assert (f"{c}herniated-disc", "signOrSymptom", f"{c}sciatica") in rel
    assert (f"{c}tirzepatide", "drugClass", f"{c}glp-1-receptor-agonist") in rel
    assert vocab.concepts[f"{c}sciatica"].code == "M54.3"


def test_user_file_wins_property_by_property(tmp_path: Path) -> None:
    own = tmp_path / "own.ttl"
    own.write_text(
        '@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n'
        '@prefix schema: <http://schema.org/> .\n'
        '<https://w3id.org/linkgraph/concept/sciatica> skos:prefLabel "sciatic pain"@en .\n'
        '<https://example.org/c/x> a skos:Concept, schema:MedicalCondition ; skos:prefLabel "house fever"@en .\n',
        encoding="utf-8",
    )
    vocab = load([own])
    sciatica = vocab.concepts["https://w3id.org/linkgraph/concept/sciatica"]
    assert sciatica.label == "sciatic pain"
    assert sciatica.code == "M54.3"  # shipped properties the user did not restate survive
    assert vocab.concepts["https://example.org/c/x"].label == "house fever"


def test_vocabulary_ships_with_the_package() -> None:
    assert {p.name for p in shipped_files()} >= {"conditions.ttl", "treatments.ttl"}
