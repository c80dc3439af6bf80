"""Warm, killable worker processes that evaluate SPARQL over a build's store.

pyoxigraph cannot cancel a running query, so queries run in child processes that the caller
kills at the deadline. Spawning one per query costs ~0.3 s (a fresh interpreter importing
pyoxigraph and opening RocksDB); a pool keeps a few workers with the store already open, hands
each query to an idle one and replaces only the worker it had to kill.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any, TypeAlias

import pyoxigraph as ox

from graph.errors import LinkgraphError, QuerySyntaxError, QueryTimeout, UsageError

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

STARTUP_SECONDS = 60.0  # spawning a worker and opening the store; not part of the query budget


class QueryForm(StrEnum):
    """The four SPARQL query forms; updates never get this far."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def is_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with triples, the others with a table or a boolean."""
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


@dataclass(frozen=True)
class QueryResult:
    """A finished query: rows for SELECT, triples for CONSTRUCT/DESCRIBE, boolean for ASK.

    `volatile` marks results that depend on the moment (NOW(), RAND(), UUID()): never cache them.
    """

    form: QueryForm
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    triples: tuple[ox.Triple, ...] = ()
    boolean: bool | None = None
    truncated: bool = False
    volatile: bool = False

    def column(self, name: str) -> list[Term | None]:
        """All values of one variable, in row order (handy for callers and tests)."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]


@dataclass(frozen=True)
class Job:
    """One guarded query, pickled to a worker. A dataset of None keeps pyoxigraph's default."""

    text: str
    form: QueryForm
    max_rows: int
    union: bool
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    prefixes: tuple[tuple[str, str], ...] = ()
    substitutions: tuple[tuple[str, Term], ...] = field(default=())


# --------------------------------------------------------------------------- the pool


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    jobs: int = 0


class WorkerPool:
    """Up to `size` worker processes for one store; idle ones wait with the store open.

    Thread-safe: each `run` borrows one worker, so `size` queries run at once and others wait.
    `max_jobs` retires a worker after that many queries (None: never); the replacement's start
    then lands on one request, so keep it large.
    """

    def __init__(self, store: Path, size: int = 2, *, max_jobs: int | None = None) -> None:
        self.store = Path(store)
        self.size = max(1, size)
        self.max_jobs = max_jobs
        self.spawned = 0  # workers started so far (tests and benchmarks read it)
        self._idle: list[_Worker] = []
        self._live = 0
        self._closed = False
        self._cond = threading.Condition()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def pids(self) -> list[int]:
        """Process ids of the idle workers."""
        with self._cond:
            return [w.process.pid for w in self._idle if w.process.pid is not None]

    def prestart(self, count: int | None = None) -> None:
        """Start workers now (default: all of them) so the first queries do not wait for a spawn."""
        wanted = self.size if count is None else min(count, self.size)
        for _ in range(wanted):
            with self._cond:
                if self._closed or self._live >= wanted:
                    return
                self._live += 1
            self._release(self._spawn_in_slot(), healthy=True)

    def run(self, job: Job, timeout: float) -> QueryResult:
        """Evaluate `job` in a worker; kill that worker if it needs more than `timeout` s."""
        for _ in range(2):
            worker = self._borrow()
            try:
                worker.conn.send(job)
            except OSError:  # the idle worker died (OOM killer, kill -9): try a fresh one
                self._release(worker, healthy=False)
                continue
            return self._await(worker, timeout)
        raise LinkgraphError("the query worker stopped unexpectedly")

    def close(self) -> None:
        """Stop idle workers now and busy ones when they finish; later runs are refused."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._live -= len(idle)
            self._cond.notify_all()
        for worker in idle:
            _stop(worker, graceful=True)

    def _await(self, worker: _Worker, timeout: float) -> QueryResult:
        healthy = False
        try:
            message = receive(worker.conn, timeout, None)
            healthy = True
            worker.jobs += 1
            return unpack(message)
        finally:
            self._release(worker, healthy=healthy)

    def _borrow(self) -> _Worker:
        worker = self._take_slot()
        return worker if worker is not None else self._spawn_in_slot()

    def _take_slot(self) -> _Worker | None:
        """An idle worker, or None after reserving room for a new one; waits while all are busy."""
        with self._cond:
            while True:
                if self._closed:
                    raise LinkgraphError("the query pool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._live < self.size:
                    self._live += 1
                    return None
                self._cond.wait()

    def _spawn_in_slot(self) -> _Worker:
        try:
            worker = _spawn(self.store)
        except BaseException:
            self._forget()
            raise
        with self._cond:
            self.spawned += 1
        return worker

    def _release(self, worker: _Worker, *, healthy: bool) -> None:
        with self._cond:
            worn = self.max_jobs is not None and worker.jobs >= self.max_jobs
            keep = healthy and not self._closed and not worn
            if keep:
                self._idle.append(worker)
                self._cond.notify()
        if not keep:
            _stop(worker, graceful=healthy)
            self._forget()

    def _forget(self) -> None:
        with self._cond:
            self._live -= 1
            self._cond.notify()


def _spawn(store: Path) -> _Worker:
    """Start a worker and wait until it has opened the store (or failed to)."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=True)
    process = context.Process(target=_worker_main, args=(theirs, str(store)), daemon=True)
    process.start()
    theirs.close()
    worker = _Worker(process, mine)
    ready = False
    try:
        message = receive(mine, STARTUP_SECONDS, "the query worker did not start")
        if message[0] != "ready":
            unpack(message)
        ready = True
        return worker
    finally:
        if not ready:
            _stop(worker, graceful=False)


def receive(conn: Connection, seconds: float, late: str | None) -> tuple[Any, ...]:
    """Next worker message; `late` None means running out of time is the query's fault."""
    if not conn.poll(max(seconds, 0.0)):
        if late is None:
            raise QueryTimeout(f"query stopped after {seconds:g} s (query_timeout)")
        raise LinkgraphError(late)
    try:
        message: tuple[Any, ...] = conn.recv()
    except (EOFError, OSError):
        raise LinkgraphError("the query worker stopped unexpectedly") from None
    return message


def _stop(worker: _Worker, *, graceful: bool) -> None:
    """Ask a healthy worker to exit; kill a late or broken one; reap it either way."""
    if graceful:
        with contextlib.suppress(OSError):
            worker.conn.send(None)
        worker.process.join(5.0)
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join()
    worker.conn.close()


def unpack(message: tuple[Any, ...]) -> QueryResult:
    """The result a worker sent, or the error it reported raised again here."""
    kind, payload = message
    errors: dict[str, type[LinkgraphError]] = {
        "syntax": QuerySyntaxError,
        "usage": UsageError,
        "internal": LinkgraphError,
    }
    if kind in errors:
        raise errors[kind](payload)
    result: QueryResult = payload
    return result


# --------------------------------------------------------------------------- the worker process


class _OpenStore:
    """The worker's read-only store, reopened if the folder at its path was replaced by a rebuild."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.identity = _identity(path)
        self.store = ox.Store.read_only(path)

    def current(self) -> ox.Store:
        identity = _identity(self.path)
        if identity != self.identity:
            self.store = ox.Store.read_only(self.path)
            self.identity = identity
        return self.store


def _identity(path: str) -> tuple[int, int]:
    info = os.stat(path)
    return info.st_dev, info.st_ino


def _worker_main(conn: Connection, store_path: str) -> None:
    """Worker process body: open the store, then answer jobs until told to stop (None or EOF)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        opened = _OpenStore(store_path)
    except OSError as exc:
        conn.send(("internal", _first_line(exc).replace(store_path, "<store>")))
        return
    conn.send(("ready", None))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(_answer(opened, job))


def _answer(opened: _OpenStore, job: Job) -> tuple[str, Any]:
    try:
        return "ok", evaluate(opened.current(), job)
    except SyntaxError as exc:
        return "syntax", "SPARQL syntax error: " + _first_line(exc)
    except (RuntimeError, ValueError, TypeError) as exc:
        return "usage", _first_line(exc)
    except OSError as exc:
        return "internal", _first_line(exc).replace(opened.path, "<store>")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:300]


def evaluate(store: ox.Store, job: Job) -> QueryResult:
    """Run one job on an open store, cutting the answer at the row cap."""
    results = store.query(
        job.text,
        prefixes=dict(job.prefixes),
        use_default_graph_as_union=job.union,
        default_graph=_nodes(job.default_graphs),
        named_graphs=_nodes(job.named_graphs),
        substitutions={ox.Variable(name): term for name, term in job.substitutions} or None,
    )
    if isinstance(results, ox.QueryBoolean):
        return QueryResult(QueryForm.ASK, boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        variables = tuple(v.value for v in results.variables)
        rows, cut = _take((tuple(solution) for solution in results), job.max_rows)
        return QueryResult(job.form, variables=variables, rows=tuple(rows), truncated=cut)
    triples, cut = _take(results, job.max_rows)
    return QueryResult(job.form, triples=tuple(triples), truncated=cut)


def _nodes(iris: Iterable[str] | None) -> list[Any] | None:
    """Graph IRIs as nodes for pyoxigraph's dataset arguments; None keeps its default."""
    return None if iris is None else [ox.NamedNode(iri) for iri in iris]


def _take(items: Iterable[Any], limit: int) -> tuple[list[Any], bool]:
    """At most `limit` items, and whether more were there (the row cap)."""
    taken = list(itertools.islice(items, limit + 1))
    return taken[:limit], len(taken) > limit
