"""`kg diff`: per-record changes between releases, and the SPARQL Update that replays them."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyoxigraph import DefaultGraph, Literal, NamedNode, Quad, RdfFormat, serialize
from pyoxigraph import Store as OxStore

from kg.dump import DumpFormat, dump
from kg.errors import SourceError
from kg.ingest import ingest
from kg.release import diff, layout
from kg.release.diff import record_of
from kg.store import EmbeddedStore
from tests.conftest import BASE, TEST_DATA, run_kg

BIB = TEST_DATA / "release" / "refs.bib"
CHANGED_PAPER = f"{BASE}paper/doi/10.9999/made-up.2021.1"
TITLE_PROPERTIES = {"schema:name", "dcterms:title", "kg:titleKey"}


def _made(output: str) -> Path:
    match = re.search(r" as (\S+)\n", output)
    assert match, output
    return Path(match[1])


def test_title_change_is_named_and_the_update_replays_it(tmp_path: Path) -> None:
    store, folder = tmp_path / "store", tmp_path / "releases"
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB.read_text("utf-8"), "utf-8")
    assert run_kg("ingest", str(bib), store=store).returncode == 0
    first = run_kg("release", "-o", str(folder), store=store)
    assert first.returncode == 0, first.stderr
    old = _made(first.stdout)
    bib.write_text(BIB.read_text("utf-8").replace("Graphs for Everyone", "Graphs for Everybody"),
                   "utf-8")
    assert run_kg("ingest", str(bib), store=store).returncode == 0
    second = run_kg("release", "-o", str(folder), store=store)
    assert second.returncode == 0, second.stderr
    new = _made(second.stdout)
    assert "records: 0 added, 0 removed, 1 changed" in second.stdout

    update = tmp_path / "update.ru"
    result = run_kg("diff", str(old), str(new), "--json", "--sparql-update", str(update))
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout)
    assert [record["iri"] for record in changes["records"]] == [CHANGED_PAPER]
    [record] = changes["records"]
    assert record["status"] == "changed"
    assert record["label"] == "Graphs for Everybody"
    assert "schema:name" in record["properties"]
    assert set(record["properties"]) <= TITLE_PROPERTIES
    for statement in record["removed"]:
        assert "everyone" in statement["object"].lower()
    for statement in record["added"]:
        assert "everybody" in statement["object"].lower()
    assert [graph["iri"] for graph in changes["graphs"]] == [f"{BASE}graph/refs.bib"]

    text = (new / layout.CHANGES_REPORT).read_text("utf-8")
    assert f"changed ScholarlyArticle <{CHANGED_PAPER}> \"Graphs for Everybody\"" in text
    assert '- "Graphs for Everyone"@en' in text and '+ "Graphs for Everybody"@en' in text

    for script in (update, new / layout.CHANGES_UPDATE):
        restored = tmp_path / f"restored-{script.name}"
        assert run_kg("restore", str(old), store=restored).returncode == 0
        replayed = EmbeddedStore(restored)
        replayed.update(script.read_text("utf-8"))
        live = EmbeddedStore(store, read_only=True)
        try:
            assert set(replayed.quads()) == set(live.quads())
            assert replayed.named_graphs() == live.named_graphs()
        finally:
            replayed.close()
            live.close()


def _dump(store: EmbeddedStore, path: Path) -> Path:
    with path.open("wb") as handle:
        dump(store, handle, DumpFormat.NQUADS)
    return path


def test_added_removed_and_changed_records(tmp_path: Path) -> None:
    text = BIB.read_text("utf-8")
    header, *entries = text.split("\n@")
    before, after = tmp_path / "before" / "refs.bib", tmp_path / "after" / "refs.bib"
    before.parent.mkdir()
    after.parent.mkdir()
    before.write_text("\n@".join([header, entries[0], entries[1]]), "utf-8")  # Graphs, Trees
    after.write_text("\n@".join([header, entries[0], entries[2]]).replace("Jane", "Janet"),
                     "utf-8")  # Graphs (by Janet), Paths
    stores = []
    for index, bib in enumerate((before, after)):
        store = EmbeddedStore(tmp_path / f"store-{index}")
        ingest(store, [bib], base_iri=BASE)
        stores.append(_dump(store, tmp_path / f"{index}.nq"))
        store.close()
    changes = diff(stores[0], stores[1])
    status = {record.iri: record.status for record in changes.records}
    assert status[f"{BASE}paper/doi/10.9999/made-up.2022.7"] == "removed"
    assert status[f"{BASE}paper/doi/10.9999/made-up.2023.3"] == "added"
    assert status[f"{BASE}person/janet-smith"] == "added"
    assert status[f"{BASE}person/jane-smith"] == "removed"
    by_iri = {record.iri: record for record in changes.records}
    paper = by_iri[CHANGED_PAPER]
    assert paper.status == "changed"
    assert "author/1 kg:nameAsPrinted" in paper.properties
    assert by_iri[f"{BASE}paper/doi/10.9999/made-up.2023.3"].label == \
        'Paths, "Quotes" and Other Hazards'
    assert changes.removed_quads > 0 and changes.added_quads > 0


@pytest.mark.parametrize(("iri", "record"), [
    (f"{BASE}paper/2024.acl-long.1/author/3", f"{BASE}paper/2024.acl-long.1"),
    (f"{BASE}paper/2024.acl-long.1/author-list/12", f"{BASE}paper/2024.acl-long.1"),
    (f"{BASE}volume/2024.acl-long/editor/1", f"{BASE}volume/2024.acl-long"),
    (f"{BASE}paper/doi/10.1/x/editor-list/2", f"{BASE}paper/doi/10.1/x"),
    (f"{BASE}graph/refs.bib/source", f"{BASE}graph/refs.bib"),
    (f"{BASE}graph/refs.bib/ingest", f"{BASE}graph/refs.bib"),
    (f"{BASE}paper/doi/10.1/source", f"{BASE}paper/doi/10.1/source"),
    (f"{BASE}person/jane-smith", f"{BASE}person/jane-smith"),
    (f"{BASE}paper/x/author/first", f"{BASE}paper/x/author/first"),
])
def test_record_of(iri: str, record: str) -> None:
    assert record_of(iri) == record


def test_unsorted_dump_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "good.nq"
    good.write_text("<http://a/1> <http://a/p> <http://a/o> <http://a/g> .\n", "utf-8")
    bad = tmp_path / "bad.nq"
    bad.write_text("<http://a/2> <http://a/p> <http://a/o> <http://a/g> .\n"
                   "<http://a/1> <http://a/p> <http://a/o> <http://a/g> .\n", "utf-8")
    with pytest.raises(SourceError) as caught:
        diff(good, bad)
    assert (caught.value.source, caught.value.line) == (str(bad), 2)
    result = run_kg("diff", str(good), str(tmp_path / "missing"))
    assert result.returncode == 1
    assert str(tmp_path / "missing") in result.stderr


_TERMS = st.sampled_from([f"http://example.org/{name}" for name in ("a", "b", "c/1", "é")])
_LITERALS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8).map(Literal),
    st.sampled_from(['tab\there', 'quote " and \\ back', "line\nbreak", "日本"]).map(
        lambda text: Literal(text, language="en")),
    st.integers(-5, 5).map(lambda n: Literal(str(n), datatype=NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))),
)
_QUADS = st.builds(
    Quad, _TERMS.map(NamedNode), _TERMS.map(NamedNode),
    st.one_of(_TERMS.map(NamedNode), _LITERALS),
    st.one_of(st.just(DefaultGraph()), _TERMS.map(NamedNode)))


def _sorted_dump(quads: set[Quad], path: Path) -> Path:
    lines = sorted(set(serialize(quads, format=RdfFormat.N_QUADS).splitlines(keepends=True)))
    path.write_bytes(b"".join(lines))
    return path


@settings(max_examples=60, deadline=None)
@given(old=st.sets(_QUADS, max_size=12), new=st.sets(_QUADS, max_size=12))
def test_sparql_update_turns_old_into_new(old: set[Quad], new: set[Quad]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        update = folder / "update.ru"
        with update.open("wb") as handle:
            changes = diff(_sorted_dump(old, folder / "old.nq"),
                           _sorted_dump(new, folder / "new.nq"), update=handle)
        store = OxStore()
        store.extend(old)
        store.update(update.read_text("utf-8"))
        assert set(store) == new
        assert changes.removed_quads == len(old - new)
        assert changes.added_quads == len(new - old)
