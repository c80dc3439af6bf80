"""End to end: `graph.pipeline.build` on generated corpora, with per-stage times and peak memory.

    python benchmarks/bench_build.py [--sizes 1000,10000] [--large] [--profile] [--incremental]

Each build runs in a fresh child process, so earlier runs leave nothing behind. Peak memory is the
largest sum of RSS over the build process and its worker processes (sampled every 50 ms with psutil;
shared pages count once per process, so it is an upper bound), beside the main process's own
ru_maxrss. CPU time includes the parsing and extraction workers. Stage times come from the
pipeline's progress callback: a stage starts at its first callback and ends where the next starts.
`--large` adds 100 000 articles (not run by default); `--profile` adds one cProfile run per size
(with workers = 1, so parsing and extraction are profiled too) and stores its top functions.
`--keep DIR` keeps each OUT as DIR/nN, for `bench_queries.py --build N=DIR/nN`.
`--incremental` copies the corpus, builds it, appends a paragraph to one article and times
`build --incremental` of the same OUT against that full build.
Targets from the issues: 10k articles in <= 30 s and <= 1.5 GiB peak RSS; the incremental rebuild
after one edit <= 10 % of a full build.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import benchlib
import psutil

LARGE = 100_000
TARGETS = {10_000: {"wall_s": 30, "peak_rss_MiB": 1536}, LARGE: {"wall_s": 240, "peak_rss_MiB": 4096}}


class StageClock:
    """Progress callback that notes when each stage is first reported (wall and CPU seconds)."""

    def __init__(self) -> None:
        self.start_wall, self.start_cpu = time.perf_counter(), benchlib.cpu_seconds()
        self.first: dict[str, tuple[float, float]] = {}
        self.rss: dict[str, float] = {}

    def now(self) -> tuple[float, float]:
        return time.perf_counter() - self.start_wall, benchlib.cpu_seconds() - self.start_cpu

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.first:
            self.first[stage] = self.now()
            self.rss[stage] = round(psutil.Process().memory_info().rss / 2**20, 1)

    def stages(self, end: tuple[float, float]) -> dict[str, dict[str, float]]:
        """Wall and CPU seconds per stage, in the order stages were first reported."""
        names = list(self.first)
        out = {}
        for i, name in enumerate(names):
            stop = self.first[names[i + 1]] if i + 1 < len(names) else end
            out[name] = {"wall_s": round(stop[0] - self.first[name][0], 2),
                         "cpu_s": round(stop[1] - self.first[name][1], 2), "rss_at_start_MiB": self.rss[name]}
        if "read" in self.first:  # before the first callback: walking the folder and reading every file
            out = {"discover+read_bytes": {"wall_s": round(self.first["read"][0], 2),
                                           "cpu_s": round(self.first["read"][1], 2)}, **out}
        return out


def child(source: Path, out: Path, profile: bool, incremental: bool = False) -> dict[str, Any]:
    """One build in this process; the parent reads the JSON it prints."""
    from graph.pipeline import build
    from graph.settings import Settings

    settings = Settings.load(source / "linkgraph.toml")
    if profile:
        settings = settings.with_overrides(workers=1)
    clock = StageClock()
    run = lambda: build(source, out, settings, clock, incremental=incremental)  # noqa: E731
    report: dict[str, Any] = {}
    result = benchlib.profiled(run, limit=25) if profile else (run(), None)
    end = clock.now()
    report.update({
        "wall_s": round(end[0], 2), "cpu_s": round(end[1], 2), "main_process_peak_rss_MiB": benchlib.peak_rss_mib(),
        "stages": clock.stages(end),
        "result": {k: v for k, v in vars(result[0]).items() if isinstance(v, int | float)},
        "output_MB": round(sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6, 1),
    })
    if result[1] is not None:
        report["profile"] = result[1]
    return report


def tree_rss(process: psutil.Process) -> int:
    """Bytes resident in a process and all its descendants right now."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run_child(source: Path, profile: bool, out: Path | None = None, incremental: bool = False) -> dict[str, Any]:
    """One build in a child process, its peak RSS sampled from outside; OUT is kept only when given."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    command = [sys.executable, __file__, "--child", str(source), str(out or tmp / "out")]
    command += ["--profile"] * profile + ["--incremental"] * incremental
    peak = 0
    try:
        with tempfile.TemporaryFile("w+") as stdout_file, tempfile.TemporaryFile("w+") as err:
            child_process = subprocess.Popen(command, stdout=stdout_file, stderr=err, text=True)
            watched = psutil.Process(child_process.pid)
            while child_process.poll() is None:
                peak = max(peak, tree_rss(watched))
                time.sleep(0.05)
            stdout_file.seek(0), err.seek(0)
            stdout, stderr = stdout_file.read(), err.read()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if child_process.returncode != 0:
        raise SystemExit(f"build of {source} failed ({child_process.returncode}):\n{stderr[-3000:]}")
    report: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    report["peak_rss_MiB"] = round(peak / 2**20, 1)
    return report


def measure(n: int, seed: int, profile: bool, keep: Path | None = None) -> dict[str, Any]:
    source = benchlib.corpus(n, seed)
    files, size = benchlib.corpus_bytes(source)
    load = benchlib.load_average()
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
    report = run_child(source, profile=False, out=keep)
    report.update({"articles_in": files, "MB_in": round(size / 1e6, 2), "load_average_before": load,
                   "load_average_after": benchlib.load_average()})
    report["targets"] = TARGETS.get(n, {})
    if profile:
        report["profile"] = run_child(source, profile=True)["profile"]
    return report


def incremental(n: int, seed: int) -> dict[str, Any]:
    """A full build of a copy of the corpus, one article edited, then `build --incremental` of the same OUT."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    try:
        source = shutil.copytree(benchlib.corpus(n, seed), tmp / "source")
        full = run_child(source, profile=False, out=tmp / "out")
        edited = sorted(p for p in source.rglob("*.md") if p.is_file())[0]
        with edited.open("a", encoding="utf-8") as f:
            f.write("\nA new closing paragraph mentions sciatica and ibuprofen for the benchmark.\n")
        inc = run_child(source, profile=False, out=tmp / "out", incremental=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"full": _brief(full), "incremental": _brief(inc), "edited": edited.name,
            "ratio_wall": round(inc["wall_s"] / full["wall_s"], 3), "target": "<= 0.10",
            "load_average_after": benchlib.load_average()}


def _brief(report: dict[str, Any]) -> dict[str, Any]:
    return {k: report[k] for k in ("wall_s", "cpu_s", "peak_rss_MiB", "stages", "result")}


def main() -> None:
    if "--child" in sys.argv:
        parser = argparse.ArgumentParser()
        parser.add_argument("--child", nargs=2, type=Path, metavar=("SOURCE", "OUT"))
        parser.add_argument("--profile", action="store_true")
        parser.add_argument("--incremental", action="store_true")
        args = parser.parse_args()
        print(json.dumps(child(args.child[0], args.child[1], args.profile, args.incremental)))
        return

    def extra(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--large", action="store_true", help=f"also build {LARGE} articles (slow)")
        parser.add_argument("--profile", action="store_true", help="add one cProfile run per size")
        parser.add_argument("--incremental", action="store_true",
                            help="also time `build --incremental` after one edited article, per size")
        parser.add_argument("--keep", type=Path, help="keep each build's OUT in KEEP/nN (e.g. for bench_queries)")

    args = benchlib.arguments(__doc__.splitlines()[0], [1000, 10000], extra=extra)
    sizes = args.sizes + ([LARGE] if args.large and LARGE not in args.sizes else [])
    runs = {}
    for n in sizes:
        benchlib.log(f"build: {n} articles")
        keep = args.keep / f"n{n}" if args.keep else None
        r = runs[str(n)] = measure(n, args.seed, args.profile, keep)
        stages = ", ".join(f"{k} {v['cpu_s']}" for k, v in r["stages"].items())
        benchlib.log(f"  {r['wall_s']} s wall, {r['cpu_s']} s CPU, peak {r['peak_rss_MiB']} MiB; "
                     f"CPU s by stage: {stages}")
        if args.incremental:
            r["incremental"] = incremental(n, args.seed)
            benchlib.log(f"  incremental after one edit: {r['incremental']['ratio_wall']} of a full build")
    benchlib.write_result("build", runs, {
        "note": "wall and CPU seconds of one build per size in a child process; stages from progress callbacks"})


if __name__ == "__main__":
    main()
