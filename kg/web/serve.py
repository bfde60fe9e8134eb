"""Run the service with a production WSGI server (waitress) and its query worker pool."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType
from typing import TextIO
from urllib.parse import urlsplit, urlunsplit

from kg.config import Settings
from kg.web import create_app
from kg.web.pool import WorkerPool

#: Threads answering HTTP. Query work runs in the worker processes; a thread only waits for it,
#: so there should be more threads than clients at once: a request waiting for a thread is not
#: yet under the time limit, which counts from when a thread takes it.
DEFAULT_THREADS = 64
#: The stack of each HTTP thread: a fixed size (not the platform's default, which follows
#: ``ulimit -s``), four times that of the workers' update trial runs
#: (``kg.web.worker.CHECK_STACK_BYTES``), so that an update that passed its trial cannot
#: overflow it when it runs here.
THREAD_STACK_BYTES = 16 << 20


def _log_access(stream: TextIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%dT%H:%M:%S"))
    logger = logging.getLogger("kg.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def shown(location: str) -> str:
    """``location`` as it may be printed: a URL without its password.

    >>> shown("http://kg:secret@127.0.0.1:8890/")
    'http://kg:***@127.0.0.1:8890/'
    """
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or parts.password is None:
        return location
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)  # runs the clean-up: the workers stop, the spool folder goes


def serve(settings: Settings, *, host: str, port: int, threads: int = DEFAULT_THREADS,
          access_log: TextIO | None = None) -> None:
    """Serve the app on ``host:port`` until interrupted (SIGINT or SIGTERM).

    The query workers start before the first request; one access-log line per request goes to
    ``access_log`` (standard error when not given).
    """
    import waitress

    _log_access(access_log or sys.stderr)
    app = create_app(settings)
    pool: WorkerPool = app.extensions["kg_pool"]
    pool.start()
    signal.signal(signal.SIGTERM, _stop)
    base = f"http://{host}:{port}"
    mode = "read-write with the update token" if settings.writable else "read-only"
    print(f"kg: serving {shown(settings.store)} ({mode}; {pool.size} query workers, "
          f"{settings.query_timeout:g} s per query, {settings.result_limit or 'no'} rows cap)\n"
          f"  SPARQL endpoint: {base}/sparql\n"
          f"  Graph Store:     {base}/store\n"
          f"  home: {base}/  health: {base}/health  VoID: {base}/.well-known/void",
          file=sys.stderr, flush=True)
    threading.stack_size(THREAD_STACK_BYTES)
    try:
        waitress.serve(app, host=host, port=port, threads=threads, ident="scholarly-kg",
                       max_request_body_size=settings.max_body_bytes,
                       max_request_header_size=3 * settings.max_query_bytes + 65536,
                       _quiet=True)
    finally:
        pool.close()
