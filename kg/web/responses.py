"""Responses: plain-text errors, bodies from the workers, validators and ``304 Not Modified``.

A body comes from a worker in memory or as a spooled file; a file is unlinked as soon as it is
open and streamed in chunks, so neither its size nor a slow client costs memory. Bodies are
gzipped when the client accepts it (and they are worth it). ETags are weak, and derived from the
store's generation and everything that shapes the representation, so a write anywhere (in this
process or another) changes every ETag, and an unchanged store answers ``304`` without running
the query again.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import os
import zlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from threading import Lock
from typing import IO

from flask import Request, Response

from kg.errors import UpstreamError, UpstreamTimeout
from kg.web.negotiation import content_type
from kg.web.worker import Outcome

logger = logging.getLogger("kg.web")

#: Bodies smaller than this are not worth compressing.
GZIP_MIN_BYTES = 1024
CHUNK_BYTES = 64 * 1024

#: Headers a browser script may read from a cross-origin response.
EXPOSED_HEADERS = "ETag, Last-Modified, Location, Retry-After, KG-Result-Limit, KG-Result-Truncated"
#: The request headers a cross-origin request may send.
ALLOWED_HEADERS = "Accept, Authorization, Content-Type, If-None-Match, If-Modified-Since"


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """A plain-text error: one line that says what is wrong."""
    return Response(message.rstrip("\n") + "\n", status=status, headers=dict(headers or {}),
                    content_type=content_type("text/plain"))


def upstream_error(raised: UpstreamError) -> Response:
    """A remote store's server that cannot be reached or failed: ``502 Bad Gateway``, or ``504
    Gateway Timeout`` when it did not answer in time, as a reverse proxy answers. The message
    says what failed but not where (the server's address stays out of answers; the log has it).
    """
    logger.warning("the remote store failed: %s", raised)
    if isinstance(raised, UpstreamTimeout):
        return error(504, f"the SPARQL server behind this one did not answer in time: "
                          f"{raised.message}")
    return error(502, f"the SPARQL server behind this one failed: {raised.message}")


@dataclass(frozen=True)
class Validators:
    """The validators of one representation: a weak ETag and the store's last change."""

    key: str
    etag: str
    last_modified: datetime | None

    def apply(self, response: Response) -> Response:
        response.set_etag(self.etag, weak=True)
        if self.last_modified is not None:
            response.last_modified = self.last_modified
        return response


def validators(generation: str, last_modified: datetime | None, parts: tuple[object, ...], *,
               gzip: bool) -> Validators:
    """Validators for the representation that ``parts`` (the request's meaning) select, as of
    the store's ``generation``; ``key`` (without the encoding) also keys the result cache."""
    key = hashlib.sha256(repr((generation, *parts)).encode("utf-8")).hexdigest()[:32]
    return Validators(key, f"{key}-gzip" if gzip else key, last_modified)


def not_modified(request: Request, found: Validators) -> Response | None:
    """``304`` when a GET or HEAD already holds this representation (``If-None-Match``, else
    ``If-Modified-Since``); None otherwise."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(found.etag)
    elif request.if_modified_since is not None and found.last_modified is not None:
        fresh = found.last_modified <= request.if_modified_since
    else:
        fresh = False
    if not fresh:
        return None
    return found.apply(Response(status=304))


def body(outcome: Outcome, *, request: Request, use_gzip: bool,
         headers: Mapping[str, str] | None = None) -> Response:
    """The response carrying a worker's successful ``outcome``."""
    assert outcome.media_type is not None
    response = Response(status=outcome.status, headers=dict(headers or {}),
                        content_type=content_type(outcome.media_type))
    response.vary.update(("Accept", "Accept-Encoding"))
    compress = use_gzip and outcome.size >= GZIP_MIN_BYTES
    if compress:
        response.headers["Content-Encoding"] = "gzip"
    if outcome.path is None:
        data = outcome.body
        response.set_data(gzip.compress(data, compresslevel=5, mtime=0) if compress else data)
        return response
    handle = open(outcome.path, "rb")  # noqa: SIM115 (closed by the streaming generator)
    os.unlink(outcome.path)  # the open handle keeps the data; nothing is left behind
    if request.method == "HEAD":
        handle.close()
        if not compress:
            response.content_length = outcome.size
        return response
    response.response = _stream(handle, compress)
    response.direct_passthrough = True
    if not compress:
        response.content_length = outcome.size
    return response


def _stream(handle: IO[bytes], compress: bool) -> Iterator[bytes]:
    packer = zlib.compressobj(5, zlib.DEFLATED, 31) if compress else None
    try:
        while chunk := handle.read(CHUNK_BYTES):
            data = packer.compress(chunk) if packer is not None else chunk
            if data:
                yield data
        if packer is not None:
            yield packer.flush()
    finally:
        handle.close()


class ResultCache:
    """Small successful query results by validator key, least recently used first out.

    Keys include the store's generation, so an entry is never stale: a write makes every old
    key unreachable (and ``clear`` frees them at once).
    """

    def __init__(self, max_bytes: int = 32 << 20, max_entry_bytes: int = 256 << 10) -> None:
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_entry_bytes
        self._entries: OrderedDict[str, Outcome] = OrderedDict()
        self._size = 0
        self._lock = Lock()
        self._generation: str | None = None
        self.hits = 0

    def observe(self, generation: str) -> None:
        """Forget everything when the store's generation changed (a write in any process)."""
        if generation != self._generation:
            self.clear()
            self._generation = generation

    def get(self, key: str) -> Outcome | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                self.hits += 1
            return found

    def put(self, key: str, outcome: Outcome) -> None:
        if outcome.path is not None or outcome.size > self.max_entry_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = outcome
            self._size += outcome.size
            while self._size > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._size -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
