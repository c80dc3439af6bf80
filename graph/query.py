"""SPARQL over a linkgraph build: guard the query, evaluate it in a killable worker, format it.

pyoxigraph cannot cancel a running query, so every query runs in its own spawned process that
the caller can kill at the deadline. The guard works on rdflib's parse tree (never on regexes):
updates, SERVICE (pyoxigraph would really fetch it) and FROM graphs outside the build are refused
before a worker starts. A pool of warm workers would save the ~0.3 s process start; not yet needed.

>>> check_query("SELECT ?page WHERE { ?page a schema:MedicalWebPage }")
<QueryForm.SELECT: 'SELECT'>
"""

from __future__ import annotations

import difflib
import itertools
import json
import multiprocessing
import re
import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeAlias

import pyoxigraph as ox

from graph.errors import LinkgraphError, QueryRefused, QuerySyntaxError, QueryTimeout, UsageError

Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple

PREFIXES: dict[str, str] = {
    "schema": "http://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "lg": "https://w3id.org/linkgraph/ns#",
    "lgc": "https://w3id.org/linkgraph/concept/",
}

RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("table", "turtle", "ntriples", "rdfxml", "jsonld")
PARAM_TYPES = ("iri", "literal", "concept")

_XSD_STRING = PREFIXES["xsd"] + "string"
_STARTUP_SECONDS = 60.0  # spawning the worker and opening the store; not part of the query budget
_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")  # SPARQL codepoint escapes
_PARSE_LOCK = threading.Lock()  # rdflib's pyparsing grammar is shared, mutable state


class QueryForm(StrEnum):
    """The four SPARQL query forms; updates never get this far."""

    SELECT = "SELECT"
    ASK = "ASK"
    CONSTRUCT = "CONSTRUCT"
    DESCRIBE = "DESCRIBE"

    @property
    def is_graph(self) -> bool:
        """CONSTRUCT and DESCRIBE answer with triples, the others with a table or a boolean."""
        return self in (QueryForm.CONSTRUCT, QueryForm.DESCRIBE)


@dataclass(frozen=True)
class QueryResult:
    """A finished query: rows for SELECT, triples for CONSTRUCT/DESCRIBE, boolean for ASK."""

    form: QueryForm
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Term | None, ...], ...] = ()
    triples: tuple[ox.Triple, ...] = ()
    boolean: bool | None = None
    truncated: bool = False

    def column(self, name: str) -> list[Term | None]:
        """All values of one variable, in row order (handy for callers and tests)."""
        index = self.variables.index(name)
        return [row[index] for row in self.rows]


# --------------------------------------------------------------------------- guard


@dataclass(frozen=True)
class _Checked:
    form: QueryForm
    has_dataset: bool


_FORMS = {
    "SelectQuery": QueryForm.SELECT,
    "AskQuery": QueryForm.ASK,
    "ConstructQuery": QueryForm.CONSTRUCT,
    "DescribeQuery": QueryForm.DESCRIBE,
}


def check_query(text: str, local_graphs: Collection[str] = frozenset()) -> QueryForm:
    """Refuse what a read-only local endpoint must not run; return the query form.

    FROM / FROM NAMED may only name graphs in `local_graphs` (the build's named graphs).
    """
    return _inspect(text, local_graphs).form


def _inspect(text: str, local_graphs: Collection[str]) -> _Checked:
    prologue, query = _parse(text)
    if any(node.name == "ServiceGraphPattern" for node in _walk(query)):
        raise QueryRefused("SERVICE (remote queries) is not allowed")
    prefixes = {**PREFIXES, **_declared_prefixes(prologue)}
    graphs = list(_dataset_iris(query, prefixes))
    for iri in graphs:
        if iri not in local_graphs:
            raise QueryRefused(f"FROM <{iri}>: no such graph in this build")
    return _Checked(_FORMS[query.name], bool(graphs))


def _parse(text: str) -> tuple[Any, Any]:
    """rdflib parse tree of a query; an update is refused, anything else unparsable is a syntax error.

    The guard is only as good as rdflib's view matching oxigraph's, so two rdflib habits are
    undone. rdflib expands \\uXXXX escapes before parsing, oxigraph only inside strings and IRIs:
    `"\\u0022"` would open a long string for rdflib and hide what follows. So each escape becomes
    a plain letter here, which keeps every token boundary where oxigraph sees it. And rdflib
    ends comments only at LF, oxigraph also at CR (`# x<CR>SERVICE ...`).
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql.parser import Query, UpdateUnit

    view = _ESCAPE.sub("x", text).replace("\r\n", "\n").replace("\r", "\n")
    with _PARSE_LOCK:
        try:
            tree = Query.parse_string(view, parse_all=True)
            return tree[0], tree[1]
        except RecursionError:
            raise QuerySyntaxError("SPARQL syntax error: the query nests too deeply") from None
        except ParseBaseException as exc:
            query_error = exc
        try:
            update = UpdateUnit.parse_string(view, parse_all=True)[0]
        except (ParseBaseException, RecursionError):
            raise QuerySyntaxError(f"SPARQL syntax error: {query_error}") from None
    if not _get(update, "request"):
        raise QuerySyntaxError("empty query")
    raise QueryRefused("updates (INSERT, DELETE, LOAD, CLEAR, DROP, ...) are not allowed")


def _walk(root: Any) -> Iterator[Any]:
    """Every CompValue node below root, iteratively (parse trees of big queries are deep)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, CompValue):
            yield node
            stack.extend(dict.values(node))
        elif isinstance(node, list | tuple | ParseResults):
            stack.extend(node)


def _get(node: Any, key: str) -> Any:
    """A child of a parse-tree node, or None (CompValue.get would return the key itself)."""
    return dict.get(node, key) if isinstance(node, dict) else None


def _declared_prefixes(prologue: Any) -> dict[str, str]:
    return {
        str(_get(decl, "prefix") or ""): str(_get(decl, "iri"))
        for decl in prologue
        if getattr(decl, "name", "") == "PrefixDecl"
    }


def _dataset_iris(query: Any, prefixes: Mapping[str, str]) -> Iterator[str]:
    for clause in _get(query, "datasetClause") or []:
        iri = _get(clause, "default") or _get(clause, "named")
        yield _expand(iri, prefixes)


def _expand(iri: Any, prefixes: Mapping[str, str]) -> str:
    """A FROM IRI as text; prefixed names are expanded with the query's and our prefixes."""
    if getattr(iri, "name", "") != "pname":
        return str(iri)
    prefix = str(_get(iri, "prefix") or "")
    if prefix not in prefixes:
        raise QuerySyntaxError(f"SPARQL syntax error: undeclared prefix {prefix}:")
    return prefixes[prefix] + str(_get(iri, "localname") or "")


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class _Job:
    """Everything the worker needs; pickled to the spawned process."""

    store: str
    text: str
    form: QueryForm
    max_rows: int
    union: bool
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    substitutions: tuple[tuple[str, Term], ...] = field(default=())


def store_graphs(store_path: Path) -> frozenset[str]:
    """IRIs of the named graphs in a build's store (what FROM may name)."""
    try:
        store = ox.Store.read_only(str(store_path))
    except OSError as exc:
        raise UsageError(f"cannot open the store in {store_path.name}/: run `linkgraph build`") from exc
    return frozenset(g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode))


def run_query(
    store_path: Path,
    text: str,
    *,
    timeout: float,
    max_rows: int,
    default_graphs: Sequence[str] | None = None,
    named_graphs: Sequence[str] | None = None,
    bindings: Mapping[str, str | Term] | None = None,
    local_graphs: Collection[str] | None = None,
) -> QueryResult:
    """Guard and run one query against a build's store, in a worker killed after `timeout` s.

    Without a dataset (FROM, default_graphs, named_graphs) the default graph is the union of all
    graphs. `bindings` substitute variables (a str becomes a plain literal), never text.
    `local_graphs` saves reopening the store to list its graphs (the server passes it).
    """
    graphs = store_graphs(store_path) if local_graphs is None else local_graphs
    checked = _inspect(text, graphs)
    _check_dataset(default_graphs, named_graphs, graphs)
    explicit = default_graphs is not None or named_graphs is not None
    job = _Job(
        store=str(store_path),
        text=text,
        form=checked.form,
        max_rows=max_rows,
        union=not (explicit or checked.has_dataset),
        default_graphs=None if default_graphs is None else tuple(default_graphs),
        named_graphs=None if named_graphs is None else tuple(named_graphs),
        substitutions=tuple((k, _as_term(v)) for k, v in (bindings or {}).items()),
    )
    return _run_in_worker(job, timeout)


def _check_dataset(
    default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None, local: Collection[str]
) -> None:
    for iri in [*(default_graphs or ()), *(named_graphs or ())]:
        if iri not in local:
            raise QueryRefused(f"graph <{iri}>: no such graph in this build")


def _as_term(value: str | Term) -> Term:
    return ox.Literal(value) if isinstance(value, str) else value


def _run_in_worker(job: _Job, timeout: float) -> QueryResult:
    """Start a worker, wait for it to open the store, then give the query `timeout` seconds."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_worker_main, args=(sender, job), daemon=True)
    process.start()
    sender.close()
    finished = False
    try:
        message = _receive(receiver, _STARTUP_SECONDS, "the query worker did not start")
        if message[0] == "ready":
            message = _receive(receiver, timeout, None)
        finished = True
        return _unpack(message)
    finally:
        _stop(process, graceful=finished)
        receiver.close()


def _receive(conn: Connection, seconds: float, late: str | None) -> tuple[Any, ...]:
    """Next worker message; `late` None means running out of time is the query's fault."""
    if not conn.poll(max(seconds, 0.0)):
        if late is None:
            raise QueryTimeout(f"query stopped after {seconds:g} s (query_timeout)")
        raise LinkgraphError(late)
    try:
        message: tuple[Any, ...] = conn.recv()
    except EOFError:
        raise LinkgraphError("the query worker stopped unexpectedly") from None
    return message


def _stop(process: BaseProcess, *, graceful: bool) -> None:
    """Let a finished worker exit; kill a late or stuck one and reap it either way."""
    if graceful:
        process.join(5.0)
    if process.is_alive():
        process.kill()
    process.join()


def _unpack(message: tuple[Any, ...]) -> QueryResult:
    kind, payload = message
    errors: dict[str, type[LinkgraphError]] = {
        "syntax": QuerySyntaxError,
        "usage": UsageError,
        "internal": LinkgraphError,
    }
    if kind in errors:
        raise errors[kind](payload)
    result: QueryResult = payload
    return result


def _worker_main(conn: Connection, job: _Job) -> None:
    """Worker process body: open the store read-only, run the query, send one message back."""
    try:
        store = ox.Store.read_only(job.store)
        conn.send(("ready", None))
        conn.send(("ok", _evaluate(store, job)))
    except SyntaxError as exc:
        conn.send(("syntax", "SPARQL syntax error: " + _first_line(exc)))
    except (RuntimeError, ValueError, TypeError) as exc:
        conn.send(("usage", _first_line(exc)))
    except OSError as exc:
        conn.send(("internal", _first_line(exc).replace(job.store, "<store>")))
    finally:
        conn.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:300]


def _evaluate(store: ox.Store, job: _Job) -> QueryResult:
    results = store.query(
        job.text,
        prefixes=PREFIXES,
        use_default_graph_as_union=job.union,
        default_graph=_nodes(job.default_graphs),
        named_graphs=_nodes(job.named_graphs),
        substitutions={ox.Variable(name): term for name, term in job.substitutions} or None,
    )
    if isinstance(results, ox.QueryBoolean):
        return QueryResult(QueryForm.ASK, boolean=bool(results))
    if isinstance(results, ox.QuerySolutions):
        variables = tuple(v.value for v in results.variables)
        rows, cut = _take((tuple(solution) for solution in results), job.max_rows)
        return QueryResult(job.form, variables=variables, rows=tuple(rows), truncated=cut)
    triples, cut = _take(results, job.max_rows)
    return QueryResult(job.form, triples=tuple(triples), truncated=cut)


def _nodes(iris: Iterable[str] | None) -> list[Any] | None:
    """Graph IRIs as nodes for pyoxigraph's dataset arguments; None keeps its default."""
    return None if iris is None else [ox.NamedNode(iri) for iri in iris]


def _take(items: Iterable[Any], limit: int) -> tuple[list[Any], bool]:
    """At most `limit` items, and whether more were there (the row cap)."""
    taken = list(itertools.islice(items, limit + 1))
    return taken[:limit], len(taken) > limit


# --------------------------------------------------------------------------- named queries


@dataclass(frozen=True)
class QueryParam:
    """One `# param: name type description` line of a named query."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class NamedQuery:
    """A shipped query file graph/queries/NAME.rq with its comment header."""

    name: str
    title: str
    description: str
    params: tuple[QueryParam, ...]
    text: str


def list_queries() -> list[NamedQuery]:
    """Every shipped named query, sorted by name."""
    return [_load_file(path) for path in _query_files()]


def load_query(name: str) -> NamedQuery:
    """One named query; an unknown name is a usage error that suggests close names."""
    files = {path.name.removesuffix(".rq"): path for path in _query_files()}
    if name not in files:
        close = difflib.get_close_matches(name, list(files), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(files)}"
        raise UsageError(f"no named query {name!r}{hint}")
    return _load_file(files[name])


def _query_files() -> list[Any]:
    folder = resources.files("graph.queries")
    return sorted((p for p in folder.iterdir() if p.name.endswith(".rq")), key=lambda p: p.name)


def _load_file(path: Any) -> NamedQuery:
    name = path.name.removesuffix(".rq")
    text = path.read_text(encoding="utf-8")
    header = _header(text)
    params = tuple(_param(name, line) for line in header.get("param", []))
    return NamedQuery(
        name=name,
        title=" ".join(header.get("title", [name])),
        description=" ".join(header.get("description", [])),
        params=params,
        text=text,
    )


def _header(text: str) -> dict[str, list[str]]:
    """The `# key: value` comment lines at the top of a query file, grouped by key."""
    header: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        key, sep, value = line.lstrip("#").partition(":")
        if sep:
            header.setdefault(key.strip().lower(), []).append(value.strip())
    return header


def _param(query: str, line: str) -> QueryParam:
    parts = line.split(None, 2)
    if len(parts) < 2 or parts[1] not in PARAM_TYPES:
        raise LinkgraphError(f"named query {query}: bad param line {line!r}")
    return QueryParam(parts[0], parts[1], parts[2] if len(parts) > 2 else "")


def run_named_query(
    store_path: Path,
    name: str,
    params: Mapping[str, str],
    *,
    timeout: float,
    max_rows: int,
    local_graphs: Collection[str] | None = None,
) -> QueryResult:
    """Run a named query with its parameters bound as RDF terms (never pasted into the text)."""
    query = load_query(name)
    graphs = store_graphs(store_path) if local_graphs is None else local_graphs
    budget = _Budget(store_path, timeout, graphs)
    bindings = _bind(query, params, budget)
    return run_query(
        store_path, query.text, timeout=timeout, max_rows=max_rows, bindings=bindings,
        local_graphs=graphs,
    )


@dataclass(frozen=True)
class _Budget:
    """What a helper lookup query needs to run like the main one."""

    store_path: Path
    timeout: float
    graphs: Collection[str]


def _bind(query: NamedQuery, params: Mapping[str, str], budget: _Budget) -> dict[str, Term]:
    expected = {p.name for p in query.params}
    unknown = sorted(set(params) - expected)
    if unknown:
        wanted = ", ".join(sorted(expected)) or "none"
        raise UsageError(f"{query.name}: unknown parameter(s) {', '.join(unknown)}; takes: {wanted}")
    missing = [p.name for p in query.params if p.name not in params]
    if missing:
        raise UsageError(f"{query.name}: missing parameter(s) {', '.join(missing)}")
    return {p.name: _convert(p, params[p.name], budget) for p in query.params}


def _convert(param: QueryParam, value: str, budget: _Budget) -> Term:
    if param.type == "literal":
        return ox.Literal(value)
    if param.type == "iri" or _looks_like_iri(value):
        return to_iri(value, what=param.name)
    return resolve_concept(value, budget)


def _looks_like_iri(value: str) -> bool:
    scheme, sep, _ = value.partition(":")
    return bool(sep) and (scheme in PREFIXES or scheme in ("http", "https", "urn"))


def to_iri(value: str, *, what: str = "value") -> ox.NamedNode:
    """An IRI from user text; `lgc:back-pain` style names use the predeclared prefixes.

    >>> to_iri("lgc:back-pain").value
    'https://w3id.org/linkgraph/concept/back-pain'
    """
    prefix, sep, local = value.strip().partition(":")
    text = PREFIXES[prefix] + local if sep and prefix in PREFIXES else value.strip()
    try:
        return ox.NamedNode(text)
    except ValueError:
        raise UsageError(f"{what}: not an absolute IRI: {value!r}") from None


_CONCEPT_LOOKUP = """
SELECT DISTINCT ?concept ?preferred ?label WHERE {
  ?concept a skos:Concept .
  { ?concept skos:prefLabel ?text BIND(true AS ?preferred) }
  UNION { ?concept skos:altLabel ?text BIND(false AS ?preferred) }
  FILTER(LCASE(STR(?text)) = LCASE(STR(?label)))
}
"""


def resolve_concept(label: str, budget: _Budget) -> ox.NamedNode:
    """The concept whose prefLabel (else altLabel) is `label`, ignoring case."""
    result = run_query(
        budget.store_path, _CONCEPT_LOOKUP, timeout=budget.timeout, max_rows=100,
        bindings={"label": ox.Literal(label)}, local_graphs=budget.graphs,
    )
    found = [(row[0].value, row[1]) for row in result.rows if isinstance(row[0], ox.NamedNode)]
    preferred = {iri for iri, flag in found if flag == ox.Literal(True)}
    candidates = preferred or {iri for iri, _ in found}
    if not candidates:
        raise UsageError(f"no concept labelled {label!r}")
    if len(candidates) > 1:
        raise UsageError(f"label {label!r} names several concepts: {', '.join(sorted(candidates))}")
    return ox.NamedNode(candidates.pop())


# --------------------------------------------------------------------------- formatting


def format_result(result: QueryResult, fmt: str) -> str:
    """Text of a result: table/csv/tsv/json/xml for SELECT and ASK; table/turtle/ntriples/rdfxml/
    jsonld for CONSTRUCT and DESCRIBE."""
    if result.form.is_graph:
        return _format_graph(result, fmt)
    if fmt == "table":
        return _table(result)
    if fmt == "json":
        return _results_json(result)
    formats = {
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
        "xml": ox.QueryResultsFormat.XML,
    }
    if fmt not in formats:
        raise UsageError(f"format {fmt!r} does not fit a {result.form} query; use {RESULT_FORMATS}")
    parsed = ox.parse_query_results(_results_json(result), ox.QueryResultsFormat.JSON)
    return (parsed.serialize(format=formats[fmt]) or b"").decode("utf-8")


def _format_graph(result: QueryResult, fmt: str) -> str:
    if fmt == "table":
        rows = tuple((t.subject, t.predicate, t.object) for t in result.triples)
        return _table(QueryResult(QueryForm.SELECT, ("subject", "predicate", "object"), rows))
    formats = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
        "jsonld": ox.RdfFormat.JSON_LD,
    }
    if fmt not in formats:
        raise UsageError(f"format {fmt!r} does not fit a {result.form} query; use {GRAPH_FORMATS}")
    prefixes = None if fmt == "ntriples" else PREFIXES
    data = ox.serialize(result.triples, format=formats[fmt], prefixes=prefixes) or b""
    return data.decode("utf-8")


def _results_json(result: QueryResult) -> str:
    """SPARQL 1.1 Query Results JSON, written here because the row cap cut the live iterator."""
    if result.form is QueryForm.ASK:
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = [
        {var: _term_json(term) for var, term in zip(result.variables, row, strict=True) if term}
        for row in result.rows
    ]
    return json.dumps(
        {"head": {"vars": list(result.variables)}, "results": {"bindings": bindings}},
        ensure_ascii=False,
    )


def _term_json(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):
        parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
        return {"type": "triple", "value": {k: _term_json(v) for k, v in parts.items()}}
    out: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != _XSD_STRING:
        out["datatype"] = term.datatype.value
    return out


_CELL_WIDTH = 80


def _table(result: QueryResult) -> str:
    """Plain aligned text for a terminal: prefixed IRIs, literal values, long cells shortened."""
    if result.form is QueryForm.ASK:
        return "true\n" if result.boolean else "false\n"
    header = list(result.variables)
    body = [[_cell(term) for term in row] for row in result.rows]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *body]
    return "".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n"
                   for r in lines)


def _cell(term: Term | None) -> str:
    text = display_term(term)
    return text if len(text) <= _CELL_WIDTH else text[: _CELL_WIDTH - 3] + "..."


def display_term(term: Term | None) -> str:
    """Short human form of a term: `lgc:back-pain`, a page URL, a literal's value.

    >>> display_term(ox.NamedNode("http://schema.org/about"))
    'schema:about'
    """
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return _compact(term.value)
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        parts = (term.subject, term.predicate, term.object)
        return "<< " + " ".join(display_term(p) for p in parts) + " >>"
    return " ".join(term.value.split())


def _compact(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        local = iri[len(namespace):]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "-_." for c in local):
            return f"{prefix}:{local}"
    return iri
