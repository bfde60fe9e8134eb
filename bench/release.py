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
import gzip
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

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
from kg.release import build_release, verify_release
from kg.sources import author_page as importer
from kg.store import EmbeddedStore
from kg.version import VERSION


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f} quads/s" if seconds > 0 else "           - quads/s"


def line(label: str, seconds: float, count: int, baseline: float | None = None) -> None:
    ratio = f"   {baseline / seconds:5.2f} x Store.dump" if baseline else ""
    print(f"  {label:<44} {seconds:8.2f} s {rate(count, seconds)}{ratio}")


def load_page(store: EmbeddedStore, path: Path) -> None:
    """One author page into its own named graph, mapped as ``kg ingest`` maps it."""
    minter = IriMinter(DEFAULT_BASE_IRI)
    out = GraphWriter(NamedNode(minter.graph(path.name)), [])
    for item in importer.read(path, str(path)):
        if isinstance(item, SourceError):
            raise item
        map_paper(out, minter, item)
    now = datetime.now(UTC)
    map_provenance(out, minter, describe_file(path, importer.FORMAT), VERSION, now, now)
    store.replace_graphs([out.graph], out.quads)


def raw_dump(location: Path, output: Path, *, zipped: bool) -> float:
    store = pyoxigraph.Store.read_only(str(location))
    start = time.perf_counter()
    if zipped:
        with output.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            store.dump(out, RdfFormat.N_QUADS)
    else:
        with output.open("wb") as out:
            store.dump(out, RdfFormat.N_QUADS)
    seconds = time.perf_counter() - start
    del store
    return seconds


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
    print("baseline (pyoxigraph, unsorted):")
    line("Store.dump N-Quads to a file", plain, quads)
    line("Store.dump N-Quads into gzip -9", zipped, quads)

    store = EmbeddedStore(location, read_only=True)
    releases = work / "releases"
    try:
        first = build_release(store, releases, base_iri=DEFAULT_BASE_IRI)
        second = build_release(store, releases, base_iri=DEFAULT_BASE_IRI)
    finally:
        store.close()
    steps = first.timings
    data = steps["nquads"] + steps["turtle"]
    total = sum(steps.values())
    print(f"kg release ({first.triples:,} triples):")
    line("SHACL, one graph at a time (sparql engine)", steps["validation"], quads)
    line("data.nq.gz (dump, external sort, gzip -9)", steps["nquads"], quads, zipped)
    line("data.ttl.gz (+ counts for void.ttl)", steps["turtle"], quads, zipped)
    line("both data files", data, quads, plain)
    line("description, shapes, README, SHA256SUMS", steps["description"], quads)
    line("whole release", total, quads, plain)
    changes = second.timings.get("changes", 0.0)
    line("second release: changeset (merge of two dumps)", changes, 2 * quads)
    line("second release: whole", sum(second.timings.values()), quads, plain)
    if verify:
        start = time.perf_counter()
        verify_release(second.path)
        line("kg verify (sums, parse into a store, SHACL)", time.perf_counter() - start, quads)
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
