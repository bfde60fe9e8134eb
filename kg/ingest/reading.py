"""The first pass of an ingest: each input file read into records, spooled in batches.

Records are pickled to the spool folder in batches, so no process holds a whole input in memory;
what the parent keeps of each record is its summary -- the keys identity matching needs
(``kg.identity``) and the people it names -- a few hundred bytes per record.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from pathlib import Path

from kg.errors import KGError, SourceError
from kg.identity import PersonRef, paper_keys, people_of
from kg.iris import IriMinter
from kg.records import Paper, SourceFile
from kg.sources import detect_format, reader


@dataclass(frozen=True)
class RecordSummary:
    """What the parent process keeps of one record between the passes."""

    provisional_iri: str
    keys: frozenset[str]
    people: tuple[PersonRef, ...]


@dataclass(frozen=True)
class ReadTask:
    path: Path
    format_name: str | None
    base_iri: str
    spool: Path
    batch_size: int


@dataclass(frozen=True)
class FileRead:
    """One input file after the first pass."""

    path: Path
    file: SourceFile
    graph: str
    batches: tuple[Path, ...]
    """Pickled lists of records, in file order."""
    summaries: tuple[RecordSummary, ...]
    errors: tuple[KGError, ...]


def describe_file(path: Path, format_name: str) -> SourceFile:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
    return SourceFile(name=path.name, sha256=digest.hexdigest(), size=size, format=format_name)


def summarise(minter: IriMinter, paper: Paper) -> RecordSummary:
    return RecordSummary(minter.paper(paper), frozenset(paper_keys(paper)),
                         tuple(PersonRef.of(minter, person) for person in people_of(paper)))


def read_file(task: ReadTask) -> FileRead:
    """Read one file (run in a worker process): records to the spool, summaries back."""
    path = task.path
    if not path.is_file():
        raise SourceError("no such file", source=str(path))
    name = task.format_name or detect_format(path)
    minter = IriMinter(task.base_iri)
    batches: list[Path] = []
    summaries: list[RecordSummary] = []
    errors: list[KGError] = []
    pending: list[Paper] = []

    def spill() -> None:
        batch = task.spool / f"{len(batches):05d}.records"
        with batch.open("wb") as handle:
            pickle.dump(pending, handle, protocol=pickle.HIGHEST_PROTOCOL)
        batches.append(batch)
        pending.clear()

    for item in reader(name)(path, str(path)):
        if isinstance(item, KGError):
            errors.append(item)
            continue
        summaries.append(summarise(minter, item))
        pending.append(item)
        if len(pending) >= task.batch_size:
            spill()
    if pending:
        spill()
    return FileRead(path, describe_file(path, name), minter.graph(path.name), tuple(batches),
                    tuple(summaries), tuple(errors))


def load_batch(path: Path) -> list[Paper]:
    with path.open("rb") as handle:
        records: list[Paper] = pickle.load(handle)
    return records
