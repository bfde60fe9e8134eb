"""Helpers for the web tests: stores built from fixtures, apps over them, a real server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from kg.config import Settings
from kg.ingest import ingest
from kg.store import EmbeddedStore
from kg.web import create_app
from tests.conftest import EXAMPLE, PROJECT, TEST_DATA

TOY_VOLUME = TEST_DATA / "acl-xml" / "2024.toyws.xml"
XSS = TEST_DATA / "web" / "xss.bib"
#: The IRI of the made-up record whose every field holds markup (tests/data/web/xss.bib).
XSS_PAPER_PATH = "paper/doi/10.9999/xss%27onmouseover%3D%27window.__xss%3D7%27"


def build_store(path: Path, sources: list[Path], base_iri: str) -> Path:
    """Ingest ``sources`` into a new store at ``path`` and close it (servers read it)."""
    store = EmbeddedStore(path)
    try:
        ingest(store, sources, base_iri=base_iri)
    finally:
        store.close()
    return path


def make_app(store: Path, base_iri: str) -> Flask:
    """The app as ``kg serve`` builds it, over the store folder (read through snapshots)."""
    return create_app(Settings(base_iri=base_iri, store=str(store), query_workers=1))


def close_app(app: Flask) -> None:
    app.extensions["kg_pool"].close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(store: Path, base_iri: str) -> Iterator[str]:
    """``kg serve`` in a subprocess on a free 127.0.0.1 port; yields its root URL."""
    port = free_port()
    log = store.parent / f"server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "--store", str(store), "--base-iri", base_iri,
             "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            cwd=PROJECT, stdout=output, stderr=subprocess.STDOUT,
            env={**os.environ, "KG_UPDATE_TOKEN": ""})
    root = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text('utf-8', 'replace')}")
            try:
                with urllib.request.urlopen(root + "/", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {log.read_text('utf-8')}")
            time.sleep(0.2)
        yield root
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


__all__ = ["EXAMPLE", "TOY_VOLUME", "XSS", "XSS_PAPER_PATH", "build_store", "close_app",
           "free_port", "make_app", "running_server"]
