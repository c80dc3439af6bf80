"""Find the vocabulary's concepts in an article: what it is about and what it mentions. No I/O.

Labels are folded (case, accents, hyphens) and expanded once per build into the forms writers use:
UK/US spellings, plurals and singulars, and the verb forms of lay phrases ("pass out" for "passing
out"). Abbreviations match case-sensitively, so "MS" is not "ms". Ambiguous labels ("cold", "stroke")
count only when one of the concept's context cues occurs near them. See docs/extraction.md.

>>> from graph.records import Concept, ConceptType, Article, Section
>>> vocab = [Concept("c:gerd", "reflux disease", ConceptType.CONDITION, labels=("acid reflux",),
...                  abbreviations=("GERD",)),
...          Concept("c:cold", "common cold", ConceptType.CONDITION, ambiguous=("cold",), cues=("sneezing",))]
>>> m = Matcher(vocab)
>>> [(h.concept, h.surface) for h in m.find("Acid-reflux and GERD, not gerd. Cold packs help.")]
[('c:gerd', 'Acid-reflux'), ('c:gerd', 'GERD')]
>>> [h.surface for h in m.find("Cold hands. Warm gloves help. A cold with sneezing.")]
['cold']
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

import ahocorasick

from graph.ingest.sentences import sentence_at, sentence_spans
from graph.records import Article, ArticleConcepts, Concept, ConceptType, Mention, Section

_FOLD = str.maketrans({"’": "'", "‘": "'", "-": " ", "‐": " ", "‑": " ", "–": " ", "—": " ", "/": " "})
TITLE_WEIGHT, HEADING_WEIGHT, LEAD_WEIGHT, BODY_WEIGHT, TAG_WEIGHT = 5.0, 2.0, 1.5, 1.0, 2.0
NEGATED_FACTOR = 0.2

#: UK <-> US spelling rules (both directions listed) and contractions, applied to every folded label.
_SPELLINGS = tuple(
    (re.compile(pattern), repl)
    for pattern, repl in (
        (r"aemi", "emi"), (r"(?<=[b-z])emia\b", "aemia"), (r"ischaem", "ischem"), (r"ischem", "ischaem"),
        (r"\bhaem", "hem"), (r"\bhem(?=[aoa])", "haem"), (r"oedema", "edema"), (r"\bedema", "oedema"),
        (r"oesoph", "esoph"), (r"\besoph", "oesoph"), (r"rrhoea", "rrhea"), (r"rrhea", "rrhoea"),
        (r"pnoea", "pnea"), (r"pnea\b", "pnoea"), (r"aesthe", "esthe"), (r"(?<=[no])esthe", "aesthe"),
        (r"\bpaed", "ped"), (r"\bpediatr", "paediatr"), (r"gynaec", "gynec"), (r"gynec", "gynaec"),
        (r"\bfaec", "fec"), (r"\bfec(?=al|es)", "faec"), (r"\boestr", "estr"), (r"\bestr(?=og|ad)", "oestr"),
        (r"viour", "vior"), (r"vior", "viour"),
        (r"\b(tum|col|od|hum)our", r"\1or"), (r"\b(tum|col|od|hum)or", r"\1our"),
        (r"(?<=[a-z]{2})is(e|ed|es|ing|ation|ations)\b", r"iz\1"),
        (r"(?<=[a-z]{2})iz(e|ed|es|ing|ation|ations)\b", r"is\1"),
        (r"\bfibre", "fiber"), (r"\bfiber", "fibre"), (r"\bcentre", "center"), (r"\bcenter", "centre"),
        (r"programme", "program"), (r"\bprogram\b", "programme"), (r"sulph", "sulf"), (r"sulf", "sulph"),
        (r"ogue\b", "og"), (r"\b(analog|catalog)\b", r"\1ue"), (r"ageing", "aging"), (r"\baging", "ageing"),
        (r"counsell", "counsel"), (r"counsel(?=ing|or)", "counsell"), (r"yse\b", "yze"), (r"yze\b", "yse"),
        (r"\bcan't\b", "cannot"), (r"\bcannot\b", "can't"),
    )
)
#: Irregular past tenses of the verbs lay phrases start with ("losing weight" -> "lost weight").
_IRREGULAR = {"feeling": "felt", "losing": "lost", "throwing": "threw", "getting": "got", "sitting": "sat",
              "running": "ran", "drinking": "drank", "eating": "ate", "taking": "took", "going": "went",
              "seeing": "saw", "catching": "caught", "putting": "put", "cutting": "cut", "quitting": "quit"}
#: Single-word symptom and condition labels that are adjectives, so have no "-ing" form ("numbing" is not numbness).
_ADJECTIVES = frozenset({"numb", "faint", "dizzy", "weak", "stiff", "sore", "swollen", "itchy", "tired",
                         "bloated", "confused", "nauseous", "obese", "pregnant", "drowsy", "winded"})
#: A cue also matches its inflections and derived forms ('stiff' finds 'stiffness').
_CUE_SUFFIX = "(?:s|es|d|ed|ing|ly|ness|er|ers)?"
_RELATED = re.compile(r"^\W*(related|see also|further reading|more reading|read next|references|sources)\b", re.I)


def fold(text: str) -> str:
    """Lower-case, strip accents, unify apostrophes and hyphens; keeps every offset where it was.

    >>> fold("Café Over-the-Counter")
    'cafe over the counter'
    """
    if text.isascii():
        return text.lower().translate(_FOLD)
    return "".join(map(_fold_char, text)).translate(_FOLD)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    low = ch.lower()
    if len(low) != 1:
        return ch
    if ord(low) > 127:
        base = unicodedata.normalize("NFKD", low)[0]
        return base if base.isascii() else low
    return low


def spellings(label: str) -> set[str]:
    """The folded label in both UK and US spelling, with "can't" also as "cannot".

    >>> sorted(spellings("iron deficiency anaemia"))
    ['iron deficiency anaemia', 'iron deficiency anemia']
    >>> sorted(spellings("cognitive behavioral therapy"))
    ['cognitive behavioral therapy', 'cognitive behavioural therapy']
    """
    forms = {label}
    for pattern, repl in _SPELLINGS:
        forms |= {pattern.sub(repl, f) for f in forms if pattern.search(f)}
    return forms


def _plural(word: str) -> str | None:
    if len(word) < 3 or not word.isalpha() or (word.endswith("s") and not word.endswith("ss")):
        return None
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("ss", "x", "ch", "sh", "z")) else "s")


def _singular(word: str) -> str | None:
    if len(word) < 5 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return None
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-2] if word.endswith(("sses", "shes", "ches", "xes")) else word[:-1]


def _verb_forms(gerund: str) -> set[str]:
    """Base, third-person and past forms of an '-ing' word; wrong guesses are harmless non-words."""
    stem = gerund[:-3]
    if len(stem) < 2:
        return set()
    bases = {stem, stem + "e"}
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
        bases.add(stem[:-1])
    forms = bases | {b + "s" for b in bases} | {stem + "es", stem + "ed"}
    if gerund in _IRREGULAR:
        forms.add(_IRREGULAR[gerund])
    return forms


def _ing(word: str) -> str:
    return (word[:-1] if word.endswith("e") and not word.endswith(("ee", "ye", "oe")) else word) + "ing"


def inflections(label: str, verbal: bool = False) -> set[str]:
    """The label with its last word in plural and singular, and lay phrases in their verb forms.

    `verbal` also gives a one-word label its '-ing' form (symptoms and conditions: 'spasm', 'spasming').

    >>> sorted(inflections("body ache"))
    ['body ache', 'body aches']
    >>> sorted(f for f in inflections("muscle spasms") if " " in f)
    ['muscle spasm', 'muscle spasms']
    >>> {"pass out", "passed out"} <= inflections("passing out")
    True
    """
    words = label.split()
    if not words:
        return set()
    forms = {label}
    head, last = words[:-1], words[-1]
    for other in (_plural(last), _singular(last) if head and head[0] != "the" else None):
        if other:
            forms.add(" ".join([*head, other]))
    if len(words) > 1 and words[0].endswith("ing") and words[0] != "during":
        forms |= {" ".join([v, *words[1:]]) for v in _verb_forms(words[0])}
    if verbal and len(words) == 1 and last.isalpha() and last not in _ADJECTIVES and not last.endswith("ing"):
        forms.add(_ing(last))
    return forms


def _abbreviation_like(label: str) -> bool:
    """'MS', 'CBT-I': matched case-sensitively, so the lower-case word ('ms') is not taken for it."""
    letters = [ch for ch in label if ch.isalpha()]
    return len(letters) >= 2 and sum(ch.isupper() for ch in letters) >= 2 and not any(
        ch.islower() for ch in label.split()[0]
    )


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
        self._cues: dict[str, re.Pattern[str]] = {}
        concepts = list(concepts)
        for c in concepts:
            self._compile(c)
        for automaton in (self._folded, self._exact):
            if len(automaton):
                automaton.make_automaton()
        self.generic = _generic(concepts)

    def _compile(self, c: Concept) -> None:
        verbal = c.type in (ConceptType.SYMPTOM, ConceptType.CONDITION)
        if c.cues:
            alternatives = "|".join(re.escape(" ".join(fold(q).split())) for q in c.cues)
            self._cues[c.iri] = re.compile(rf"(?<![a-z0-9])(?:{alternatives}){_CUE_SUFFIX}(?![a-z0-9])")
        ambiguous = {fold(a) for a in c.ambiguous}
        for label in dict.fromkeys((c.label, *c.labels)):
            if fold(label) not in ambiguous:
                self._add_folded(label, c.iri, False, verbal)
        for label in c.ambiguous:
            if _abbreviation_like(label):
                self._add_exact(label, c.iri, True)
            else:
                self._add_folded(label, c.iri, True, False)
        for abbr in c.abbreviations:
            self._add_exact(abbr, c.iri, False)

    def _add_folded(self, label: str, iri: str, cue: bool, verbal: bool) -> None:
        folded = " ".join(fold(label).split())
        for spelling in spellings(folded):
            for form in inflections(spelling, verbal):
                _claim(self._folded, form, _Key(iri, len(form), cue))

    def _add_exact(self, abbr: str, iri: str, cue: bool) -> None:
        abbr = " ".join(abbr.split())
        forms = {abbr, abbr + "s"}
        if any(ch.isdigit() for ch in abbr):
            forms.add(abbr.lower())  # 'glp-1 ra', 'cbt-i' with a digit or hyphen are never English words
        for form in forms:
            _claim(self._exact, form, _Key(iri, len(form), cue))

    def find(self, text: str, context: str | None = None) -> list[Hit]:
        """Whole-word, longest, non-overlapping concept occurrences in reading order.

        An ambiguous label needs one of its concept's cues in the sentence around it, or anywhere in
        `context` when given (a title is judged by the whole article).
        """
        folded = fold(text)
        candidates = [*self._scan(self._folded, folded), *self._scan(self._exact, text)]
        candidates.sort(key=lambda k: (k[0], -(k[1] - k[0])))
        hits, last_end = [], -1
        window: str | None = None
        for start, end, key in candidates:
            if start < last_end:
                continue
            if key.needs_cue:
                if context is not None and window is None:
                    window = fold(context)
                if not self._cued(key.concept, window if window is not None else _near(text, start)):
                    continue
            hits.append(Hit(key.concept, start, end, text[start:end]))
            last_end = end
        return hits

    def _cued(self, concept: str, text: str) -> bool:
        pattern = self._cues.get(concept)
        return bool(pattern and pattern.search(" ".join(text.split())))

    @staticmethod
    def _scan(automaton: ahocorasick.Automaton, haystack: str) -> Iterable[tuple[int, int, _Key]]:
        if not len(automaton):
            return
        for end, key in automaton.iter(haystack):
            start = end - key.length + 1
            if _whole_word(haystack, start, end + 1):
                yield start, end + 1, key


def _claim(automaton: ahocorasick.Automaton, form: str, key: _Key) -> None:
    """First concept to claim a form keeps it; a cue-free claim beats an ambiguous one."""
    if not form:
        return
    held = automaton.get(form, None)
    if held is None or (held.needs_cue and not key.needs_cue):
        automaton.add_word(form, key)


def _generic(concepts: Sequence[Concept], share: int = 5) -> frozenset[str]:
    """Concepts too broad to be a page's topic when a narrower one is named: umbrella categories
    (broader of several concepts) and one-word labels that end many others ('pain')."""
    narrower = Counter(b for c in concepts for b in c.broader)
    heads = Counter(c.label.lower().split()[-1] for c in concepts if " " in c.label)
    return frozenset(
        c.iri for c in concepts
        if narrower[c.iri] >= share or (" " not in c.label and heads[c.label.lower()] >= share)
    )


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _near(text: str, offset: int) -> str:
    """The folded sentence around `offset` and its neighbours: where cues for an ambiguous word must be."""
    spans = sentence_spans(text) or [(0, len(text))]
    at = next((i for i, (a, b) in enumerate(spans) if a <= offset < b), len(spans) - 1)
    return fold(text[spans[max(0, at - 1)][0] : spans[min(len(spans) - 1, at + 1)][1]])


_PSEUDO = re.compile(
    r"\b(?:no longer|no matter|no doubt|no wonder|no more than|no less than|not only|not just|not always|"
    r"not necessarily|not sure|not uncommon|not unusual|not until|not the only|without (?:a )?(?:doubt|question))\b"
)
_LIST_TRIGGER = re.compile(
    r"\b(?:no|without|denies|denied|deny|denying|free of|absence of|negative for|rules? out|ruled out|ruling out)\b"
)
_VERB_TRIGGER = re.compile(r"\b(?:not|never|cannot)\b|n't\b")
_TERMINATOR = re.compile(
    r"[.;:!?()\n]|\b(?:but|however|although|though|yet|except|apart|aside|besides|still|while|whereas|which|who|"
    r"because|since|unless|until|instead|rather|if|when)\b"
)
_LISTING = re.compile(r",|\b(?:or|nor|and)\b")
_POST = re.compile(r"^\W*(?:is|was|were|are|has been|have been|had been)\s+(?:ruled out|excluded|absent|not present)\b")


def is_negated(before: str, after: str = "") -> bool:
    """True when a negation governs the mention that follows `before` (or precedes `after`).

    A negation reaches three words ahead; 'no', 'without' and 'denies' reach further across a list
    ('no fever, chills or rash'). 'not' stops at a comma; all stop at a sentence end and at 'but',
    'although' and the like.

    >>> is_negated("She had no"), is_negated("Pain without any"), is_negated("Pain with")
    (True, True, False)
    >>> is_negated("No fever, but a bad"), is_negated("He denies chest pain, reports no shortness of breath, or")
    (False, True)
    >>> is_negated("It does not fix, and"), is_negated("no longer has"), is_negated("", " was ruled out.")
    (False, False, True)
    """
    text = fold(before)
    if _POST.match(fold(after)):
        return True
    for trigger, is_list in ((_LIST_TRIGGER, True), (_VERB_TRIGGER, False)):
        found = list(trigger.finditer(text))
        if not found or any(p.start() <= found[-1].start() < p.end() for p in _PSEUDO.finditer(text)):
            continue
        gap = text[found[-1].end() :]
        listing = is_list and bool(_LISTING.search(gap))
        if not _TERMINATOR.search(gap) and (is_list or "," not in gap) and len(gap.split()) <= (8 if listing else 3):
            return True
    return False


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
    """Mentions of every concept in the article and the few it is about.

    The title, headings and lead paragraph weigh more than the body; a related-articles block is
    skipped (its words name other pages). Front-matter tags raise the weight of concepts the text names.
    """
    acc: dict[str, _Acc] = {}
    sections = [s for s in article.sections if not _RELATED.match(s.heading)]
    context = "\n".join([article.title, *(p for s in sections for p in (s.heading, *s.paragraphs))])
    titled = [hit.concept for hit in matcher.find(article.title, context)]
    for concept in titled:
        _add(acc, concept, TITLE_WEIGHT, heading=True)
    _body(acc, article, sections, matcher)
    tagged = {hit.concept for tag in article.tags for hit in matcher.find(tag, context)}
    for concept in tagged & acc.keys():
        acc[concept].weight += TAG_WEIGHT
    mentions = tuple(_mention(c, a) for c, a in sorted(acc.items()))
    return ArticleConcepts(article.url, _about(titled, mentions, matcher.generic, max_about), mentions)


def _body(acc: dict[str, _Acc], article: Article, sections: Sequence[Section], matcher: Matcher) -> None:
    anchors = {(lk.sentence, lk.anchor.lower()) for lk in article.links}
    lead = True
    for section in sections:
        for hit in matcher.find(section.heading, "\n".join((section.heading, *section.paragraphs))):
            _add(acc, hit.concept, HEADING_WEIGHT, heading=True)
        for paragraph in section.paragraphs:
            weight = LEAD_WEIGHT if lead else BODY_WEIGHT
            for hit in matcher.find(paragraph):
                sentence = sentence_at(paragraph, hit.start)
                negated = is_negated(paragraph[max(0, hit.start - 120) : hit.start], paragraph[hit.end : hit.end + 40])
                linked = any(s == sentence and hit.surface.lower() in a for s, a in anchors)
                _add(acc, hit.concept, weight, hit=hit, section=section.heading, sentence=sentence,
                     negated=negated, linked=linked)
            lead = False


def _add(acc: dict[str, _Acc], concept: str, weight: float, *, heading: bool = False, hit: Hit | None = None,
         section: str = "", sentence: str = "", negated: bool = False, linked: bool = False) -> None:
    a = acc.setdefault(concept, _Acc())
    a.weight += weight * (NEGATED_FACTOR if negated else 1.0)
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


def _about(titled: Sequence[str], mentions: Sequence[Mention], generic: frozenset[str], limit: int) -> tuple[str, ...]:
    """Concepts named in the title (heaviest first, umbrella terms only if nothing narrower is named),
    else the heaviest concept if it clearly dominates the page."""
    ranked = sorted((m for m in mentions if not m.negated), key=lambda m: (-m.weight, m.concept))
    in_title = [m.concept for m in ranked if m.concept in titled]
    specific = [c for c in in_title if c not in generic] or in_title
    if specific:
        return tuple(specific[:limit])
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
