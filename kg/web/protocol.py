"""The SPARQL 1.1 Protocol's request rules, as pure functions over the request's parts.

Which operation a request asks for, with which parameters, or which error status it deserves;
the blueprints read the request and send the response. Parameters may come from the URL, and for
a form POST also from the body (both are read: a client that puts ``default-graph-uri`` in the URL
of a form POST is understood).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import NamedNode

from kg.config import Settings
from kg.web.sparql_text import too_deep

if TYPE_CHECKING:
    from flask import Request

FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"

#: The deepest nesting of brackets (``{``, ``(``, ``[``) a query or update may have. The engine's
#: parser recurses on every level, and a few thousand levels overflow its stack and crash the
#: process; real queries nest a few levels.
MAX_NESTING = 128

#: SPARQL versions a request may name in the ``version`` parameter (SPARQL 1.2 Protocol).
VERSIONS = ("1.0", "1.1", "1.2")

Params = Mapping[str, Sequence[str]]


class ProtocolError(Exception):
    """A request the protocol refuses: ``status`` and a message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class QueryRequest:
    text: str
    #: ``default-graph-uri`` and ``named-graph-uri``; None when neither is given.
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    #: The time limit asked for (``timeout``, seconds), already capped by the server's.
    timeout: float
    #: The ``format`` or ``output`` parameter.
    override: str | None


@dataclass(frozen=True)
class UpdateRequest:
    text: str
    using: tuple[str, ...]
    using_named: tuple[str, ...]


Operation = QueryRequest | UpdateRequest


def _values(params: Sequence[Params], name: str) -> list[str]:
    return [value for source in params for value in source.get(name, ())]


def _single(params: Sequence[Params], name: str) -> str | None:
    values = _values(params, name)
    if len(values) > 1:
        raise ProtocolError(400, f"exactly one {name!r} parameter is allowed, got {len(values)}")
    return values[0] if values else None


def _iris(params: Sequence[Params], name: str) -> tuple[str, ...]:
    values = _values(params, name)
    for value in values:
        check_iri(value, name)
    return tuple(values)


def check_iri(value: str, name: str) -> str:
    """``value`` if it is an absolute IRI; else ProtocolError 400 naming the parameter."""
    try:
        NamedNode(value)
    except ValueError as error:
        raise ProtocolError(400, f"{name} is not a valid IRI: {value!r} ({error})") from None
    if ":" not in value:
        raise ProtocolError(400, f"{name} is not an absolute IRI: {value!r}")
    return value


def _check_version(params: Sequence[Params]) -> None:
    version = _single(params, "version")
    if version is not None and version.strip() not in VERSIONS:
        raise ProtocolError(400, f"unsupported SPARQL version {version!r}; this server "
                                 f"understands {', '.join(VERSIONS)}")


def _check_text(text: str, name: str, max_bytes: int) -> str:
    if len(text.encode("utf-8")) > max_bytes:
        raise ProtocolError(413, f"the {name} is longer than this server's limit of "
                                 f"{max_bytes} bytes")
    depth = too_deep(text, MAX_NESTING)
    if depth is not None:
        raise ProtocolError(400, f"the {name} nests brackets {depth} levels deep; this server "
                                 f"accepts at most {MAX_NESTING}")
    return text


def timeout(value: str | None, maximum: float) -> float:
    """The time limit for one query: the ``timeout`` parameter (seconds) capped by ``maximum``.

    >>> timeout(None, 30.0), timeout("5", 30.0), timeout("120", 30.0)
    (30.0, 5.0, 30.0)
    """
    if value is None:
        return maximum
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not seconds > 0 or math.isinf(seconds):
        raise ProtocolError(400, f"timeout must be a number of seconds above 0, got {value!r}")
    return min(seconds, maximum)


def check_charset(charset: str | None) -> None:
    """Queries and updates are UTF-8: another declared charset is 415."""
    if charset and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
        raise ProtocolError(415, f"only UTF-8 is accepted, got charset={charset}")


def decode(body: bytes, name: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"the {name} is not valid UTF-8 (byte {error.start})") from None


def body_kind(method: str, mimetype: str) -> str | None:
    """How a request carries its operation: ``"form"``, ``"query"`` or ``"update"`` (the body
    itself), or None for a GET. Raises ProtocolError 415 for a POST of another media type."""
    if method in ("GET", "HEAD"):
        return None
    if mimetype == FORM:
        return "form"
    if mimetype == QUERY:
        return "query"
    if mimetype == UPDATE:
        return "update"
    raise ProtocolError(415, f"a POST must be {FORM}, {QUERY} or {UPDATE}, "
                             f"got {mimetype or 'no Content-Type'!r}")


def read_operation(kind: str | None, args: Params, form: Params, body: str | None, *,
                   max_query_bytes: int, max_timeout: float) -> Operation | None:
    """The operation a request asks for; None for a plain GET (the service description).

    ``kind`` is from ``body_kind``; ``args`` are the URL's parameters, ``form`` the form body's,
    ``body`` the decoded body of a direct POST. Raises ProtocolError (400, 413).
    """
    params = [args, form]
    _check_version(params)
    if kind == "query" or kind == "update":
        assert body is not None
        for name in ("query", "update"):
            if _values(params, name):
                raise ProtocolError(400, f"a direct POST carries the {kind} in its body; "
                                         f"a {name!r} parameter is not allowed beside it")
        return _operation(kind, body, params, max_query_bytes, max_timeout)
    queries, updates = _values(params, "query"), _values(params, "update")
    if queries and updates:
        raise ProtocolError(400, "a request holds either a query or an update, not both")
    if updates:
        if kind is None:
            raise ProtocolError(400, "an update must be sent by POST")
        return _operation("update", _single(params, "update") or "", params,
                          max_query_bytes, max_timeout)
    if queries:
        return _operation("query", _single(params, "query") or "", params,
                          max_query_bytes, max_timeout)
    if kind == "form":
        raise ProtocolError(400, "a POST form needs a 'query' or an 'update' parameter")
    return None


def _operation(kind: str, text: str, params: Sequence[Params], max_query_bytes: int,
               max_timeout: float) -> Operation:
    _check_text(text, kind, max_query_bytes)
    if kind == "update":
        return UpdateRequest(text, _iris(params, "using-graph-uri"),
                             _iris(params, "using-named-graph-uri"))
    default_graphs = _iris(params, "default-graph-uri")
    named_graphs = _iris(params, "named-graph-uri")
    dataset_given = bool(default_graphs or named_graphs)
    return QueryRequest(
        text,
        default_graphs if dataset_given else None,
        named_graphs if dataset_given else None,
        timeout(_single(params, "timeout"), max_timeout),
        _format(params),
    )


def _format(params: Sequence[Params]) -> str | None:
    # Tolerated, never an error: the last ``format`` (else ``output``) value is taken.
    for name in ("format", "output"):
        values = _values(params, name)
        if values:
            return values[-1]
    return None


def from_request(request: Request, settings: Settings) -> Operation | None:
    """The operation a Flask request asks for (None: a plain GET). Raises ProtocolError, and
    werkzeug's RequestEntityTooLarge (413) for a body far over the limit."""
    # Form encoding can triple a query's size; the exact limit is checked on the decoded text.
    request.max_content_length = 3 * settings.max_query_bytes + 65536
    kind = body_kind(request.method, request.mimetype)
    if kind is not None:
        check_charset(request.mimetype_params.get("charset"))
    form = request.form.to_dict(flat=False) if kind == "form" else {}
    body = decode(request.get_data(cache=False), kind) if kind in ("query", "update") else None
    return read_operation(kind, request.args.to_dict(flat=False), form, body,
                          max_query_bytes=settings.max_query_bytes,
                          max_timeout=settings.query_timeout)
