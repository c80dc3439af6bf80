"""Words for lexical similarity and phrase matching: folded, stop words dropped, plurals merged.

Concept matching only sees the vocabulary; real sites also write about things outside it, so gap
scoring adds plain word evidence. Everything here keeps character offsets into the original text,
so a matched phrase can become an anchor.

>>> [w for w, *_ in words("The Muscle Spasms in your back")]
['muscle', 'spasm', 'back']
>>> phrase("Heat or ice for back pain?")
('heat', 'ice', 'back', 'pain')
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence

import ahocorasick
import numpy as np
import scipy.sparse as sp

from graph.extract import fold

_STOP_TEXT = """
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each either few for from further had has have having he her here hers
him his how i if in into is it its itself just may me might more most must my no nor not of off on once only or other
our ours out over own same she should so some such than that the their theirs them then there these they this those
through to too under until up us very vs versus was we were what when where which while who whom why will with would
you your yours
"""
STOPWORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z0-9]+")
_ASCII_FOLD = str.maketrans({"-": " ", "/": " "})  # the ASCII part of graph.extract's folding table

Word = tuple[str, int, int]  # (normalised word, start, end) in the original text


def normalise(word: str) -> str:
    """Merge a plural with its singular, so 'sleep aids' matches the title 'Sleep Aid'.

    >>> [normalise(w) for w in ("therapies", "stenosis", "glasses", "ribs", "gas")]
    ['therapy', 'stenosis', 'glass', 'rib', 'gas']
    """
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    return word[:-1]


def fast_fold(text: str) -> str:
    """`graph.extract.fold`, with a fast path for ASCII text (same result, offsets kept)."""
    return text.lower().translate(_ASCII_FOLD) if text.isascii() else fold(text)


def words(text: str) -> list[Word]:
    """The content words of `text` with their offsets (stop words and lone letters dropped)."""
    found = []
    for m in _WORD.finditer(fast_fold(text)):
        w = m.group()
        if w in STOPWORDS or (len(w) == 1 and not w.isdigit()):
            continue
        found.append((normalise(w), m.start(), m.end()))
    return found


def phrase(text: str) -> tuple[str, ...]:
    """The normalised content words of a short text, as a phrase key."""
    return tuple(w for w, *_ in words(text))


def tfidf(docs: Sequence[Sequence[str]], max_df: float = 1.0) -> sp.csr_matrix:
    """Row-normalised TF-IDF (sublinear tf, smoothed idf) of word lists; one row per document.

    Words in more than `max_df` of the documents are dropped: they cost most in similarity products
    and say least.
    """
    vocab: dict[str, int] = {}
    rows, cols, vals = [], [], []
    for i, doc in enumerate(docs):
        counts: dict[int, int] = {}
        for w in doc:
            j = vocab.setdefault(w, len(vocab))
            counts[j] = counts.get(j, 0) + 1
        for j, c in sorted(counts.items()):
            rows.append(i)
            cols.append(j)
            vals.append(1.0 + math.log(c))
    tf = sp.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(vocab)), dtype=np.float64)
    df = np.bincount(tf.indices, minlength=len(vocab))
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    idf[df > max_df * len(docs)] = 0.0
    weighted = sp.csr_matrix(tf.multiply(idf[np.newaxis, :]))
    weighted.eliminate_zeros()
    return normalise_rows(weighted)


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Each row scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def top_k_per_row(matrix: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Keep the k largest entries of each row (ties: lower column first).

    Only rows with more than k entries are sorted, each by numpy; the loop is over rows, never pairs.

    >>> top_k_per_row(sp.csr_matrix([[0.1, 0.5, 0.5], [0.0, 0.2, 0.0]]), 1).toarray().tolist()
    [[0.0, 0.5, 0.0], [0.0, 0.2, 0.0]]
    """
    csr = sp.csr_matrix(matrix, copy=True)
    csr.sort_indices()
    counts = np.diff(csr.indptr)
    if counts.max(initial=0) <= k:
        return csr
    keep = np.ones(csr.nnz, dtype=bool)
    for r in np.flatnonzero(counts > k):
        start = csr.indptr[r]
        order = np.argsort(-csr.data[start : csr.indptr[r + 1]], kind="stable")
        keep[start + order[k:]] = False
    rows = np.repeat(np.arange(csr.shape[0]), counts)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=csr.shape[0]))))
    return sp.csr_matrix((csr.data[keep], csr.indices[keep], indptr), shape=csr.shape)


def product_top_k(left: sp.csr_matrix, rights: Sequence[sp.spmatrix], k: int, *, drop_diagonal: bool = False,
                  block: int = 256) -> sp.csr_matrix:
    """Top-k per row of left @ rights[0] @ rights[1] ..., computed a block of rows at a time.

    Memory stays at one block's product, so a large site never builds a dense n x n matrix.
    """
    parts = []
    for start in range(0, left.shape[0], block):
        chunk = sp.csr_matrix(left[start : start + block])
        for right in rights:
            chunk = sp.csr_matrix(chunk @ right)
        if drop_diagonal:
            chunk.setdiag(0.0, k=start)
        chunk.eliminate_zeros()
        parts.append(top_k_per_row(chunk, k))
    width = rights[-1].shape[1] if rights else left.shape[1]
    return sp.csr_matrix(sp.vstack(parts)) if parts else sp.csr_matrix((0, width))


def similar(vectors: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Cosine similarity of unit row vectors, the k nearest other rows of each row."""
    return product_top_k(vectors, [sp.csr_matrix(vectors.T)], k, drop_diagonal=True)


class PhraseIndex:
    """Finds many word phrases at once in a word sequence (Aho-Corasick over joined words)."""

    def __init__(self, phrases: Iterable[tuple[tuple[str, ...], object]]) -> None:
        keyed: dict[str, list[object]] = {}
        for words_, value in phrases:
            if words_:
                keyed.setdefault(" " + " ".join(words_) + " ", []).append(value)
        self._automaton = ahocorasick.Automaton()
        for key, values in keyed.items():
            self._automaton.add_word(key, (len(key), len(key.split()), tuple(values)))
        if keyed:
            self._automaton.make_automaton()
        self._empty = not keyed

    def find(self, seq: Sequence[str]) -> Iterator[tuple[int, int, tuple[object, ...]]]:
        """(first word index, end word index, values) for every phrase occurrence in `seq`."""
        if self._empty or not seq:
            return
        joined, starts = " ", {}
        for i, w in enumerate(seq):
            starts[len(joined)] = i
            joined += w + " "
        for end, (chars, size, values) in self._automaton.iter(joined):
            first = starts[end - chars + 2]  # the key starts with the space before its first word
            yield first, first + size, values
