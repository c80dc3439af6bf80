"""Extraction throughput with the full vocabulary, beside a bare Aho-Corasick scan of the same labels.

    python benchmarks/bench_extract.py [--sizes 1000,10000] [--repeat 3]

Stage: `extract()` on every article with a Matcher of the vocabulary, then `drop_generic_about`;
compiling the Matcher is timed apart, as the floor's automaton is. The parsed articles are frozen
for the garbage collector first, as the build does after its read stage.
Floor: one pyahocorasick automaton of the vocabulary's labels (lower-cased, plus a plural 's'),
each title, heading and paragraph lower-cased and scanned, hits kept only on word boundaries.
Also timed: `Matcher.find` alone on the same texts (the matching part of the stage), and the
pipeline's extract stage (which adds the incremental-build cache keys).
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from typing import Any

import ahocorasick
import benchlib

from graph import pipeline
from graph.cache import BuildCache
from graph.extract import Matcher, drop_generic_about, extract
from graph.records import Article, Concept


def texts(articles: Iterable[Article]) -> list[str]:
    """Every string extraction reads: titles, headings and paragraphs."""
    out = []
    for a in articles:
        out.append(a.title)
        for s in a.sections:
            out += [s.heading, *s.paragraphs]
    return [t for t in out if t]


def floor_automaton(concepts: Iterable[Concept]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for c in concepts:
        for label in (c.label, *c.labels, *c.ambiguous, *c.abbreviations):
            for form in (label.lower(), label.lower() + "s"):
                if form not in automaton:
                    automaton.add_word(form, len(form))
    automaton.make_automaton()
    return automaton


def floor_scan(automaton: ahocorasick.Automaton, strings: Sequence[str]) -> int:
    """Word-boundary hits of the bare automaton over all strings."""
    hits = 0
    for text in strings:
        low = text.lower()
        for end, length in automaton.iter(low):
            start = end - length + 1
            if (start == 0 or not low[start - 1].isalnum()) and (end + 1 == len(low) or not low[end + 1].isalnum()):
                hits += 1
    return hits


def stage(articles: Sequence[Article], matcher: Matcher) -> int:
    """The extraction stage with a compiled matcher (compiling is timed apart, as the floor's is)."""
    found = drop_generic_about([extract(a, matcher) for a in articles])
    return sum(len(f.mentions) for f in found)


def find_only(matcher: Matcher, strings: Sequence[str]) -> int:
    return sum(len(matcher.find(t)) for t in strings)


def measure(n: int, seed: int, repeat: int) -> dict[str, Any]:
    prepared = benchlib.prepare(benchlib.corpus(n, seed))
    articles, concepts = prepared.corpus.articles, list(prepared.vocab.concepts.values())
    strings = texts(articles)
    gc.collect()
    gc.freeze()  # as the build does after reading (graph/collector.py): parsed articles are not rescanned
    mb = sum(len(t.encode()) for t in strings) / 1e6
    load = benchlib.load_average()
    compile_floor, automaton = benchlib.best_of(lambda: floor_automaton(concepts), repeat)
    floor_t, floor_hits = benchlib.best_of(lambda: floor_scan(automaton, strings), repeat)
    compile_t, matcher = benchlib.best_of(lambda: Matcher(concepts), repeat)
    find_t, find_hits = benchlib.best_of(lambda: find_only(matcher, strings), repeat)
    stage_t, mentions = benchlib.best_of(lambda: stage(articles, matcher), repeat)
    fingerprint = "bench"
    pipe_t, _ = benchlib.best_of(lambda: pipeline.extract_all(articles, prepared.vocab, fingerprint, BuildCache()),
                                 repeat)
    return {
        "articles": len(articles), "text_MB": round(mb, 2), "concepts": len(concepts), "load_average": load,
        "floor": {**floor_t.json(), "MBps": round(mb / floor_t.cpu, 2), "hits": floor_hits,
                  "compile": compile_floor.json()},
        "matcher_find": {**find_t.json(), "MBps": round(mb / find_t.cpu, 2), "hits": find_hits,
                         "compile": compile_t.json()},
        "extract": {**stage_t.json(), "MBps": round(mb / stage_t.cpu, 2), "mentions": mentions},
        "pipeline_extract_stage": {**pipe_t.json(), "MBps": round(mb / pipe_t.cpu, 2)},
        "ratio_vs_floor": benchlib.ratio(floor_t, stage_t),
        "find_ratio_vs_floor": benchlib.ratio(floor_t, find_t),
        "target": ">= 0.5",
        "peak_rss_MiB": benchlib.peak_rss_mib(),
    }


def main() -> None:
    args = benchlib.arguments(__doc__.splitlines()[0], [1000, 10000])
    runs = {}
    for n in args.sizes:
        benchlib.log(f"extract: {n} articles")
        r = runs[str(n)] = measure(n, args.seed, args.repeat)
        benchlib.log(f"  extract {r['extract']['MBps']} MB/s, Matcher.find {r['matcher_find']['MBps']} MB/s, "
                     f"floor {r['floor']['MBps']} MB/s, ratio {r['ratio_vs_floor']}")
    benchlib.write_result("extract", runs, {
        "floor": "bare pyahocorasick scan of the same labels, lower-cased, word-boundary filtered",
        "ratio": "floor CPU s / extract CPU s (target >= 0.5); compile times are listed apart"})


if __name__ == "__main__":
    main()
