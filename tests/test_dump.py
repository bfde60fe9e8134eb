"""Deterministic dumps (sorted, external sort, gzip) and their restore into named graphs."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Triple

from kg import dump as dumps
from kg.dump import DumpFormat, dump, format_of, load, open_output, sorted_unique
from kg.errors import ConfigError, SourceError
from kg.iris import IriMinter
from kg.store import EmbeddedStore
from tests.conftest import BASE, EXAMPLE, TEST_DATA
from tests.mapping import file_quads

MINTER = IriMinter(BASE)


@pytest.fixture(scope="module")
def example_quads() -> list[Quad]:
    """The mapped quads of the bundled example and a made-up page (two named graphs)."""
    quads: list[Quad] = []
    for path in (EXAMPLE, TEST_DATA / "author-pages" / "well-formed.txt"):
        quads.extend(file_quads(path, MINTER))
    return quads


def graphs_of(quads: list[Quad]) -> list[NamedNode]:
    return sorted({q.graph_name for q in quads if isinstance(q.graph_name, NamedNode)},
                  key=lambda g: g.value)


def filled_store(path: Path, quads: list[Quad], *, reverse: bool = False) -> EmbeddedStore:
    store = EmbeddedStore(path)
    graphs = graphs_of(quads)
    if not reverse:
        store.replace_graphs(graphs, quads)
        return store
    for graph in reversed(graphs):  # one write per graph, each in reverse order
        store.replace_graphs([graph], [q for q in reversed(quads) if q.graph_name == graph])
    return store


def dumped(store: EmbeddedStore, fmt: DumpFormat) -> bytes:
    output = io.BytesIO()
    dump(store, output, fmt)
    return output.getvalue()


@pytest.mark.parametrize("fmt", list(DumpFormat))
def test_same_quads_in_another_order_give_identical_bytes(tmp_path: Path, fmt: DumpFormat,
                                                          example_quads: list[Quad]) -> None:
    one = filled_store(tmp_path / "one", example_quads)
    other = filled_store(tmp_path / "other", example_quads, reverse=True)
    try:
        assert set(one.quads()) == set(other.quads())
        assert dumped(one, fmt) == dumped(other, fmt)
    finally:
        one.close()
        other.close()


def test_nquads_dump_is_sorted_unique_and_complete(store: EmbeddedStore,
                                                   example_quads: list[Quad]) -> None:
    store.replace_graphs(graphs_of(example_quads), example_quads)
    data = dumped(store, DumpFormat.NQUADS)
    lines = data.splitlines(keepends=True)
    assert lines == sorted(set(lines))
    assert len(lines) == len(set(example_quads)) == store.quad_count()
    assert set(pyoxigraph.parse(data, format=RdfFormat.N_QUADS)) == set(example_quads)


def test_turtle_dump_merges_the_graphs(store: EmbeddedStore, example_quads: list[Quad]) -> None:
    store.replace_graphs(graphs_of(example_quads), example_quads)
    data = dumped(store, DumpFormat.TURTLE)
    assert b"@prefix schema: <http://schema.org/> .\n" in data
    triples = {Triple(q.subject, q.predicate, q.object)
               for q in pyoxigraph.parse(data, format=RdfFormat.TURTLE)}
    assert triples == {Triple(q.subject, q.predicate, q.object) for q in example_quads}


@pytest.mark.parametrize("fmt", list(DumpFormat))
def test_the_external_sort_gives_the_same_bytes(store: EmbeddedStore, fmt: DumpFormat,
                                                example_quads: list[Quad],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    store.replace_graphs(graphs_of(example_quads), example_quads)
    in_memory = dumped(store, fmt)
    monkeypatch.setattr(dumps, "CHUNK_LINES", 97)
    assert dumped(store, fmt) == in_memory
    if dumps.system_sort() is not None:  # without the system's sort: the Python merge sort
        monkeypatch.setattr(dumps, "system_sort", lambda: None)
        assert dumped(store, fmt) == in_memory


def test_sorted_unique_spills_runs_and_merges_them(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dumps, "CHUNK_LINES", 4)
    lines = [f"{n % 7}\n".encode() for n in range(30, 0, -1)]  # duplicates across chunks
    assert list(sorted_unique(iter(lines), tmp_path)) == [f"{n}\n".encode() for n in range(7)]
    assert len(list(tmp_path.glob("run-*"))) == 8  # 30 lines in runs of 4


def test_gzip_output_is_deterministic(tmp_path: Path, store: EmbeddedStore,
                                      example_quads: list[Quad]) -> None:
    store.replace_graphs(graphs_of(example_quads), example_quads)
    files = [tmp_path / "first" / "dump.nq.gz", tmp_path / "second" / "dump.nq.gz"]
    for path in files:
        path.parent.mkdir()
        with open_output(path) as handle:
            dump(store, handle, DumpFormat.NQUADS)
    first, second = (path.read_bytes() for path in files)
    assert first == second
    assert first[:2] == b"\x1f\x8b"
    assert first[4:8] == b"\0\0\0\0"  # no timestamp
    assert not first[3] & 0x08         # no file name
    assert gzip.decompress(first) == dumped(store, DumpFormat.NQUADS)
    assert not list(tmp_path.rglob("*.partial"))


def test_load_of_nquads_restores_the_named_graphs(tmp_path: Path, store: EmbeddedStore,
                                                  example_quads: list[Quad]) -> None:
    store.replace_graphs(graphs_of(example_quads), example_quads)
    path = tmp_path / "dump.nq.gz"
    with open_output(path) as handle:
        dump(store, handle, DumpFormat.NQUADS)
    restored = EmbeddedStore(tmp_path / "restored")
    try:
        assert load(restored, path, base_iri=BASE) == len(set(example_quads))
        assert set(restored.quads()) == set(example_quads)
        assert restored.named_graphs() == graphs_of(example_quads)
        assert dumped(restored, DumpFormat.NQUADS) == dumped(store, DumpFormat.NQUADS)
    finally:
        restored.close()


def test_load_replaces_the_graphs_it_holds_and_no_other(tmp_path: Path, store: EmbeddedStore,
                                                        example_quads: list[Quad]) -> None:
    graphs = graphs_of(example_quads)
    kept = [q for q in example_quads if q.graph_name == graphs[1]]
    snapshot = tmp_path / "first-graph.nq"
    snapshot.write_bytes(pyoxigraph.serialize(
        [q for q in example_quads if q.graph_name == graphs[0]], format=RdfFormat.N_QUADS))
    stray = Quad(NamedNode("http://example.org/stray"), NamedNode("http://example.org/p"),
                 NamedNode("http://example.org/o"), graphs[0])
    store.replace_graphs(graphs, [*example_quads, stray])
    load(store, snapshot, base_iri=BASE)
    assert stray not in set(store.quads())
    assert set(store.quads(graphs[1])) == set(kept)
    assert set(store.quads()) == set(example_quads)


@pytest.mark.parametrize("name", ["snapshot.ttl", "snapshot.ttl.gz"])
def test_load_of_turtle_goes_to_the_graph_named_after_the_file(
        tmp_path: Path, store: EmbeddedStore, example_quads: list[Quad], name: str) -> None:
    store.replace_graphs(graphs_of(example_quads), example_quads)
    path = tmp_path / name
    with open_output(path) as handle:
        dump(store, handle, DumpFormat.TURTLE)
    restored = EmbeddedStore(tmp_path / "restored")
    try:
        load(restored, path, base_iri=BASE)
        graph = NamedNode(f"{BASE}graph/snapshot.ttl")
        assert restored.named_graphs() == [graph]
        assert {q.graph_name for q in restored.quads()} == {graph}
        assert {Triple(q.subject, q.predicate, q.object) for q in restored.quads()} == {
            Triple(q.subject, q.predicate, q.object) for q in example_quads}
    finally:
        restored.close()


def test_a_broken_dump_names_the_file_and_line(tmp_path: Path, store: EmbeddedStore) -> None:
    broken = tmp_path / "broken.nq"
    broken.write_text('<http://example.org/s> <http://example.org/p> "o" .\n'
                      "<http://example.org/s> <http://example.org/p> .\n", "utf-8")
    with pytest.raises(SourceError) as caught:
        load(store, broken, base_iri=BASE)
    assert caught.value.source == str(broken)
    assert caught.value.line == 2
    assert caught.value.message.startswith("not valid N-Quads")
    assert store.quad_count() == 0


def test_a_broken_gzip_names_the_file(tmp_path: Path, store: EmbeddedStore) -> None:
    broken = tmp_path / "dump.nq.gz"
    broken.write_bytes(b"this is not gzip")
    with pytest.raises(SourceError) as caught:
        load(store, broken, base_iri=BASE)
    assert caught.value.source == str(broken)
    assert caught.value.message.startswith("cannot read")


def test_dump_formats_from_file_names(tmp_path: Path) -> None:
    assert format_of(Path("a.nq")) is RdfFormat.N_QUADS
    assert format_of(Path("a.ttl.gz")) is RdfFormat.TURTLE
    assert format_of(Path("a.b.trig")) is RdfFormat.TRIG
    with pytest.raises(ConfigError) as caught:
        format_of(tmp_path / "a.csv")
    assert caught.value.source == str(tmp_path / "a.csv")


def test_default_graph_quads_are_kept_in_nquads(store: EmbeddedStore) -> None:
    quad = Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"),
                NamedNode("http://example.org/o"), DefaultGraph())
    store.replace_graphs([DefaultGraph()], [quad])
    assert dumped(store, DumpFormat.NQUADS) == (
        b"<http://example.org/s> <http://example.org/p> <http://example.org/o> .\n")
