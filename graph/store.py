"""The embedded pyoxigraph store in OUT/store and its serialisations, chosen from one format table.

>>> Format.from_name("ttl").rdf
<RdfFormat Turtle>
>>> Format.from_name("application/n-quads").name
'nquads'
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.errors import UsageError

STORE_DIR = "store"
TRIG_FILE = "graph.trig"


@dataclass(frozen=True)
class Format:
    """An RDF serialisation: its CLI name, file extensions, media type and pyoxigraph format."""

    name: str
    extensions: tuple[str, ...]
    media_type: str
    rdf: ox.RdfFormat
    keeps_graphs: bool

    @staticmethod
    def from_name(key: str) -> Format:
        """Look a format up by name, extension or media type."""
        key = key.lower().lstrip(".")
        for f in FORMATS:
            if key == f.name or key in f.extensions or key == f.media_type:
                return f
        names = ", ".join(f.name for f in FORMATS)
        raise UsageError(f"unknown RDF format {key!r}; use one of {names}")


FORMATS = (
    Format("trig", ("trig",), "application/trig", ox.RdfFormat.TRIG, True),
    Format("nquads", ("nq",), "application/n-quads", ox.RdfFormat.N_QUADS, True),
    Format("turtle", ("ttl",), "text/turtle", ox.RdfFormat.TURTLE, False),
    Format("ntriples", ("nt",), "application/n-triples", ox.RdfFormat.N_TRIPLES, False),
    Format("rdfxml", ("rdf", "xml", "owl"), "application/rdf+xml", ox.RdfFormat.RDF_XML, False),
    Format("jsonld", ("jsonld", "json"), "application/ld+json", ox.RdfFormat.JSON_LD, False),
)


def create(path: Path, quads: Iterable[ox.Quad], batch: int = 250_000) -> ox.Store:
    """A new on-disk store at `path` filled by bulk loads of `batch` quads each.

    One bulk load of everything holds every quad in sorted buffers (1.7 GiB for 4.3M quads);
    batches bound that memory at the price of about a third more CPU.
    """
    store = ox.Store(str(path))
    for part in batches(quads, batch):
        store.bulk_extend(part)
    store.flush()
    return store


def batches(quads: Iterable[ox.Quad], size: int) -> Iterator[list[ox.Quad]]:
    """Consecutive lists of at most `size` quads (at least one), read lazily from `quads`."""
    stream = iter(quads)
    while part := list(itertools.islice(stream, max(size, 1))):
        yield part


def open_read_only(out: Path) -> ox.Store:
    """The store of a finished build, opened read-only; a clear error if there is none."""
    path = out / STORE_DIR
    if not path.is_dir():
        raise UsageError(f"no linkgraph build in {out} (run `linkgraph build` first)")
    try:
        return ox.Store.read_only(str(path))
    except OSError as exc:
        raise UsageError(f"cannot open the store in {out}: {exc}") from exc


def dump(store: ox.Store, path: Path, fmt: Format, prefixes: dict[str, str] | None = None) -> None:
    """Write the store; formats without graphs get the union of all graphs."""
    kwargs: dict[str, object] = {"format": fmt.rdf}
    if prefixes and fmt.rdf in (ox.RdfFormat.TRIG, ox.RdfFormat.TURTLE):
        kwargs["prefixes"] = prefixes
    if fmt.keeps_graphs:
        store.dump(str(path), **kwargs)  # type: ignore[arg-type]
        return
    triples = sorted({q.triple for q in store}, key=str)
    if fmt.name == "jsonld":
        write_jsonld(triples, path)
        return
    ox.serialize(triples, str(path), **kwargs)  # type: ignore[arg-type]


def write_jsonld(triples: Iterable[ox.Triple], path: Path) -> None:
    """Compact JSON-LD with linkgraph's own small context (prefixes only); no context is ever fetched."""
    from rdflib import Graph

    from graph.iris import PREFIXES

    graph = Graph()
    graph.parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")
    text = graph.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True)
    path.write_text(text, encoding="utf-8")
