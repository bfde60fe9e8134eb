"""The store interface every backend implements (embedded pyoxigraph now; remote SPARQL later).

Queries see the union of all named graphs as their default graph (``sd:UnionDefaultGraph``),
so users never need to know which source file a triple came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    parse,
)

QueryResult = QuerySolutions | QueryBoolean | QueryTriples
Graph = NamedNode | DefaultGraph


class Replacement(Protocol):
    """Where the new quads of a graph replacement go (``Store.replacing``)."""

    def add(self, quads: Iterable[Quad]) -> None:
        """Add quads."""

    def add_file(self, path: Path) -> None:
        """Add every quad of an N-Quads file (the fast path: the store's own parser reads it)."""


@runtime_checkable
class Store(Protocol):
    """A quad store that `kg` reads and writes. Every write is all or nothing."""

    location: str

    def replace_graphs(self, graphs: Iterable[Graph], quads: Iterable[Quad]) -> None:
        """Atomically drop ``graphs`` and add ``quads`` (which may fill those graphs again)."""

    def replacing(self, graphs: Iterable[Graph]) -> AbstractContextManager[Replacement]:
        """Drop ``graphs`` and add what the ``with`` block adds, all or nothing: an exception in
        the block leaves the store as it was."""

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL query over the union default graph; raise QueryError if malformed."""

    def update(self, sparql: str) -> None:
        """Run a SPARQL update in one transaction; raise QueryError if malformed."""

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        """Every quad, or those of one graph."""

    def quads_matching(self, *, subject: NamedNode | None = None,
                       obj: NamedNode | None = None) -> list[Quad]:
        """The quads (of any graph) with this subject and/or object."""

    def named_graphs(self) -> list[NamedNode]:
        """The named graphs, sorted by IRI."""

    def quad_count(self) -> int:
        """The number of quads in all graphs."""

    def dump_raw(self, output: IO[bytes], *, with_graphs: bool) -> None:
        """Every quad as N-Quads, or (``with_graphs=False``) every graph's triples as N-Triples,
        in no particular order (``kg.dump`` sorts them)."""

    def generation(self) -> str:
        """A token that changes whenever a write commits (a store version for caches)."""

    def close(self) -> None:
        """Release the store (its lock, its connections)."""


class DeferredReplacement:
    """A Replacement that only collects: for backends that write everything in one go at the end
    (``Store.replace_graphs``); files are parsed lazily, as that write streams them."""

    def __init__(self) -> None:
        self._parts: list[Iterable[Quad] | Path] = []

    def add(self, quads: Iterable[Quad]) -> None:
        self._parts.append(quads)

    def add_file(self, path: Path) -> None:
        self._parts.append(path)

    def quads(self) -> Iterator[Quad]:
        for part in self._parts:
            if isinstance(part, Path):
                yield from parse(path=str(part), format=RdfFormat.N_QUADS)
            else:
                yield from part
