"""`linkgraph serve`: a read-only SPARQL 1.1 Protocol endpoint over one build, plus its pages.

Routes: /sparql (GET, POST form, POST application/sparql-query; a bare GET answers the SPARQL
service description), /query (a query page of ours), /queries and /queries/{name} (named
queries), / (explorer.html), /reports/{name}, /health. Every query goes through
`graph.query.run_query`, so the same guard, timeout and row cap apply as on the command line;
a pool of warm workers saves the process start, and a bounded LRU keeps recent answers.
The server pins the build it started with: if OUT is rebuilt under it, data routes answer 503
instead of mixing a new store with the old build id.

>>> check_bind("127.0.0.1", token=None, no_auth=False)
>>> negotiate("text/csv;q=0.5, application/sparql-results+xml", graph=False)
'xml'
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable, Iterable
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl

import anyio
import pyoxigraph as ox
import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from graph.errors import LinkgraphError, QueryRefused, UsageError
from graph.query import (
    PREFIXES,
    QueryResult,
    WorkerPool,
    check_query,
    format_result,
    list_queries,
    load_query,
    run_named_query,
    run_query,
    store_graphs,
)
from graph.settings import Settings

MAX_BODY = 1024 * 1024
MAX_URL = 8 * 1024
TRUNCATED_HEADER = "Linkgraph-Truncated"
CACHE_HEADER = "Linkgraph-Cache"
CACHE_ENTRIES = 256
CACHE_KEY_TEXT = 32 * 1024  # longer queries are answered but not cached: keys count toward memory too
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
PUBLIC_PATHS = frozenset({"/health", "/query", "/query/app.js", "/query/app.css"})  # no data in them

RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
    "application/ld+json": "jsonld",
}
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}
_FORM = "application/x-www-form-urlencoded"
_REPORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_log = logging.getLogger("linkgraph.serve")
_T = TypeVar("_T")


# --------------------------------------------------------------------------- the pinned build


@dataclass(frozen=True)
class Build:
    """The build a server answers for, resolved once at start."""

    folder: Path
    store: Path
    graphs: frozenset[str]
    build_id: str
    pinned: bool
    settings: Settings

    @classmethod
    def open(cls, out: Path, settings: Settings) -> Build:
        """Resolve OUT/store to its real path and read the build id next to it."""
        try:
            store = (out / "store").resolve(strict=True)
        except OSError:
            raise UsageError(f"no linkgraph build in {out} (run `linkgraph build` first)") from None
        folder = store.parent
        manifest_id = _manifest_id(folder)
        build_id = manifest_id or _stamp_id(store)
        graphs = store_graphs(store)
        return cls(folder, store, graphs, build_id, manifest_id is not None, settings)

    def is_current(self) -> bool:
        """False once the folder was rebuilt (another build id) or removed."""
        return not self.pinned or _manifest_id(self.folder) == self.build_id


def _manifest_id(folder: Path) -> str | None:
    """`build_id` of OUT/build.json, else a hash of the file; None without one."""
    try:
        raw = (folder / "build.json").read_bytes()
    except OSError:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    value = data.get("build_id") if isinstance(data, dict) else None
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9._-]{1,64}", value):
        return value
    return hashlib.sha256(raw).hexdigest()[:16]


def _stamp_id(store: Path) -> str:
    stamp = f"{store}:{store.stat().st_mtime_ns}"
    return hashlib.sha256(stamp.encode()).hexdigest()[:16]


def _build(request: Request) -> Build:
    build: Build = request.app.state.build
    if not build.is_current():
        raise HTTPException(503, "the build changed since the server started; restart `linkgraph serve`")
    return build


# --------------------------------------------------------------------------- negotiation


def negotiate(accept: str | None, *, graph: bool) -> str:
    """Format name for an Accept header; anything unknown or absent gets the default.

    Defaults: SPARQL JSON results for SELECT/ASK, Turtle for CONSTRUCT/DESCRIBE.
    """
    table = GRAPH_TYPES if graph else RESULT_TYPES
    default = "turtle" if graph else "json"
    for media in _ranked(accept or ""):
        if media in table:
            return table[media]
        if media == "*/*":
            return default
        if media.endswith("/*"):
            family = next((f for m, f in table.items() if m.startswith(media[:-1])), None)
            if family:
                return family
    return default


def _ranked(accept: str) -> list[str]:
    """Media ranges of an Accept header by quality, best first; q=0 ranges dropped."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept.split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranked.append((-quality, index, media.lower()))
    return [media for _, _, media in sorted(ranked)]


# --------------------------------------------------------------------------- answer cache


@dataclass(frozen=True)
class Answer:
    """A formatted query answer, ready to send again."""

    body: bytes
    media_type: str
    truncated: bool


class ResultCache:
    """Bounded LRU of answers keyed by (build id, query, dataset, format); thread-safe.

    Answers over `max_entry` bytes are not kept, and the whole cache stays under `max_bytes`.
    """

    def __init__(self, entries: int = CACHE_ENTRIES, *, max_bytes: int = 64 << 20, max_entry: int = 4 << 20) -> None:
        self.entries = entries
        self.max_bytes = max_bytes
        self.max_entry = max_entry
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, Answer] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Answer | None:
        with self._lock:
            answer = self._items.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, key: Hashable, answer: Answer) -> None:
        if self.entries <= 0 or len(answer.body) > self.max_entry:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self._size += len(answer.body) - (len(old.body) if old else 0)
            self._items[key] = answer
            while len(self._items) > self.entries or self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped.body)


def _answer(result: QueryResult, fmt: str) -> Answer:
    return Answer(format_result(result, fmt).encode("utf-8"), MEDIA_TYPES[fmt], result.truncated)


async def _cached(
    request: Request, key: tuple[Hashable, ...], fmt: str, compute: Callable[[], QueryResult]
) -> Response:
    """The cached answer for `key`, else compute, format and (unless volatile) remember it."""
    build: Build = request.app.state.build
    cache: ResultCache = request.app.state.cache
    full_key = (build.build_id, *key, fmt)
    answer = cache.get(full_key)
    state = "hit"
    if answer is None:
        state = "miss"
        result = await _in_thread(request, compute)
        answer = await anyio.to_thread.run_sync(_answer, result, fmt)
        if not result.volatile and sum(len(part) for part in key if isinstance(part, str)) <= CACHE_KEY_TEXT:
            cache.put(full_key, answer)
    headers = {"Vary": "Accept", CACHE_HEADER: state}
    if answer.truncated:
        headers[TRUNCATED_HEADER] = "true"
    return Response(answer.body, media_type=answer.media_type, headers=headers)


# --------------------------------------------------------------------------- SPARQL protocol


@dataclass(frozen=True)
class ProtocolRequest:
    """What a SPARQL Protocol request asks for, whatever the transport."""

    query: str
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


async def sparql(request: Request) -> Response:
    """/sparql: run one query per the SPARQL 1.1 Protocol; a bare GET describes the service."""
    build = _build(request)
    if request.method in ("GET", "HEAD") and not request.url.query:
        return service_description(request, build)
    asked = await _protocol_request(request)
    form = await anyio.to_thread.run_sync(check_query, asked.query, build.graphs)
    fmt = negotiate(request.headers.get("accept"), graph=form.is_graph)
    compute = functools.partial(
        run_query, build.store, asked.query,
        timeout=build.settings.query_timeout, max_rows=build.settings.max_rows,
        default_graphs=asked.default_graphs or None, named_graphs=asked.named_graphs or None,
        local_graphs=build.graphs, pool=request.app.state.pool,
    )
    key = ("sparql", asked.query, asked.default_graphs, asked.named_graphs)
    return await _cached(request, key, fmt, compute)


async def _protocol_request(request: Request) -> ProtocolRequest:
    _check_url(request)
    if request.method in ("GET", "HEAD"):
        return _from_params(_url_params(request))
    media, charset = _content_type(request.headers.get("content-type", ""))
    if media == "application/sparql-update":
        raise QueryRefused("updates are not allowed: this endpoint is read-only")
    if media not in (_FORM, "application/sparql-query"):
        raise HTTPException(415, "use application/x-www-form-urlencoded or application/sparql-query")
    if charset not in ("", "utf-8", "utf8"):
        raise HTTPException(415, f"charset {charset}: send the request body as UTF-8")
    body = _decode(await _read_body(request))
    if media == _FORM:
        return _from_params(_parse_params(body))
    in_url = _url_params(request)
    if any(key == "query" for key, _ in in_url):
        raise HTTPException(400, "give the query either in the body or in the URL, not both")
    return replace(_from_params(in_url, need_query=False), query=body)


def _url_params(request: Request) -> list[tuple[str, str]]:
    return _parse_params((request.scope.get("query_string") or b"").decode("latin-1"))


def _parse_params(text: str) -> list[tuple[str, str]]:
    """URL-encoded parameters; percent-escapes that are not UTF-8 are an error, not U+FFFD."""
    try:
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise HTTPException(400, "a parameter is not UTF-8 once percent-decoded") from None


def _content_type(header: str) -> tuple[str, str]:
    """Media type and charset (both lower case, charset "" when absent) of a Content-Type header."""
    media, *params = (part.strip() for part in header.split(";"))
    charset = ""
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.lower(), charset


def _from_params(items: Iterable[tuple[str, str]], *, need_query: bool = True) -> ProtocolRequest:
    """Protocol parameters; unknown ones (format=, output= from SPARQLWrapper) are ignored."""
    pairs = list(items)
    if any(key == "update" for key, _ in pairs):
        raise QueryRefused("updates are not allowed: this endpoint is read-only")
    queries = [value for key, value in pairs if key == "query"]
    if need_query and len(queries) != 1:
        raise HTTPException(400, "give exactly one `query` parameter")
    return ProtocolRequest(
        query=queries[0] if queries else "",
        default_graphs=tuple(v for k, v in pairs if k == "default-graph-uri"),
        named_graphs=tuple(v for k, v in pairs if k == "named-graph-uri"),
    )


def _check_url(request: Request) -> None:
    size = len(request.scope.get("raw_path") or b"") + len(request.scope.get("query_string") or b"") + 1
    if size > MAX_URL:
        raise HTTPException(414, "request URL over 8 KB: POST the query instead")


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, "request body over 1 MB")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, "request body over 1 MB")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "the request body is not UTF-8") from None


async def _in_thread(request: Request, func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run a blocking query call off the event loop; the limiter caps concurrent workers."""
    limiter: anyio.CapacityLimiter = request.app.state.limiter
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs), limiter=limiter)


# --------------------------------------------------------------------------- named queries


async def named_queries(request: Request) -> Response:
    """/queries: the named queries with their parameters and text (the query page lists them)."""
    return JSONResponse([
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "params": [
                {"name": p.name, "type": p.type, "description": p.description, "optional": p.optional}
                for p in q.params
            ],
            "text": q.text,
        }
        for q in list_queries()
    ])


async def named_query(request: Request) -> Response:
    """/queries/{name}?param=value: run one named query."""
    build = _build(request)
    _check_url(request)
    name = request.path_params["name"]
    try:
        query = load_query(name)
    except UsageError as exc:
        raise HTTPException(404, str(exc)) from None
    params = dict(request.query_params)
    form = await anyio.to_thread.run_sync(check_query, query.text, build.graphs)
    fmt = negotiate(request.headers.get("accept"), graph=form.is_graph)
    compute = functools.partial(
        run_named_query, build.store, name, params,
        timeout=build.settings.query_timeout, max_rows=build.settings.max_rows,
        local_graphs=build.graphs, pool=request.app.state.pool,
    )
    return await _cached(request, ("named", name, tuple(sorted(params.items()))), fmt, compute)


# --------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
_FORMAT_IRIS = {
    "json": "SPARQL_Results_JSON",
    "xml": "SPARQL_Results_XML",
    "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV",
    "turtle": "Turtle",
    "ntriples": "N-Triples",
    "rdfxml": "RDF_XML",
    "jsonld": "JSON-LD",
}


def service_description(request: Request, build: Build) -> Response:
    """The SPARQL 1.1 Service Description of this endpoint, in the RDF format the client accepts."""
    endpoint = str(request.url.replace(query="", fragment=""))
    fmt = negotiate(request.headers.get("accept"), graph=True)
    triples = description_triples(endpoint, build.graphs)
    prefixes = None if fmt == "ntriples" else {"sd": SD, "formats": FORMATS, "rdfs": PREFIXES["rdfs"]}
    body = ox.serialize(triples, format=_RDF_FORMATS[fmt], prefixes=prefixes) or b""
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={"Vary": "Accept"})


_RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
}


def description_triples(endpoint: str, graphs: Iterable[str]) -> list[ox.Triple]:
    """sd:Service: endpoint, SPARQL 1.1 Query only (no Update: read-only), formats, dataset."""
    service, dataset, default = ox.BlankNode("service"), ox.BlankNode("dataset"), ox.BlankNode("default")
    a, sd = ox.NamedNode(PREFIXES["rdf"] + "type"), functools.partial(_iri, SD)
    triples = [
        ox.Triple(service, a, sd("Service")),
        ox.Triple(service, sd("endpoint"), ox.NamedNode(endpoint)),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(service, ox.NamedNode(PREFIXES["rdfs"] + "comment"), ox.Literal(
            "Read-only: SPARQL Update and SERVICE are refused; the default graph is the union of all graphs.")),
        *(ox.Triple(service, sd("resultFormat"), _iri(FORMATS, name)) for name in _FORMAT_IRIS.values()),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, a, sd("Graph")),
    ]
    for index, iri in enumerate(sorted(graphs)):
        node = ox.BlankNode(f"graph{index}")
        triples += [ox.Triple(dataset, sd("namedGraph"), node), ox.Triple(node, a, sd("NamedGraph")),
                    ox.Triple(node, sd("name"), ox.NamedNode(iri))]
    return triples


def _iri(namespace: str, local: str) -> ox.NamedNode:
    return ox.NamedNode(namespace + local)


# --------------------------------------------------------------------------- query page


_PAGE_FILES = {"/query": ("query.html", "text/html"), "/query/app.js": ("query.js", "text/javascript"),
               "/query/app.css": ("query.css", "text/css")}


async def query_page(request: Request) -> Response:
    """/query and its script and style: our own static files, under a strict CSP."""
    name, media = _PAGE_FILES[request.url.path]
    body = resources.files("graph").joinpath("static", name).read_bytes()
    headers = {
        "Content-Security-Policy": PAGE_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }
    return Response(body, media_type=media, headers=headers)


# --------------------------------------------------------------------------- other routes


async def explorer(request: Request) -> Response:
    """/: the build's explorer page."""
    page = _build(request).folder / "explorer.html"
    if not page.is_file():
        raise HTTPException(404, "this build has no explorer.html")
    return FileResponse(page, media_type="text/html")


async def summary_page(request: Request) -> Response:
    """/report.html: the one-page summary the explorer links to."""
    page = _build(request).folder / "report.html"
    if not page.is_file():
        raise HTTPException(404, "this build has no report.html")
    return FileResponse(page, media_type="text/html")


_EXPLORER_DATA = re.compile(r"^(cluster-\d+|pages)\.js$")


async def explorer_data(request: Request) -> Response:
    """/explorer-data/{name}: the explorer's sibling cluster files on big sites, nothing else."""
    folder = (_build(request).folder / "explorer-data").resolve()
    name = request.path_params["name"]
    path = folder / name if _EXPLORER_DATA.match(name) else None
    if path is None or not path.is_file():
        raise HTTPException(404, "no such explorer data file")
    return FileResponse(path, media_type="text/javascript")


async def report(request: Request) -> Response:
    """/reports/{name}: a file directly inside OUT/reports, nothing else."""
    folder = (_build(request).folder / "reports").resolve()
    name = request.path_params["name"]
    path = (folder / name).resolve() if _REPORT_NAME.match(name) else None
    if path is None or path.parent != folder or not path.is_file():
        raise HTTPException(404, "no such report")
    return FileResponse(path)


async def health(request: Request) -> Response:
    """/health: liveness and the build id (also the ETag); 503 once the build changed."""
    build: Build = request.app.state.build
    etag = f'"{build.build_id}"'
    if not build.is_current():
        body = {"status": "stale", "build_id": build.build_id}
        return JSONResponse(body, status_code=503, headers={"ETag": etag})
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers={"ETag": etag})
    return JSONResponse({"status": "ok", "build_id": build.build_id}, headers={"ETag": etag})


async def _linkgraph_error(request: Request, exc: Exception) -> Response:
    """Short plain-text errors with the error's HTTP status; internals stay in the log."""
    status = exc.http_status if isinstance(exc, LinkgraphError) else 500
    message = str(exc) if status < 500 or status == 503 else "internal error"
    if status >= 500:
        _log.warning("%s: %s", request.url.path, exc)
    return PlainTextResponse(message[:500] + "\n", status_code=status)


# --------------------------------------------------------------------------- app and server


class BearerAuth:
    """Require `Authorization: Bearer <token>` on every route but /health and the query page's files.

    The page holds no data: its script sends the token the user types with every request.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(
            "missing or wrong bearer token\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token)


def create_app(
    out: Path,
    settings: Settings,
    token: str | None = None,
    cors: str | None = None,
    *,
    cache_entries: int = CACHE_ENTRIES,
    workers: int | None = None,
) -> Starlette:
    """The ASGI app for build folder OUT; CORS is off unless one origin (or `*`) is given.

    `workers` query processes at most (default: one per CPU, at least 2); `cache_entries` 0 turns
    the answer cache off.
    """
    routes = [
        Route("/", explorer, methods=["GET"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/query", query_page, methods=["GET"]),
        Route("/query/app.js", query_page, methods=["GET"]),
        Route("/query/app.css", query_page, methods=["GET"]),
        Route("/queries", named_queries, methods=["GET"]),
        Route("/queries/{name}", named_query, methods=["GET"]),
        Route("/reports/{name}", report, methods=["GET"]),
        Route("/report.html", summary_page, methods=["GET"]),
        Route("/explorer-data/{name}", explorer_data, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
    ]
    middleware = [_cors(cors)] if cors else []
    if token:
        middleware.append(Middleware(BearerAuth, token=token))
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={LinkgraphError: _linkgraph_error},
                    lifespan=_lifespan)
    app.state.build = Build.open(out, settings)
    size = workers or max(2, os.cpu_count() or 2)
    app.state.limiter = anyio.CapacityLimiter(size)
    app.state.pool = WorkerPool(app.state.build.store, size=size)
    app.state.cache = ResultCache(cache_entries)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Warm two workers before the first request; stop them all at shutdown."""
    pool: WorkerPool = app.state.pool
    await anyio.to_thread.run_sync(pool.prestart, 2)
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(pool.close)


def _cors(origin: str) -> Middleware:
    """CORS for exactly one origin, never with credentials (the token travels in a header)."""
    if origin != "*" and not re.fullmatch(r"https?://[^/\s?#]+", origin):
        raise UsageError(f"--cors takes one origin such as https://tools.example.org, or *; got {origin!r}")
    return Middleware(
        CORSMiddleware,
        allow_origins=[origin],
        allow_methods=["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
        expose_headers=[TRUNCATED_HEADER, CACHE_HEADER, "ETag"],
        allow_credentials=False,
    )


def check_bind(host: str, token: str | None, no_auth: bool) -> None:
    """Serving beyond loopback needs a token, or an explicit --no-auth."""
    if token or no_auth or _is_loopback(host):
        return
    raise UsageError(
        f"refusing to listen on {host} without a token: pass --token, "
        "or --no-auth to let anyone who can reach it read the graph"
    )


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(
    out: Path,
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    token: str | None = None,
    cors: str | None = None,
    *,
    no_auth: bool = False,
    workers: int | None = None,
    cache_entries: int = CACHE_ENTRIES,
) -> None:
    """Run the endpoint with uvicorn until interrupted; host and port default to the settings."""
    host = host or settings.host
    check_bind(host, token, no_auth)
    app = create_app(out, settings, token=token, cors=cors, workers=workers, cache_entries=cache_entries)
    uvicorn.run(app, host=host, port=settings.port if port is None else port, server_header=False)
