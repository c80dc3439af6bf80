"""Incremental store writes: start from the last build's store and rewrite only the graphs that changed.

Each article's named graph is a pure function of its Article and ArticleConcepts records (and the
linkgraph version), so a fingerprint of those two records says whether the graph in the previous store
is still exactly what a full build would write. Changed article graphs and the site graphs (vocabulary,
analysis, build) are rewritten by diffing, since one edit leaves most of the analysis as it was.
The previous store is copied with pyoxigraph's backup (hard links to its immutable files), so the
previous OUT is never modified and a failed build leaves it intact.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pyoxigraph as ox

from graph import __version__, store
from graph.cache import CACHE_DIR, digest
from graph.iris import XSD
from graph.records import Article, ArticleConcepts

STATE_FILE = "graphs.json"
UPDATE_SHARE = 0.5
"""Above this share of article graphs to rewrite, a full load is cheaper than updating the old store."""
SMALL_LOAD = 10_000
"""Fewer new quads than this go in one transaction; more use the bulk loader (which writes new files)."""
XSD_DECIMAL = f"{XSD}decimal"


@dataclass(frozen=True)
class GraphState:
    """Which named graphs a store holds: article graphs with their fingerprints, and the site graphs."""

    articles: dict[str, str]
    site: tuple[str, ...]
    version: str = __version__

    def save(self, out: Path) -> None:
        """Write the state beside the build cache, so it is swapped in with the store it describes."""
        folder = out / CACHE_DIR
        folder.mkdir(parents=True, exist_ok=True)
        data = {"version": self.version, "site": list(self.site), "articles": self.articles}
        (folder / STATE_FILE).write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")

    @staticmethod
    def load(out: Path) -> GraphState | None:
        """The state a previous build saved, or None when missing, unreadable or from another version."""
        try:
            data = json.loads((out / CACHE_DIR / STATE_FILE).read_text(encoding="utf-8"))
            state = GraphState(dict(data["articles"]), tuple(data["site"]), str(data["version"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        ok = all(isinstance(k, str) and isinstance(v, str) for k, v in state.articles.items())
        return state if ok and state.version == __version__ else None


def fingerprints(articles: Sequence[Article], extracted: Mapping[str, ArticleConcepts]) -> dict[str, str]:
    """Page IRI -> hash of every record its graph is made from (reprs of frozen dataclasses are stable)."""
    parts: dict[str, list[str]] = {}
    for a in articles:
        parts.setdefault(a.url, []).append(f"{a!r}\0{extracted[a.url]!r}")
    return {url: digest(*p) for url, p in parts.items()}


@dataclass
class Update:
    """What an incremental store write did (for tests and progress)."""

    kept: int = 0
    replaced: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def worth_it(self, articles: int) -> bool:
        """True when few enough graphs change that updating beats loading everything again."""
        return len(self.replaced) + len(self.removed) <= UPDATE_SHARE * articles


def changed(old: GraphState, new: GraphState) -> Update:
    """Article graphs to rewrite (new or different) and to drop (gone from the corpus)."""
    replaced = [iri for iri, fp in new.articles.items() if old.articles.get(iri) != fp]
    removed = [iri for iri in old.articles if iri not in new.articles]
    return Update(len(new.articles) - len(replaced), replaced, removed)


def copy_previous(previous: Path, path: Path) -> bool:
    """Back the previous store up into `path` (hard links where possible); False if it cannot be read."""
    try:
        source = ox.Store.read_only(str(previous / store.STORE_DIR))
        source.backup(str(path))
    except OSError:
        shutil.rmtree(path, ignore_errors=True)
        return False
    del source
    return True


def update(db: ox.Store, plan: Update, old: GraphState, new: GraphState, quads: Iterable[ox.Quad],
           batch: int) -> bool:
    """Bring `db` to the graphs `new` describes: drop removed graphs and diff in the rewritten ones.

    `quads` holds every rewritten graph (changed articles and the site graphs), each graph's quads
    together. False means the store's graph names do not add up and it must not be used.
    """
    for iri in plan.removed:
        db.remove_graph(ox.NamedNode(iri))
    written: set[str] = set()
    for name, group in itertools.groupby(quads, key=lambda q: q.graph_name):
        assert isinstance(name, ox.NamedNode)
        _rewrite_graph(db, name, list(group), batch, extend_only=name.value in written)
        written.add(name.value)
    for iri in set(old.site) - written:
        db.remove_graph(ox.NamedNode(iri))
    db.flush()
    names = {g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode)}
    return names.issuperset(new.articles) and names.issubset({*new.articles, *new.site})


def _rewrite_graph(db: ox.Store, name: ox.NamedNode, quads: list[ox.Quad], batch: int, extend_only: bool) -> None:
    """Make graph `name` hold `quads`, touching only the quads that differ (most of the analysis stays).

    Stale quads go first, so a quad the store spells differently (it canonicalises literals) is removed
    and then added back rather than lost.
    """
    fresh = {_key(q): q for q in quads}
    if not extend_only:
        stale = [q for q in db.quads_for_pattern(None, None, None, name) if fresh.pop(_key(q), None) is None]
        for q in stale:
            db.remove(q)
    for part in store.batches(fresh.values(), batch):
        if len(part) > SMALL_LOAD:
            db.bulk_extend(part)
        else:
            db.extend(part)


def _key(q: ox.Quad) -> object:
    """A quad compared by value: decimals as numbers, since the store keeps "0.5000" as "0.5"."""
    o = q.object
    if isinstance(o, ox.Literal) and o.datatype.value == XSD_DECIMAL:
        try:
            return (q.subject, q.predicate, Decimal(o.value), q.graph_name)
        except InvalidOperation:
            return q
    return q
