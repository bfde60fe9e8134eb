"""The SPARQL query endpoint at ``/sparql`` (SPARQL 1.1 Protocol, query operation)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from pyoxigraph import QueryTriples

from kg.errors import QueryError
from kg.web import context
from kg.web.negotiation import GRAPH_TYPES, RESULT_TYPES, choose

sparql = Blueprint("sparql", __name__)

QUERY_FORM = "application/x-www-form-urlencoded"
QUERY_DIRECT = "application/sparql-query"


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


def _query_text() -> str | Response:
    if request.method == "GET":
        queries = request.args.getlist("query")
    else:
        mimetype = request.mimetype
        if mimetype == QUERY_FORM:
            queries = request.form.getlist("query")
        elif mimetype == QUERY_DIRECT:
            try:
                queries = [request.get_data().decode("utf-8")]
            except UnicodeDecodeError:
                return _error(400, "the query is not valid UTF-8")
        else:
            return _error(415, f"POST needs {QUERY_FORM} or {QUERY_DIRECT}, got {mimetype!r}")
    if len(queries) != 1:
        return _error(400, f"exactly one 'query' parameter is needed, got {len(queries)}")
    return queries[0]


@sparql.route("/sparql", methods=["GET", "POST"])
def query() -> Response:
    text = _query_text()
    if isinstance(text, Response):
        return text
    try:
        result = context.store().query(text)
    except QueryError as error:
        return _error(400, error.message)
    offered = list(GRAPH_TYPES if isinstance(result, QueryTriples) else RESULT_TYPES)
    media_type = choose(request.headers.get("Accept"), offered)
    if media_type is None:
        return _error(406, f"none of the accepted types is available; offered: {offered}")
    if isinstance(result, QueryTriples):
        body = result.serialize(format=GRAPH_TYPES[media_type])
    else:
        body = result.serialize(format=RESULT_TYPES[media_type])
    response = Response(body, status=200)
    response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
    return response
