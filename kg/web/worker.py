"""A query worker: a process that answers read jobs from its own read-only store snapshot (and
trial runs of updates, ``UpdateCheck``, on an empty store of its own).

pyoxigraph cannot cancel a running query, so queries run here, where the server can stop them
by killing the process (``kg.web.pool``). A worker reopens its snapshot when the store's
generation token changes (a write committed, in any process), runs one job at a time, and
answers with the serialized bytes, written by pyoxigraph's own writers: in memory up to
``inline_bytes``, beyond that in a file of its spool folder that the server streams to the client
(so a slow client never holds a worker, and no process holds a large result in memory).

Over a remote store (``RemoteWorker``), a worker forwards each query to the SPARQL server
through ``kg.store.RemoteStore`` and writes the answer the same way, so the time limit, the cap
and the formats are this server's whatever the server behind it does. The query is parsed here
first (pyoxigraph, over an empty store): only SPARQL 1.1 is forwarded, and a syntax error gets
the same ``400`` as over the embedded store.

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
import mmap
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, cast

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QuadParser,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    Store,
    parse,
    parse_query_results,
    serialize,
)

from kg.errors import QueryError, StoreError, StoreLocked, UpstreamError, UpstreamTimeout
from kg.store.base import Graph, QueryResult
from kg.store.embedded import GENERATION, EmbeddedStore, writing
from kg.store.remote import RemoteConfig, RemoteStore, remote_config
from kg.web.negotiation import (
    DATASET_TYPES,
    GRAPH_TYPES,
    GRAPHS,
    SOLUTION_TYPES,
    SOLUTIONS,
    negotiate,
    upload_format,
)
from kg.web.sparql_text import Token, silenced, tokens


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
    #: The time limit in seconds (0: none); the pool enforces it, and a remote store's server
    #: that can be told to stop a query is told to stop it shortly after (``RemoteWorker``).
    timeout: float = 0.0


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
    #: For a ParseJob: the graphs the payload fills (an IRI, or ``""`` for the default graph).
    graphs: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateCheck:
    """A trial run of a SPARQL update on an empty in-memory store, before the server runs it on
    the real one in its own process.

    The engine evaluates some updates (long chains of patterns or operators) by recursion deep
    enough to overflow its stack, which kills the process it runs in. Here that costs one worker,
    and the update is refused; the trial runs in a thread with a stack of ``CHECK_STACK_BYTES``,
    a quarter of the server's HTTP threads' (``kg.web.serve``), so an update that passes it has
    room to spare there. Graph operations are made ``SILENT`` so that one failing on the empty
    store (``DROP GRAPH`` of a graph it lacks) does not end the trial before the operations
    after it. (A ``LOAD`` or ``SERVICE`` whose target is on the server's allow-list is called by
    the trial too: the others never reach it.) A syntax error ends the check with ``400`` and
    the parser's message: the update is not run, nor sent to a remote store (which might accept
    its own dialect, such as Virtuoso's ``DEFINE`` pragmas).
    """

    sparql: str


#: The stack of the thread that runs an ``UpdateCheck``.
CHECK_STACK_BYTES = 4 << 20


@dataclass(frozen=True)
class ParseJob:
    """A Graph Store upload: the file ``source``, of the upload type ``media_type``, parsed into
    N-Quads written to ``target``, into ``graph`` (an IRI, or ``""`` for the default graph) or,
    when None, into the graphs the payload names; relative IRIs resolve against ``base_iri``.

    Parsed here rather than in the server: the parsers recurse on nested JSON-LD objects and
    triple terms deeply enough to crash the process that runs them, some nestings take them
    minutes, and XML entities can expand a small payload to gigabytes. Here a crash costs one
    worker and the time limit holds; RDF/XML entities are checked first (``entity_expansion``).
    """

    source: str
    target: str
    media_type: str
    graph: str | None
    base_iri: str


Job = QueryJob | DumpJob | UpdateCheck | ParseJob


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
            # The read-only open itself rolls back the journal of a writer that was killed, and
            # waits for a live one (a check of writing() alone waited forever on the former).
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


@dataclass(frozen=True)
class RemoteSource:
    """A remote store as the server and its query workers open it: ``location`` (an
    ``http(s)://`` URL or a ``.toml`` file, see ``kg.store.remote``) and ``kind`` (None: detected
    from the server's answer when first opened, so the server may start before the store)."""

    location: str
    kind: str | None = None
    #: The configuration when already known (an app built over a given RemoteStore).
    config: RemoteConfig | None = None

    def resolve(self) -> RemoteConfig:
        """The configuration; raises ConfigError, or UpstreamError when the kind must be
        detected and the server does not answer."""
        return self.config or remote_config(self.location, kind=self.kind)

    def open(self, config: RemoteConfig, *, read_only: bool,
             timeout: float | None = None) -> RemoteStore:
        """The store with ``config``, its HTTP timeout lowered to ``timeout`` when given."""
        if timeout is not None and timeout < config.timeout:
            config = replace(config, timeout=timeout)
        return RemoteStore(config, location=self.location, read_only=read_only)


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


#: A store a worker reads: a snapshot of the embedded store, or a remote store.
Readable = EmbeddedStore | RemoteStore


class Worker:
    """Runs jobs against a snapshot, writing bodies beyond ``inline_bytes`` to ``spool``."""

    def __init__(self, location: str, spool: Path, inline_bytes: int) -> None:
        self.snapshot = Snapshot(location)
        self.spool = spool
        self.inline_bytes = inline_bytes

    def run(self, job: Job) -> Outcome:
        """The outcome of ``job``; never raises (a failure is an outcome with its status)."""
        if isinstance(job, UpdateCheck):
            return check_update(job)
        if isinstance(job, ParseJob):
            return parse_upload(job)
        try:
            return self._answer(job)
        except QueryError as error:
            return Outcome(400, message=error.message)
        except UpstreamTimeout as error:
            return Outcome(504, message=f"the SPARQL server behind this one did not answer in "
                                        f"time: {error.message}")
        except UpstreamError as error:
            return Outcome(502, message=f"the SPARQL server behind this one failed: "
                                        f"{error.message}")
        except StoreError as error:
            return Outcome(503, message=error.message)
        except (OSError, ValueError, RuntimeError, SyntaxError) as error:
            # Raised by pyoxigraph while evaluating (a SERVICE that failed, an I/O error).
            return Outcome(500, message=f"the query failed: {error}")

    def _answer(self, job: QueryJob | DumpJob) -> Outcome:
        try:
            return self._run(job, self.snapshot.store())
        except OSError:
            # A snapshot can go stale when a writer compacts the files it had not opened
            # yet: one retry on a fresh snapshot.
            return self._run(job, self.snapshot.store(fresh=True))

    def _run(self, job: QueryJob | DumpJob, store: Readable) -> Outcome:
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

    def _evaluate(self, job: QueryJob, store: Readable) -> QueryResult:
        if job.default_graphs is None and job.named_graphs is None:
            return store.query(job.sparql, union=job.union)
        default, named = _dataset(job)
        return store.query(job.sparql, default_graph=default, named_graphs=named)

    def _query(self, job: QueryJob, store: Readable) -> Outcome:
        result = self._evaluate(job, store)
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

    def _dump(self, job: DumpJob, store: Readable) -> Outcome:
        spool = self._new_spool()
        try:
            if job.graph is None:
                serialize(store.quads(), _io(spool), DATASET_TYPES[job.media_type])
            elif isinstance(store, RemoteStore):
                # Graph by graph, checked to be complete (a server may cut CONSTRUCT results);
                # the remote default graph holds nothing of the store's.
                graph = NamedNode(job.graph) if job.graph else DefaultGraph()
                serialize((quad.triple for quad in store.quads(graph)), _io(spool),
                          GRAPH_TYPES[job.media_type])
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


class RemoteWorker(Worker):
    """Runs jobs against a remote store: each query is parsed here (``check_query``), sent to
    the SPARQL server, and its answer written as ``Worker`` writes the embedded store's."""

    def __init__(self, source: RemoteSource, spool: Path, inline_bytes: int) -> None:
        self.source = source
        self.spool = spool
        self.inline_bytes = inline_bytes
        self._store: RemoteStore | None = None
        self._empty = Store()

    #: How long after the client's time limit the server behind is asked to stop the query (the
    #: pool's deadline comes first, so the client gets this server's answer to a timeout).
    REMOTE_GRACE = 0.5

    def _evaluate(self, job: QueryJob, store: Readable) -> QueryResult:
        assert isinstance(store, RemoteStore)
        timeout = job.timeout + self.REMOTE_GRACE if job.timeout else None
        if job.default_graphs is None and job.named_graphs is None:
            return store.query(job.sparql, union=job.union, timeout=timeout)
        default, named = _dataset(job)
        return store.query(job.sparql, default_graph=default, named_graphs=named,
                           timeout=timeout)

    def _answer(self, job: QueryJob | DumpJob) -> Outcome:
        if isinstance(job, QueryJob):
            check_query(job.sparql, self._empty)
        if self._store is None:  # opened on the first job: the server may start after us
            self._store = self.source.open(self.source.resolve(), read_only=True)
        try:
            return self._run(job, self._store)
        except (OSError, ValueError, RuntimeError, SyntaxError) as error:
            # pyoxigraph's parsers reading the server's answer
            raise UpstreamError(f"its answer cannot be read: {error}") from None


#: IRI schemes (and prefixes, which Virtuoso declares itself) that name Virtuoso's built-in SQL
#: functions; a query that names them is never forwarded.
ENGINE_SCHEMES = ("bif:", "sql:")
#: What a ``SERVICE`` target becomes for the check: an IRI that no request can be sent to.
NOWHERE = "<urn:x-kg:not-called>"


def check_query(sparql: str, empty: Store) -> None:
    """Refuse, before it is forwarded to a remote store, a query that is not SPARQL 1.1 (raise
    QueryError with pyoxigraph's message and position, as the embedded store would) or that
    names a server's built-in functions (Virtuoso's ``bif:`` and ``sql:``): only the standard
    language reaches the server behind this one, never its own dialect (Virtuoso's ``DEFINE``
    pragmas). Parsed by running it over ``empty``, an empty store, which costs next to nothing
    (most forms are not even evaluated); ``SERVICE`` targets (which passed the allow-list) are
    replaced by ``NOWHERE`` for that, so no request leaves from here."""
    found = list(tokens(sparql))
    disarmed = sparql
    for index in reversed(range(len(found))):
        token = found[index]
        if token.kind in ("iri", "pname") and token.text.lstrip("<").lower().startswith(
                ENGINE_SCHEMES):
            raise QueryError(f"{token.text} is refused: this server forwards standard SPARQL "
                             "1.1 only, not the built-in functions of the server behind it",
                             field="query")
        if token.kind in ("iri", "pname") and _service_target(found, index):
            disarmed = disarmed[:token.start] + NOWHERE + disarmed[token.end:]
    message = _syntax_error(disarmed, empty)
    if message is not None and disarmed != sparql:
        # the parser's message with the positions of the text as sent (which fails to parse
        # the same way, before anything runs)
        message = _syntax_error(sparql, empty) or message
    if message is not None:
        raise QueryError(f"SPARQL syntax error: {message}", field="query")


def _syntax_error(sparql: str, empty: Store) -> str | None:
    """The parser's message when ``sparql`` is not a query, else None (an evaluation error over
    nothing is left to the server behind this one to report)."""
    try:
        empty.query(sparql)
    except SyntaxError as error:
        return str(error)
    except (OSError, ValueError, RuntimeError):
        pass
    return None


def _service_target(found: list[Token], index: int) -> bool:
    """Whether ``found[index]`` is the target of a ``SERVICE`` (``SERVICE [SILENT] target``)."""
    before = found[index - 1] if index >= 1 else None
    if before is not None and before.is_word("SILENT"):
        before = found[index - 2] if index >= 2 else None
    return before is not None and before.is_word("SERVICE")


def check_update(job: UpdateCheck) -> Outcome:
    """``200`` when the trial run of ``job``'s update ended (with an error or not: the real run
    reports errors), after running it in a thread with a stack of ``CHECK_STACK_BYTES``; ``400``
    with the parser's message (positions in the text as sent) when it is not SPARQL 1.1."""
    errors: list[BaseException] = []

    def trial() -> None:
        try:
            Store().update(silenced(job.sparql))
        except SyntaxError:
            try:  # the message with the positions of the text as sent
                Store().update(job.sparql)
            except SyntaxError as error:
                errors.append(error)
            except (ValueError, RuntimeError, OSError):
                pass
        except (ValueError, RuntimeError, OSError) as error:
            errors.append(error)

    previous = threading.stack_size(CHECK_STACK_BYTES)
    try:
        thread = threading.Thread(target=trial, name="kg-update-check")
        thread.start()
    finally:
        threading.stack_size(previous)
    thread.join()
    if errors and isinstance(errors[0], SyntaxError):
        return Outcome(400, message=f"SPARQL syntax error: {errors[0]}")
    return Outcome(200, message=str(errors[0]) if errors else "")


#: The most bytes the entity references of an RDF/XML upload may expand to (the XML parser
#: expands them in memory, and a few hundred bytes of nested entities expand to gigabytes).
MAX_ENTITY_EXPANSION = 16 << 20
_ENTITY = re.compile(rb"""<!ENTITY\s+([^\s%"'>]+)\s+(?:"([^"]*)"|'([^']*)')""")


def entity_expansion(path: str) -> str | None:
    """Why the entities an XML file declares may not be expanded, or None when they may: an
    entity that refers to others (the "billion laughs"), or references to them that would
    expand to more than ``MAX_ENTITY_EXPANSION`` bytes."""
    if os.path.getsize(path) == 0:
        return None
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        values = {name: double or single for name, double, single in _ENTITY.findall(data)}
        if any(b"&" in value or b"%" in value for value in values.values()):
            return "an entity refers to other entities"
        total = 0
        for name, value in values.items():
            for _ in re.finditer(b"&" + re.escape(name) + b";", data):
                total += len(value)
                if total > MAX_ENTITY_EXPANSION:
                    return f"its entity references expand to more than {MAX_ENTITY_EXPANSION} bytes"
    return None


def parse_upload(job: ParseJob) -> Outcome:
    """``200`` with the graphs filled when ``job``'s payload parsed; ``400`` saying where it
    cannot be read otherwise (or why its XML entities are not expanded)."""
    fmt = upload_format(job.media_type)
    if fmt is None:
        return Outcome(415, message=f"cannot read {job.media_type!r}")
    if fmt == RdfFormat.RDF_XML:
        refused = entity_expansion(job.source)
        if refused is not None:
            return Outcome(400, message=f"the payload's XML entities are not expanded: {refused}")
    into: Graph | None = None
    if job.graph is not None:
        into = NamedNode(job.graph) if job.graph else DefaultGraph()
    graphs: dict[str, None] = {}

    def quads() -> Iterator[Quad]:
        for quad in parse(path=job.source, format=fmt, base_iri=job.base_iri,
                          rename_blank_nodes=True, without_named_graphs=into is not None):
            if into is not None:
                quad = Quad(quad.subject, quad.predicate, quad.object, into)
            graph = quad.graph_name
            if isinstance(graph, NamedNode):
                graphs.setdefault(graph.value)
            elif isinstance(graph, DefaultGraph):
                graphs.setdefault("")
            else:
                raise SyntaxError("blank nodes cannot name graphs in this store")
            yield quad

    try:
        with open(job.target, "wb") as handle:
            serialize(quads(), handle, RdfFormat.N_QUADS)
    except (SyntaxError, ValueError) as error:
        message = getattr(error, "msg", None) or str(error)
        return Outcome(400, message=f"the payload cannot be read as {fmt.name}: {message}")
    return Outcome(200, graphs=tuple(graphs) if job.graph is None else (job.graph,))


def _dataset(job: QueryJob) -> tuple[list[Graph], list[NamedNode]]:
    """The protocol's dataset of ``job`` (``default-graph-uri``, ``named-graph-uri``)."""
    default: list[Graph] = [NamedNode(iri) for iri in job.default_graphs or ()]
    return default, [NamedNode(iri) for iri in job.named_graphs or ()]


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


def serve(connection: Connection, location: str | RemoteSource, spool: str,
          inline_bytes: int) -> None:
    """The worker process: answer each job received on ``connection`` until it closes;
    ``location`` is the embedded store's folder, or a remote store."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    worker = (RemoteWorker(location, Path(spool), inline_bytes)
              if isinstance(location, RemoteSource) else Worker(location, Path(spool),
                                                                 inline_bytes))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(worker.run(job))
