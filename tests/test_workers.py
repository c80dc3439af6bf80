"""The warm worker pool: reuse, killing at the deadline, replacement, concurrency and shutdown."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.errors import LinkgraphError, QueryTimeout, UsageError
from graph.query import PREFIXES, QueryForm, run_query
from graph.workers import Job, WorkerPool

PAGE = "https://example.org/articles/a/"
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { " + " . ".join(f"?s{i} ?p{i} ?o{i}" for i in range(6)) + " }"


def write_store(path: Path, title: str) -> Path:
    triples = "".join(f'<{PAGE}> <http://schema.org/keywords> "k{i}" .\n' for i in range(40))
    writer = ox.Store(str(path))
    writer.load(f'<{PAGE}> {{ <{PAGE}> <http://schema.org/name> "{title}" .\n{triples} }}', format=ox.RdfFormat.TRIG)
    writer.flush()
    del writer
    return path


def job(text: str) -> Job:
    return Job(text=text, form=QueryForm.SELECT, max_rows=100, union=True, default_graphs=None,
               named_graphs=None, prefixes=tuple(PREFIXES.items()))


TITLE = job("SELECT ?t WHERE { ?p schema:name ?t }")


def title(pool: WorkerPool, timeout: float = 20.0) -> str:
    (row,) = pool.run(TITLE, timeout).rows
    return str(row[0].value)  # type: ignore[union-attr]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return write_store(tmp_path / "store", "Alpha")


@pytest.fixture
def pool(store: Path) -> Iterator[WorkerPool]:
    with WorkerPool(store, size=2) as workers:
        yield workers


def test_a_warm_worker_answers_repeated_queries_without_a_new_process(pool: WorkerPool) -> None:
    assert title(pool) == "Alpha"
    (pid,) = pool.pids()
    started = time.monotonic()
    for _ in range(30):
        assert title(pool) == "Alpha"
    elapsed = time.monotonic() - started
    assert pool.spawned == 1 and pool.pids() == [pid]
    assert elapsed < 3.0  # a spawn per query would cost ~0.3 s each, 9 s in all


def test_timeout_kills_the_worker_and_the_next_query_still_works(pool: WorkerPool) -> None:
    title(pool)
    (pid,) = pool.pids()
    started = time.monotonic()
    with pytest.raises(QueryTimeout):
        pool.run(job(CARTESIAN), 0.3)
    assert time.monotonic() - started < 10
    assert not alive(pid)  # killed and reaped, not left running in the background
    assert pool.pids() == []
    assert title(pool) == "Alpha"
    assert pool.spawned == 2 and not alive(pid)


def test_errors_leave_the_worker_in_service(pool: WorkerPool) -> None:
    title(pool)
    with pytest.raises(UsageError):
        pool.run(job("SELECT ?x WHERE { ?x nope:thing ?y }"), 20.0)
    assert title(pool) == "Alpha" and pool.spawned == 1


def test_a_worker_killed_while_idle_is_replaced(pool: WorkerPool) -> None:
    title(pool)
    (pid,) = pool.pids()
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    assert title(pool) == "Alpha"
    assert pool.spawned == 2


def test_at_most_size_workers_run_at_once(pool: WorkerPool) -> None:
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(title(pool))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == ["Alpha"] * 6
    assert pool.spawned <= 2 and len(pool.pids()) <= 2


def test_workers_are_recycled_after_max_jobs(store: Path) -> None:
    with WorkerPool(store, size=1, max_jobs=2) as workers:
        for _ in range(5):
            title(workers)
        assert workers.spawned == 3


def test_a_rebuilt_store_at_the_same_path_is_reopened(tmp_path: Path, store: Path, pool: WorkerPool) -> None:
    assert title(pool) == "Alpha"
    fresh = write_store(tmp_path / "fresh", "Beta")
    shutil.rmtree(store)
    fresh.rename(store)
    assert title(pool) == "Beta" and pool.spawned == 1


def test_prestart_and_close(store: Path) -> None:
    workers = WorkerPool(store, size=3)
    workers.prestart(2)
    assert workers.spawned == 2 and len(workers.pids()) == 2
    pids = workers.pids()
    workers.close()
    assert not any(alive(pid) for pid in pids)
    with pytest.raises(LinkgraphError, match="closed"):
        workers.run(TITLE, 5.0)


def test_a_missing_store_is_reported_not_hung(tmp_path: Path) -> None:
    with WorkerPool(tmp_path / "nothing", size=1) as workers, pytest.raises(LinkgraphError):
        workers.run(TITLE, 5.0)
    assert multiprocessing.active_children() == []


def test_one_off_queries_leave_no_process_behind(store: Path) -> None:
    result = run_query(store, "SELECT ?t WHERE { ?p schema:name ?t }", timeout=20.0, max_rows=10)
    assert result.rows[0][0] == ox.Literal("Alpha")
    assert multiprocessing.active_children() == []


def test_a_pool_for_another_store_is_refused(tmp_path: Path, pool: WorkerPool) -> None:
    other = write_store(tmp_path / "other", "Gamma")
    with pytest.raises(LinkgraphError, match="another store"):
        run_query(other, "ASK {}", timeout=5.0, max_rows=1, pool=pool)
