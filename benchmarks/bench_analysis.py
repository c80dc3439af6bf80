"""Analysis time: analyse_links + GapFinder beside the bare networkx algorithms on a plain edge list.

    python benchmarks/bench_analysis.py [--sizes 1000,10000,100000] [--repeat 3] [--profile]

Stage: `analyse_links` (link graph, PageRank, HITS, click depth, Louvain clusters, per-page
metrics), `GapFinder(...).suggest` and `content_gaps`, each timed on its own. The gap finder
(build + suggest) is also reported on its own beside the floor, with the resident memory it adds
(sampled). Preparing a corpus (generate, read, extract) is not timed; at 100k it takes ~15-20 min.
Floor: a networkx DiGraph built from a prepared list of (source, target) pairs, then pagerank,
hits, BFS depth from the start page and louvain_communities (same seed) - the same algorithms with
no records around them. The slowdown is stage CPU time / floor CPU time (target <= 1.5).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import benchlib
import networkx as nx
import psutil

from graph import pipeline
from graph.analyse.content import content_gaps
from graph.analyse.gaps import GapFinder, GapSettings
from graph.analyse.links import analyse_links
from graph.cache import BuildCache
from graph.records import Article, LinkKind, LinkStatus

COUNTED = (LinkKind.BODY, LinkKind.RELATED)
REACHES = (LinkStatus.OK, LinkStatus.REDIRECT)
R = TypeVar("R")


def edge_list(articles: Sequence[Article]) -> tuple[list[str], list[tuple[str, str]]]:
    """Pages and the distinct page-to-page links analysis counts (prepared outside the timing)."""
    urls = [a.url for a in articles]
    known = set(urls)
    edges = {(a.url, lk.target) for a in articles for lk in a.links
             if lk.kind in COUNTED and lk.status in REACHES and lk.target in known and lk.target != a.url}
    return urls, sorted(edges)


def floor(urls: list[str], edges: list[tuple[str, str]], start: str) -> int:
    graph = nx.DiGraph()
    graph.add_nodes_from(urls)
    graph.add_edges_from(edges)
    nx.pagerank(graph, alpha=0.85)
    with contextlib.suppress(nx.PowerIterationFailedConvergence):
        nx.hits(graph, max_iter=500, normalized=True)
    depth = nx.single_source_shortest_path_length(graph, start)
    communities = nx.community.louvain_communities(graph.to_undirected(), seed=42)
    return len(depth) + len(communities)


class RssPeak:
    """Highest resident memory seen while a block runs (sampled every 50 ms), over the level before it."""

    def __init__(self) -> None:
        gc.collect()
        self.base = self.peak = psutil.Process().memory_info().rss
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, psutil.Process().memory_info().rss)

    def __enter__(self) -> RssPeak:
        self._watcher.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._watcher.join()

    def json(self) -> dict[str, float]:
        return {"rss_before_MiB": round(self.base / 2**20, 1), "rss_peak_MiB": round(self.peak / 2**20, 1),
                "rss_added_MiB": round((self.peak - self.base) / 2**20, 1)}


def timed_once(fn: Callable[[], R]) -> tuple[benchlib.Timing, R]:
    """One timed run (the gap finder is too slow at 100k to repeat)."""
    return benchlib.best_of(fn, 1)


def measure(n: int, seed: int, repeat: int, profile: bool) -> dict[str, Any]:
    prep = benchlib.prepare(benchlib.corpus(n, seed))
    articles, vocab, site, settings = prep.corpus.articles, prep.vocab, prep.site, prep.settings
    extracted = pipeline.extract_all(articles, vocab, "bench", BuildCache())
    starts = pipeline._start_urls(site, settings)
    urls, edges = edge_list(articles)
    load = benchlib.load_average()
    floor_t, _ = benchlib.best_of(lambda: floor(urls, edges, starts[0]), repeat)
    links_t, links = benchlib.best_of(
        lambda: analyse_links(articles, extracted, vocab.concepts, site.host, starts), repeat)
    with RssPeak() as memory:
        finder_t, finder = timed_once(lambda: GapFinder(articles, extracted, vocab.concepts, vocab.relations))
        gap_settings = GapSettings(settings.gaps_per_source, settings.gap_min_score)
        suggest_t, gaps = timed_once(lambda: finder.suggest(gap_settings))
    content_t, _ = benchlib.best_of(
        lambda: content_gaps(list(extracted.values()), vocab.concepts, settings.content_gap_min_articles), repeat)
    gaps_t = add(finder_t, suggest_t)
    total = add(add(links_t, gaps_t), content_t)
    result: dict[str, Any] = {
        "articles": len(articles), "edges": len(edges), "gaps": len(gaps), "load_average": load,
        "floor_networkx": floor_t.json(),
        "analyse_links": {**links_t.json(), "slowdown_vs_floor": benchlib.slowdown(floor_t, links_t)},
        "gap_finder_init": finder_t.json(), "gap_suggest": suggest_t.json(),
        "gap_finder": {**gaps_t.json(), "slowdown_vs_floor": benchlib.slowdown(floor_t, gaps_t), **memory.json()},
        "content_gaps": content_t.json(),
        "total": total.json(),
        "slowdown_vs_floor": benchlib.slowdown(floor_t, total),
        "target": "<= 1.5",
        "clusters": len(links.clusters),
        "peak_rss_MiB": benchlib.peak_rss_mib(),
    }
    if profile:
        _, result["profile_gap_finder"] = benchlib.profiled(
            lambda: GapFinder(articles, extracted, vocab.concepts, vocab.relations).suggest(gap_settings))
    return result


def add(a: benchlib.Timing, b: benchlib.Timing) -> benchlib.Timing:
    return benchlib.Timing(a.wall + b.wall, a.cpu + b.cpu)


def main() -> None:
    args = benchlib.arguments(__doc__.splitlines()[0], [1000, 10000], extra=lambda p: p.add_argument(
        "--profile", action="store_true", help="also profile the gap finder (cProfile) into the result"))
    runs = {}
    for n in args.sizes:
        benchlib.log(f"analysis: {n} articles")
        r = runs[str(n)] = measure(n, args.seed, args.repeat, args.profile)
        benchlib.log(f"  floor {r['floor_networkx']['cpu_s']} s, analyse_links {r['analyse_links']['cpu_s']} s, "
                     f"gaps {r['gap_finder']['cpu_s']} s (CPU, {r['gap_finder']['rss_added_MiB']} MiB added); "
                     f"slowdown {r['slowdown_vs_floor']}")
    benchlib.write_result("analysis", runs, {
        "floor": "networkx pagerank + hits + BFS + louvain on a DiGraph built from a plain edge list",
        "ratio": "slowdown = stage CPU s / floor CPU s (target <= 1.5); total = links + gap finder + content gaps",
        "peak_rss_MiB": "process peak, corpus preparation included; gap_finder.rss_* is the gap finder's own"})


if __name__ == "__main__":
    main()
