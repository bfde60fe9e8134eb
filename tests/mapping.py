"""Test helpers: records mapped to quads the way one ingest maps a file, without validating."""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import Quad

from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper
from kg.records import Paper
from kg.sources import detect_format, reader


def file_quads(path: Path, minter: IriMinter, format_name: str | None = None) -> list[Quad]:
    """Every record of ``path`` mapped into the file's graph (records that fail to read are left
    out; ``test_*`` of the importers check those)."""
    out = GraphWriter(minter.graph(path.name))
    for item in reader(format_name or detect_format(path))(path, str(path)):
        if isinstance(item, Paper):
            map_paper(out, minter, item)
    return out.quads()
