"""Fill a new on-disk store on a thread while the build goes on writing its other outputs.

pyoxigraph holds the GIL in `bulk_extend` (it reads Python objects one by one) but releases it in
`bulk_load` of serialised bytes. So the build serialises each batch of quads to N-Quads (about a
microsecond a quad) and a loader thread indexes it: quad generation, the reports and the explorer
run while Rust parses, sorts and writes the store on the other core.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from graph.store import batches


class BackgroundLoad:
    """A new store at `path`, loaded batch by batch on a thread; `finish()` hands it over.

    At most `depth` serialised batches wait for the loader, which bounds memory when quads come
    faster than the store takes them. An error in the loader is raised by the next `put` or `finish`.
    """

    def __init__(self, path: Path, depth: int = 2) -> None:
        self.store = ox.Store(str(path))
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)  # None: no more
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._load, name="store-load", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        while (data := self._pending.get()) is not None:
            if self._error is None:
                try:
                    self.store.bulk_load(data, ox.RdfFormat.N_QUADS)
                except (OSError, ValueError, SyntaxError) as exc:  # what pyoxigraph raises on bad input or disk
                    self._error = exc

    def put(self, quads: Iterable[ox.Quad]) -> None:
        """Queue one batch (waits while `depth` batches are already waiting)."""
        self._raise()
        self._pending.put(ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b"")

    def finish(self) -> ox.Store:
        """Wait for every queued batch; the loaded, flushed store."""
        self._pending.put(None)
        self._thread.join()
        self._raise()
        self.store.flush()
        return self.store

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error


def start(path: Path, quads: Iterable[ox.Quad], batch: int) -> BackgroundLoad:
    """Serialise every quad into a background load of at most `batch` quads per bulk load.

    Returns once the last batch is queued; the loader may still be indexing the last ones.
    """
    load = BackgroundLoad(path)
    try:
        for part in batches(quads, batch):
            load.put(part)
    except BaseException:
        load.finish()
        raise
    return load
