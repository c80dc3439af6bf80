"""Order-preserving parallel map over a process pool, used for parsing and extraction.

Results come back in input order, so a parallel build writes byte-identical output to a serial one.
Small inputs run in-process: a pool costs more than it saves below a few hundred articles.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 300


def worker_count(setting: int) -> int:
    """The number of processes: the setting, or every core when it is 0."""
    return setting if setting > 0 else (os.cpu_count() or 1)


def pmap(fn: Callable[[T], R], items: Sequence[T], workers: int, *, initializer: Callable[..., Any] | None = None,
         initargs: tuple[Any, ...] = (), progress: Callable[[int], None] | None = None) -> list[R]:
    """fn over items, in order; in-process when there is one worker or few items."""
    if workers <= 1 or len(items) < MIN_ITEMS:
        if initializer:
            initializer(*initargs)
        return _serial(fn, items, progress)
    chunk = max(1, min(64, len(items) // (workers * 8)))
    results = []
    with ProcessPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs) as pool:
        for done, result in enumerate(pool.map(fn, items, chunksize=chunk), start=1):
            results.append(result)
            if progress:
                progress(done)
    return results


def _serial(fn: Callable[[T], R], items: Iterable[T], progress: Callable[[int], None] | None) -> list[R]:
    results = []
    for done, item in enumerate(items, start=1):
        results.append(fn(item))
        if progress:
            progress(done)
    return results
