"""Extraction's fast paths give the same answers as the plain definitions they stand in for.

The matcher scans ASCII text once with word boundaries built into its patterns, keeps the leftmost-longest
matches as they come instead of sorting them, joins an article's texts into one scan, settles most negations
from trigger positions and splits the joined text into sentences once. Each shortcut is checked here against the straightforward computation on generated text full of the
cases that could tell them apart: triggers cut by a slice, pseudo-negations, sentence marks, hyphens,
abbreviations in both cases and ambiguous labels with and without their cues.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.extract import (
    _LIST_TRIGGER,
    _LISTING,
    _POST,
    _PSEUDO,
    _TERMINATOR,
    _VERB_TRIGGER,
    Matcher,
    Segment,
    _Paragraph,
    fold,
    is_negated,
)
from graph.ingest.sentences import _BOUNDARY, _BREAK, clean, sentence_at, sentence_spans
from graph.vocab import load

WORDS = [
    "no", "not", "never", "without", "cannot", "can't", "don't", "denies", "free of", "ruled out", "rules out",
    "negative for", "was", "is", "has been", "excluded", "absent", "not present", "no longer", "not only",
    "without a doubt", "but", "which", "and", "or", "piano", "nothing", "know", "e.g.", "i.e.", "3.5", "fever",
    "acid reflux", "Acid-reflux", "GERD", "gerd", "cold", "Cold", "sneezing", "common cold", "MS", "ms", "pain",
    "back pain", "back/pain", "headaches", "migraine", "stroke", "heat stroke", "IBS", "A", "The", "She", "x",
    "anaemia", "anemia", "passing out", "passed out", "stomach ache", "it's",
    "low", "lower back", "back pain", "upper", "yellow skin", "skin rash", "quit smoking", "smoking cessation",
]
SEPARATORS = [" ", " ", " ", "  ", ", ", ". ", "! ", "? ", "; ", ": ", "-", "/", " (", ") ", '." ', "\n", "'", ".", "("]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(load().concepts.values())


_MATCHER: list[Matcher] = []


def shared() -> Matcher:
    """One matcher for the hypothesis tests (fixtures do not mix with @given)."""
    if not _MATCHER:
        _MATCHER.append(Matcher(load().concepts.values()))
    return _MATCHER[0]


texts = st.lists(st.tuples(st.sampled_from(WORDS), st.sampled_from(SEPARATORS)), min_size=1, max_size=60).map(
    lambda parts: "".join(w + s for w, s in parts)
)
#: Paragraphs as readers may leave them: with whitespace before, and sentence marks at either end.
paragraphs = st.tuples(st.sampled_from(["", " ", "\n ", ". ", "  "]), texts).map("".join)


def paragraph_of(segment: Segment, text: str) -> _Paragraph:
    scanned, base, _ = segment
    return _Paragraph(scanned, base, base + len(text), "", {})


def reference_spans(text: str) -> list[tuple[int, int]]:
    """sentence_spans as first written: a look-behind for the stop, spans cut where the whitespace starts."""
    boundary = re.compile(r"(?<=[.!?])(?<!\be\.g)(?<!\bi\.e)[\"'”’)]?\s+(?=[A-Z0-9\"“‘(])")
    spans, start = [], 0
    for m in boundary.finditer(text):
        spans.append((start, m.start() + len(m.group(0).rstrip())))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def reference_negated(before: str, after: str = "") -> bool:
    """is_negated as first written: every pseudo-negation in the text searched for one covering the trigger."""
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


@settings(max_examples=300, deadline=None)
@given(texts)
def test_ascii_scan_finds_what_the_general_scan_finds(text: str) -> None:
    """The one-pass leftmost-longest selection (`_admit`) against sorting every candidate (`_select`)."""
    m = shared()
    general = m._scan_general(text, None)[2]
    assert [(h.start, h.end, h.concept) for h in m.find(text)] == general
    assert m.scan([text], [None])[0][2] == general


@settings(max_examples=150, deadline=None)
@given(st.lists(texts, min_size=1, max_size=5), st.sampled_from([None, "sneezing and a runny nose"]))
def test_joined_texts_are_scanned_as_each_alone(parts: list[str], context: str | None) -> None:
    m = shared()
    segments = m.scan(parts, [context] * len(parts))
    for text, (scanned, base, hits) in zip(parts, segments, strict=True):
        alone = [(s - base, e - base, c) for s, e, c in hits]
        assert alone == m._scan_general(text, context)[2]
        assert scanned.text[base : base + len(text)] == text


@settings(max_examples=300, deadline=None)
@given(texts, paragraphs, paragraphs)
def test_paragraph_negation_and_sentence_match_the_definitions(other: str, paragraph: str, following: str) -> None:
    """Negation settled from the scan's trigger positions, and sentences cut from the whole scan's
    sentence breaks, give what the definitions give for the paragraph alone."""
    m = shared()
    unicode = paragraph + " é"  # not ASCII: scanned alone, every negation worked out in full
    for text, segment in ((paragraph, m.scan([other, paragraph, following], [None] * 3)[1]),
                          (unicode, m._scan_general(unicode, None))):
        where, (_, base, hits) = paragraph_of(segment, text), segment
        negated = set()
        for start, end, _ in hits:
            s, e = start - base, end - base
            assert where.negated(start, end) == is_negated(text[max(0, s - 120) : s], text[e : e + 40])
            assert where.sentence(start) == sentence_at(text, s)
            negated |= {start} if where.negated(start, end) else set()
        assert where.negated_starts(hits) == negated


@settings(max_examples=300, deadline=None)
@given(st.lists(paragraphs, min_size=1, max_size=4))
def test_sentences_of_a_joined_scan_are_each_texts_own(parts: list[str]) -> None:
    """At every offset of every text, not only where mentions start."""
    scanned = shared().scan(parts, [None] * len(parts))[0][0]
    base = 0
    for text in parts:
        for offset in range(len(text)):
            assert scanned.sentence(base + offset, base, base + len(text)) == sentence_at(text, offset)
        base += len(text) + 1


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([*WORDS, *SEPARATORS, " \u00a0", "\t", "\u2028 ", "\x1c"]), max_size=30).map("".join))
def test_sentence_splitting_and_clean_match_their_first_definitions(text: str) -> None:
    assert [(m.start() + 1, m.end()) for m in _BREAK.finditer(text)] == [m.span() for m in _BOUNDARY.finditer(text)]
    assert sentence_spans(text) == reference_spans(text)
    assert clean(text) == " ".join(text.split())


def cut_at_slice_start(word: str, cut: int, hit: str = "fever") -> str:
    """A paragraph whose mention's 120-character look-back starts `cut` letters into `word`."""
    filler = "x" * 50 + " " + "y" * (120 - (len(word) - cut) - 53)
    return f"A {word} {filler} {hit}."


@pytest.mark.parametrize("text", [
    cut_at_slice_start("piano", 3),  # the look-back starts at "no": a quirk of slicing, kept
    cut_at_slice_start("cannot", 3),
    cut_at_slice_start("piano", 2),
    "Sore.no fever", "Sore.(not) fever", "Sore;never a fever", "He had no. Fever", "It isn't fever",
])
def test_negation_shortcuts_agree_at_their_edges(matcher: Matcher, text: str) -> None:
    segment = matcher.scan(["Title", text], [None, None])[1]
    _, base, hits = segment
    assert hits, text
    where = paragraph_of(segment, text)
    negated = {s for s, e, _ in hits if is_negated(text[max(0, s - base - 120) : s - base], text[e - base : e - base + 40])}
    assert {start for start, end, _ in hits if where.negated(start, end)} == negated
    assert where.negated_starts(hits) == negated


def test_a_cut_word_at_the_slice_start_negates() -> None:
    """The edge the shortcut must not miss: is_negated sees only "no" of "piano"."""
    text = cut_at_slice_start("piano", 3)
    s = text.index("fever")
    assert text[s - 120 : s].startswith("no ") and is_negated(text[s - 120 : s])


@settings(max_examples=500, deadline=None)
@given(texts, st.sampled_from(["", " was ruled out.", " is absent", ", or", " has been excluded"]))
def test_negation_matches_its_first_definition(before: str, after: str) -> None:
    assert is_negated(before, after) == reference_negated(before, after)


def test_pseudo_negations_hold_no_trigger_but_their_first_word() -> None:
    """What lets `_negated_folded` try a pseudo-negation only where the trigger starts."""
    phrases = re.findall(r"[a-z][a-z ()?:]*", _PSEUDO.pattern.replace("(?:", "").replace(")?", ""))
    words = {w for p in phrases for w in re.split(r"[ |()?:]+", p)[1:] if w}
    assert words, phrases
    for word in words:
        assert not _LIST_TRIGGER.search(word) and not _VERB_TRIGGER.search(word), word


def test_every_sample_text_scans_the_same_both_ways(matcher: Matcher) -> None:
    from graph.ingest.markdown import read

    from .test_extract import LABELLED

    for path in sorted(LABELLED.glob("*.md")):
        article = read(str(path), path.read_text(encoding="utf-8"))
        for text in (article.title, *(p for s in article.sections for p in (s.heading, *s.paragraphs))):
            assert matcher.scan([text], [None])[0][2] == matcher._scan_general(text, None)[2], text
