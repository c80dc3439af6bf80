"""One exception base: every error knows its CLI exit code and its HTTP status.

Exit codes: 0 ok, 1 findings under --strict, 2 usage or bad input, 3 timeout, 4 internal error.

>>> UsageError("no such folder").exit_code
2
>>> QueryRefused("SERVICE is not allowed").http_status
403
"""

from __future__ import annotations


class LinkgraphError(Exception):
    """Base of every error linkgraph raises on purpose."""

    exit_code = 4
    http_status = 500


class UsageError(LinkgraphError):
    """The user asked for something that cannot work (bad option, missing folder, bad config)."""

    exit_code = 2
    http_status = 400


class InputError(UsageError):
    """An input file cannot be read or parsed."""


class ArticleError(InputError):
    """One article is unusable; the build reports it and goes on."""


class QuerySyntaxError(UsageError):
    """The SPARQL text does not parse."""


class QueryTooLarge(UsageError):
    """The query text is longer than the guard will parse (the guard's parse is not interruptible)."""

    http_status = 413


class QueryRefused(LinkgraphError):
    """The query would write, fetch remote data or leave the local dataset."""

    exit_code = 2
    http_status = 403


class QueryTimeout(LinkgraphError):
    """The query ran longer than the configured limit."""

    exit_code = 3
    http_status = 503


class FindingsError(LinkgraphError):
    """Findings exist and --strict turns them into a failure."""

    exit_code = 1
    http_status = 422
