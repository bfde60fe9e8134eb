"""Release throughput beside pyoxigraph's raw ``Store.dump`` of the same on-disk store.

Made-up author pages (``bench/generate.py``, one page per source file, so one named graph each)
are read and mapped as ``kg ingest`` maps them (with provenance; cross-file matching and SHACL
are left out, they are ingest's cost, not the release's) into a fresh on-disk store; then:

- the baseline: ``pyoxigraph.Store.dump`` of every quad as N-Quads to a file (unsorted, not
  compressed), and the same into gzip (level 9, as releases are written);
- ``kg release`` (``kg.release.build_release``) step by step: SHACL per graph, the sorted
  ``data.nq.gz``, the sorted ``data.ttl.gz`` with the description's counts, the description;
- a second release of the same store, which adds the changeset against the first;
- ``kg verify`` of the second (checksums, parsing every file into a scratch store, SHACL).

    python bench/release.py                        # 2,000 papers in 10 files
    python bench/release.py --papers 20000 --files 40
"""

from __future__ import annotations

import argparse
import gc
import gzip
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pyoxigraph
from pyoxigraph import NamedNode, RdfFormat

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from generate import author_page

from kg.config import DEFAULT_BASE_IRI
from kg.errors import SourceError
from kg.ingest import describe_file
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper, map_provenance
from kg.release import build_release, diff, verify_release
from kg.release.data import write_nquads, write_turtle
from kg.release.describe import DataStats
from kg.release.validation import validate_by_graph
from kg.sources import author_page as importer
from kg.store import EmbeddedStore
from kg.version import VERSION

T = TypeVar("T")


def progress(message: str) -> None:
    print(f"    ({message})", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Took:
    """Wall-clock and CPU seconds of one step (CPU time is what a busy machine distorts least)."""

    wall: float
    cpu: float


def timed(action: Callable[[], T]) -> tuple[T, Took]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, Took(time.perf_counter() - wall, time.process_time() - cpu)


def line(label: str, took: Took, count: int, baseline: Took | None = None) -> None:
    speed = f"{count / took.cpu:>11,.0f} quads/s" if took.cpu > 0 else " " * 19
    ratio = f"  {baseline.cpu / took.cpu:5.2f} x" if baseline and took.cpu > 0 else ""
    print(f"  {label:<46} {took.wall:7.2f} s {took.cpu:7.2f} s {speed}{ratio}")


def load_page(store: EmbeddedStore, path: Path) -> None:
    """One author page into its own named graph, mapped as ``kg ingest`` maps it."""
    minter = IriMinter(DEFAULT_BASE_IRI)
    out = GraphWriter(minter.graph(path.name))
    for item in importer.read(path, str(path)):
        if isinstance(item, SourceError):
            raise item
        map_paper(out, minter, item)
    now = datetime.now(UTC)
    map_provenance(out, minter, describe_file(path, importer.FORMAT), VERSION, now, now)
    store.replace_graphs([NamedNode(out.graph)], out.quads())


def raw_dump(location: Path, output: Path, *, zipped: bool) -> Took:
    """pyoxigraph's own dump of every quad (unsorted) to ``output``."""
    store = pyoxigraph.Store.read_only(str(location))

    def run() -> None:
        if zipped:
            with output.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
                store.dump(out, RdfFormat.N_QUADS)
        else:
            store.dump(str(output), RdfFormat.N_QUADS)

    _, took = timed(run)
    return took


def measure(papers: int, files: int, work: Path, verify: bool) -> None:
    pages = work / "pages"
    pages.mkdir()
    paths = []
    for index in range(files):
        path = pages / f"page-{index:03d}.txt"
        path.write_text(author_page(papers // files, seed=index + 1), "utf-8")
        paths.append(path)
    location = work / "store"
    store = EmbeddedStore(location)
    start = time.perf_counter()
    for path in paths:
        load_page(store, path)
    ingest_seconds = time.perf_counter() - start
    quads, graphs = store.quad_count(), len(store.named_graphs())
    store.close()
    print(f"{papers:,} papers in {files} files: {quads:,} quads in {graphs} named graphs "
          f"(read, mapped and stored in {ingest_seconds:.1f} s)")

    plain = raw_dump(location, work / "raw.nq", zipped=False)
    zipped = raw_dump(location, work / "raw.nq.gz", zipped=True)
    print(f"{'':<48}{'wall':>9} {'CPU':>9} {'(by CPU time)':>19}  x Store.dump")
    print("baseline, pyoxigraph (unsorted):")
    line("Store.dump N-Quads to a file", plain, quads)
    line("Store.dump N-Quads into gzip -9", zipped, quads)

    store = EmbeddedStore(location, read_only=True)
    scratch = work / "scratch"
    scratch.mkdir()
    releases = work / "releases"
    try:
        _, shacl = timed(lambda: validate_by_graph(store))
        _, nquads = timed(lambda: write_nquads(store, work / "data.nq.gz", scratch))
        _, turtle = timed(lambda: write_turtle(store, work / "data.ttl.gz", scratch, DataStats()))
        first, whole = timed(lambda: build_release(store, releases, base_iri=DEFAULT_BASE_IRI,
                                                   progress=progress))
        second, again = timed(lambda: build_release(store, releases, base_iri=DEFAULT_BASE_IRI,
                                                    progress=progress))
    finally:
        store.close()
    both = Took(nquads.wall + turtle.wall, nquads.cpu + turtle.cpu)
    print(f"kg release, its steps ({first.triples:,} triples):")
    line("SHACL, one graph at a time (sparql engine)", shacl, quads)
    line("data.nq.gz (dump, external sort, gzip -9)", nquads, quads, plain)
    line("data.ttl.gz (dump, sort, Turtle, gzip, counts)", turtle, quads, plain)
    line("both data files", both, quads, plain)
    print("kg release, whole:")
    line("first release", whole, quads, plain)
    line("second release (adds the changeset)", again, quads, plain)
    _, changes = timed(lambda: diff(first.path, second.path))
    line("kg diff of the two (merge of two sorted dumps)", changes, quads)
    if verify:
        _, checked = timed(lambda: verify_release(second.path))
        line("kg verify (sums, parse into a store, SHACL)", checked, quads)
    sizes = {path.name: path.stat().st_size for path in second.path.iterdir() if path.is_file()}
    print(f"  data.nq.gz {sizes['data.nq.gz']:,} bytes, data.ttl.gz {sizes['data.ttl.gz']:,} "
          f"bytes; raw N-Quads {(work / 'raw.nq').stat().st_size:,} bytes")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory of this process (building the store included): {peak:,.0f} MiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--files", type=int, default=10, help="source files (named graphs)")
    parser.add_argument("--no-verify", action="store_true", help="skip timing kg verify")
    parser.add_argument("--work", type=Path, help="keep the files here (default: a temp folder)")
    args = parser.parse_args()
    if args.work:
        args.work.mkdir(parents=True, exist_ok=False)
        measure(args.papers, args.files, args.work, not args.no_verify)
    else:
        with tempfile.TemporaryDirectory(prefix="kg-bench-release-") as tmp:
            measure(args.papers, args.files, Path(tmp), not args.no_verify)
    return 0


if __name__ == "__main__":
    sys.exit(main())
