"""One access-log line per request: client, method, path, status, bytes sent, duration.

A WSGI middleware, so that the duration and size include the streaming of the body: the line is
written when the server closes the response. Request headers (where the update token travels)
are never logged; the query string is cut to ``QUERY_CHARS`` characters and escaped to one line.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

logger = logging.getLogger("kg.access")

#: The most characters of a query string a line shows.
QUERY_CHARS = 200

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def line(environ: dict[str, Any], status: str, size: int, seconds: float) -> str:
    """The log line of one request.

    >>> line({"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/sparql",
    ...       "QUERY_STRING": "query=ASK%7B%7D"}, "200", 26, 0.0042)
    '127.0.0.1 "GET /sparql?query=ASK%7B%7D" 200 26 B 4.2 ms'
    """
    target = environ.get("PATH_INFO", "")
    query = environ.get("QUERY_STRING", "")
    if query:
        cut = query[:QUERY_CHARS] + ("..." if len(query) > QUERY_CHARS else "")
        target = f"{target}?{cut}"
    target = target.encode("unicode_escape").decode("ascii").replace('"', "%22")
    return (f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD", "-")} {target}" '
            f"{status} {size} B {seconds * 1000:.1f} ms")


class AccessLog:
    """Wraps a WSGI app and logs one line per request to the ``kg.access`` logger (INFO)."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["-"]

        def capture(status_line: str, headers: list[tuple[str, str]],
                    exc_info: Any = None) -> Any:
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, capture)
        return _Counted(body, lambda size: logger.info(
            line(environ, status[0], size, time.perf_counter() - started)))


class _Counted:
    """The body of a response, counting its bytes and reporting them when closed."""

    def __init__(self, body: Iterable[bytes], report: Callable[[int], None]) -> None:
        self._body = body
        self._report = report
        self._size = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._body:
            self._size += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._report(self._size)
