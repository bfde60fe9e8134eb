"""Ingest speed, stage by stage, beside pyoxigraph's raw bulk loader on the same triples.

For each size, a made-up author page (``bench/generate.py``) is parsed, mapped, validated and
loaded, each stage timed on its own, then ingested end to end (``kg.ingest.ingest`` into a fresh
on-disk store: the same stages plus identity matching and provenance). The baseline is
``pyoxigraph.Store.bulk_load`` of the same quads from an N-Quads file into a fresh on-disk store.

    python bench/ingest.py                      # 200 and 1000 papers, about a minute
    python bench/ingest.py --papers 10000       # bigger
    python bench/ingest.py --papers 50 200 --pyshacl-up-to 200   # with the pyshacl reference
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pyoxigraph
from pyoxigraph import NamedNode, Quad, RdfFormat

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from generate import author_page

from kg import validate, validate_sparql
from kg.config import DEFAULT_BASE_IRI
from kg.errors import SourceError
from kg.ingest import describe_file, ingest
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper, map_provenance
from kg.records import Paper
from kg.sources import author_page as importer
from kg.store import EmbeddedStore
from kg.version import VERSION

T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    stage: str
    seconds: float


def timed(stage: str, action: Callable[[], T]) -> tuple[T, float]:
    print(f"  {stage} ...", end="", file=sys.stderr, flush=True)
    gc.collect()
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f" {seconds:.2f} s", file=sys.stderr, flush=True)
    return result, seconds


def parse(path: Path) -> list[Paper]:
    papers = []
    for item in importer.read(path, str(path)):
        if isinstance(item, SourceError):
            raise item
        papers.append(item)
    return papers


def map_all(papers: list[Paper], path: Path) -> tuple[NamedNode, list[Quad]]:
    minter = IriMinter(DEFAULT_BASE_IRI)
    graph = NamedNode(minter.graph(path.name))
    out = GraphWriter(graph)
    for paper in papers:
        map_paper(out, minter, paper)
    now = datetime.now(UTC)
    map_provenance(out, minter, describe_file(path, importer.FORMAT), VERSION, now, now)
    return graph, out.quads()


def load(folder: Path, graph: NamedNode, quads: list[Quad]) -> None:
    store = EmbeddedStore(folder)
    try:
        store.replace_graphs([graph], quads)
    finally:
        store.close()


def end_to_end(folder: Path, path: Path) -> int:
    store = EmbeddedStore(folder)
    try:
        return ingest(store, [path], base_iri=DEFAULT_BASE_IRI).quads
    finally:
        store.close()


def bulk_load(folder: Path, nquads: Path) -> None:
    store = pyoxigraph.Store(str(folder))
    store.bulk_load(path=str(nquads), format=RdfFormat.N_QUADS)
    store.flush()
    del store


def measure(papers: int, seed: int, work: Path, pyshacl_up_to: int) -> None:
    page = work / f"page-{papers}.txt"
    page.write_text(author_page(papers, seed), "utf-8")
    rows = []
    print(f"{papers} papers:", file=sys.stderr, flush=True)
    records, seconds = timed("parse", lambda: parse(page))
    rows.append(Row("parse", seconds))
    (graph, quads), seconds = timed("map", lambda: map_all(records, page))
    rows.append(Row("map", seconds))
    report, seconds = timed("validate", lambda: validate_sparql.validate_quads(quads))
    assert report.conforms, report.results[:3]
    rows.append(Row("validate (SPARQL, default)", seconds))
    if papers <= pyshacl_up_to:
        report, seconds = timed("validate (pyshacl)", lambda: validate.validate_quads(quads))
        assert report.conforms, report.results[:3]
        rows.append(Row("validate (pyshacl)", seconds))
    _, seconds = timed("load", lambda: load(work / f"load-{papers}", graph, quads))
    rows.append(Row("load (replace_graphs)", seconds))
    written, seconds = timed("ingest", lambda: end_to_end(work / f"ingest-{papers}", page))
    rows.append(Row("ingest end to end", seconds))
    nquads = work / f"quads-{papers}.nq"
    with nquads.open("wb") as handle:
        pyoxigraph.serialize(quads, handle, RdfFormat.N_QUADS)
    _, baseline = timed("bulk_load", lambda: bulk_load(work / f"bulk-{papers}", nquads))
    rows.append(Row("pyoxigraph bulk_load (baseline)", baseline))

    triples = len(set(quads))
    slots = sum(len(paper.authors) for paper in records)
    people = len({author.name for paper in records for author in paper.authors})
    print(f"\n{papers} papers ({slots} author slots, {people} people), {triples} triples "
          f"({written} written end to end), page {page.stat().st_size / 1e6:.1f} MB")
    print(f"{'stage':<32}{'seconds':>9}{'records/s':>12}{'triples/s':>12}{'x baseline':>12}")
    for row in rows:
        print(f"{row.stage:<32}{row.seconds:>9.3f}{papers / row.seconds:>12,.0f}"
              f"{triples / row.seconds:>12,.0f}{row.seconds / baseline:>12.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, nargs="+", default=[200, 1000],
                        help="sizes to measure (default: 200 1000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pyshacl-up-to", type=int, default=0, metavar="N",
                        help="also time the pyshacl reference validator for sizes up to N "
                             "(default 0: never; it takes minutes at 200 papers)")
    parser.add_argument("--work", type=Path, help="keep the files here (default: a temp folder)")
    args = parser.parse_args()
    print(f"kg {VERSION}, pyoxigraph {pyoxigraph.__version__}, Python {sys.version.split()[0]}",
          flush=True)
    if args.work:
        args.work.mkdir(parents=True, exist_ok=True)
        for papers in args.papers:
            measure(papers, args.seed, args.work, args.pyshacl_up_to)
        return 0
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as work:
        for papers in args.papers:
            measure(papers, args.seed, Path(work), args.pyshacl_up_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
