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

from kg.errors import ConfigError, KGError, SourceError, SourceErrors, ValidationFailed, Violation
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper, map_provenance
from kg.records import Paper, SourceFile
from kg.sources import detect_format, reader
from kg.store import Store
from kg.validate import validate_quads
from kg.version import VERSION

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


def check_source(source: MappedSource, *, skip_invalid: bool) -> list[Violation]:
    """Validate one file's records; with ``skip_invalid`` drop the records at fault.

    Returns the violations (tied to their records). Dropped records are validated again as a
    whole once more, so that what is kept conforms as a set.
    """
    found: list[Violation] = []
    while source.records:
        report = validate_quads(q for record in source.records for q in record.quads)
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


def prepare(paths: Sequence[Path], *, format_name: str | None, base_iri: str,
            skip_invalid: bool, progress: Progress | None = None,
            ) -> tuple[list[MappedSource], list[KGError | Violation]]:
    """Read, map and validate every file; raise when anything is wrong and not skipped."""
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
    violations: list[Violation] = []
    for source in sources:
        if progress:
            progress(f"validating {source.path} ({len(source.records)} records)")
        violations.extend(check_source(source, skip_invalid=skip_invalid))
    if violations and not skip_invalid:
        raise ValidationFailed(
            f"{len(violations)} SHACL violation(s); nothing was written", violations)
    return sources, [*errors, *violations]


def ingest(store: Store, paths: Sequence[Path], *, base_iri: str, format_name: str | None = None,
           skip_invalid: bool = False, progress: Progress | None = None) -> IngestReport:
    """Ingest ``paths`` into ``store``: every file's graph replaced, all or nothing."""
    started = datetime.now(UTC)
    sources, skipped = prepare(paths, format_name=format_name, base_iri=base_iri,
                               skip_invalid=skip_invalid, progress=progress)
    minter = IriMinter(base_iri)
    ended = datetime.now(UTC)
    quads: list[Quad] = []
    for source in sources:
        for record in source.records:
            quads.extend(record.quads)
        out = GraphWriter(source.graph, quads)
        map_provenance(out, minter, source.file, VERSION, started, ended)
    if progress:
        progress(f"writing {len(quads)} quads")
    store.replace_graphs([source.graph for source in sources], quads)
    return IngestReport(files=len(sources), papers=sum(len(s.records) for s in sources),
                        quads=len(set(quads)), skipped=tuple(skipped))


def validate_files(paths: Sequence[Path], *, base_iri: str, format_name: str | None = None,
                   progress: Progress | None = None) -> IngestReport:
    """Map and validate ``paths`` without writing; raise SourceErrors / ValidationFailed."""
    sources, _ = prepare(paths, format_name=format_name, base_iri=base_iri, skip_invalid=False,
                         progress=progress)
    quads = {q for s in sources for r in s.records for q in r.quads}
    return IngestReport(files=len(sources), papers=sum(len(s.records) for s in sources),
                        quads=len(quads))
