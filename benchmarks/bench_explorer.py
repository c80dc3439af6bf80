"""Explorer benchmark: time until the page is interactive in headless Chromium, and its size.

Synthetic sites of 1k, 2k and 10k pages (100k with --large) are made directly as ExplorerView records,
without the pipeline: topic clusters whose pages link mostly inside their topic, a few links
across topics, navigation links to a hub, concepts, mentions and suggested links. Time to
interactive is from navigation start to `window.linkgraphReady === true`, the median of --runs
page loads; for a big site's cluster overview, opening its biggest cluster is timed too. Writing
is timed twice: first with an empty layout cache, then again reusing the layouts the first write
kept (what an incremental rebuild of an unchanged site does). Results go to benchmarks/results/explorer.json.

    python benchmarks/bench_explorer.py [--large] [--runs 3] [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchlib import load_average, write_result

from graph.records import (
    Article,
    ArticleConcepts,
    Concept,
    ConceptType,
    Gap,
    Link,
    LinkKind,
    LinkStatus,
    Mention,
    PageMetrics,
)
from graph.render.explorer import data_folder, write_explorer
from graph.render.layout import LayoutCache
from graph.render.view import ExplorerView

CHROMIUM = "/usr/bin/chromium"
SITE = "https://bench.example"
TARGET_SECONDS = 3.0
TYPES = list(ConceptType)


def synthetic_view(pages: int, seed: int = 1, topic_size: int = 250) -> ExplorerView:
    """A site of `pages` articles in topics of about `topic_size` pages, made in a second or so."""
    rng = random.Random(seed)
    topics = max(1, pages // topic_size)
    topic_of = [i % topics for i in range(pages)]
    members: list[list[int]] = [[] for _ in range(topics)]
    for i, t in enumerate(topic_of):
        members[t].append(i)
    concepts = _concepts(topics * 4)
    iris = list(concepts)
    articles, metrics, extracted, gaps = [], {}, [], []
    for i in range(pages):
        t = topic_of[i]
        targets = {rng.choice(members[t]) for _ in range(4)} | ({rng.randrange(pages)} if rng.random() < 0.3 else set())
        links = [_link(j, LinkKind.BODY) for j in sorted(targets - {i})] + [_link(members[t][0], LinkKind.NAV)]
        articles.append(Article(f"p{i}.md", f"p{i}", f"Topic {t} article {i}", "md", url=_url(i), links=tuple(links)))
        metrics[_url(i)] = PageMetrics(_url(i), inlinks=len(targets), outlinks=len(targets),
                                       link_score=round(rng.uniform(0, 100), 2), depth=rng.choice([1, 2, 3, 4, None]),
                                       cluster=f"{SITE}/cluster/{t}", orphan=rng.random() < 0.03)
        about = (iris[4 * t],)
        mentions = tuple(Mention(iris[4 * t + k], rng.randint(1, 5), "term", "", "") for k in (1, 2, 3))
        extracted.append(ArticleConcepts(_url(i), about, mentions))
        if rng.random() < 0.2:
            j = rng.choice(members[t])
            if j != i:
                gaps.append(Gap(_url(i), _url(j), "a term", "A sentence with a term.", "", 0.5, "same topic"))
    clusters = {f"{SITE}/cluster/{t}": concepts[iris[4 * t]].label for t in range(topics)}
    return ExplorerView(SITE + "/", articles, metrics, concepts, extracted, gaps, clusters=clusters)


def _url(i: int) -> str:
    return f"{SITE}/articles/{i}/"


def _link(j: int, kind: LinkKind) -> Link:
    return Link(href=f"/articles/{j}/", anchor="see", kind=kind, target=_url(j), status=LinkStatus.OK)


def _concepts(n: int) -> dict[str, Concept]:
    iris = [f"https://w3id.org/linkgraph/concept/c{k}" for k in range(n)]
    return {iri: Concept(iri, f"concept {k}", TYPES[k % len(TYPES)]) for k, iri in enumerate(iris)}


OPEN_CLUSTER = """async () => {
    const started = performance.now();
    await window.linkgraph.openCluster(0);
    return (performance.now() - started) / 1000;
}"""


def measure(html: Path, runs: int) -> tuple[list[float], list[float]]:
    """Seconds from navigation start until window.linkgraphReady, once per fresh page; and in
    overview mode, seconds to load and show the biggest cluster after that."""
    from playwright.sync_api import sync_playwright

    ready, opened = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(html.as_uri(), wait_until="commit")
            page.wait_for_function("() => window.linkgraphReady === true", timeout=120_000, polling=20)
            ready.append(page.evaluate("performance.now()") / 1000)
            if page.evaluate("window.linkgraph.mode()") == "overview":
                opened.append(page.evaluate(OPEN_CLUSTER))
            page.close()
        browser.close()
    return ready, opened


def bench(pages: int, runs: int, folder: Path) -> dict[str, Any]:
    """Build one synthetic view, write its explorer, and time it in the browser."""
    started = time.perf_counter()
    view = synthetic_view(pages)
    made = time.perf_counter()
    target = folder / f"explorer-{pages}.html"
    layouts = LayoutCache()
    write_explorer(target, view, layouts)
    written = time.perf_counter()
    layouts.save(folder)
    cached = time.perf_counter()
    write_explorer(target, view, LayoutCache(folder))
    rewritten = time.perf_counter()
    files = list(data_folder(target).glob("*.js"))
    times, opened = measure(target, runs)
    return {
        "pages": pages,
        "mode": "overview" if files else "full",
        "html_bytes": target.stat().st_size,
        "data_files": len(files),
        "data_bytes": sum(f.stat().st_size for f in files),
        "largest_data_file_bytes": max((f.stat().st_size for f in files), default=0),
        "make_view_seconds": round(made - started, 2),
        "write_seconds": round(written - made, 2),
        "rewrite_cached_layouts_seconds": round(rewritten - cached, 2),
        "tti_seconds": [round(t, 3) for t in times],
        "tti_median_seconds": round(statistics.median(times), 3),
        "open_cluster_median_seconds": round(statistics.median(opened), 3) if opened else None,
        "within_target": statistics.median(times) <= TARGET_SECONDS,
        "load_average": load_average(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", action="store_true", help="also run 100k pages")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1000,2000,10000", help="comma-separated page counts")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([100_000] if args.large else [])
    with tempfile.TemporaryDirectory() as tmp:
        results = [bench(n, args.runs, Path(tmp)) for n in sizes]
    for row in results:
        opened = row["open_cluster_median_seconds"]
        print(f"{row['pages']:>7} pages  {row['mode']:<8}  html {row['html_bytes'] / 1e6:6.2f} MB  "
              f"write {row['write_seconds']:6.2f} s  tti {row['tti_median_seconds']:.2f} s"
              + (f"  open cluster {opened:.2f} s" if opened is not None else ""))
    write_result("explorer", {str(row["pages"]): row for row in results},
                 {"target_seconds": TARGET_SECONDS,
                  "measures": "tti: navigation start to window.linkgraphReady in headless Chromium (median); "
                              "html_bytes: the explorer page; data_bytes: its sibling cluster files"})
    return 0 if all(r["within_target"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
