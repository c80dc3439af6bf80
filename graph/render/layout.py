"""Fixed node positions for graphs too big for the browser's physics.

vis-network's own physics needs about 2 s for 500 nodes and grows faster than linearly, so above
PHYSICS_LIMIT nodes Python places them. networkx's spring layout takes seconds per thousand nodes,
so `force_layout` is a Fruchterman-Reingold layout whose repulsion comes from a random sample of
nodes each round (O(n * sample) per round instead of O(n^2)), vectorised with numpy and seeded.
A `LayoutCache` keeps the positions of each graph laid out, keyed by everything the layout reads,
so a rebuild whose cluster did not change reuses them instead of running the rounds again.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graph import __version__
from graph.cache import CACHE_DIR

PHYSICS_LIMIT = 500  # above this many nodes, Python places them and the browser runs no physics
ROUNDS = 100
SAMPLE = 128
SEED = 7
GRAVITY = 2.8
LAYOUT_FILE = "layouts.json"  # inside OUT/cache, beside the build cache

Json = dict[str, Any]


class LayoutCache:
    """Positions of the graphs an earlier build laid out, and of those this build lays out.

    A key hashes the layout's every input (node count, edges, weights, the constants and the
    linkgraph version), so a hit is exactly what `force_layout` would return.
    """

    def __init__(self, previous: Path | None = None) -> None:
        """`previous` is an earlier build's output folder (None: start empty)."""
        self.old = _load(previous / CACHE_DIR / LAYOUT_FILE) if previous is not None else {}
        self.new: dict[str, list[list[float]]] = {}
        self.hits = 0

    def layout(self, n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float]) -> np.ndarray:
        """`force_layout(n, pairs, weights)`, from the cache when an earlier build computed it."""
        key = layout_key(n, pairs, weights)
        found = self.old.get(key)
        if _fits(found, n):
            self.hits += 1
            positions = np.asarray(found, dtype=float).reshape(n, 2)
        else:
            positions = force_layout(n, pairs, weights)
        self.new[key] = positions.tolist()
        return positions

    def save(self, out: Path) -> None:
        """Write the layouts this build used into OUT/cache (others drop out, as in the build cache)."""
        folder = out / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / LAYOUT_FILE).write_text(json.dumps(self.new, separators=(",", ":")), encoding="utf-8")


def layout_key(n: int, pairs: Sequence[tuple[int, int]], weights: Sequence[float]) -> str:
    """A hash of everything `force_layout` reads."""
    text = json.dumps([__version__, ROUNDS, SAMPLE, SEED, GRAVITY, n, pairs, weights], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _load(path: Path) -> Mapping[str, Any]:
    """The cache file, or empty when missing or unreadable (a cache is never worth failing a build)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _fits(found: object, n: int) -> bool:
    """True for a list of n [x, y] pairs of numbers: a damaged cache entry is recomputed, not used."""
    return (isinstance(found, list) and len(found) == n
            and all(isinstance(p, list) and len(p) == 2 and all(type(v) is float for v in p) for p in found))


def place(nodes: list[Json], edges: Sequence[Json], skip: frozenset[str] = frozenset({"nav", "mentions"}),
          scale: float | None = None, cache: LayoutCache | None = None) -> None:
    """Give every node fixed x/y from the edges not of a kind in `skip`, within `scale` vis pixels of 0."""
    index = {node["id"]: i for i, node in enumerate(nodes)}
    kept = [e for e in edges if e["kind"] not in skip and e["from"] in index and e["to"] in index]
    pairs = [(index[e["from"]], index[e["to"]]) for e in kept]
    weights = [float(e.get("weight", 1.0)) for e in kept]
    positions = cache.layout(len(nodes), pairs, weights) if cache else force_layout(len(nodes), pairs, weights)
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
    work = _Scratch(n, min(sample, n))
    for step in range(rounds):
        heat = 0.2 * (1.0 - step / rounds) + 0.005
        move = _repulsion(pos, k, rng.choice(n, size=min(sample, n), replace=False), work)
        move += _attraction(pos, ends, pull, k)
        move -= pos * GRAVITY  # balances the push on a lone node at about distance 1.2
        length = np.maximum(np.hypot(move[:, 0], move[:, 1]), 1e-9)
        pos += move * (np.minimum(length, heat) / length)[:, None]
    return _normalised(pos)


class _Scratch:
    """The n x sample arrays one repulsion round works in, allocated once per layout, not per round."""

    def __init__(self, n: int, sample: int) -> None:
        self.dx, self.dy, self.weight, self.tmp = (np.empty((n, sample)) for _ in range(4))


def _repulsion(pos: np.ndarray, k: float, sources: np.ndarray, work: _Scratch | None = None) -> np.ndarray:
    """Push of every node away from the sampled nodes, scaled up to stand for all n nodes."""
    work = work or _Scratch(len(pos), len(sources))
    dx, dy, weight = work.dx, work.dy, work.weight
    picked = pos[sources]
    np.subtract(pos[:, :1], picked[:, 0], out=dx)
    np.subtract(pos[:, 1:], picked[:, 1], out=dy)
    np.multiply(dx, dx, out=weight)
    weight += np.multiply(dy, dy, out=work.tmp)
    np.maximum(weight, 1e-6, out=weight)
    np.divide(k * k, weight, out=weight)
    push = np.empty_like(pos)
    np.einsum("ij,ij->i", dx, weight, out=push[:, 0])
    np.einsum("ij,ij->i", dy, weight, out=push[:, 1])
    push *= len(pos) / len(sources)
    return push


def _attraction(pos: np.ndarray, ends: np.ndarray, pull: np.ndarray, k: float) -> np.ndarray:
    """Springs along the edges, each end pulled towards the other by distance^2 / k."""
    if not len(ends):
        return np.zeros_like(pos)
    delta = pos[ends[:, 0]] - pos[ends[:, 1]]
    force = delta * (np.hypot(delta[:, 0], delta[:, 1]) / k * pull)[:, None]
    move = np.empty_like(pos)
    for axis in (0, 1):
        into = np.bincount(ends[:, 1], weights=force[:, axis], minlength=len(pos))
        move[:, axis] = into - np.bincount(ends[:, 0], weights=force[:, axis], minlength=len(pos))
    return move


def _normalised(pos: np.ndarray) -> np.ndarray:
    """Centred and scaled so the farthest node sits at distance 1."""
    pos = pos - pos.mean(axis=0)
    radius = float(np.hypot(pos[:, 0], pos[:, 1]).max())
    return pos / radius if radius > 0 else pos
