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
import sys
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate
from typing import NamedTuple

import ahocorasick

from graph.ingest.sentences import clean, sentence_spans
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
    """Aho-Corasick automata compiled once per build: folded labels, and case-sensitive abbreviations;
    for ASCII text (nearly all of it) both in one automaton that also finds negation triggers."""

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
        self._ascii = self._compile_ascii()

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
        if text.isascii():
            hits = self._select(self._ascii_candidates(text)[0], _CueCheck(self, [text], [context], [0]))
        else:
            hits = self._scan_general(text, context).hits
        return [Hit(concept, start, end, text[start:end]) for start, end, concept in hits]

    def scan(self, texts: Sequence[str], contexts: Sequence[str | None]) -> list[Segment]:
        """`find` for each text (with its context), the ASCII ones joined and scanned at once.

        Hit offsets are into the segment's `scanned.text`, where the text starts at `base`.
        """
        out: list[Segment | None] = [None] * len(texts)
        plain = [i for i, t in enumerate(texts) if t.isascii()]
        if plain:
            segments = self._scan_ascii([texts[i] for i in plain], [contexts[i] for i in plain])
            for i, segment in zip(plain, segments, strict=True):
                out[i] = segment
        return [s if s is not None else self._scan_general(t, c) for s, t, c in zip(out, texts, contexts, strict=True)]

    def _scan_general(self, text: str, context: str | None) -> Segment:
        """Two scans with word boundaries checked per match: folding text beyond ASCII may turn a
        character that is not a letter into one ('™' into 't'), so the one-scan shortcut does not hold."""
        folded = fold(text)
        candidates = sorted([*_scan(self._folded, folded, 0), *_scan(self._exact, text, 1)])
        hits = self._select(candidates, _CueCheck(self, [text], [context], [0]))
        return Segment(Scanned(text, folded, None, _has_post(folded)), 0, hits)

    def _scan_ascii(self, texts: Sequence[str], contexts: Sequence[str | None]) -> list[Segment]:
        """Texts joined by newlines: no form holds one, so no match straddles two texts."""
        joined = "\n".join(texts)
        bases = [0, *accumulate(len(t) + 1 for t in texts[:-1])]
        candidates, folded, triggers = self._ascii_candidates(joined)
        hits = self._select(candidates, _CueCheck(self, texts, contexts, bases))
        scanned = Scanned(joined, folded, triggers, _has_post(folded))
        return [Segment(scanned, base, part) for base, part in zip(bases, _partition(hits, bases), strict=True)]

    def _ascii_candidates(self, text: str) -> tuple[list[_Candidate], str, list[int]]:
        """One scan of ASCII text with word boundaries built into the patterns, so only whole words surface."""
        folded = text.lower().replace("-", " ").replace("/", " ")  # fold() of ASCII text
        haystack = _shape(f" {text} ")
        out: list[_Candidate] = []
        triggers: list[int] = []
        for pattern_end, (length, only, alternatives, trigger) in self._ascii.iter(haystack):
            end = pattern_end - 1
            if only is not None:
                out.append((end - length, -length, 0, end, only))
                continue
            if trigger:
                triggers.append(end)
            for rank, form, exact, key in alternatives:
                if form is None or (text if exact else folded)[end - length : end] == form:
                    out.append((end - length, -length, rank, end, key))
        out.sort()
        return out, folded, triggers

    @staticmethod
    def _select(candidates: Sequence[_Candidate], cued: _CueCheck) -> list[tuple[int, int, str]]:
        """Leftmost-longest candidates; an ambiguous one only with its cue nearby."""
        hits: list[tuple[int, int, str]] = []
        last_end = -1
        for start, _, _, end, key in candidates:
            if start < last_end or (key.needs_cue and not cued(key.concept, start)):
                continue
            hits.append((start, end, key.concept))
            last_end = end
        return hits

    def _cued(self, concept: str, collapsed: str) -> bool:
        pattern = self._cues.get(concept)
        return bool(pattern and pattern.search(collapsed))

    def _compile_ascii(self) -> ahocorasick.Automaton:
        """Both automata's forms and the negation triggers in one automaton, keyed by their words-only shape
        padded with spaces (see `_ascii_candidates`). A pattern with one form that needs no check carries
        that form's key as `only`: the common case, taken without a loop."""
        grouped: dict[str, list[tuple[int, str | None, bool, _Key]]] = {}
        for rank, (automaton, exact) in enumerate(((self._folded, False), (self._exact, True))):
            for form, key in automaton.items() if len(automaton) else ():
                if form.isascii():  # other forms never equal a slice of ASCII text
                    shape = _shape(form)
                    check = None if (shape == form and " " not in form and not exact) else form
                    grouped.setdefault(f" {shape} ", []).append((rank, check, exact, key))
        triggers = {_shape(("" if w == "n't" else " ") + w + " ") for w in _TRIGGER_WORDS}
        automaton = ahocorasick.Automaton()
        for pattern in grouped.keys() | triggers:
            trigger = pattern in triggers
            length = len(pattern) - (1 if trigger and not pattern.startswith(" ") else 2)
            alternatives = tuple(grouped.get(pattern, ()))
            only = alternatives[0][3] if len(alternatives) == 1 and alternatives[0][1] is None and not trigger else None
            automaton.add_word(pattern, (length, only, alternatives, trigger))
        automaton.make_automaton()
        return automaton


class Scanned(NamedTuple):
    """One text, or several ASCII texts joined by newlines, as the matcher scanned it."""

    text: str
    folded: str
    triggers: list[int] | None  # where negation trigger words end; None: not looked for (not ASCII)
    post: bool  # whether a negation that follows its mention ("was ruled out") can occur anywhere in it


class Segment(NamedTuple):
    """One text's part of a scan: it starts at `base`; `hits` are (start, end, concept) in `scanned.text`."""

    scanned: Scanned
    base: int
    hits: list[tuple[int, int, str]]


class _CueCheck:
    """Whether an ambiguous label at an offset of a scan has its concept's cue: in the text's context
    when it has one, else in the sentences around it."""

    def __init__(self, matcher: Matcher, texts: Sequence[str], contexts: Sequence[str | None],
                 bases: list[int]) -> None:
        self.matcher, self.texts, self.contexts, self.bases = matcher, texts, contexts, bases
        self.windows: dict[int, str] = {}

    def __call__(self, concept: str, start: int) -> bool:
        i = bisect_right(self.bases, start) - 1
        context = self.contexts[i]
        if context is None:
            return self.matcher._cued(concept, " ".join(_near(self.texts[i], start - self.bases[i]).split()))
        if i not in self.windows:
            self.windows[i] = " ".join(fold(context).split())
        return self.matcher._cued(concept, self.windows[i])


def _partition(hits: list[tuple[int, int, str]], bases: list[int]) -> list[list[tuple[int, int, str]]]:
    """Hits of a joined scan, split by the text they fall in."""
    parts: list[list[tuple[int, int, str]]] = [[] for _ in bases]
    i, following = 0, [*bases[1:], sys.maxsize]
    for hit in hits:
        while hit[0] >= following[i]:
            i += 1
        parts[i].append(hit)
    return parts


def _has_post(folded: str, start: int = 0, end: int = sys.maxsize) -> bool:
    return any(folded.find(word, start, end) >= 0 for word in _POST_WORDS)


#: (start, -length, rank, end, key): sorting gives reading order, longest first, folded before exact on a tie.
_Candidate = tuple[int, int, int, int, _Key]
#: ASCII bytes to their folded letter or digit, everything else to a space.
_WORDS_ONLY = bytes((b if chr(b).isalnum() else 32) for b in range(256)).lower()


def _shape(text: str) -> str:
    """ASCII text folded, with every character that is not a letter or digit made a space."""
    return text.encode("ascii").translate(_WORDS_ONLY).decode("ascii")


def _scan(automaton: ahocorasick.Automaton, haystack: str, rank: int) -> Iterable[_Candidate]:
    """Whole-word matches of one automaton (the general path, for text that is not ASCII)."""
    if not len(automaton):
        return
    for end, key in automaton.iter(haystack):
        start = end - key.length + 1
        if _whole_word(haystack, start, end + 1):
            yield start, -key.length, rank, end + 1, key


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
_LIST_WORDS = ("no", "without", "denies", "denied", "deny", "denying", "free of", "absence of", "negative for",
               "rule out", "rules out", "ruled out", "ruling out")
_VERB_WORDS = ("not", "never", "cannot")
_LIST_TRIGGER = re.compile(rf"\b(?:{'|'.join(map(re.escape, _LIST_WORDS))})\b")
_VERB_TRIGGER = re.compile(rf"\b(?:{'|'.join(_VERB_WORDS)})\b|n't\b")
_STOP_CHAR = re.compile(r"[.;:!?()\n]")
_TERMINATOR = re.compile(
    rf"{_STOP_CHAR.pattern}|\b(?:but|however|although|though|yet|except|apart|aside|besides|still|while|whereas|"
    r"which|who|because|since|unless|until|instead|rather|if|when)\b"
)
_LISTING = re.compile(r",|\b(?:or|nor|and)\b")
_POST_WORDS = ("ruled out", "excluded", "absent", "not present")
_POST = re.compile(
    rf"^\W*(?:is|was|were|are|has been|have been|had been)\s+(?:{'|'.join(_POST_WORDS)})\b"
)
#: Every word `_LIST_TRIGGER` and `_VERB_TRIGGER` match.
_TRIGGER_WORDS = (*_LIST_WORDS, *_VERB_WORDS, "n't")
_LAST_STOP = re.compile(rf"{_STOP_CHAR.pattern}[^.;:!?()\n]*\Z")


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
    return _negated_folded(fold(before), fold(after))


def _negated_folded(text: str, after: str) -> bool:
    """`is_negated` of text already folded.

    A pseudo-negation ("no longer", "not only") can only cover a trigger by starting with it: no later
    word of one is a trigger word. So it is tried at the trigger alone, not searched for in the whole text.
    """
    if _POST.match(after):
        return True
    for trigger, is_list in ((_LIST_TRIGGER, True), (_VERB_TRIGGER, False)):
        found = list(trigger.finditer(text))
        if not found:
            continue
        last = found[-1]
        gap = text[last.end() :]
        listing = is_list and bool(_LISTING.search(gap))
        if (not _TERMINATOR.search(gap) and (is_list or "," not in gap) and len(gap.split()) <= (8 if listing else 3)
                and not _PSEUDO.match(text, last.start())):
            return True
    return False


@dataclass(slots=True)
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
    segments = iter(matcher.scan(*_texts(article, sections, context)))
    titled = [concept for _, _, concept in next(segments).hits]
    for concept in titled:
        _add_heading(acc, concept, TITLE_WEIGHT)
    _body(acc, article, sections, segments)
    tagged = {concept for _ in article.tags for _, _, concept in next(segments).hits}
    for concept in tagged & acc.keys():
        acc[concept].weight += TAG_WEIGHT
    mentions = tuple(_mention(c, a) for c, a in sorted(acc.items()))
    return ArticleConcepts(article.url, _about(titled, mentions, matcher.generic, max_about), mentions)


def _texts(article: Article, sections: Sequence[Section], context: str) -> tuple[list[str], list[str | None]]:
    """Every text extraction reads, in the order `extract` uses them, each with the context its cues may be in."""
    texts: list[str] = [article.title]
    contexts: list[str | None] = [context]
    for section in sections:
        texts += [section.heading, *section.paragraphs]
        contexts += ["\n".join((section.heading, *section.paragraphs)), *[None] * len(section.paragraphs)]
    return texts + list(article.tags), contexts + [context] * len(article.tags)


def _body(acc: dict[str, _Acc], article: Article, sections: Sequence[Section], segments: Iterator[Segment]) -> None:
    anchors = _anchors(article)
    lead = True
    for section in sections:
        for _, _, concept in next(segments).hits:
            _add_heading(acc, concept, HEADING_WEIGHT)
        for paragraph in section.paragraphs:
            segment = next(segments)
            if segment.hits:
                where = _Paragraph(paragraph, segment, section.heading, anchors)
                _paragraph(acc, segment.hits, where, LEAD_WEIGHT if lead else BODY_WEIGHT)
            lead = False


def _anchors(article: Article) -> dict[str, set[str]]:
    """Lower-cased anchor texts by the sentence they stand in."""
    out: dict[str, set[str]] = {}
    for lk in article.links:
        out.setdefault(lk.sentence, set()).add(lk.anchor.lower())
    return out


class _Paragraph:
    """One paragraph (scanned.text[base:limit]) of a section: where its mentions' negation, sentence and
    link come from, each worked out once per paragraph rather than once per mention."""

    __slots__ = ("anchors", "base", "folded", "limit", "post", "scanned", "section", "spans", "text", "triggers")

    def __init__(self, text: str, segment: Segment, section: str, anchors: dict[str, set[str]]) -> None:
        self.text, self.section, self.anchors = text, section, anchors
        self.scanned, self.folded, self.triggers, post = segment.scanned
        self.base, self.limit = segment.base, segment.base + len(text)
        self.post = post and _has_post(self.folded, self.base, self.limit)
        self.spans: list[tuple[int, int]] | None = None

    def negated(self, start: int, end: int) -> bool:
        """Same answer as `is_negated(text[start - 120 : start], text[end : end + 40])` (offsets in the scan).

        Most mentions have no trigger word between them and the sentence stop before them; those are
        settled from the trigger positions the matcher's scan found, without slicing, folding and five regexes.
        """
        low = start - 120 if start - 120 > self.base else self.base
        after = min(end + 40, self.limit)
        if self._may_reach(low, start):
            return _negated_folded(self.folded[low:start], self.folded[end:after])  # fold() keeps offsets
        return self.post and _POST.match(self.folded[end:after]) is not None

    def _may_reach(self, low: int, start: int) -> bool:
        """Whether a trigger may lie in folded[low:start] after its last sentence stop (a superset).

        The scan's triggers have a word boundary on both sides and a mention starts at one, so a slice
        makes a trigger only of a word it cuts at its start ("ca|nnot", "pia|no").
        """
        triggers = self.triggers
        if triggers is None:
            return True
        j = bisect_right(triggers, low)
        if j < len(triggers) and triggers[j] <= start:
            stop = _LAST_STOP.search(self.folded, low, start)
            if stop is None or self._trigger_ends_in(stop.start() + 1, start):
                return True
        return low > self.base and self.folded.startswith(_TRIGGER_WORDS, low, start)

    def _trigger_ends_in(self, low: int, start: int) -> bool:
        assert self.triggers is not None
        j = bisect_right(self.triggers, low)
        return j < len(self.triggers) and self.triggers[j] <= start

    def sentence(self, start: int) -> str:
        """`sentence_at(text, start - base)`, splitting the paragraph once however many mentions ask."""
        if self.spans is None:
            self.spans = sentence_spans(self.text)
        if not self.spans:
            return ""
        offset = start - self.base
        i = bisect_right(self.spans, (offset, len(self.text) + 1)) - 1
        a, b = self.spans[i] if i >= 0 and offset < self.spans[i][1] else self.spans[-1]
        return clean(self.text[a:b])

    def linked(self, surface: str, sentence: str) -> bool:
        anchors = self.anchors.get(sentence)
        return anchors is not None and any(surface.lower() in a for a in anchors)


def _paragraph(acc: dict[str, _Acc], hits: Sequence[tuple[int, int, str]], where: _Paragraph, weight: float) -> None:
    """A paragraph's mentions; sentence and link are looked up only while they can still change the mention."""
    for start, end, concept in hits:
        negated = where.negated(start, end)
        a = acc.get(concept)
        if a is None:
            a = acc[concept] = _Acc()
        a.weight += weight * (NEGATED_FACTOR if negated else 1.0)
        a.count += 1
        a.negated_all = a.negated_all and negated
        if not negated and (not a.surface or a.linked_first):
            surface, sentence = where.scanned[start:end], where.sentence(start)
            linked = where.linked(surface, sentence)
            if not a.surface or not linked:
                a.surface, a.section, a.sentence, a.linked_first = surface, where.section, sentence, linked


def _add_heading(acc: dict[str, _Acc], concept: str, weight: float) -> None:
    """A title or heading mention: full weight, and never a negated-only concept."""
    a = acc.setdefault(concept, _Acc())
    a.weight += weight
    a.in_heading = True
    a.negated_all = False


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
