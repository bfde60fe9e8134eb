"""A query worker: a process that answers read jobs from its own read-only store snapshot.

pyoxigraph cannot cancel a running query, so queries run here, where the server can stop them
by killing the process (``kg.web.pool``). A worker reopens its snapshot when the store's
generation token changes (a write committed, in any process), runs one job at a time, and
answers with the serialized bytes, written by pyoxigraph's own writers: in memory up to
``inline_bytes``, beyond that in a file of its spool folder that the server streams to the client
(so a slow client never holds a worker, and no process holds a large result in memory).

The result cap: rows (SELECT) or triples (CONSTRUCT, DESCRIBE) beyond ``cap`` are not sent, and
the outcome says so (``truncated``) before any byte goes out. To count without building terms in
Python, results are first written as TSV or N-Triples (one line per row or triple, with any line
break inside a value escaped), cut after ``cap`` lines, and converted to the asked format by
pyoxigraph's parser and writer. A SELECT query whose text already ends with ``LIMIT n <= cap``
(and any query when there is no cap) is written directly.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tempfile
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, cast

from pyoxigraph import (
    NamedNode,
    QuadParser,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    parse,
    parse_query_results,
    serialize,
)

from kg.errors import QueryError, StoreError, StoreLocked
from kg.store.base import Graph
from kg.store.embedded import GENERATION, EmbeddedStore, writing
from kg.web.negotiation import (
    DATASET_TYPES,
    GRAPH_TYPES,
    GRAPHS,
    SOLUTION_TYPES,
    SOLUTIONS,
    negotiate,
)


@dataclass(frozen=True)
class QueryJob:
    """One SPARQL query and how to answer it."""

    sparql: str
    #: Whether the default graph is the union of all graphs (no FROM, no protocol dataset).
    union: bool
    #: The protocol's dataset (``default-graph-uri``, ``named-graph-uri``); None: not given.
    default_graphs: tuple[str, ...] | None
    named_graphs: tuple[str, ...] | None
    accept: str | None
    #: The ``format``/``output`` parameter.
    override: str | None
    #: The most rows or triples to send; 0: no cap.
    cap: int
    #: The text ends with ``LIMIT n`` where ``n <= cap`` (a SELECT then needs no counting).
    bounded: bool


@dataclass(frozen=True)
class DumpJob:
    """The triples of one graph (``graph``: an IRI, or ``""`` for the default graph), or all
    quads (``graph`` None), in ``media_type`` (already negotiated)."""

    graph: str | None
    media_type: str


@dataclass(frozen=True)
class Outcome:
    """A worker's answer: a status, and a body in memory (``body``) or in a file (``path``)."""

    status: int
    media_type: str | None = None
    body: bytes = b""
    path: str | None = None
    size: int = 0
    #: For SELECT, CONSTRUCT and DESCRIBE: whether rows beyond the cap were left out.
    truncated: bool | None = None
    message: str = ""


Job = QueryJob | DumpJob


def generation_of(location: str) -> str:
    """The store's generation token (changes with every committed write; empty if none yet)."""
    try:
        return (Path(location) / GENERATION).read_text("utf-8")
    except FileNotFoundError:
        return ""


class GenerationWatch:
    """The store's generation token, re-read only when its file changed.

    Every commit replaces the token file, so comparing the file's identity from ``os.stat`` (a
    fraction of reading it) tells whether the token must be read again. A file changed in the last
    ``RECENT`` seconds is read anyway: two commits within one tick of the file system's clock
    could leave a reused inode with the same time and size.
    """

    RECENT = 2.0

    def __init__(self, location: str) -> None:
        self.path = Path(location) / GENERATION
        self._seen: tuple[int, int, int] | None = None
        self._token = ""
        self.modified: float | None = None

    def token(self) -> str:
        try:
            found = os.stat(self.path)
        except FileNotFoundError:
            self._seen, self._token, self.modified = None, "", None
            return ""
        identity = (found.st_ino, found.st_mtime_ns, found.st_size)
        if identity != self._seen or time.time() - found.st_mtime < self.RECENT:
            self._token = generation_of(str(self.path.parent))
            self._seen = identity
            self.modified = found.st_mtime
        return self._token


class Snapshot:
    """A read-only view of the store, reopened when its generation changes."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.watch = GenerationWatch(location)
        self._store: EmbeddedStore | None = None
        self._generation: str | None = None

    def store(self, *, fresh: bool = False) -> EmbeddedStore:
        """The current snapshot: the one open unless a write committed since (or ``fresh``).

        A snapshot is only opened while no replacement of graphs is under way (it would see it
        half done): the open waits up to ``WRITE_WAIT`` seconds for one to finish, then raises
        StoreLocked. Raises StoreError when the store cannot be opened.
        """
        generation = self.watch.token()  # read before opening: never newer than the snapshot
        if not fresh and self._store is not None and generation == self._generation:
            return self._store
        deadline = time.monotonic() + self.WRITE_WAIT
        while True:
            if not writing(self.location):
                store = self._open()
                if not writing(self.location) and self.watch.token() == generation:
                    self._store, self._generation = store, generation
                    return store
            if time.monotonic() >= deadline:
                raise StoreLocked("a write to the store is under way; try again shortly",
                                  source=self.location)
            time.sleep(0.05)
            generation = self.watch.token()

    WRITE_WAIT = 5.0

    def _open(self) -> EmbeddedStore:
        try:
            return EmbeddedStore(self.location, read_only=True)
        except StoreError:
            # A writer may have compacted away a file between listing and opening it.
            time.sleep(0.05)
            return EmbeddedStore(self.location, read_only=True)


# --- writing ---------------------------------------------------------------------------------


class Spool:
    """A binary sink: memory up to ``inline_bytes``, then a file in ``folder``."""

    def __init__(self, folder: Path, inline_bytes: int) -> None:
        self._folder = folder
        self._inline_bytes = inline_bytes
        self._memory = io.BytesIO()
        self._file: IO[bytes] | None = None
        self.path: str | None = None
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        chunk = bytes(data)
        if self._file is None and self.size + len(chunk) > self._inline_bytes:
            descriptor, self.path = tempfile.mkstemp(dir=self._folder, suffix=".out")
            self._file = os.fdopen(descriptor, "wb")
            self._file.write(self._memory.getbuffer())
            self._memory = io.BytesIO()
        (self._file or self._memory).write(chunk)
        self.size += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        """Nothing to do: pyoxigraph's writers call it."""

    def finish(self) -> bytes | str:
        """The bytes written (kept in memory), or the path of the file that holds them."""
        if self._file is None:
            return self._memory.getvalue()
        self._file.close()
        assert self.path is not None
        return self.path

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        if self.path is not None:
            Path(self.path).unlink(missing_ok=True)


class CapReached(Exception):
    """Raised into pyoxigraph's writer to stop it once the cap is reached."""


class LineCap:
    """Passes at most ``lines`` complete lines to ``sink``, then stops the writer."""

    def __init__(self, sink: Spool, lines: int) -> None:
        self._sink = sink
        self._remaining = lines
        self.truncated = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        chunk = bytes(data)
        if self.truncated or not chunk:
            return len(chunk)  # the writer may flush once more after being stopped
        if self._remaining == 0:
            self.truncated = True
            raise CapReached
        newlines = chunk.count(b"\n")
        if newlines < self._remaining or (newlines == self._remaining
                                          and chunk.endswith(b"\n")):
            self._remaining -= newlines
            self._sink.write(chunk)
            return len(chunk)
        end = -1
        for _ in range(self._remaining):
            end = chunk.index(b"\n", end + 1)
        self._sink.write(chunk[:end + 1])
        self._remaining = 0
        self.truncated = True
        raise CapReached

    def flush(self) -> None:
        """Nothing to do: pyoxigraph's writers call it."""


# --- jobs ------------------------------------------------------------------------------------


class Worker:
    """Runs jobs against a snapshot, writing bodies beyond ``inline_bytes`` to ``spool``."""

    def __init__(self, location: str, spool: Path, inline_bytes: int) -> None:
        self.snapshot = Snapshot(location)
        self.spool = spool
        self.inline_bytes = inline_bytes

    def run(self, job: Job) -> Outcome:
        """The outcome of ``job``; never raises (a failure is an outcome with its status)."""
        try:
            try:
                return self._run(job, self.snapshot.store())
            except OSError:
                # A snapshot can go stale when a writer compacts the files it had not opened
                # yet: one retry on a fresh snapshot.
                return self._run(job, self.snapshot.store(fresh=True))
        except QueryError as error:
            return Outcome(400, message=error.message)
        except StoreError as error:
            return Outcome(503, message=error.message)
        except (OSError, ValueError, RuntimeError, SyntaxError) as error:
            # Raised by pyoxigraph while evaluating (a SERVICE that failed, an I/O error).
            return Outcome(500, message=f"the query failed: {error}")

    def _run(self, job: Job, store: EmbeddedStore) -> Outcome:
        if isinstance(job, DumpJob):
            return self._dump(job, store)
        return self._query(job, store)

    def _new_spool(self) -> Spool:
        return Spool(self.spool, self.inline_bytes)

    def _done(self, spool: Spool, media_type: str, truncated: bool | None) -> Outcome:
        body = spool.finish()
        if isinstance(body, bytes):
            return Outcome(200, media_type, body=body, size=len(body), truncated=truncated)
        return Outcome(200, media_type, path=body, size=spool.size, truncated=truncated)

    def _query(self, job: QueryJob, store: EmbeddedStore) -> Outcome:
        if job.default_graphs is None and job.named_graphs is None:
            result = store.query(job.sparql, union=job.union)
        else:
            default: list[Graph] = [NamedNode(iri) for iri in job.default_graphs or ()]
            named = [NamedNode(iri) for iri in job.named_graphs or ()]
            result = store.query(job.sparql, default_graph=default, named_graphs=named)
        offer = GRAPHS if isinstance(result, QueryTriples) else SOLUTIONS
        media_type = negotiate(job.accept, job.override, offer)
        if media_type is None:
            return Outcome(406, message="none of the accepted media types is available; "
                                        f"offered: {', '.join(offer.types)}")
        if isinstance(result, QueryBoolean):
            body = result.serialize(format=SOLUTION_TYPES[media_type]) or b""
            return Outcome(200, media_type, body=body, size=len(body))
        spool = self._new_spool()
        try:
            if isinstance(result, QuerySolutions):
                truncated = self._solutions(result, job, SOLUTION_TYPES[media_type], spool)
            else:
                truncated = self._triples(result, job, GRAPH_TYPES[media_type], spool)
        except BaseException:
            spool.discard()
            raise
        return self._done(spool, media_type, truncated)

    def _solutions(self, result: QuerySolutions, job: QueryJob, fmt: QueryResultsFormat,
                   spool: Spool) -> bool:
        if job.cap == 0 or job.bounded:
            result.serialize(_io(spool), fmt)
            return False
        lines = self._new_spool() if fmt != QueryResultsFormat.TSV else spool
        cap = LineCap(lines, job.cap + 1)  # the header line, then one line per row
        with contextlib.suppress(CapReached):
            result.serialize(_io(cap), QueryResultsFormat.TSV)
        if lines is not spool:
            try:
                _solutions_from_tsv(lines.finish()).serialize(_io(spool), fmt)
            finally:
                lines.discard()
        return cap.truncated

    def _triples(self, result: QueryTriples, job: QueryJob, fmt: RdfFormat,
                 spool: Spool) -> bool:
        if job.cap == 0:
            result.serialize(_io(spool), fmt)
            return False
        lines = self._new_spool() if fmt != RdfFormat.N_TRIPLES else spool
        cap = LineCap(lines, job.cap)
        with contextlib.suppress(CapReached):
            result.serialize(_io(cap), RdfFormat.N_TRIPLES)
        if lines is not spool:
            try:
                serialize(_triples_from_ntriples(lines.finish()), _io(spool), fmt)
            finally:
                lines.discard()
        return cap.truncated

    def _dump(self, job: DumpJob, store: EmbeddedStore) -> Outcome:
        spool = self._new_spool()
        try:
            if job.graph is None:
                serialize(store.quads(), _io(spool), DATASET_TYPES[job.media_type])
            else:
                pattern = f"GRAPH <{job.graph}> {{ ?s ?p ?o }}" if job.graph else "?s ?p ?o"
                sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {pattern} }}"
                result = store.query(sparql, union=False)
                assert isinstance(result, QueryTriples)
                result.serialize(_io(spool), GRAPH_TYPES[job.media_type])
        except BaseException:
            spool.discard()
            raise
        return self._done(spool, job.media_type, None)


def _io(sink: Spool | LineCap) -> IO[bytes]:
    # pyoxigraph's writers only call write() and flush(), which both sinks have.
    return cast(IO[bytes], sink)


def _solutions_from_tsv(body: bytes | str) -> QuerySolutions:
    """The rows of a spooled TSV body (bytes in memory, or a file's path)."""
    if isinstance(body, bytes):
        parsed = parse_query_results(body, QueryResultsFormat.TSV)
    else:
        parsed = parse_query_results(path=body, format=QueryResultsFormat.TSV)
    assert isinstance(parsed, QuerySolutions)
    return parsed


def _triples_from_ntriples(body: bytes | str) -> QuadParser:
    """The triples of a spooled N-Triples body (bytes in memory, or a file's path)."""
    if isinstance(body, bytes):
        return parse(body, RdfFormat.N_TRIPLES)
    return parse(path=body, format=RdfFormat.N_TRIPLES)


def serve(connection: Connection, location: str, spool: str, inline_bytes: int) -> None:
    """The worker process: answer each job received on ``connection`` until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    worker = Worker(location, Path(spool), inline_bytes)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(worker.run(job))
