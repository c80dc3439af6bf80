"""Fixed node positions for graphs too big for the browser's physics.

vis-network's own physics needs about 2 s for 500 nodes and grows faster than linearly, so above
PHYSICS_LIMIT nodes Python places them. networkx's spring layout takes seconds per thousand nodes,
so `force_layout` is a Fruchterman-Reingold layout whose repulsion comes from a random sample of
nodes each round (O(n * sample) per round instead of O(n^2)), vectorised with numpy and seeded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

PHYSICS_LIMIT = 500  # above this many nodes, Python places them and the browser runs no physics
ROUNDS = 100
SAMPLE = 128
SEED = 7
GRAVITY = 2.8

Json = dict[str, Any]


def place(nodes: list[Json], edges: Sequence[Json], skip: frozenset[str] = frozenset({"nav", "mentions"}),
          scale: float | None = None) -> None:
    """Give every node fixed x/y from the edges not of a kind in `skip`, within `scale` vis pixels of 0."""
    index = {node["id"]: i for i, node in enumerate(nodes)}
    kept = [e for e in edges if e["kind"] not in skip and e["from"] in index and e["to"] in index]
    pairs = [(index[e["from"]], index[e["to"]]) for e in kept]
    positions = force_layout(len(nodes), pairs, [float(e.get("weight", 1.0)) for e in kept])
    scale = scale or 40.0 * math.sqrt(max(1, len(nodes)))
    for node, (x, y) in zip(nodes, positions.tolist(), strict=True):
        node["x"], node["y"] = round(x * scale, 1), round(y * scale, 1)


def force_layout(n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float] | None = None,
                 rounds: int = ROUNDS, sample: int = SAMPLE, seed: int = SEED) -> np.ndarray:
    """Positions (n x 2, roughly within [-1, 1]) pulling linked nodes together and pushing all apart."""
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, (n, 2))
    if n < 2:
        return pos * 0.0
    ends = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    pull = np.asarray(weights if weights is not None else [1.0] * len(ends), dtype=float).reshape(-1)
    k = 2.0 / math.sqrt(n)  # ideal distance for n nodes spread over the 2 x 2 square
    for step in range(rounds):
        heat = 0.2 * (1.0 - step / rounds) + 0.005
        move = _repulsion(pos, k, rng.choice(n, size=min(sample, n), replace=False))
        move += _attraction(pos, ends, pull, k)
        move -= pos * GRAVITY  # balances the push on a lone node at about distance 1.2
        length = np.maximum(np.hypot(move[:, 0], move[:, 1]), 1e-9)
        pos += move * (np.minimum(length, heat) / length)[:, None]
    return _normalised(pos)


def _repulsion(pos: np.ndarray, k: float, sources: np.ndarray) -> np.ndarray:
    """Push of every node away from the sampled nodes, scaled up to stand for all n nodes."""
    picked = pos[sources]
    dx = np.subtract.outer(pos[:, 0], picked[:, 0])
    dy = np.subtract.outer(pos[:, 1], picked[:, 1])
    weight = dx * dx
    weight += dy * dy
    np.maximum(weight, 1e-6, out=weight)
    np.divide(k * k, weight, out=weight)
    push = np.stack([np.einsum("ij,ij->i", dx, weight), np.einsum("ij,ij->i", dy, weight)], axis=1)
    return push * (len(pos) / len(sources))


def _attraction(pos: np.ndarray, ends: np.ndarray, pull: np.ndarray, k: float) -> np.ndarray:
    """Springs along the edges, each end pulled towards the other by distance^2 / k."""
    move = np.zeros_like(pos)
    if not len(ends):
        return move
    delta = pos[ends[:, 0]] - pos[ends[:, 1]]
    force = delta * (np.hypot(delta[:, 0], delta[:, 1]) / k * pull)[:, None]
    for axis in (0, 1):
        move[:, axis] -= np.bincount(ends[:, 0], weights=force[:, axis], minlength=len(pos))
        move[:, axis] += np.bincount(ends[:, 1], weights=force[:, axis], minlength=len(pos))
    return move


def _normalised(pos: np.ndarray) -> np.ndarray:
    """Centred and scaled so the farthest node sits at distance 1."""
    pos = pos - pos.mean(axis=0)
    radius = float(np.hypot(pos[:, 0], pos[:, 1]).max())
    return pos / radius if radius > 0 else pos
