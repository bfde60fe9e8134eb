"""One resource per real paper and person across sources, whatever the ingest order."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from pyoxigraph import NamedNode, Quad, QuerySolutions

from kg.identity import canonical_paper_iri, paper_keys
from kg.ingest import ingest
from kg.iris import IriMinter
from kg.records import Location, Paper, PublicationDate
from kg.store import EmbeddedStore
from kg.vocab import PROV
from tests.conftest import BASE, TEST_DATA

FILES = [TEST_DATA / "identity" / name
         for name in ("2024.idws.xml", "refs.bib", "idws-page.txt", "2025.idws.xml")]
TIMESTAMPS = {NamedNode(str(p)) for p in
              (PROV.generatedAtTime, PROV.startedAtTime, PROV.endedAtTime)}


def ingest_in_order(folder: Path, order: tuple[Path, ...]) -> set[Quad]:
    store = EmbeddedStore(folder)
    try:
        for path in order:  # one ingest per file, as users do it over time
            ingest(store, [path], base_iri=BASE)
        return {q for q in store.quads() if q.predicate not in TIMESTAMPS}
    finally:
        store.close()


def select(quads: set[Quad], query: str) -> list[tuple[str, ...]]:
    from pyoxigraph import Store

    store = Store()
    store.extend(quads)
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, QuerySolutions)
    return sorted(tuple(row[v].value for v in result.variables) for row in result)


ORDERS = [tuple(FILES), tuple(reversed(FILES)), (FILES[2], FILES[1], FILES[3], FILES[0]),
          (FILES[3], FILES[0], FILES[2], FILES[1])]


@pytest.fixture(scope="module")
def graphs(tmp_path_factory: pytest.TempPathFactory) -> list[set[Quad]]:
    return [ingest_in_order(tmp_path_factory.mktemp("order") / "store", order)
            for order in ORDERS]


def test_ingest_order_does_not_change_the_graph(graphs: list[set[Quad]]) -> None:
    first = graphs[0]
    for other in graphs[1:]:
        assert other == first, (sorted(map(str, first - other))[:5],
                                sorted(map(str, other - first))[:5])


def test_same_doi_in_bibtex_and_xml_is_one_paper(graphs: list[set[Quad]]) -> None:
    rows = select(graphs[0], """
        SELECT DISTINCT ?paper ?g WHERE { GRAPH ?g {
            ?paper <http://schema.org/name> "Matching Records Across Sources"@en } }""")
    assert {paper for paper, _ in rows} == {f"{BASE}paper/2024.idws-1.1"}
    assert {graph.rsplit("/", 1)[-1] for _, graph in rows} == {"2024.idws.xml", "refs.bib"}


def test_same_title_and_year_on_author_page_and_xml_is_one_paper(
        graphs: list[set[Quad]]) -> None:
    rows = select(graphs[0], """
        SELECT DISTINCT ?paper ?g WHERE { GRAPH ?g {
            ?paper <http://schema.org/name> "Titles Are Keys Too"@en } }""")
    assert {paper for paper, _ in rows} == {f"{BASE}paper/2024.idws-1.2"}
    assert {graph.rsplit("/", 1)[-1] for _, graph in rows} == {"2024.idws.xml",
                                                               "idws-page.txt"}


def test_same_orcid_in_two_files_is_one_person(graphs: list[set[Quad]]) -> None:
    rows = select(graphs[0], """
        SELECT DISTINCT ?person WHERE {
            ?person <http://schema.org/sameAs> <https://orcid.org/0000-0002-1825-0097> }""")
    assert rows == [(f"{BASE}person/orcid-0000-0002-1825-0097",)]
    names = select(graphs[0], f"""
        SELECT DISTINCT ?name WHERE {{ <{rows[0][0]}> <http://schema.org/name> ?name }}""")
    assert names == [("A. Lovelace",), ("Ada Lovelace",)]
    papers = select(graphs[0], f"""
        SELECT (COUNT(DISTINCT ?paper) AS ?n) WHERE {{
            ?paper <http://schema.org/author> <{rows[0][0]}> }}""")
    assert papers == [("2",)]  # the two XML papers; the BibTeX author has no ORCID


def test_a_name_only_mention_stays_apart_from_an_orcid_person(graphs: list[set[Quad]]) -> None:
    rows = select(graphs[0], f"""
        SELECT (COUNT(DISTINCT ?paper) AS ?n) WHERE {{
            ?paper <http://schema.org/author> <{BASE}person/ada-lovelace> }}""")
    assert rows == [("2",)]  # the two BibTeX entries


def test_reingesting_a_file_keeps_the_matched_graph(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    try:
        for path in FILES:
            ingest(store, [path], base_iri=BASE)
        count = store.quad_count()
        ingest(store, [FILES[1]], base_iri=BASE)
        assert store.quad_count() == count
    finally:
        store.close()


@pytest.mark.parametrize("keys", [
    {"title:2024/a-b", "doi:10.1/x", "acl:2024.a-1.1"},
    {"title:2024/a-b", "doi:10.1/x"},
    {"title:2024/a-b"},
])
def test_canonical_iri_depends_on_the_keys_alone(keys: set[str]) -> None:
    minter = IriMinter(BASE)
    iris = {canonical_paper_iri(minter, list(order)) for order in itertools.permutations(keys)}
    assert len(iris) == 1
    expected = ("paper/2024.a-1.1" if any(k.startswith("acl:") for k in keys)
                else "paper/doi/10.1/x" if any(k.startswith("doi:") for k in keys)
                else "paper/2024-a-b-")
    assert iris.pop().startswith(BASE + expected)


def test_paper_keys_lower_case_the_doi() -> None:
    paper = Paper(title="T", location=Location("f", 1), date=PublicationDate(2020),
                  doi="10.1/ABC")
    assert "doi:10.1/abc" in paper_keys(paper)


def test_name_variants_of_one_person_are_kept_as_alternate_names(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    try:
        ingest(store, [TEST_DATA / "identity" / "name-variants.txt"], base_iri=BASE)
        quads = set(store.quads())
    finally:
        store.close()
    rows = select(quads, f"""
        SELECT ?p ?name WHERE {{
            <{BASE}person/zhenguo-li> ?p ?name . FILTER (isLiteral(?name)) }}""")
    assert rows == [("http://schema.org/alternateName", "ZHENGUO LI"),
                    ("http://schema.org/name", "Zhenguo Li")]
