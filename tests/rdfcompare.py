"""Compare RDF datasets graph by graph with rdflib's isomorphism, leaving the build graph out."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
from rdflib import Dataset, Graph
from rdflib.compare import isomorphic, to_isomorphic

from graph.store import open_read_only

BUILD_SUFFIX = "/build"


def named_graphs(path: Path, fmt: str = "trig") -> dict[str, Graph]:
    """Each named graph of a TriG/N-Quads file, or of a build's store (`path` is OUT), as a plain Graph,
    the build graph excluded."""
    ds = Dataset()
    if path.is_dir():
        ds.parse(data=store_nquads(path), format="nquads")
    else:
        ds.parse(path, format=fmt)
    graphs: dict[str, Graph] = {}
    for s, p, o, g in ds.quads((None, None, None, None)):
        name = str(g.identifier if hasattr(g, "identifier") else g)
        if name.endswith(BUILD_SUFFIX):
            continue
        graphs.setdefault(name, Graph()).add((s, p, o))
    return graphs


def store_nquads(out: Path) -> bytes:
    """Every quad of OUT/store as N-Quads."""
    return open_read_only(out).dump(format=ox.RdfFormat.N_QUADS) or b""


def assert_same_graphs(a: Path, b: Path) -> None:
    """Same graph names and, in each, isomorphic triples (blank nodes compared structurally)."""
    ga, gb = named_graphs(a), named_graphs(b)
    assert sorted(ga) == sorted(gb)
    differing = [name for name in ga if not isomorphic(to_isomorphic(ga[name]), to_isomorphic(gb[name]))]
    assert differing == []
