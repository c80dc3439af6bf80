"""Link-gap suggestions: pages that share clinical meaning but do not link, with anchor and reason.

Candidates come from sparse products (scipy): A names B's topic (mentions x about), or A names a
concept clinically related to B's topic (mentions x relations x about). Only candidate pairs are
scored; no loop over all pairs. A suggestion needs an anchor phrase from A's own text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph.analyse.links import COUNTED
from graph.records import Article, ArticleConcepts, Concept, Gap, Mention, Relation

DIRECT, RELATED, SIMILAR = 0.6, 0.35, 0.3
COMMON_CUTOFF = 0.5  # concepts in more than half the articles say little about similarity

# (forward, backward) reasons: forward when A mentions the relation's object and B is about its subject.
_PHRASES = {
    "signOrSymptom": ("{o}, a symptom of {s}", "{s}, which can cause {o}"),
    "possibleTreatment": ("{o}, a treatment for {s}", "{s}, which {o} can treat"),
    "riskFactor": ("{o}, a risk factor for {s}", "{s}, for which {o} is a risk factor"),
    "drugClass": ("{o}, the class of {s}", "{s}, a {o}"),
    "adverseOutcome": ("{o}, a possible side effect of {s}", "{s}, which can cause {o}"),
    "broader": ("{o}, the wider topic of {s}", "{s}, a kind of {o}"),
}


@dataclass(frozen=True)
class GapSettings:
    """Controls from config (see the settings table)."""

    per_source: int = 5
    min_score: float = 0.2
    exclude: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Index:
    urls: list[str]
    row: dict[str, int]
    concepts: list[str]
    col: dict[str, int]


def _index(articles: Sequence[Article], concepts: Mapping[str, Concept]) -> _Index:
    urls = [a.url for a in articles]
    names = sorted(concepts)
    return _Index(urls, {u: i for i, u in enumerate(urls)}, names, {c: j for j, c in enumerate(names)})


def _matrix(ix: _Index, pairs: Sequence[tuple[str, str, float]]) -> sp.csr_matrix:
    rows = [ix.row[u] for u, c, _ in pairs]
    cols = [ix.col[c] for u, c, _ in pairs]
    vals = [v for *_, v in pairs]
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(ix.urls), len(ix.concepts)), dtype=np.float64)


def _relation_matrix(ix: _Index, relations: Sequence[Relation]) -> sp.csr_matrix:
    """Symmetric concept x concept adjacency of the clinical relations."""
    pairs = [(ix.col[r.subject], ix.col[r.object]) for r in relations if r.subject in ix.col and r.object in ix.col]
    rows = [a for a, b in pairs] + [b for a, b in pairs]
    cols = [b for a, b in pairs] + [a for a, b in pairs]
    n = len(ix.concepts)
    matrix = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix.data[:] = 1.0
    return matrix


def _tfidf(mentions: sp.csr_matrix) -> sp.csr_matrix:
    """Row-normalised TF-IDF of concept mentions with very common concepts cut off."""
    n = mentions.shape[0]
    df = np.asarray((mentions > 0).sum(axis=0)).ravel()
    idf = np.where((df > 0) & (df <= max(1, COMMON_CUTOFF * n)), np.log((1 + n) / (1 + df)) + 1, 0.0)
    weighted = sp.csr_matrix(mentions.multiply(idf[np.newaxis, :]))
    weighted.data = np.log1p(weighted.data)
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1 / norms) @ weighted)


class GapFinder:
    """Scores link gaps for one corpus; build once, then `suggest()`."""

    def __init__(self, articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts],
                 concepts: Mapping[str, Concept], relations: Sequence[Relation]) -> None:
        self.articles = {a.url: a for a in articles}
        self.extracted = extracted
        self.concepts = concepts
        self.relations = relations
        self.ix = _index(articles, concepts)
        self.mentions = {u: {m.concept: m for m in e.mentions if not m.negated and m.sentence}
                         for u, e in extracted.items()}
        counts = [(u, c, float(m.count)) for u, ms in self.mentions.items() for c, m in ms.items()
                  if u in self.ix.row and c in self.ix.col]
        self.named = _matrix(self.ix, counts)
        spec = self._specificity()
        about = [(u, c, spec[self.ix.col[c]]) for u, e in extracted.items() for c in e.about
                 if u in self.ix.row and c in self.ix.col]
        self.about = _matrix(self.ix, about)
        self.related = _relation_matrix(self.ix, relations)
        self.tfidf = _tfidf(self.named)

    def _specificity(self) -> np.ndarray:
        """Per concept 0-1: 1 when one article names it, near 0 when every article does."""
        n = max(len(self.ix.urls), 1)
        df = np.asarray((self.named > 0).sum(axis=0)).ravel()
        return np.where(df > 0, np.log((n + 1) / np.maximum(df, 1)) / np.log(n + 1), 0.0)

    def candidates(self) -> sp.coo_matrix:
        """Source x target scores from direct and relation evidence (sparse)."""
        binary = self.named.copy()
        binary.data[:] = 1.0
        direct = (binary @ self.about.T).minimum(1.0)
        via = (binary @ self.related @ self.about.T).minimum(1.0)
        return sp.coo_matrix(DIRECT * direct + RELATED * via)

    def suggest(self, settings: GapSettings) -> list[Gap]:
        """The top suggestions per source page, sorted by score desc, then source, then target."""
        linked = self._linked_pairs()
        per_source: dict[str, list[Gap]] = {}
        cand = self.candidates()
        for i, j, base in zip(cand.row, cand.col, cand.data, strict=True):
            source, target = self.ix.urls[i], self.ix.urls[j]
            if i == j or (source, target) in linked or not self._eligible(source, target, settings):
                continue
            similarity = float(self.tfidf[i].multiply(self.tfidf[j]).sum())
            score = round(min(1.0, float(base) + SIMILAR * similarity), 3)
            gap = self._explain(source, target, score) if score >= settings.min_score else None
            if gap:
                per_source.setdefault(source, []).append(gap)
        gaps = [g for gs in per_source.values()
                for g in sorted(gs, key=lambda g: (-g.score, g.target))[: settings.per_source]]
        return sorted(gaps, key=lambda g: (-g.score, g.source, g.target))

    def _linked_pairs(self) -> set[tuple[str, str]]:
        return {(a.url, lk.target) for a in self.articles.values() for lk in a.links
                if lk.kind in COUNTED and lk.target}

    def _eligible(self, source: str, target: str, settings: GapSettings) -> bool:
        t = self.articles[target]
        bad_target = t.draft or t.noindex or (t.canonical not in (None, t.url))
        return not bad_target and source not in settings.exclude and target not in settings.exclude

    def _explain(self, source: str, target: str, score: float) -> Gap | None:
        """Anchor, sentence and reason: B's topic named in A first, else a related concept A names."""
        named = self.mentions.get(source, {})
        for concept in self.extracted[target].about:
            if concept in named:
                m = named[concept]
                reason = f'names {self._label(concept)}, the topic of "{self.articles[target].title}"'
                return self._gap(source, target, m, score, reason)
        for m, phrase in self._related_mentions(named, self.extracted[target].about):
            return self._gap(source, target, m, score, f"mentions {phrase}")
        return None

    def _related_mentions(self, named: Mapping[str, Mention], about: Sequence[str]) -> list[tuple[Mention, str]]:
        found = []
        for r in self.relations:
            kind = r.predicate.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            forward, backward = _PHRASES.get(kind, ("{o}, related to {s}", "{s}, related to {o}"))
            s, o = self._label(r.subject), self._label(r.object)
            if r.subject in about and r.object in named:
                found.append((named[r.object], forward.format(s=s, o=o)))
            elif r.object in about and r.subject in named:
                found.append((named[r.subject], backward.format(s=s, o=o)))
        return sorted(found, key=lambda f: (-f[0].weight, f[1]))

    def _label(self, concept: str) -> str:
        c = self.concepts.get(concept)
        return c.label if c else concept

    @staticmethod
    def _gap(source: str, target: str, m: Mention, score: float, reason: str) -> Gap | None:
        if not m.surface or m.surface not in m.sentence:
            return None
        return Gap(source, target, m.surface, m.sentence, m.section, score, reason, m.concept)
