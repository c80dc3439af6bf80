"""SPARQL over a linkgraph build: guard the query, evaluate it in a killable worker, format it.

pyoxigraph cannot cancel a running query, so queries run in worker processes (graph.workers) that
the caller kills at the deadline; a long-lived caller such as the server passes a warm pool.
The guard works on rdflib's parse tree (never on regexes): updates, SERVICE (pyoxigraph would
really fetch it) and FROM graphs outside the build are refused before a worker sees the query.

>>> check_query("SELECT ?page WHERE { ?page a schema:MedicalWebPage }")
<QueryForm.SELECT: 'SELECT'>
"""

from __future__ import annotations

import contextlib
import datetime
import difflib
import functools
import json
import re
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.errors import LinkgraphError, QueryRefused, QuerySyntaxError, QueryTooLarge, UsageError
from graph.workers import Job, QueryForm, QueryResult, Term, WorkerPool

__all__ = [
    "GRAPH_FORMATS", "PARAM_TYPES", "PREFIXES", "RESULT_FORMATS", "NamedQuery", "QueryForm", "QueryParam",
    "QueryResult", "Term", "WorkerPool", "check_query", "display_term", "fill_slots", "format_result",
    "list_queries", "load_query", "resolve_concept", "run_named_query", "run_query", "store_graphs", "to_date",
    "to_iri",
]

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
PARAM_TYPES = ("iri", "literal", "concept", "date")

_XSD_STRING = PREFIXES["xsd"] + "string"
_VOLATILE = frozenset({"Builtin_NOW", "Builtin_RAND", "Builtin_UUID", "Builtin_STRUUID"})
_ESCAPE = re.compile(r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}")  # SPARQL codepoint escapes
_PARSE_LOCK = threading.Lock()  # rdflib's pyparsing grammar is shared, mutable state


# --------------------------------------------------------------------------- guard


@dataclass(frozen=True)
class _Checked:
    form: QueryForm
    has_dataset: bool
    volatile: bool  # NOW(), RAND(), UUID(): the answer changes between runs


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


#: Longest query text the guard parses. rdflib's parse runs before the timeout can apply and cannot be
#: interrupted (pathological queries cost ~0.2 ms a character), so longer texts are refused up front.
MAX_QUERY_CHARS = 16_000


def _inspect(text: str, local_graphs: Collection[str]) -> _Checked:
    """The guard, remembered per (text, graphs): parsing a long query takes rdflib ~50 ms.

    Texts are at most MAX_QUERY_CHARS long, so 512 remembered queries stay a few MB.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryTooLarge(f"query is {len(text)} characters; the limit is {MAX_QUERY_CHARS}")
    return _inspect_cached(text, frozenset(local_graphs))


@functools.lru_cache(maxsize=512)
def _inspect_cached(text: str, local_graphs: frozenset[str]) -> _Checked:
    prologue, query = _parse(text)
    names = {node.name for node in _walk(query)}
    if "ServiceGraphPattern" in names:
        raise QueryRefused("SERVICE (remote queries) is not allowed")
    prefixes = {**PREFIXES, **_declared_prefixes(prologue)}
    graphs = list(_dataset_iris(query, prefixes))
    for iri in graphs:
        if iri not in local_graphs:
            raise QueryRefused(f"FROM <{iri}>: no such graph in this build")
    return _Checked(_FORMS[query.name], bool(graphs), bool(names & _VOLATILE))


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
    pool: WorkerPool | None = None,
) -> QueryResult:
    """Guard and run one query against a build's store, in a worker killed after `timeout` s.

    Without a dataset (FROM, default_graphs, named_graphs) the default graph is the union of all
    graphs. A dataset given here replaces the query's FROM clauses (SPARQL Protocol), and what it
    leaves out is empty: default graphs alone mean no named graphs, and the other way round.
    `bindings` substitute variables (a str becomes a plain literal), never text.
    `local_graphs` saves reopening the store to list its graphs; `pool` saves spawning a worker.
    """
    graphs = store_graphs(store_path) if local_graphs is None else local_graphs
    checked = _inspect(text, graphs)
    _check_dataset(default_graphs, named_graphs, graphs)
    explicit = default_graphs is not None or named_graphs is not None
    job = Job(
        text=text,
        form=checked.form,
        max_rows=max_rows,
        union=not (explicit or checked.has_dataset),
        default_graphs=_dataset_part(default_graphs, explicit),
        named_graphs=_dataset_part(named_graphs, explicit),
        prefixes=tuple(PREFIXES.items()),
        substitutions=tuple((k, _as_term(v)) for k, v in (bindings or {}).items()),
    )
    with _borrowed(pool, store_path) as workers:
        result = workers.run(job, timeout)
    return replace(result, volatile=checked.volatile) if checked.volatile else result


def _dataset_part(iris: Sequence[str] | None, explicit: bool) -> tuple[str, ...] | None:
    """One half of a protocol dataset; empty (not pyoxigraph's "everything") when only the other half is given."""
    if iris is None:
        return () if explicit else None
    return tuple(iris)


@contextlib.contextmanager
def _borrowed(pool: WorkerPool | None, store_path: Path) -> Iterator[WorkerPool]:
    """The caller's pool, or a one-worker pool closed after use (one-off command-line queries)."""
    if pool is not None:
        if Path(pool.store) != Path(store_path):
            raise LinkgraphError("the worker pool serves another store")
        yield pool
        return
    with WorkerPool(store_path, size=1) as own:
        yield own


def _check_dataset(
    default_graphs: Sequence[str] | None, named_graphs: Sequence[str] | None, local: Collection[str]
) -> None:
    for iri in [*(default_graphs or ()), *(named_graphs or ())]:
        if iri not in local:
            raise QueryRefused(f"graph <{iri}>: no such graph in this build")


def _as_term(value: str | Term) -> Term:
    return ox.Literal(value) if isinstance(value, str) else value


# --------------------------------------------------------------------------- named queries


@dataclass(frozen=True)
class QueryParam:
    """One `# param: name type description` line of a named query; `type?` makes it optional."""

    name: str
    type: str
    description: str
    optional: bool = False


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
    kind = parts[1].removesuffix("?") if len(parts) > 1 else ""
    if kind not in PARAM_TYPES:
        raise LinkgraphError(f"named query {query}: bad param line {line!r}")
    return QueryParam(parts[0], kind, parts[2] if len(parts) > 2 else "", optional=parts[1].endswith("?"))


def run_named_query(
    store_path: Path,
    name: str,
    params: Mapping[str, str],
    *,
    timeout: float,
    max_rows: int,
    local_graphs: Collection[str] | None = None,
    pool: WorkerPool | None = None,
) -> QueryResult:
    """Run a named query with its parameters as RDF terms: written into the query's VALUES slots in
    their N-Triples form (see fill_slots), else bound as variables; user text is never pasted in.

    An omitted optional parameter stays unbound; the query gives it a default (COALESCE).
    """
    query = load_query(name)
    graphs = store_graphs(store_path) if local_graphs is None else local_graphs
    with _borrowed(pool, store_path) as workers:  # one worker for the concept lookup and the query
        budget = _Budget(store_path, timeout, graphs, workers)
        text, bindings = fill_slots(query.text, _bind(query, params, budget))
        return run_query(
            store_path, text, timeout=timeout, max_rows=max_rows, bindings=bindings,
            local_graphs=graphs, pool=workers,
        )


def _slot(name: str) -> re.Pattern[str]:
    return re.compile(r"VALUES\s+\?" + re.escape(name) + r"\s*\{\s*UNDEF\s*\}")


def fill_slots(text: str, bindings: Mapping[str, Term]) -> tuple[str, dict[str, Term]]:
    """Write each bound IRI or literal into the query's `VALUES ?name { UNDEF }` slots; the rest stay bindings.

    pyoxigraph applies bindings only after evaluating the whole query, so a selective parameter
    saves nothing; a VALUES row lets the engine start from it. The value is the term's N-Triples
    form (pyoxigraph escapes it), never user text, and the guard still parses the result.
    Without the parameter the slot stays UNDEF: the file also runs as it is.

    >>> fill_slots("SELECT * WHERE { VALUES ?p { UNDEF } ?p ?x ?y }", {"p": ox.NamedNode("http://e.org/a")})[0]
    'SELECT * WHERE { VALUES ?p { <http://e.org/a> } ?p ?x ?y }'
    """
    rest: dict[str, Term] = {}
    for name, term in bindings.items():
        slot = _slot(name)
        if isinstance(term, ox.NamedNode | ox.Literal) and slot.search(text):
            row = f"VALUES ?{name} {{ {term} }}".replace("\\", "\\\\")  # a template: keep escapes
            text = slot.sub(row, text)
        else:
            rest[name] = term
    return text, rest


@dataclass(frozen=True)
class _Budget:
    """What a helper lookup query needs to run like the main one."""

    store_path: Path
    timeout: float
    graphs: Collection[str]
    pool: WorkerPool | None = None


def _bind(query: NamedQuery, params: Mapping[str, str], budget: _Budget) -> dict[str, Term]:
    expected = {p.name for p in query.params}
    unknown = sorted(set(params) - expected)
    if unknown:
        wanted = ", ".join(sorted(expected)) or "none"
        raise UsageError(f"{query.name}: unknown parameter(s) {', '.join(unknown)}; takes: {wanted}")
    missing = [p.name for p in query.params if p.name not in params and not p.optional]
    if missing:
        raise UsageError(f"{query.name}: missing parameter(s) {', '.join(missing)}")
    return {p.name: _convert(p, params[p.name], budget) for p in query.params if p.name in params}


def _convert(param: QueryParam, value: str, budget: _Budget) -> Term:
    if param.type == "literal":
        return ox.Literal(value)
    if param.type == "date":
        return to_date(value, what=param.name)
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


def to_date(value: str, *, what: str = "date") -> ox.Literal:
    """An xsd:date literal from `YYYY-MM-DD` text.

    >>> to_date("2025-03-01").datatype.value
    'http://www.w3.org/2001/XMLSchema#date'
    """
    try:
        day = datetime.date.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(f"{what}: not a date (YYYY-MM-DD): {value!r}") from None
    return ox.Literal(day.isoformat(), datatype=ox.NamedNode(PREFIXES["xsd"] + "date"))


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
        bindings={"label": ox.Literal(label)}, local_graphs=budget.graphs, pool=budget.pool,
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
