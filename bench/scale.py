"""Issue 7's goals at ACL Anthology size: ingest, SHACL, dump and remote ingest against baselines.

    python bench/scale.py                          # 100,000 papers (about 10 minutes)
    python bench/scale.py --papers 10000 --pyshacl 1000 10000
    python bench/scale.py --remote                 # also ingest into `oxigraph serve`

For N generated ACL-XML papers (``generate_acl_xml.py``) it prints, each against its baseline:

- ``kg ingest`` end to end (a subprocess, as a user runs it): records/s, triples/s, peak memory
  of the whole process tree (workers included, sampled from /proc), and the ratio to
  ``pyoxigraph.Store.bulk_load`` of the same quads from N-Quads into a fresh on-disk store;
- SHACL: the compiled SPARQL checks over the whole graph against pyshacl's whole-graph run, at
  the sizes given to ``--pyshacl`` (each capped by ``--pyshacl-timeout``; a run that does not
  finish says so, and the ratio is taken at the largest size that did);
- ``kg dump`` (sorted, deterministic N-Quads) against ``Store.dump`` (unsorted);
- with ``--remote``: ``kg ingest --store http://...`` into ``oxigraph serve`` against the
  embedded ingest.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph
from pyoxigraph import RdfFormat

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from generate_acl_xml import write as write_xml
from load_test import tree_rss

KG = [sys.executable, "-m", "kg"]


def run_measured(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak tree memory and output of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output}")
    return seconds, peak, output


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def row(name: str, seconds: float, records: int, triples: int, baseline: float | None = None,
        memory: int | None = None) -> None:
    ratio = f"{baseline / seconds:6.2f}x of baseline" if baseline else " " * 20
    mem = f"  peak {memory / 2**30:.2f} GiB" if memory is not None else ""
    print(f"  {name:<34} {seconds:8.1f} s  {records / seconds:9,.0f} rec/s  "
          f"{triples / seconds:10,.0f} triples/s  {ratio}{mem}", flush=True)


def _pyshacl_worker(data: Path, result: multiprocessing.Queue[float]) -> None:
    from kg import validate

    start = time.perf_counter()
    validate.validate_triples(data.read_bytes())
    result.put(time.perf_counter() - start)


def pyshacl_seconds(data: Path, timeout: float) -> float | None:
    """pyshacl over the whole graph in ``data`` (N-Triples), or None if it took too long."""
    queue: multiprocessing.Queue[float] = multiprocessing.Queue()
    process = multiprocessing.Process(target=_pyshacl_worker, args=(data, queue))
    process.start()
    process.join(timeout)
    if process.is_alive():
        process.kill()
        process.join()
        return None
    return queue.get()


def compiled_seconds(data: Path) -> float:
    from kg import validate_sparql

    return timed(lambda: validate_sparql.validate_triples(data.read_bytes()))


@contextmanager
def oxigraph_server(folder: Path) -> Iterator[str]:
    from tests.servers import oxigraph_server as start

    with start(folder) as running:
        yield running.url


def measure_shacl(work: Path, sizes: list[int], timeout: float,
                  stored: dict[int, Path]) -> None:
    print("\nSHACL, whole graph (compiled SPARQL checks vs pyshacl):", flush=True)
    largest: tuple[int, float, float] | None = None
    for papers in sizes:
        data = work / f"shacl-{papers}.nt"
        store_dir = stored.get(papers, work / f"shacl-{papers}")
        if papers not in stored:
            xml = work / f"shacl-xml-{papers}"
            write_xml(papers, xml, 11)
            subprocess.run([*KG, "ingest", "--store", str(store_dir), str(xml)], check=True,
                           capture_output=True)
        _union_triples(store_dir, data)
        fast = compiled_seconds(data)
        slow = pyshacl_seconds(data, timeout)
        shown = f"{slow:8.1f} s" if slow is not None else f"did not finish in {timeout:.0f} s"
        ratio = f"{slow / fast:6.1f}x faster" if slow is not None else ""
        print(f"  {papers:>7,} papers: compiled {fast:7.1f} s   pyshacl {shown}   {ratio}",
              flush=True)
        if slow is not None:
            largest = (papers, fast, slow)
    if largest:
        papers, fast, slow = largest
        print(f"  at the largest size pyshacl finished ({papers:,} papers): "
              f"{slow / fast:.1f}x faster (goal: 10x)")


def _union_triples(store_dir: Path, output: Path) -> None:
    """Every graph's triples into one N-Triples file (the whole graph a validator sees)."""
    store = pyoxigraph.Store.read_only(str(store_dir))
    with output.open("wb") as handle:
        for graph in store.named_graphs():
            store.dump(handle, RdfFormat.N_TRIPLES, from_graph=graph)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--pyshacl", type=int, nargs="*", default=[1000, 10000, 100000],
                        metavar="N", help="sizes for the SHACL comparison (none: skip it)")
    parser.add_argument("--pyshacl-timeout", type=float, default=1800)
    parser.add_argument("--remote", action="store_true", help="also ingest into oxigraph serve")
    parser.add_argument("--jobs", type=int, help="kg ingest --jobs")
    parser.add_argument("--work", type=Path, help="keep files here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kg-scale-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        xml = work / "xml"
        files = write_xml(args.papers, xml, 7)
        size = sum(path.stat().st_size for path in files) / 1e6
        print(f"{args.papers:,} generated papers in {len(files)} ACL-XML files ({size:.0f} MB)"
              f"; {os.cpu_count()} cores", flush=True)
        store = work / "store"
        jobs = ["--jobs", str(args.jobs)] if args.jobs else []
        seconds, peak, _ = run_measured([*KG, "ingest", "--store", str(store), *jobs,
                                         str(xml)])
        quads = len(pyoxigraph.Store.read_only(str(store)))
        raw = work / "raw.nq"
        dump_seconds = timed(lambda: pyoxigraph.Store.read_only(str(store)).dump(
            str(raw), RdfFormat.N_QUADS))
        baseline_store = work / "baseline"
        baseline = timed(lambda: _bulk_load(baseline_store, raw))
        print(f"\ningest ({quads:,} quads):", flush=True)
        row("bulk_load of the same N-Quads", baseline, args.papers, quads)
        row("kg ingest, end to end", seconds, args.papers, quads, baseline, peak)
        print(f"  goal: >= 0.50x of bulk_load, peak < 2 GiB -> "
              f"{baseline / seconds:.2f}x, {peak / 2**30:.2f} GiB", flush=True)

        print("\ndump:", flush=True)
        sorted_dump = work / "dump.nq"
        kg_dump = timed(lambda: subprocess.run([*KG, "dump", "--store", str(store), "-o",
                                                str(sorted_dump)], check=True,
                                               capture_output=True))
        row("Store.dump (unsorted)", dump_seconds, args.papers, quads)
        row("kg dump (sorted, deterministic)", kg_dump, args.papers, quads, dump_seconds)

        if args.remote:
            print("\nremote store (oxigraph serve):", flush=True)
            folder = work / "server"
            folder.mkdir()
            with oxigraph_server(folder) as url:
                remote, remote_peak, _ = run_measured([*KG, "ingest", "--store", url, *jobs,
                                                       str(xml)])
            row("kg ingest into the embedded store", seconds, args.papers, quads)
            row("kg ingest into oxigraph serve", remote, args.papers, quads, seconds,
                remote_peak)
        if args.pyshacl:
            measure_shacl(work, args.pyshacl, args.pyshacl_timeout, {args.papers: store})


def _bulk_load(location: Path, data: Path) -> None:
    store = pyoxigraph.Store(str(location))
    store.bulk_load(path=str(data), format=RdfFormat.N_QUADS)
    store.flush()


if __name__ == "__main__":
    main()
