"""Ingest speed into a remote store (`oxigraph serve`) against the embedded store.

Made-up author pages (``bench/generate.py``; ``--files`` pages sharing ``--papers`` papers, one
named graph each) are ingested end to end (``kg.ingest.ingest``: read, map, match, validate,
write) into a fresh embedded store and into a fresh ``oxigraph serve`` on 127.0.0.1, then ingested
again (every graph replaced: staging graphs and MOVE instead of loading in place). The write
alone (``replace_graphs`` of the same quads into fresh stores) is timed too. Each figure is the
best of ``--repeat`` runs. The goal (issue 7): the remote ingest at no less than half the
speed of the embedded one.

    python bench/remote_ingest.py                         # 1000 and 5000 papers
    python bench/remote_ingest.py --papers 100000 --files 20 --repeat 1
    python bench/remote_ingest.py --virtuoso              # Virtuoso 7 as well (if installed)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pyoxigraph

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from generate import author_page

from kg.config import DEFAULT_BASE_IRI
from kg.ingest import ingest
from kg.store import EmbeddedStore, Store, open_store
from kg.version import VERSION
from tests import servers


def write_pages(folder: Path, papers: int, files: int) -> list[Path]:
    paths = []
    for index in range(files):
        path = folder / f"page-{papers}-{index + 1}.txt"
        share = papers // files + (1 if index < papers % files else 0)
        path.write_text(author_page(share, seed=index + 1), "utf-8")
        paths.append(path)
    return paths


def timed(action: Callable[[], object], label: str) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s", file=sys.stderr, flush=True)
    return seconds


def run_ingest(open_fresh: Callable[[], Store], paths: list[Path]) -> tuple[float, float, int]:
    """Seconds of a first ingest, of a second one (replacing every graph), and the quads."""
    store = open_fresh()
    try:
        first = timed(lambda: ingest(store, paths, base_iri=DEFAULT_BASE_IRI), "ingest")
        again = timed(lambda: ingest(store, paths, base_iri=DEFAULT_BASE_IRI), "re-ingest")
        return first, again, store.quad_count()
    finally:
        store.close()


def run_write(open_fresh: Callable[[], Store], paths: list[Path]) -> float:
    """Seconds of ``replace_graphs`` alone, of the quads an ingest of ``paths`` writes."""
    with tempfile.TemporaryDirectory() as folder:  # what an ingest writes, from a store
        source = EmbeddedStore(Path(folder) / "store")
        ingest(source, paths, base_iri=DEFAULT_BASE_IRI)
        quads = list(source.quads())
        graphs = source.named_graphs()
        source.close()
    store = open_fresh()
    try:
        return timed(lambda: store.replace_graphs(graphs, quads), "write")
    finally:
        store.close()


@contextmanager
def fresh_stores(kind: str, work: Path) -> Iterator[Callable[[], Store]]:
    """A function giving a fresh, empty store of ``kind`` at each call."""
    with ExitStack() as stack:
        count = 0

        def embedded() -> Store:
            nonlocal count
            count += 1
            return EmbeddedStore(work / f"embedded-{count}")

        def server() -> Store:
            nonlocal count
            count += 1
            folder = work / f"{kind}-{count}"
            folder.mkdir()
            start = servers.oxigraph_server if kind == "oxigraph" else servers.virtuoso_server
            running = stack.enter_context(start(folder))
            return open_store(running.url, kind=kind)

        yield embedded if kind == "embedded" else server


def measure(papers: int, files: int, kinds: list[str], repeat: int, work: Path) -> None:
    paths = write_pages(work, papers, files)
    size = sum(path.stat().st_size for path in paths) / 1e6
    print(f"\n{papers} papers in {files} file(s) ({size:.1f} MB)", flush=True)
    results: dict[str, tuple[float, float, float, int]] = {}
    for kind in kinds:
        best = (float("inf"), float("inf"), float("inf"), 0)
        for _ in range(repeat):
            print(f" {kind}", file=sys.stderr, flush=True)
            with fresh_stores(kind, work) as open_fresh:
                first, again, quads = run_ingest(open_fresh, paths)
                write = run_write(open_fresh, paths)
            best = (min(best[0], first), min(best[1], again), min(best[2], write), quads)
        results[kind] = best
    base = results["embedded"]
    quads = base[3]
    print(f"{quads} quads; speed ratio = embedded seconds / this store's seconds")
    print(f"{'store':<10}{'ingest s':>10}{'papers/s':>10}{'triples/s':>11}{'ratio':>7}"
          f"{'re-ingest s':>13}{'ratio':>7}{'write s':>9}{'triples/s':>11}{'ratio':>7}")
    for kind, (first, again, write, count) in results.items():
        assert count == quads, f"{kind} holds {count} quads, the embedded store {quads}"
        print(f"{kind:<10}{first:>10.2f}{papers / first:>10,.0f}{quads / first:>11,.0f}"
              f"{base[0] / first:>7.2f}{again:>13.2f}{base[1] / again:>7.2f}"
              f"{write:>9.2f}{quads / write:>11,.0f}{base[2] / write:>7.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--files", type=int, default=4, help="pages (graphs) per size")
    parser.add_argument("--repeat", type=int, default=2, help="runs per store; best counts")
    parser.add_argument("--virtuoso", action="store_true", help="measure Virtuoso 7 too")
    args = parser.parse_args()
    kinds = ["embedded", "oxigraph", *(["virtuoso"] if args.virtuoso else [])]
    print(f"kg {VERSION}, pyoxigraph {pyoxigraph.__version__}, Python {sys.version.split()[0]}",
          flush=True)
    with tempfile.TemporaryDirectory(prefix="kg-bench-remote-") as work:
        for papers in args.papers:
            measure(papers, args.files, kinds, args.repeat, Path(work))
    return 0


if __name__ == "__main__":
    sys.exit(main())
