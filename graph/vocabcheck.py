"""Check a SKOS vocabulary before a build uses it: label clashes, codes, types, relations, risky words.

A user file is checked as a build sees it, merged over the shipped vocabulary, so a relation to a
shipped concept is fine and a label that collides with a shipped one is caught.

>>> [f.severity for f in check_vocabulary()]
[]
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from graph.errors import InputError
from graph.extract import fold, spellings
from graph.iris import LG, RDF, SKOS
from graph.vocab import ICD10CM, LABELS, RELATIONS, TYPES, merge, parse_file, shipped_files

Severity = Literal["error", "warning"]
_Props = Mapping[str, Sequence[ox.NamedNode | ox.Literal | ox.BlankNode]]

#: General English words a health article uses in their everyday sense ("cold hands", "a swimming stroke").
#: A label that is one of them must be an lg:ambiguousLabel with lg:contextCue, or it will be matched everywhere.
_COMMON_TEXT = """
    a about above across act action active activity add after again against age ago air all allow almost alone
    along already also always among amount an and another answer any anyone anything appear apply area arm around
    art as ask at attack attention away baby back bad bag ball bank bar base be bear beat become bed before begin
    behind believe best better between big bill bit black blue board boat body book born both box boy break bring
    brother build burn business but buy by call can car card care carry case cast catch cause cell center centre
    chair chance change charge check child choice choose church city class clear close cold colds color colour
    come common company condition cool cost could country couple course court cover create crime cross cup cut dark
    data date daughter day dead deal death decide deep degree delivery design detail develop die diet difference
    different dinner direction discharge do doctor dog door down draw dream dress drink drive drop drops dry due
    during each early east easy eat edge effect effort eight either else end energy enjoy enough enter even evening
    event ever every everyone exam example exercise expect experience eye face fact fail faint fall family far farm
    fast father fear feel feeling few field fight figure file fill film final find fine finger finish fire firm
    first fish fit fits five floor fly follow food foot for force form forward four free friend from front full fun
    future game garden gas general get girl give glass go goal good great green ground group grow guess gun hair
    half hall hand hang happen happy hard have he head health hear heart heat heavy help her here high him his hit
    hold hole home hope horse hot hour house how however huge human hundred hurt husband i ice idea if image
    important in include increase indeed inside instead interest into issue it item its job join just keep key kid
    kill kind king kitchen know labor labour lack land language large last late laugh law lay lead learn least
    leave left leg less let letter level lie life light like line list listen little live local long look lose loss
    lot love low machine main major make man manage many mark market matter may me mean measure meet member memory
    mention middle might mile milk mind minute miss model moment money month more morning most mother move much
    music must my name nation near need never new news next nice night nine no none nor normal north not note
    nothing notice now number of off offer office often oil old on once one only open or order other our out over
    own pack page paint pair paper parent park part party pass past patch path pay peace people per period periods
    person pick picture piece piles place plan plant play point police poor position positive power present
    president pressure pretty price print private problem process produce program project prove public pull push
    put question quick quiet quite race rain raise range rate rather reach read ready real reason receive record
    red reduce relate remain remember report rest result return rich ride right ring rise risk river road rock role
    room round rule run runs rush safe sale salt same save say scan scene school score screen sea season seat second
    see seem sell send sense serve service set seven several shake shakes shape share she shock shoot shop short shot
    shots should show side sign simple since sing single sister sit site six size skill sleep slow small smile snow
    so social some someone something sometimes son song soon sort sound source south space speak special spend sport
    spring staff stage stand star start state stay step still stock stone stop store story street strain stress
    strike stroke strong student study stuff style subject success such suddenly sugar summer sun supply support
    sure surface swing system table take talk tall task tea teach team tell ten term test than thank that the their
    them then there these they thing think third this those though thought three through throw thrush thus time tip
    tired to today together tomorrow tonight too top total touch tough toward town track trade train travel treat
    tree trip trouble true trust truth try turn two type under unit until up upon us use usual value very view visit
    voice vote wait walk wall want war warm wash watch water way we weak wear weather week weight well west wet what
    when where whether which while white who whole why wide wife will win wind window winter wish with within
    without woman wonder word work world worry would write wrong yard year yes yet you young your
"""
COMMON_WORDS = frozenset(_COMMON_TEXT.split())


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a vocabulary: errors stop `linkgraph vocab check` (exit 2), warnings do not."""

    severity: Severity
    concept: str
    message: str

    def __str__(self) -> str:
        where = f" {self.concept}" if self.concept else ""
        return f"{self.severity}:{where} {self.message}"


def check_vocabulary(paths: Sequence[Path] | None = None) -> list[Finding]:
    """Findings for the shipped vocabulary, or for `paths` merged over it, errors first."""
    try:
        shipped = [t for p in shipped_files() for t in parse_file(p)]
        user = [t for p in paths or () for t in parse_file(p)]
    except InputError as exc:
        return [Finding("error", "", str(exc))]
    props = _properties(merge([shipped, user]))
    concepts = {s for s, p in props.items() if _is_concept(p)}
    findings = [
        *_structure(props, concepts),
        *_label_clashes(props, concepts),
        *_relations(props, concepts),
        *_common_words(props, concepts),
        *_codes(props, concepts),
    ]
    return sorted(findings, key=lambda f: (f.severity != "error", f.concept, f.message))


def _properties(triples: Sequence[ox.Triple]) -> dict[str, dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]]]:
    props: dict[str, dict[str, list[ox.NamedNode | ox.Literal | ox.BlankNode]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        if isinstance(t.subject, ox.NamedNode) and not isinstance(t.object, ox.Triple):
            props[t.subject.value][t.predicate.value].append(t.object)
    return props


def _values(p: _Props, *predicates: str) -> list[str]:
    return [o.value for pred in predicates for o in p.get(pred, ())]


def _is_concept(p: _Props) -> bool:
    kinds = _values(p, f"{RDF}type")
    return f"{SKOS}Concept" in kinds or any(k in TYPES for k in kinds)


def _structure(props: Mapping[str, _Props], concepts: set[str]) -> Iterator[Finding]:
    """Every concept needs skos:Concept, one schema.org medical type and exactly one prefLabel."""
    for iri in sorted(concepts):
        p = props[iri]
        kinds = _values(p, f"{RDF}type")
        if f"{SKOS}Concept" not in kinds:
            yield Finding("error", iri, "is not a skos:Concept, so builds ignore it")
        if not any(k in TYPES for k in kinds):
            yield Finding("error", iri, f"has no schema.org type (one of {', '.join(t.value for t in TYPES.values())})")
        prefs = _values(p, f"{SKOS}prefLabel")
        if not prefs:
            yield Finding("error", iri, "has no skos:prefLabel")
        elif len(prefs) > 1:
            yield Finding("error", iri, f"has {len(prefs)} prefLabels: {', '.join(sorted(prefs))}")
    labelled = {s for s, p in props.items() if _values(p, *LABELS, f"{LG}ambiguousLabel", f"{LG}abbreviation")}
    for iri in sorted(labelled - concepts):
        yield Finding("warning", iri, "has labels but no type, so it is not a concept and is never matched")


def _label_clashes(props: Mapping[str, _Props], concepts: set[str]) -> Iterator[Finding]:
    """The same label (case, hyphens and UK/US spelling aside) on two concepts; abbreviations by exact case."""
    owners: dict[str, dict[str, str]] = defaultdict(dict)
    for iri in sorted(concepts):
        p = props[iri]
        for label in _values(p, *LABELS, f"{LG}ambiguousLabel"):
            for form in spellings(" ".join(fold(label).split())):
                owners[form].setdefault(iri, label)
        for abbr in _values(p, f"{LG}abbreviation"):
            owners[f"abbr:{abbr}"].setdefault(iri, abbr)
    reported: set[tuple[str, ...]] = set()
    for by_concept in owners.values():
        if len(by_concept) > 1 and tuple(by_concept) not in reported:
            reported.add(tuple(by_concept))
            first, *others = by_concept
            names = ", ".join(f"{o} ({by_concept[o]!r})" for o in others)
            yield Finding("error", first, f"label {by_concept[first]!r} is also a label of {names}")


def _relations(props: Mapping[str, _Props], concepts: set[str]) -> Iterator[Finding]:
    """Relation targets must be concepts of the vocabulary; drugClass must point at a DrugClass."""
    drug_class = next(t for t, kind in TYPES.items() if kind.value == "DrugClass")
    for iri in sorted(concepts):
        for pred in RELATIONS:
            for target in _values(props[iri], pred):
                name = pred.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                if target not in concepts:
                    yield Finding("error", iri, f"{name} points at {target}, which is not a concept")
                elif name == "drugClass" and drug_class not in _values(props[target], f"{RDF}type"):
                    yield Finding("error", iri, f"drugClass points at {target}, which is not a DrugClass")


def _common_words(props: Mapping[str, _Props], concepts: set[str]) -> Iterator[Finding]:
    """Everyday words as plain labels match everywhere; they belong in lg:ambiguousLabel with cues."""
    for iri in sorted(concepts):
        p = props[iri]
        ambiguous = {fold(a) for a in _values(p, f"{LG}ambiguousLabel")}
        for label in _values(p, *LABELS):
            word = fold(label).strip()
            if word in COMMON_WORDS and word not in ambiguous:
                yield Finding("warning", iri, f"label {label!r} is a common English word; "
                                              "make it an lg:ambiguousLabel with lg:contextCue")
        if ambiguous and not _values(p, f"{LG}contextCue"):
            yield Finding("warning", iri, "has ambiguous labels but no lg:contextCue, so they never match")


def _codes(props: Mapping[str, _Props], concepts: set[str]) -> Iterator[Finding]:
    """ICD-10-CM notations must be valid codes (checked with simple_icd_10_cm when it is installed)."""
    codes = {
        (iri, o.value)
        for iri in concepts
        for o in props[iri].get(f"{SKOS}notation", ())
        if isinstance(o, ox.Literal) and o.datatype.value == ICD10CM
    }
    try:
        import simple_icd_10_cm as icd
    except ImportError:
        if codes:
            yield Finding("warning", "", "ICD-10-CM codes not checked: install simple-icd-10-cm")
        return
    for iri, code in sorted(codes):
        if not icd.is_valid_item(code):
            yield Finding("error", iri, f"ICD-10-CM code {code!r} is not a valid code")
