"""SPARQL updates: ``POST /sparql`` (form ``update=`` or ``application/sparql-update``) and
``POST /update``; only with the update token."""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from kg.errors import QueryError, StoreError, StoreLocked, UpstreamError
from kg.web import auth, context, protocol, responses
from kg.web.pool import DeadlineExceeded, WorkerLost
from kg.web.protocol import ProtocolError, UpdateRequest
from kg.web.sparql_text import add_using, allowed, names_update_dataset, outbound_targets
from kg.web.worker import UpdateCheck

update = Blueprint("update", __name__)


@update.route("/update", methods=["POST"])
def update_only() -> Response:
    """Updates only (as Oxigraph server's ``/update``); otherwise the same as ``POST /sparql``."""
    try:
        operation = protocol.from_request(request, context.settings())
    except ProtocolError as refused:
        return responses.error(refused.status, refused.message)
    if not isinstance(operation, UpdateRequest):
        return responses.error(400, "this endpoint runs updates: send an 'update' parameter "
                                    "or an application/sparql-update body")
    return run_update(operation)


def run_update(operation: UpdateRequest) -> Response:
    """Run an update in one transaction: ``204`` when it committed.

    Only for requests with ``Authorization: Bearer <token>`` on a server started with a token:
    ``403`` on a read-only server, ``401`` without the token or with a wrong one (nothing runs).
    ``LOAD`` and ``SERVICE`` whose target is outside the allow-lists: ``403``. The protocol's
    ``using-graph-uri`` / ``using-named-graph-uri`` become ``USING`` / ``USING NAMED`` clauses of
    every ``DELETE``/``INSERT ... WHERE``; with ``USING`` or ``WITH`` in the text as well: ``400``.
    In an update, ``WHERE`` sees the store's own default graph (not the union of the graphs
    that queries see): name graphs with ``GRAPH`` or ``USING``. A syntax error, or an operation
    that cannot apply (``CLEAR GRAPH`` of a graph that does not exist, without ``SILENT``):
    ``400``, and nothing is changed; the store locked by another writer for more than 2 s:
    ``503`` with ``Retry-After``; a remote store's server that cannot be reached or fails:
    ``502`` (``504`` when it does not answer in time). Before it runs here (or is sent to a
    remote store), the update has a trial run on an empty store in a query worker
    (``kg.web.worker.UpdateCheck``): one that is not SPARQL 1.1 or crashes the engine there is
    ``400``, one that outlasts the time limit there ``503``.
    """
    settings = context.settings()
    refused = auth.refusal(settings, request.headers.get("Authorization"))
    if refused is not None:
        return refused
    text = operation.text
    for keyword, allow_list in (("LOAD", settings.load_allow),
                                ("SERVICE", settings.service_allow)):
        for target in outbound_targets(text, keyword):
            if not allowed(target, allow_list):
                return responses.error(403, f"{keyword} <{target}> is refused: this server makes "
                                            "no outbound requests to targets outside its "
                                            "allow-list")
    if operation.using or operation.using_named:
        if names_update_dataset(text):
            return responses.error(400, "using-graph-uri and using-named-graph-uri cannot be "
                                        "combined with USING, USING NAMED or WITH in the update")
        text = add_using(text, operation.using, operation.using_named)
    refused = _trial(text)
    if refused is not None:
        return refused
    try:
        with context.access().writer() as store:
            store.update(text)
    except QueryError as error:
        return responses.error(400, error.message)
    except RuntimeError as error:  # pyoxigraph: an operation that cannot apply (CLEAR of no graph)
        return responses.error(400, f"the update cannot be applied: {error}")
    except StoreLocked:
        return responses.error(503, "another process is writing the store; try again shortly",
                               {"Retry-After": "2"})
    except UpstreamError as error:
        return responses.upstream_error(error)
    except (StoreError, OSError) as error:
        return responses.error(500, f"the update failed: {error}")
    context.cache().clear()
    return Response(status=204)


def _trial(text: str) -> Response | None:
    """Refuse an update that crashes or outlasts a trial run in a query worker (where a crash
    costs one worker, not this server process); None when it may run here."""
    settings = context.settings()
    try:
        outcome = context.pool().run(UpdateCheck(text), time.monotonic() + settings.query_timeout)
    except DeadlineExceeded:
        return responses.error(503, "the update was not run: its trial run in a query worker "
                                    "did not finish within the time limit "
                                    f"({settings.query_timeout:g} s)")
    except WorkerLost as lost:
        if lost.crashed:
            return responses.error(400, "the query engine crashed on this update in a trial "
                                        "run, so it was not run: simplify it; long chains of "
                                        "operators or patterns overflow the engine's stack")
        return responses.error(500, f"{lost}; try again")
    if outcome.status != 200:  # a syntax error: nothing is run (nor sent to a remote store)
        return responses.error(outcome.status, outcome.message)
    return None
