"""Ingest of the real ACL Anthology XML volumes together (issue 3), in records per second.

    python bench/acl_xml.py [--data ../shared/data/acl-xml] [--repeat 3]

Prints records/s and triples/s of `kg.ingest.ingest` (read, map, match, validate, write) into a
fresh on-disk store, the best of --repeat runs, beside the raw `pyoxigraph.Store.bulk_load` of the
same quads.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from pyoxigraph import RdfFormat, Store

from kg.config import DEFAULT_BASE_IRI
from kg.ingest import ingest
from kg.store import EmbeddedStore

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared/data/acl-xml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.data.glob("*.xml"))
    if not files:
        raise SystemExit(f"no .xml files in {args.data}")
    best, records, quads = float("inf"), 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.repeat):
            store = EmbeddedStore(Path(tmp) / f"store-{run}")
            start = time.perf_counter()
            report = ingest(store, files, base_iri=DEFAULT_BASE_IRI)
            best = min(best, time.perf_counter() - start)
            records, quads = report.papers, store.quad_count()
            dump = Path(tmp) / "all.nq"
            with dump.open("wb") as handle:
                store.dump_raw(handle, with_graphs=True)
            store.close()
        raw = Store(str(Path(tmp) / "raw"))
        start = time.perf_counter()
        raw.bulk_load(path=str(dump), format=RdfFormat.N_QUADS)
        raw.flush()
        bulk = time.perf_counter() - start
    print(f"{len(files)} files, {records} records, {quads} quads")
    print(f"kg ingest:   {best:7.2f} s  {records / best:9.0f} records/s  "
          f"{quads / best:9.0f} triples/s")
    print(f"bulk_load:   {bulk:7.2f} s  {'':>9}            {quads / bulk:9.0f} triples/s")
    print(f"ratio (ingest / bulk_load throughput): {bulk / best:.3f}")


if __name__ == "__main__":
    main()
