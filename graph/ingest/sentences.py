"""Sentence splitting shared by every reader, so a link's sentence means the same in every format.

>>> split_sentences("Rest helps. Ice helps too! Does heat? Yes, e.g. a pad.")
['Rest helps.', 'Ice helps too!', 'Does heat?', 'Yes, e.g. a pad.']
>>> sentence_at("One. Two three. Four.", 7)
'Two three.'
>>> split_sentences('He said "stop." Then left.')
['He said "stop."', 'Then left.']
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right

# A sentence ends at . ! or ? followed by space and a capital, digit or quote; "e.g." and "i.e." do not end one.
# The cheap [.!?] test comes first: most positions fail it before the costlier look-behinds run.
_BOUNDARY = re.compile(r"(?<=[.!?])(?<!\be\.g)(?<!\bi\.e)[\"'”’)]?\s+(?=[A-Z0-9\"“‘(])")
# The same breaks found faster: matching the stop itself rather than looking behind for it lets the regex
# engine skip ahead to the next stop instead of trying every position. Group 1 is the closing quote,
# which stays in the sentence; the match ends where the next sentence starts, as a _BOUNDARY match does.
_BREAK = re.compile(r"[.!?](?<!\be\.g)(?<!\bi\.e)([\"'”’)]?)\s+(?=[A-Z0-9\"“‘(])")


def clean(text: str) -> str:
    """Collapse whitespace runs to one space (str.split knows the same whitespace as regex \\s).

    Most text is clean already, which three quick tests show: every whitespace character but the
    space is unprintable.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`."""
    return list(_spans(text))


def sentence_breaks(text: str) -> tuple[list[int], list[int]]:
    """Where each sentence but the last ends, and where the next one starts (after the whitespace).

    The sentences are text[0:ends[0]], text[starts[0]:ends[1]], ... text[starts[-1]:]. A break holds only
    an optional closing quote and whitespace, so text joined from several paragraphs by newlines breaks
    inside each paragraph exactly where the paragraph alone does.
    """
    found = [(m.end(1), m.end()) for m in _BREAK.finditer(text)]
    return [end for end, _ in found], [start for _, start in found]


@functools.lru_cache(maxsize=4)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of one paragraph, kept for the next call: every link of a paragraph asks again."""
    ends, starts = sentence_breaks(text)
    spans = list(zip([0, *starts], [*ends, len(text)], strict=True))
    if spans[-1][0] == len(text):
        spans.pop()
    return tuple((a, b) for a, b in spans if text[a:b].strip())


def split_sentences(text: str) -> list[str]:
    """The sentences of a paragraph, whitespace-collapsed."""
    return [clean(text[a:b]) for a, b in sentence_spans(text)]


def sentence_at(text: str, offset: int) -> str:
    """The sentence containing character `offset` (the last one if past the end or between two).

    Found by bisection over cached spans, so a paragraph with n links costs O(n log n), not O(n^2).
    """
    spans = _spans(text)
    if not spans:
        return ""
    i = bisect_right(spans, (offset, len(text) + 1)) - 1
    a, b = spans[i] if i >= 0 and offset < spans[i][1] else spans[-1]
    return clean(text[a:b])
