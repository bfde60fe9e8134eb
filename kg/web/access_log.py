"""One access-log line per request: client, method, path, status, bytes sent, duration.

A WSGI middleware, so that the duration and size include the streaming of the body: the line is
written when the server closes the response. Request headers (where the update token travels)
are never logged; the query string is cut to ``QUERY_CHARS`` characters and escaped to one line.
Secrets a client puts in the URL are left out too: the value of an ``access_token`` parameter
(where RFC 6750 lets clients send a bearer token, which this server does not read), and the
update token itself wherever it appears, as written or percent-encoded.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import quote, quote_plus

logger = logging.getLogger("kg.access")

#: The most characters of a query string a line shows.
QUERY_CHARS = 200
#: What a left-out secret is replaced with.
REDACTED = "[redacted]"
_ACCESS_TOKEN = re.compile(r"(?i)((?:^|&)access_token=)[^&]*")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def line(environ: dict[str, Any], status: str, size: int, seconds: float,
         secrets: Sequence[str] = ()) -> str:
    """The log line of one request, with ``secrets`` left out.

    >>> line({"REMOTE_ADDR": "127.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/sparql",
    ...       "QUERY_STRING": "query=ASK%7B%7D"}, "200", 26, 0.0042)
    '127.0.0.1 "GET /sparql?query=ASK%7B%7D" 200 26 B 4.2 ms'
    >>> line({"REQUEST_METHOD": "POST", "PATH_INFO": "/update",
    ...       "QUERY_STRING": "access_token=abc&x=s3cret%2B1"}, "401", 60, 0.001, ["s3cret+1"])
    '- "POST /update?access_token=[redacted]&x=[redacted]" 401 60 B 1.0 ms'
    """
    target = _redact(environ.get("PATH_INFO", ""), secrets)
    query = _ACCESS_TOKEN.sub(rf"\g<1>{REDACTED}", _redact(environ.get("QUERY_STRING", ""),
                                                            secrets))
    if query:
        cut = query[:QUERY_CHARS] + ("..." if len(query) > QUERY_CHARS else "")
        target = f"{target}?{cut}"
    target = target.encode("unicode_escape").decode("ascii").replace('"', "%22")
    return (f'{environ.get("REMOTE_ADDR", "-")} "{environ.get("REQUEST_METHOD", "-")} {target}" '
            f"{status} {size} B {seconds * 1000:.1f} ms")


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        for written in dict.fromkeys((secret, quote(secret, safe=""), quote_plus(secret))):
            text = re.sub(re.escape(written), REDACTED, text, flags=re.IGNORECASE)
    return text


class AccessLog:
    """Wraps a WSGI app and logs one line per request to the ``kg.access`` logger (INFO),
    leaving ``secrets`` out."""

    def __init__(self, app: WSGIApp, secrets: Sequence[str] = ()) -> None:
        self.app = app
        self.secrets = tuple(secret for secret in secrets if secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        status = ["-"]

        def capture(status_line: str, headers: list[tuple[str, str]],
                    exc_info: Any = None) -> Any:
            status[0] = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        body = self.app(environ, capture)
        return _Counted(body, lambda size: logger.info(
            line(environ, status[0], size, time.perf_counter() - started, self.secrets)))


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
