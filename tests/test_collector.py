"""The build's stage settling: garbage cycles of a stage are freed, live objects are frozen."""

from __future__ import annotations

import gc
import weakref

from graph.collector import stages


class _Node:
    """Something a weak reference can point at, and that can sit in a cycle."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_settle_frees_a_stage_s_garbage_cycles() -> None:
    with stages() as settle:
        dead = _cycle()
        settle()
        assert dead() is None, "a cycle dropped during a stage must not be frozen for the rest of the build"


def test_settle_freezes_what_is_alive_and_the_block_unfreezes_it() -> None:
    keep = _Node()
    with stages() as settle:
        settle()
        assert gc.get_freeze_count() > 0
        assert keep.other is None
    assert gc.get_freeze_count() == 0
