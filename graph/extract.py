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
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import accumulate, pairwise
from operator import attrgetter
from typing import Protocol

import ahocorasick

from graph.ingest.sentences import clean, sentence_at, sentence_breaks, sentence_spans
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
            hits = self._ascii_hits(text, _CueCheck(self, [text], [context], [0], [0]))[0]
        else:
            hits = self._scan_general(text, context)[2]
        return [Hit(concept, start, end, text[start:end]) for start, end, concept in hits]

    def scan(self, texts: Sequence[str], contexts: _Lookup) -> list[Segment]:
        """`find` for each text (with its context), the ASCII ones joined and scanned at once.

        Hit offsets are into the segment's scanned text, where the text starts at the segment's base.
        `contexts` is only indexed for the texts an ambiguous label turns up in.
        """
        plain = [i for i, t in enumerate(texts) if t.isascii()]
        joined = self._scan_ascii([texts[i] for i in plain], contexts, plain) if plain else []
        if len(plain) == len(texts):
            return joined
        done = dict(zip(plain, joined, strict=True))
        return [done[i] if i in done else self._scan_general(t, contexts[i]) for i, t in enumerate(texts)]

    def _scan_general(self, text: str, context: str | None) -> Segment:
        """Two scans with word boundaries checked per match: folding text beyond ASCII may turn a
        character that is not a letter into one ('™' into 't'), so the one-scan shortcut does not hold."""
        folded = fold(text)
        candidates = sorted([*_scan(self._folded, folded, 0), *_scan(self._exact, text, 1)])
        return Scanned(text, folded, None), 0, _select(candidates, _CueCheck(self, [text], [context], [0], [0]))

    def _scan_ascii(self, texts: Sequence[str], contexts: _Lookup, index: Sequence[int]) -> list[Segment]:
        """Texts joined by newlines: no form holds one, so no match straddles two texts."""
        joined = "\n".join(texts)
        bases = [0, *accumulate(len(t) + 1 for t in texts[:-1])]
        hits, folded, triggers = self._ascii_hits(joined, _CueCheck(self, texts, contexts, bases, index))
        scanned = Scanned(joined, folded, triggers)
        return [(scanned, base, part) for base, part in zip(bases, _partition(hits, bases), strict=True)]

    def _ascii_hits(self, text: str, cued: _CueCheck) -> tuple[list[_Found], str, list[int]]:
        """Leftmost-longest hits of ASCII text in one scan, and where negation trigger words end.

        Word boundaries are built into the patterns, so only whole words surface. A pattern with one form
        is settled at once unless it overlaps the last hit; others go through `_admit`.
        """
        folded = text.lower().replace("-", " ").replace("/", " ")  # fold() of ASCII text
        hits: list[_Found] = []
        triggers: list[int] = []
        last = (-1, 0, "")  # the last hit
        for pattern_end, (length, only, check, exact, alternatives, trigger) in self._ascii.iter(_shape(f" {text} ")):
            end = pattern_end - 1
            start = end - length
            if only is not None and last[1] <= start:
                if check is None or (text if exact else folded)[start:end] == check:
                    last = (start, end, only)
                    hits.append(last)
                continue
            if trigger:
                triggers.append(end)
            if alternatives and not last[0] < start < last[1]:  # else the last hit covers it
                keys = (key for _, form, is_exact, key in alternatives
                        if form is None or (text if is_exact else folded)[start:end] == form)
                _admit(hits, start, end, keys, cued)
                last = hits[-1] if hits else last
        return hits, folded, triggers

    def _cued(self, concept: str, collapsed: str) -> bool:
        pattern = self._cues.get(concept)
        return bool(pattern and pattern.search(collapsed))

    def _compile_ascii(self) -> ahocorasick.Automaton:
        """Both automata's forms and the negation triggers in one automaton, keyed by their words-only shape
        padded with spaces (see `_ascii_hits`). A pattern with one form that needs no cue carries that
        form's concept as `only`, and the form as `check` unless the shape alone settles it: the common
        case, taken without a loop."""
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
            only = _only(alternatives) if not trigger else None
            check, exact = alternatives[0][1:3] if only is not None else (None, False)
            automaton.add_word(pattern, (length, only, check, exact, alternatives, trigger))
        automaton.make_automaton()
        return automaton


#: A hit: (start, end, concept), offsets into the scanned text.
_Found = tuple[int, int, str]


class Scanned:
    """One text, or several ASCII texts joined by newlines, as the matcher scanned it. Its sentence
    breaks are found once, for the whole scan, when the first mention asks for its sentence."""

    __slots__ = ("_breaks", "folded", "post", "text", "triggers")

    def __init__(self, text: str, folded: str, triggers: list[int] | None) -> None:
        self.text, self.folded = text, folded
        self.triggers = triggers  # where negation trigger words end; None: not looked for (not ASCII)
        self.post = _has_post(folded)  # whether a negation after its mention ("was ruled out") can occur
        self._breaks: tuple[list[int], list[int]] | None = None

    def sentence(self, offset: int, base: int, limit: int) -> str:
        """`sentence_at(text[base:limit], offset - base)`, for the text that starts at `base`.

        Breaks hold only whitespace and a closing quote, and texts are joined by newlines, so a sentence
        of the joined text cut to [base, limit) is the text's own sentence but for whitespace at its ends.
        """
        if self._breaks is None:
            ends, starts = sentence_breaks(self.text)
            self._breaks = [*ends, len(self.text)], [0, *starts]  # sentence i is text[starts[i]:ends[i]]
        ends, starts = self._breaks
        i = bisect_right(ends, offset)
        a, b = starts[i], ends[i]
        if offset < a:  # in the whitespace between two sentences, where no mention starts
            return sentence_at(self.text[base:limit], offset - base)
        return clean(self.text[a if a > base else base : b if b < limit else limit])


#: One text's part of a scan: the scan, where the text starts in it, and its (start, end, concept) hits.
Segment = tuple[Scanned, int, list[_Found]]


class _Lookup(Protocol):
    """A text's context by the text's index: a list, or `_Contexts`, which joins one only when asked."""

    def __getitem__(self, i: int, /) -> str | None: ...


class _CueCheck:
    """Whether an ambiguous label at an offset of a scan has its concept's cue: in the text's context
    when it has one, else in the sentences around it. Text i of the scan is text index[i] of `contexts`."""

    def __init__(self, matcher: Matcher, texts: Sequence[str], contexts: _Lookup, bases: list[int],
                 index: Sequence[int]) -> None:
        self.matcher, self.texts, self.contexts, self.bases, self.index = matcher, texts, contexts, bases, index
        self.windows: dict[int, str] = {}

    def __call__(self, concept: str, start: int) -> bool:
        i = bisect_right(self.bases, start) - 1
        if i not in self.windows:
            context = self.contexts[self.index[i]]
            if context is None:
                return self.matcher._cued(concept, " ".join(_near(self.texts[i], start - self.bases[i]).split()))
            self.windows[i] = " ".join(fold(context).split())
        return self.matcher._cued(concept, self.windows[i])


def _only(alternatives: Sequence[tuple[int, str | None, bool, _Key]]) -> str | None:
    """The concept of a pattern's one form when that form needs no cue."""
    if len(alternatives) != 1 or alternatives[0][3].needs_cue:
        return None
    return alternatives[0][3].concept


def _admit(hits: list[_Found], start: int, end: int, keys: Iterable[_Key], cued: _CueCheck) -> None:
    """Add a match to the leftmost-longest hits so far, with the result sorting all matches would give.

    Matches come in order of their end, so the hits that start at or after this one lie inside it, and
    sorting would put it first: it is taken, and they are dropped, when no earlier hit overlaps it and
    one of its keys (folded form before exact) passes its cue check.
    """
    k = len(hits)
    while k and hits[k - 1][0] >= start:
        k -= 1
    if k and hits[k - 1][1] > start:
        return
    for key in keys:
        if not key.needs_cue or cued(key.concept, start):
            del hits[k:]
            hits.append((start, end, key.concept))
            return


def _select(candidates: Sequence[_Candidate], cued: _CueCheck) -> list[_Found]:
    """Leftmost-longest candidates (sorted); an ambiguous one only with its cue nearby."""
    hits: list[_Found] = []
    last_end = -1
    for start, _, _, end, key in candidates:
        if start < last_end or (key.needs_cue and not cued(key.concept, start)):
            continue
        hits.append((start, end, key.concept))
        last_end = end
    return hits


def _partition(hits: list[_Found], bases: list[int]) -> list[list[_Found]]:
    """Hits of a joined scan (in order), split by the text they fall in."""
    cuts = [0, *(bisect_left(hits, (base,)) for base in bases[1:]), len(hits)]
    return [hits[a:b] for a, b in pairwise(cuts)]


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
    Triggers are looked for only after the last sentence stop: one before it has the stop in its gap.
    """
    if _POST.match(after):
        return True
    stop = _LAST_STOP.search(text)
    since = stop.start() + 1 if stop else 0
    for trigger, is_list in ((_LIST_TRIGGER, True), (_VERB_TRIGGER, False)):
        found = list(trigger.finditer(text, since))
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
    linked_first: bool = True  # no surface yet, or the one kept stands in a linked sentence: look further


def extract(article: Article, matcher: Matcher, max_about: int = 3) -> ArticleConcepts:
    """Mentions of every concept in the article and the few it is about.

    The title, headings and lead paragraph weigh more than the body; a related-articles block is
    skipped (its words name other pages). Front-matter tags raise the weight of concepts the text names.
    """
    acc: dict[str, _Acc] = {}
    sections = [s for s in article.sections if not _RELATED.match(s.heading)]
    segments = iter(matcher.scan(_texts(article, sections), _Contexts(article, sections)))
    titled = [concept for _, _, concept in next(segments)[2]]
    for concept in titled:
        _add_heading(acc, concept, TITLE_WEIGHT)
    _body(acc, article, sections, segments)
    tagged = {concept for _ in article.tags for _, _, concept in next(segments)[2]}
    for concept in tagged & acc.keys():
        acc[concept].weight += TAG_WEIGHT
    mentions = tuple([Mention(c, a.count, a.surface, a.section, a.sentence, a.negated_all and not a.in_heading,
                              round(a.weight, 3), a.in_heading) for c, a in sorted(acc.items())])
    return ArticleConcepts(article.url, _about(titled, mentions, matcher.generic, max_about), mentions)


def _texts(article: Article, sections: Sequence[Section]) -> list[str]:
    """Every text extraction reads, in the order `extract` uses them."""
    texts = [article.title]
    for section in sections:
        texts.append(section.heading)
        texts += section.paragraphs
    return texts + list(article.tags)


class _Contexts:
    """The context of each of `_texts`: the whole article for the title and tags, its section for a
    heading, None for a paragraph (its cues are looked for around the label). Joined only when an
    ambiguous label asks, which most articles never do."""

    __slots__ = ("article", "sections", "whole")

    def __init__(self, article: Article, sections: Sequence[Section]) -> None:
        self.article, self.sections = article, sections
        self.whole: str | None = None

    def __getitem__(self, i: int) -> str | None:
        i -= 1  # the title
        for section in self.sections:
            if i == 0:
                return "\n".join((section.heading, *section.paragraphs))
            if 0 < i <= len(section.paragraphs):
                return None
            i -= 1 + len(section.paragraphs)
        if self.whole is None:
            parts = (p for s in self.sections for p in (s.heading, *s.paragraphs))
            self.whole = "\n".join([self.article.title, *parts])
        return self.whole


def _body(acc: dict[str, _Acc], article: Article, sections: Sequence[Section], segments: Iterator[Segment]) -> None:
    anchors = _anchors(article)
    lead = True
    for section in sections:
        for _, _, concept in next(segments)[2]:
            _add_heading(acc, concept, HEADING_WEIGHT)
        for paragraph in section.paragraphs:
            scanned, base, hits = next(segments)
            if hits:
                where = _Paragraph(scanned, base, base + len(paragraph), section.heading, anchors)
                _paragraph(acc, hits, where, LEAD_WEIGHT if lead else BODY_WEIGHT)
            lead = False


def _anchors(article: Article) -> dict[str, set[str]]:
    """Lower-cased anchor texts by the sentence they stand in."""
    out: dict[str, set[str]] = {}
    for lk in article.links:
        out.setdefault(lk.sentence, set()).add(lk.anchor.lower())
    return out


class _Paragraph:
    """One paragraph (scanned.text[base:limit]) of a section: where its mentions' negation, sentence and
    link come from, with what holds for the whole paragraph worked out once."""

    __slots__ = ("anchors", "base", "limit", "post", "scanned", "section")

    def __init__(self, scanned: Scanned, base: int, limit: int, section: str, anchors: dict[str, set[str]]) -> None:
        self.scanned, self.base, self.limit, self.section, self.anchors = scanned, base, limit, section, anchors
        self.post = scanned.post and _has_post(scanned.folded, base, limit)

    def negated_starts(self, hits: Sequence[_Found]) -> set[int]:
        """Where the paragraph's negated mentions start; usually nowhere.

        Only a mention a trigger word may reach is worked out in full. `_may_reach` tells which, here
        from the last trigger word passed: it ends in the 120 characters before the mention with no
        sentence stop since, or the look-back cuts a word into one.
        """
        triggers, folded, base, limit = self.scanned.triggers, self.scanned.folded, self.base, self.limit
        if triggers is None or self.post:
            return {start for start, end, _ in hits if self.negated(start, end)}
        j, stop = bisect_right(triggers, base), bisect_right(triggers, limit)
        last = -sys.maxsize  # where the last trigger word before the mention ends: none yet
        out = set()
        for start, end, _ in hits:
            while j < stop and triggers[j] <= start:
                last, j = triggers[j], j + 1
            low = start - 120
            if ((last > low and not _STOP_CHAR.search(folded, last, start))
                    or (low > base and folded.startswith(_TRIGGER_WORDS, low, start))) and _negated_folded(
                    folded[max(low, base) : start], folded[end : min(end + 40, limit)]):
                out.add(start)
        return out

    def negated(self, start: int, end: int) -> bool:
        """Same answer as `is_negated(text[start - 120 : start], text[end : end + 40])` (offsets in the scan).

        Most mentions have no trigger word between them and the sentence stop before them; those are
        settled from the trigger positions the matcher's scan found, without slicing, folding and five regexes.
        """
        low = start - 120 if start - 120 > self.base else self.base
        after = min(end + 40, self.limit)
        folded = self.scanned.folded
        if self._may_reach(low, start):
            return _negated_folded(folded[low:start], folded[end:after])  # fold() keeps offsets
        return self.post and _POST.match(folded[end:after]) is not None

    def _may_reach(self, low: int, start: int) -> bool:
        """Whether a trigger may lie in folded[low:start] after its last sentence stop (a superset).

        The scan's triggers have a word boundary on both sides and a mention starts at one, so a slice
        makes a trigger only of a word it cuts at its start ("ca|nnot", "pia|no").
        """
        triggers, folded = self.scanned.triggers, self.scanned.folded
        if triggers is None:
            return True
        if _ends_in(triggers, low, start):
            stop = _LAST_STOP.search(folded, low, start)
            if stop is None or _ends_in(triggers, stop.start() + 1, start):
                return True
        return low > self.base and folded.startswith(_TRIGGER_WORDS, low, start)

    def sentence(self, start: int) -> str:
        """`sentence_at(paragraph, start - base)`."""
        return self.scanned.sentence(start, self.base, self.limit)


def _ends_in(triggers: list[int], low: int, high: int) -> bool:
    """Whether a trigger word ends in (low, high]."""
    j = bisect_right(triggers, low)
    return j < len(triggers) and triggers[j] <= high


def _paragraph(acc: dict[str, _Acc], hits: Sequence[_Found], where: _Paragraph, weight: float) -> None:
    """A paragraph's mentions. Negation is worked out only where a trigger may reach the mention, and
    sentence and link only while they can still change the concept's surface."""
    reduced, negated = weight * NEGATED_FACTOR, where.negated_starts(hits)
    for start, end, concept in hits:
        a = acc.get(concept)
        if a is None:
            a = acc[concept] = _Acc()
        a.count += 1
        if negated and start in negated:
            a.weight += reduced
            continue
        a.weight += weight
        a.negated_all = False
        if a.linked_first:
            _surface(a, where, start, end)


def _surface(a: _Acc, where: _Paragraph, start: int, end: int) -> None:
    """Keep this mention's words and sentence unless one is kept already and this one is linked:
    the first mention not in a linked sentence is the best place to add a link."""
    scanned = where.scanned
    surface, sentence = scanned.text[start:end], scanned.sentence(start, where.base, where.limit)
    anchors = where.anchors.get(sentence) if where.anchors else None
    linked = anchors is not None and any(surface.lower() in anchor for anchor in anchors)
    if not a.surface or not linked:
        a.surface, a.section, a.sentence, a.linked_first = surface, where.section, sentence, linked


def _add_heading(acc: dict[str, _Acc], concept: str, weight: float) -> None:
    """A title or heading mention: full weight, and never a negated-only concept."""
    a = acc.setdefault(concept, _Acc())
    a.weight += weight
    a.in_heading = True
    a.negated_all = False


def _about(titled: Sequence[str], mentions: Sequence[Mention], generic: frozenset[str], limit: int) -> tuple[str, ...]:
    """Concepts named in the title (heaviest first, umbrella terms only if nothing narrower is named),
    else the heaviest concept if it clearly dominates the page."""
    ranked = [m for m in mentions if not m.negated]  # sorted by concept, an order the stable sort keeps
    ranked.sort(key=attrgetter("weight"), reverse=True)  # among equal weights
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
