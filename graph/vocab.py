"""Load and merge SKOS vocabularies into Concept and Relation records.

The shipped vocabulary lives in `data/vocabulary/*.ttl` (installed as `graph.vocabulary`). User files
named in config are merged over it: a concept a user file describes is replaced whole, so theirs win.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.errors import InputError
from graph.iris import LG, RDF, SCHEMA, SKOS
from graph.records import Concept, ConceptType, Relation
from graph.shipped import data_dir

#: Clinical relations analysis uses, in schema.org's direction.
RELATIONS = (
    f"{SCHEMA}signOrSymptom",
    f"{SCHEMA}possibleTreatment",
    f"{SCHEMA}riskFactor",
    f"{SCHEMA}drugClass",
    f"{SCHEMA}adverseOutcome",
    f"{SKOS}broader",
)
#: Labels matched case-insensitively; abbreviations and ambiguous labels are handled apart.
LABELS = (*tuple(f"{SKOS}{n}" for n in ("prefLabel", "altLabel", "hiddenLabel")), f"{LG}layLabel", f"{LG}clinicalLabel")
TYPES = {f"{SCHEMA}{t.value}": t for t in ConceptType}
ICD10CM = f"{LG}ICD10CM"


@dataclass(frozen=True)
class Vocabulary:
    """Concepts by IRI, their relations, and the triples to publish in the vocabulary graph."""

    concepts: dict[str, Concept]
    relations: tuple[Relation, ...]
    triples: tuple[ox.Triple, ...]

    def related(self, predicate_local: str) -> list[Relation]:
        """Relations with one predicate, e.g. 'signOrSymptom'."""
        return [r for r in self.relations if r.predicate.endswith(predicate_local)]


def shipped_files() -> list[Path]:
    """The vocabulary files installed with the package."""
    return sorted(data_dir("vocabulary").glob("*.ttl"))


def parse_file(path: Path) -> list[ox.Triple]:
    """Triples of one Turtle file; a syntax error names the file and line. Nothing is fetched."""
    try:
        return [q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)]
    except (OSError, SyntaxError, ValueError) as exc:
        raise InputError(f"vocabulary {path}: {str(exc).splitlines()[0]}") from exc


def merge(layers: Iterable[Sequence[ox.Triple]]) -> list[ox.Triple]:
    """Union of layers where a later layer wins property by property.

    A (subject, predicate) pair a later layer states replaces the earlier values of that pair, so a
    user file can relabel or retype a shipped concept and still keep its other shipped properties.
    """
    merged: dict[tuple[object, object], list[ox.Triple]] = {}
    for layer in layers:
        stated: dict[tuple[object, object], list[ox.Triple]] = defaultdict(list)
        for t in layer:
            stated[(t.subject, t.predicate)].append(t)
        merged.update(stated)
    return [t for triples in merged.values() for t in triples]


def load(extra: Sequence[Path] = ()) -> Vocabulary:
    """The shipped vocabulary (all files one layer) with user files merged over it."""
    shipped = [t for p in shipped_files() for t in parse_file(p)]
    user = [t for p in extra for t in parse_file(p)]
    return build(merge([shipped, user]))


def build(triples: list[ox.Triple]) -> Vocabulary:
    """Concept and Relation records from vocabulary triples."""
    props: dict[str, dict[str, list[ox.NamedNode | ox.Literal]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        if isinstance(t.subject, ox.NamedNode):
            props[t.subject.value][t.predicate.value].append(t.object)  # type: ignore[arg-type]
    concepts = {}
    for iri, p in props.items():
        concept = _concept(iri, p)
        if concept:
            concepts[iri] = concept
    relations = tuple(
        Relation(s, pred, o.value)
        for s, p in sorted(props.items())
        for pred in RELATIONS
        for o in p.get(pred, ())
        if s in concepts and o.value in concepts
    )
    return Vocabulary(concepts, relations, tuple(triples))


def _values(p: dict[str, list[ox.NamedNode | ox.Literal]], *preds: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(o.value for pred in preds for o in p.get(pred, ())))


def _concept(iri: str, p: dict[str, list[ox.NamedNode | ox.Literal]]) -> Concept | None:
    kinds = [TYPES[o.value] for o in p.get(f"{RDF}type", ()) if o.value in TYPES]
    pref = _values(p, f"{SKOS}prefLabel")
    if f"{SKOS}Concept" not in _values(p, f"{RDF}type") or not kinds or not pref:
        return None
    codes = [o.value for o in p.get(f"{SKOS}notation", ()) if isinstance(o, ox.Literal) and o.datatype.value == ICD10CM]
    return Concept(
        iri=iri,
        label=pref[0],
        type=kinds[0],
        labels=_values(p, *LABELS),
        abbreviations=_values(p, f"{LG}abbreviation"),
        ambiguous=_values(p, f"{LG}ambiguousLabel"),
        cues=_values(p, f"{LG}contextCue"),
        code=codes[0] if codes else None,
        broader=_values(p, f"{SKOS}broader"),
    )
