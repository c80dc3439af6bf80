"""Link-gap suggestions: pages that should link but do not, each with anchor words, sentence and reason.

Four kinds of evidence, each a sparse source x target matrix (scipy); none is built by looping over
all pairs:

* phrase  -- A's text names B: its title, an alias, a large part of the title, or words other pages
  use when they link to B (weighted by how often those words are linked to B where they occur);
* direct  -- A names a vocabulary concept B is about;
* related -- A names concepts clinically related to B's topic (symptom, treatment, risk factor...);
* lexical -- TF-IDF cosine of the two pages' words, for the most similar of the pairs the others propose.

They combine as a noisy-or, ``1 - prod(1 - weight * evidence)``: one strong signal is enough and
agreeing signals add up. Lexical similarity only supports pairs another signal proposes, since it
cannot point at anchor words, so it is computed for those pairs alone: over all pairs it would be
quadratic, as nearly every two pages of a large site share some word. A suggestion needs an anchor in
A's running text, outside existing links and not negated. docs/analysis.md gives the formulas and the
measured quality.
"""

from __future__ import annotations

import math
import weakref
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, groupby
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from graph.analyse.lexical import PhraseIndex, phrase, product_top_k, similar_among, terms, tfidf
from graph.analyse.links import COUNTED, linked_pairs
from graph.analyse.spots import Paragraph, Spot, first_spot, lead_words, running_text, small_words
from graph.collector import gc_paused
from graph.records import Article, ArticleConcepts, Concept, Gap, Mention, Relation

#: Weight of each kind of evidence in the noisy-or.
PHRASE, DIRECT, RELATED, LEXICAL = 0.9, 0.7, 0.15, 0.3
#: Summed word IDF (0-1 each) at which a title counts as fully specific: 'Sciatica' is, 'Back Pain' is not.
RARE = 0.35
#: Normalised IDF at which a concept counts as fully specific (in the sample corpus: named by at most ~4 of 34).
CONCEPT_RARE = 0.7
#: Evidence one related concept gives; several add up to at most 1.
RELATED_EACH = 0.3
#: A part of a title must cover this share of its words, and counts this much before links confirm it.
MIN_COVERAGE, PART_PRIOR = 0.4, 0.3
#: Names weaker than this are not placed (they could add at most PHRASE * MIN_NAME to a score); concept
#: weights below MIN_WEIGHT are left out of the sparse products, which keeps them sparse.
MIN_NAME, MIN_WEIGHT = 0.05, 0.05
#: Of a source page's candidate targets, the most similar NEIGHBOURS get lexical evidence; words in more
#: than MAX_DF of pages are left out of similarity.
NEIGHBOURS, MAX_DF = 10, 0.5
#: Candidate targets kept per source page from each concept product.
CANDIDATES = 50

# (forward, backward) reasons: forward when A mentions the relation's object and B is about its subject.
_PHRASES = {
    "signOrSymptom": ("{o}, a symptom of {s}", "{s}, which can cause {o}"),
    "possibleTreatment": ("{o}, a treatment for {s}", "{s}, which {o} can treat"),
    "riskFactor": ("{o}, a risk factor for {s}", "{s}, for which {o} is a risk factor"),
    "drugClass": ("{o}, the class of {s}", "{s}, a {o}"),
    "adverseOutcome": ("{o}, a possible side effect of {s}", "{s}, which can cause {o}"),
    "broader": ("{o}, the wider topic of {s}", "{s}, a kind of {o}"),
}

Words = tuple[str, ...]
Option = tuple[float, str, str, Callable[[], "Spot | None"]]  # (weighted evidence, reason, concept, locate)


@dataclass(frozen=True)
class GapSettings:
    """Controls from config (see the settings table)."""

    per_source: int = 5
    min_score: float = 0.2
    exclude: frozenset[str] = frozenset()
    skip: frozenset[tuple[str, str]] = frozenset()  # (source, target) pairs already decided on


class Spread:
    """How many pages use each term, to tell specific words from everyday ones.

    >>> s = Spread([["a", "b"], ["a"], ["a"]])
    >>> s.idf("a"), s.idf("b"), s.idf("a", page=0)
    (0.0, 1.0, 0.0)
    >>> Spread([["sciatica"], ["sciatica", "leg"]]).idf("sciatica", page=0)  # only one other page
    1.0
    """

    def __init__(self, docs: Sequence[Iterable[str]]) -> None:
        # Distinct terms as tuples, not sets: an eighth of the memory (a set per page was the largest
        # object of a gap build), and a page is asked only about its own names, whose words come first.
        self.docs = [tuple(dict.fromkeys(d)) for d in docs]
        self.df: Counter[str] = Counter(chain.from_iterable(self.docs))
        self._known: dict[tuple[str, bool], float] = {}

    def idf(self, term: str, page: int | None = None) -> float:
        """0-1: 1 when one page has the term, 0 when every page does.

        With `page`, that page is left out: a page always uses its own title words and topic, so only the
        other pages say whether the words are everyday ones. Remembered per term: a large site asks
        hundreds of thousands of times about a few thousand terms.
        """
        key = (term, page is not None and term in self.docs[page])
        found = self._known.get(key)
        if found is None:
            found = self._known[key] = self._idf(*key)
        return found

    def _idf(self, term: str, own: bool) -> float:
        n, k = len(self.docs) - own, max(self.df.get(term, 0) - own, 0)
        if n <= 1:
            return 1.0
        return min(1.0, max(0.0, math.log((n + 1) / (k + 1)) / math.log((n + 1) / 2)))


def rarity(words_: Sequence[str], spread: Spread, page: int | None = None) -> float:
    """0-1: summed IDF of the words, saturating at RARE."""
    return min(1.0, sum(spread.idf(w, page) for w in words_) / RARE)


@dataclass(frozen=True, slots=True)
class _Name:
    """A phrase that may name a target page."""

    words: Words
    target: int
    kind: str  # "title", "alias", "part" (of the title) or "anchor" (how other pages link to it)
    prior: float
    lead: Words = ()
    small: frozenset[str] = frozenset()

    @classmethod
    def of(cls, text: str, target: int, kind: str, spread: Spread | None = None) -> _Name:
        """A whole title, alias or anchor text as a name; an anchor's weight comes from links alone."""
        words_ = phrase(text)
        prior = rarity(words_, spread, target) if spread and kind != "anchor" else 0.0
        return cls(words_, target, kind, prior, lead_words(text), small_words(text))


def _page_names(article: Article, j: int, spread: Spread) -> Iterable[_Name]:
    """Title, aliases and large parts of the title, each with its prior weight."""
    title = _Name.of(article.title, j, "title", spread)
    yield title
    for alias in article.aliases:
        yield _Name.of(alias, j, "alias", spread)
    size_all = len(title.words)
    for size in range(2, size_all):
        if size / size_all >= MIN_COVERAGE:
            for first in range(size_all - size + 1):
                part = title.words[first : first + size]
                prior = PART_PRIOR * size / size_all * rarity(part, spread, j)
                yield _Name(part, j, "part", prior, small=title.small)


def _anchor_names(pages: Sequence[Article], row: Mapping[str, int]) -> Iterable[_Name]:
    """The words each existing body or related link uses, as a name of its target (each pair once)."""
    seen: set[tuple[str, int]] = set()
    for article in pages:
        for link in article.links:
            j = row.get(link.target or "", -1)
            if link.kind in COUNTED and j >= 0 and link.target != article.url and (link.anchor, j) not in seen:
                seen.add((link.anchor, j))
                yield _Name.of(link.anchor, j, "anchor")


def phrase_names(pages: Sequence[Article], spread: Spread, targets: Sequence[bool]) -> dict[Words, list[_Name]]:
    """The names of each fit target page, by their words.

    Apart from PhraseEvidence so that `spread` (a word set per page, the largest object of the
    build) is freed before the text is scanned.
    """
    row = {a.url: i for i, a in enumerate(pages)}
    by_phrase: dict[Words, list[_Name]] = {}
    titles = (nm for j, a in enumerate(pages) for nm in _page_names(a, j, spread))
    for name in dict.fromkeys([*titles, *_anchor_names(pages, row)]):  # a repeated name adds nothing
        if name.words and targets[name.target]:
            by_phrase.setdefault(name.words, []).append(name)
    return by_phrase


#: Numbers a match outside links takes in PhraseEvidence's flat list: page, paragraph, word span, phrase.
_MATCH = 5


class _Placed(NamedTuple):
    """A name placed in a source page; the spot itself is found again when explained, as few pairs are."""

    weight: float
    para: Paragraph
    first: int
    end: int
    name: _Name

    def spot(self) -> Spot | None:
        """The anchor, sentence and section (found when placed, so never None here)."""
        return self.para.spot(self.first, self.end, self.name.lead, self.name.small)


class PhraseEvidence:
    """A's running text naming B. Weight = max(prior of the name, share of its occurrences linked to B).

    Two passes, each linear in the text: the first counts, per phrase, the pages using it and the pages
    where it already links to each target; the second places the names that carry weight. Only the
    placed names are kept: the counts and names, tens of MiB on a large site, go with the build. The
    matches between the passes are numbers in one flat array, a fifth of the memory of tuples.
    """

    def __init__(self, pages: Sequence[Article], paragraphs: Sequence[list[Paragraph]],
                 by_phrase: Mapping[Words, list[_Name]]) -> None:
        self.n = len(pages)
        counts = _PhraseCounts({a.url: i for i, a in enumerate(pages)})
        index = PhraseIndex((p, k) for k, p in enumerate(by_phrase))  # a phrase is known by its number
        free = array("I")
        for i, paras in enumerate(paragraphs):
            for k, para in enumerate(paras):
                counts.count(i, k, para, index, free)
        self.best = self._place(paragraphs, free, _strong_names(list(by_phrase.values()), counts))

    @staticmethod
    def _place(paragraphs: Sequence[list[Paragraph]], free: array[int],
               strong: Mapping[int, list[tuple[float, _Name]]]) -> dict[tuple[int, int], _Placed]:
        """Best placed name per pair; the earliest spot wins among equal weights."""
        best: dict[tuple[int, int], _Placed] = {}
        for source, k, first, end, phrase_ in zip(*(free[o::_MATCH] for o in range(_MATCH)), strict=True):
            para = paragraphs[source][k]
            spots: dict[tuple[Words, frozenset[str]], Spot | None] = {}
            for weight, name in strong.get(phrase_, ()):
                key = (source, name.target)
                if name.target == source or weight <= best.get(key, (0.0,))[0]:
                    continue
                look = (name.lead, name.small)
                if look not in spots:
                    spots[look] = para.spot(first, end, *look)
                if spots[look]:
                    best[key] = _Placed(weight, para, first, end, name)
        return best

    def matrix(self) -> sp.csr_matrix:
        """Source x target phrase evidence."""
        keys = sorted(self.best)
        vals = [self.best[k].weight for k in keys]
        return sp.csr_matrix((vals, ([i for i, _ in keys], [j for _, j in keys])), shape=(self.n, self.n))


class _PhraseCounts:
    """Per phrase (by number), the pages using it and, per target, the pages where it already links there."""

    def __init__(self, row: Mapping[str, int]) -> None:
        self.row = row
        self.occurs: defaultdict[int, set[int]] = defaultdict(set)
        self.linked: defaultdict[tuple[int, int], set[int]] = defaultdict(set)

    def count(self, source: int, k: int, para: Paragraph, index: PhraseIndex, free: array[int]) -> None:
        """Record where each phrase occurs and where it is linked already; add the occurrences outside links
        (paragraph k of page `source`) to `free`."""
        for first, end, found in _outermost(index.find(para.sequence())):
            target = self.row.get(para.linked_to(first, end) or "", -1)
            for phrase_ in found:
                assert isinstance(phrase_, int)
                self.occurs[phrase_].add(source)
                if target >= 0:
                    self.linked[phrase_, target].add(source)
                else:
                    free.extend((source, k, first, end, phrase_))

    def link_share(self, phrase_: int, name: _Name) -> float:
        """Of the other pages using these words, the share that link them to the target."""
        pages = self.occurs.get(phrase_, set())
        linked = self.linked.get((phrase_, name.target), set())
        return (len(linked) - (name.target in linked)) / max(len(pages) - (name.target in pages), 1)


def _strong_names(by_phrase: Sequence[list[_Name]], counts: _PhraseCounts) -> dict[int, list[tuple[float, _Name]]]:
    """Per phrase number, its names weighing at least MIN_NAME, heaviest first.

    A prior is shared between the pages whose titles offer the same words ('back pain' in many).
    """
    strong = {}
    for phrase_, names in enumerate(by_phrase):
        owners = len({nm.target for nm in names if nm.prior > 0}) or 1
        weighed = [(max(nm.prior / owners, counts.link_share(phrase_, nm)), nm) for nm in names]
        kept = sorted(((w, nm) for w, nm in weighed if w >= MIN_NAME), key=lambda t: (-t[0], t[1].target))
        if kept:
            strong[phrase_] = kept
    return strong


def _outermost(matches: list[tuple[int, int, tuple[object, ...]]]) -> list[tuple[int, int, tuple[object, ...]]]:
    """Drop matches inside a longer one: 'upper back pain' names one page, and its 'back pain' no other.

    `matches` come by end index (PhraseIndex.find) and no two share both ends, so a stable sort of the
    reversed list by start orders them by start, longest first, without a Python key function.
    """
    if len(matches) < 2:
        return matches
    kept: list[tuple[int, int, tuple[object, ...]]] = []
    reach = -1  # furthest end of a kept match; every kept match starts at or before the current one
    for first, end, values in sorted(reversed(matches), key=itemgetter(0)):
        if end > reach:
            kept.append((first, end, values))
            reach = end
    return kept


class ConceptEvidence:
    """Vocabulary evidence: A names B's topic, or concepts clinically related to it."""

    def __init__(self, urls: Sequence[str], mentions: Mapping[str, Mapping[str, Mention]],
                 extracted: Mapping[str, ArticleConcepts], relations: Sequence[Relation],
                 targets: Sequence[bool]) -> None:
        self.row = {u: i for i, u in enumerate(urls)}
        self.col = {c: j for j, c in enumerate(sorted({c for ms in mentions.values() for c in ms}
                                                      | {c for e in extracted.values() for c in e.about}))}
        spread = Spread([list(mentions.get(u, {})) for u in urls])  # only while weighing: a set per page
        self.named = self._matrix([(u, c, concept_rarity(spread, c)) for u, ms in mentions.items() for c in ms])
        self.about = self._matrix([t for t in self._about_weights(extracted, targets, spread) if t[2] >= MIN_WEIGHT])
        self.related = self._relations(relations)

    def _about_weights(self, extracted: Mapping[str, ArticleConcepts], targets: Sequence[bool],
                       spread: Spread) -> Iterable[tuple[str, str, float]]:
        """Each topic of B: its rarity, over the number of B's topics and of pages sharing the topic."""
        pages = [(u, e.about) for u, e in extracted.items() if u in self.row and targets[self.row[u]]]
        owners: dict[str, int] = {}
        for _, about in pages:
            for c in about:
                owners[c] = owners.get(c, 0) + 1
        for u, about in pages:
            for c in about:
                yield u, c, concept_rarity(spread, c, self.row[u]) / len(about) / owners[c]

    def _matrix(self, triples: Sequence[tuple[str, str, float]]) -> sp.csr_matrix:
        kept = [(self.row[u], self.col[c], v) for u, c, v in triples if u in self.row and c in self.col]
        return sp.csr_matrix(([v for *_, v in kept], ([r for r, *_ in kept], [c for _, c, _ in kept])),
                             shape=(len(self.row), len(self.col)), dtype=np.float64)

    def _relations(self, relations: Sequence[Relation]) -> sp.csr_matrix:
        """Symmetric concept x concept adjacency of the clinical relations."""
        pairs = {(self.col[r.subject], self.col[r.object]) for r in relations
                 if r.subject in self.col and r.object in self.col and r.subject != r.object}
        both = sorted(pairs | {(b, a) for a, b in pairs})
        n = len(self.col)
        return sp.csr_matrix((np.ones(len(both)), ([a for a, _ in both], [b for _, b in both])), shape=(n, n))

    def direct(self) -> sp.csr_matrix:
        """Source x target: A names B's topics; squared, so naming one of two topics counts a quarter."""
        binary = self.named.copy()
        binary.data[:] = 1.0
        return _clip(product_top_k(binary, [self.about.T], CANDIDATES)).power(2)

    def via_relations(self) -> sp.csr_matrix:
        """Source x target: A names concepts related to B's topics."""
        named = sp.csr_matrix(self.named.multiply(self.named >= MIN_WEIGHT))
        return _clip(RELATED_EACH * product_top_k(named, [self.related, self.about.T], CANDIDATES))

    def weight(self, target: str, concept: str) -> float:
        """How much naming `concept` says about page `target` (0 when it is not one of its topics)."""
        i, j = self.row.get(target), self.col.get(concept)
        return float(self.about[i, j]) if i is not None and j is not None else 0.0


def concept_rarity(spread: Spread, concept: str, page: int | None = None) -> float:
    """0-1: how much naming the concept says; 'back pain', named everywhere, says little."""
    return min(1.0, spread.idf(concept, page) / CONCEPT_RARE)


def _clip(matrix: sp.spmatrix) -> sp.csr_matrix:
    out = sp.csr_matrix(matrix)
    out.data = np.minimum(out.data, 1.0)
    out.eliminate_zeros()
    return out


def noisy_or(parts: Sequence[tuple[float, sp.csr_matrix]]) -> sp.csr_matrix:
    """1 - prod(1 - w * E) over sparse evidence matrices, on the union of their supports.

    >>> noisy_or([(0.5, sp.csr_matrix([[1.0, 0.0]])), (0.5, sp.csr_matrix([[1.0, 0.4]]))]).toarray().tolist()
    [[0.75, 0.2]]
    """
    total = sp.csr_matrix(parts[0][1].shape)
    for weight, evidence in parts:
        logs = sp.csr_matrix(evidence, dtype=np.float64, copy=True)
        logs.data = np.log1p(-np.minimum(weight * logs.data, 0.999999))
        total = total + logs
    total = sp.csr_matrix(total)
    total.data = -np.expm1(total.data)
    total.eliminate_zeros()
    return total


class _Explainer:
    """Turns a scored pair into a Gap: anchor words and sentence in A, and a reason a person can check."""

    def __init__(self, finder: GapFinder, relations: Sequence[Relation]) -> None:
        # A weak proxy: the finder holds the explainer, and a strong reference back would make a cycle that
        # only the collector frees - never, once the pipeline has frozen it with the finder's matrices.
        self.f: GapFinder = weakref.proxy(finder)
        self.by_concept: dict[str, list[Relation]] = {}
        for r in relations:
            self.by_concept.setdefault(r.subject, []).append(r)
            if r.object != r.subject:
                self.by_concept.setdefault(r.object, []).append(r)
        self.spots: dict[tuple[int, str], Spot | None] = {}
        self.label_phrases: dict[str, list[Words]] = {}

    def gap(self, i: int, j: int, score: float) -> Gap | None:
        """The gap from the strongest evidence that has a free spot in A (earliest spot among equals)."""
        options = sorted([*self._phrase(i, j), *self._direct(i, j), *self._related(i, j)], key=lambda o: -o[0])
        for _, group in groupby(options, key=lambda o: o[0]):
            placed = [(spot, reason, concept) for _, reason, concept, locate in group if (spot := locate())]
            if placed:
                spot, reason, concept = min(placed, key=lambda p: (p[0].position, p[1]))
                return Gap(self.f.urls[i], self.f.urls[j], spot.anchor, spot.sentence, spot.section, score, reason,
                           concept)
        return None

    def _phrase(self, i: int, j: int) -> list[Option]:
        placed = self.f.phrases.best.get((i, j))
        spot = placed.spot() if placed else None
        if not placed or not spot:
            return []
        weight, kind = placed.weight, placed.name.kind
        title = self.f.pages[j].title
        reasons = {
            "title": f'uses the page title "{title}"',
            "alias": f'says "{spot.anchor}", another name for "{title}"',
            "part": f'says "{spot.anchor}", words from the title "{title}"',
            "anchor": f'says "{spot.anchor}", the words other pages use to link to "{title}"',
        }
        return [(PHRASE * weight, reasons[kind], "", lambda: spot)]

    def _direct(self, i: int, j: int) -> list[Option]:
        named, target = self.f.mentions.get(self.f.urls[i], {}), self.f.urls[j]
        options: list[Option] = []
        for concept in self.f.topics(target):
            if concept in named:
                reason = f'names {self._label(concept)}, the topic of "{self.f.pages[j].title}"'
                weight = DIRECT * self.f.concept.weight(target, concept) ** 2
                options.append((weight, reason, concept, partial(self._spot, i, concept, named[concept])))
        return options

    def _related(self, i: int, j: int) -> list[Option]:
        named = self.f.mentions.get(self.f.urls[i], {})
        options: list[Option] = []
        for topic in self.f.topics(self.f.urls[j]):
            for r in self.by_concept.get(topic, ()):
                mentioned = r.object if r.subject == topic else r.subject  # the other end from B's topic
                if mentioned in named:
                    locate = partial(self._spot, i, mentioned, named[mentioned])
                    options.append((RELATED * RELATED_EACH, f"mentions {self._relation_text(r, topic)}", mentioned,
                                    locate))
        return options

    def _relation_text(self, r: Relation, topic: str) -> str:
        """The relation in words, read from the end that is not B's topic (only for relations A names)."""
        kind = r.predicate.rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        forward, backward = _PHRASES.get(kind, ("{o}, related to {s}", "{s}, related to {o}"))
        s, o = self._label(r.subject), self._label(r.object)
        return forward.format(s=s, o=o) if r.subject == topic else backward.format(s=s, o=o)

    def _spot(self, i: int, concept: str, mention: Mention) -> Spot | None:
        """Where A names the concept: the words extraction found, else any other label of it (cached)."""
        if (i, concept) not in self.spots:
            phrases = dict.fromkeys([*_label_phrases([mention.surface]), *self._labels(concept)])
            self.spots[i, concept] = first_spot(self.f.paragraphs[i], phrases)
        return self.spots[i, concept]

    def _labels(self, concept: str) -> list[Words]:
        """The concept's labels as phrases (computed once per concept)."""
        if concept not in self.label_phrases:
            c = self.f.concepts.get(concept)
            self.label_phrases[concept] = list(_label_phrases((c.label, *c.labels) if c else ()))
        return self.label_phrases[concept]

    def _label(self, concept: str) -> str:
        c = self.f.concepts.get(concept)
        return c.label if c else concept


class GapFinder:
    """Scores link gaps for one corpus; build once, then `suggest()`."""

    def __init__(self, articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts],
                 concepts: Mapping[str, Concept], relations: Sequence[Relation]) -> None:
        self.pages = list(articles)
        self.urls = [a.url for a in self.pages]
        self.index = {u: i for i, u in enumerate(self.urls)}
        self.extracted = extracted
        self.concepts = concepts
        self.targets = [publishable(a) for a in self.pages]
        self._scores: sp.csr_matrix | None = None
        with gc_paused():
            self.linked = linked_pairs(self.pages)
            self.paragraphs = [running_text(a) for a in self.pages]
            self.mentions = {u: {m.concept: m for m in e.mentions if not m.negated and m.sentence}
                             for u, e in extracted.items()}
            docs = [[*terms(a.title), *chain.from_iterable(p.terms for p in ps)]
                    for a, ps in zip(self.pages, self.paragraphs, strict=True)]
            self.vectors = tfidf(docs, max_df=MAX_DF)
            names = phrase_names(self.pages, Spread(docs), self.targets)
            del docs  # the word lists and sets go before the text scan, which makes the build's peak
            self.phrases = PhraseEvidence(self.pages, self.paragraphs, names)
            del names
            self.concept = ConceptEvidence(self.urls, self.mentions, extracted, relations, self.targets)
            self.explainer = _Explainer(self, relations)

    def topics(self, url: str) -> tuple[str, ...]:
        """The concepts page `url` is about (none when extraction has no record of it)."""
        found = self.extracted.get(url)
        return found.about if found else ()

    def scores(self) -> sp.csr_matrix:
        """Source x target combined score of every candidate pair (sparse; computed once)."""
        if self._scores is None:
            named, direct, related = self.phrases.matrix(), self.concept.direct(), self.concept.via_relations()
            lexical = similar_among(self.vectors, named + direct + related, NEIGHBOURS)
            self._scores = noisy_or([(PHRASE, named), (DIRECT, direct), (RELATED, related), (LEXICAL, lexical)])
        return self._scores

    def candidates(self) -> set[tuple[str, str]]:
        """(source, target) of every pair with some evidence, suggestable or not."""
        coo = self.scores().tocoo()
        return {(self.urls[i], self.urls[j]) for i, j in zip(coo.row, coo.col, strict=True)}

    def suggest(self, settings: GapSettings) -> list[Gap]:
        """The top suggestions per source page, sorted by score desc, then source, then target."""
        gaps: list[Gap] = []
        with gc_paused():
            for i, source in enumerate(self.urls):
                if source not in settings.exclude:
                    gaps.extend(self._explained(self._from(i, settings), settings.per_source))
        return sorted(gaps, key=lambda g: (-g.score, g.source, g.target))

    def gaps_from(self, url: str, settings: GapSettings) -> list[Gap]:
        """The suggestions in page `url`, best first (what `suggest` lists for it)."""
        i = self.index[url]
        return [] if url in settings.exclude else list(self._explained(self._from(i, settings), settings.per_source))

    def gaps_to(self, url: str, settings: GapSettings) -> list[Gap]:
        """The best `per_source` pages that should link to page `url`, best first."""
        j = self.index[url]
        column = sp.csc_matrix(self.scores()[:, j])
        ranked = self._ranked(column.indices, column.data)
        allowed = [(i, j, s) for i, s in ranked if self._allowed(i, j, s, settings)]
        return list(self._explained(allowed, settings.per_source))

    def explain(self, source: str, target: str) -> Gap | None:
        """The anchor, sentence and reason for one pair, whatever its score (None: no evidence or no spot)."""
        i, j = self.index.get(source), self.index.get(target)
        if i is None or j is None or i == j:
            return None
        return self.explainer.gap(i, j, round(float(self.scores()[i, j]), 3))

    def _from(self, i: int, settings: GapSettings) -> list[tuple[int, int, float]]:
        """Candidate targets of source i that pass the settings, best first.

        Scores well below the minimum are dropped before rounding and sorting (most candidates are).
        """
        scores = self.scores()
        span = slice(scores.indptr[i], scores.indptr[i + 1])
        pages, values = scores.indices[span], scores.data[span]
        near = values >= settings.min_score - 0.001  # rounding to 3 places moves a score by at most 0.0005
        ranked = self._ranked(pages[near].tolist(), values[near].tolist())
        return [(i, j, s) for j, s in ranked if self._allowed(i, j, s, settings)]

    def _ranked(self, pages: Sequence[int], values: Sequence[float]) -> list[tuple[int, float]]:
        """(page, rounded score), best first; ties by URL."""
        return sorted(((k, round(float(s), 3)) for k, s in zip(pages, values, strict=True)),
                      key=lambda t: (-t[1], self.urls[t[0]]))

    def _allowed(self, i: int, j: int, score: float, settings: GapSettings) -> bool:
        """A pair may be suggested: good enough, a fit target, not linked, excluded or decided already."""
        pair = (self.urls[i], self.urls[j])
        return (score >= settings.min_score and self.targets[j] and i != j and pair not in self.linked
                and pair[0] not in settings.exclude and pair[1] not in settings.exclude and pair not in settings.skip)

    def _explained(self, ranked: Iterable[tuple[int, int, float]], limit: int) -> Iterable[Gap]:
        """Explain candidates best first until `limit` have an anchor."""
        kept = 0
        for i, j, score in ranked:
            if kept >= limit:
                return
            gap = self.explainer.gap(i, j, score)
            if gap:
                kept += 1
                yield gap




def _label_phrases(labels: Iterable[str]) -> Iterable[Words]:
    """Normalised labels, skipping those that shrink to one word once small words go ("can't sleep")."""
    for label in labels:
        p = phrase(label)
        if p and (len(p) > 1 or len(label.split()) == 1):
            yield p


def publishable(article: Article) -> bool:
    """Drafts, noindex pages and pages canonicalised elsewhere are never link targets."""
    return not (article.draft or article.noindex or article.canonical not in (None, article.url))
