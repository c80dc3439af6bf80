"""SPARQL endpoint throughput: `linkgraph serve` beside Oxigraph's own server, same data, same run.

    python benchmarks/bench_endpoint.py [--articles 0] [--duration 8] [--rounds 2]

Both servers get the graph of one build (the sample corpus by default, or a generated corpus of
--articles N): ours serves OUT/store; Oxigraph loads OUT/graph.trig and serves it read-only with
the union default graph, so both answer the same queries with the same rows (checked first).
Load: 8 concurrent keep-alive clients on 127.0.0.1 (Debian's wrk if installed, else an asyncio
httpx client), each query run twice on our side: answer cache on (the default) and off. Also
timed: one query in a fresh worker process (the spawn every query paid before the pool) and in a
warm pooled worker. The servers take turns, --rounds times, and each keeps its best round, so a
burst of load from elsewhere on the machine hurts one round rather than one server.
Results: benchmarks/results/endpoint.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import benchlib
import httpx

from graph.pipeline import build
from graph.query import PREFIXES, WorkerPool, list_queries, run_query
from graph.settings import Settings

CLIENTS = 8
SIMPLE = "SELECT ?page ?title WHERE { ?page a schema:MedicalWebPage ; schema:name ?title } ORDER BY ?page LIMIT 10"
ACCEPT = "application/sparql-results+json"
SAMPLE = benchlib.ROOT / "data" / "articles"
# No request cap here: wrk's thread:stop() would not shorten the duration it divides by.
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, '
    .. '"errors": %d, "status_errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, e.connect + e.read + e.write + e.timeout + e.status, e.status))
end
"""


# --------------------------------------------------------------------------- data and queries


def make_build(articles: int, folder: Path) -> Path:
    """Build the sample corpus (0) or a generated one into folder/out."""
    source = SAMPLE if articles == 0 else benchlib.corpus(articles)
    config = source / "linkgraph.toml"
    settings = Settings.load(config) if config.is_file() else Settings()
    return build(source, folder / "out", settings.with_overrides(trig=True)).out  # Oxigraph server loads graph.trig


def with_prefixes(text: str) -> str:
    """The query with our predeclared prefixes written out, for a server that has none."""
    declared = set(re.findall(r"PREFIX\s+([A-Za-z][\w-]*)?:", text, flags=re.I))
    head = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items() if p not in declared)
    return head + text


def heaviest_named_query(store: Path) -> tuple[str, str, float]:
    """(name, text, median ms) of the slowest parameterless named query on this build."""
    timings = []
    with WorkerPool(store, size=1) as pool:
        for query in list_queries():
            if query.params:
                continue
            times = []
            for _ in range(5):
                clock = time.perf_counter()
                run_query(store, query.text, timeout=60.0, max_rows=100_000, pool=pool)
                times.append((time.perf_counter() - clock) * 1000)
            timings.append((statistics.median(times), query.name, query.text))
    ms, name, text = max(timings)
    return name, text, round(ms, 2)


def spawn_cost(store: Path, repeat: int = 8) -> dict[str, float]:
    """Median ms of SIMPLE in a fresh worker process and in a warm pooled one."""
    def timed(pool: WorkerPool | None) -> float:
        clock = time.perf_counter()
        run_query(store, SIMPLE, timeout=60.0, max_rows=1000, pool=pool)
        return (time.perf_counter() - clock) * 1000

    one_shot = statistics.median(timed(None) for _ in range(repeat))
    with WorkerPool(store, size=1) as pool:
        timed(pool)
        warm = statistics.median(timed(pool) for _ in range(repeat * 10))
    return {"fresh_process_ms": round(one_shot, 2), "warm_worker_ms": round(warm, 3),
            "speedup": round(one_shot / warm, 1)}


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {url}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not start: {url}")


def start_linkgraph(out: Path, cache: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, __file__, "serve", str(out), str(port), str(cache)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_ready(base + "/health", process)
    return process, base + "/sparql"


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise SystemExit("needs Oxigraph's server: pip install oxigraph")
    return found


def start_oxigraph(out: Path, folder: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    binary = oxigraph_binary()
    location = folder / "oxigraph"
    subprocess.run([binary, "load", "--location", str(location), "--file", str(out / "graph.trig")],
                   check=True, capture_output=True)
    version = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    port = free_port()
    command = [binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}",
               "--union-default-graph"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/query"
    wait_ready(endpoint + "?query=" + quote("ASK {}"), process)
    return process, endpoint, version


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def serve_main(out: str, port: str, cache: str) -> None:
    """Child process: our app as `linkgraph serve` runs it, minus the access log."""
    import uvicorn

    from graph.serve import create_app

    app = create_app(Path(out), Settings(query_timeout=60.0, max_rows=100_000), cache_entries=int(cache))
    uvicorn.run(app, host="127.0.0.1", port=int(port), log_level="warning", access_log=False, server_header=False)


# --------------------------------------------------------------------------- load


def rows_of(endpoint: str, query: str) -> int:
    response = httpx.get(endpoint, params={"query": query}, headers={"Accept": ACCEPT}, timeout=60.0)
    response.raise_for_status()
    return len(response.json()["results"]["bindings"])


def load(endpoint: str, query: str, args: argparse.Namespace) -> dict[str, Any]:
    """requests/s, latency percentiles and errors for CLIENTS concurrent clients."""
    url = f"{endpoint}?query={quote(query)}"
    for _ in range(20):  # warm: connections, the guard's parse cache, worker start
        httpx.get(url, headers={"Accept": ACCEPT}, timeout=60.0)
    if shutil.which("wrk") and not args.python_client:
        return wrk(url, args)
    return asyncio.run(python_load(url, args))


def wrk(url: str, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        command = ["wrk", "-t1", f"-c{CLIENTS}", f"-d{args.duration}s", "--timeout", "30s", "-s", script.name,
                   "-H", f"Accept: {ACCEPT}", url]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    data: dict[str, Any] = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    data["rps"] = round(data["requests"] / data["seconds"], 1)
    return data


async def python_load(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Fallback load generator; reports its own CPU share to show it is not the bottleneck."""
    latencies: list[float] = []
    errors = 0
    budget = args.max_requests
    deadline = time.monotonic() + args.duration

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal budget, errors
        while budget > 0 and time.monotonic() < deadline:
            budget -= 1
            clock = time.perf_counter()
            try:
                response = await http.get(url, headers={"Accept": ACCEPT})
                errors += response.status_code != 200
            except httpx.HTTPError:
                errors += 1
            latencies.append((time.perf_counter() - clock) * 1000)

    cpu, wall = time.process_time(), time.perf_counter()
    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=CLIENTS)) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
    seconds = time.perf_counter() - wall
    cuts = statistics.quantiles(latencies, n=100)
    return {"requests": len(latencies), "seconds": round(seconds, 3), "rps": round(len(latencies) / seconds, 1),
            "p50_ms": round(cuts[49], 3), "p95_ms": round(cuts[94], 3), "p99_ms": round(cuts[98], 3),
            "errors": errors, "client_cpu_share": round((time.process_time() - cpu) / seconds, 2)}


# --------------------------------------------------------------------------- main


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--articles", type=int, default=0, help="0: the sample corpus; N: a generated corpus")
    parser.add_argument("--duration", type=int, default=8, help="seconds per load run (default %(default)s)")
    parser.add_argument("--max-requests", type=int, default=20_000,
                        help="requests per run at most (Python client; wrk runs are bounded by --duration)")
    parser.add_argument("--rounds", type=int, default=2, help="turns per server and query; the best counts")
    parser.add_argument("--python-client", action="store_true", help="use the asyncio client even if wrk exists")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-endpoint-") as tmp:
        folder = Path(tmp)
        out = make_build(args.articles, folder)
        store = out / "store"
        name, text, ms = heaviest_named_query(store)
        queries = {"simple": with_prefixes(SIMPLE), "heaviest": with_prefixes(text)}
        benchlib.log(f"  heaviest parameterless named query: {name} ({ms} ms in a warm worker)")
        spawn = spawn_cost(store)
        oxigraph, ox_endpoint, ox_version = start_oxigraph(out, folder)
        servers = {"oxigraph": (oxigraph, ox_endpoint)}
        try:
            for label, cache in (("linkgraph", 256), ("linkgraph-nocache", 0)):
                process, endpoint = start_linkgraph(out, cache)
                servers[label] = (process, endpoint)
            return measure(servers, queries, args) | {
                "heaviest_query": {"name": name, "warm_worker_ms": ms}, "worker_spawn": spawn,
                "oxigraph_version": ox_version, "articles": args.articles or "sample",
            }
        finally:
            for process, _ in servers.values():
                stop(process)


def measure(servers: dict[str, tuple[subprocess.Popen[bytes], str]], queries: dict[str, str],
            args: argparse.Namespace) -> dict[str, Any]:
    """Each query on each server, after checking that they all return the same number of rows."""
    runs: dict[str, dict[str, Any]] = {}
    for query_name, query in queries.items():
        expected = {label: rows_of(endpoint, query) for label, (_, endpoint) in servers.items()}
        if len(set(expected.values())) != 1:
            raise SystemExit(f"{query_name}: servers disagree on row counts {expected}")
        for round_ in range(args.rounds):
            for label, (_, endpoint) in servers.items():
                benchlib.log(f"  {query_name} on {label}, round {round_ + 1} ...")
                result = {"rows": expected[label], **load(endpoint, query, args)}
                key = f"{query_name}/{label}"
                errors = runs.get(key, {}).get("errors", 0) + result["errors"]
                if key not in runs or result["rps"] > runs[key]["rps"]:
                    runs[key] = result
                runs[key]["errors"] = errors  # errors of every round count
                time.sleep(1.0)  # let the server finish requests still queued from the run
    ratios = {
        f"{q}/{label}": round(runs[f"{q}/{label}"]["rps"] / runs[f"{q}/oxigraph"]["rps"], 3)
        for q in queries for label in ("linkgraph", "linkgraph-nocache")
    }
    return {"runs": runs, "rps_ratio_to_oxigraph": ratios,
            "errors": sum(int(r["errors"]) for r in runs.values())}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        serve_main(*argv[1:4])
        return
    args = arguments(argv)
    load_before = os.getloadavg()[0]
    results = run(args)
    tool = "wrk" if shutil.which("wrk") and not args.python_client else "python asyncio/httpx"
    results["load"] = {"generator": tool, "clients": CLIENTS, "duration_s": args.duration, "rounds": args.rounds,
                       "host": "127.0.0.1",
                       "machine_load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}
    path = write(str(results["articles"]), results)
    benchlib.log(f"  wrote {path.relative_to(benchlib.ROOT)}")
    for key, run_ in results["runs"].items():
        benchlib.log(f"  {key:32} {run_['rps']:>9} req/s  p50 {run_['p50_ms']:.2f} ms  p95 {run_['p95_ms']:.2f} ms"
                     f"  errors {run_['errors']}")


def write(dataset: str, results: dict[str, Any]) -> Path:
    """benchmarks/results/endpoint.json, keeping the other datasets' results already there."""
    path = benchlib.RESULTS / "endpoint.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    datasets = {**old.get("datasets", {}), dataset: results}
    data = {"benchmark": "endpoint", "machine": benchlib.machine(),
            "ratio": "linkgraph requests/s divided by Oxigraph server requests/s, same query, same data",
            "datasets": datasets}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


if __name__ == "__main__":
    main()
