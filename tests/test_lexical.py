"""The fast building blocks of the gap finder agree with plain, slow reference versions."""

from __future__ import annotations

import gc
import random

import numpy as np
import pytest
import scipy.sparse as sp

from graph.analyse import lexical
from graph.analyse.lexical import (
    PhraseIndex,
    bounds,
    normalise_rows,
    phrase,
    product_top_k,
    similar,
    similar_among,
    terms,
    tfidf,
    top_k_per_row,
    words,
)
from graph.analyse.spots import running_text
from graph.collector import gc_paused
from graph.records import Article, Section


def slow_top_k(matrix: sp.csr_matrix, k: int) -> np.ndarray:
    """Per row: sort stored entries by value (desc), then column, and keep the first k."""
    out = np.zeros(matrix.shape)
    for r in range(matrix.shape[0]):
        row = matrix.getrow(r)
        for c, v in sorted(zip(row.indices, row.data, strict=True), key=lambda cv: (-cv[1], cv[0]))[:k]:
            out[r, c] = v
    return out


@pytest.mark.parametrize("seed", range(6))
def test_top_k_per_row_breaks_ties_by_lower_column(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-3, 4, size=(12, 15)).astype(float)  # few distinct values: many ties
    if seed % 2:
        values = np.abs(values)  # positive rows take the dense path
    matrix = sp.csr_matrix(values * (rng.random((12, 15)) < 0.3 + seed / 10))
    for k in (1, 3, 5, 20):
        kept = top_k_per_row(matrix, k)
        assert kept.has_sorted_indices
        assert (kept.toarray() == slow_top_k(matrix, k)).all()


def test_similar_drops_self_and_keeps_nearest() -> None:
    vectors = tfidf([["disc", "back"], ["disc", "back", "leg"], ["leg", "knee"], ["disc", "knee"]])
    near = similar(vectors, 2).toarray()
    full = (vectors @ vectors.T).toarray()
    np.fill_diagonal(full, 0.0)
    assert (np.diag(near) == 0).all()
    assert (near == slow_top_k(sp.csr_matrix(full), 2)).all()


def slow_similar_among(vectors: sp.csr_matrix, candidates: sp.csr_matrix, k: int) -> np.ndarray:
    """Each candidate pair off the diagonal, its cosine summed word by word; then the plain top-k."""
    rows = [dict(zip(vectors.getrow(r).indices, vectors.getrow(r).data, strict=True)) for r in range(vectors.shape[0])]
    cosines = np.zeros(candidates.shape)
    for i, j in zip(*candidates.nonzero(), strict=True):
        if i != j:
            cosines[i, j] = sum(v * rows[j].get(w, 0.0) for w, v in rows[i].items())
    return slow_top_k(sp.csr_matrix(cosines), k)


@pytest.mark.parametrize("seed", range(4))
def test_similar_among_keeps_the_nearest_candidates(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(seed)
    vectors = normalise_rows(sp.csr_matrix(rng.random((40, 15)) * (rng.random((40, 15)) < 0.3)))
    candidates = sp.csr_matrix(rng.random((40, 40)) < 0.25 + seed / 10)  # some rows: fewer than k
    for k in (1, 3, 10):
        fast, slow = similar_among(vectors, candidates, k), slow_similar_among(vectors, candidates, k)
        assert fast.has_sorted_indices
        assert ((fast.toarray() > 0) == (slow > 0)).all()
        assert np.allclose(fast.toarray(), slow, rtol=0, atol=1e-12)
    whole = similar_among(vectors, candidates, 3).toarray()
    monkeypatch.setattr(lexical, "PAIR_ENTRIES", 7)  # many small chunks of pairs: the same numbers
    assert (similar_among(vectors, candidates, 3).toarray() == whole).all()


def test_similar_among_equals_similar_when_every_pair_is_a_candidate() -> None:
    vectors = tfidf([["disc", "back"], ["disc", "back", "leg"], ["leg", "knee"], ["disc", "knee"], ["sleep"]])
    every = sp.csr_matrix(np.ones((5, 5)))
    assert np.allclose(similar_among(vectors, every, 2).toarray(), similar(vectors, 2).toarray(), rtol=0, atol=1e-12)
    assert similar_among(vectors, every, 2).getrow(4).nnz == 0  # no word in common with any page


def test_product_top_k_is_the_same_in_any_block_size() -> None:
    rng = np.random.default_rng(3)
    left = sp.csr_matrix(rng.random((20, 8)) * (rng.random((20, 8)) < 0.4))
    right = sp.csr_matrix(rng.random((8, 20)) * (rng.random((8, 20)) < 0.4))
    whole = product_top_k(left, [right], 4, drop_diagonal=True, block=20).toarray()
    for block in (1, 3, 7):
        assert (product_top_k(left, [right], 4, drop_diagonal=True, block=block).toarray() == whole).all()
    assert (np.diag(whole) == 0).all()


def slow_words(text: str) -> list[tuple[str, int, int]]:
    """One word at a time: what `words` must return."""
    import re

    from graph.analyse.lexical import STOPWORDS, fast_fold, normalise

    found = []
    for m in re.finditer(r"[a-z0-9]+", fast_fold(text)):
        w = m.group()
        if w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            found.append((normalise(w), m.start(), m.end()))
    return found


def test_words_and_terms_match_word_by_word_reading() -> None:
    rng = random.Random(5)
    samples = ["", "  ", "I", "Café-au-lait spots, 2 of them", "Knee/hip pains in the morning."]
    samples += ["".join(rng.choice("ab eé-/1Xs.'") for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    for text in samples:
        assert words(text) == slow_words(text), text
        assert terms(text) == tuple(w for w, _, _ in slow_words(text)) == phrase(text)


def test_phrase_index_finds_what_a_scan_finds() -> None:
    rng = random.Random(9)
    vocab = ["back", "pain", "upper", "leg", "disc", "knee"]
    keys = {tuple(rng.choice(vocab) for _ in range(rng.randint(1, 3))) for _ in range(12)}
    index = PhraseIndex((key, key) for key in keys)
    for _ in range(200):
        seq = [rng.choice([*vocab, "other"]) for _ in range(rng.randint(0, 12))]
        found = sorted((first, end, values) for first, end, values in index.find(seq))
        scan = sorted((i, i + len(key), (key,)) for key in keys for i in range(len(seq) - len(key) + 1)
                      if tuple(seq[i : i + len(key)]) == key)
        assert found == scan


def test_paragraph_offsets_point_at_the_words() -> None:
    text = "Upper back pain, and stiff knees."
    article = Article("a.md", "a", "A", "md", sections=(Section("Care", (text,)),))
    (para,) = running_text(article)
    assert para.terms == ("upper", "back", "pain", "stiff", "knee")
    assert [text[slice(*para.span(k, k + 1))] for k in range(5)] == ["Upper", "back", "pain", "stiff", "knees"]
    assert text[slice(*para.span(1, 3))] == "back pain"


def test_bounds_are_the_offsets_words_gives() -> None:
    text = "The Muscle-Spasms in your back, über 2 weeks: a lot!"
    found = words(text)
    flat = bounds(text)
    assert list(flat) == [start for _, start, _ in found] + [end for *_, end in found]
    assert list(bounds("")) == [] and list(bounds("the a of")) == []


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
