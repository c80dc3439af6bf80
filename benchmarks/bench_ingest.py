"""Ingest throughput: read_sources + readers + resolve, beside reading and decoding the same bytes.

    python benchmarks/bench_ingest.py [--sizes 1000,10000] [--repeat 3]

Floor: walk the folder, read every article file and decode it as UTF-8; no parsing at all.
Also timed: each reader on its own format, and the pipeline's read stage (which adds hashing
and the incremental-build cache bookkeeping) so their costs show up apart.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import benchlib

from graph import pipeline
from graph.ingest.registry import is_article, read_file
from graph.ingest.resolve import resolve
from graph.ingest.source import SourceFile, read_sources
from graph.ingest.urls import Site
from graph.records import Article
from graph.settings import Settings


def floor(folder: Path) -> int:
    """Read and decode every article file; returns characters read."""
    chars = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and is_article(path.name):
            chars += len(path.read_bytes().decode("utf-8"))
    return chars


def ingest(folder: Path, settings: Settings) -> tuple[int, dict[str, float]]:
    """The ingest stage as the pipeline runs it, with seconds per part; returns resolved articles."""
    parts: dict[str, float] = defaultdict(float)
    clock = time.perf_counter()
    files = [i for i in read_sources(folder, settings.max_file_bytes) if isinstance(i, SourceFile)]
    parts["read_sources"] = time.perf_counter() - clock
    articles = []
    for item in files:
        start = time.perf_counter()
        articles += [a for a in read_file(item.path, item.text) if isinstance(a, Article)]
        parts["parse_" + Path(item.path).suffix.lstrip(".")] += time.perf_counter() - start
    clock = time.perf_counter()
    corpus = resolve(articles, Site(settings.site_url, settings.url_pattern), settings.redirects)
    parts["resolve"] = time.perf_counter() - clock
    return len(corpus.articles), dict(parts)


def pipeline_read(folder: Path, settings: Settings) -> int:
    """pipeline.read_articles (hashing and cache bookkeeping included) + resolve."""
    raw, _ = pipeline.read_articles(folder, settings, hashlib.sha256())
    return len(resolve(raw, Site(settings.site_url, settings.url_pattern), settings.redirects).articles)


def format_bytes(folder: Path) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for path in folder.rglob("*"):
        if path.is_file() and is_article(path.name) and not path.name.startswith("."):
            sizes[path.suffix.lstrip(".")] += path.stat().st_size
    return dict(sizes)


def measure(n: int, seed: int, repeat: int) -> dict[str, Any]:
    folder = benchlib.corpus(n, seed)
    settings = Settings.load(folder / "linkgraph.toml")
    files, size = benchlib.corpus_bytes(folder)
    floor(folder)  # warm the page cache so both sides read from memory
    load = benchlib.load_average()
    floor_t, _ = benchlib.best_of(lambda: floor(folder), repeat)
    ingest_t, (articles, parts) = benchlib.best_of(lambda: ingest(folder, settings), repeat)
    read_stage_t, _ = benchlib.best_of(lambda: pipeline_read(folder, settings), repeat)
    mb = size / 1e6
    by_format = format_bytes(folder)
    readers = {key[6:]: {"seconds": round(s, 3), "MBps": round(by_format.get(key[6:], 0) / 1e6 / s, 2)}
               for key, s in parts.items() if key.startswith("parse_") and s > 0}
    return {
        "articles": articles, "files": files, "MB": round(mb, 2), "load_average": load,
        "floor": {**floor_t.json(), "MBps": round(mb / floor_t.cpu, 1)},
        "ingest": {**ingest_t.json(), "MBps": round(mb / ingest_t.cpu, 2),
                   "articles_per_s": round(articles / ingest_t.cpu, 1),
                   "parts_wall_s": {k: round(v, 3) for k, v in parts.items()}, "readers": readers},
        "pipeline_read_stage": {**read_stage_t.json(), "MBps": round(mb / read_stage_t.cpu, 2)},
        "ratio_vs_floor": benchlib.ratio(floor_t, ingest_t),
        "peak_rss_MiB": benchlib.peak_rss_mib(),
    }


def main() -> None:
    args = benchlib.arguments(__doc__.splitlines()[0], [1000, 10000])
    runs = {}
    for n in args.sizes:
        benchlib.log(f"ingest: {n} articles")
        runs[str(n)] = measure(n, args.seed, args.repeat)
        r = runs[str(n)]
        benchlib.log(f"  ingest {r['ingest']['MBps']} MB/s ({r['ingest']['articles_per_s']} articles/s), "
                     f"floor {r['floor']['MBps']} MB/s, ratio {r['ratio_vs_floor']}")
    benchlib.write_result("ingest", runs, {
        "floor": "read + UTF-8 decode of the same files",
        "ratio": "floor CPU s / ingest CPU s (1.0 = as fast as the floor); MB/s on CPU time"})


if __name__ == "__main__":
    main()
