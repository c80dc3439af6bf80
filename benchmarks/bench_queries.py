"""Every shipped named query (graph/queries/*.rq) timed on builds of generated corpora.

    python benchmarks/bench_queries.py [--sizes 10000] [--repeat 5] [--build 100000=PATH] [--rebuild]
                                       [--timeout 30] [--queries NAME,...] [--out-dir DIR]

For each size a build is needed: `--build N=PATH` names an existing one (a 100k build made
separately, say); otherwise the generated corpus of N articles is built once in a child process into
benchmarks/corpora/build-nN-sS/ (git-ignored) and reused while the corpus is unchanged (`--rebuild`
forces a new build, e.g. after the model changed).

Each query first runs once through `run_named_query` (guard, concept binding and a worker process
that is stopped after `--timeout` s, as `linkgraph query --name`): that shows what the command line
adds, and keeps a runaway query from hanging the benchmark, since pyoxigraph cannot stop a query in
this process. Then it runs in this process on the store opened read-only, through the same
evaluation the workers use (graph.workers.evaluate, every row read, no row cap): the engine time an
editorial tool gets. One warm-up, then `--repeat` timed runs; the median and the best count (a query
over 2 s gets one run). Parameters are bound to demanding real values picked from the build (the
page with the most link suggestions, the concept most pages are about, the most-mentioned concept).
Target from the issue: every named query <= 50 ms at 10k.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import benchlib
import pyoxigraph as ox

from graph import store
from graph.errors import QueryTimeout
from graph.query import (
    PREFIXES,
    NamedQuery,
    QueryForm,
    QueryParam,
    WorkerPool,
    fill_slots,
    list_queries,
    run_named_query,
)
from graph.workers import Job, evaluate

TARGET_MS = 50.0
SLOW_MS = 2000.0  # a query slower than this on the command line is timed once, without a warm-up
BUILD_MARKER = ".bench-build.json"
LG, SCHEMA = PREFIXES["lg"], PREFIXES["schema"]
ALL_ROWS = 10**9  # the engine figure reads the whole answer; the command line cuts at max_rows


# --------------------------------------------------------------------------- builds


def build_dir(n: int, seed: int) -> Path:
    return benchlib.CORPORA / f"build-n{n}-s{seed}"


def _marker(out: Path) -> Path:
    """Beside OUT, not inside it: the build swaps OUT in whole."""
    return out.with_name(out.name + BUILD_MARKER)


def cached_build(n: int, seed: int, rebuild: bool) -> Path:
    """The build of the generated corpus of N articles, made in a child process when missing or stale."""
    source = benchlib.corpus(n, seed)
    out = build_dir(n, seed)
    key = json.loads((source / benchlib.MARKER).read_text())
    marker = _marker(out)
    if not rebuild and marker.is_file() and json.loads(marker.read_text()).get("corpus") == key \
            and (out / store.STORE_DIR).is_dir():
        return out
    marker.unlink(missing_ok=True)
    benchlib.log(f"  building {n} articles into {out.relative_to(benchlib.ROOT)} (a few minutes at 10k)")
    clock = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child-build", str(source), str(out)], check=True)
    seconds = round(time.perf_counter() - clock, 1)
    marker.write_text(json.dumps({"corpus": key, "build_s": seconds, "git": benchlib.machine()["git"]}))
    benchlib.log(f"  built in {seconds} s")
    return out


def child_build(source: Path, out: Path) -> None:
    """The build itself, in its own process so its memory is gone before the queries are timed."""
    from graph.pipeline import build
    from graph.settings import Settings

    build(source, out, Settings.load(source / "linkgraph.toml"))


def given_builds(pairs: Sequence[str]) -> dict[int, Path]:
    """`N=PATH` arguments as {N: PATH}."""
    builds = {}
    for pair in pairs:
        size, sep, path = pair.partition("=")
        if not sep or not size.strip().isdigit():
            raise SystemExit(f"--build wants N=PATH, not {pair!r}")
        builds[int(size)] = Path(path).expanduser().resolve()
    return builds


# --------------------------------------------------------------------------- parameters


def _first(db: ox.Store, text: str) -> ox.NamedNode | None:
    """The first IRI in the answer of a helper query (not timed)."""
    for row in db.query(text, prefixes=PREFIXES, use_default_graph_as_union=True):  # type: ignore[union-attr]
        term = row[0]
        if isinstance(term, ox.NamedNode):
            return term
    return None


def _busiest(pattern: str, var: str = "x") -> str:
    """The ?x that occurs in the most matches of `pattern`, ties broken by IRI so runs agree."""
    return f"SELECT ?{var} (COUNT(*) AS ?n) WHERE {{ {pattern} }} GROUP BY ?{var} ORDER BY DESC(?n) ?{var} LIMIT 1"


#: Picks for the parameters of the shipped queries: demanding but real values.
PICKS = {
    ("gaps-from-page", "page"): _busiest("?g a lg:LinkSuggestion ; lg:source ?x"),
    ("gaps-to-page", "page"): _busiest("?g a lg:LinkSuggestion ; lg:target ?x"),
    ("pages-about-concept", "concept"): _busiest("?p a schema:MedicalWebPage ; schema:about ?x"),
    ("where-to-link-new-page", "concept"): _busiest("?p a schema:MedicalWebPage ; schema:mentions ?x"),
}
#: Fallbacks by type, for queries added later: the page with the most links, the most-mentioned concept.
BY_TYPE = {
    "iri": _busiest("?l a lg:Link ; lg:source ?x"),
    "concept": _busiest("?p schema:mentions ?x"),
}


def pick(db: ox.Store, query: str, param: QueryParam) -> ox.NamedNode | None:
    """A value for one parameter; None leaves an optional one unbound (dates default to today)."""
    helper = PICKS.get((query, param.name)) or BY_TYPE.get(param.type)
    if helper is None:
        if param.optional:
            return None
        raise SystemExit(f"{query}: no way to pick a value for parameter {param.name} ({param.type})")
    return _first(db, helper)


def bindings(db: ox.Store, query: NamedQuery) -> dict[str, ox.NamedNode]:
    picked = {p.name: pick(db, query.name, p) for p in query.params}
    return {name: term for name, term in picked.items() if term is not None}


# --------------------------------------------------------------------------- timing


@dataclass(frozen=True)
class Timed:
    """Wall milliseconds of the timed runs of one query, its rows, and the best CPU milliseconds."""

    runs_ms: tuple[float, ...]
    cpu_ms: float
    rows: int

    def json(self) -> dict[str, Any]:
        median, best = statistics.median(self.runs_ms), min(self.runs_ms)
        return {"rows": self.rows, "median_ms": round(median, 1), "best_ms": round(best, 1),
                "best_cpu_ms": round(self.cpu_ms, 1), "runs_ms": [round(t, 1) for t in self.runs_ms],
                "within_target": median <= TARGET_MS}


def job(query: NamedQuery, bound: dict[str, ox.NamedNode]) -> Job:
    """The job a worker would get for this query: union default graph, shipped prefixes."""
    text, rest = fill_slots(query.text, bound)  # as run_named_query does
    return Job(text=text, form=QueryForm.SELECT, max_rows=ALL_ROWS, union=True, default_graphs=None,
               named_graphs=None, prefixes=tuple(PREFIXES.items()), substitutions=tuple(rest.items()))


def time_runs(run: Callable[[], int], repeat: int, warm_up: bool = True) -> Timed:
    """An optional warm-up (page cache, allocator), then `repeat` timed runs."""
    rows = run() if warm_up else 0
    walls, cpus = [], []
    for _ in range(max(repeat, 1)):
        w, c = time.perf_counter(), time.process_time()
        rows = run()
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    return Timed(tuple(walls), min(cpus), rows)


@dataclass(frozen=True)
class Options:
    """How one build is measured."""

    repeat: int = 5
    timeout: float = 30.0  # a query the command-line run stops after this many seconds is not run in-process
    pool: WorkerPool | None = None  # None: a fresh worker per query, as `linkgraph query --name` has
    only: frozenset[str] = frozenset()  # query names to measure; empty: all


def command_line(out: Path, query: NamedQuery, bound: dict[str, ox.NamedNode], opts: Options) -> dict[str, Any]:
    """One run as `linkgraph query --name` makes it (guard, binding, worker, row cap), under a timeout.

    It runs first: pyoxigraph cannot stop a query in this process, the worker can be killed.
    """
    params = {name: term.value for name, term in bound.items()}
    clock = time.perf_counter()
    try:
        result = run_named_query(out / store.STORE_DIR, query.name, params, timeout=opts.timeout,
                                 max_rows=10_000, pool=opts.pool)
    except QueryTimeout:
        return {"ms": round(opts.timeout * 1000), "timed_out": True}
    return {"ms": round((time.perf_counter() - clock) * 1000, 1), "rows": len(result.rows),
            "truncated": result.truncated}


def measure_query(db: ox.Store, out: Path, query: NamedQuery, bound: dict[str, ox.NamedNode],
                  opts: Options) -> dict[str, Any]:
    """Engine figures after the command-line run; a query over SLOW_MS gets one run, a timed-out one none."""
    cli = command_line(out, query, bound, opts)
    if cli.get("timed_out"):
        return {"rows": None, "median_ms": cli["ms"], "best_ms": cli["ms"], "timed_out": True,
                "within_target": False, "command_line": cli}
    fast = cli["ms"] < SLOW_MS
    the_job = job(query, bound)
    timed = time_runs(lambda: len(evaluate(db, the_job).rows), opts.repeat if fast else 1, warm_up=fast)
    return {**timed.json(), "command_line": cli}


def measure_build(out: Path, opts: Options) -> dict[str, Any]:
    """Every named query on one build: engine times, rows, bound parameters, and the command-line run."""
    db = store.open_read_only(out)
    load = benchlib.load_average()
    queries: dict[str, Any] = {}
    params: dict[str, dict[str, str]] = {}
    for query in list_queries():
        if opts.only and query.name not in opts.only:
            continue
        bound = bindings(db, query)
        params[query.name] = {k: v.value for k, v in bound.items()}
        benchlib.log(f"  {query.name} {params[query.name] or ''}")
        queries[query.name] = measure_query(db, out, query, bound, opts)
    slow = sorted((q for q, r in queries.items() if not r["within_target"]), key=lambda q: -queries[q]["median_ms"])
    return {"build": str(out), "articles": _count_pages(db), "quads": len(db), "repeat": opts.repeat,
            "timeout_s": opts.timeout, "load_average": load, "load_average_after": benchlib.load_average(),
            "params": params, "queries": queries, "over_target": slow, "all_within_target": not slow}


def _count_pages(db: ox.Store) -> int:
    text = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:MedicalWebPage }"
    results = db.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
    assert isinstance(results, ox.QuerySolutions)
    return int(next(iter(results))[0].value)


# --------------------------------------------------------------------------- report


def table(run: dict[str, Any]) -> str:
    """Markdown: one row per query, with the command-line run beside the engine figures when there is one."""
    lines = [f"{run['articles']} articles, {run['quads']} quads, load average {run['load_average']} -> "
             f"{run['load_average_after']} (2-core machine), {run['repeat']} runs after a warm-up", "",
             "| query | rows | median ms | best ms | <= 50 ms | CLI ms (1 run) |", "|---|---|---|---|---|---|"]
    for name, r in run["queries"].items():
        cli = r["command_line"]["ms"]
        if r.get("timed_out"):
            lines.append(f"| {name} | ? | > {cli} | > {cli} | no | > {cli} (stopped) |")
            continue
        lines.append(f"| {name} | {r['rows']} | {r['median_ms']} | {r['best_ms']} | "
                     f"{'yes' if r['within_target'] else 'no'} | {cli} |")
    return "\n".join(lines)


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--build", action="append", default=[], metavar="N=PATH",
                            help="use the existing build at PATH for size N (repeatable)")
        parser.add_argument("--rebuild", action="store_true", help="rebuild the cached generated builds")
        parser.add_argument("--timeout", type=float, default=30.0,
                            help="seconds before a query's command-line run is stopped and the query skipped")
        parser.add_argument("--queries", default="", help="comma-separated query names to measure (default all)")
        parser.add_argument("--out-dir", type=Path, help="write queries.json here instead of benchmarks/results/")
        parser.add_argument("--child-build", nargs=2, metavar=("SOURCE", "OUT"), help=argparse.SUPPRESS)

        parser.set_defaults(repeat=5)

    return benchlib.arguments(__doc__.splitlines()[0], [10000], argv, extra)


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(argv)
    if args.child_build:
        child_build(Path(args.child_build[0]), Path(args.child_build[1]))
        return
    given = given_builds(args.build)
    runs = {}
    for n in args.sizes:
        benchlib.log(f"queries: {n} articles")
        out = given.get(n) or cached_build(n, args.seed, args.rebuild)
        only = frozenset(q for q in args.queries.split(",") if q)
        runs[str(n)] = measure_build(out, Options(args.repeat, args.timeout, only=only))
        print(f"\n### {n} articles\n\n{table(runs[str(n)])}\n")
    write(runs, args.out_dir)


def write(runs: dict[str, Any], out_dir: Path | None) -> Path:
    """benchmarks/results/queries.json, or the same file in OUT_DIR (runs of other sizes are kept)."""
    extra = {"target": f"every named query <= {TARGET_MS:g} ms (median engine time) at 10k articles",
             "method": "graph.workers.evaluate in-process on store.open_read_only, all rows read; "
                       "command_line = one run_named_query call (fresh worker process, max_rows 10000)"}
    if out_dir is None or out_dir.resolve() == benchlib.RESULTS:
        return benchlib.write_result("queries", runs, extra)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "queries.json"
    old = json.loads(path.read_text()).get("runs", {}) if path.is_file() else {}
    info = benchlib.machine()
    stamped = {n: {**r, "measured": info["date"], "git": info["git"]} for n, r in runs.items()}
    merged = dict(sorted({**old, **stamped}.items(), key=lambda kv: int(kv[0])))
    path.write_text(json.dumps({"benchmark": "queries", "machine": info, **extra, "runs": merged}, indent=2) + "\n")
    benchlib.log(f"  wrote {path}")
    return path


if __name__ == "__main__":
    main()
