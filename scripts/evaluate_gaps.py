"""Measure link-gap suggestions against links we hid and the hand-made gold list.

For each seed, a random share of the corpus's internal body links is hidden: the Link records are
dropped from their source article while the anchor words stay in its text. Extraction and gap
analysis run again, and we ask whether the suggestions bring the hidden links back. The same is done,
side by side, for a plain TF-IDF cosine baseline. Nothing is written except the results JSON.

    /work/venv/bin/python scripts/evaluate_gaps.py            # 5 seeds, table + benchmarks/results/gap-eval.json
    /work/venv/bin/python scripts/evaluate_gaps.py --seeds 1 --out -
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from graph.analyse.gaps import GapFinder, GapSettings  # noqa: E402
from graph.analyse.lexical import STOPWORDS, similar, tfidf, words  # noqa: E402
from graph.analyse.links import COUNTED  # noqa: E402
from graph.analyse.spots import running_text  # noqa: E402
from graph.extract import Matcher, drop_generic_about, extract  # noqa: E402
from graph.ingest.resolve import resolve  # noqa: E402
from graph.ingest.sentences import clean, sentence_at  # noqa: E402
from graph.ingest.urls import Site  # noqa: E402
from graph.pipeline import read_articles  # noqa: E402
from graph.records import Article, Gap, LinkKind, LinkStatus  # noqa: E402
from graph.settings import Settings  # noqa: E402
from graph.vocab import Vocabulary, load  # noqa: E402

SAMPLE = ROOT / "data" / "articles"
GOLD_DOC = ROOT / "docs" / "sample-corpus.md"
RESULTS = ROOT / "benchmarks" / "results" / "gap-eval.json"
SEEDS = (0, 1, 2, 3, 4)
HIDE_SHARE = 0.2
K_PRECISION, K_RECALL = 5, 10
Pair = tuple[str, str]
Ranked = dict[str, list[Gap]]  # source URL -> its suggestions, best first


@dataclass(frozen=True)
class Corpus:
    """The sample corpus read and resolved once, plus what extraction needs."""

    articles: tuple[Article, ...]
    vocab: Vocabulary
    matcher: Matcher
    gold: frozenset[Pair]


def load_corpus(source: Path = SAMPLE, gold_doc: Path = GOLD_DOC) -> Corpus:
    """Read, resolve and prepare the corpus the way `pipeline.build` does, without writing output."""
    settings = Settings.load(source / "linkgraph.toml")
    raw, _ = read_articles(source, settings, hashlib.sha256())
    articles = resolve(raw, Site(settings.site_url, settings.url_pattern)).articles
    vocab = load([(settings.config_dir or source) / p for p in settings.vocabulary])
    slugs = {a.slug: a.url for a in articles}
    gold = frozenset((slugs[s], slugs[t]) for s, t in parse_gold(gold_doc.read_text(encoding="utf-8")))
    return Corpus(articles, vocab, Matcher(vocab.concepts.values()), gold)


def parse_gold(markdown: str) -> list[tuple[str, str]]:
    """(source slug, target slug) rows of the table under 'Gold list' in docs/sample-corpus.md."""
    section = markdown.split("## Gold list", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].isdigit():
            rows.append((cells[1], cells[2]))
    return rows


def _publishable(article: Article) -> bool:
    return not (article.draft or article.noindex or article.canonical not in (None, article.url))


def hideable(articles: Sequence[Article]) -> list[Pair]:
    """Distinct (source, target) pairs joined by an internal body link a tool could fairly suggest again.

    Pairs also joined by a related link are left out (hiding the body link would not unlink them), and
    so are links to drafts, noindex and canonicalised pages, which suggestions must never target.
    """
    by_url = {a.url: a for a in articles}
    body: set[Pair] = set()
    other: set[Pair] = set()
    for a in articles:
        for lk in a.links:
            if lk.target in by_url and lk.target != a.url and lk.kind in COUNTED:
                ok = lk.kind == LinkKind.BODY and lk.status == LinkStatus.OK and _publishable(by_url[lk.target])
                (body if ok else other).add((a.url, lk.target))
    return sorted(body - other)


def hide(articles: Sequence[Article], pairs: set[Pair]) -> list[Article]:
    """Copies with every body Link record of the hidden pairs dropped; the text is left as it was."""
    return [replace(a, links=tuple(lk for lk in a.links
                                   if not (lk.kind == LinkKind.BODY and (a.url, lk.target) in pairs)))
            for a in articles]


def sample_hidden(articles: Sequence[Article], seed: int, share: float = HIDE_SHARE) -> set[Pair]:
    """A fixed-seed random share of the hideable pairs."""
    pool = hideable(articles)
    return set(random.Random(seed).sample(pool, round(share * len(pool))))


def linkgraph_ranked(articles: Sequence[Article], corpus: Corpus, k: int = K_RECALL) -> Ranked:
    """GapFinder's top-k per source with the default score threshold."""
    extracted = {e.url: e for e in drop_generic_about([extract(a, corpus.matcher) for a in articles])}
    finder = GapFinder(articles, extracted, corpus.vocab.concepts, corpus.vocab.relations)
    ranked: Ranked = {}
    for gap in finder.suggest(GapSettings(per_source=k)):
        ranked.setdefault(gap.source, []).append(gap)
    for gaps in ranked.values():
        gaps.sort(key=lambda g: (-g.score, g.target))
    return ranked


def _linked(articles: Sequence[Article]) -> set[Pair]:
    return {(a.url, lk.target) for a in articles for lk in a.links if lk.kind in COUNTED and lk.target}


def tfidf_ranked(articles: Sequence[Article], k: int = K_RECALL) -> Ranked:
    """Baseline: the k most similar unlinked publishable pages by TF-IDF cosine of title + text."""
    docs = [[w for w, *_ in words(a.title + "\n" + a.text)] for a in articles]
    sims = similar(tfidf(docs), len(articles))
    linked = _linked(articles)
    ranked: Ranked = {}
    for i, a in enumerate(articles):
        row = sims.getrow(i)
        order = sorted(zip(row.indices, row.data, strict=True), key=lambda t: (-t[1], articles[t[0]].url))
        targets = [(articles[j], float(s)) for j, s in order
                   if (a.url, articles[j].url) not in linked and _publishable(articles[j])][:k]
        ranked[a.url] = [_baseline_gap(a, b, s) for b, s in targets]
    return ranked


_WORDS = re.compile(r"[A-Za-z0-9]+(?:[-'][A-Za-z0-9]+)*")


def _baseline_gap(source: Article, target: Article, score: float) -> Gap:
    """The baseline's anchor: the longest run of the target title's content words in one source sentence."""
    title = {w for w, *_ in words(target.title)}
    best = ("", "", "")
    for para in running_text(source):
        run: list[tuple[int, int]] = []
        for w, start, end in [*words(para.text), ("", len(para.text), len(para.text))]:
            if w in title and (not run or _adjacent(para.text[run[-1][1] : start])):
                run.append((start, end))
                continue
            if run and run[-1][1] - run[0][0] > len(best[0]):
                anchor = para.text[run[0][0] : run[-1][1]]
                best = (anchor, sentence_at(para.text, run[0][0]), para.section)
            run = [(start, end)] if w in title else []
    return Gap(source.url, target.url, best[0], best[1], best[2], round(score, 3), "similar wording")


def _adjacent(between: str) -> bool:
    return all(t.lower() in STOPWORDS for t in _WORDS.findall(between)) and not re.search(r"[.!?;:]", between)


@dataclass
class Scores:
    """One method's figures on one seed."""

    recall_at_5: float
    recall_at_10: float
    precision_at_5: float
    gold_recall_at_5: float
    anchor_in_text: float
    no_anchor: float
    suggestions_at_5: int


def score(ranked: Ranked, articles: Sequence[Article], hidden: set[Pair], gold: frozenset[Pair]) -> Scores:
    """Recall of hidden links in top-5/top-10, precision of top-5 (hidden + gold correct), anchor checks."""
    top = {s: gaps[:K_PRECISION] for s, gaps in ranked.items()}
    wide = {s: gaps[:K_RECALL] for s, gaps in ranked.items()}

    def recall(lists: Mapping[str, list[Gap]], wanted: Sequence[Pair] | frozenset[Pair]) -> float:
        found = {(g.source, g.target) for gs in lists.values() for g in gs}
        return sum(p in found for p in wanted) / max(len(wanted), 1)

    shown = [g for gs in top.values() for g in gs]
    correct = sum((g.source, g.target) in hidden or (g.source, g.target) in gold for g in shown)
    every = [g for gs in wide.values() for g in gs]
    texts = {a.url: clean(" ".join(p for s in a.sections for p in s.paragraphs)) for a in articles}
    return Scores(
        recall_at_5=recall(top, sorted(hidden)), recall_at_10=recall(wide, sorted(hidden)),
        precision_at_5=correct / max(len(shown), 1), gold_recall_at_5=recall(top, gold),
        anchor_in_text=sum(_anchor_ok(g, texts[g.source]) for g in every) / max(len(every), 1),
        no_anchor=sum(not g.anchor for g in every) / max(len(every), 1), suggestions_at_5=len(shown),
    )


def _anchor_ok(gap: Gap, text: str) -> bool:
    return bool(gap.anchor) and gap.anchor in gap.sentence and gap.sentence in text


Method = Callable[[Sequence[Article], Corpus], Ranked]
METHODS: dict[str, Method] = {"linkgraph": linkgraph_ranked, "tfidf": lambda arts, _: tfidf_ranked(arts)}


def evaluate(corpus: Corpus, seeds: Sequence[int] = SEEDS, share: float = HIDE_SHARE) -> dict[str, Any]:
    """Every method on every seed, and the mean of each figure per method (JSON-ready)."""
    per_seed: list[dict[str, Any]] = []
    for seed in seeds:
        hidden = sample_hidden(corpus.articles, seed, share)
        articles = hide(corpus.articles, hidden)
        row: dict[str, Any] = {"seed": seed, "hidden": len(hidden)}
        for name, method in METHODS.items():
            row[name] = asdict(score(method(articles, corpus), articles, hidden, corpus.gold))
        per_seed.append(row)
    means = {name: _mean([r[name] for r in per_seed]) for name in METHODS}
    return {"seeds": list(seeds), "hide_share": share, "hideable": len(hideable(corpus.articles)),
            "gold": len(corpus.gold), "mean": means, "per_seed": per_seed}


def _mean(rows: Sequence[Mapping[str, float]]) -> dict[str, float]:
    return {k: round(float(np.mean([r[k] for r in rows])), 3) for k in rows[0]}


def table(result: Mapping[str, Any]) -> str:
    """The mean figures, one row per measure, one column per method."""
    means: Mapping[str, Mapping[str, float]] = result["mean"]
    names = list(means)
    lines = [f"{'measure':<20}" + "".join(f"{n:>12}" for n in names)]
    for key in means[names[0]]:
        lines.append(f"{key:<20}" + "".join(f"{means[n][key]:>12.3f}" for n in names))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the evaluation, print the table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=len(SEEDS), help="number of seeds (0, 1, ...)")
    parser.add_argument("--share", type=float, default=HIDE_SHARE, help="share of body links hidden")
    parser.add_argument("--out", default=str(RESULTS), help="results JSON path, or - for none")
    args = parser.parse_args(argv)
    result = evaluate(load_corpus(), range(args.seeds), args.share)
    print(f"{len(result['seeds'])} seeds, {result['hideable']} hideable body links, "
          f"{args.share:.0%} hidden per seed, {result['gold']} gold links")
    print(table(result))
    if args.out != "-":
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
