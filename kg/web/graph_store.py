"""The SPARQL 1.1 Graph Store HTTP Protocol at ``/store`` (indirect graph identification).

``?graph=IRI`` names a graph, ``?default`` the store's own default graph (not the union that
queries see); without either, the request is about the whole dataset. Reads run in the query
workers (time limit, bounded memory); writes need the update token, like SPARQL updates.
An upload is parsed completely into a spool file (by a query worker, under the time limit)
before the store is touched, so a malformed payload (400) changes nothing; each write is one
journaled, all-or-nothing replacement of the graphs it touches.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from flask import Blueprint, Response, request, url_for
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse, serialize

from kg.errors import StoreError, StoreLocked, UpstreamError
from kg.store import Store
from kg.store.base import Graph
from kg.web import auth, context, responses
from kg.web.negotiation import (
    DATASETS,
    GRAPHS,
    QUAD_FORMATS,
    accepts_gzip,
    content_type,
    negotiate,
    upload_format,
)
from kg.web.pool import DeadlineExceeded, WorkerLost
from kg.web.protocol import ProtocolError, check_iri
from kg.web.worker import DumpJob, ParseJob

graph_store = Blueprint("graph_store", __name__)

#: Read in chunks of this size when spooling an upload.
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Target:
    """What a request is about: one graph (``graph``: an IRI, or ``""`` for the default graph),
    or the whole dataset (``graph`` None)."""

    graph: str | None

    @property
    def term(self) -> Graph | None:
        if self.graph is None:
            return None
        return NamedNode(self.graph) if self.graph else DefaultGraph()


def target() -> Target:
    """The request's target from ``?graph=`` / ``?default``; raises ProtocolError 400."""
    graphs = request.args.getlist("graph")
    if len(graphs) > 1 or (graphs and "default" in request.args):
        raise ProtocolError(400, "name one graph: either ?graph=IRI or ?default")
    if graphs:
        return Target(check_iri(graphs[0], "graph"))
    return Target("" if "default" in request.args else None)


def _exists(store: Store, graph: str) -> bool:
    return graph == "" or NamedNode(graph) in set(store.named_graphs())


@graph_store.route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
def store() -> Response:
    """The Graph Store.

    - ``GET``/``HEAD ?graph=IRI`` or ``?default``: the graph's triples (Turtle by default;
      N-Triples, RDF/XML, JSON-LD, N-Quads, TriG by ``Accept`` or ``format``); without a target,
      the whole dataset (N-Quads or TriG). ``404`` for a graph that does not exist, ``406`` when
      no format fits; ``ETag``/``Last-Modified`` and ``304`` as for queries.
    - ``PUT ?graph=``/``?default``: replace the graph with the payload; ``201`` when the graph is
      new, ``204`` otherwise (an empty payload leaves no graph: the store keeps no empty ones).
    - ``POST ?graph=``/``?default``: merge the payload into the graph (``201`` when new, else
      ``204``). ``POST`` without a target: triples become a new graph, ``201`` with its address in
      ``Location``; quads (N-Quads, TriG) are merged into their graphs, ``204``.
    - ``DELETE ?graph=``/``?default``: drop the graph (clear the default graph), ``204``; ``404``
      for a graph that does not exist.

    Payloads: Turtle, N-Triples, RDF/XML, JSON-LD, N3, N-Quads, TriG (a graph target takes no
    named graphs); another ``Content-Type`` is ``415``, an unparsable payload ``400`` (so is one
    that crashes the parser, or RDF/XML whose entities would blow up), one over the size limit
    ``413``, one whose parsing outlasts the time limit ``503``. Writes need the update token
    (``401``/``403`` otherwise). Over a remote store, which keeps every triple in a named graph,
    a write to ``?default`` is ``400``; a server behind this one that cannot be reached or fails
    is ``502`` (``504`` when it does not answer in time).
    """
    try:
        found = target()
    except ProtocolError as refused:
        return responses.error(refused.status, refused.message)
    if request.method in ("GET", "HEAD"):
        return _read(found)
    refused_write = auth.refusal(context.settings(), request.headers.get("Authorization"))
    if refused_write is not None:
        return refused_write
    if found.graph == "" and context.access().remote:
        return responses.error(400, "this server's store is a remote SPARQL server, where "
                                    "every triple is in a named graph: write to ?graph=IRI")
    try:
        if request.method == "DELETE":
            return _delete(found)
        return _write(found, replace=request.method == "PUT")
    except ProtocolError as refused:
        return responses.error(refused.status, refused.message)
    except StoreLocked:
        return responses.error(503, "another process is writing the store; try again shortly",
                               {"Retry-After": "2"})
    except UpstreamError as error:
        return responses.upstream_error(error)
    except StoreError as error:
        return responses.error(500, f"the write failed: {error}")


def _read(found: Target) -> Response:
    settings = context.settings()
    access = context.access()
    if found.graph and not _exists(access.reader(), found.graph):
        return responses.error(404, f"no graph <{found.graph}> in this store")
    offer = DATASETS if found.graph is None else GRAPHS
    override = request.args.get("format")
    media_type = negotiate(request.headers.get("Accept"), override, offer)
    if media_type is None:
        return responses.error(406, "none of the accepted media types is available; "
                                    f"offered: {', '.join(offer.types)}")
    use_gzip = accepts_gzip(request.headers.get("Accept-Encoding"))
    validators = responses.validators(access.generation(), access.last_modified(),
                                      ("store", found.graph, media_type), gzip=use_gzip)
    unchanged = responses.not_modified(request, validators)
    if unchanged is not None:
        return unchanged
    if request.method == "HEAD":
        response = Response(status=200, content_type=content_type(media_type))
        response.vary.update(("Accept", "Accept-Encoding"))
        return validators.apply(response)
    try:
        outcome = context.pool().run(DumpJob(found.graph, media_type),
                                     time.monotonic() + settings.query_timeout)
    except DeadlineExceeded as stopped:
        return responses.error(503, f"{stopped} (time limit: {settings.query_timeout:g} s)")
    except WorkerLost as lost:
        return responses.error(500, f"{lost}; try again")
    if outcome.status != 200:
        return responses.error(outcome.status, outcome.message)
    return validators.apply(responses.body(outcome, request=request, use_gzip=use_gzip))


def _delete(found: Target) -> Response:
    term = found.term
    if term is None:
        raise ProtocolError(400, "DELETE needs ?graph=IRI or ?default")
    with context.access().writer() as store:
        if found.graph and not _exists(store, found.graph):
            return responses.error(404, f"no graph <{found.graph}> in this store")
        store.replace_graphs([term], [])
    context.cache().clear()
    return Response(status=204)


def _write(found: Target, *, replace: bool) -> Response:
    settings = context.settings()
    if replace and found.graph is None:
        raise ProtocolError(400, "PUT needs ?graph=IRI or ?default")
    fmt = upload_format(request.mimetype)
    if fmt is None:
        raise ProtocolError(415, f"cannot read {request.mimetype or 'a body without type'!r}; "
                                 "send Turtle, N-Triples, RDF/XML, JSON-LD, N3, N-Quads or TriG")
    created_graph = None
    if found.graph is None and fmt not in QUAD_FORMATS:
        created_graph = f"{settings.base_iri}graph/upload-{uuid.uuid4().hex}"
        found = Target(created_graph)
    request.max_content_length = settings.max_body_bytes
    folder = Path(tempfile.mkdtemp(prefix="kg-upload-"))
    try:
        payload = _spool_payload(folder, request.mimetype, found)
        with context.access().writer() as store:
            graphs = payload.graphs
            created = found.graph is not None and any(
                not _exists(store, g.value) for g in graphs if isinstance(g, NamedNode))
            if replace:
                store.replace_graphs(graphs, _parsed(payload.path))
            else:
                existing = folder / "existing.nq"
                with existing.open("wb") as handle:
                    serialize(chain.from_iterable(_quads(store, g) for g in graphs), handle,
                              RdfFormat.N_QUADS)
                store.replace_graphs(graphs, chain(_parsed(existing), _parsed(payload.path)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    context.cache().clear()
    if created_graph is not None:
        location = url_for("graph_store.store", graph=created_graph, _external=True)
        return Response(status=201, headers={"Location": location})
    return Response(status=201 if created else 204)


@dataclass(frozen=True)
class _Payload:
    path: Path
    graphs: list[Graph]


def _spool_payload(folder: Path, media_type: str, found: Target) -> _Payload:
    """Copy the request body to ``folder`` and have a query worker parse it into N-Quads there
    (in ``found``'s graph when it names one). Raises ProtocolError 400 for a malformed payload
    (or one that crashed the parser), 503 for one that took longer than the time limit."""
    raw = folder / "payload"
    with raw.open("wb") as handle:
        shutil.copyfileobj(request.stream, handle, CHUNK_BYTES)
    parsed = folder / "payload.nq"
    settings = context.settings()
    job = ParseJob(str(raw), str(parsed), media_type, found.graph,
                   found.graph or f"{settings.base_iri}graph/")
    try:
        outcome = context.pool().run(job, time.monotonic() + settings.query_timeout)
    except DeadlineExceeded:
        raise ProtocolError(503, "parsing the payload took longer than the time limit "
                                 f"({settings.query_timeout:g} s); nothing was changed") from None
    except WorkerLost as lost:
        if lost.crashed:
            raise ProtocolError(400, "the payload cannot be read: the parser crashed on it "
                                     "(nested too deeply?); nothing was changed") from None
        raise ProtocolError(500, f"{lost}; try again") from None
    if outcome.status != 200:
        raise ProtocolError(outcome.status, outcome.message)
    graphs: list[Graph] = [NamedNode(graph) if graph else DefaultGraph()
                           for graph in outcome.graphs]
    return _Payload(parsed, graphs)


def _quads(store: Store, graph: Graph) -> Iterator[Quad]:
    if isinstance(graph, NamedNode):
        return store.quads(graph)
    return (quad for quad in store.quads() if isinstance(quad.graph_name, DefaultGraph))


def _parsed(path: Path) -> Iterator[Quad]:
    return iter(parse(path=path, format=RdfFormat.N_QUADS))
