"""Talk to external SPARQL stores: query an endpoint (SPARQL 1.1 Protocol).

Only ever contacts the URL the user gave; nothing else is fetched.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlsplit

from graph.errors import LinkgraphError, QueryTimeout, UsageError

MEDIA_TYPES = {
    "table": "text/csv",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "jsonld": "application/ld+json",
}


class RemoteError(LinkgraphError):
    """The remote store answered with an error."""

    exit_code = 2
    http_status = 502


def check_url(url: str) -> str:
    """Only http(s) endpoints."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise UsageError(f"endpoint must be an http(s) URL, got {url!r}")
    return url


def query_endpoint(url: str, text: str, fmt: str, timeout: float) -> str:
    """POST a query (application/sparql-query) and return the body in the asked format."""
    request = urllib.request.Request(
        check_url(url), data=text.encode("utf-8"), method="POST",
        headers={"Content-Type": "application/sparql-query", "Accept": MEDIA_TYPES.get(fmt, "text/csv")},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return str(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip().splitlines()
        raise RemoteError(f"endpoint answered {exc.code}: {detail[0] if detail else exc.reason}") from exc
    except TimeoutError as exc:
        raise QueryTimeout(f"endpoint did not answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        raise UsageError(f"cannot reach endpoint {url}: {exc.reason}") from exc
