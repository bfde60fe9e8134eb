"""Stores behind one interface: :func:`open_store` picks the backend from the location."""

from __future__ import annotations

from pathlib import Path

from kg.store.base import Graph, QueryResult, Store
from kg.store.embedded import EmbeddedStore
from kg.store.remote import RemoteStore

__all__ = ["EmbeddedStore", "Graph", "QueryResult", "RemoteStore", "Store", "open_store"]


def is_remote(location: str | Path) -> bool:
    """Whether ``location`` names a remote SPARQL store (a URL or a ``.toml`` file)."""
    text = str(location)
    return text.startswith(("http://", "https://")) or (
        text.endswith(".toml") and not Path(text).is_dir())


def open_store(location: str | Path, *, read_only: bool = False,
               kind: str | None = None) -> Store:
    """Open the store at ``location``: a folder for the embedded store (created if missing),
    an ``http(s)://`` URL or a ``.toml`` file for a SPARQL server (``kind``: ``oxigraph``,
    ``virtuoso`` or ``generic``; detected when None). See :mod:`kg.store.remote`."""
    if is_remote(location):
        return RemoteStore.open(str(location), kind=kind, read_only=read_only)
    return EmbeddedStore(str(location), read_only=read_only)
