"""Graph writing and querying: the model + store stages beside pyoxigraph's own bulk loader, and
the embedded pyoxigraph store beside a plain rdflib Dataset.

    python benchmarks/bench_store.py [--sizes 1000,10000] [--repeat 3] [--rdflib-up-to 10000]

Part 1, graph writing. Stage: records -> quads (`pipeline._quads`, as the build calls it) streamed
into `store.create` (bulk_extend into an on-disk store; no list of quads is ever held). Floor:
`Store.bulk_load` of the same quads from an N-Quads file written beforehand (not timed). Also the
resident memory the stage adds. Link suggestions are left out of the input (the
gap finder is benchmarked on its own and is slow); they are a few per cent of the quads.

Part 2, querying. Load the same N-Quads into an on-disk pyoxigraph store and into an
rdflib Dataset (default graph = union), then run the same five SPARQL queries on each.
"""

from __future__ import annotations

import gc
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import benchlib
import psutil
import pyoxigraph as ox
from rdflib import Dataset

from graph import pipeline, store
from graph.analyse.content import content_gaps
from graph.analyse.findings import editorial_findings
from graph.analyse.links import analyse_links

QUERIES = {
    "orphans": """PREFIX lg: <https://w3id.org/linkgraph/ns#> PREFIX schema: <http://schema.org/>
        SELECT ?page ?title WHERE { ?page lg:isOrphan true ; schema:name ?title } ORDER BY ?page""",
    "top_link_score": """PREFIX lg: <https://w3id.org/linkgraph/ns#>
        SELECT ?page ?score WHERE { ?page lg:linkScore ?score } ORDER BY DESC(?score) ?page LIMIT 20""",
    "pages_per_topic": """PREFIX schema: <http://schema.org/>
        SELECT ?c (COUNT(?page) AS ?n) WHERE { ?page a schema:MedicalWebPage ; schema:about ?c }
        GROUP BY ?c ORDER BY DESC(?n) ?c LIMIT 20""",
    "broken_per_page": """PREFIX lg: <https://w3id.org/linkgraph/ns#>
        SELECT ?page (COUNT(?l) AS ?n) WHERE { ?page lg:link ?l . ?l lg:status "broken" }
        GROUP BY ?page ORDER BY DESC(?n) ?page LIMIT 20""",
    "mentions_without_link": """PREFIX schema: <http://schema.org/> PREFIX lgc: <https://w3id.org/linkgraph/concept/>
        SELECT ?a (COUNT(?b) AS ?n) WHERE { VALUES ?c { lgc:sciatica lgc:migraine lgc:ibuprofen }
        ?a schema:mentions ?c . ?b schema:about ?c . FILTER(?a != ?b)
        FILTER NOT EXISTS { ?a schema:significantLink ?b } } GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 50""",
}


def inputs(prepared: benchlib.Prepared) -> tuple[Any, ...]:
    """Everything `pipeline._quads` needs, computed once (not timed)."""
    from graph.cache import BuildCache

    extracted = pipeline.extract_all(prepared.corpus.articles, prepared.vocab, "bench", BuildCache())
    links = analyse_links(prepared.corpus.articles, extracted, prepared.vocab.concepts, prepared.site.host,
                          [prepared.site.url])
    cgaps = content_gaps(list(extracted.values()), prepared.vocab.concepts, prepared.settings.content_gap_min_articles)
    findings = editorial_findings(prepared.corpus.articles, extracted, prepared.vocab, links)
    return prepared.corpus, extracted, prepared.vocab, prepared.site, links, [], cgaps, findings


def fresh(tmp: Path, name: str) -> Path:
    path = tmp / name
    shutil.rmtree(path, ignore_errors=True)
    return path


class Counted:
    """An iterable of quads that counts what passed through it."""

    def __init__(self, quads: Iterable[ox.Quad]) -> None:
        self.quads, self.count = quads, 0

    def __iter__(self) -> Iterator[ox.Quad]:
        for quad in self.quads:
            self.count += 1
            yield quad


def write_stage(args: tuple[Any, ...], tmp: Path) -> int:
    """What the build does: quads streamed from the records straight into `store.create`."""
    quads = Counted(pipeline._quads(*args))
    db = store.create(fresh(tmp, "stage"), quads)
    del db
    return quads.count


def model_only(args: tuple[Any, ...]) -> int:
    """The records -> quads half of the stage, consumed without being kept."""
    return sum(1 for _ in pipeline._quads(*args))


def floor_load(nquads: Path, tmp: Path) -> None:
    db = ox.Store(str(fresh(tmp, "floor")))
    db.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    db.flush()
    del db


def rss_growth(fn: Callable[[], object]) -> float:
    """Resident memory (MiB) `fn` adds over the process's current level (sampled every 20 ms)."""
    gc.collect()
    base = psutil.Process().memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], psutil.Process().memory_info().rss)

    watcher = threading.Thread(target=sample)
    watcher.start()
    try:
        fn()
    finally:
        done.set()
        watcher.join()
    return (peak[0] - base) / 2**20


def writing(args: tuple[Any, ...], tmp: Path, repeat: int) -> tuple[dict[str, Any], Path]:
    nquads = tmp / "floor.nq"
    ox.serialize(pipeline._quads(*args), str(nquads), ox.RdfFormat.N_QUADS)
    floor_t, _ = benchlib.best_of(lambda: floor_load(nquads, tmp), repeat)
    stage_t, count = benchlib.best_of(lambda: write_stage(args, tmp), repeat)
    quads_t, _ = benchlib.best_of(lambda: model_only(args), repeat)
    grown = rss_growth(lambda: write_stage(args, tmp))
    result = {
        "quads": count, "nquads_MB": round(nquads.stat().st_size / 1e6, 1),
        "stage_rss_growth_MiB": round(grown, 1),
        "floor_bulk_load": {**floor_t.json(), "quads_per_s": round(count / floor_t.cpu)},
        "stage": {**stage_t.json(), "quads_per_s": round(count / stage_t.cpu)},
        "parts": {"model_quads": quads_t.json()},
        "ratio_vs_floor": benchlib.ratio(floor_t, stage_t),
        "ratio_vs_floor_wall": round(floor_t.wall / stage_t.wall, 3),
        "target": ">= 0.7",
    }
    return result, nquads


def _oxigraph(nquads: Path, tmp: Path) -> ox.Store:
    """A new on-disk store per call: the previous one is still open while the next loads."""
    db = ox.Store(tempfile.mkdtemp(prefix="query-", dir=tmp))
    db.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return db


def _rdflib(nquads: Path) -> Dataset:
    ds = Dataset(default_union=True)
    ds.parse(str(nquads), format="nquads")
    return ds


def _ox_query(db: ox.Store, q: str) -> int:
    return len(list(db.query(q, use_default_graph_as_union=True)))  # type: ignore[arg-type]


def _rdflib_query(ds: Dataset, q: str) -> int:
    return len(list(ds.query(q)))


def querying(nquads: Path, tmp: Path, repeat: int, with_rdflib: bool) -> dict[str, Any]:
    ox_load, db = benchlib.best_of(lambda: _oxigraph(nquads, tmp), repeat)
    result: dict[str, Any] = {"oxigraph": {"load": ox_load.json(), "queries": {}}}
    runners: list[tuple[str, Callable[[str], int]]] = [("oxigraph", lambda q: _ox_query(db, q))]
    if with_rdflib:
        rd_load, ds = benchlib.best_of(lambda: _rdflib(nquads), 1)
        result["rdflib"] = {"load": rd_load.json(), "queries": {}}
        result["rdflib_load_slowdown"] = benchlib.slowdown(ox_load, rd_load)
        runners.append(("rdflib", lambda q: _rdflib_query(ds, q)))
    for name, q in QUERIES.items():
        for engine, run in runners:
            t, rows = benchlib.best_of(lambda run=run, q=q: run(q), repeat)  # type: ignore[misc]
            result[engine]["queries"][name] = {**t.json(), "rows": rows}
        if with_rdflib:
            ox_t, rd_t = (result[e]["queries"][name] for e in ("oxigraph", "rdflib"))
            result.setdefault("rdflib_query_slowdown", {})[name] = round(rd_t["cpu_s"] / max(ox_t["cpu_s"], 1e-6), 1)
    return result


def measure(n: int, seed: int, repeat: int, rdflib_up_to: int) -> dict[str, Any]:
    prepared = benchlib.prepare(benchlib.corpus(n, seed))
    args = inputs(prepared)
    load = benchlib.load_average()
    tmp = Path(tempfile.mkdtemp(prefix="bench-store-"))
    try:
        write, nquads = writing(args, tmp, repeat)
        query = querying(nquads, tmp, repeat, n <= rdflib_up_to)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"articles": len(prepared.corpus.articles), "load_average": load, "writing": write, "querying": query,
            "peak_rss_MiB": benchlib.peak_rss_mib()}


def main() -> None:
    args = benchlib.arguments(__doc__.splitlines()[0], [1000, 10000], extra=lambda p: p.add_argument(
        "--rdflib-up-to", type=int, default=1000, help="largest size also loaded into rdflib (default %(default)s)"))
    runs = {}
    for n in args.sizes:
        benchlib.log(f"store: {n} articles")
        r = runs[str(n)] = measure(n, args.seed, args.repeat, args.rdflib_up_to)
        w = r["writing"]
        benchlib.log(f"  writing {w['stage']['quads_per_s']} quads/s, floor {w['floor_bulk_load']['quads_per_s']} "
                     f"quads/s, ratio {w['ratio_vs_floor']}; rdflib load slowdown "
                     f"{r['querying'].get('rdflib_load_slowdown')}")
    benchlib.write_result("store", runs, {
        "floor": "pyoxigraph Store.bulk_load of the same quads pre-serialised as N-Quads",
        "ratio": "writing: floor CPU s / stage CPU s (target >= 0.7); querying: rdflib CPU s / oxigraph CPU s",
        "queries": {k: " ".join(v.split()) for k, v in QUERIES.items()}})


if __name__ == "__main__":
    main()
