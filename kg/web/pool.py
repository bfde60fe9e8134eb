"""The pool of query worker processes, and the one thing it promises: a deadline that holds.

Each request takes an idle worker, sends it one job and waits for the outcome until its
deadline. A worker that misses the deadline is killed (its query stops using the CPU at once) and
replaced in the background, while the other workers go on answering other clients. Workers
start lazily, from a fork server (fast to replace, safe in a threaded server), and again after
the server process forks (gunicorn): each process has its own pool.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import queue
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from kg.web.worker import Job, Outcome, RemoteSource, serve

logger = logging.getLogger("kg.web")

#: Bodies up to this size come back through the pipe; larger ones through a spool file.
INLINE_BYTES = 1 << 20


class PoolError(Exception):
    """A job got no outcome: see the subclasses."""


class DeadlineExceeded(PoolError):
    """The job did not finish (or found no idle worker) before its deadline."""


class WorkerLost(PoolError):
    """The worker died while running the job: ``crashed`` when the job itself crashed it (a
    fatal signal such as SIGSEGV: the engine overflowed its stack on a deeply recursive query),
    not when it was killed from outside (out of memory, an operator)."""

    def __init__(self, message: str, *, crashed: bool = False) -> None:
        super().__init__(message)
        self.crashed = crashed


#: Signals that end a worker that crashed by itself (rather than being killed).
CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL,
                           signal.SIGFPE})


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    connection: Connection
    spool: Path


class WorkerPool:
    """``size`` worker processes answering jobs over the store at ``location`` (a folder, or a
    remote store)."""

    def __init__(self, location: str | RemoteSource, size: int, *,
                 inline_bytes: int = INLINE_BYTES) -> None:
        self.location = location
        self.size = size
        self.inline_bytes = inline_bytes
        # Last in, first out: at low concurrency one worker answers most queries, with warm
        # caches (each process has its own RocksDB block cache).
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._spool_root: Path | None = None
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["kg.web.worker"])
        self.replaced = 0

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the workers (done by the first job when not called; again after a fork)."""
        with self._lock:
            if self._pid == os.getpid():
                return
            self._idle = queue.LifoQueue()
            self._all = set()
            self._spool_root = Path(tempfile.mkdtemp(prefix="kg-spool-"))
            self._pid = os.getpid()
            for _ in range(self.size):
                self._idle.put(self._spawn())
            atexit.register(self.close)

    def close(self) -> None:
        """Stop every worker and remove the spool folder."""
        with self._lock:
            if self._pid != os.getpid():
                return
            for worker in list(self._all):
                self._stop(worker)
            self._all.clear()
            if self._spool_root is not None:
                shutil.rmtree(self._spool_root, ignore_errors=True)
            self._pid = None

    def _spawn(self) -> _Worker:
        assert self._spool_root is not None
        spool = Path(tempfile.mkdtemp(dir=self._spool_root, prefix="worker-"))
        parent, child = self._context.Pipe()
        process = self._context.Process(
            target=serve, args=(child, self.location, str(spool), self.inline_bytes),
            name="kg-query-worker", daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent, spool)
        self._all.add(worker)
        return worker

    @staticmethod
    def _stop(worker: _Worker) -> None:
        worker.process.kill()
        worker.process.join(timeout=5)
        worker.connection.close()
        shutil.rmtree(worker.spool, ignore_errors=True)

    def _replace(self, worker: _Worker) -> None:
        """Kill ``worker`` now; start its successor in the background."""
        worker.process.kill()
        logger.warning("query worker %s stopped (a query ran past its time limit, or the "
                       "worker died); starting another", worker.process.pid)

        def successor() -> None:
            with self._lock:
                if worker not in self._all:
                    return  # the pool was closed meanwhile
                self._all.discard(worker)
                self._stop(worker)
                self.replaced += 1
                self._idle.put(self._spawn())

        threading.Thread(target=successor, name="kg-pool-replace", daemon=True).start()

    # --- jobs ---------------------------------------------------------------------------

    def run(self, job: Job, deadline: float) -> Outcome:
        """The outcome of ``job``, by ``deadline`` (a ``time.monotonic()`` value).

        Raises DeadlineExceeded (no idle worker in time, or the job ran past the deadline: its
        worker is then killed) and WorkerLost (the worker died).
        """
        if self._pid != os.getpid():
            self.start()
        for attempt in range(2):
            try:
                worker = self._idle.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                raise DeadlineExceeded(f"all {self.size} query workers stayed busy") from None
            try:
                worker.connection.send(job)
            except OSError:
                # It died while idle (killed from outside): the job never ran, so try another.
                self._replace(worker)
                if attempt == 0:
                    continue
                raise WorkerLost("the query workers died") from None
            return self._answer(worker, deadline)
        raise AssertionError("unreachable")

    def _answer(self, worker: _Worker, deadline: float) -> Outcome:
        try:
            if not worker.connection.poll(max(deadline - time.monotonic(), 0.0)):
                self._replace(worker)
                raise DeadlineExceeded("the query ran past its time limit and was stopped")
            outcome: Outcome = worker.connection.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=1.0)  # to learn how it ended
            code = worker.process.exitcode
            self._replace(worker)
            crashed = code is not None and -code in CRASH_SIGNALS
            raise WorkerLost("the query worker died while running the query",
                             crashed=crashed) from None
        self._idle.put(worker)
        return outcome

    def alive(self) -> int:
        """How many workers are running (for /health)."""
        with self._lock:
            return sum(worker.process.is_alive() for worker in self._all)

    def idle(self) -> int:
        return self._idle.qsize()
