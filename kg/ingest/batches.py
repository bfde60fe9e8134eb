"""The second pass of an ingest: one batch of records mapped, validated and spooled.

Run in worker processes, one batch at a time. A batch's records are mapped (with the IRIs and
names identity matching chose) to N-Quads text and validated together. A SHACL result about a
node a record owns -- the paper, and the nodes named after it (``{paper}/author/1``) -- is that
record's fault: it is reported with the record's file and line. Everything else (people,
volumes, venues, events) is written by many records, possibly in other batches; the batch hands
those lines to the parent, which validates them once for the whole source
(``kg.ingest.shared``). Together the two checks reach the verdicts of one whole-graph run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kg import validate, validate_sparql
from kg.errors import KGError, SourceError, Violation
from kg.identity import ResolvedMinter
from kg.ingest.reading import load_batch
from kg.mapper import GraphWriter, map_paper, value_of
from kg.records import Paper
from kg.validate import ValidationReport

VALIDATORS: dict[str, Callable[[bytes], ValidationReport]] = {
    "sparql": validate_sparql.validate_triples, "pyshacl": validate.validate_triples}


@dataclass(frozen=True)
class BatchTask:
    """Records of one source to map: ``parts`` name spooled record batches and which of their
    records (None: all) belong here."""

    index: int
    graph: str
    parts: tuple[tuple[Path, tuple[int, ...] | None], ...]
    base_iri: str
    renames: Mapping[str, str]
    names: Mapping[str, str]
    output: Path
    validator: str = "sparql"
    skip_invalid: bool = False
    excluded: frozenset[str] = frozenset()
    """Shared nodes found invalid for the whole source: records naming them are left out."""


@dataclass
class BatchResult:
    index: int
    output: Path
    papers: int = 0
    owned_lines: int = 0
    """Distinct lines about nodes the batch's records own (no other batch writes them)."""
    problems: list[KGError | Violation] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)
    """Distinct lines about shared nodes, as N-Triples (no graph)."""
    mentions: dict[str, tuple[str, int, str]] = field(default_factory=dict)
    """Each shared subject: the first record naming it (source, line, label), for messages."""


@dataclass
class _Mapped:
    paper: Paper
    iri: str
    lines: list[str]


def _records(task: BatchTask) -> list[Paper]:
    records: list[Paper] = []
    for path, indices in task.parts:
        batch = load_batch(path)
        records.extend(batch if indices is None else [batch[i] for i in indices])
    return records


def _owner(focus: str, by_iri: dict[str, _Mapped]) -> _Mapped | None:
    """The record that owns ``focus``: its paper, or a node named after it (slots, cells)."""
    return by_iri.get(focus) or by_iri.get(focus.rsplit("/", 2)[0])


def _located(violation: Violation, record: _Mapped) -> Violation:
    paper = record.paper
    return Violation(**{**violation.__dict__, "source": paper.location.source,
                        "line": paper.location.line, "record": paper.label})


def _validate(task: BatchTask, records: list[_Mapped], suffix: str,
              result: BatchResult) -> list[_Mapped]:
    """Validate the records together; with ``skip_invalid`` drop those at fault and validate
    what is left again, so that what is kept conforms as a set. Returns what is kept."""
    while records:
        lines = dict.fromkeys(line for record in records for line in record.lines)
        triples = "".join(lines).replace(suffix, " .\n").encode("utf-8")
        report = VALIDATORS[task.validator](triples)
        by_iri = {record.iri: record for record in records}
        bad: dict[int, _Mapped] = {}
        for violation in report.results:
            owner = _owner(violation.focus_node, by_iri)
            if owner is None:
                continue  # a shared node: the whole-source check decides
            result.problems.append(_located(violation, owner))
            bad[id(owner)] = owner
        if not bad or not task.skip_invalid:
            break
        records = [record for record in records if id(record) not in bad]
    return records


def run_batch(task: BatchTask) -> BatchResult:
    """Map, validate and spool one batch (run in a worker process)."""
    result = BatchResult(task.index, task.output)
    minter = ResolvedMinter(task.base_iri, task.renames)
    excluded = tuple(f"<{node}>" for node in sorted(task.excluded))
    mapped: list[_Mapped] = []
    memo: dict[object, tuple[str, list[str]]] = {}
    for paper in _records(task):
        out = GraphWriter(task.graph, task.names, memo)
        try:
            node = map_paper(out, minter, paper)
        except ValueError as error:
            result.problems.append(SourceError(str(error), source=paper.location.source,
                                               line=paper.location.line, record=paper.label))
            continue
        if excluded and any(term in line for line in out.lines for term in excluded):
            continue  # reported by the whole-source check
        mapped.append(_Mapped(paper, value_of(node), out.lines))
    # Without skip_invalid any problem stops the ingest; going on still finds every other
    # problem (the shared nodes' among them) for one complete report.
    suffix = GraphWriter(task.graph).suffix
    kept = _validate(task, mapped, suffix, result)
    owned: dict[str, None] = {}
    shared: dict[str, None] = {}
    for record in kept:
        own = f"<{record.iri}>"
        derived = f"<{record.iri}/"
        for line in record.lines:
            subject = line[:line.index(" ")]
            if subject == own or subject.startswith(derived):
                owned[line] = None
            elif line not in shared:
                shared[line] = None
                if subject[1:-1] not in result.mentions:
                    paper = record.paper
                    result.mentions[subject[1:-1]] = (paper.location.source,
                                                      paper.location.line, paper.label)
    with task.output.open("w", encoding="utf-8") as handle:
        handle.writelines(owned)
        handle.writelines(shared)
    result.papers = len(kept)
    result.owned_lines = len(owned)
    result.shared = [line.replace(suffix, " .\n") for line in shared]
    return result
