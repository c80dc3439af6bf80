"""Publish a build to a SPARQL store with the SPARQL 1.1 Graph Store HTTP Protocol.

Each named graph of the build replaces the remote graph of the same IRI (PUT, N-Triples). Because
page IRIs and site graphs are keyed by the site, the site's graphs that the build no longer has can
be found remotely and deleted, and other sites sharing the store are never touched. Only the URLs
given are contacted; redirects are not followed, so credentials never go anywhere else.

>>> graph_url("http://127.0.0.1:7878/store", "https://a.example/x/")
'http://127.0.0.1:7878/store?graph=https%3A%2F%2Fa.example%2Fx%2F'
>>> site_prefixes(["https://a.example/x/", "https://w3id.org/linkgraph/site/a.example/analysis"])
('https://a.example/', 'https://w3id.org/linkgraph/site/a.example/')
>>> auth_header(("editor", "s3cret"))
'Basic ZWRpdG9yOnMzY3JldA=='
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import IO
from urllib.parse import urlencode, urlsplit

import pyoxigraph as ox

from graph.diff import open_build
from graph.errors import LinkgraphError, QueryTimeout, UsageError
from graph.iris import SITE
from graph.remote import RemoteError, check_url

Auth = tuple[str, str] | str | None
LIST_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }"
NTRIPLES = "application/n-triples"
SPARQL_JSON = "application/sparql-results+json"


@dataclass(frozen=True)
class PushResult:
    """What a push changed in the remote store."""

    gsp_url: str
    written: tuple[str, ...]
    deleted: tuple[str, ...]
    triples: int
    pruned: bool

    def summary(self) -> str:
        """One or two lines for the terminal."""
        lines = [f"Wrote {len(self.written)} graphs ({self.triples} triples) to {self.gsp_url}."]
        if self.pruned:
            lines.append(f"Deleted {len(self.deleted)} stale graph{'' if len(self.deleted) == 1 else 's'} of the site.")
        else:
            lines.append("Stale graphs were not looked for (give a query URL to delete them).")
        return "\n".join(lines)


def push(out: Path, gsp_url: str, *, query_url: str | None = None, auth: Auth = None,
         timeout: float = 30) -> PushResult:
    """Write every named graph of the build in OUT, then delete the site's remote graphs it no longer has."""
    for url in filter(None, (gsp_url, query_url)):
        _check(url)
    db = open_build(out)
    graphs = sorted(g.value for g in db.named_graphs() if isinstance(g, ox.NamedNode))
    http = _Http(auth_header(auth), timeout)
    triples = _write_graphs(http, db, gsp_url, graphs)
    if query_url is None:
        return PushResult(gsp_url, tuple(graphs), (), triples, pruned=False)
    stale = stale_graphs(_list_graphs(http, query_url), graphs)
    for iri in stale:
        http.send("DELETE", graph_url(gsp_url, iri), f"delete stale graph {iri}", missing_ok=True)
    return PushResult(gsp_url, tuple(graphs), stale, triples, pruned=True)


def _write_graphs(http: _Http, db: ox.Store, gsp_url: str, graphs: list[str]) -> int:
    """PUT each graph, replacing the remote copy; returns the number of triples sent."""
    triples = 0
    for done, iri in enumerate(graphs):
        body = _ntriples(db, iri)
        triples += body.count(b"\n")
        http.send("PUT", graph_url(gsp_url, iri), f"write graph {iri} ({done} of {len(graphs)} written)",
                  body, NTRIPLES)
    return triples


def stale_graphs(remote: Iterable[str], local: Iterable[str]) -> tuple[str, ...]:
    """Remote graphs of the local build's site that the build no longer has; other sites' are left alone.

    >>> stale_graphs(["https://a.example/old/", "https://b.example/x/", "https://a.example/x/"],
    ...              ["https://a.example/x/"])
    ('https://a.example/old/',)
    """
    local = set(local)
    prefixes = site_prefixes(local)
    return tuple(sorted(g for g in remote if g.startswith(prefixes) and g not in local))


def _check(url: str) -> str:
    check_url(url)
    if urlsplit(url).username is not None:
        raise UsageError("put credentials in --user/--password or --token, not in the URL")
    return url


def auth_header(auth: Auth) -> str | None:
    """HTTP Basic for (user, password), a bearer token for a string."""
    if auth is None:
        return None
    if isinstance(auth, str):
        return f"Bearer {auth}"
    user, password = auth
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def graph_url(gsp_url: str, iri: str) -> str:
    """Indirect graph identification: the graph IRI in the `graph` query parameter."""
    return gsp_url + ("&" if "?" in gsp_url else "?") + urlencode({"graph": iri})


def site_prefixes(graphs: Iterable[str]) -> tuple[str, ...]:
    """IRI prefixes owned by the build's site: its lg site-graph folder and its pages' origin."""
    found = set()
    for iri in graphs:
        if iri.startswith(SITE):
            found.add(SITE + iri[len(SITE):].split("/", 1)[0] + "/")
        else:
            parts = urlsplit(iri)
            found.add(f"{parts.scheme}://{parts.netloc}/")
    return tuple(sorted(found))


def _ntriples(db: ox.Store, iri: str) -> bytes:
    quads = db.quads_for_pattern(None, None, None, ox.NamedNode(iri))
    return ox.serialize((q.triple for q in quads), format=ox.RdfFormat.N_TRIPLES) or b""


def _list_graphs(http: _Http, query_url: str) -> set[str]:
    """IRIs of the named graphs in the remote store, via a SPARQL SELECT."""
    body = http.send("POST", query_url, "list the remote graphs", LIST_GRAPHS.encode(), "application/sparql-query",
                     accept=SPARQL_JSON)
    try:
        rows = json.loads(body)["results"]["bindings"]
        return {r["g"]["value"] for r in rows if r.get("g", {}).get("type") == "uri"}
    except (ValueError, KeyError, TypeError) as exc:
        raise RemoteError(f"{query_url} did not answer with SPARQL JSON results") from exc


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect becomes an error, so a request (and its credentials) goes only where it was sent."""

    def redirect_request(self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
                         headers: HTTPMessage, newurl: str) -> None:
        return None


@dataclass(frozen=True)
class _Http:
    """Sends requests with the credentials and time limit, turning failures into one-line errors."""

    authorization: str | None
    timeout: float

    def send(self, method: str, url: str, action: str, body: bytes | None = None, content_type: str | None = None,
             *, accept: str | None = None, missing_ok: bool = False) -> bytes:
        """One request; `action` names it in the error ("cannot write graph ...")."""
        request = urllib.request.Request(url, data=body, method=method)
        for name, value in (("Authorization", self.authorization), ("Content-Type", content_type),
                            ("Accept", accept)):
            if value:
                request.add_header(name, value)
        try:
            with urllib.request.build_opener(_NoRedirect).open(request, timeout=self.timeout) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                return b""
            raise RemoteError(f"cannot {action}: {_describe(exc)}") from exc
        except (OSError, HTTPException) as exc:
            raise self._failure(exc, action, url) from exc

    def _failure(self, exc: Exception, action: str, url: str) -> LinkgraphError:
        """A timeout (exit 3) or a connection that failed (exit 2), in one line."""
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if isinstance(reason, TimeoutError):
            return QueryTimeout(f"cannot {action}: no answer within {self.timeout:g} s")
        return UsageError(f"cannot {action}: cannot reach {urlsplit(url).netloc} ({reason or type(reason).__name__})")


def _describe(exc: urllib.error.HTTPError) -> str:
    """Status and the first line of the answer (or where a redirect pointed)."""
    if 300 <= exc.code < 400:
        return f"HTTP {exc.code} redirect to {exc.headers.get('Location', '?')} (not followed; give that URL)"
    lines = exc.read(300).decode("utf-8", "replace").strip().splitlines()
    return f"HTTP {exc.code} {lines[0] if lines else exc.reason}"
