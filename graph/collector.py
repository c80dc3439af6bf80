"""Python's cycle collector, kept still while a stage makes millions of long-lived objects.

Each collection walks every live object. A big build holds millions (articles, mentions, matrices'
bookkeeping) and creates few cycles, so the collections its allocations trigger cost a fifth to a
third of a stage's time and free nothing; reference counting still frees everything else at once.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def gc_paused() -> Iterator[None]:
    """The collector off for the block, and back on afterwards only if it was on before.

    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def without_gc(function: Callable[P, R]) -> Callable[P, R]:
    """`function` run inside `gc_paused`."""
    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            return function(*args, **kwargs)
    return run


@contextmanager
def stages() -> Iterator[Callable[[], None]]:
    """A `settle()` to call after each stage: what is alive then stays alive, so the collector stops
    rescanning it (gc.freeze); everything is handed back to the collector when the block ends.

    `settle()` first collects the stage's own garbage cycles: frozen objects are never collected, so a
    cycle frozen after its stage (say a finder and its explainer, with their matrices) would be kept
    for the rest of the build. Only objects made since the last freeze are scanned.
    """
    try:
        yield _settle
    finally:
        gc.unfreeze()


def _settle() -> None:
    gc.collect()
    gc.freeze()
