"""The server's view of its store: an embedded store folder, or a remote SPARQL server.

Embedded (``EmbeddedAccess``): the server never holds RocksDB's write lock while idle, so that
``kg ingest`` can write from another process while it serves. Reads in the server process
(existence checks, statistics, pages) use a read-only snapshot, reopened whenever the store's
generation token changes; queries run in worker processes with their own snapshots
(``kg.web.pool``). Each write opens the store for writing, commits, and closes it again; writes of
this process are serialized, and a write while another process holds the lock waits up to
``LOCK_WAIT`` seconds, then gives up with StoreLocked (the server answers 503 with Retry-After).

Remote (``RemoteAccess``): reads and writes go to the SPARQL server through
``kg.store.RemoteStore``; queries are sent by the worker processes, so the time limit, the result
cap and the formats stay this server's. A server that cannot be reached or fails raises
UpstreamError (the server answers 502, or 504 when it did not answer in time).

An app built over a given store (``create_app(store=...)``, as tests do) reads and writes that
store instead.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from kg.config import Settings
from kg.errors import StoreLocked, UpstreamError
from kg.store import EmbeddedStore, Store, is_remote
from kg.store.embedded import writing
from kg.store.remote import RemoteConfig, RemoteStore
from kg.web.worker import GenerationWatch, RemoteSource, Snapshot

logger = logging.getLogger("kg.web")

#: How long a write waits for another process to release the store.
LOCK_WAIT = 2.0
#: Over a remote store: the longest the server's version stays the same without a write through
#: this server (see ``RemoteAccess.generation``), in seconds.
REMOTE_FRESHNESS = 5.0
#: Over a remote store: the longest ``/health`` waits for the server's answer, in seconds.
PROBE_TIMEOUT = 5.0


class StoreAccess(ABC):
    """Reads and writes of the store for one server process: ``EmbeddedAccess`` or
    ``RemoteAccess``."""

    location: str
    #: Whether the store is a remote SPARQL server.
    remote: bool = False

    @property
    @abstractmethod
    def worker_source(self) -> str | RemoteSource:
        """What the query workers open: the store's folder, or the remote store."""

    @abstractmethod
    def ensure_exists(self) -> None:
        """Make the store ready to be read (create an empty one when it is missing)."""

    @abstractmethod
    def generation(self) -> str:
        """The store's version: changes with every committed write."""

    @abstractmethod
    def last_modified(self) -> datetime | None:
        """When the last write committed, if known."""

    @abstractmethod
    def reader(self) -> Store:
        """The store to read from now."""

    def check(self) -> None:
        """Raise StoreError when the store cannot be read now (for ``/health``)."""
        self.reader()

    @abstractmethod
    def writer(self) -> AbstractContextManager[Store]:
        """The store opened for writing, for the length of one write."""


def open_access(settings: Settings, given: Store | None = None) -> StoreAccess:
    """The access to ``given``, else to the store ``settings.store`` names (a folder, a URL or
    a ``.toml`` file). Raises ConfigError for an unusable remote store configuration."""
    if isinstance(given, RemoteStore):
        source = RemoteSource(given.location, config=given.config)
        return RemoteAccess(source, timeout=settings.query_timeout, given=given)
    if given is None and is_remote(settings.store):
        source = RemoteSource(settings.store, kind=settings.store_kind)
        return RemoteAccess(source, timeout=settings.query_timeout)
    return EmbeddedAccess(given.location if given is not None else settings.store, given)


class EmbeddedAccess(StoreAccess):
    """Reads and writes of the embedded store at ``location`` (or of ``given``)."""

    def __init__(self, location: str, given: Store | None = None) -> None:
        self.location = location
        self.given = given
        self._snapshot = Snapshot(location)
        self._watch = GenerationWatch(location)
        self._watch_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._write_lock = threading.Lock()

    @property
    def worker_source(self) -> str:
        return self.location

    def ensure_exists(self) -> None:
        """Create an empty store when there is none yet, so that snapshots can open it; recover
        one whose last writer was killed halfway (unless a writer holds it now)."""
        if self.given is not None:
            return
        if (Path(self.location) / "CURRENT").exists() and not writing(self.location):
            return
        with suppress(StoreLocked):  # locked: another process is creating or writing it
            EmbeddedStore(self.location).close()

    def generation(self) -> str:
        """The store's version: changes with every committed write, in any process."""
        if self.given is not None:
            return self.given.generation()
        with self._watch_lock:
            return self._watch.token()

    def last_modified(self) -> datetime | None:
        """When the last write committed (the generation token's time), if known."""
        with self._watch_lock:
            self._watch.token()
            seconds = self._watch.modified
        return None if seconds is None else datetime.fromtimestamp(int(seconds), UTC)

    def reader(self) -> Store:
        """The store to read from now (a snapshot as of the last committed write)."""
        if self.given is not None:
            return self.given
        with self._snapshot_lock:
            return self._snapshot.store()

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """The store opened for writing, for one write; raises StoreLocked when another process
        keeps it locked for longer than ``LOCK_WAIT`` seconds."""
        with self._write_lock:
            if self.given is not None and not getattr(self.given, "read_only", False):
                yield self.given
                return
            store = self._open_writable()
            try:
                yield store
            finally:
                store.close()

    def _open_writable(self) -> EmbeddedStore:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                return EmbeddedStore(self.location)
            except StoreLocked:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)


class RemoteAccess(StoreAccess):
    """Reads and writes of a remote store (``source``) for one server process.

    The server process reads (pages, linked data, existence checks) through one RemoteStore
    whose HTTP timeout is ``timeout`` (the query time limit), and writes through another, with
    the store's configured timeout, one write at a time. The configuration is resolved when the
    app is built; when the server's kind must be detected and the server does not answer yet,
    at the first request that needs it (so the server may start before the store).

    **Version.** A SPARQL server offers no version token, and other clients may write to it.
    The version here (behind ``ETag``, the result cache, the dataset's counts) changes with every
    write made through this server and otherwise every ``REMOTE_FRESHNESS`` seconds: a write
    through this server is seen at once; one made around it (``kg ingest --store URL``, the
    server's own loader) within ``REMOTE_FRESHNESS`` seconds. ``Last-Modified`` is not known.
    """

    remote = True

    def ensure_exists(self) -> None:
        """Nothing to create: the remote server holds the store (and may start later)."""

    def __init__(self, source: RemoteSource, *, timeout: float,
                 given: RemoteStore | None = None) -> None:
        self.location = source.location
        self.source = source
        self.given = given
        self._timeout = timeout
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._config: RemoteConfig | None = source.config
        self._reader: RemoteStore | None = given
        self._probe: RemoteStore | None = None
        self._writable: RemoteStore | None = None
        self._token = uuid.uuid4().hex
        self._since = time.monotonic()
        if self._config is None:
            try:
                self._resolved()
            except UpstreamError as error:
                logger.warning("the remote store does not answer yet (%s); its kind is "
                               "detected when it does", error)

    @property
    def worker_source(self) -> RemoteSource:
        config = self._config
        if config is None:
            return self.source  # each worker detects the kind on its first job
        return RemoteSource(self.source.location, config=config)

    def _resolved(self) -> RemoteConfig:
        """The configuration; raises UpstreamError while the kind cannot be detected."""
        with self._lock:
            if self._config is None:
                self._config = self.source.resolve()
            return self._config

    def generation(self) -> str:
        """A token that changes with every write through this server, and at least every
        ``REMOTE_FRESHNESS`` seconds (see the class documentation)."""
        now = time.monotonic()
        with self._lock:
            if now - self._since >= REMOTE_FRESHNESS:
                self._token, self._since = uuid.uuid4().hex, now
            return self._token

    def _renew(self) -> None:
        with self._lock:
            self._token, self._since = uuid.uuid4().hex, time.monotonic()

    def last_modified(self) -> datetime | None:
        return None

    def reader(self) -> Store:
        """The remote store (read-only), its HTTP timeout the query time limit."""
        if self._reader is None:
            config = self._resolved()
            with self._lock:
                if self._reader is None:
                    self._reader = self.source.open(config, read_only=True,
                                                    timeout=self._timeout)
        return self._reader

    def check(self) -> None:
        """Ask the server a trivial query (waiting at most ``PROBE_TIMEOUT`` seconds); raises
        UpstreamError when it cannot be reached or fails."""
        if self._probe is None:
            config = self._resolved()
            with self._lock:
                if self._probe is None:
                    self._probe = self.source.open(
                        config, read_only=True, timeout=min(PROBE_TIMEOUT, self._timeout))
        self._probe.query("ASK {}")

    @contextmanager
    def writer(self) -> Iterator[Store]:
        """The remote store opened for writing; the version changes after every write (also
        one that failed: a server may have applied part of it)."""
        with self._write_lock:
            if self.given is not None and not self.given.read_only:
                store = self.given
            else:
                if self._writable is None:
                    self._writable = self.source.open(self._resolved(), read_only=False)
                store = self._writable
            try:
                yield store
            finally:
                self._renew()
