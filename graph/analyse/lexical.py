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
from array import array
from collections.abc import Iterable, Sequence
from itertools import accumulate, chain, compress, pairwise, repeat

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
_SPLIT = re.compile(r"([a-z0-9]+)")

Word = tuple[str, int, int]  # (normalised word, start, end) in the original text
#: Entries of one block of a product held at once (a dense-ish block of 2^22 doubles is 32 MiB).
BLOCK_ENTRIES = 1 << 22
#: Stored entries of the row pairs multiplied at once (3 MiB a side); more is no faster.
PAIR_ENTRIES = 1 << 18


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
    """`graph.extract.fold`, with a fast path for ASCII text (same result, offsets kept).

    The ASCII part of fold's table is two characters; `replace` does them several times faster than
    `translate`, which looks up every character in a dict.
    """
    return text.lower().replace("-", " ").replace("/", " ") if text.isascii() else fold(text)


class _Content(dict[str, str]):
    """Token -> normalised content word, "" for a stop word or lone letter.

    Sites reuse few distinct tokens, so each is normalised once; lookups stay in C (dict.__missing__
    runs only for a new token).
    """

    def __missing__(self, token: str) -> str:
        if len(self) >= _MAX_TOKENS:
            self.clear()
        dropped = token in STOPWORDS or (len(token) == 1 and not token.isdigit())
        found = self[token] = "" if dropped else normalise(token)
        return found


_MAX_TOKENS = 1_000_000
_CONTENT = _Content()


def words(text: str) -> list[Word]:
    """The content words of `text` with their offsets (stop words and lone letters dropped)."""
    found, starts, stops = _scan(text)
    return list(compress(zip(found, starts, stops, strict=True), found))


def bounds(text: str) -> array[int]:
    """The start offsets, then the end offsets, of the content words `words` gives: 8 bytes a word.

    Paragraphs keep these for the phrase matches; as (word, start, end) tuples they took ~70 bytes a
    word, most of the gap finder's memory on a large site.
    """
    found, starts, stops = _scan(text)
    return array("I", [*compress(starts, found), *compress(stops, found)])  # from a list: no spare room


def _scan(text: str) -> tuple[list[str], list[int], list[int]]:
    """Per token: its content word ("" when dropped), start and end offset.

    Built from one regex split and running lengths, so no Python code runs per word.
    """
    parts = _SPLIT.split(fast_fold(text))  # separator, token, separator, ..., token, separator
    ends = list(accumulate(map(len, parts)))  # a token starts where the separator before it ends
    return list(map(_CONTENT.__getitem__, parts[1::2])), ends[0:-1:2], ends[1::2]


def terms(text: str) -> tuple[str, ...]:
    """Just the normalised content words of `text` (what `words` gives, without offsets; faster)."""
    return tuple(filter(None, map(_CONTENT.__getitem__, _WORD.findall(fast_fold(text)))))


def phrase(text: str) -> tuple[str, ...]:
    """The normalised content words of a short text, as a phrase key."""
    return terms(text)


def tfidf(docs: Sequence[Sequence[str]], max_df: float = 1.0) -> sp.csr_matrix:
    """Row-normalised TF-IDF (sublinear tf, smoothed idf) of word lists; one row per document.

    Words in more than `max_df` of the documents are dropped: they cost most in similarity products
    and say least.
    """
    tf = _log_counts(_term_counts(docs))
    df = np.bincount(tf.indices, minlength=tf.shape[1])
    idf = np.log((1 + len(docs)) / (1 + df)) + 1.0
    idf[df > max_df * len(docs)] = 0.0
    weighted = sp.csr_matrix(tf.multiply(idf[np.newaxis, :]))
    weighted.eliminate_zeros()
    return normalise_rows(weighted)


def _term_counts(docs: Sequence[Sequence[str]]) -> sp.csr_matrix:
    """Documents x words occurrence counts; words numbered in order of first use, as similarity sums follow it.

    dict.fromkeys keeps first-use order, and it and map run in C: no Python code per word. Built as
    CSR straight from the word numbers, 8 bytes a word: every word of the site passes through here, and
    row and column arrays of int64 beside float64 ones made the gap finder's peak.
    """
    vocab = {w: i for i, w in enumerate(dict.fromkeys(chain.from_iterable(docs)))}
    cols = np.fromiter(map(vocab.__getitem__, chain.from_iterable(docs)), dtype=np.int32)
    indptr = np.r_[0, np.cumsum([len(doc) for doc in docs], dtype=np.int64)]
    counts = sp.csr_matrix((np.ones(len(cols), dtype=np.int32), cols, indptr), shape=(len(docs), len(vocab)))
    counts.sum_duplicates()
    return counts


def _log_counts(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Sublinear tf, 1 + log(count), with math.log per distinct count so values match scalar code exactly."""
    table = np.array([0.0, *(1.0 + math.log(c) for c in range(1, int(counts.data.max(initial=0)) + 1))])
    return sp.csr_matrix((table[counts.data.astype(np.int64)], counts.indices, counts.indptr), shape=counts.shape)


def normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Each row scaled to unit length (empty rows stay empty)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def top_k_per_row(matrix: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Keep the k largest stored entries of each row (ties: lower column first), indices sorted.

    Vectorised: the k-th largest value of every row comes from one partition of a padded array, and
    only entries equal to it need ordering by column. No Python loop over rows or pairs.

    >>> top_k_per_row(sp.csr_matrix([[0.1, 0.5, 0.5], [0.0, 0.2, 0.0]]), 1).toarray().tolist()
    [[0.0, 0.5, 0.0], [0.0, 0.2, 0.0]]
    """
    csr = sp.csr_matrix(matrix)
    rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))
    cut = _kth_largest(csr, k)[rows]
    keep = csr.data > cut
    room = k - np.bincount(rows[keep], minlength=csr.shape[0])
    keep[_first_ties(np.flatnonzero(csr.data == cut), rows, csr.indices, room)] = True
    return _kept(csr, rows, keep)


def _kth_largest(csr: sp.csr_matrix, k: int) -> np.ndarray:
    """Per row, the k-th largest stored value; -inf for rows with at most k entries (they keep all)."""
    counts = np.diff(csr.indptr)
    cut = np.full(csr.shape[0], -np.inf)
    full = np.flatnonzero(counts > k)
    if len(full):
        cut[full] = np.partition(_padded(csr, full), -k, axis=1)[:, -k]
    return cut


def _padded(csr: sp.csr_matrix, full: np.ndarray) -> np.ndarray:
    """Rows `full` as a dense array whose empty places rank below every stored value.

    Dense-ish rows of positive values (similarities) are simply the dense rows; others are padded
    with -inf to their longest row.
    """
    counts = np.diff(csr.indptr)[full]
    if counts.sum() * 4 >= len(full) * csr.shape[1] and csr.data.min() > 0:
        return (csr if len(full) == csr.shape[0] else csr[full]).toarray()
    at, offset = _row_spans(csr.indptr, full)
    padded = np.full((len(full), int(counts.max())), -np.inf)
    padded[np.repeat(np.arange(len(full)), counts), offset] = csr.data[at]
    return padded


def _row_spans(indptr: np.ndarray, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flat positions of the entries of rows `chosen`, and each entry's offset within its row."""
    counts = indptr[chosen + 1] - indptr[chosen]
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(indptr[chosen], counts) + offset, offset


def _first_ties(ties: np.ndarray, rows: np.ndarray, columns: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Of the entries equal to their row's cut-off, the lowest-column ones that still fit in the row."""
    ties = ties[np.lexsort((columns[ties], rows[ties]))]
    tie_rows = rows[ties]
    starts = np.flatnonzero(np.r_[True, tie_rows[1:] != tie_rows[:-1]]) if len(ties) else ties
    rank = np.arange(len(ties)) - np.repeat(starts, np.diff(np.r_[starts, len(ties)]))
    return ties[rank < room[tie_rows]]


def _kept(csr: sp.csr_matrix, rows: np.ndarray, keep: np.ndarray) -> sp.csr_matrix:
    """The kept entries as a new matrix with sorted column indices."""
    at = np.flatnonzero(keep)
    at = at[np.lexsort((csr.indices[at], rows[at]))]
    indptr = np.r_[0, np.cumsum(np.bincount(rows[at], minlength=csr.shape[0]))]
    return sp.csr_matrix((csr.data[at], csr.indices[at], indptr), shape=csr.shape)


def product_top_k(left: sp.csr_matrix, rights: Sequence[sp.spmatrix], k: int, *, drop_diagonal: bool = False,
                  block: int = 256) -> sp.csr_matrix:
    """Top-k per row of left @ rights[0] @ rights[1] ..., computed a block of rows at a time.

    Memory stays at one block's product (fewer rows per block on wide products), so a large site
    never builds a dense n x n matrix.
    """
    width = rights[-1].shape[1] if rights else left.shape[1]
    block = max(1, min(block, BLOCK_ENTRIES // max(width, 1)))
    parts = [_block_top_k(left, rights, start, block, k, drop_diagonal) for start in range(0, left.shape[0], block)]
    return sp.csr_matrix(sp.vstack(parts, format="csr")) if parts else sp.csr_matrix((0, width))


def _block_top_k(left: sp.csr_matrix, rights: Sequence[sp.spmatrix], start: int, block: int, k: int,
                 drop_diagonal: bool) -> sp.csr_matrix:
    """Top-k per row of one block of rows of the product."""
    chunk = sp.csr_matrix(left[start : start + block])
    for right in rights:
        chunk = sp.csr_matrix(chunk @ right)
    if drop_diagonal:
        rows = np.repeat(np.arange(chunk.shape[0]), np.diff(chunk.indptr))
        chunk.data[chunk.indices == rows + start] = 0.0
    chunk.eliminate_zeros()
    return top_k_per_row(chunk, k)


def similar(vectors: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Cosine similarity of unit row vectors, the k nearest other rows of each row.

    Quadratic on a large site (nearly every two pages share some word); `similar_among` is not.
    """
    return product_top_k(vectors, [sp.csr_matrix(vectors.T)], k, drop_diagonal=True)


def similar_among(vectors: sp.csr_matrix, candidates: sp.spmatrix, k: int) -> sp.csr_matrix:
    """Cosine similarity of unit row vectors for the stored pairs of `candidates` only, the k nearest per row.

    Linear in the candidates, so a site of 100,000 pages costs a few seconds where `similar` takes
    minutes. The diagonal and pairs sharing no word are left out.
    """
    found = sp.csr_matrix(candidates, dtype=np.float64, copy=True)
    found.sum_duplicates()
    rows = np.repeat(np.arange(found.shape[0]), np.diff(found.indptr))
    found.data = pair_dots(vectors, rows, found.indices)
    found.data[rows == found.indices] = 0.0
    found.eliminate_zeros()
    return top_k_per_row(found, k)


def pair_dots(vectors: sp.csr_matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Dot product of row rows[p] with row cols[p] for each p, about PAIR_ENTRIES stored entries at a time."""
    sizes = np.diff(vectors.indptr)
    cost = np.cumsum(sizes[rows] + sizes[cols] + 1)
    total = int(cost[-1]) if len(cost) else 0
    cuts = np.unique(np.r_[0, np.searchsorted(cost, np.arange(PAIR_ENTRIES, total, PAIR_ENTRIES)), len(rows)])
    dots = np.zeros(len(rows))
    for lo, hi in pairwise(cuts.tolist()):
        both = vectors[rows[lo:hi]].multiply(vectors[cols[lo:hi]])
        dots[lo:hi] = np.asarray(both.sum(axis=1)).ravel()
    return dots


class _Codes(dict[str, str]):
    """One character per phrase word (astral plane, clear of surrogates); any other word is one shared
    character no phrase contains. A phrase then matches as a plain substring, a word per character."""

    FIRST, OTHER = 0x10000, "\x00"

    def add(self, word: str) -> None:
        if word not in self:
            self[word] = chr(self.FIRST + len(self))


class PhraseIndex:
    """Finds many word phrases at once in a word sequence (Aho-Corasick over word codes)."""

    def __init__(self, phrases: Iterable[tuple[tuple[str, ...], object]]) -> None:
        keyed: dict[tuple[str, ...], list[object]] = {}
        for words_, value in phrases:
            if words_:
                keyed.setdefault(tuple(words_), []).append(value)
        self._codes = _Codes()
        for word in chain.from_iterable(keyed):
            self._codes.add(word)
        self._automaton = ahocorasick.Automaton()
        for key, values in keyed.items():
            self._automaton.add_word(self._encode(key), (len(key), tuple(values)))
        if keyed:
            self._automaton.make_automaton()
        self._empty = not keyed

    def _encode(self, seq: Iterable[str]) -> str:
        """A character per word; `get` with a default keeps the lookups in C."""
        return "".join(map(self._codes.get, seq, repeat(_Codes.OTHER)))

    def find(self, seq: Sequence[str]) -> list[tuple[int, int, tuple[object, ...]]]:
        """(first word index, end word index, values) for every phrase occurrence in `seq`, by end index."""
        if self._empty or not seq:
            return []
        return [(last - size + 1, last + 1, values) for last, (size, values) in self._automaton.iter(self._encode(seq))]
