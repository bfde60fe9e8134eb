"""The acceptance lines of the core pipeline, on the bundled author page (a real ACL page)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyshacl
from pyoxigraph import QuerySolutions

from kg.store import EmbeddedStore
from kg.validate import shapes_graph, to_rdflib
from tests.conftest import EXAMPLE, run_kg

PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
"""

MOTE_AUTHORS = ["Zhili Liu", "Yunhao Gou", "Kai Chen", "Lanqing Hong", "Jiahui Gao", "Fei Mi",
                "Yu Zhang", "Zhenguo Li", "Xin Jiang", "Qun Liu", "James Kwok"]


def rows(store: EmbeddedStore, query: str) -> list[tuple[str, ...]]:
    result = store.query(PREFIXES + query)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(row[name].value if row[name] is not None else "" for name in names)
            for row in result]


def test_nine_papers_by_year(example_store: EmbeddedStore) -> None:
    found = rows(example_store, """
        SELECT ?year (COUNT(DISTINCT ?paper) AS ?n) WHERE {
            ?paper a schema:ScholarlyArticle ; schema:datePublished ?date .
            BIND (STR(?date) AS ?year)
        } GROUP BY ?year ORDER BY ?year""")
    assert found == [("2023", "1"), ("2024", "2"), ("2025", "6")]


def test_people_and_volumes(example_store: EmbeddedStore) -> None:
    assert rows(example_store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a schema:Person }") == [
        ("60",)]
    assert rows(example_store,
                "SELECT (COUNT(DISTINCT ?v) AS ?n) { ?v a bibo:Proceedings }") == [("7",)]


def test_page_owner_is_one_person_with_all_nine_papers(example_store: EmbeddedStore) -> None:
    found = rows(example_store, """
        SELECT ?person (COUNT(DISTINCT ?paper) AS ?n) WHERE {
            ?person schema:name "Zhenguo Li" . ?paper schema:author ?person .
        } GROUP BY ?person""")
    assert len(found) == 1
    assert found[0][1] == "9"


def test_author_order_from_the_bibo_list(example_store: EmbeddedStore) -> None:
    found = rows(example_store, """
        SELECT ?name (COUNT(DISTINCT ?before) AS ?index) WHERE {
            ?paper schema:name ?title .
            FILTER (STRSTARTS(?title, "Mixture of insighTful Experts (MoTE)"))
            ?paper bibo:authorList ?list .
            ?list rdf:rest* ?before . ?before rdf:rest* ?cell .
            ?cell rdf:first ?person . ?person schema:name ?name .
        } GROUP BY ?cell ?name ORDER BY ?index""")
    assert [name for name, _ in found] == MOTE_AUTHORS
    assert [int(index) for _, index in found] == list(range(1, 12))


def test_author_order_from_the_slots(example_store: EmbeddedStore) -> None:
    found = rows(example_store, """
        SELECT ?name ?position WHERE {
            ?paper schema:name ?title .
            FILTER (STRSTARTS(?title, "Mixture of insighTful Experts (MoTE)"))
            ?paper kg:authorship ?slot . ?slot kg:position ?position ; kg:person ?person .
            ?person schema:name ?name .
        } ORDER BY ?position""")
    assert [name for name, _ in found] == MOTE_AUTHORS
    assert [int(position) for _, position in found] == list(range(1, 12))


def test_most_frequent_coauthors(example_store: EmbeddedStore) -> None:
    found = rows(example_store, """
        SELECT ?name (COUNT(DISTINCT ?paper) AS ?n) WHERE {
            ?owner schema:name "Zhenguo Li" .
            ?paper schema:author ?owner , ?coauthor .
            FILTER (?coauthor != ?owner)
            ?coauthor schema:name ?name .
        } GROUP BY ?name ORDER BY DESC(?n) ?name LIMIT 4""")
    assert found == [("Han Shi", "4"), ("Xiaodan Liang", "3"), ("Xin Jiang", "3"),
                     ("Zhengying Liu", "3")]


def test_ingesting_twice_keeps_the_triple_count(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run_kg("ingest", str(EXAMPLE), store=store).returncode == 0
    first = EmbeddedStore(store)
    count = first.quad_count()
    first.close()
    assert count > 1000
    assert run_kg("ingest", str(EXAMPLE), store=store).returncode == 0
    second = EmbeddedStore(store)
    assert second.quad_count() == count
    second.close()


def test_whole_store_conforms_with_pyshacl(example_store: EmbeddedStore) -> None:
    data = to_rdflib(example_store.quads())
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes_graph(), advanced=True,
                                         inference="none")
    assert conforms, text


def test_two_dumps_are_identical_and_reload_isomorphic(tmp_path: Path) -> None:
    store = tmp_path / "store"
    assert run_kg("ingest", str(EXAMPLE), store=store).returncode == 0
    for name in ("a.nq", "b.nq", "a.ttl", "b.ttl"):
        fmt = "turtle" if name.endswith(".ttl") else "nquads"
        assert run_kg("dump", "--format", fmt, "-o", str(tmp_path / name),
                      store=store).returncode == 0
    assert (tmp_path / "a.nq").read_bytes() == (tmp_path / "b.nq").read_bytes()
    assert (tmp_path / "a.ttl").read_bytes() == (tmp_path / "b.ttl").read_bytes()
    restored = tmp_path / "restored"
    assert run_kg("load", str(tmp_path / "a.nq"), store=restored).returncode == 0
    original, copy = EmbeddedStore(store), EmbeddedStore(restored)
    try:
        assert set(original.quads()) == set(copy.quads())
        assert original.named_graphs() == copy.named_graphs()
    finally:
        original.close()
        copy.close()


def assert_ingest_fails_cleanly(tmp_path: Path, broken: Path, line: int) -> None:
    store = tmp_path / "store"
    assert run_kg("ingest", str(EXAMPLE), store=store).returncode == 0
    before = EmbeddedStore(store)
    quads = set(before.quads())
    before.close()
    result = run_kg("ingest", str(broken), store=store)
    assert result.returncode == 1, result.stderr
    assert f"{broken}:{line}" in result.stderr
    after = EmbeddedStore(store)
    assert set(after.quads()) == quads
    after.close()


def test_missing_title_line_fails_naming_file_and_line(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text("utf-8").splitlines(keepends=True)
    title_index = lines.index("pdf bib\n", 20) + 1  # the third record's title
    del lines[title_index]
    broken = tmp_path / "zhenguo-li.txt"
    shutil.copy(EXAMPLE, broken)
    broken.write_text("".join(lines), "utf-8")
    assert_ingest_fails_cleanly(tmp_path, broken, title_index + 1)


def test_non_utf8_byte_fails_naming_file_and_line(tmp_path: Path) -> None:
    data = EXAMPLE.read_bytes()
    offset = data.index(b"QuickLLaMA: Query-aware")
    broken = tmp_path / "zhenguo-li.txt"
    broken.write_bytes(data[:offset] + b"\xff" + data[offset:])
    assert_ingest_fails_cleanly(tmp_path, broken, data.count(b"\n", 0, offset) + 1)
