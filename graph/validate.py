"""SHACL validation of a build: structural shapes (the model) and editorial rules (a strategist's).

pySHACL runs with SHACL-SPARQL (advanced=True), no inference and nothing fetched, on the union of
all of a build's graphs (the build graph included: editorial rules read the build date from it).
Severity decides what a finding means: sh:Violation = the output is malformed; sh:Warning and
sh:Info = editorial advice. `linkgraph validate` turns a report into an exit code with `exit_code`.

>>> exit_code(ValidationReport([Finding("https://a.example/x/", "DrugPageNamesItsClass", "m", "Info")]))
0
>>> exit_code(ValidationReport([Finding("https://a.example/x/", "DrugPageNamesItsClass", "m", "Info")]), strict=True)
1
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.plugins.sparql import prepareQuery
from rdflib.plugins.sparql.sparql import Query
from rdflib.query import Processor, Result
from rdflib.term import Identifier, Node

from graph import store
from graph.errors import InputError
from graph.iris import PREFIXES, XSD
from graph.shipped import data_dir

#: Severities from most to least serious, as SHACL names them.
SEVERITIES = ("Violation", "Warning", "Info")
CSV_COLUMNS = ("focus_node", "rule", "message", "severity")


@dataclass(frozen=True, order=True)
class Finding:
    """One validation result: the node it is about, the rule (shape) it breaks, and how much it matters."""

    focus: str
    rule: str
    message: str
    severity: str


@dataclass(frozen=True)
class ValidationReport:
    """All findings, most serious first. `conforms` is False only when there is a Violation."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def conforms(self) -> bool:
        """No structural violation (warnings and infos are editorial advice)."""
        return not self.count("Violation")

    def count(self, severity: str) -> int:
        """How many findings have this severity ('Violation', 'Warning' or 'Info')."""
        return sum(f.severity == severity for f in self.findings)


def exit_code(report: ValidationReport, strict: bool = False) -> int:
    """0 when only editorial findings (or none); 1 on a Violation, or on any finding under --strict."""
    return 1 if not report.conforms or (strict and report.findings) else 0


# --------------------------------------------------------------------------- shapes


def shipped_shapes_dir() -> Path:
    """The shapes folder that ships with linkgraph (data/shapes)."""
    return data_dir("shapes")


def shipped_shapes() -> list[Path]:
    """The structural and editorial shapes that come with linkgraph."""
    return sorted(shipped_shapes_dir().glob("*.ttl"))


def load_shapes(paths: Sequence[Path]) -> Graph:
    """All shapes files in one graph; a syntax error names the file. Nothing is fetched."""
    shapes = Graph()
    for prefix, namespace in PREFIXES.items():  # rule names use the project's prefixes (schema: is http)
        shapes.bind(prefix, namespace, override=True, replace=True)
    for path in paths:
        try:
            shapes.parse(path, format="turtle")
        except (OSError, SyntaxError, ValueError) as exc:  # rdflib's BadSyntax is a SyntaxError
            raise InputError(f"shapes {path}: {str(exc).splitlines()[0] if str(exc) else exc!r}") from exc
    return shapes


# --------------------------------------------------------------------------- data


class DataGraph(Graph):
    """An rdflib Graph that parses each distinct SPARQL text once.

    pySHACL sends the same SPARQL constraint text once per focus node, and parsing costs far more
    than evaluating; with the cache the sample validates in about a second instead of ten.
    """

    def query(self, query_object: str | Query, processor: str | Processor = "sparql",
              result: str | type[Result] = "sparql", initNs: Mapping[str, Any] | None = None,
              initBindings: Mapping[str, Identifier] | None = None,
              use_store_provided: bool = True, **kwargs: Any) -> Result:
        if isinstance(query_object, str):
            query_object = _prepared(query_object)
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


@functools.lru_cache(maxsize=512)
def _prepared(text: str) -> Query:
    return prepareQuery(text)


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.DefaultGraph | ox.Triple) -> Node:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value) if datatype == f"{XSD}string" else Literal(term.value, datatype=URIRef(datatype))
    raise InputError(f"cannot validate RDF-star term {term}")


def data_graph(quads: Iterable[ox.Quad]) -> DataGraph:
    """The union of the quads' graphs as one rdflib graph (plain strings stay plain)."""
    graph = DataGraph()
    for q in quads:
        graph.add((_term(q.subject), _term(q.predicate), _term(q.object)))
    return graph


def load_build(out: Path) -> DataGraph:
    """Every graph of the build in OUT, read from its store."""
    db = store.open_read_only(out)
    try:
        return data_graph(db)
    finally:
        del db


# --------------------------------------------------------------------------- validation


def validate(out: Path, shapes: Sequence[Path] | None = None) -> ValidationReport:
    """Validate the build in OUT against `shapes` (default: the shipped structural and editorial shapes)."""
    shapes_graph = load_shapes(shipped_shapes() if shapes is None else shapes)
    return validate_graph(load_build(out), shapes_graph)


def validate_graph(data: Graph, shapes: Graph) -> ValidationReport:
    """Run pySHACL on an already loaded data graph; `data` is not modified (no inference)."""
    _, results, _ = shacl_validate(data, shacl_graph=shapes, advanced=True, inference="none", inplace=True,
                                   allow_warnings=True, allow_infos=True)
    return report_from(results, shapes)


def report_from(results: Graph, shapes: Graph) -> ValidationReport:
    """Findings from a SHACL validation report graph, most serious first."""
    findings = {_finding(results, shapes, r) for r in results.subjects(SH.resultSeverity, None)}
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    return ValidationReport(sorted(findings, key=lambda f: (rank.get(f.severity, 9), f.rule, f.focus, f.message)))


def _finding(results: Graph, shapes: Graph, result: Node) -> Finding:
    focus = results.value(result, SH.focusNode)
    severity = results.value(result, SH.resultSeverity)
    return Finding(
        focus=str(focus),
        rule=_rule(results.value(result, SH.sourceShape), shapes),
        message=_message(results, result, focus),
        severity=str(severity).rsplit("#", 1)[-1],
    )


def _local(node: Node | None) -> str:
    text = str(node)
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1] or text


def _rule(shape: Node | None, shapes: Graph) -> str:
    """A named shape's local name; for an anonymous property shape, its node shape and path."""
    if not isinstance(shape, BNode):
        return _local(shape)
    parent = shapes.value(None, SH.property, shape)
    return f"{_local(parent)}/{_path_text(shapes.value(shape, SH.path), shapes)}"


def _path_text(path: Node | None, shapes: Graph) -> str:
    if isinstance(path, URIRef):
        return path.n3(shapes.namespace_manager)
    inverse = shapes.value(path, SH.inversePath) if path is not None else None
    return f"^{_path_text(inverse, shapes)}" if inverse is not None else "path"


def _message(results: Graph, result: Node, focus: Node | None) -> str:
    text = "; ".join(sorted(str(m) for m in results.objects(result, SH.resultMessage))) or "constraint not met"
    value = results.value(result, SH.value)
    if value is not None and value != focus and str(value) not in text:
        text = f"{text} (value: {value})"
    return text


# --------------------------------------------------------------------------- output


def write_validation_csv(report: ValidationReport, folder: Path) -> None:
    """reports/validation.csv: one row per finding, most serious first (see docs/reports.md)."""
    from graph.reports import write_csv

    folder.mkdir(parents=True, exist_ok=True)
    write_csv(folder, "validation.csv", ((f.focus, f.rule, f.message, f.severity) for f in report.findings))


# --------------------------------------------------------------------------- fast checks during a build


def sparql_constraints(shapes: Graph) -> Iterator[tuple[str, str, str, str]]:
    """(rule, severity, message template, SELECT) for every SHACL-SPARQL constraint in `shapes`."""
    for shape, constraint in shapes.subject_objects(SH.sparql):
        select = shapes.value(constraint, SH.select)
        if select is None:
            continue
        severity = shapes.value(shape, SH.severity) or SH.Violation
        message = shapes.value(constraint, SH.message) or ""
        yield _local(shape), _local(severity), str(message), str(select)


_PLACEHOLDER = re.compile(r"\{[?$](\w+)\}")


def editorial_report(db: ox.Store, shapes: Graph) -> ValidationReport:
    """The SHACL-SPARQL rules run as plain SPARQL on the store: seconds at any size, for every build.

    Each rule's SELECT binds $this itself (pages about a condition, ...), so running it over the whole
    store gives the same focus nodes pySHACL would; the full `validate` command stays the reference.
    """
    findings = set()
    for rule, severity, template, select in sparql_constraints(shapes):
        results = db.query(select, prefixes=PREFIXES, use_default_graph_as_union=True)
        variables = {v.value for v in results.variables}  # type: ignore[union-attr]
        for row in results:  # type: ignore[union-attr]
            if row["this"] is not None:
                findings.add(Finding(row["this"].value, rule, _message_for(template, row, variables), severity))
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    return ValidationReport(sorted(findings, key=lambda f: (rank.get(f.severity, 9), f.rule, f.focus, f.message)))


def _message_for(template: str, row: ox.QuerySolution, variables: set[str]) -> str:
    """A SHACL message with {?var} / {$var} replaced by the row's values."""
    def value(match: re.Match[str]) -> str:
        term = row[match.group(1)] if match.group(1) in variables else None
        return term.value if term is not None else ""

    text = _PLACEHOLDER.sub(value, template)
    found = row["value"] if "value" in variables else None
    if found is not None and found != row["this"] and found.value not in text:
        text = f"{text} (value: {found.value})"  # the same suffix pySHACL's report gets in _message
    return text


def editorial_shapes() -> list[Path]:
    """The shipped editorial rules (their SELECTs bind $this themselves, so they run as plain SPARQL)."""
    return [p for p in shipped_shapes() if p.name == "editorial.ttl"]
