"""The ingest pipeline: files -> records -> N-Quads -> SHACL validation -> one atomic write.

It streams in bounded batches over all cores, and writes only when everything is valid:

1. **Read** (``reading``; one worker per file): records are spooled to disk in batches; the
   parent keeps a summary of each (match keys, people named).
2. **Match** (``kg.identity``, in the parent): every paper and person gets one IRI across this
   ingest and the store, and every person one name per source (the first spelling met).
3. **Map and validate** (``batches``; one worker per batch): records become N-Quads text and
   are validated together; results about a record's own nodes are that record's. Lines about
   shared nodes (people, volumes, venues, events) come back to the parent, which validates them
   once per source (``shared``): the two checks reach the verdicts of a whole-graph run.
4. **Write**: each source file's named graph (and stored graphs renamed by matching) replaced in
   one all-or-nothing store operation fed from the spooled files (``Store.replacing``), so
   re-ingesting a file replaces exactly its triples and a failed ingest leaves the store as it was.

With ``skip_invalid`` a record that cannot be read, mapped or validated is left out and reported;
without it, any such problem stops the ingest before anything is written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import TypeVar

from pyoxigraph import NamedNode, RdfFormat, serialize

from kg.errors import ConfigError, KGError, SourceErrors, ValidationFailed, Violation
from kg.identity import Resolution, resolve_papers, resolve_people, stored_graphs_using
from kg.ingest.batches import VALIDATORS, BatchResult, BatchTask, run_batch
from kg.ingest.reading import FileRead, ReadTask, describe_file, read_file
from kg.ingest.shared import check_shared
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_provenance
from kg.store import Store
from kg.version import VERSION

__all__ = ["IngestReport", "describe_file", "ingest", "validate_files"]

Progress = Callable[[str], None]
T = TypeVar("T")
R = TypeVar("R")

BATCH_SIZE = 2000
"""Records per batch: big enough that the per-query cost of validation is spread thin, small
enough to bound each worker's memory (about 100 MB at 2,000 papers)."""
PARALLEL_FROM_BYTES = 4 << 20
"""Below this much input, worker processes cost more (about a second to start) than they save."""


@dataclass(frozen=True)
class IngestReport:
    """What an ingest (or a dry-run validation) did."""

    files: int
    papers: int
    quads: int
    skipped: tuple[KGError | Violation, ...] = ()


@dataclass
class _Source:
    """One input file through the passes."""

    read: FileRead
    tasks: list[BatchTask] = field(default_factory=list)
    results: list[BatchResult] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)
    shared_lines: int = 0

    @property
    def graph(self) -> NamedNode:
        return NamedNode(self.read.graph)


@dataclass
class _Prepared:
    sources: list[_Source]
    problems: list[KGError | Violation]
    resolution: Resolution
    renamed_graphs: list[NamedNode]


def _pool(jobs: int) -> Executor | None:
    if jobs <= 1:
        return None
    # forkserver: workers start from a clean process with kg imported, never from a fork of
    # one that holds an open store and its threads.
    context = get_context("forkserver")
    context.set_forkserver_preload(["kg.ingest.batches"])
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context)


def _run(pool: Executor | None, function: Callable[[T], R], tasks: Iterable[T]) -> Iterator[R]:
    if pool is None:
        return map(function, tasks)
    return pool.map(function, tasks)


def _check_names(paths: Sequence[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in paths:
        if path.name in seen:
            raise ConfigError(f"two input files share the name {path.name!r} ({seen[path.name]});"
                              " each file's graph is named after it", source=str(path))
        seen[path.name] = path


def _resolve(reads: list[FileRead], minter: IriMinter,
             store: Store | None) -> tuple[Resolution, list[NamedNode]]:
    """One IRI for every paper and person across sources and the store (``kg.identity``)."""
    excluded = {read.graph for read in reads}
    if store is not None and not {g.value for g in store.named_graphs()} - excluded:
        store = None  # nothing stored to match against (a first ingest, or a re-ingest)
    summaries = [summary for read in reads for summary in read.summaries]
    renames = resolve_papers(minter, ((s.provisional_iri, s.keys) for s in summaries), store,
                             excluded)
    renames.update(resolve_people((p for s in summaries for p in s.people), store, excluded))
    resolution = Resolution(renames)
    if store is None or not renames:
        return resolution, []
    graphs = stored_graphs_using(store, renames, excluded)
    return resolution, [NamedNode(graph) for graph in sorted(graphs)]


def _plan(read: FileRead, resolution: Resolution, *, base_iri: str, output: Path,
          batch_size: int, validator: str, skip_invalid: bool) -> list[BatchTask]:
    """The batches of one source. Records that resolve to one paper go to one batch (a paper
    is validated whole); each person keeps the first name the source prints for them."""
    names: dict[str, str] = {}
    papers: dict[str, list[int]] = {}
    for position, summary in enumerate(read.summaries):
        for person in summary.people:
            names.setdefault(resolution.iri(person.iri), person.name)
        papers.setdefault(resolution.iri(summary.provisional_iri), []).append(position)
    groups: dict[int, list[int]] = {}
    for positions in papers.values():
        groups.setdefault(positions[0] // batch_size, []).extend(positions)
    tasks = []
    for number in sorted(groups):
        positions = sorted(groups[number])
        parts: dict[Path, list[int]] = {}
        for position in positions:
            path = read.batches[position // batch_size]
            parts.setdefault(path, []).append(position % batch_size)
        people = {resolution.iri(p.iri) for i in positions for p in read.summaries[i].people}
        tasks.append(BatchTask(
            index=number, graph=read.graph,
            parts=tuple((path, tuple(indices)) for path, indices in parts.items()),
            base_iri=base_iri, renames=resolution.renames,
            names={iri: names[iri] for iri in people},
            output=output / f"{number:05d}.nq",
            validator=validator, skip_invalid=skip_invalid))
    return tasks


def _provenance(source: _Source, minter: IriMinter, started: datetime) -> list[str]:
    out = GraphWriter(source.read.graph)
    map_provenance(out, minter, source.read.file, VERSION, started, datetime.now(UTC))
    return out.lines


def _map_and_validate(sources: list[_Source], pool: Executor | None, minter: IriMinter, *,
                      started: datetime, validator: str, skip_invalid: bool,
                      progress: Progress | None) -> list[KGError | Violation]:
    """Pass 2 and the whole-source checks; with ``skip_invalid``, sources whose shared nodes
    fail are mapped again without the records naming those nodes, until they conform."""
    problems: list[KGError | Violation] = []
    pending = sources
    while pending:
        tasks = [task for source in pending for task in source.tasks]
        if progress:
            progress(f"mapping and validating {len(tasks)} batch(es)")
        results = iter(_run(pool, run_batch, tasks))
        again = []
        for source in pending:
            # Each source is checked as soon as its batches are in, and its shared lines are
            # dropped then: the parent holds one source's shared nodes at a time.
            source.results = [next(results) for _ in source.tasks]
            for result in source.results:
                problems.extend(result.problems)
            source.provenance = _provenance(source, minter, started)
            suffix = GraphWriter(source.read.graph).suffix
            triples = (line.replace(suffix, " .\n") for line in source.provenance)
            found, shared_lines = check_shared(source.results, triples,
                                               VALIDATORS[validator], source=str(source.read.path))
            for result in source.results:
                result.shared, result.mentions = [], {}
            source.shared_lines = shared_lines
            problems.extend(found)
            if found and skip_invalid:
                excluded = frozenset(v.focus_node for v in found) | source.tasks[0].excluded
                source.tasks = [replace(task, excluded=excluded) for task in source.tasks]
                again.append(source)
        pending = again
    # A source mapped again reports its batches' problems again: keep each once.
    return list({str(problem): problem for problem in problems}.values())


def _prepare(paths: Sequence[Path], *, format_name: str | None, base_iri: str,
             skip_invalid: bool, store: Store | None, progress: Progress | None,
             validator: str, spool: Path, jobs: int | None, batch_size: int) -> _Prepared:
    if validator not in VALIDATORS:
        raise ConfigError(f"unknown validator {validator!r}; expected one of "
                          f"{sorted(VALIDATORS)}", field="validator")
    _check_names(paths)
    started = datetime.now(UTC)
    minter = IriMinter(base_iri)
    size = sum(path.stat().st_size for path in paths if path.is_file())
    if jobs is None:
        jobs = default_jobs() if size >= PARALLEL_FROM_BYTES else 1
    with _executor(jobs) as pool:
        if progress:
            progress(f"reading {len(paths)} file(s)")
        folders = [spool / f"read-{n}" for n in range(len(paths))]
        for folder in folders:
            folder.mkdir()
        reads = list(_run(pool, read_file, [
            ReadTask(path, format_name, base_iri, folder, batch_size)
            for path, folder in zip(paths, folders, strict=True)]))
        errors: list[KGError | Violation] = [e for read in reads for e in read.errors]
        if errors and not skip_invalid:
            raise SourceErrors(f"{len(errors)} record(s) could not be read; nothing was written",
                               errors)
        if progress:
            progress(f"matching {sum(len(r.summaries) for r in reads)} records")
        resolution, renamed_graphs = _resolve(reads, minter, store)
        sources = [_Source(read, _plan(read, resolution, base_iri=base_iri, output=folder,
                                       batch_size=batch_size, validator=validator,
                                       skip_invalid=skip_invalid))
                   for read, folder in zip(reads, folders, strict=True)]
        problems = _map_and_validate(sources, pool, minter, started=started,
                                     validator=validator, skip_invalid=skip_invalid,
                                     progress=progress)
    if problems and not skip_invalid:
        found = sorted(problems, key=_problem_order)
        if any(isinstance(p, KGError) for p in found):
            raise SourceErrors(f"{len(found)} record(s) could not be mapped; nothing was written",
                               found)
        raise ValidationFailed(f"{len(found)} SHACL violation(s); nothing was written", found)
    return _Prepared(sources, sorted([*errors, *problems], key=_problem_order), resolution,
                     renamed_graphs)


def _problem_order(problem: KGError | Violation) -> tuple[str, int, str]:
    if isinstance(problem, Violation):
        return (problem.source or "", problem.line or 0, problem.focus_node)
    return (problem.source or "", problem.line or 0, problem.message)


@contextmanager
def _executor(jobs: int) -> Iterator[Executor | None]:
    pool = _pool(jobs)
    try:
        yield pool
    except BrokenProcessPool:
        raise KGError("a worker process stopped unexpectedly (killed, or out of memory: try "
                      "fewer --jobs); nothing was written") from None
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


@contextmanager
def _spool() -> Iterator[Path]:
    # The spool holds the whole input once as records and once as N-Quads: TMPDIR chooses the disk.
    with tempfile.TemporaryDirectory(prefix="kg-ingest-") as folder:
        try:
            yield Path(folder)
        except OSError as error:  # in this process or a worker: a full or unwritable TMPDIR
            if not str(error.filename or "").startswith(folder):
                raise
            raise KGError(f"cannot write the ingest's spool in {Path(folder).parent} (set "
                          f"TMPDIR to a disk with room): {error.strerror}; nothing was written"
                          ) from None


def default_jobs() -> int:
    """Worker processes by default: one per core this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def ingest(store: Store, paths: Sequence[Path], *, base_iri: str, format_name: str | None = None,
           skip_invalid: bool = False, progress: Progress | None = None,
           validator: str = "sparql", jobs: int | None = None,
           batch_size: int = BATCH_SIZE) -> IngestReport:
    """Ingest ``paths`` into ``store``: every file's graph replaced, all or nothing.

    ``validator`` is ``sparql`` (shapes compiled to SPARQL, run in pyoxigraph; the default) or
    ``pyshacl`` (the reference engine; same verdicts, far slower). ``jobs`` worker processes
    (default: one per core, or none for inputs under 4 MB, done in this process) read, map and
    validate. A program that calls this must guard its entry point (``if __name__ ==
    "__main__"``), as Python's process pools require.
    """
    with _spool() as spool:
        prepared = _prepare(paths, format_name=format_name, base_iri=base_iri,
                            skip_invalid=skip_invalid, store=store, progress=progress,
                            validator=validator, spool=spool, jobs=jobs,
                            batch_size=batch_size)
        renamed = spool / "renamed.nq"
        with renamed.open("wb") as handle:
            for graph in prepared.renamed_graphs:
                if progress:
                    progress(f"renaming matched resources in {graph.value}")
                serialize(prepared.resolution.apply(store.quads(graph)), handle,
                          RdfFormat.N_QUADS)
        provenance = spool / "provenance.nq"
        provenance.write_text("".join(line for source in prepared.sources
                                      for line in source.provenance), "utf-8")
        sources = prepared.sources
        outputs = [result.output for source in sources for result in source.results]
        if progress:
            progress(f"writing {len(outputs)} batch(es)")
        graphs = [*prepared.renamed_graphs, *(source.graph for source in sources)]
        with store.replacing(graphs) as replacement:
            for path in [*outputs, renamed, provenance]:
                replacement.add_file(path)
        with renamed.open("rb") as handle:
            renamed_quads = sum(1 for _ in handle)
    return IngestReport(files=len(sources), papers=_papers(sources),
                        quads=_quads(sources) + renamed_quads, skipped=tuple(prepared.problems))


def _papers(sources: list[_Source]) -> int:
    return sum(result.papers for source in sources for result in source.results)


def _quads(sources: list[_Source]) -> int:
    return sum(source.shared_lines + sum(result.owned_lines for result in source.results)
               for source in sources)


def validate_files(paths: Sequence[Path], *, base_iri: str, format_name: str | None = None,
                   progress: Progress | None = None, validator: str = "sparql",
                   jobs: int | None = None) -> IngestReport:
    """Map and validate ``paths`` without writing; raise SourceErrors / ValidationFailed."""
    with _spool() as spool:
        prepared = _prepare(paths, format_name=format_name, base_iri=base_iri,
                            skip_invalid=False, store=None, progress=progress,
                            validator=validator, spool=spool, jobs=jobs,
                            batch_size=BATCH_SIZE)
    return IngestReport(files=len(prepared.sources), papers=_papers(prepared.sources),
                        quads=_quads(prepared.sources))
