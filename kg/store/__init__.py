"""Stores behind one interface: :func:`open_store` picks the backend from the location."""

from __future__ import annotations

from pathlib import Path

from kg.errors import ConfigError
from kg.store.base import Graph, QueryResult, Store
from kg.store.embedded import EmbeddedStore

__all__ = ["EmbeddedStore", "Graph", "QueryResult", "Store", "open_store"]


def open_store(location: str | Path, *, read_only: bool = False) -> Store:
    """Open the store at ``location``: a folder for the embedded store (created if missing)."""
    text = str(location)
    if text.startswith(("http://", "https://")):
        raise ConfigError("remote SPARQL stores are not supported yet", source=text, field="store")
    return EmbeddedStore(text, read_only=read_only)
