"""``kg restore``: rebuild a store from a release, named graphs and all.

The release's ``data.nq.gz`` is checked against ``SHA256SUMS`` first, then loaded in one
all-or-nothing write that replaces the graphs it holds. A store holding other graphs as well
would not be the released one, so that is refused unless ``replace`` drops them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, parse

from kg.errors import SourceError, StoreError
from kg.release import layout
from kg.release.gzipped import READ_ERRORS, open_input, read_error
from kg.store import Graph, Store


@dataclass(frozen=True)
class RestoreReport:
    quads: int
    graphs: int
    dropped: int


def _quads(path: Path) -> Iterator[Quad]:
    try:
        with open_input(path) as stream:
            yield from parse(stream, format=RdfFormat.N_QUADS)
    except SyntaxError as error:
        raise SourceError(f"not valid N-Quads: {error}", source=str(path),
                          line=getattr(error, "lineno", None)) from None
    except READ_ERRORS as error:
        raise read_error(path, error) from None


def restore_release(folder: Path, store: Store, *, replace: bool = False) -> RestoreReport:
    """Load the release in ``folder`` into ``store``, all or nothing.

    Raises SourceError when the data file is missing, damaged (checksum) or unreadable, and
    StoreError when ``store`` holds graphs the release does not and ``replace`` is False.
    """
    path = folder / layout.DATA_NQUADS
    expected = layout.read_sums(folder).get(layout.DATA_NQUADS)
    if expected is None:
        raise SourceError(f"{layout.SUMS} does not list {layout.DATA_NQUADS}",
                          source=str(folder / layout.SUMS))
    if not path.is_file():
        raise SourceError("missing", source=str(path))
    if layout.sha256_file(path) != expected:
        raise SourceError(f"checksum mismatch with {layout.SUMS}: the file is damaged",
                          source=str(path))
    graphs: set[Graph] = set()
    count = 0
    for quad in _quads(path):
        if isinstance(quad.graph_name, BlankNode):
            raise SourceError("a blank node names a graph; releases have none", source=str(path))
        graphs.add(quad.graph_name)
        count += 1
    others = [graph for graph in store.named_graphs() if graph not in graphs]
    if others and not replace:
        raise StoreError(f"the store holds {len(others)} graph(s) the release does not "
                         f"(<{others[0].value}> ...); restore into an empty store, or replace "
                         "them (--replace)", source=store.location)
    named = sum(isinstance(graph, NamedNode) for graph in graphs)
    store.replace_graphs([*graphs, *others], _quads(path))
    return RestoreReport(quads=count, graphs=named, dropped=len(others))
