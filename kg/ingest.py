"""The ingest pipeline: files -> records -> quads -> SHACL validation -> one atomic write.

Nothing is written until every file has been read, mapped and validated; then each source
file's named graph is replaced in one all-or-nothing store operation, so re-ingesting a file
replaces exactly its triples and a failed ingest leaves the store as it was.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import NamedNode, Quad

from kg import validate, validate_sparql
from kg.errors import ConfigError, KGError, SourceError, SourceErrors, ValidationFailed, Violation
from kg.identity import Resolution, resolve_papers, resolve_people, stored_graphs_using
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper, map_provenance
from kg.records import Paper, SourceFile
from kg.sources import detect_format, reader
from kg.store import Store
from kg.version import VERSION
from kg.vocab import RDF, SDO

Progress = Callable[[str], None]


@dataclass
class MappedRecord:
    paper: Paper
    iri: str
    quads: list[Quad]


@dataclass
class MappedSource:
    """One input file after reading and mapping: its graph, records and errors."""

    file: SourceFile
    path: Path
    graph: NamedNode
    records: list[MappedRecord] = field(default_factory=list)
    errors: list[KGError] = field(default_factory=list)


@dataclass(frozen=True)
class IngestReport:
    """What an ingest (or a dry-run validation) did."""

    files: int
    papers: int
    quads: int
    skipped: tuple[KGError | Violation, ...] = ()


def describe_file(path: Path, format_name: str) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return SourceFile(name=path.name, sha256=digest.hexdigest(), size=size, format=format_name)


def read_source(path: Path, format_name: str | None, minter: IriMinter) -> MappedSource:
    """Read and map one file, collecting (not raising) its record errors."""
    if not path.is_file():
        raise SourceError("no such file", source=str(path))
    name = format_name or detect_format(path)
    source = MappedSource(file=describe_file(path, name), path=path,
                          graph=NamedNode(minter.graph(path.name)))
    for item in reader(name)(path, str(path)):
        if isinstance(item, KGError):
            source.errors.append(item)
            continue
        out = GraphWriter(source.graph, [])
        node = map_paper(out, minter, item)
        source.records.append(MappedRecord(item, node.value, out.quads))
    return source


def _owners(source: MappedSource) -> dict[str, list[MappedRecord]]:
    """Which records wrote triples about each subject (to tie a SHACL result to its record)."""
    owners: dict[str, list[MappedRecord]] = defaultdict(list)
    for record in source.records:
        for subject in {quad.subject.value for quad in record.quads
                        if isinstance(quad.subject, NamedNode)}:
            owners[subject].append(record)
    return owners


def _locate(violation: Violation, owners: dict[str, list[MappedRecord]]) -> Violation:
    records = owners.get(violation.focus_node, [])
    if not records:
        return violation
    first = records[0].paper
    return Violation(**{**violation.__dict__, "source": first.location.source,
                        "line": first.location.line, "record": first.label})


VALIDATORS = {"sparql": validate_sparql.validate_quads, "pyshacl": validate.validate_quads}


def check_source(source: MappedSource, *, skip_invalid: bool,
                 validator: str = "sparql") -> list[Violation]:
    """Validate one file's records; with ``skip_invalid`` drop the records at fault.

    Returns the violations (tied to their records). Dropped records are validated again as a
    whole once more, so that what is kept conforms as a set.
    """
    found: list[Violation] = []
    while source.records:
        report = VALIDATORS[validator](q for record in source.records for q in record.quads)
        if report.conforms:
            break
        owners = _owners(source)
        located = [_locate(v, owners) for v in report.results]
        found.extend(located)
        if not skip_invalid:
            break
        bad = {id(r) for v in report.results for r in owners.get(v.focus_node, [])}
        if not bad:
            break
        source.records = [r for r in source.records if id(r) not in bad]
    return found


@dataclass
class Prepared:
    """Everything an ingest writes: the new sources, and stored graphs renamed to match them."""

    sources: list[MappedSource]
    skipped: list[KGError | Violation]
    resolution: Resolution
    renamed_graphs: list[NamedNode]


def keep_one_name_per_person(source: MappedSource) -> None:
    """In one source, a person printed in several spellings keeps the first as ``schema:name``;
    the others become ``schema:alternateName`` (the name variants of issue 3)."""
    name, alternate = NamedNode(SDO.name), NamedNode(SDO.alternateName)
    people = {NamedNode(SDO.Person), NamedNode(SDO.Organization)}
    typed = {q.subject for r in source.records for q in r.quads
             if q.predicate == NamedNode(RDF.type) and q.object in people}
    first: dict[object, object] = {}
    for record in source.records:
        changed = False
        quads = []
        for quad in record.quads:
            if quad.predicate == name and quad.subject in typed:
                chosen = first.setdefault(quad.subject, quad.object)
                if chosen != quad.object:
                    quad = Quad(quad.subject, alternate, quad.object, quad.graph_name)
                    changed = True
            quads.append(quad)
        if changed:
            record.quads = quads


def resolve_identity(sources: list[MappedSource], minter: IriMinter,
                     store: Store | None) -> tuple[Resolution, list[NamedNode]]:
    """Give every paper and person one IRI across sources (see ``kg.identity``); rename the
    records' quads, and name the stored graphs that must be rewritten to match."""
    excluded = {source.graph.value for source in sources}
    records = [(record.iri, record.paper) for source in sources for record in source.records]
    people = [person for _, paper in records for person in
              (*paper.authors, *paper.editors, *(paper.volume.editors if paper.volume else ()))]
    renames = resolve_papers(minter, records, store, excluded)
    renames.update(resolve_people(minter, people, store, excluded))
    resolution = Resolution(renames)
    for source in sources:
        for record in source.records:
            record.iri = resolution.iri(record.iri)
            record.quads = resolution.apply(record.quads)
        keep_one_name_per_person(source)
    if store is None or not renames:
        return resolution, []
    graphs = stored_graphs_using(store, renames, excluded)
    return resolution, [NamedNode(graph) for graph in sorted(graphs)]


def prepare(paths: Sequence[Path], *, format_name: str | None, base_iri: str,
            skip_invalid: bool, store: Store | None = None, progress: Progress | None = None,
            validator: str = "sparql") -> Prepared:
    """Read, map, match and validate every file; raise when anything is wrong and not skipped."""
    minter = IriMinter(base_iri)
    seen: dict[str, Path] = {}
    sources = []
    for path in paths:
        if path.name in seen:
            raise ConfigError(f"two input files share the name {path.name!r} ({seen[path.name]});"
                              " each file's graph is named after it", source=str(path))
        seen[path.name] = path
        if progress:
            progress(f"reading {path}")
        sources.append(read_source(path, format_name, minter))
    errors: list[KGError | Violation] = [e for s in sources for e in s.errors]
    if errors and not skip_invalid:
        raise SourceErrors(f"{len(errors)} record(s) could not be read; nothing was written",
                           errors)
    resolution, renamed_graphs = resolve_identity(sources, minter, store)
    violations: list[Violation] = []
    for source in sources:
        if progress:
            progress(f"validating {source.path} ({len(source.records)} records)")
        violations.extend(check_source(source, skip_invalid=skip_invalid, validator=validator))
    if violations and not skip_invalid:
        raise ValidationFailed(
            f"{len(violations)} SHACL violation(s); nothing was written", violations)
    return Prepared(sources, [*errors, *violations], resolution, renamed_graphs)


def ingest(store: Store, paths: Sequence[Path], *, base_iri: str, format_name: str | None = None,
           skip_invalid: bool = False, progress: Progress | None = None,
           validator: str = "sparql") -> IngestReport:
    """Ingest ``paths`` into ``store``: every file's graph replaced, all or nothing.

    ``validator`` is ``sparql`` (shapes compiled to SPARQL, run in pyoxigraph; the default) or
    ``pyshacl`` (the reference engine; same verdicts, far slower).
    """
    started = datetime.now(UTC)
    prepared = prepare(paths, format_name=format_name, base_iri=base_iri,
                       skip_invalid=skip_invalid, store=store, progress=progress,
                       validator=validator)
    sources = prepared.sources
    minter = IriMinter(base_iri)
    ended = datetime.now(UTC)
    quads: list[Quad] = []
    for graph in prepared.renamed_graphs:
        if progress:
            progress(f"renaming matched resources in {graph.value}")
        quads.extend(prepared.resolution.apply(store.quads(graph)))
    for source in sources:
        for record in source.records:
            quads.extend(record.quads)
        out = GraphWriter(source.graph, quads)
        map_provenance(out, minter, source.file, VERSION, started, ended)
    if progress:
        progress(f"writing {len(quads)} quads")
    store.replace_graphs([*prepared.renamed_graphs, *(source.graph for source in sources)], quads)
    return IngestReport(files=len(sources), papers=sum(len(s.records) for s in sources),
                        quads=len(set(quads)), skipped=tuple(prepared.skipped))


def validate_files(paths: Sequence[Path], *, base_iri: str, format_name: str | None = None,
                   progress: Progress | None = None, validator: str = "sparql") -> IngestReport:
    """Map and validate ``paths`` without writing; raise SourceErrors / ValidationFailed."""
    sources = prepare(paths, format_name=format_name, base_iri=base_iri, skip_invalid=False,
                      progress=progress, validator=validator).sources
    quads = {q for s in sources for r in s.records for q in r.quads}
    return IngestReport(files=len(sources), papers=sum(len(s.records) for s in sources),
                        quads=len(quads))
