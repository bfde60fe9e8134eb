"""The mapper: golden files compared by isomorphism, the three author forms, typed literals."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad
from rdflib import Graph, compare

from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper, map_provenance
from kg.records import (
    Contributor,
    Event,
    Location,
    Paper,
    PublicationDate,
    SourceFile,
    Volume,
)
from kg.sources import author_page
from kg.validate import to_rdflib
from kg.venues import venue_by_key
from kg.vocab import BIBO, DCTERMS, KG, RDF, SDO, XSD
from tests.conftest import BASE, EXAMPLE, TEST_DATA

MINTER = IriMinter(BASE)
GRAPH = NamedNode(MINTER.graph("well-formed.txt"))
GOLDEN = TEST_DATA / "golden"
PAGES = TEST_DATA / "author-pages"

ACL = venue_by_key("acl")
assert ACL is not None
FULL_RECORD = Paper(
    title="Counting Engines: A Study",
    location=Location("full.bib", 12),
    authors=(
        Contributor("Ada Lovelace", given="Ada", family="Lovelace", acl_id="ada-lovelace",
                    orcid="0000-0002-1825-0097", affiliation="University of London"),
        Contributor("Charles Babbage"),
        Contributor("The Analytical Society", is_organization=True),
    ),
    authors_complete=False,
    date=PublicationDate(2024, 8, 14),
    volume=Volume(
        title="Proceedings of the 62nd Annual Meeting of the Association for Computational "
              "Linguistics (Volume 1: Long Papers)",
        year=2024, month=8, acl_id="2024.acl-long", venues=(ACL,),
        event=Event("acl-2024", "ACL 2024", 2024, location="Bangkok, Thailand", series=ACL),
        editors=(Contributor("Lun-Wei Ku"),), isbn="979-8-89176-094-3",
        doi="10.18653/v1/2024.acl-long", url="https://aclanthology.org/volumes/2024.acl-long/"),
    abstract="One paragraph.\n\nAnother paragraph.",
    acl_id="2024.acl-long.1",
    doi="10.18653/v1/2024.acl-long.1",
    pages="1–12",
    pdf="https://aclanthology.org/2024.acl-long.1.pdf",
    url="https://aclanthology.org/2024.acl-long.1/",
)
PROVENANCE_SOURCE = SourceFile(name="well-formed.txt", sha256="0123456789abcdef" * 4, size=1234,
                               format="author-page")


def page_records(path: Path) -> list[Paper]:
    return [item for item in author_page.read(path, path.name) if isinstance(item, Paper)]


def mapped(papers: Iterable[Paper]) -> list[Quad]:
    out = GraphWriter(GRAPH)
    for paper in papers:
        map_paper(out, MINTER, paper)
    return out.quads()


def assert_isomorphic(expected: Graph, actual: Graph) -> None:
    """Fail with the triples only one side has (rdflib's graph_diff), one per line."""
    if compare.isomorphic(expected, actual):
        return

    def lines(graph: Graph) -> list[str]:
        return sorted(" ".join(term.n3() for term in triple) for triple in graph)

    _, only_expected, only_actual = compare.graph_diff(expected, actual)
    report = ["the mapped graph differs from the golden file",
              f"only in the golden file ({len(only_expected)}):", *lines(only_expected),
              f"only in the mapped graph ({len(only_actual)}):", *lines(only_actual)]
    pytest.fail("\n".join(report), pytrace=False)


def golden(name: str) -> Graph:
    return Graph().parse(GOLDEN / name, format="turtle")


# Golden files

def test_golden_author_page_record() -> None:
    record = page_records(PAGES / "well-formed.txt")[1]
    assert record.title == "Two Paragraphs on Analytical Machines"
    assert_isomorphic(golden("author-page-record.ttl"), to_rdflib(mapped([record])))


def test_golden_full_record() -> None:
    assert_isomorphic(golden("full-record.ttl"), to_rdflib(mapped([FULL_RECORD])))


def test_golden_provenance() -> None:
    out = GraphWriter(GRAPH)
    map_provenance(out, MINTER, PROVENANCE_SOURCE, "0.1.0",
                   datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
                   datetime(2025, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert_isomorphic(golden("provenance.ttl"), to_rdflib(out.quads()))


def test_the_golden_comparison_can_fail() -> None:
    actual = to_rdflib(mapped([FULL_RECORD]))
    actual.remove((None, None, None))  # an empty graph is not the golden one
    with pytest.raises(pytest.fail.Exception, match="only in the golden file"):
        assert_isomorphic(golden("full-record.ttl"), actual)


# Every quad in the source file's graph, no blank nodes

ALL_RECORDS = {
    "example": lambda: page_records(EXAMPLE),
    "well-formed": lambda: page_records(PAGES / "well-formed.txt"),
    "broken": lambda: page_records(PAGES / "broken.txt"),
    "one-broken": lambda: page_records(PAGES / "one-broken.txt"),
    "full": lambda: [FULL_RECORD],
}


@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
def test_no_blank_nodes_and_one_graph(name: str) -> None:
    quads = mapped(ALL_RECORDS[name]())
    assert quads
    for quad in quads:
        assert not isinstance(quad.subject, BlankNode), quad
        assert not isinstance(quad.object, BlankNode), quad
        assert quad.graph_name == GRAPH


def test_provenance_has_no_blank_nodes() -> None:
    out = GraphWriter(GRAPH)
    now = datetime.now(UTC)
    map_provenance(out, MINTER, PROVENANCE_SOURCE, "0.1.0", now, now)
    assert not any(isinstance(term, BlankNode)
                   for quad in out.quads() for term in (quad.subject, quad.object))


# The three author forms

class Facts:
    """The objects of each (subject, predicate) of some quads, in the order written."""

    def __init__(self, quads: Iterable[Quad]) -> None:
        self._found: dict[tuple[str, str], list[NamedNode | Literal]] = defaultdict(list)
        for quad in quads:
            assert isinstance(quad.subject, NamedNode)
            assert isinstance(quad.object, NamedNode | Literal)
            self._found[(quad.subject.value, quad.predicate.value)].append(quad.object)

    def __call__(self, subject: str, predicate: str) -> list[NamedNode | Literal]:
        return self._found.get((str(subject), str(predicate)), [])


def author_forms(facts: Facts, paper: str,
                 ) -> tuple[set[str], list[str], list[str]]:
    """The authors of ``paper`` three ways: direct links, the rdf:List, the slots by position."""
    direct = {node.value for node in facts(paper, SDO.author)}
    listed: list[str] = []
    (cell,) = facts(paper, BIBO.authorList)
    while cell.value != str(RDF.nil):
        (first,) = facts(cell.value, RDF.first)
        (cell,) = facts(cell.value, RDF.rest)
        listed.append(first.value)
    slots = []
    for slot in facts(paper, KG.authorship):
        (position,) = facts(slot.value, KG.position)
        (person,) = facts(slot.value, KG.person)
        assert isinstance(position, Literal) and position.datatype.value == str(XSD.integer)
        slots.append((int(position.value), person.value))
    slots.sort()
    assert [position for position, _ in slots] == list(range(1, len(slots) + 1))
    return direct, listed, [person for _, person in slots]


@pytest.mark.parametrize("name", sorted(ALL_RECORDS))
def test_three_author_forms_agree_with_the_record(name: str) -> None:
    papers = ALL_RECORDS[name]()
    facts = Facts(mapped(papers))
    for paper in papers:
        expected = [MINTER.person(person) for person in paper.authors]
        direct, listed, slotted = author_forms(facts, MINTER.paper(paper))
        assert listed == slotted == expected
        assert direct == set(expected)


def test_names_as_printed_are_kept_per_slot() -> None:
    facts = Facts(mapped([FULL_RECORD]))
    paper = MINTER.paper(FULL_RECORD)
    printed = {facts(slot.value, KG.position)[0].value: facts(slot.value, KG.nameAsPrinted)[0]
               for slot in facts(paper, KG.authorship)}
    assert {k: v.value for k, v in printed.items()} == {
        "1": "Ada Lovelace", "2": "Charles Babbage", "3": "The Analytical Society"}


def test_a_coauthor_is_one_resource_across_papers() -> None:
    papers = page_records(EXAMPLE)
    facts = Facts(mapped(papers))
    owner = MINTER.person(Contributor("Zhenguo Li"))
    with_owner = [p for p in papers if owner in {o.value for o in
                                                 facts(MINTER.paper(p), SDO.author)}]
    assert len(with_owner) == 9
    assert facts(owner, SDO.name) == [Literal("Zhenguo Li")] * 9  # one name, once per paper


# Typed and tagged literals

@pytest.mark.parametrize(("date", "lexical", "datatype"), [
    (PublicationDate(2024), "2024", XSD.gYear),
    (PublicationDate(2024, 7), "2024-07", XSD.gYearMonth),
    (PublicationDate(2024, 7, 28), "2024-07-28", XSD.date),
    (PublicationDate(987, 1, 2), "0987-01-02", XSD.date),
])
def test_date_published_typed_by_precision(date: PublicationDate, lexical: str,
                                           datatype: str) -> None:
    record = Paper(title="Dated", location=Location("x", 1), date=date)
    facts = Facts(mapped([record]))
    assert facts(MINTER.paper(record), SDO.datePublished) == [
        Literal(lexical, datatype=NamedNode(str(datatype)))]


def test_an_undated_record_has_no_date() -> None:
    record = Paper(title="Undated", location=Location("x", 1))
    assert Facts(mapped([record]))(MINTER.paper(record), SDO.datePublished) == []


@pytest.mark.parametrize("language", ["en", "de", "pt-BR"])
def test_titles_and_abstracts_are_language_tagged(language: str) -> None:
    record = Paper(title="Titel", abstract="Zusammenfassung", language=language,
                   location=Location("x", 1), volume=Volume("Tagungsband", 2024))
    facts = Facts(mapped([record]))
    paper = MINTER.paper(record)
    for predicate, text in [(SDO.name, "Titel"), (DCTERMS.title, "Titel"),
                            (SDO.abstract, "Zusammenfassung"),
                            (DCTERMS.abstract, "Zusammenfassung")]:
        assert facts(paper, predicate) == [Literal(text, language=language)]
    volume = MINTER.volume(Volume("Tagungsband", 2024))
    assert facts(volume, SDO.name) == [Literal("Tagungsband", language=language)]
    assert facts(paper, SDO.inLanguage) == [Literal(language)]


def test_names_are_plain_strings() -> None:
    facts = Facts(mapped([FULL_RECORD]))
    ada = MINTER.person(FULL_RECORD.authors[0])
    assert facts(ada, SDO.name) == [Literal("Ada Lovelace")]
    assert facts(ada, SDO.name)[0].language is None


def test_doi_is_stored_lower_case() -> None:
    record = Paper(title="Cased", location=Location("x", 1), doi="10.18653/V1/2024.ACL-LONG.7")
    facts = Facts(mapped([record]))
    paper = MINTER.paper(record)
    assert facts(paper, BIBO.doi) == [Literal("10.18653/v1/2024.acl-long.7")]
    assert facts(paper, SDO.sameAs) == [NamedNode("https://doi.org/10.18653/v1/2024.acl-long.7")]


def test_record_without_authors_writes_no_list() -> None:
    record = Paper(title="Anonymous", location=Location("x", 1))
    facts = Facts(mapped([record]))
    paper = MINTER.paper(record)
    for predicate in (SDO.author, BIBO.authorList, KG.authorship):
        assert facts(paper, predicate) == []


def test_a_doi_with_characters_an_iri_cannot_hold_is_percent_encoded() -> None:
    from pyoxigraph import NamedNode

    from kg.mapper import GraphWriter, map_doi

    out = GraphWriter(NamedNode("https://example.org/g"))
    map_doi(out, "<https://example.org/p>", '10.1234/a"b <c>')
    links = [q.object for q in out.quads() if isinstance(q.object, NamedNode)]
    assert links == [NamedNode("https://doi.org/10.1234/a%22b%20%3Cc%3E")]
