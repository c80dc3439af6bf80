"""Where a new link can go in a page: running text outside existing links, one sentence, not negated.

>>> from graph.records import Article, Section
>>> page = Article("a.md", "a", "A", "md", sections=(Section("Care", ("Use heat or ice for the first days.",)),))
>>> first_spot(running_text(page), [("heat", "ice")])
Spot(anchor='heat or ice', sentence='Use heat or ice for the first days.', section='Care', position=4)
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from graph.analyse.lexical import STOPWORDS, PhraseIndex, bounds, fast_fold, terms, words
from graph.extract import is_negated
from graph.ingest.sentences import clean, sentence_at
from graph.records import Article, LinkKind

#: Small words a phrase may skip: "muscle spasm in the back" still names "Muscle Spasm In Back".
_GLUE_TEXT = "a an the of in on at to for and or vs versus your my our their its his her with by can do does is"
GLUE = frozenset(_GLUE_TEXT.split())
MAX_GLUE = 2
_TOKEN = re.compile(r"[a-z0-9]+")
_JOINERS = re.compile(r"^[\s\-'/]*$")


@dataclass(frozen=True, slots=True)
class Spot:
    """A place in a source page that can carry the new link."""

    anchor: str
    sentence: str
    section: str
    position: int


@dataclass(frozen=True, slots=True)
class LinkSpan:
    """Characters of a paragraph inside an existing link's anchor, and where that link goes."""

    start: int
    end: int
    target: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of running text with its content words and existing links."""

    section: str
    text: str
    terms: tuple[str, ...]  # the normalised content words, read once for phrase matching and similarity
    links: tuple[LinkSpan, ...]
    position: int
    _bounds: array[int] | None = field(default=None, compare=False, repr=False)

    def sequence(self) -> tuple[str, ...]:
        """The normalised words, for phrase matching."""
        return self.terms

    def span(self, first: int, end: int) -> tuple[int, int]:
        """Characters from the start of word `first` to the end of word `end - 1`."""
        flat = self._offsets()
        return flat[first], flat[len(flat) // 2 + end - 1]

    def _offsets(self) -> array[int]:
        """Word starts then ends (`lexical.bounds`), found on first need: only paragraphs a phrase matches."""
        flat = self._bounds
        if flat is None:
            flat = bounds(self.text)
            object.__setattr__(self, "_bounds", flat)  # a cache: frozen for users, filled once here
        return flat

    def linked_to(self, first: int, end: int) -> str | None:
        """The target of the link whose anchor holds words first..end-1, if one does."""
        if not self.links:
            return None
        start, stop = self.span(first, end)
        return next((lk.target for lk in self.links if lk.start <= start and stop <= lk.end), None)

    def spot(self, first: int, end: int, lead: Sequence[str] = (), small: Collection[str] = ()) -> Spot | None:
        """Words first..end-1 as an anchor, unless linked already, negated, or not one tight phrase.

        `lead` are small words the name starts with ("over the" counter); they join the anchor when
        the text has them too. `small` are further small words the name has ("after" in "Back Pain
        After Eating"), allowed between the words besides GLUE.
        """
        if not self._tight(first, end, small):
            return None
        start, stop = self.span(first, end)
        start = _extend(self.text, start, lead)
        if any(lk.start < stop and start < lk.end for lk in self.links):
            return None
        if is_negated(self.text[max(0, start - 60) : start]):
            return None
        anchor, sentence = self.text[start:stop], sentence_at(self.text, start)
        return Spot(anchor, sentence, self.section, self.position + start) if anchor in sentence else None

    def _tight(self, first: int, end: int, small: Collection[str]) -> bool:
        """Consecutive words are separated only by spaces, hyphens and at most MAX_GLUE small words."""
        flat = self._offsets()
        stops = len(flat) // 2
        for k in range(first, end - 1):
            between = fast_fold(self.text[flat[stops + k] : flat[k + 1]])
            tokens = _TOKEN.findall(between)
            if len(tokens) > MAX_GLUE or any(t not in GLUE and t not in small and len(t) > 1 for t in tokens):
                return False
            if not _JOINERS.match(_TOKEN.sub(" ", between)):
                return False
        return True


def _extend(text: str, start: int, lead: Sequence[str]) -> int:
    """Move `start` back over the name's leading small words where the text has them."""
    before = fast_fold(text[max(0, start - 40) : start])
    for k in range(len(lead)):
        pattern = r"\b" + r"[\s\-]+".join(map(re.escape, lead[k:])) + r"[\s\-]+$"
        m = re.search(pattern, before)
        if m:
            return start - (len(before) - m.start())
    return start


def _link_spans(text: str, article: Article) -> tuple[LinkSpan, ...]:
    """Spans of `text` inside a link's anchor. Navigation links have no sentence and never match."""
    spans = []
    for link in article.links:
        at = text.find(link.sentence) if link.sentence and link.anchor else -1
        inner = link.sentence.find(link.anchor) if at >= 0 else -1
        if at >= 0 and inner < 0:
            inner = fast_fold(link.sentence).find(fast_fold(link.anchor))
        if inner >= 0:
            spans.append(LinkSpan(at + inner, at + inner + len(link.anchor), link.target or ""))
    return tuple(sorted(spans, key=lambda s: (s.start, s.end, s.target)))


def running_text(article: Article) -> list[Paragraph]:
    """Paragraphs that can carry a new link: every section except related-article blocks."""
    related = {lk.section for lk in article.links if lk.kind == LinkKind.RELATED and lk.section}
    found, position = [], 0
    for section in article.sections:
        if section.heading in related:
            continue
        for raw in section.paragraphs:
            text = clean(raw)
            found.append(Paragraph(section.heading, text, terms(text), _link_spans(text, article), position))
            position += len(text) + 1
    return found


def first_spot(paragraphs: Sequence[Paragraph], phrases: Iterable[tuple[str, ...]]) -> Spot | None:
    """The earliest free occurrence of any of `phrases` (normalised word tuples)."""
    index = PhraseIndex((p, p) for p in phrases)
    for para in paragraphs:
        for first, end, _ in sorted(index.find(para.sequence()), key=lambda m: (m[0], -m[1])):
            spot = para.spot(first, end)
            if spot:
                return spot
    return None


def small_words(text: str) -> frozenset[str]:
    """The small (stop) words of a name, which may sit between its content words in running text.

    >>> sorted(small_words("Back Pain After Eating"))
    ['after']
    """
    return frozenset(t for t in _TOKEN.findall(fast_fold(text)) if t in STOPWORDS)


def lead_words(text: str) -> tuple[str, ...]:
    """The small words a name starts with, before its first content word.

    >>> lead_words("When To See A Doctor"), lead_words("Sciatica")
    (('when', 'to'), ())
    """
    content = words(text)
    head = fast_fold(text[: content[0][1]]) if content else ""
    return tuple(_TOKEN.findall(head))
