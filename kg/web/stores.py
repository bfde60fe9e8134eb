"""The server's view of its store: read-only snapshots for reads, a brief writable open per write.

The server never holds RocksDB's write lock while idle, so that ``kg ingest`` can write from
another process while it serves. Reads in the server process (existence checks, statistics,
pages) use a read-only snapshot, reopened whenever the store's generation token changes; queries
run in worker processes with their own snapshots (``kg.web.pool``). Each write opens the store for
writing, commits, and closes it again; writes of this process are serialized, and a write while
another process holds the lock waits up to ``LOCK_WAIT`` seconds, then gives up with StoreLocked
(the server answers 503 with Retry-After).

An app built over a given store (``create_app(store=...)``, as tests do) reads and writes that
store instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from kg.errors import StoreLocked
from kg.store import EmbeddedStore, Store
from kg.store.embedded import writing
from kg.web.worker import GenerationWatch, Snapshot

#: How long a write waits for another process to release the store.
LOCK_WAIT = 2.0


class StoreAccess:
    """Reads and writes of the store at ``location`` (or of ``given``) for one server process."""

    def __init__(self, location: str, given: Store | None = None) -> None:
        self.location = location
        self.given = given
        self._snapshot = Snapshot(location)
        self._watch = GenerationWatch(location)
        self._watch_lock = threading.Lock()
        self._snapshot_lock = threading.Lock()
        self._write_lock = threading.Lock()

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
