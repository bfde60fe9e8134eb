"""Deterministic dumps and their restore.

A dump holds each distinct statement once, as canonical N-Triples/N-Quads lines sorted by
code point (an external merge sort, so memory stays bounded: the system's ``sort`` where there
is one, else ``sorted_unique``), then written as N-Quads (named
graphs kept) or as Turtle (all graphs merged). The same graph therefore always gives the same
bytes, whatever the ingest order. No blank nodes exist in the data (see ``kg.iris``), so no
labels need to be chosen. A ``.gz`` output is gzip with no name and a zero timestamp.
"""

from __future__ import annotations

import gzip
import heapq
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from enum import Enum
from pathlib import Path
from typing import IO, cast

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse, serialize

from kg.errors import ConfigError, SourceError, StoreError
from kg.iris import IriMinter
from kg.store import Graph, Store
from kg.vocab import prefixes

CHUNK_LINES = 500_000
SORT_MEMORY = "256M"
"""The system sort's buffer: beyond it, it spills sorted runs to disk (bounded memory)."""


class DumpFormat(Enum):
    TURTLE = "turtle"
    NQUADS = "nquads"


def _write_lines_sorted(lines: list[bytes], folder: Path, index: int) -> Path:
    lines.sort()
    path = folder / f"run-{index:05d}"
    with path.open("wb") as handle:
        handle.writelines(lines)
    return path


def sorted_unique(lines: Iterator[bytes], folder: Path) -> Iterator[bytes]:
    """``lines`` sorted and deduplicated, spilling sorted runs of CHUNK_LINES to ``folder``."""
    runs: list[Path] = []
    chunk: list[bytes] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CHUNK_LINES:
            runs.append(_write_lines_sorted(chunk, folder, len(runs)))
            chunk = []
    if not runs:
        chunk.sort()
        merged: Iterator[bytes] = iter(chunk)
        previous = None
        for line in merged:
            if line != previous:
                yield line
            previous = line
        return
    runs.append(_write_lines_sorted(chunk, folder, len(runs)))
    with ExitStack() as stack:
        handles = [stack.enter_context(path.open("rb")) for path in runs]
        previous = None
        for line in heapq.merge(*handles):
            if line != previous:
                yield line
            previous = line


def system_sort() -> str | None:
    """The system's ``sort`` (coreutils), if any: it sorts at C speed, in parallel, on disk."""
    return shutil.which("sort")


def sort_file(raw: Path, folder: Path) -> Path:
    """The lines of ``raw`` sorted by byte (UTF-8 byte order is code point order) without
    duplicates, in a new file in ``folder``. The system's ``sort`` under the C locale gives the
    same bytes as ``sorted_unique``, about ten times faster; that is the fallback. (``sort``
    compares lines without their newline, Python with it: the same order, because canonical
    N-Quads escape every character below U+0020.)"""
    result = folder / f"{raw.name}.sorted"
    tool = system_sort()
    if tool is not None:
        subprocess.run([tool, "-u", "-S", SORT_MEMORY, "-T", str(folder), "-o", str(result),
                        str(raw)], env={**os.environ, "LC_ALL": "C"}, check=True)
        return result
    with raw.open("rb") as lines, result.open("wb") as handle:
        handle.writelines(sorted_unique(iter(lines), folder))
    return result


def _count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            count += block.count(b"\n")
    return count


def sorted_statements(store: Store, folder: Path, *, with_graphs: bool) -> Path:
    """Every statement of ``store`` as canonical N-Quads (or N-Triples, graphs merged), sorted
    and unique, in a file in ``folder``. The store's dump streams straight into the system's
    ``sort``, so the two run at once, on two cores."""
    tool = system_sort()
    if tool is None:
        raw = folder / "raw"
        with raw.open("wb") as handle:
            store.dump_raw(handle, with_graphs=with_graphs)
        result = sort_file(raw, folder)
        raw.unlink()
        return result
    result = folder / "sorted"
    with subprocess.Popen([tool, "-u", "-S", SORT_MEMORY, "-T", str(folder), "-o", str(result)],
                          stdin=subprocess.PIPE, env={**os.environ, "LC_ALL": "C"}) as sorter:
        assert sorter.stdin is not None
        try:
            store.dump_raw(sorter.stdin, with_graphs=with_graphs)
        finally:
            sorter.stdin.close()
    if sorter.returncode != 0:
        raise StoreError(f"sort failed with status {sorter.returncode} (is {folder} full?)",
                         source=store.location)
    return result


def dump(store: Store, output: IO[bytes], fmt: DumpFormat) -> int:
    """Write the deterministic dump of ``store`` to ``output``; return the statement count."""
    with tempfile.TemporaryDirectory(prefix="kg-dump-") as tmp:
        lines = sorted_statements(store, Path(tmp), with_graphs=fmt is DumpFormat.NQUADS)
        if fmt is DumpFormat.NQUADS:
            with lines.open("rb") as handle:
                shutil.copyfileobj(handle, output, 1 << 20)
        else:
            serialize(parse(path=str(lines), format=RdfFormat.N_TRIPLES), output,
                      format=RdfFormat.TURTLE, prefixes=prefixes())
        return _count_lines(lines)


@contextmanager
def open_output(path: Path | None) -> Iterator[IO[bytes]]:
    """``path`` for writing (gzip when it ends in ``.gz``), or standard output for None/``-``."""
    if path is None or str(path) == "-":
        yield sys.stdout.buffer
        return
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as raw:
        if path.suffix == ".gz":
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as zipped:
                yield cast(IO[bytes], zipped)
        else:
            yield raw
    partial.replace(path)


_FORMATS = {".nq": RdfFormat.N_QUADS, ".nt": RdfFormat.N_TRIPLES, ".ttl": RdfFormat.TURTLE,
            ".trig": RdfFormat.TRIG, ".rdf": RdfFormat.RDF_XML, ".jsonld": RdfFormat.JSON_LD}


def format_of(path: Path) -> RdfFormat:
    """The RDF format of a dump file from its suffix (``.nq``, ``.ttl.gz`` ...)."""
    suffixes = path.suffixes
    zipped = len(suffixes) > 1 and suffixes[-1] == ".gz"
    suffix = suffixes[-2] if zipped else path.suffix
    try:
        return _FORMATS[suffix.lower()]
    except KeyError:
        raise ConfigError(f"cannot tell the RDF format from the suffix {suffix!r}; "
                          f"expected one of {sorted(_FORMATS)}", source=str(path)) from None


@contextmanager
def _open_input(path: Path) -> Iterator[IO[bytes]]:
    with path.open("rb") as raw:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield cast(IO[bytes], unzipped)
        else:
            yield raw


def load(store: Store, path: Path, *, base_iri: str) -> int:
    """Restore a dump into ``store``: the graphs it holds are replaced, all or nothing.

    Triple formats (Turtle, N-Triples ...) go to the named graph of the file's name, as an
    ingested file would. Returns the number of quads read. Raises SourceError naming the file
    and line when the file does not parse.
    """
    fmt = format_of(path)
    target: Graph = DefaultGraph()
    if fmt in (RdfFormat.TURTLE, RdfFormat.N_TRIPLES, RdfFormat.RDF_XML, RdfFormat.JSON_LD):
        name = path.name.removesuffix(".gz")
        target = NamedNode(IriMinter(base_iri).graph(name))
    graphs: set[Graph] = set()
    count = 0
    try:
        with _open_input(path) as stream:
            for quad in parse(stream, format=fmt):
                graphs.add(target if isinstance(quad.graph_name, DefaultGraph) else quad.graph_name)
                count += 1
    except SyntaxError as error:
        line = getattr(error, "lineno", None)
        raise SourceError(f"not valid {fmt.name}: {error}", source=str(path), line=line) from None
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise SourceError(f"cannot read: {error}", source=str(path)) from None

    def quads() -> Iterator[Quad]:
        with _open_input(path) as stream:
            for quad in parse(stream, format=fmt):
                if isinstance(quad.graph_name, DefaultGraph):
                    yield Quad(quad.subject, quad.predicate, quad.object, target)
                else:
                    yield quad

    store.replace_graphs(graphs, quads())
    return count
