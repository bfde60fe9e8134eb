"""The SPARQL endpoint at ``/sparql`` (queries, updates, and the service description).

``/query`` answers queries only and ``/update`` updates only, as Oxigraph server names them.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from kg.web import context, protocol, responses
from kg.web.description import service_description
from kg.web.negotiation import accepts_gzip
from kg.web.pool import DeadlineExceeded, WorkerLost
from kg.web.protocol import ProtocolError, QueryRequest, UpdateRequest
from kg.web.sparql_text import allowed, names_dataset, outbound_targets, trailing_limit
from kg.web.update import run_update
from kg.web.worker import QueryJob

sparql = Blueprint("sparql", __name__)

#: Headers of a query result: the cap that applied, and whether it cut the result.
LIMIT_HEADER = "KG-Result-Limit"
TRUNCATED_HEADER = "KG-Result-Truncated"
#: The answer to a query that crashed the worker evaluating it (the same query would again).
CRASHED = ("the query engine crashed on this query (its worker process was replaced): "
           "simplify it; long chains of operators or patterns overflow the engine's stack")


@sparql.route("/sparql", methods=["GET", "POST"])
def query() -> Response:
    """The SPARQL 1.1 Protocol endpoint: queries, updates and the service description.

    - ``GET ?query=``, ``POST`` form (``query=``) or ``POST application/sparql-query`` (UTF-8):
      run a query (see ``run_query``); ``default-graph-uri`` and ``named-graph-uri`` (any number,
      from the URL or the form) replace the dataset, FROM and FROM NAMED included; ``timeout``
      (seconds) asks for less time than the server's maximum; ``format``/``output`` name a result
      format and win over ``Accept`` when they fit; ``version`` (SPARQL 1.2) may be given once.
    - ``POST`` form (``update=``) or ``POST application/sparql-update``: run an update (see
      ``kg.web.update.run_update``), with ``using-graph-uri`` / ``using-named-graph-uri``.
    - ``GET`` without ``query``: the service description (``kg.web.description``).

    Errors (``text/plain``): 400 no or several ``query``/``update``/``version``, both a query and
    an update, an update by GET, a syntax error (with line and column), an invalid graph IRI or
    timeout, a body that is not UTF-8; 405 another method (``Allow`` lists the methods); 413 a
    query, update or body over the limits; 415 a POST of another media type or charset.
    """
    try:
        operation = protocol.from_request(request, context.settings())
    except ProtocolError as refused:
        return responses.error(refused.status, refused.message)
    if operation is None:
        return service_description()
    if isinstance(operation, UpdateRequest):
        return run_update(operation)
    return run_query(operation)


@sparql.route("/query", methods=["GET", "POST"])
def query_only() -> Response:
    """Queries only (as Oxigraph server's ``/query``); otherwise the same as ``/sparql``."""
    try:
        operation = protocol.from_request(request, context.settings())
    except ProtocolError as refused:
        return responses.error(refused.status, refused.message)
    if not isinstance(operation, QueryRequest):
        return responses.error(400, "this endpoint answers queries: send a 'query' parameter "
                                    "or an application/sparql-query body")
    return run_query(operation)


def run_query(operation: QueryRequest) -> Response:
    """Run a query in a worker process and send its result.

    The result format follows ``Accept`` (q-values, wildcards; SPARQL JSON and Turtle when
    anything goes), or ``format``/``output``: SPARQL JSON, XML, CSV, TSV for SELECT and ASK;
    Turtle, N-Triples, RDF/XML, JSON-LD, N-Quads, TriG for CONSTRUCT and DESCRIBE; ``406`` when
    none fits. ``Content-Type`` is the exact media type with ``charset=utf-8``.

    At most ``result_limit`` rows or triples are sent: ``KG-Result-Limit`` gives the cap and
    ``KG-Result-Truncated: true`` says that rows were left out (never silently). The query is
    stopped (its worker killed) at the time limit: ``503`` saying so, within the limit plus a
    fraction of a second. ``SERVICE`` to a target outside the allow-list is ``403``, before
    anything runs. A query that crashes its worker (the engine's recursion overflows its stack
    on long chains of operators or patterns) is ``400``; the worker is replaced. GET answers
    carry ``ETag`` and ``Last-Modified`` (from the store's version); a matching
    ``If-None-Match`` (or, without it, ``If-Modified-Since``) gets ``304``. Small
    results are kept in a result cache keyed by the store's version (never stale); a request
    with ``Cache-Control: no-cache`` runs the query again. Bodies are gzipped for clients that
    accept it (from 1 KiB).
    """
    settings = context.settings()
    text = operation.text
    for target in outbound_targets(text, "SERVICE"):
        if not allowed(target, settings.service_allow):
            return responses.error(403, f"SERVICE <{target}> is refused: this server makes no "
                                        "outbound requests to targets outside its allow-list")
    access = context.access()
    use_gzip = accepts_gzip(request.headers.get("Accept-Encoding"))
    accept = request.headers.get("Accept")
    cap = settings.result_limit
    union = operation.default_graphs is None and not names_dataset(text)
    generation = access.generation()
    context.cache().observe(generation)
    found = responses.validators(
        generation, access.last_modified(),
        ("query", text, union, operation.default_graphs, operation.named_graphs, accept,
         operation.override, cap), gzip=use_gzip)
    unchanged = responses.not_modified(request, found)
    if unchanged is not None:
        return unchanged
    # A client's Cache-Control: no-cache makes the query run again.
    outcome = None if request.cache_control.no_cache else context.cache().get(found.key)
    if outcome is None:
        limit = trailing_limit(text) if cap else None
        job = QueryJob(text, union, operation.default_graphs, operation.named_graphs, accept,
                       operation.override, cap, bounded=limit is not None and limit <= cap,
                       timeout=operation.timeout)
        try:
            outcome = context.pool().run(job, time.monotonic() + operation.timeout)
        except DeadlineExceeded as stopped:
            return responses.error(503, f"{stopped} (time limit: {operation.timeout:g} s)")
        except WorkerLost as lost:
            if lost.crashed:
                return responses.error(400, CRASHED)
            return responses.error(500, f"{lost}; try again")
        if outcome.status != 200:
            retry = {"Retry-After": "2"} if outcome.status == 503 else {}
            return responses.error(outcome.status, outcome.message, retry)
        context.cache().put(found.key, outcome)
    headers = {}
    if outcome.truncated is not None:
        headers[TRUNCATED_HEADER] = "true" if outcome.truncated else "false"
        if cap:
            headers[LIMIT_HEADER] = str(cap)
    response = responses.body(outcome, request=request, use_gzip=use_gzip, headers=headers)
    return found.apply(response) if request.method in ("GET", "HEAD") else response
