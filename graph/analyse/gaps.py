"""Link-gap suggestions: pages that should link but do not, each with anchor words, sentence and reason.

Four kinds of evidence, each a sparse source x target matrix (scipy), none built by looping over pairs:

* phrase  -- A's text contains B's title, an alias, part of the title, or words other pages link B with;
* direct  -- A names a concept B is about (vocabulary match);
* related -- A names a concept clinically related to B's topic (symptom, treatment, risk factor...);
* lexical -- TF-IDF cosine of the two pages' words (top-k per row), for topics outside the vocabulary.

They are combined as a noisy-or, ``1 - prod(1 - weight * evidence)``, so any one strong signal is enough
and agreeing signals add up. Only candidate pairs are scored. A suggestion needs an anchor: words in
A's own running text, outside existing links, not negated. docs/analysis.md gives the formulas.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graph.analyse.lexical import PhraseIndex, Word, phrase, similar, tfidf, words
from graph.analyse.links import COUNTED
from graph.extract import fold, is_negated
from graph.ingest.sentences import clean, sentence_at
from graph.records import Article, ArticleConcepts, Concept, Gap, LinkKind, Mention, Relation

#: Weight of each kind of evidence in the noisy-or.
PHRASE, DIRECT, RELATED, LEXICAL = 0.9, 0.7, 0.35, 0.5
#: Summed word rarity at which a phrase counts as fully specific (about one word used by 1 page in 3).
RARE = 0.35
#: Shortest share of a title that a part of it must cover to name the page.
MIN_COVERAGE = 0.4
#: Lexical neighbours kept per page before scoring.
NEIGHBOURS = 10
_PUNCT = re.compile(r"[.,;:!?()\[\]\"“”]")

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


@dataclass(frozen=True, slots=True)
class Spot:
    """A place in a source page that can carry the new link."""

    anchor: str
    sentence: str
    section: str
    position: int


@dataclass(frozen=True, slots=True)
class _Paragraph:
    section: str
    text: str
    words: tuple[Word, ...]
    blocked: tuple[tuple[int, int], ...]
    position: int

    def spot(self, first: int, end: int) -> Spot | None:
        """The words first..end-1 as an anchor, unless linked already, negated or split by punctuation."""
        start, stop = self.words[first][1], self.words[end - 1][2]
        anchor = self.text[start:stop]
        if _PUNCT.search(anchor) or any(a < stop and start < b for a, b in self.blocked):
            return None
        if is_negated(self.text[max(0, start - 60) : start]):
            return None
        sentence = sentence_at(self.text, start)
        if anchor not in sentence:
            return None
        return Spot(anchor, sentence, self.section, self.position + start)


def _blocked(text: str, article: Article) -> tuple[tuple[int, int], ...]:
    """Character spans of `text` already inside a link's anchor (any kind, any target)."""
    spans = []
    folded = fold(text)
    for link in article.links:
        at = text.find(link.sentence) if link.sentence and link.anchor else -1
        inner = fold(link.sentence).find(fold(link.anchor)) if at >= 0 else -1
        if inner >= 0:
            spans.append((at + inner, at + inner + len(link.anchor)))
        elif not link.sentence and link.anchor and (hit := folded.find(fold(link.anchor))) >= 0:
            spans.append((hit, hit + len(link.anchor)))
    return tuple(sorted(spans))


def running_text(article: Article) -> list[_Paragraph]:
    """Paragraphs that can carry a new link: every section except related-article blocks."""
    related = {lk.section for lk in article.links if lk.kind == LinkKind.RELATED}
    found, position = [], 0
    for section in article.sections:
        if section.heading in related and section.heading:
            continue
        for raw in section.paragraphs:
            text = clean(raw)
            found.append(_Paragraph(section.heading, text, tuple(words(text)), _blocked(text, article), position))
            position += len(text) + 1
    return found


def first_spot(paragraphs: Sequence[_Paragraph], phrases: Iterable[tuple[str, ...]]) -> Spot | None:
    """The earliest free occurrence of any of `phrases` (normalised word tuples) in the paragraphs."""
    index = PhraseIndex((p, p) for p in phrases)
    for para in paragraphs:
        for first, end, _ in sorted(index.find([w for w, *_ in para.words]), key=lambda m: (m[0], -m[1])):
            spot = para.spot(first, end)
            if spot:
                return spot
    return None


@dataclass(frozen=True, slots=True)
class _Name:
    """A phrase that names a target page, with how strongly it does."""

    target: int
    kind: str  # "title", "alias", "part" (of the title) or "anchor" (how other pages link to it)
    weight: float


def rarity(phrase_: Sequence[str], idf: Mapping[str, float]) -> float:
    """0-1: summed normalised IDF of the words, saturating at RARE; 'back pain' is low, 'sciatica' 1."""
    return min(1.0, sum(idf.get(w, 1.0) for w in phrase_) / RARE)


def _title_names(article: Article, target: int) -> Iterable[tuple[tuple[str, ...], str, float]]:
    title = phrase(article.title)
    yield title, "title", 1.0
    for alias in article.aliases:
        yield phrase(alias), "alias", 1.0
    for size in range(2, len(title)):
        if size / len(title) >= MIN_COVERAGE:
            for first in range(len(title) - size + 1):
                yield title[first : first + size], "part", size / len(title)


class PhraseEvidence:
    """A's text naming B by title, alias, part of the title, or the anchor words other pages use for B."""

    def __init__(self, articles: Sequence[Article], row: Mapping[str, int], idf: Mapping[str, float],
                 paragraphs: Sequence[list[_Paragraph]], targets: Sequence[bool]) -> None:
        self.n = len(articles)
        names = self._names(articles, row, idf, targets)
        self.index = PhraseIndex((p, name) for p, shared in names.items() for name in shared)
        self.best: dict[tuple[int, int], tuple[float, Spot, str]] = {}
        for i, paras in enumerate(paragraphs):
            self._scan(i, paras)

    @staticmethod
    def _names(articles: Sequence[Article], row: Mapping[str, int], idf: Mapping[str, float],
               targets: Sequence[bool]) -> dict[tuple[str, ...], _Name]:
        """Best name per phrase; a phrase naming several pages is split between them."""
        offers: dict[tuple[str, ...], dict[int, _Name]] = {}
        for j, article in enumerate(articles):
            if not targets[j]:
                continue
            for words_, kind, coverage in _title_names(article, j):
                _offer(offers, words_, _Name(j, kind, coverage * rarity(words_, idf)))
        for article in articles:
            for link in article.links:
                j = row.get(link.target or "", -1)
                if link.kind in COUNTED and j >= 0 and targets[j] and link.target != article.url:
                    words_ = phrase(link.anchor)
                    _offer(offers, words_, _Name(j, "anchor", rarity(words_, idf)))
        return {p: _share(list(by_target.values())) for p, by_target in offers.items() if p}

    def _scan(self, source: int, paras: Sequence[_Paragraph]) -> None:
        for para in paras:
            for first, end, names in _outermost(self.index.find([w for w, *_ in para.words])):
                for name in names:
                    assert isinstance(name, _Name)
                    key = (source, name.target)
                    if source == name.target or name.weight <= self.best.get(key, (0.0,))[0]:
                        continue
                    spot = para.spot(first, end)
                    if spot:
                        self.best[key] = (name.weight, spot, name.kind)

    def matrix(self) -> sp.csr_matrix:
        """Source x target phrase evidence."""
        keys = sorted(self.best)
        vals = [self.best[k][0] for k in keys]
        return sp.csr_matrix((vals, ([i for i, _ in keys], [j for _, j in keys])), shape=(self.n, self.n))


def _offer(offers: dict[tuple[str, ...], dict[int, _Name]], words_: tuple[str, ...], name: _Name) -> None:
    """Keep the strongest way a phrase names each target."""
    if not words_:
        return
    by_target = offers.setdefault(words_, {})
    if name.weight > by_target.get(name.target, _Name(name.target, "", -1.0)).weight:
        by_target[name.target] = name


def _share(names: list[_Name]) -> tuple[_Name, ...]:
    """A phrase that names k pages gives each 1/k of its weight: 'back pain' names many, 'sciatica' one."""
    k = len(names)
    return tuple(_Name(n.target, n.kind, n.weight / k) for n in sorted(names, key=lambda n: n.target))


def _outermost(matches: Iterable[tuple[int, int, tuple[object, ...]]]) -> list[tuple[int, int, tuple[object, ...]]]:
    """Drop matches inside a longer one: 'upper back pain' names one page, its 'back pain' no other."""
    ordered = sorted(matches, key=lambda m: (m[0], -m[1]))
    kept: list[tuple[int, int, tuple[object, ...]]] = []
    reach = -1
    for first, end, values in ordered:
        if end < reach or (end == reach and kept and (kept[-1][0], kept[-1][1]) != (first, end)):
            continue
        kept.append((first, end, values))
        reach = max(reach, end)
    return kept


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


def _matrix(ix: _Index, triples: Sequence[tuple[str, str, float]]) -> sp.csr_matrix:
    rows = [ix.row[u] for u, _, _ in triples]
    cols = [ix.col[c] for _, c, _ in triples]
    vals = [v for *_, v in triples]
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


def _idf(docs: Sequence[Iterable[str]]) -> dict[str, float]:
    """Per term 0-1: 1 when one page has it, 0 when every page does."""
    n = max(len(docs), 1)
    df: dict[str, int] = {}
    for doc in docs:
        for term in set(doc):
            df[term] = df.get(term, 0) + 1
    return {t: math.log((n + 1) / k) / math.log(n + 1) for t, k in df.items()}


class ConceptEvidence:
    """Vocabulary evidence: A names B's topic, or a concept clinically related to it."""

    def __init__(self, ix: _Index, mentions: Mapping[str, Mapping[str, Mention]],
                 extracted: Mapping[str, ArticleConcepts], relations: Sequence[Relation],
                 targets: Sequence[bool]) -> None:
        self.idf = _idf([list(ms) for ms in mentions.values()])
        named = [(u, c, rarity([c], self.idf)) for u, ms in mentions.items() for c in ms
                 if u in ix.row and c in ix.col]
        self.named = _matrix(ix, named)
        owners: dict[str, int] = {}
        for u, e in extracted.items():
            if u in ix.row and targets[ix.row[u]]:
                for c in e.about:
                    owners[c] = owners.get(c, 0) + 1
        about = [(u, c, rarity([c], self.idf) * (1.0 if k == 0 else 0.7) / math.sqrt(owners[c]))
                 for u, e in extracted.items() if u in ix.row and targets[ix.row[u]]
                 for k, c in enumerate(e.about) if c in ix.col]
        self.about = _matrix(ix, about)
        self.related = _relation_matrix(ix, relations)

    def direct(self) -> sp.csr_matrix:
        """Source x target: A names B's about-concept (rarity x primacy / sqrt(pages about it))."""
        binary = self.named.copy()
        binary.data[:] = 1.0
        return _clip(binary @ self.about.T)

    def via_relations(self) -> sp.csr_matrix:
        """Source x target: A names a concept related to B's about-concept."""
        return _clip(self.named @ self.related @ self.about.T)


def _clip(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix)
    out.data = np.minimum(out.data, 1.0)
    out.eliminate_zeros()
    return out


def noisy_or(parts: Sequence[tuple[float, sp.csr_matrix]]) -> sp.csr_matrix:
    """1 - prod(1 - w * E) over sparse evidence matrices; exact on the union of their supports."""
    total = sp.csr_matrix(parts[0][1].shape)
    for weight, evidence in parts:
        logs = sp.csr_matrix(evidence, copy=True)
        logs.data = np.log1p(-np.minimum(weight * logs.data, 0.999999))
        total = total + logs
    total = sp.csr_matrix(total)
    total.data = -np.expm1(total.data)
    total.eliminate_zeros()
    return total


class GapFinder:
    """Scores link gaps for one corpus; build once, then `suggest()`."""

    def __init__(self, articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts],
                 concepts: Mapping[str, Concept], relations: Sequence[Relation]) -> None:
        self.pages = list(articles)
        self.articles = {a.url: a for a in articles}
        self.extracted = extracted
        self.concepts = concepts
        self.relations = relations
        self.ix = _index(self.pages, concepts)
        self.targets = [_publishable(a) for a in self.pages]
        self.paragraphs = [running_text(a) for a in self.pages]
        self.mentions = {u: {m.concept: m for m in e.mentions if not m.negated and m.sentence}
                         for u, e in extracted.items()}
        docs = [[w for w, *_ in words(a.title)] + [w for p in ps for w, *_ in p.words]
                for a, ps in zip(self.pages, self.paragraphs, strict=True)]
        self.lexical = similar(tfidf(docs), NEIGHBOURS)
        self.phrases = PhraseEvidence(self.pages, self.ix.row, _idf(docs), self.paragraphs, self.targets)
        self.concept = ConceptEvidence(self.ix, self.mentions, extracted, relations, self.targets)

    def scores(self) -> sp.csr_matrix:
        """Source x target combined score of every candidate pair (sparse)."""
        direct, related = self.concept.direct(), self.concept.via_relations()
        return noisy_or([(PHRASE, self.phrases.matrix()), (DIRECT, direct), (RELATED, related),
                         (LEXICAL, self._lexical_support(direct, related))])

    def _lexical_support(self, *others: sp.csr_matrix) -> sp.csr_matrix:
        """Lexical similarity, kept only where other evidence can supply an anchor."""
        support = sp.csr_matrix(self.phrases.matrix() != 0)
        for other in others:
            support = support + sp.csr_matrix(other != 0)
        return sp.csr_matrix(self.lexical.multiply(support > 0))

    def suggest(self, settings: GapSettings) -> list[Gap]:
        """The top suggestions per source page, sorted by score desc, then source, then target."""
        linked = self._linked_pairs()
        scores = self.scores()
        gaps: list[Gap] = []
        for i, source in enumerate(self.ix.urls):
            if source in settings.exclude:
                continue
            row = scores.getrow(i)
            ranked = sorted(zip(row.indices, row.data, strict=True), key=lambda t: (-t[1], self.ix.urls[t[0]]))
            kept = 0
            for j, score in ranked:
                target = self.ix.urls[j]
                if kept >= settings.per_source or score < settings.min_score:
                    break
                if i == j or (source, target) in linked or target in settings.exclude or not self.targets[j]:
                    continue
                gap = self._explain(i, j, round(float(score), 3))
                if gap:
                    gaps.append(gap)
                    kept += 1
        return sorted(gaps, key=lambda g: (-g.score, g.source, g.target))

    def _linked_pairs(self) -> set[tuple[str, str]]:
        return {(a.url, lk.target) for a in self.pages for lk in a.links if lk.kind in COUNTED and lk.target}

    def _explain(self, i: int, j: int, score: float) -> Gap | None:
        """Anchor, sentence and reason from the strongest evidence that has a free spot in A."""
        source, target = self.ix.urls[i], self.ix.urls[j]
        options = [*self._phrase_option(i, j), *self._direct_options(i, j), *self._related_options(i, j)]
        for _, spot, reason, concept in sorted(options, key=lambda o: (-o[0], o[1].position)):
            return Gap(source, target, spot.anchor, spot.sentence, spot.section, score, reason, concept)
        return None

    def _phrase_option(self, i: int, j: int) -> list[tuple[float, Spot, str, str]]:
        found = self.phrases.best.get((i, j))
        if not found:
            return []
        weight, spot, kind = found
        title = self.pages[j].title
        reasons = {
            "title": f'uses the title of "{title}"',
            "alias": f'uses "{spot.anchor}", another name for "{title}"',
            "part": f'uses "{spot.anchor}", words from the title "{title}"',
            "anchor": f'says "{spot.anchor}", the words other pages use to link to "{title}"',
        }
        return [(PHRASE * weight, spot, reasons[kind], "")]

    def _direct_options(self, i: int, j: int) -> list[tuple[float, Spot, str, str]]:
        named = self.mentions.get(self.ix.urls[i], {})
        target = self.ix.urls[j]
        options = []
        for concept in self.extracted[target].about:
            if concept in named and (spot := self._concept_spot(i, concept, named[concept])):
                weight = DIRECT * self.concept.about[j, self.ix.col[concept]] if concept in self.ix.col else 0.0
                reason = f'names {self._label(concept)}, the topic of "{self.articles[target].title}"'
                options.append((weight, spot, reason, concept))
        return options

    def _related_options(self, i: int, j: int) -> list[tuple[float, Spot, str, str]]:
        named = self.mentions.get(self.ix.urls[i], {})
        about = self.extracted[self.ix.urls[j]].about
        options = []
        for r in self.relations:
            kind = r.predicate.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
            forward, backward = _PHRASES.get(kind, ("{o}, related to {s}", "{s}, related to {o}"))
            s, o = self._label(r.subject), self._label(r.object)
            if r.subject in about and r.object in named:
                mentioned, text = r.object, forward.format(s=s, o=o)
            elif r.object in about and r.subject in named:
                mentioned, text = r.subject, backward.format(s=s, o=o)
            else:
                continue
            spot = self._concept_spot(i, mentioned, named[mentioned])
            if spot:
                options.append((RELATED * 0.5, spot, f"mentions {text}", mentioned))
        return options

    def _concept_spot(self, i: int, concept: str, mention: Mention) -> Spot | None:
        """Where A names the concept: its own words first, then any label of the concept."""
        c = self.concepts.get(concept)
        labels = [mention.surface, *((c.label, *c.labels) if c else ())]
        return first_spot(self.paragraphs[i], dict.fromkeys(p for p in map(phrase, labels) if p))

    def _label(self, concept: str) -> str:
        c = self.concepts.get(concept)
        return c.label if c else concept


def _publishable(article: Article) -> bool:
    """Drafts, noindex pages and pages canonicalised elsewhere are never link targets."""
    return not (article.draft or article.noindex or article.canonical not in (None, article.url))
