"""The ACL Anthology XML importer: the acceptance lines of issue 3 on the real volumes of
``../shared/data/acl-xml``, and every field and failure on invented files in ``tests/data/acl-xml``.

Records are ingested into a real on-disk store and read back with SPARQL; expected values for
the real files are read from the XML independently, with the standard library's ElementTree.
"""

from __future__ import annotations

import doctest
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyshacl
import pytest
from pyoxigraph import QuerySolutions

from kg.errors import SourceError, SourceErrors
from kg.ingest import ingest
from kg.sources import acl_xml, detect_format
from kg.store import EmbeddedStore
from kg.validate import shapes_graph, to_rdflib
from tests.conftest import BASE, TEST_DATA, run_kg, shared

PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
"""
REAL = ("C65.xml", "M95.xml", "2021.iwcs.xml", "2023.crac.xml")
FIXTURES = TEST_DATA / "acl-xml"
TOY = FIXTURES / "2024.toyws.xml"


def rows(store: EmbeddedStore, query: str) -> list[tuple[str, ...]]:
    """The solutions of ``query`` as tuples of lexical values ("" when unbound).

    Queries see the union of all graphs, where a triple stated in two source files' graphs
    (a shared publisher, venue or person) is a solution twice: such queries say DISTINCT.
    """
    result = store.query(PREFIXES + query)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(row[name].value if row[name] is not None else "" for name in names)
            for row in result]


def graph(name: str) -> str:
    return f"<{BASE}graph/{quote(name, safe='-._~')}>"


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The four real volumes, ingested together into one on-disk store."""
    paths = [shared(f"acl-xml/{name}") for name in REAL]
    store = EmbeddedStore(tmp_path_factory.mktemp("acl-real") / "store")
    ingest(store, paths, base_iri=BASE)
    yield store
    store.close()


@pytest.fixture(scope="module")
def toy_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The invented volumes that hold every field once."""
    store = EmbeddedStore(tmp_path_factory.mktemp("acl-toy") / "store")
    ingest(store, [TOY, FIXTURES / "W99.xml", FIXTURES / "J99.xml"], base_iri=BASE)
    yield store
    store.close()


def xml_papers(path: Path) -> list[ET.Element]:
    return list(ET.parse(path).getroot().iter("paper"))


def printed_name(person: ET.Element) -> str:
    first = " ".join((person.findtext("first") or "").split())
    last = " ".join((person.findtext("last") or "").split())
    return f"{first} {last}" if first else last


# -- the real volumes ---------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "papers", "volumes"),
                         [("C65.xml", 24, 1), ("M95.xml", 27, 1), ("2021.iwcs.xml", 23, 1),
                          ("2023.crac.xml", 14, 2)])
def test_paper_and_volume_counts(real_store: EmbeddedStore, name: str, papers: int,
                                 volumes: int) -> None:
    found = rows(real_store, f"""
        SELECT (COUNT(DISTINCT ?paper) AS ?papers) (COUNT(DISTINCT ?volume) AS ?volumes) WHERE {{
            GRAPH {graph(name)} {{ ?paper a schema:ScholarlyArticle ; schema:isPartOf ?volume .
                                  ?volume a bibo:Proceedings }} }}""")
    assert found == [(str(papers), str(volumes))]
    assert len(xml_papers(shared(f"acl-xml/{name}"))) == papers


def test_whole_store_conforms_with_pyshacl(real_store: EmbeddedStore) -> None:
    conforms, _, text = pyshacl.validate(to_rdflib(real_store.quads()), shacl_graph=shapes_graph(),
                                         advanced=True, inference="none")
    assert conforms, text


@pytest.mark.parametrize("name", REAL)
def test_author_order_equals_the_xml(real_store: EmbeddedStore, name: str) -> None:
    path = shared(f"acl-xml/{name}")
    # The real files name each paper's id in <url>; ElementTree reads them independently of kg.
    expected = {paper.findtext("url"): [printed_name(a) for a in paper.iter("author")]
                for paper in xml_papers(path)}
    slots: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    for acl_id, position, printed, person in rows(real_store, f"""
            SELECT ?id ?position ?name ?person WHERE {{ GRAPH {graph(name)} {{
                ?paper a schema:ScholarlyArticle ; kg:aclId ?id ; kg:authorship ?slot .
                ?slot kg:position ?position ; kg:nameAsPrinted ?name ; kg:person ?person }} }}"""):
        slots[acl_id].append((int(position), printed, person))
    ids = {acl_id for (acl_id,) in rows(real_store, f"""
        SELECT ?id WHERE {{ GRAPH {graph(name)} {{ ?p a schema:ScholarlyArticle ; kg:aclId ?id }} }}
        """)}
    assert ids == set(expected)
    for acl_id, names in expected.items():
        ordered = sorted(slots.get(acl_id, []))
        assert [position for position, _, _ in ordered] == list(range(1, len(names) + 1))
        assert [printed for _, printed, _ in ordered] == names, acl_id
    listed: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for acl_id, person, index in rows(real_store, f"""
            SELECT ?id ?person (COUNT(?before) AS ?index) WHERE {{ GRAPH {graph(name)} {{
                ?paper kg:aclId ?id ; bibo:authorList ?list .
                ?list rdf:rest* ?before . ?before rdf:rest* ?cell . ?cell rdf:first ?person }} }}
            GROUP BY ?id ?cell ?person"""):
        listed[acl_id].append((int(index), person))
    for acl_id in expected:
        from_list = [person for _, person in sorted(listed.get(acl_id, []))]
        assert from_list == [person for _, _, person in sorted(slots.get(acl_id, []))], acl_id


def test_three_outstanding_paper_awards(real_store: EmbeddedStore) -> None:
    path = shared("acl-xml/2021.iwcs.xml")
    expected = {(paper.findtext("url"), award.text) for paper in xml_papers(path)
                for award in paper.iter("award")}
    found = set(rows(real_store, """
        SELECT ?id ?award WHERE { ?paper schema:award ?award ; kg:aclId ?id }"""))
    assert found == expected
    assert len(found) == 3 and {award for _, award in found} == {"Outstanding Paper"}


def test_m95_single_name_author_is_not_given_a_first_name(real_store: EmbeddedStore) -> None:
    found = rows(real_store, f"""
        SELECT ?id ?name ?family ?given WHERE {{ GRAPH {graph("M95.xml")} {{
            ?paper kg:aclId ?id ; kg:authorship ?slot .
            ?slot kg:nameAsPrinted "Srinivas" ; kg:person ?person .
            ?person schema:name ?name ; schema:familyName ?family .
            OPTIONAL {{ ?person schema:givenName ?given }} }} }}""")
    assert found == [("M95-1015", "Srinivas", "Srinivas", "")]
    names = [name for (name,) in rows(real_store, f"""
        SELECT ?name WHERE {{ GRAPH {graph("M95.xml")} {{ ?s kg:nameAsPrinted ?name }} }}""")]
    assert names and all(name == name.strip() and "  " not in name for name in names)


def test_m95_authorless_papers_have_no_authors(real_store: EmbeddedStore) -> None:
    expected = {paper.findtext("url") for paper in xml_papers(shared("acl-xml/M95.xml"))
                if paper.find("author") is None}
    found = {acl_id for (acl_id,) in rows(real_store, f"""
        SELECT ?id WHERE {{ GRAPH {graph("M95.xml")} {{
            ?paper a schema:ScholarlyArticle ; kg:aclId ?id .
            FILTER NOT EXISTS {{ ?paper schema:author ?anyone }}
            FILTER NOT EXISTS {{ ?paper bibo:authorList ?list }} }} }}""")}
    assert found == expected and len(found) == 7


def test_m95_group_author_is_an_organisation(real_store: EmbeddedStore) -> None:
    found = rows(real_store, """
        SELECT ?name ?position WHERE {
            ?paper kg:aclId "M95-1007" ; kg:authorship ?slot .
            ?slot kg:person ?org ; kg:position ?position .
            ?org a schema:Organization ; schema:name ?name .
            FILTER NOT EXISTS { ?org a schema:Person } }""")
    assert found == [("The LOLITA Group", "10")]


def test_markup_becomes_plain_text(real_store: EmbeddedStore) -> None:
    titles = dict(rows(real_store, """
        SELECT ?id ?title WHERE { ?p kg:aclId ?id ; schema:name ?title .
            VALUES ?id { "M95-1006" "2021.iwcs-1.17" "2023.crac-sharedtask.4" } }"""))
    assert titles == {
        "M95-1006": "BBN: Description of the PLUM System as Used for >MUC-6",
        "2021.iwcs-1.17": "Builder, we have done it: Evaluating & Extending Dialogue-AMR NLU "
                          "Pipeline for Two Collaborative Domains",
        "2023.crac-sharedtask.4": "ÚFAL CorPipe at CRAC 2023: Larger Context Improves "
                                  "Multilingual Coreference Resolution"}


def test_volume_metadata(real_store: EmbeddedStore) -> None:
    found = rows(real_store, """
        SELECT DISTINCT ?volume ?date ?publisher ?key ?event ?where ?front WHERE {
            ?v kg:aclId ?volume ; schema:datePublished ?date ; kg:bibKey ?key ;
               kg:frontMatter ?front ; schema:publisher/schema:name ?publisher ;
               bibo:presentedAt ?e . ?e schema:name ?event ; schema:location ?where }
        ORDER BY ?volume""")
    assert found == [
        ("2021.iwcs-1", "2021-06", "Association for Computational Linguistics",
         "iwcs-2021-international", "IWCS 2021", "Groningen, The Netherlands (online)",
         "https://aclanthology.org/2021.iwcs-1.0.pdf"),
        ("2023.crac-main", "2023-12", "Association for Computational Linguistics",
         "crac-2023-models", "CRAC 2023", "Singapore",
         "https://aclanthology.org/2023.crac-main.0.pdf"),
        ("2023.crac-sharedtask", "2023-12", "Association for Computational Linguistics",
         "crac-2023-crac", "CRAC 2023", "Singapore",
         "https://aclanthology.org/2023.crac-sharedtask.0.pdf")]
    editors = rows(real_store, """
        SELECT ?name ?person WHERE { ?v kg:aclId "2023.crac-main" ; kg:editorship ?slot .
            ?slot kg:position ?position ; kg:nameAsPrinted ?name ; kg:person ?person }
        ORDER BY ?position""")
    assert [name for name, _ in editors] == ["Maciej Ogrodniczuk", "Vincent Ng",
                                             "Sameer Pradhan", "Massimo Poesio"]
    assert editors[2][1] == f"{BASE}person/sameer-pradhan"
    venues = rows(real_store, """SELECT ?key WHERE {
        ?v kg:aclId "2023.crac-main" ; schema:isPartOf ?venue .
        BIND (STRAFTER(STR(?venue), "venue/") AS ?key) } ORDER BY ?key""")
    assert venues == [("crac",), ("ws",)]


def test_old_ids_keep_the_gaps_and_the_year_of_the_collection(real_store: EmbeddedStore) -> None:
    found = rows(real_store, f"""
        SELECT ?id ?date ?pdf ?page WHERE {{ GRAPH {graph("C65.xml")} {{
            ?p kg:aclId ?id ; schema:datePublished ?date ; schema:encoding ?pdf ; schema:url ?page
        }} }} ORDER BY ?id""")
    numbers = [int(acl_id.removeprefix("C65-1")) for acl_id, _, _, _ in found]
    expected = [int(paper.get("id") or 0) for paper in xml_papers(shared("acl-xml/C65.xml"))]
    assert numbers == expected and 4 not in numbers
    assert {date for _, date, _, _ in found} == {"1965"}
    assert found[0][2:] == ("https://aclanthology.org/C65-1001.pdf",
                            "https://aclanthology.org/C65-1001/")


def test_doi_and_page_range(real_store: EmbeddedStore) -> None:
    found = rows(real_store, """
        SELECT ?doi ?same ?pages ?start ?end WHERE {
            ?p kg:aclId "2023.crac-main.2" ; bibo:doi ?doi ; schema:sameAs ?same ;
               bibo:pages ?pages ; bibo:pageStart ?start ; bibo:pageEnd ?end }""")
    assert found == [("10.18653/v1/2023.crac-main.2", "https://doi.org/10.18653/v1/2023.crac-main.2",
                      "8–14", "8", "14")]


def test_same_person_id_is_one_person_across_papers(real_store: EmbeddedStore) -> None:
    found = rows(real_store, """
        SELECT (COUNT(DISTINCT ?paper) AS ?n) WHERE {
            ?person kg:aclPersonId "james-pustejovsky" . ?paper schema:author ?person }""")
    assert found == [("2",)]


def test_reingesting_leaves_the_triple_count_unchanged(tmp_path: Path) -> None:
    paths = [shared("acl-xml/2023.crac.xml"), shared("acl-xml/M95.xml")]
    store = EmbeddedStore(tmp_path / "store")
    ingest(store, paths, base_iri=BASE)
    count = store.quad_count()
    ingest(store, paths, base_iri=BASE)
    ingest(store, paths[:1], base_iri=BASE)
    assert store.quad_count() == count > 1000
    store.close()


# -- every field, on invented volumes -----------------------------------------------------------

def test_titles_and_abstracts_lose_markup_but_no_text(toy_store: EmbeddedStore) -> None:
    [(title, abstract)] = rows(toy_store, """
        SELECT ?title ?abstract WHERE { ?p kg:aclId "2024.toyws-1.1" ; schema:name ?title ;
                                        schema:abstract ?abstract }""")
    assert title == ("Counting $\\alpha^2$-Graphs with BERT: Why Markup Matters at "
                     "https://example.org/toy")
    assert abstract == ("We count graphs of order $n \\leq 10$ in “curly” quotes & en–dashes. "
                        "Code at https://github.com/example/toy; bold, italic and NLP.")


def test_affiliations_as_printed_on_each_paper(toy_store: EmbeddedStore) -> None:
    found = rows(toy_store, """
        SELECT ?id ?name ?affiliation WHERE {
            ?p kg:aclId ?id ; kg:authorship ?slot .
            ?slot kg:nameAsPrinted ?name ; kg:affiliationAsPrinted ?affiliation }
        ORDER BY ?id ?name""")
    assert found == [("2024.toyws-1.1", "Grace Hopper", "Yale University & Harvard"),
                     ("2024.toyws-1.1", "Jürgen Müller-Šťastný", "Univerzita Karlova, Praha"),
                     ("2024.toyws-1.4", "G. Hopper", "Yale")]
    people = rows(toy_store, """
        SELECT (COUNT(DISTINCT ?paper) AS ?n) ?orcid WHERE {
            ?person kg:aclPersonId "grace-hopper" ; schema:sameAs ?orcid .
            ?paper schema:author ?person } GROUP BY ?orcid""")
    assert people == [("2", "https://orcid.org/0000-0001-5109-3700")]


def test_all_caps_name_is_the_same_person(toy_store: EmbeddedStore) -> None:
    found = rows(toy_store, """
        SELECT ?printed ?id WHERE { ?person schema:name "Zhenguo Li" .
            ?paper kg:aclId ?id ; kg:authorship ?slot .
            ?slot kg:person ?person ; kg:nameAsPrinted ?printed } ORDER BY ?id""")
    assert found == [("Zhenguo Li", "2024.toyws-1.1"), ("ZHENGUO LI", "2024.toyws-1.4")]


def test_awards_attachments_videos_revisions_errata(toy_store: EmbeddedStore) -> None:
    paper = '?p kg:aclId "2024.toyws-1.1"'
    assert rows(toy_store, f"SELECT ?a WHERE {{ {paper} ; schema:award ?a }} ORDER BY ?a") == [
        ("Best Paper",), ("Best Resource Paper",)]
    assert rows(toy_store, f"""SELECT ?n ?kind ?url WHERE {{ {paper} ; schema:associatedMedia ?m .
        ?m schema:position ?n ; schema:name ?kind ; schema:contentUrl ?url }} ORDER BY ?n""") == [
        ("1", "Software", "https://aclanthology.org/attachments/2024.toyws-1.1.Software.zip"),
        ("2", "Dataset", "https://aclanthology.org/attachments/2024.toyws-1.1.Dataset.tgz")]
    assert rows(toy_store, f"SELECT ?v WHERE {{ {paper} ; schema:video ?v }}") == [
        ("https://aclanthology.org/2024.toyws-1.1.mp4",)]
    assert rows(toy_store, f"""SELECT ?n ?url ?date ?note WHERE {{ {paper} ; dcterms:hasVersion ?r .
        ?r schema:position ?n ; schema:contentUrl ?url .
        OPTIONAL {{ ?r schema:datePublished ?date }} OPTIONAL {{ ?r schema:description ?note }}
        }} ORDER BY ?n""") == [
        ("1", "https://aclanthology.org/2024.toyws-1.1v1.pdf", "", ""),
        ("2", "https://aclanthology.org/2024.toyws-1.1v2.pdf", "2024-10-02", "Corrected Table 2.")]
    assert rows(toy_store, f"""SELECT ?url ?date WHERE {{ {paper} ; schema:correction ?e .
        ?e schema:contentUrl ?url ; schema:datePublished ?date }}""") == [
        ("https://aclanthology.org/2024.toyws-1.1e1.pdf", "2024-09-01")]


def test_retracted_and_removed_papers_with_their_dates(toy_store: EmbeddedStore) -> None:
    found = rows(toy_store, """
        SELECT ?id ?status ?date ?note WHERE {
            ?p kg:aclId ?id ; kg:retractionDate ?date ; schema:creativeWorkStatus ?status ;
               kg:retractionNote ?note } ORDER BY ?date""")
    assert found == [("2024.toyws-1.2", "Retracted", "2024-11-30",
                      "The results could not be reproduced."),
                     ("2024.toyws-1.4", "Removed", "2025-01-15", "Duplicate of 2024.toyws-1.1.")]


def test_single_names_groups_languages_and_gaps(toy_store: EmbeddedStore) -> None:
    assert rows(toy_store, """SELECT ?kind WHERE { ?p kg:aclId "2024.toyws-1.2" ;
        kg:authorship ?slot . ?slot kg:nameAsPrinted "The ToyNLP Consortium" ; kg:person ?who .
        ?who a ?kind } ORDER BY ?kind""") == [("http://schema.org/Organization",),
                               ("http://xmlns.com/foaf/0.1/Organization",)]
    assert rows(toy_store, """SELECT ?given WHERE { ?who schema:name "Srinivas" .
        OPTIONAL { ?who schema:givenName ?given } }""") == [("",)]
    assert rows(toy_store, """SELECT (LANG(?t) AS ?lang) WHERE {
        ?p kg:aclId "2024.toyws-1.4" ; dcterms:title ?t }""") == [("de",)]
    assert rows(toy_store, """SELECT ?id WHERE { ?p kg:aclId ?id ; schema:isPartOf ?v .
        ?v kg:aclId "2024.toyws-1" } ORDER BY ?id""") == [
        ("2024.toyws-1.1",), ("2024.toyws-1.2",), ("2024.toyws-1.4",)]


def test_explicit_event_short_title_and_volume_links(toy_store: EmbeddedStore) -> None:
    found = rows(toy_store, """
        SELECT ?event ?where ?short ?url ?pdf ?isbn ?doi WHERE {
            ?v kg:aclId "2024.toyws-1" ; bibo:presentedAt ?e ; bibo:shortTitle ?short ;
               schema:url ?url ; schema:encoding ?pdf ; bibo:isbn ?isbn ; bibo:doi ?doi .
            ?e schema:name ?event ; schema:location ?where .
            ?p schema:isPartOf ?v ; bibo:presentedAt ?e }""")
    assert set(found) == {("The First Toy Workshop on Knowledge Graphs",
                           "Bangkok, Thailand and online", "ToyWS 2024",
                           "https://aclanthology.org/volumes/2024.toyws-1/",
                           "https://aclanthology.org/2024.toyws-1.pdf", "979-8-89176-000-1",
                           "10.18653/v1/2024.toyws-1")}
    editors = rows(toy_store, """SELECT ?name WHERE { ?v kg:aclId "2024.toyws-1" ;
        bibo:editorList/rdf:rest*/rdf:first ?who . ?who schema:name ?name }""")
    assert sorted(editors) == [("Ada Lovelace",), ("Émile Zola-Durand",)]


def test_old_style_workshop_ids_have_two_digits_each(toy_store: EmbeddedStore) -> None:
    assert rows(toy_store, """SELECT ?id ?volume ?date WHERE { ?p kg:aclId ?id ;
        schema:datePublished ?date ; schema:isPartOf/kg:aclId ?volume .
        FILTER STRSTARTS(?id, "W99") }""") == [("W99-0207", "W99-02", "1999")]


def test_journal_collections_are_journal_issues(toy_store: EmbeddedStore) -> None:
    assert rows(toy_store, """SELECT ?id ?volume ?date ?start ?end WHERE {
        ?p kg:aclId ?id ; schema:isPartOf ?v ; schema:datePublished ?date ;
           bibo:pageStart ?start ; bibo:pageEnd ?end .
        ?v a bibo:Issue , schema:PublicationIssue ; kg:aclId ?volume }""") == [
        ("J99-4001", "J99-4", "1999-12", "501", "530")]


def test_invented_volumes_conform_with_pyshacl(toy_store: EmbeddedStore) -> None:
    conforms, _, text = pyshacl.validate(to_rdflib(toy_store.quads()), shacl_graph=shapes_graph(),
                                         advanced=True, inference="none")
    assert conforms, text


# -- broken input -------------------------------------------------------------------------------

def errors_of(path: Path) -> list[SourceError]:
    return [item for item in acl_xml.read(path, path.name) if isinstance(item, SourceError)]


def test_every_broken_record_is_reported_with_its_line_and_field() -> None:
    path = FIXTURES / "broken-records.xml"
    found = [(e.source, e.line, e.record, e.field) for e in errors_of(path)]
    assert found == [
        ("broken-records.xml", 13, "2024.broken-1.2", "title"),
        ("broken-records.xml", 18, "2024.broken-1.3", "author.orcid"),
        ("broken-records.xml", 19, "2024.broken-1.3", "author"),
        ("broken-records.xml", 20, "2024.broken-1.3", "doi"),
        ("broken-records.xml", 24, "2024.broken-1.4", "retracted.date"),
        ("broken-records.xml", 26, "2024.broken-1.1", "paper.id")]


def test_skip_invalid_keeps_the_good_records(tmp_path: Path) -> None:
    path = FIXTURES / "broken-records.xml"
    store = EmbeddedStore(tmp_path / "store")
    with pytest.raises(SourceErrors) as refused:
        ingest(store, [path], base_iri=BASE)
    assert len(refused.value.errors) == 6
    assert store.quad_count() == 0
    report = ingest(store, [path], base_iri=BASE, skip_invalid=True)
    assert report.papers == 1 and len(report.skipped) == 6
    assert rows(store, "SELECT ?t { ?p a schema:ScholarlyArticle ; schema:name ?t }") == [
        ("A Good Paper",)]
    store.close()


def test_malformed_xml_names_the_file_and_line(tmp_path: Path) -> None:
    path = FIXTURES / "malformed.xml"
    [error] = errors_of(path)
    assert (error.source, error.line, error.field) == ("malformed.xml", 10, "xml")
    result = run_kg("ingest", str(path), store=tmp_path / "store")
    assert result.returncode == 1
    assert "malformed.xml:10" in result.stderr


@pytest.mark.parametrize(("name", "line"), [("billion-laughs.xml", 2),
                                            ("external-entity.xml", 3)])
def test_entity_declarations_are_refused_at_once(tmp_path: Path, name: str, line: int) -> None:
    path = FIXTURES / name
    started = time.perf_counter()
    [error] = errors_of(path)
    assert time.perf_counter() - started < 2
    assert (error.source, error.line, error.field) == (name, line, "doctype")
    result = run_kg("ingest", str(path), store=tmp_path / "store")
    assert result.returncode == 1
    assert f"{name}:{line}" in result.stderr
    assert "root:" not in result.stderr + result.stdout  # /etc/passwd was never read


def test_a_file_that_is_not_a_collection(tmp_path: Path) -> None:
    path = tmp_path / "page.xml"
    path.write_text("<?xml version='1.0'?>\n<html>\n<body/></html>\n", encoding="utf-8")
    [error] = errors_of(path)
    assert (error.line, error.field) == (2, "collection")


# -- ids, detection and the documented examples ---------------------------------------------------

@pytest.mark.parametrize(("parts", "expected"), [
    (("2021.iwcs", "1", "3"), "2021.iwcs-1.3"), (("2023.crac", "sharedtask", "5"),
                                                 "2023.crac-sharedtask.5"),
    (("C65", "1", "1"), "C65-1001"), (("P18", "1", "42"), "P18-1042"),
    (("W18", "63", "10"), "W18-6310"), (("C69", "1", "2"), "C69-0102"),
    (("D19", "1", "7"), "D19-1007"), (("D19", "57", "2"), "D19-5702"),
    (("C65", "1", None), "C65-1"), (("W18", "63", None), "W18-63"),
])
def test_build_id_follows_the_anthology(parts: tuple[str, str, str | None], expected: str) -> None:
    assert acl_xml.build_id(*parts) == expected


def test_format_is_detected_from_content_and_suffix(tmp_path: Path) -> None:
    assert detect_format(TOY) == "acl-xml"
    assert detect_format(FIXTURES / "billion-laughs.xml") == "acl-xml"
    renamed = tmp_path / "volume.data"
    renamed.write_bytes(TOY.read_bytes())
    assert detect_format(renamed) == "acl-xml"


def test_docstring_examples_run() -> None:
    result = doctest.testmod(acl_xml)
    assert result.attempted > 5 and result.failed == 0


def test_kg_ingest_takes_a_folder_of_xml(tmp_path: Path) -> None:
    folder = tmp_path / "xml"
    folder.mkdir()
    for name in ("2024.toyws.xml", "W99.xml"):
        (folder / name).write_bytes((FIXTURES / name).read_bytes())
    result = run_kg("ingest", str(folder), store=tmp_path / "store")
    assert result.returncode == 0, result.stderr
    store = EmbeddedStore(tmp_path / "store")
    assert rows(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) { ?p a schema:ScholarlyArticle }") == [
        ("4",)]
    store.close()
