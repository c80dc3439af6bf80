"""Find the vocabulary's concepts in an article: what it is about and what it mentions. No I/O.

>>> from graph.records import Concept, ConceptType, Article, Section
>>> vocab = [Concept("c:gerd", "reflux disease", ConceptType.CONDITION, labels=("acid reflux",),
...                  abbreviations=("GERD",)),
...          Concept("c:cold", "common cold", ConceptType.CONDITION, ambiguous=("cold",), cues=("sneezing",))]
>>> m = Matcher(vocab)
>>> [(h.concept, h.surface) for h in m.find("Acid-reflux and GERD, not gerd. Cold packs help.")]
[('c:gerd', 'Acid-reflux'), ('c:gerd', 'GERD')]
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import ahocorasick

from graph.ingest.sentences import sentence_at
from graph.records import Article, ArticleConcepts, Concept, Mention

_FOLD = str.maketrans({"’": "'", "‘": "'", "-": " ", "‐": " ", "‑": " ", "–": " ", "—": " ", "/": " "})
_NEGATION = re.compile(
    r"\b(no|not|without|never|denies|denied|absence of|free of|negative for|rules? out)\b(\W+\w+){0,3}\W*$", re.I
)
TITLE_WEIGHT, HEADING_WEIGHT, LEAD_WEIGHT, BODY_WEIGHT = 5.0, 2.0, 1.5, 1.0


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and hyphens; keeps every offset where it was.

    >>> fold("Café Over-the-Counter")
    'cafe over the counter'
    """
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        if ord(low) > 127:
            base = unicodedata.normalize("NFKD", low)[0]
            low = base if base.isascii() else low
        out.append(low)
    return "".join(out).translate(_FOLD)


def inflections(label: str) -> set[str]:
    """The label and its plural (last word), so 'kidney stone' also finds 'kidney stones'.

    >>> sorted(inflections("body ache"))
    ['body ache', 'body aches']
    """
    forms = {label}
    if label[-1:].isalpha() and len(label) > 3:
        if label.endswith("y") and label[-2:-1] not in "aeiou":
            forms.add(label[:-1] + "ies")
        elif label.endswith(("s", "x", "ch", "sh")):
            forms.add(label + "es")
        else:
            forms.add(label + "s")
    return forms


@dataclass(frozen=True, slots=True)
class Hit:
    """One occurrence of a concept in a text."""

    concept: str
    start: int
    end: int
    surface: str


@dataclass(frozen=True, slots=True)
class _Key:
    concept: str
    length: int
    needs_cue: bool


class Matcher:
    """Aho-Corasick automata compiled once per build: folded labels, and case-sensitive abbreviations."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self._folded = ahocorasick.Automaton()
        self._exact = ahocorasick.Automaton()
        self._cues: dict[str, tuple[str, ...]] = {}
        for c in concepts:
            self._cues[c.iri] = tuple(fold(q) for q in c.cues)
            for label in (c.label, *c.labels):
                self._add(self._folded, fold(label), c.iri, False)
            for label in c.ambiguous:
                self._add(self._folded, fold(label), c.iri, True)
            for abbr in c.abbreviations:
                self._add(self._exact, abbr, c.iri, False, plural=False)
        for automaton in (self._folded, self._exact):
            if len(automaton):
                automaton.make_automaton()

    @staticmethod
    def _add(automaton: ahocorasick.Automaton, label: str, iri: str, cue: bool, plural: bool = True) -> None:
        label = " ".join(label.split())
        for form in inflections(label) if plural else {label}:
            if form and form not in automaton:  # first concept to claim a label keeps it
                automaton.add_word(form, _Key(iri, len(form), cue))

    def find(self, text: str) -> list[Hit]:
        """Whole-word, longest, non-overlapping concept occurrences in reading order."""
        folded = fold(text)
        candidates = [*self._scan(self._folded, folded, text), *self._scan(self._exact, text, text)]
        candidates.sort(key=lambda h: (h.start, -(h.end - h.start)))
        hits, last_end = [], -1
        for hit in candidates:
            if hit.start >= last_end:
                hits.append(hit)
                last_end = hit.end
        return hits

    def _scan(self, automaton: ahocorasick.Automaton, haystack: str, text: str) -> Iterable[Hit]:
        if not len(automaton):
            return
        folded_text: str | None = None
        for end, key in automaton.iter(haystack):
            start = end - key.length + 1
            if not _whole_word(haystack, start, end + 1):
                continue
            if key.needs_cue:
                folded_text = folded_text if folded_text is not None else fold(text)
                if not any(q in folded_text for q in self._cues.get(key.concept, ())):
                    continue
            yield Hit(key.concept, start, end + 1, text[start : end + 1])


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def is_negated(sentence_before: str) -> bool:
    """True when a negation word closely precedes the mention ('no fever', 'without numbness').

    >>> is_negated("She had no"), is_negated("Pain without any"), is_negated("Pain with")
    (True, True, False)
    """
    return bool(_NEGATION.search(sentence_before))


@dataclass
class _Acc:
    count: int = 0
    weight: float = 0.0
    surface: str = ""
    section: str = ""
    sentence: str = ""
    negated_all: bool = True
    in_heading: bool = False
    linked_first: bool = True


def extract(article: Article, matcher: Matcher, max_about: int = 3) -> ArticleConcepts:
    """Mentions of every concept in the article and the few it is about."""
    acc: dict[str, _Acc] = {}
    anchors = {(lk.sentence, lk.anchor.lower()) for lk in article.links}
    titled = [hit.concept for hit in matcher.find(article.title)]
    for concept in titled:
        _add(acc, concept, TITLE_WEIGHT, heading=True)
    lead = True
    for section in article.sections:
        for hit in matcher.find(section.heading):
            _add(acc, hit.concept, HEADING_WEIGHT, heading=True)
        for paragraph in section.paragraphs:
            weight = LEAD_WEIGHT if lead else BODY_WEIGHT
            for hit in matcher.find(paragraph):
                sentence = sentence_at(paragraph, hit.start)
                negated = is_negated(paragraph[max(0, hit.start - 60) : hit.start])
                linked = any(s == sentence and hit.surface.lower() in a for s, a in anchors)
                _add(acc, hit.concept, weight, hit=hit, section=section.heading, sentence=sentence,
                     negated=negated, linked=linked)
            lead = False
    mentions = tuple(_mention(c, a) for c, a in sorted(acc.items()))
    return ArticleConcepts(article.url, _about(titled, mentions, max_about), mentions)


def _add(acc: dict[str, _Acc], concept: str, weight: float, *, heading: bool = False, hit: Hit | None = None,
         section: str = "", sentence: str = "", negated: bool = False, linked: bool = False) -> None:
    a = acc.setdefault(concept, _Acc())
    a.weight += weight * (0.2 if negated else 1.0)
    if heading:
        a.in_heading = True
        a.negated_all = False
        return
    a.count += 1
    a.negated_all = a.negated_all and negated
    if hit is not None and not negated and (not a.surface or (a.linked_first and not linked)):
        a.surface, a.section, a.sentence, a.linked_first = hit.surface, section, sentence, linked


def _mention(concept: str, a: _Acc) -> Mention:
    return Mention(concept, a.count, a.surface, a.section, a.sentence, a.negated_all and not a.in_heading,
                   round(a.weight, 3), a.in_heading)


def _about(titled: Sequence[str], mentions: Sequence[Mention], limit: int) -> tuple[str, ...]:
    """Concepts named in the title (heaviest first), else the heaviest concept if it clearly dominates."""
    ranked = sorted((m for m in mentions if not m.negated), key=lambda m: (-m.weight, m.concept))
    in_title = [m.concept for m in ranked if m.concept in titled]
    if in_title:
        return tuple(in_title[:limit])
    dominant = len(ranked) == 1 or (len(ranked) > 1 and ranked[0].weight >= 2 * ranked[1].weight)
    if ranked and dominant and ranked[0].weight >= 3 * BODY_WEIGHT:
        return (ranked[0].concept,)
    return ()


def drop_generic_about(found: Sequence[ArticleConcepts], max_share: float = 0.4) -> list[ArticleConcepts]:
    """Remove about-concepts most of the corpus mentions ('pain') where a more specific one remains.

    A page titled "Kidney Stone Pain" is about kidney stones; "pain" says nothing that sets it apart.
    """
    n = max(len(found), 1)
    df = Counter(m.concept for f in found for m in f.mentions if not m.negated)
    generic = {c for c, k in df.items() if k / n > max_share}
    out = []
    for f in found:
        specific = tuple(c for c in f.about if c not in generic)
        out.append(replace(f, about=specific) if specific and len(specific) < len(f.about) else f)
    return out
