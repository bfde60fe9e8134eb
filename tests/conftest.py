"""Shared fixtures: real on-disk pyoxigraph stores, the bundled example, the real data beside us."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kg.config import DEFAULT_BASE_IRI
from kg.ingest import ingest
from kg.store import EmbeddedStore

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLE = PROJECT / "examples" / "zhenguo-li.txt"
TEST_DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = Path(os.environ.get("KG_SHARED_DATA") or PROJECT.parent / "shared" / "data")
BASE = DEFAULT_BASE_IRI


def shared(relative: str) -> Path:
    """A file of ``../shared/data``; the test is skipped (with the reason) when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"real data not available: {path}")
    return path


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(store_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(store_path)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """One store with the bundled author page ingested, shared by read-only tests."""
    path = tmp_path_factory.mktemp("example") / "store"
    opened = EmbeddedStore(path)
    ingest(opened, [EXAMPLE], base_iri=BASE)
    yield opened
    opened.close()


def run_kg(*args: str, store: Path | None = None, stdin: str | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `kg` command (``python -m kg``) and capture its output."""
    full_env = {**os.environ, **(env or {})}
    if store is not None:
        full_env["KG_STORE"] = str(store)
    return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                          input=stdin, env=full_env, cwd=PROJECT, timeout=300, check=False)
