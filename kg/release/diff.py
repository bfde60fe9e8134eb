"""What changed between two releases: per record, and as a SPARQL Update.

Both releases' ``data.nq.gz`` are sorted, deduplicated N-Quads lines, so their difference is one
merge of the two streams: a line only in OLD was removed, a line only in NEW was added. Memory is
bounded by the size of the change, not of the graphs (the SPARQL Update is grouped by graph with
``kg.dump``'s external sort; the report keeps the changed statements of each record).

Statements are grouped by *record*: the resource a subject belongs to. Author and editor slots
and list cells (``{owner}/author/3``, ``{owner}/editor-list/1``, see ``kg.iris``) belong to their
paper or volume; everything else is its own record. A record is ``added`` when its IRI is no
subject in OLD, ``removed`` when it is none in NEW, else ``changed``. Statements about a named
graph itself and its ``/source`` and ``/ingest`` nodes (the provenance of a source file, which
changes whenever the file is ingested again) are reported apart, as graphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, Any

from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, parse

from kg.dump import sorted_unique
from kg.errors import SourceError
from kg.release.gzipped import READ_ERRORS, open_input, read_error
from kg.release.layout import DATA_NQUADS
from kg.vocab import DCTERMS, RDF, RDFS, SDO, prefixes

_OWNED = re.compile(r"(?P<owner>.+)/(?:(?:author|editor)(?:-list)?/\d+)")
_PROVENANCE = re.compile(r"(?P<owner>.+/graph/[^/]+)/(?:source|ingest)")
_LABELS = [f"<{SDO.name}>".encode(), f"<{DCTERMS.title}>".encode(), f"<{RDFS.label}>".encode()]
_TYPE = f"<{RDF.type}>".encode()


@dataclass(frozen=True)
class Statement:
    """One changed quad, each term in N-Triples syntax (``graph`` empty for the default)."""

    subject: str
    predicate: str
    object: str
    graph: str


@dataclass
class RecordChange:
    """The changed statements of one record (or of one graph's provenance)."""

    iri: str
    removed: list[Statement] = field(default_factory=list)
    added: list[Statement] = field(default_factory=list)
    status: str = "changed"
    kind: str = "resource"
    label: str | None = None

    @property
    def properties(self) -> list[str]:
        """The properties whose values changed, as CURIEs (``schema:name``); a property of a
        slot or list cell is prefixed with its path (``author/2 kg:nameAsPrinted``)."""
        return sorted({self._where(s) for s in (*self.removed, *self.added)})

    def _where(self, statement: Statement) -> str:
        subject = statement.subject[1:-1]
        own = subject.removeprefix(self.iri).lstrip("/")
        name = curie(statement.predicate)
        return f"{own} {name}" if own else name

    def as_dict(self) -> dict[str, Any]:
        return {"iri": self.iri, "status": self.status, "kind": self.kind, "label": self.label,
                "properties": self.properties,
                "removed": [s.__dict__ for s in self.removed],
                "added": [s.__dict__ for s in self.added]}


@dataclass
class Changeset:
    """The difference between two releases (``old`` and ``new`` name them)."""

    old: str
    new: str
    removed_quads: int = 0
    added_quads: int = 0
    records: list[RecordChange] = field(default_factory=list)
    graphs: list[RecordChange] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(record.status == status for record in self.records)

    def as_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "removed_quads": self.removed_quads,
                "added_quads": self.added_quads,
                "records": [record.as_dict() for record in self.records],
                "graphs": [graph.as_dict() for graph in self.graphs]}

    def report(self) -> str:
        """The change as text: one block per record, its changed properties with - and +."""
        lines = [f"kg diff: {self.old} -> {self.new}",
                 f"quads: {self.removed_quads} removed, {self.added_quads} added",
                 f"records: {self.count('added')} added, {self.count('removed')} removed, "
                 f"{self.count('changed')} changed; graphs: {len(self.graphs)} with changed "
                 "provenance", ""]
        for record in [*self.records, *self.graphs]:
            label = f' "{record.label}"' if record.label else ""
            head = f"{record.status} {record.kind} <{record.iri}>{label}"
            if record.status != "changed":
                count = len(record.added) + len(record.removed)
                lines.append(f"{head} ({count} statements)")
                continue
            lines.append(head)
            for where in record.properties:
                lines.append(f"  {where}")
                for sign, statements in (("-", record.removed), ("+", record.added)):
                    lines.extend(f"    {sign} {s.object}" for s in statements
                                 if record._where(s) == where)
        return "\n".join(lines) + "\n"


def curie(term: str) -> str:
    """``<http://schema.org/name>`` -> ``schema:name``; other IRIs stay as they are."""
    iri = term[1:-1]
    for prefix, namespace in prefixes().items():
        if iri.startswith(namespace) and iri != namespace:
            return f"{prefix}:{iri.removeprefix(namespace)}"
    return term


def record_of(iri: str) -> str:
    """The record an IRI's statements belong to (slots and list cells to their owner)."""
    match = _OWNED.fullmatch(iri) or _PROVENANCE.fullmatch(iri)
    return match["owner"] if match else iri


def data_file(path: Path) -> Path:
    """The N-Quads file of a release folder, or ``path`` itself when it is a file."""
    return path / DATA_NQUADS if path.is_dir() else path


def sorted_lines(path: Path) -> Iterator[bytes]:
    """The lines of a sorted, deduplicated N-Quads dump; SourceError (file and line) when a
    line is not greater than the one before, or the file cannot be read."""
    previous = b""
    try:
        with open_input(path) as stream:
            for number, line in enumerate(stream, start=1):
                if not line.endswith(b"\n"):
                    line += b"\n"
                if line <= previous:
                    raise SourceError("not a sorted dump (lines must be in code point order, "
                                      "each once, as `kg dump` and `kg release` write them)",
                                      source=str(path), line=number)
                previous = line
                yield line
    except READ_ERRORS as error:
        raise read_error(path, error) from None


def merge(old: Iterator[bytes], new: Iterator[bytes]) -> Iterator[tuple[str, bytes]]:
    """``("-", line)`` for lines only in ``old``, ``("+", line)`` for lines only in ``new``."""
    a, b = next(old, None), next(new, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a < b):
            assert a is not None
            yield "-", a
            a = next(old, None)
        elif a is None or b < a:
            yield "+", b
            b = next(new, None)
        else:
            a, b = next(old, None), next(new, None)


def _quad(line: bytes) -> Quad:
    quad: Quad = next(iter(parse(line, format=RdfFormat.N_QUADS)))
    return quad


def _statement(line: bytes) -> Statement:
    quad = _quad(line)
    graph = "" if isinstance(quad.graph_name, DefaultGraph) else str(quad.graph_name)
    return Statement(str(quad.subject), str(quad.predicate), str(quad.object), graph)


class _Describer:
    """Finds the status, kind and label of the records in a change, in one more pass over
    each dump (NEW first: a changed record is named by its new label)."""

    def __init__(self, records: dict[str, RecordChange]) -> None:
        self.wanted = {f"<{iri}>".encode(): record for iri, record in records.items()}
        self.seen: dict[str, set[bytes]] = {"old": set(), "new": set()}
        self.types: dict[bytes, list[str]] = {}
        self.labels: dict[bytes, tuple[int, str]] = {}

    def scan(self, lines: Iterator[bytes], side: str) -> None:
        seen = self.seen[side]
        for line in lines:
            subject = line[:line.index(b" ")]
            if subject not in self.wanted:
                continue
            seen.add(subject)
            predicate = line[len(subject) + 1:line.index(b" ", len(subject) + 1)]
            if predicate != _TYPE and predicate not in _LABELS:
                continue
            quad = _quad(line)
            if predicate == _TYPE and isinstance(quad.object, NamedNode):
                self.types.setdefault(subject, []).append(quad.object.value)
            elif isinstance(quad.object, Literal):
                rank = _LABELS.index(predicate) + (0 if side == "new" else len(_LABELS))
                if subject not in self.labels or rank < self.labels[subject][0]:
                    self.labels[subject] = (rank, quad.object.value)

    def finish(self) -> None:
        order = list(prefixes().values())
        for key, record in self.wanted.items():
            if key not in self.seen["old"]:
                record.status = "added"
            elif key not in self.seen["new"]:
                record.status = "removed"
            types = self.types.get(key, [])
            if types:
                best = min(types, key=lambda t: (_rank(t, order), t))
                record.kind = re.split(r"[/#]", best)[-1]
            if key in self.labels:
                record.label = self.labels[key][1]


def _rank(iri: str, order: list[str]) -> int:
    for index, namespace in enumerate(order):
        if iri.startswith(namespace):
            return index
    return len(order)


def diff(old: Path, new: Path, *, update: IO[bytes] | None = None,
         names: tuple[str, str] | None = None) -> Changeset:
    """The changes that turn release (or sorted N-Quads dump) ``old`` into ``new``.

    With ``update``, also write them there as a SPARQL 1.1 Update (``DELETE DATA`` then
    ``INSERT DATA``, grouped by graph). ``names`` name the two in the report (default: the
    paths). Raises SourceError naming the file when a dump cannot be read or is not sorted.
    """
    old_file, new_file = data_file(old), data_file(new)
    old_name, new_name = names or (str(old), str(new))
    changes = Changeset(old=old_name, new=new_name)
    records: dict[str, RecordChange] = {}
    graphs: dict[str, RecordChange] = {}
    with TemporaryDirectory(prefix="kg-diff-") as tmp:
        scratch = Path(tmp)
        removed, added = scratch / "removed.nq", scratch / "added.nq"
        with removed.open("wb") as minus, added.open("wb") as plus:
            for sign, line in merge(sorted_lines(old_file), sorted_lines(new_file)):
                (minus if sign == "-" else plus).write(line)
                statement = _statement(line)
                owner = record_of(statement.subject[1:-1])
                table = graphs if f"<{owner}>" == statement.graph else records
                record = table.setdefault(owner, RecordChange(owner))
                if sign == "-":
                    changes.removed_quads += 1
                    record.removed.append(statement)
                else:
                    changes.added_quads += 1
                    record.added.append(statement)
        describer = _Describer({**records, **graphs})
        if describer.wanted:
            describer.scan(sorted_lines(new_file), "new")
            describer.scan(sorted_lines(old_file), "old")
            describer.finish()
        for graph in graphs.values():
            graph.kind = "graph"
        changes.records = [records[key] for key in sorted(records)]
        changes.graphs = [graphs[key] for key in sorted(graphs)]
        if update is not None:
            update.write(f"# SPARQL 1.1 Update: turns {old_name} into {new_name} (kg diff)\n"
                         .encode())
            wrote = _write_data_block(update, b"DELETE DATA", removed, scratch)
            if wrote and changes.added_quads:
                update.write(b" ;\n")
            _write_data_block(update, b"INSERT DATA", added, scratch)
            update.write(b"\n")
    return changes


def _by_graph(path: Path) -> Iterator[bytes]:
    for quad in parse(path=str(path), format=RdfFormat.N_QUADS):
        graph = "" if isinstance(quad.graph_name, DefaultGraph) else str(quad.graph_name)
        yield f"{graph} {quad.subject} {quad.predicate} {quad.object} .\n".encode()


def _write_data_block(output: IO[bytes], keyword: bytes, path: Path, scratch: Path) -> bool:
    """``DELETE DATA { GRAPH <g> { ... } ... }`` of the quads in ``path``; False if none."""
    if path.stat().st_size == 0:
        return False
    with TemporaryDirectory(dir=scratch) as tmp:
        output.write(keyword + b" {\n")
        current: bytes | None = None
        for line in sorted_unique(_by_graph(path), Path(tmp)):
            graph, _, triple = line.partition(b" ")
            if graph != current:
                if current:
                    output.write(b"  }\n")
                if graph:
                    output.write(b"  GRAPH " + graph + b" {\n")
                current = graph
            output.write((b"    " if graph else b"  ") + triple)
        if current:
            output.write(b"  }\n")
        output.write(b"}")
    return True
