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


def clean(text: str) -> str:
    """Collapse whitespace runs to one space (str.split knows the same whitespace as regex \\s)."""
    return " ".join(text.split())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence in `text`."""
    return list(_spans(text))


@functools.lru_cache(maxsize=4)
def _spans(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of one paragraph, kept for the next call: every link of a paragraph asks again."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        spans.append((start, m.start() + len(m.group(0).rstrip())))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
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
