"""What changed between two builds: pages, links, link suggestions and concept tags, added and removed.

Both builds are read from their stores (the source of truth; reports lack concept IRIs and the href
of unresolved links). Each kind of fact has an identity; a fact whose identity is in one build only
is a change. Details outside the identity (a page's title, a suggestion's anchor) are shown, not compared.

>>> Change("added", "link", "https://a.example/x/", "https://a.example/y/", "body").row()[:2]
('added', 'link')
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph import store
from graph.errors import UsageError
from graph.iris import PREFIXES
from graph.outdir import MANIFEST
from graph.reports import safe_cell

DIFF_FILE = "diff.csv"
COLUMNS = ("change", "what", "source", "target", "detail")
CHANGES = ("added", "removed")


@dataclass(frozen=True)
class Kind:
    """One kind of fact: its SPARQL (?s ?t ?d over the build) and whether ?d is part of its identity."""

    what: str
    label: str
    sparql: str
    detail_is_identity: bool


#: In diff.csv order. Links: target is the link's target IRI, or the href (else anchor) when unresolved.
KINDS = (
    Kind("page", "page", """SELECT ?s ("" AS ?t) ?d WHERE {
        GRAPH ?s { ?s a schema:MedicalWebPage ; schema:name ?d } }""", False),
    Kind("link", "link", """SELECT ?s ?t ?d WHERE { GRAPH ?s { ?s a schema:MedicalWebPage ; lg:link ?l .
        ?l lg:kind ?d ; lg:anchorText ?a . OPTIONAL { ?l lg:target ?to } OPTIONAL { ?l lg:href ?h }
        BIND (COALESCE(STR(?to), ?h, ?a) AS ?t) } }""", True),
    Kind("gap", "link suggestion", """SELECT ?s ?t ?d WHERE { GRAPH ?g { ?x a lg:LinkSuggestion ;
        lg:source ?s ; lg:target ?t ; lg:anchorText ?d } }""", False),
    Kind("concept", "concept tag", """SELECT ?s ?t ?d WHERE { GRAPH ?s { ?s a schema:MedicalWebPage .
        { ?s schema:about ?t BIND ("about" AS ?d) } UNION { ?s schema:mentions ?t BIND ("mentions" AS ?d) } } }""",
         True),
)
_ORDER = {k.what: i for i, k in enumerate(KINDS)}


@dataclass(frozen=True)
class Change:
    """One row of diff.csv."""

    change: str
    what: str
    source: str
    target: str
    detail: str

    def row(self) -> tuple[str, str, str, str, str]:
        return (self.change, self.what, self.source, self.target, self.detail)

    def sort_key(self) -> tuple[int, str, str, str, int]:
        """Kind (page, link, gap, concept), then source, target, detail, added before removed."""
        return (_ORDER[self.what], self.source, self.target, self.detail, CHANGES.index(self.change))


@dataclass(frozen=True)
class BuildDiff:
    """The changes from the build in `old` to the build in `new`, sorted."""

    old: Path
    new: Path
    changes: tuple[Change, ...]

    def count(self, what: str, change: str) -> int:
        return sum(1 for c in self.changes if c.what == what and c.change == change)

    def summary(self) -> str:
        """A few lines for the terminal, one per kind of fact."""
        if not self.changes:
            return "No changes: pages, links, link suggestions and concept tags are the same."
        return "\n".join(f"{_plural(self.count(k.what, 'added'), k.label)} added, "
                         f"{self.count(k.what, 'removed')} removed" for k in KINDS)


def _plural(n: int, label: str) -> str:
    return f"{n} {label}" + ("" if n == 1 else "s")


def diff_builds(old: Path, new: Path) -> BuildDiff:
    """Compare two build folders."""
    before, after = _facts(open_build(old)), _facts(open_build(new))
    changes = [Change("removed", *before[key]) for key in before.keys() - after.keys()]
    changes += [Change("added", *after[key]) for key in after.keys() - before.keys()]
    return BuildDiff(old, new, tuple(sorted(changes, key=Change.sort_key)))


def open_build(out: Path) -> ox.Store:
    """The store of a build folder, read-only; UsageError when the folder is not a build."""
    if not (out / MANIFEST).is_file():
        raise UsageError(f"{out} is not a linkgraph build (no {MANIFEST}); run `linkgraph build` first")
    return store.open_read_only(out)


Fact = tuple[str, str, str, str]


def _facts(db: ox.Store) -> dict[Fact, Fact]:
    """Identity -> (what, source, target, detail) for every fact of every kind in one build."""
    facts: dict[Fact, Fact] = {}
    for kind in KINDS:
        for s, t, d in _rows(db, kind.sparql):
            facts[(kind.what, s, t, d if kind.detail_is_identity else "")] = (kind.what, s, t, d)
    return facts


def _rows(db: ox.Store, sparql: str) -> Iterator[tuple[str, str, str]]:
    solutions = db.query(sparql, prefixes=PREFIXES)
    assert isinstance(solutions, ox.QuerySolutions)
    for sol in solutions:
        s, t, d = (sol[i] for i in range(3))
        yield (s.value if s else "", t.value if t else "", d.value if d else "")


def write_diff(diff: BuildDiff, folder: Path) -> Path:
    """Write FOLDER/diff.csv (same conventions as the reports) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DIFF_FILE
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([safe_cell(v) for v in c.row()] for c in diff.changes)
    return path
