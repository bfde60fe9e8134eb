"""A small HTTP/1.1 client for SPARQL servers (standard library only).

Why not ``urllib.request``: it opens a connection per request (identity matching asks a SPARQL
server many small questions) and cannot resend a body after a Digest challenge once it has been
streamed. This client keeps idle connections per host for reuse (thread-safe), and answers
Basic and Digest challenges (RFC 7617, RFC 7616 with MD5 / SHA-256 and ``qop=auth``: what
Virtuoso's ``/sparql-auth`` and ``/sparql-graph-crud-auth`` ask for), re-using a Digest nonce with
an increasing count so that only the first request of a session pays the extra round trip.

Request bodies are ``bytes`` (callers send bounded chunks), so a challenged request can be
replayed. Response bodies are either read whole (:meth:`HttpClient.request`) or handed out as
a stream (:meth:`HttpClient.stream`) whose connection returns to the pool once read to its end.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import TYPE_CHECKING, BinaryIO
from urllib.parse import urlsplit

from kg.errors import StoreError, UpstreamError, UpstreamTimeout

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')
_DIGESTS = {"MD5": hashlib.md5, "MD5-SESS": hashlib.md5,
            "SHA-256": hashlib.sha256, "SHA-256-SESS": hashlib.sha256}


@dataclass(frozen=True)
class Credentials:
    """A user name and password for HTTP Basic or Digest authentication."""

    user: str
    password: str

    def __repr__(self) -> str:  # never show the password in tracebacks or logs
        return f"Credentials(user={self.user!r}, password='***')"


@dataclass
class _Digest:
    """The server's last Digest challenge and how many times its nonce was used."""

    params: dict[str, str]
    count: int = 0


def _parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.strip().partition(" ")
    params = {match[1].lower(): match[2] if match[2] else match[3]
              for match in _CHALLENGE_PARAM.finditer(rest)}
    return scheme.lower(), params


class _Auth:
    """Builds ``Authorization`` headers; remembers the challenge for the next requests."""

    def __init__(self, credentials: Credentials | None) -> None:
        self.credentials = credentials
        self._lock = threading.Lock()
        self._basic = False
        self._digest: _Digest | None = None

    def header(self, method: str, target: str) -> str | None:
        credentials = self.credentials
        if credentials is None:
            return None
        with self._lock:
            if self._basic:
                token = f"{credentials.user}:{credentials.password}".encode()
                return "Basic " + base64.b64encode(token).decode("ascii")
            if self._digest is None:
                return None
            self._digest.count += 1
            return _digest_header(credentials, self._digest, method, target)

    def challenge(self, headers: Message) -> bool:
        """Take the challenges of a 401 answer; True when a retry can succeed."""
        if self.credentials is None:
            return False
        for value in headers.get_all("WWW-Authenticate") or []:
            scheme, params = _parse_challenge(value)
            if scheme == "digest" and params.get("algorithm", "MD5").upper() in _DIGESTS:
                with self._lock:
                    self._digest, self._basic = _Digest(params), False
                return True
            if scheme == "basic":
                with self._lock:
                    self._basic = True
                return True
        return False


def _digest_header(credentials: Credentials, digest: _Digest, method: str, target: str) -> str:
    params = digest.params
    algorithm = params.get("algorithm", "MD5").upper()
    hasher = _DIGESTS[algorithm]

    def h(text: str) -> str:
        return hasher(text.encode("utf-8")).hexdigest()

    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    cnonce = os.urandom(8).hex()
    count = f"{digest.count:08x}"
    secret = h(f"{credentials.user}:{realm}:{credentials.password}")
    if algorithm.endswith("-SESS"):
        secret = h(f"{secret}:{nonce}:{cnonce}")
    request = h(f"{method}:{target}")
    qops = [qop.strip() for qop in params.get("qop", "").split(",") if qop.strip()]
    fields = {"username": credentials.user, "realm": realm, "nonce": nonce, "uri": target}
    if "auth" in qops:
        fields["response"] = h(f"{secret}:{nonce}:{count}:{cnonce}:auth:{request}")
    else:
        fields["response"] = h(f"{secret}:{nonce}:{request}")
    if "opaque" in params:
        fields["opaque"] = params["opaque"]
    text = ", ".join(f'{key}="{value}"' for key, value in fields.items())
    text += f", algorithm={params.get('algorithm', 'MD5')}"
    if "auth" in qops:
        text += f', qop=auth, nc={count}, cnonce="{cnonce}"'
    return f"Digest {text}"


class Response(io.RawIOBase):
    """An HTTP answer whose body is being read: a raw binary stream.

    The connection goes back to the pool once the body was read to its end; :meth:`close`
    before that closes the connection instead. :meth:`stream` gives a buffered reader, typed as
    a binary file, for pyoxigraph's parsers.
    """

    def __init__(self, client: HttpClient, key: tuple[str, str],
                 connection: http.client.HTTPConnection, raw: http.client.HTTPResponse,
                 url: str) -> None:
        super().__init__()
        self._client = client
        self._key = key
        self._connection: http.client.HTTPConnection | None = connection
        self._raw = raw
        self.url = url
        self.status = raw.status
        self.headers = raw.headers

    @property
    def media_type(self) -> str:
        """The media type of the body, lower case, without parameters."""
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        try:
            count = self._raw.readinto(buffer)
        except TimeoutError:
            self._discard()
            raise UpstreamTimeout("the server stopped sending its answer for longer than "
                                  f"{self._client.timeout:g} s", source=self.url) from None
        except (OSError, http.client.HTTPException) as error:
            self._discard()
            raise UpstreamError(f"the connection broke while reading the answer: {error}",
                                source=self.url) from None
        if count == 0 or self._raw.isclosed():
            self._finish()
        return count

    def stream(self) -> BinaryIO:
        """The body as a buffered binary file."""
        return io.BufferedReader(self, buffer_size=1 << 16)

    def text(self, limit: int = 2000) -> str:
        """The body (read to its end) as text, cut at ``limit`` characters."""
        return self.readall().decode("utf-8", "replace").strip()[:limit]

    def _discard(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _finish(self) -> None:
        """Give the connection back when the body was read to its end, else close it."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        if self._raw.isclosed() and not self._raw.will_close:
            self._client._release(self._key, connection)
        else:
            self._raw.close()
            connection.close()

    def close(self) -> None:
        self._finish()
        super().close()


class HttpClient:
    """Thread-safe HTTP/1.1 requests with kept-alive connections and authentication."""

    def __init__(self, *, timeout: float, credentials: Credentials | None = None) -> None:
        self.timeout = timeout
        self._auth = _Auth(credentials)
        self._idle: dict[tuple[str, str], list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def _connect(self, key: tuple[str, str]) -> tuple[http.client.HTTPConnection, bool]:
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop(), True
        scheme, netloc = key
        factory = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        return factory(netloc, timeout=self.timeout), False

    def _release(self, key: tuple[str, str], connection: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(connection)

    def stream(self, method: str, url: str, *, body: bytes | None = None,
               headers: Mapping[str, str] | None = None) -> Response:
        """Send a request and return the answer with its body unread (any status).

        Raises UpstreamError when the server cannot be reached or the connection breaks
        (UpstreamTimeout when it does not answer within ``timeout`` seconds), StoreError for a
        URL that is not http(s).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise StoreError("not an http(s) URL", source=url)
        key = (parts.scheme, parts.netloc)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        for attempt in range(3):
            sent = dict(headers or {})
            authorization = self._auth.header(method, target)
            if authorization:
                sent["Authorization"] = authorization
            response = self._send(key, method, target, body, sent, url)
            if response.status == 401 and attempt < 2 and self._auth.challenge(response.headers):
                response.readall()
                response.close()
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, key: tuple[str, str], method: str, target: str, body: bytes | None,
              headers: dict[str, str], url: str) -> Response:
        while True:
            connection, reused = self._connect(key)
            try:
                connection.request(method, target, body=body, headers=headers)
                raw = connection.getresponse()
            except _RETRYABLE:
                connection.close()
                if reused:  # the server closed an idle connection: try a fresh one
                    continue
                raise UpstreamError("the server closed the connection", source=url) from None
            except TimeoutError:
                connection.close()
                raise UpstreamTimeout(f"the SPARQL server did not answer within "
                                      f"{self.timeout:g} s", source=url) from None
            except (OSError, http.client.HTTPException) as error:
                connection.close()
                raise UpstreamError(f"cannot reach the SPARQL server: {error}",
                                    source=url) from None
            return Response(self, key, connection, raw, url)

    def request(self, method: str, url: str, *, body: bytes | None = None,
                headers: Mapping[str, str] | None = None) -> tuple[int, Message, bytes]:
        """Send a request and read the whole answer: (status, headers, body)."""
        with self.stream(method, url, body=body, headers=headers) as response:
            return response.status, response.headers, response.readall()

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()
