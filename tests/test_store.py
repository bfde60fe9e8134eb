"""The embedded store on disk: union default graph, all-or-nothing writes, crash recovery."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, QuerySolutions, RdfFormat

from kg.errors import QueryError, StoreError
from kg.store import EmbeddedStore, open_store
from kg.store.embedded import GENERATION, JOURNAL

EX = "http://example.org/"
G1, G2, G3 = (NamedNode(f"{EX}graph/{n}") for n in (1, 2, 3))


def quads_in(graph: NamedNode, count: int, tag: str = "") -> list[Quad]:
    return [Quad(NamedNode(f"{EX}s{i}"), NamedNode(f"{EX}p"), Literal(f"{tag}{i}"), graph)
            for i in range(count)]


def contents(store: EmbeddedStore) -> set[Quad]:
    return set(store.quads())


class Boom(Exception):
    pass


def failing_after(quads: list[Quad], count: int) -> Iterator[Quad]:
    """The quads, until ``count`` have been given; then an error, as a crashing importer would."""
    for index, quad in enumerate(quads):
        if index == count:
            raise Boom("the importer failed midway")
        yield quad


@pytest.fixture
def filled(store: EmbeddedStore) -> EmbeddedStore:
    store.replace_graphs([G1, G2], [*quads_in(G1, 30, "one-"), *quads_in(G2, 20, "two-")])
    return store


def test_a_new_store_is_empty_and_has_no_generation(store: EmbeddedStore,
                                                    store_path: Path) -> None:
    assert store.quad_count() == 0
    assert store.named_graphs() == []
    assert store.generation() == ""
    assert (store_path / "CURRENT").exists()


def test_replace_graphs_replaces_only_the_graphs_named(filled: EmbeddedStore) -> None:
    two = set(filled.quads(G2))
    new = quads_in(G1, 5, "new-")
    filled.replace_graphs([G1], new)
    assert set(filled.quads(G1)) == set(new)
    assert set(filled.quads(G2)) == two
    assert filled.quad_count() == 25
    assert filled.named_graphs() == [G1, G2]


def test_replacing_with_nothing_drops_the_graph(filled: EmbeddedStore) -> None:
    filled.replace_graphs([G2], [])
    assert filled.named_graphs() == [G1]


def test_queries_see_the_union_of_the_graphs(filled: EmbeddedStore) -> None:
    result = filled.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}p> ?o }}")
    assert isinstance(result, QuerySolutions)
    assert [row["n"].value for row in result] == ["50"]
    graphs = filled.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
    assert isinstance(graphs, QuerySolutions)
    assert [row["g"] for row in graphs] == [G1, G2]


def test_replace_graphs_is_all_or_nothing(filled: EmbeddedStore) -> None:
    # The bulk loader is not transactional: the journal must undo what it wrote before the error.
    before, generation = contents(filled), filled.generation()
    new = [*quads_in(G1, 40, "new-"), *quads_in(G3, 10, "three-")]
    with pytest.raises(Boom):
        filled.replace_graphs([G1, G3], failing_after(new, 25))
    assert contents(filled) == before
    assert filled.named_graphs() == [G1, G2]
    assert filled.generation() == generation
    assert not (filled.path / JOURNAL).exists()


def test_a_failed_write_is_rolled_back_on_disk_too(filled: EmbeddedStore,
                                                  store_path: Path) -> None:
    before = contents(filled)
    with pytest.raises(Boom):
        filled.replace_graphs([G1], failing_after(quads_in(G1, 10, "x"), 3))
    filled.close()
    reopened = EmbeddedStore(store_path)
    try:
        assert contents(reopened) == before
    finally:
        reopened.close()


def _simulate_killed_writer(store_path: Path, journal_graphs: list[NamedNode],
                            backup: list[Quad], partial: list[Quad]) -> None:
    """Leave the store as a writer killed midway leaves it: the journal written as
    ``replace_graphs`` writes it, the old graphs dropped and some new quads added."""
    journal = store_path / JOURNAL
    journal.mkdir()
    with (journal / "backup.nq").open("wb") as handle:
        pyoxigraph.serialize(backup, handle, RdfFormat.N_QUADS)
    (journal / "graphs.json").write_text(json.dumps([g.value for g in journal_graphs]), "utf-8")
    raw = pyoxigraph.Store(str(store_path))
    for graph in journal_graphs:
        raw.remove_graph(graph)
    raw.extend(partial)
    raw.flush()
    del raw
    gc.collect()


def test_a_journal_left_behind_is_rolled_back_on_open(filled: EmbeddedStore,
                                                     store_path: Path) -> None:
    before = contents(filled)
    one = list(filled.quads(G1))
    filled.close()
    partial = [*quads_in(G1, 4, "half-written-"), *quads_in(G3, 3, "half-written-")]
    _simulate_killed_writer(store_path, [G1, G3], one, partial)
    raw = pyoxigraph.Store.read_only(str(store_path))
    assert set(raw.quads_for_pattern(None, None, None, G3))  # the damage is really on disk
    del raw
    gc.collect()
    recovered = EmbeddedStore(store_path)
    try:
        assert contents(recovered) == before
        assert recovered.named_graphs() == [G1, G2]
        assert not (store_path / JOURNAL).exists()
    finally:
        recovered.close()


def test_a_journal_without_its_manifest_is_discarded(filled: EmbeddedStore,
                                                    store_path: Path) -> None:
    # killed while saving the backup: nothing had been dropped yet
    before = contents(filled)
    filled.close()
    (store_path / JOURNAL).mkdir()
    (store_path / JOURNAL / "backup.nq").write_bytes(b"<http://example.org/trunc")
    reopened = EmbeddedStore(store_path)
    try:
        assert contents(reopened) == before
        assert not (store_path / JOURNAL).exists()
    finally:
        reopened.close()


def test_generation_changes_on_every_commit(store: EmbeddedStore, store_path: Path) -> None:
    seen = [store.generation()]
    store.replace_graphs([G1], quads_in(G1, 3))
    seen.append(store.generation())
    store.replace_graphs([G1], quads_in(G1, 3))  # the same content is still a new commit
    seen.append(store.generation())
    store.update(f"INSERT DATA {{ GRAPH <{G2.value}> {{ <{EX}a> <{EX}b> <{EX}c> }} }}")
    seen.append(store.generation())
    assert seen[0] == ""
    assert len(set(seen)) == 4
    assert (store_path / GENERATION).read_text("utf-8") == seen[-1]
    reader = EmbeddedStore(store_path, read_only=True)
    try:
        assert reader.generation() == seen[-1]
    finally:
        reader.close()


def test_a_read_only_store_sees_a_snapshot(filled: EmbeddedStore, store_path: Path) -> None:
    reader = EmbeddedStore(store_path, read_only=True)
    try:
        assert contents(reader) == contents(filled)
    finally:
        reader.close()


def test_a_second_writer_is_refused(store: EmbeddedStore, store_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        EmbeddedStore(store_path)
    assert caught.value.source == str(store_path)
    assert "cannot open the store" in caught.value.message


def test_store_location_errors(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x", "utf-8")
    with pytest.raises(StoreError) as caught:
        EmbeddedStore(a_file)
    assert (caught.value.source, caught.value.message) == (
        str(a_file), "the store location is a file, not a folder")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("x", "utf-8")
    with pytest.raises(StoreError) as caught:
        EmbeddedStore(other)
    assert caught.value.source == str(other)
    assert caught.value.message == "the folder is not empty and holds no store"
    with pytest.raises(StoreError) as caught:
        EmbeddedStore(tmp_path / "absent", read_only=True)
    assert caught.value.source == str(tmp_path / "absent")
    assert not (tmp_path / "absent").exists()


def test_malformed_queries_and_updates(store: EmbeddedStore) -> None:
    with pytest.raises(QueryError) as caught:
        store.query("SELECT * WHERE { ?s }")
    assert caught.value.field == "query"
    assert caught.value.message.startswith("SPARQL syntax error: ")
    with pytest.raises(QueryError) as caught:
        store.update("INSERT DATA { <a> }")
    assert caught.value.field == "update"
    assert store.generation() == ""


def test_the_default_graph_can_be_replaced_too(store: EmbeddedStore) -> None:
    default = [Quad(NamedNode(f"{EX}s"), NamedNode(f"{EX}p"), Literal("o"), DefaultGraph())]
    store.replace_graphs([G1, DefaultGraph()], [*default, *quads_in(G1, 2)])
    store.replace_graphs([DefaultGraph()], [])
    assert contents(store) == set(quads_in(G1, 2))


def test_open_store_opens_a_folder_as_the_embedded_store(tmp_path: Path) -> None:
    opened = open_store(tmp_path / "store")
    try:
        assert isinstance(opened, EmbeddedStore)
        assert opened.location == str(tmp_path / "store")
    finally:
        opened.close()
