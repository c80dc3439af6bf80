"""Shared helpers of the benchmark scripts: corpora, timing, machine description, result files.

Every benchmark measures a stage beside its floor (the least work that stage could do) in the same
process and run, and reports the ratio: absolute seconds move with the machine, ratios mostly do not.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "benchmarks" / "corpora"
RESULTS = ROOT / "benchmarks" / "results"
GENERATOR = ROOT / "scripts" / "make_corpus.py"
MARKER = ".corpus.json"  # hidden, so the build never reads it as an article
PACKAGES = ("linkgraph", "pyoxigraph", "rdflib", "networkx", "scipy", "numpy", "pyahocorasick", "selectolax",
            "markdown-it-py", "PyYAML")
R = TypeVar("R")


def make_corpus_module() -> ModuleType:
    """scripts/make_corpus.py imported by path (scripts/ is not a package)."""
    if "make_corpus" in sys.modules:
        return sys.modules["make_corpus"]
    spec = importlib.util.spec_from_file_location("make_corpus", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_corpus"] = module
    spec.loader.exec_module(module)
    return module


def _generator_digest() -> str:
    """Changes when the generator or the vocabulary changes, so a cached corpus is rebuilt."""
    from graph.vocab import shipped_files

    h = hashlib.sha256(GENERATOR.read_bytes())
    for path in shipped_files():
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def corpus(n: int, seed: int = 1) -> Path:
    """A generated corpus of N articles under benchmarks/corpora/ (git-ignored), reused while current."""
    folder = CORPORA / f"n{n}-s{seed}"
    marker = folder / MARKER
    key = {"n": n, "seed": seed, "generator": _generator_digest()}
    if marker.is_file() and json.loads(marker.read_text()) == key:
        return folder
    if folder.exists():
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    clock = time.perf_counter()
    make_corpus_module().make_corpus(n, folder, seed)
    marker.write_text(json.dumps(key))
    print(f"  generated {n} articles in {time.perf_counter() - clock:.1f} s -> {folder}", file=sys.stderr)
    return folder


def corpus_bytes(folder: Path) -> tuple[int, int]:
    """(article files, total bytes) of a corpus folder."""
    files = [p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".") and p.suffix != ".toml"]
    return len(files), sum(p.stat().st_size for p in files)


@dataclass(frozen=True)
class Timing:
    """Wall and CPU seconds of one measurement (the fastest of its runs, each kind on its own).

    CPU time (user + system of this process and its finished children, all threads) is the figure
    ratios use: on a shared machine other processes stretch wall time but barely touch it. Children
    count so that stages which fan out to worker processes are charged for their work.
    """

    wall: float
    cpu: float

    def json(self) -> dict[str, float]:
        return {"wall_s": round(self.wall, 3), "cpu_s": round(self.cpu, 3)}


def best_of(fn: Callable[[], R], repeat: int) -> tuple[Timing, R]:
    """Fastest wall and CPU time of `repeat` runs, and the last run's result."""
    wall = cpu = float("inf")
    result = None
    for _ in range(max(repeat, 1)):
        w, c = time.perf_counter(), cpu_seconds()
        result = fn()
        wall, cpu = min(wall, time.perf_counter() - w), min(cpu, cpu_seconds() - c)
    return Timing(wall, cpu), result  # type: ignore[return-value]


def cpu_seconds() -> float:
    """User + system CPU of this process and of its children that have ended (worker pools)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _git() -> dict[str, Any]:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "graph"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"commit": head, "graph_modified": bool(dirty)}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {"platform": platform.platform(), "cpu": _cpu_model(), "cpu_count": os.cpu_count(),
            "python": platform.python_version(), "packages": versions,
            "date": datetime.now(UTC).replace(microsecond=0).isoformat(), "git": _git()}


def ratio(floor: Timing, stage: Timing) -> float:
    """Stage speed as a share of the floor's speed, on CPU time (1.0 = as fast as the floor)."""
    return round(floor.cpu / stage.cpu, 3) if stage.cpu > 0 else float("inf")


def slowdown(floor: Timing, stage: Timing) -> float:
    """How many times longer the stage takes than its floor, on CPU time."""
    return round(stage.cpu / floor.cpu, 2) if floor.cpu > 0 else float("inf")


def load_average() -> float:
    """1-minute load average: other work on the machine, recorded beside each run."""
    return round(os.getloadavg()[0], 2)


def write_result(name: str, runs: dict[str, Any], extra: dict[str, Any] | None = None) -> Path:
    """benchmarks/results/NAME.json; runs of other sizes already in the file are kept."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    old = json.loads(path.read_text()) if path.is_file() else {}
    info = machine()
    stamped = {n: {**r, "measured": info["date"], "git": info["git"]} for n, r in runs.items()}
    merged = {**old.get("runs", {}), **stamped}
    data = {"benchmark": name, "machine": info, **(extra or {}),
            "runs": dict(sorted(merged.items(), key=lambda kv: int(kv[0])))}
    path.write_text(json.dumps(data, indent=2) + "\n")
    print(f"  wrote {path.relative_to(ROOT)}", file=sys.stderr)
    return path


def arguments(description: str, sizes: Sequence[int], argv: Sequence[str] | None = None,
              extra: Callable[[argparse.ArgumentParser], object] | None = None) -> argparse.Namespace:
    """--sizes, --repeat and --seed, shared by every benchmark."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", default=",".join(map(str, sizes)),
                        help="comma-separated corpus sizes in articles (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest counts")
    parser.add_argument("--seed", type=int, default=1, help="corpus generator seed")
    if extra:
        extra(parser)
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in str(args.sizes).split(",") if s.strip()]
    return args


@dataclass(frozen=True)
class Prepared:
    """A corpus read and resolved once, for benchmarks of later stages (not timed)."""

    settings: Any
    site: Any
    corpus: Any
    vocab: Any


def prepare(folder: Path) -> Prepared:
    """Settings, site, resolved corpus and vocabulary of a corpus folder, as the pipeline makes them."""
    from graph import pipeline
    from graph.ingest.resolve import resolve
    from graph.ingest.urls import Site
    from graph.settings import Settings
    from graph.vocab import load

    settings = Settings.load(folder / "linkgraph.toml")
    raw, _ = pipeline.read_articles(folder, settings, hashlib.sha256())
    site = Site(settings.site_url, settings.url_pattern)
    vocab = load([folder / p for p in settings.vocabulary])
    return Prepared(settings, site, resolve(raw, site, settings.redirects), vocab)


def profiled(fn: Callable[[], R], limit: int = 15) -> tuple[R, dict[str, list[dict[str, Any]]]]:
    """Run `fn` under cProfile; the top functions by own time and by cumulative time, with shares."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    result = profile.runcall(fn)
    stats = pstats.Stats(profile)
    total = max(stats.total_tt, 1e-9)  # type: ignore[attr-defined]
    rows = []
    for (file, line, name), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{_short(file)}:{line}({name})"
        rows.append({"function": where, "calls": calls, "own_s": round(own, 3), "cum_s": round(cum, 3),
                     "own_share": round(own / total, 3), "cum_share": round(min(cum / total, 1.0), 3)})
    top_own = sorted(rows, key=lambda r: -r["own_s"])[:limit]
    top_cum = [r for r in sorted(rows, key=lambda r: -r["cum_s"]) if "/graph/" in r["function"]
               or r["function"].startswith("graph/")][:limit]
    return result, {"profiled_total_s": round(total, 2), "top_own": top_own, "top_cumulative_in_graph": top_cum}


def _short(file: str) -> str:
    """A path relative to the repository or to site-packages, so profiles read the same everywhere."""
    for marker in (str(ROOT) + "/", "site-packages/", "lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
