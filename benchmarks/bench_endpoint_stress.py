"""SPARQL endpoint under hostile load: a simple SELECT while other clients send timeout-bound queries.

    python benchmarks/bench_endpoint_stress.py [--duration 10] [--levels 1,8,32]

Starts `linkgraph serve OUT -s query_timeout 1` (the real command) on a free 127.0.0.1 port over a
build of the sample corpus. For each concurrency level (wrk -c N -t min(N,2) --latency) and each
cache mode it runs the simple SELECT twice, back to back: alone (the baseline) and while four
Python threads keep sending a cartesian product that can only end by hitting the timeout. Cache
modes: "cached" sends the same text every time (answered from the LRU after the first request);
"uncached" appends a unique `#` comment per request (a wrk Lua script), so every request reaches a
query worker. Every hostile request must get 503 and every simple one 2xx; both are counted and
reported as they come. Results: benchmarks/results/endpoint-stress.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import bench_endpoint as be
import benchlib

HOSTILE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a"
HOSTILE_CLIENTS = 4
HOSTILE_MAX_REQUESTS = 200  # per thread and run; a 1 s timeout keeps it far below this
QUERY_TIMEOUT = "1"
UNIQUE_SCRIPT = """
local counter = 0
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
request = function()
  counter = counter + 1
  return wrk.format(nil, "%s" .. "%%23" .. tid .. "-" .. counter)
end
"""


# --------------------------------------------------------------------------- server


def start_server(out: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`linkgraph serve` as a user runs it, with a 1 s query timeout; access log discarded."""
    port = be.free_port()
    binary = str(Path(sys.executable).parent / "linkgraph")
    command = [binary, "serve", str(out), "--port", str(port), "-s", "query_timeout", QUERY_TIMEOUT]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    be.wait_ready(base + "/health", process)
    return process, base + "/sparql"


# --------------------------------------------------------------------------- hostile clients


@dataclass
class Hostile:
    """Threads that keep sending the cartesian query until stopped; statuses and latencies kept."""

    endpoint: str
    stop: threading.Event = field(default_factory=threading.Event)
    statuses: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(HOSTILE_CLIENTS):
            thread = threading.Thread(target=self._client, daemon=True)
            thread.start()
            self.threads.append(thread)

    def finish(self) -> dict[str, Any]:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        lat = sorted(self.latencies)
        return {"clients": HOSTILE_CLIENTS, "requests": len(lat), "statuses": dict(self.statuses),
                "all_503": set(self.statuses) == {"503"},
                "median_s": round(lat[len(lat) // 2], 3) if lat else None,
                "max_s": round(lat[-1], 3) if lat else None,
                "still_running": sum(t.is_alive() for t in self.threads)}

    def _client(self) -> None:
        data = urlencode({"query": be.with_prefixes(HOSTILE)}).encode()
        for _ in range(HOSTILE_MAX_REQUESTS):
            if self.stop.is_set():
                return
            request = urllib.request.Request(self.endpoint, data=data, headers={"Accept": be.ACCEPT})
            clock = time.perf_counter()
            status = self._send(request)
            with self.lock:
                self.statuses[status] += 1
                self.latencies.append(time.perf_counter() - clock)

    @staticmethod
    def _send(request: urllib.request.Request) -> str:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                return str(response.status)
        except urllib.error.HTTPError as exc:
            exc.read()
            return str(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            return f"error:{type(exc).__name__}"


# --------------------------------------------------------------------------- load


def wrk(endpoint: str, query: str, clients: int, duration: int, unique: bool) -> dict[str, Any]:
    """wrk -c N -t min(N,2) --latency; with `unique`, each request carries its own `#` comment."""
    path = "/sparql?query=" + quote(query, safe="")
    script = be.WRK_SCRIPT + (UNIQUE_SCRIPT % path if unique else "")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{duration}s", "--latency",
                   "--timeout", "30s", "-s", handle.name, "-H", f"Accept: {be.ACCEPT}",
                   f"{endpoint}?query={quote(query, safe='')}"]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    data: dict[str, Any] = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    data["rps"] = round(data["requests"] / data["seconds"], 1)
    data["non2xx_or_socket_errors"] = data.pop("errors")
    return data


def one_run(endpoint: str, clients: int, unique: bool, hostile: bool, duration: int) -> dict[str, Any]:
    """The simple SELECT at one level, alone or beside the hostile clients (started 2 s earlier)."""
    attack = Hostile(endpoint) if hostile else None
    if attack:
        attack.start()
        time.sleep(2.0)  # let the hostile queries occupy the workers first
    result = wrk(endpoint, be.with_prefixes(be.SIMPLE), clients, duration, unique)
    if attack:
        result["hostile"] = attack.finish()
    time.sleep(1.5)  # drain
    return result


def measure(endpoint: str, levels: list[int], duration: int) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for mode, unique in (("cached", False), ("uncached", True)):
        for clients in levels:
            pair = {}
            for condition, hostile in (("baseline", False), ("hostile", True)):
                benchlib.log(f"  {mode} c={clients} {condition} ...")
                pair[condition] = one_run(endpoint, clients, unique, hostile, duration)
            base, hot = pair["baseline"], pair["hostile"]
            pair["ratio_hostile_to_baseline"] = {
                "rps": round(hot["rps"] / base["rps"], 3) if base["rps"] else None,
                **{p: round(hot[p] / base[p], 2) if base[p] else None for p in ("p50_ms", "p95_ms", "p99_ms")},
            }
            runs[f"{mode}/c{clients}"] = pair
    return runs


# --------------------------------------------------------------------------- main


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default %(default)s)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent simple-query clients (default %(default)s)")
    return parser.parse_args(argv)


def summary(runs: dict[str, Any]) -> dict[str, Any]:
    hostile = [pair["hostile"]["hostile"] for pair in runs.values()]
    return {"simple_errors": sum(p[c]["non2xx_or_socket_errors"] for p in runs.values()
                                 for c in ("baseline", "hostile")),
            "hostile_requests": sum(h["requests"] for h in hostile),
            "hostile_statuses": dict(sum((Counter(h["statuses"]) for h in hostile), Counter())),
            "hostile_all_503": all(h["all_503"] for h in hostile)}


def main(argv: list[str] | None = None) -> None:
    args = arguments(argv)
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    levels = [int(n) for n in args.levels.split(",")]
    load_before = benchlib.load_average()
    clock = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-stress-") as tmp:
        out = be.make_build(0, Path(tmp))
        process, endpoint = start_server(out)
        try:
            runs = measure(endpoint, levels, args.duration)
        finally:
            be.stop(process)
    data = {"benchmark": "endpoint-stress", "machine": benchlib.machine(),
            "setup": {"data": "sample corpus", "server": f"linkgraph serve -s query_timeout {QUERY_TIMEOUT}",
                      "simple_query": be.SIMPLE, "hostile_query": HOSTILE, "hostile_clients": HOSTILE_CLIENTS,
                      "hostile_client": "Python threads, urllib POST, one request at a time each",
                      "load_generator": "wrk -c N -t min(N,2) --latency --timeout 30s", "host": "127.0.0.1",
                      "duration_s": args.duration, "levels": levels,
                      "uncached": "a unique '#tid-n' comment appended per request (wrk Lua script)",
                      "machine_load_1min": [load_before, benchlib.load_average()],
                      "total_runtime_s": round(time.monotonic() - clock, 1)},
            "ratio": "hostile run divided by baseline run, same level and cache mode",
            "summary": summary(runs), "runs": runs}
    path = benchlib.RESULTS / "endpoint-stress.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")
    benchlib.log(f"  wrote {path.relative_to(benchlib.ROOT)}")
    for key, pair in runs.items():
        b, h = pair["baseline"], pair["hostile"]
        benchlib.log(f"  {key:14} base {b['rps']:>8} req/s p99 {b['p99_ms']:.1f} | hostile {h['rps']:>8} req/s "
                     f"p50 {h['p50_ms']:.1f} p99 {h['p99_ms']:.1f} err {h['non2xx_or_socket_errors']} "
                     f"hostile {h['hostile']['statuses']}")


if __name__ == "__main__":
    main()
