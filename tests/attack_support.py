"""What the attack tests share: a store full of hostile values, a releases folder beside a secret,
and a raw HTTP client that sends exactly the bytes it is given (``http.client`` refuses, and
``urllib`` normalizes, much of what an attacker sends).

The site (``build_site``): the bundled example, the toy ACL volume and the three XSS fixtures
(``tests/data/web/xss.bib``, ``xss-attributes.bib``, ``2025.xssws.xml``) ingested into a store;
a releases folder
with one small hand-made release; and ``secret.txt`` beside that folder, holding
``SECRET_MARKER``, which no request may ever read.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import BASE, TEST_DATA
from tests.web_support import EXAMPLE, TOY_VOLUME, XSS, build_store

XSS_ATTRIBUTES = TEST_DATA / "web" / "xss-attributes.bib"
XSS_ACL = TEST_DATA / "web" / "2025.xssws.xml"
#: The named graphs of the XSS fixtures.
XSS_GRAPHS = [f"{BASE}graph/{path.name}" for path in (XSS, XSS_ATTRIBUTES, XSS_ACL)]
#: The update token of the servers the attack tests start (16 characters or more).
TOKEN = "attack-test-token-3b9d0c7e52f14a68"
#: The content of the file outside every served folder.
SECRET_MARKER = "secret outside every served folder 6f1e"
RELEASE = "2025-01-02"
RELEASE_FILES = {"void.ttl": "<urn:x> <urn:y> <urn:z> .\n",
                 "shapes/paper.ttl": "<urn:a> <urn:b> <urn:c> .\n",
                 "README.md": "# A hand-made release for the attack tests\n"}


@dataclass(frozen=True)
class Site:
    store: Path
    releases: Path
    secret: Path


def build_site(folder: Path) -> Site:
    """The store, the releases folder and the secret file, in ``folder``."""
    store = build_store(folder / "store", [EXAMPLE, TOY_VOLUME, XSS, XSS_ATTRIBUTES, XSS_ACL],
                        BASE)
    releases = folder / "releases"
    release = releases / RELEASE
    lines = []
    for name, text in RELEASE_FILES.items():
        path = release / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        lines.append(f"{hashlib.sha256(text.encode()).hexdigest()}  {name}\n")
    (release / "SHA256SUMS").write_text("".join(lines), "utf-8")
    secret = folder / "secret.txt"
    secret.write_text(SECRET_MARKER + "\n", "utf-8")
    return Site(store, releases, secret)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def raw_request(port: int, method: str | bytes, target: str | bytes,
                headers: list[tuple[str | bytes, str | bytes]] | None = None,
                body: bytes | None = None, timeout: float = 30.0) -> Reply:
    """Send one request, byte for byte as given (plus ``Host``, ``Content-Length`` when there is
    a body, and ``Connection: close``), and read the answer. Raises OSError when the server
    does not answer within ``timeout`` seconds or closes the connection without an answer."""

    def raw(value: str | bytes) -> bytes:
        return value if isinstance(value, bytes) else value.encode("latin-1", "replace")

    lines = [raw(method) + b" " + raw(target) + b" HTTP/1.1", b"Host: 127.0.0.1",
             b"Connection: close"]
    lines += [raw(name) + b": " + raw(value) for name, value in headers or []]
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + (body or b""))
        response = http.client.HTTPResponse(sock, method=raw(method).decode("latin-1"))
        try:
            response.begin()
            data = response.read()
        finally:
            response.close()
    return Reply(response.status, response.headers, data, time.monotonic() - started)
