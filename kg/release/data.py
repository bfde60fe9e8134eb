"""The data files of a release, streamed from the store with bounded memory.

Both go through ``kg.dump``'s external merge sort (canonical lines sorted by code point, each
statement once), so they are the bytes ``kg dump`` gives: ``data.nq.gz`` the sorted N-Quads
lines, ``data.ttl.gz`` the sorted N-Triples lines (graphs merged) written as Turtle by
pyoxigraph. The N-Triples lines are also counted for the description on their way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from pyoxigraph import RdfFormat, parse, serialize

from kg.dump import sorted_statements
from kg.release.describe import DataStats, FileFacts
from kg.release.gzipped import GzipOutput
from kg.store import Store
from kg.vocab import prefixes


@dataclass(frozen=True)
class Written:
    """A data file written: its facts and the number of statements in it."""

    facts: FileFacts
    statements: int


def write_nquads(store: Store, target: Path, scratch: Path) -> Written:
    """Every quad of ``store``, sorted, as gzip N-Quads at ``target``."""
    output = GzipOutput(target, target.name)
    count = 0
    with TemporaryDirectory(dir=scratch) as tmp:
        merged = sorted_statements(store, Path(tmp), with_graphs=True)
        with merged.open("rb") as lines, output.open() as handle:
            for line in lines:
                handle.write(line)
                count += 1
    assert output.facts is not None
    return Written(output.facts, count)


def write_turtle(store: Store, target: Path, scratch: Path, stats: DataStats) -> Written:
    """Every triple of ``store`` (graphs merged), sorted, as gzip Turtle at ``target``;
    ``stats`` is fed every N-Triples line."""
    output = GzipOutput(target, target.name)
    count = 0
    with TemporaryDirectory(dir=scratch) as tmp:
        merged = sorted_statements(store, Path(tmp), with_graphs=False)
        with merged.open("rb") as lines:
            for line in lines:
                stats.add(line)
                count += 1
        stats.close()
        with output.open() as handle:
            serialize(parse(path=str(merged), format=RdfFormat.N_TRIPLES), handle,
                      format=RdfFormat.TURTLE, prefixes=prefixes())
    assert output.facts is not None
    return Written(output.facts, count)
