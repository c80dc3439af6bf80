"""store.create loads a stream of quads in bounded batches without losing or duplicating any."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph import store

G = ox.NamedNode("https://example.org/articles/a/")


def quads(n: int) -> Iterator[ox.Quad]:
    for i in range(n):
        yield ox.Quad(ox.NamedNode(f"https://example.org/s/{i}"), ox.NamedNode("https://example.org/p"),
                      ox.Literal(f"value {i}"), G)


@pytest.mark.parametrize("batch", [1, 2, 3, 7, 1000, 0])
def test_every_batch_size_loads_the_same_quads(tmp_path: Path, batch: int) -> None:
    db = store.create(tmp_path / "s", quads(7), batch)
    assert set(db) == set(quads(7))


def test_the_stream_is_read_once_in_order_to_its_end(tmp_path: Path) -> None:
    seen: list[int] = []

    def watched() -> Iterator[ox.Quad]:
        for i, q in enumerate(quads(10)):
            seen.append(i)
            yield q

    stream = watched()
    db = store.create(tmp_path / "s", stream, batch=4)
    assert len(db) == 10 and seen == list(range(10))
    assert next(stream, None) is None
