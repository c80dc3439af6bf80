"""Interrupted builds: a build killed at any moment leaves the previous output exactly as it was.

`linkgraph build` runs in a subprocess and is killed (SIGKILL on POSIX, TerminateProcess on Windows)
at seeded random moments. After each kill every file of OUT must hash as before, and anything left
beside OUT must be a lock or temporary folder the next build recovers from. The default run kills a
small build a few times; `-m slow` kills a 300-article build 20 times.
"""

from __future__ import annotations

import importlib.util
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner

from graph.cli import cli
from graph.errors import UsageError
from graph.outdir import atomic_output, build_lock, leftovers, lock_path, pid_alive, recover
from tests.hostile.conftest import ARTICLES, tree_hashes, triple_count, write_files

ROOT = Path(__file__).resolve().parents[2]
SEED = 20_241_125


def _make_corpus_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_corpus", ROOT / "scripts" / "make_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_corpus", module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _command(source: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "graph", "build", str(source), "--out", str(out), "-q", "-s", "workers", "1"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _build(source: Path, out: Path) -> float:
    """One complete build in a subprocess; its wall time."""
    started = time.monotonic()
    done = subprocess.run(_command(source, out), cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started


def _strays(out: Path) -> set[str]:
    """Entries beside OUT that are neither OUT nor something the next build cleans up."""
    known = {out.name, lock_path(out).name, *(p.name for p in leftovers(out))}
    return {p.name for p in out.parent.iterdir()} - known


def _assert_complete_successor(out: Path, expected: dict[str, str], found: dict[str, str], quads: int,
                               run: int) -> None:
    """OUT changed, so it must be a whole later build of the same source: new manifest, same files and quads."""
    assert found["build.json"] != expected["build.json"], f"run {run}: OUT changed after a kill"
    files = {name for name in found if not name.startswith("store/")}
    assert files == {name for name in expected if not name.startswith("store/")}, f"run {run}"
    assert triple_count(out / "store") == quads, f"run {run}"


def _kill_repeatedly(source: Path, out: Path, runs: int) -> None:
    duration = _build(source, out)
    expected, quads = tree_hashes(out), triple_count(out / "store")
    rng = random.Random(SEED)
    for run in range(runs):
        proc = subprocess.Popen(_command(source, out), cwd=ROOT, env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            proc.wait(timeout=rng.uniform(0.15, 1.05) * duration)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        else:  # finished before the kill: its output is the new "previous output"
            assert proc.returncode == 0, (run, proc.stderr.read() if proc.stderr else b"")
            expected = tree_hashes(out)
        finally:
            if proc.stderr:
                proc.stderr.close()
        assert _strays(out) == set(), run
        if not out.exists():  # killed between the two renames of the swap: the old output waits aside
            recover(out)
        found = tree_hashes(out)
        if found != expected:  # killed after the swap, before exiting: a complete new build is published
            _assert_complete_successor(out, expected, found, quads, run)
            expected = found
    _build(source, out)
    assert leftovers(out) == [] and not lock_path(out).exists()
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_killed_builds_leave_the_previous_output_intact(tmp_path: Path) -> None:
    source = write_files(tmp_path / "src", dict(ARTICLES))
    _make_corpus_module().make_corpus(30, source, seed=3)
    _kill_repeatedly(source, tmp_path / "build" / "out", runs=5)


@pytest.mark.slow
def test_killed_builds_of_a_larger_corpus_twenty_times(tmp_path: Path) -> None:
    source = tmp_path / "src"
    _make_corpus_module().make_corpus(300, source, seed=5)
    _kill_repeatedly(source, tmp_path / "build" / "out", runs=20)


# ----------------------------------------------------------------------------- the lock and recovery


def _dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_pid_alive() -> None:
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(0) and not pid_alive(-1)


def test_a_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    out = tmp_path / "out"
    lock_path(out).write_text(f"{_dead_pid()} {socket.gethostname()}\n")
    with atomic_output(out) as tmp:
        (tmp / "build.json").write_text("{}", encoding="utf-8")
        assert lock_path(out).read_text().split()[0] == str(os.getpid())
    assert (out / "build.json").is_file() and not lock_path(out).exists()


def test_a_live_lock_stops_a_second_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with build_lock(out):
        with pytest.raises(UsageError, match="another build") as caught, atomic_output(out):
            pass
        assert caught.value.exit_code == 2
        assert lock_path(out).exists()
    assert not lock_path(out).exists()


def test_a_second_build_command_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    source = write_files(tmp_path / "src", dict(ARTICLES))
    (source / "linkgraph.toml").write_text('site_url = "https://site.example/"\nworkers = 1\n', encoding="utf-8")
    out = tmp_path / "out"
    with build_lock(out):  # as if another build were writing OUT right now
        result = CliRunner().invoke(cli, ["build", str(source), "--out", str(out), "-q"])
    assert result.exit_code == 2
    assert "another build" in result.output and str(os.getpid()) in result.output
    assert not out.exists()


def test_a_lock_without_an_owner_waits_for_its_writer_then_counts_as_stale(tmp_path: Path) -> None:
    out = tmp_path / "out"
    lock_path(out).write_text("")
    with pytest.raises(UsageError, match="another build"), atomic_output(out):
        pass
    old = time.time() - 3600
    os.utime(lock_path(out), (old, old))
    with atomic_output(out) as tmp:
        (tmp / "build.json").write_text("{}", encoding="utf-8")
    assert (out / "build.json").is_file()


def test_temporary_folders_of_a_killed_build_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    mine = [tmp_path / ".out.k1ll3d_x.tmp", tmp_path / ".out.k1ll3d_y.old"]
    others = [tmp_path / ".out.x.k1ll3d_z.tmp", tmp_path / ".outer.k1ll3d_z.tmp", tmp_path / "notes.tmp"]
    for folder in mine + others:
        (folder / "store").mkdir(parents=True)
    aside = tmp_path / ".out.lock.4242.stale"  # a stale lock set aside by a build killed while taking it over
    aside.write_text("4242 host\n")
    mine.append(aside)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "build.json").write_text("{}", encoding="utf-8")
    assert leftovers(out) == sorted(mine)
    with atomic_output(out) as tmp:
        (tmp / "build.json").write_text('{"new": 1}', encoding="utf-8")
    assert not any(p.exists() for p in mine) and all(p.exists() for p in others)


def test_output_moved_aside_by_a_killed_swap_is_restored(tmp_path: Path) -> None:
    out = tmp_path / "out"
    aside = tmp_path / ".out.abcd1234.old"
    write_files(aside, {"build.json": '{"build_id": "previous"}', "reports/pages.csv": "url\n"})
    half = tmp_path / ".out.efgh5678.tmp"
    write_files(half, {"build.json": '{"build_id": "unfinished"}'})
    before = tree_hashes(aside)
    recover(out)
    assert tree_hashes(out) == before and leftovers(out) == []
