"""The releases over real HTTP: listing, media types, Content-Length, ranges, and refusal of
any path outside the releases folder."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from kg.config import Settings
from kg.release import build_release, layout
from kg.store import EmbeddedStore
from kg.web import create_app
from kg.web.releases import media_type
from tests.conftest import BASE


@pytest.fixture(scope="module")
def served(example_store: EmbeddedStore,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real HTTP server over a releases folder holding one release of the example."""
    root = tmp_path_factory.mktemp("served")
    folder = root / "releases"
    release = build_release(example_store, folder, base_iri=BASE).path
    (root / "secret.txt").write_text("outside the releases folder\n", "utf-8")
    (folder / ".2030-01-01.partial").mkdir()
    settings = replace(Settings(base_iri=BASE, store=example_store.location),
                       releases=str(folder))
    app = create_app(settings, store=example_store)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_port}", release
    server.shutdown()
    thread.join()


def _get(host: str, path: str, headers: dict[str, str] | None = None,
         method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(host, timeout=30)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(("name", "expected"), [
    ("data.nq.gz", "application/gzip"),
    ("data.ttl.gz", "application/gzip"),
    ("void.ttl", "text/turtle"),
    ("shapes/paper.ttl", "text/turtle"),
    ("changes.ru", "application/sparql-update"),
    ("changes.txt", "text/plain"),
    ("README.md", "text/markdown"),
    ("SHA256SUMS", "text/plain"),
    ("unknown.bin", "application/octet-stream"),
])
def test_media_type(name: str, expected: str) -> None:
    assert media_type(name) == expected


def test_the_list_names_the_release_and_only_complete_ones(served: tuple[str, Path]) -> None:
    host, release = served
    status, headers, body = _get(host, "/releases/", {"Accept": "application/json"})
    assert status == 200
    assert headers["content-type"].startswith("application/json")
    assert [item["name"] for item in json.loads(body)["releases"]] == [release.name]
    status, headers, body = _get(host, "/releases/", {"Accept": "text/html"})
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert f'href="/releases/{release.name}/"'.encode() in body
    assert b"2030-01-01" not in body


def test_a_release_lists_its_files_with_sizes_and_digests(served: tuple[str, Path]) -> None:
    host, release = served
    status, _, body = _get(host, f"/releases/{release.name}/", {"Accept": "application/json"})
    assert status == 200
    files = {item["name"]: item for item in json.loads(body)["files"]}
    assert set(files) == set(layout.release_files(release))
    data = files[layout.DATA_NQUADS]
    assert data["bytes"] == (release / layout.DATA_NQUADS).stat().st_size
    assert data["sha256"] == layout.sha256_file(release / layout.DATA_NQUADS)


@pytest.mark.parametrize("name", [layout.DATA_NQUADS, layout.DATA_TURTLE, layout.DESCRIPTION,
                                  "shapes/paper.ttl", layout.README, layout.SUMS])
def test_files_are_served_whole_with_type_and_length(served: tuple[str, Path],
                                                     name: str) -> None:
    host, release = served
    status, headers, body = _get(host, f"/releases/{release.name}/{name}")
    assert status == 200
    assert body == (release / name).read_bytes()
    assert int(headers["content-length"]) == len(body)
    assert headers["content-type"].split(";")[0] == media_type(name)
    assert headers["accept-ranges"] == "bytes"
    status, headers, body = _get(host, f"/releases/{release.name}/{name}", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["content-length"]) == (release / name).stat().st_size


def test_range_requests(served: tuple[str, Path]) -> None:
    host, release = served
    path = f"/releases/{release.name}/{layout.DATA_NQUADS}"
    data = (release / layout.DATA_NQUADS).read_bytes()
    status, headers, body = _get(host, path, {"Range": "bytes=100-199"})
    assert status == 206
    assert body == data[100:200]
    assert headers["content-length"] == "100"
    assert headers["content-range"] == f"bytes 100-199/{len(data)}"
    status, _, body = _get(host, path, {"Range": "bytes=-10"})
    assert (status, body) == (206, data[-10:])
    status, headers, _ = _get(host, path, {"Range": f"bytes={len(data) + 5}-"})
    assert status == 416
    etag = _get(host, path)[1]["etag"]
    assert etag.strip('"') == layout.sha256_file(release / layout.DATA_NQUADS)
    assert _get(host, path, {"If-None-Match": etag})[0] == 304


@pytest.mark.parametrize("path", [
    "/releases/{name}/../../secret.txt",
    "/releases/{name}/..%2f..%2fsecret.txt",
    "/releases/{name}/%2e%2e/%2e%2e/secret.txt",
    "/releases/..%2fsecret.txt",
    "/releases/{name}//etc/passwd",
    "/releases/{name}/link.txt",
    "/releases/{name}/.scratch",
    "/releases/.2030-01-01.partial/",
    "/releases/2030-01-01/",
    "/releases/{name}/nothing.ttl",
])
def test_paths_outside_a_release_are_refused(served: tuple[str, Path], path: str) -> None:
    host, release = served
    link = release / "link.txt"
    if not link.is_symlink():
        os.chmod(release, 0o755)
        link.symlink_to(release.parent.parent / "secret.txt")
    status, headers, body = _get(host, path.format(name=release.name))
    if status in (301, 308):  # werkzeug merges '//': follow it once, it must still be refused
        status, headers, body = _get(host, urlsplit(headers["location"]).path)
    assert status in (400, 404), body
    assert b"outside the releases folder" not in body
