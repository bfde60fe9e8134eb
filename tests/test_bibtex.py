"""The BibTeX importer, on the real bibliographies of ../shared/data/bibtex and made-up fixtures.

Expected values are derived from the files themselves wherever they can be (entry counts, keys,
lines of broken blocks), so that the tests check the importer against the input, not against
numbers copied from its own output.
"""

from __future__ import annotations

import doctest
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pyshacl
import pytest
from pyoxigraph import QuerySolutions

from kg.errors import SourceError
from kg.ingest import ingest
from kg.mapper import JOURNAL_CLASSES
from kg.records import Paper, VolumeKind
from kg.sources import bibtex, detect_format, latex
from kg.store import EmbeddedStore
from kg.validate import shapes_graph, to_rdflib
from kg.vocab import SH
from tests.conftest import BASE, TEST_DATA, run_kg, shared
from tests.test_shapes import uncovered

MESSIRVE = "bibtex/ftvalentini__MessirveSpanishIR__custom.bib"
ACL_STYLE = "bibtex/acl-org__acl-style-files__custom.bib"
ERRORS = "bibtex/inukshuk__bibtex-ruby__errors.bib"
FIXTURES = TEST_DATA / "bibtex"
FEATURES = FIXTURES / "features.bib"
BROKEN = FIXTURES / "broken.bib"

PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
"""

# What a block looks like to a reader of the file (not to the importer): ``@type{`` or
# ``@type(`` at the start of a line, the brace possibly on a later line.
_BLOCK = re.compile(r"^[ \t]*@(\w+)\s*[{(]\s*([^,\s]*)", re.MULTILINE)
_NOT_ENTRIES = {"string", "preamble", "comment"}


def read(path: Path) -> tuple[list[Paper], list[SourceError]]:
    papers: list[Paper] = []
    errors: list[SourceError] = []
    for item in bibtex.read(path, path.name):
        if isinstance(item, SourceError):
            errors.append(item)
        else:
            papers.append(item)
    return papers, errors


def entry_blocks(path: Path) -> list[tuple[int, str, str]]:
    """``(line, type, key)`` of every entry block of the file, found with a plain regex."""
    text = path.read_text("utf-8")
    return [(text.count("\n", 0, match.start()) + 1, match.group(1).lower(), match.group(2))
            for match in _BLOCK.finditer(text) if match.group(1).lower() not in _NOT_ENTRIES]


def rows(store: EmbeddedStore, query: str) -> list[tuple[str, ...]]:
    result = store.query(PREFIXES + query)
    assert isinstance(result, QuerySolutions)
    names = [variable.value for variable in result.variables]
    return [tuple(row[name].value if row[name] is not None else "" for name in names)
            for row in result]


def values(store: EmbeddedStore, query: str) -> list[str]:
    return [row[0] for row in rows(store, query)]


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """The two well-formed real bibliographies, ingested together."""
    paths = [shared(MESSIRVE), shared(ACL_STYLE)]
    opened = EmbeddedStore(tmp_path_factory.mktemp("bibtex-real") / "store")
    ingest(opened, paths, base_iri=BASE)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def features_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path_factory.mktemp("bibtex-features") / "store")
    ingest(opened, [FEATURES], base_iri=BASE)
    yield opened
    opened.close()


def graph_of(path: Path) -> str:
    return f"<{BASE}graph/{path.name}>"


# The real bibliographies.

def test_messirve_ingests_every_entry(real_store: EmbeddedStore) -> None:
    path = shared(MESSIRVE)
    expected = {key for _, _, key in entry_blocks(path)}
    assert len(expected) == 33  # the data README's count of this file's entries
    keys = values(real_store, f"""
        SELECT DISTINCT ?key WHERE {{ GRAPH {graph_of(path)} {{ ?paper kg:bibKey ?key ;
            kg:sourceLine ?line }} }}""")
    assert sorted(keys) == sorted(expected)


def test_every_record_keeps_the_line_of_its_entry(real_store: EmbeddedStore) -> None:
    path = shared(MESSIRVE)
    found = rows(real_store, f"""
        SELECT ?key ?line WHERE {{ GRAPH {graph_of(path)} {{
            ?paper kg:bibKey ?key ; kg:sourceLine ?line }} }}""")
    assert sorted((int(line), key) for key, line in found) == sorted(
        (line, key) for line, _, key in entry_blocks(path))


def test_accented_names_are_unicode(real_store: EmbeddedStore) -> None:
    names = set(values(real_store, "SELECT ?name { ?p a schema:Person ; schema:name ?name }"))
    for name in ("Andreas Rücklé", "Mariona Taulé", "M. Antònia Martí", "Heinrich Küttler",
                 "Tim Rocktäschel", "Asier Gutiérrez-Fandiño", "Michał Marcińczuk",
                 "Pavel Přibáň", "Micheline Hancock-Beaulieu", "Gianina Gănceanu",
                 "Christian Müller-Schloer", "Jörg Eberspächer"):
        assert name in names
    assert not [name for name in names if re.search(r"[{}\\~]", name)]


def test_given_and_family_names_come_from_bibtex_splitting(real_store: EmbeddedStore) -> None:
    found = rows(real_store, """
        SELECT ?name ?given ?family { ?p a schema:Person ; schema:name ?name ;
            schema:givenName ?given ; schema:familyName ?family }""")
    parts = {name: (given, family) for name, given, family in found}
    assert parts["Patrick von Platen"] == ("Patrick", "von Platen")  # "von Platen, Patrick"
    assert parts["Teven Le Scao"] == ("Teven", "Le Scao")  # "Le Scao, Teven"
    assert parts["Stephen E. Robertson"] == ("Stephen E.", "Robertson")  # "First Last"
    assert parts["Christian Müller-Schloer"] == ("Christian", "Müller-Schloer")  # {braced} last


def test_no_braces_or_tex_left_in_titles(real_store: EmbeddedStore) -> None:
    titles = values(real_store, "SELECT ?title { ?node schema:name ?title }")
    assert len(titles) > 60
    assert not [title for title in titles if re.search(r"[{}\\]|--", title)]
    assert "REPLUG: Retrieval-Augmented Black-Box Language Models" in titles
    assert "AnCora: Multilevel Annotated Corpora for Catalan and Spanish" in titles
    assert "Foundations and Trends® in Information Retrieval" in titles
    assert "AUTONOMOUS AGENTS IN ORGANIZED LOCALITIES: METAMODEL AND CONCEPTUAL ARCHITECTURE" \
        in titles  # triple braces


def test_and_others_is_an_incomplete_list_not_a_person(real_store: EmbeddedStore) -> None:
    path = shared(MESSIRVE)
    text = path.read_text("utf-8")
    with_others = {key for line, _, key in entry_blocks(path)
                   if re.search(r"\band\s+others\b", _entry_text(text, line))}
    assert len(with_others) >= 3
    incomplete = values(real_store, """
        SELECT ?key { ?p kg:authorListComplete false ; kg:bibKey ?key }""")
    assert sorted(incomplete) == sorted(with_others)
    assert values(real_store, """
        SELECT ?who { { ?who schema:name ?n } UNION { ?who kg:nameAsPrinted ?n }
            FILTER (LCASE(STR(?n)) = "others") }""") == []


def _entry_text(text: str, line: int) -> str:
    """The text of the entry starting at ``line`` (1-based), up to the next line-start ``@``."""
    lines = text.splitlines()[line - 1:]
    end = next((i for i, value in enumerate(lines[1:], start=1) if value.startswith("@")),
               len(lines))
    return "\n".join(lines[:end])


def test_entry_types_become_fitting_classes(real_store: EmbeddedStore) -> None:
    found = dict(rows(real_store, """
        SELECT ?key (GROUP_CONCAT(STR(?type); separator=" ") AS ?types) {
            ?p kg:bibKey ?key ; a ?type } GROUP BY ?key"""))
    assert "http://purl.org/ontology/bibo/Thesis" in found["huhn2010autonomous"]
    assert "http://purl.org/ontology/bibo/Report" in found["barker2003guideline"]
    assert "http://purl.org/ontology/bibo/Book" in found["lin2022pretrained"]
    assert "http://purl.org/ontology/bibo/AcademicArticle" in found["ram2023incontext"]
    assert "http://purl.org/ontology/bibo/AcademicArticle" in found["shi2024replug"]
    assert "http://purl.org/ontology/bibo/Document" in found["bonifacio2021mmarco"]


def test_acl_style_files_thesis_report_and_corporate_institution(
        real_store: EmbeddedStore) -> None:
    found = rows(real_store, f"""
        SELECT ?key ?degree ?publisher ?language {{ GRAPH {graph_of(shared(ACL_STYLE))} {{
            ?p kg:bibKey ?key ; schema:publisher/schema:name ?publisher ;
                schema:inLanguage ?language OPTIONAL {{ ?p bibo:degree ?degree }} }}
        }} ORDER BY ?key""")
    assert found == [
        ("barker2003guideline", "", "National Institute of Standards and Technology", "en"),
        ("eichlerCartoCarCommunication2006", "http://purl.org/ontology/bibo/degrees/phd",
         "VDE Verlag", "de"),  # langid = {german}
        ("huhn2010autonomous", "http://purl.org/ontology/bibo/degrees/phd",
         "Technische Universität Clausthal", "en")]
    # the double-braced institution is one organisation, not a person
    assert values(real_store, """
        SELECT ?type { ?o schema:name "National Institute of Standards and Technology" ; a ?type }
        ORDER BY ?type""") == ["http://schema.org/Organization",
                               "http://xmlns.com/foaf/0.1/Organization"]
    # "NIST SP 800-59" as pages is kept as printed, not split into a range
    assert rows(real_store, """
        SELECT ?pages ?start { ?p kg:bibKey "barker2003guideline" ; bibo:pages ?pages
            OPTIONAL { ?p bibo:pageStart ?start } }""") == [("NIST SP 800-59", "")]


def test_dates_keep_their_precision(real_store: EmbeddedStore) -> None:
    found = dict(rows(real_store, """
        SELECT ?key ?date { ?p kg:bibKey ?key ; schema:datePublished ?date }"""))
    assert found["shi2024replug"] == "2024-06"  # month = jun
    assert found["zhang2023miracl"] == "2023-09"  # month = {09}
    assert found["huhn2010autonomous"] == "2010-12"  # month = dec
    assert found["lin2022pretrained"] == "2022"
    datatypes = set(values(real_store, """
        SELECT DISTINCT (DATATYPE(?date) AS ?type) { ?p kg:bibKey ?k ; schema:datePublished ?date }
    """))
    assert datatypes == {"http://www.w3.org/2001/XMLSchema#gYear",
                         "http://www.w3.org/2001/XMLSchema#gYearMonth"}


def test_journal_articles_are_in_an_issue_of_their_journal(real_store: EmbeddedStore) -> None:
    found = rows(real_store, """
        SELECT ?key ?volume ?issue ?journal ?issn {
            ?p kg:bibKey ?key ; schema:isPartOf ?number .
            ?number a bibo:Issue ; bibo:volume ?volume ; schema:isPartOf ?j .
            OPTIONAL { ?number bibo:issue ?issue }
            ?j a bibo:Journal ; schema:name ?journal . OPTIONAL { ?j bibo:issn ?issn }
        } ORDER BY ?key""")
    assert ("izacard2023atlas", "24", "251", "Journal of Machine Learning Research", "") in found
    assert ("ram2023incontext", "11", "",
            "Transactions of the Association for Computational Linguistics", "2307-387X") in found
    # both TACL papers of volume 11 are in the one issue node
    assert len(set(values(real_store, """
        SELECT ?issue { ?p kg:bibKey ?key ; schema:isPartOf ?issue . ?issue bibo:volume "11" .
            FILTER (?key IN ("ram2023incontext", "zhang2023miracl")) }"""))) == 1


def test_dois_and_urls(real_store: EmbeddedStore) -> None:
    found = dict(rows(real_store, """
        SELECT ?key ?doi { ?p kg:bibKey ?key ; bibo:doi ?doi }"""))
    assert found["ram2023incontext"] == "10.1162/tacl_a_00605"
    urls = dict(rows(real_store, "SELECT ?key ?url { ?p kg:bibKey ?key ; schema:url ?url }"))
    assert urls["ram2023incontext"] == "https://doi.org/10.1162/tacl_a_00605"  # \_ unescaped
    assert urls["jurafsky2024slp"] == "https://web.stanford.edu/~jurafsky/slp3/"  # ~ kept
    assert urls["attardi2015wikiextractor"] == "https://github.com/attardi/wikiextractor"
    assert urls["bonifacio2021mmarco"] == "https://arxiv.org/abs/2108.13897"  # from eprint


def test_the_real_store_conforms_with_pyshacl(real_store: EmbeddedStore) -> None:
    data = to_rdflib(real_store.quads())
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes_graph(), advanced=True,
                                         inference="none")
    assert conforms, text
    assert list(uncovered(data)) == []


# errors.bib: deliberately broken blocks, each annotated in the file by the line before it
# ("Unterminated string:", "Better syntax:" ...): blocks under "Valid ..." / "Better ..."
# are the valid ones.

def _annotated_blocks(path: Path) -> list[tuple[int, str, bool]]:
    """``(line, type, valid)`` per block, validity read from the file's own annotations."""
    lines = path.read_text("utf-8").splitlines()
    found = []
    note = ""
    for number, text in enumerate(lines, start=1):
        if re.match(r"^[A-Z].*:\s*$", text):
            note = text
        match = re.match(r"^\s*@(\w+)", text)
        if match:
            valid = note.startswith(("Valid", "A valid", "Better"))
            found.append((number, match.group(1).lower(), valid))
    return found


def _block_of(line: int, starts: list[int]) -> int:
    return max(start for start in starts if start <= line)


def test_errors_bib_fails_with_one_message_per_broken_block_at_its_line(
        tmp_path: Path) -> None:
    path = shared(ERRORS)
    blocks = _annotated_blocks(path)
    broken = [line for line, _, valid in blocks if not valid]
    assert len(broken) >= 8
    result = run_kg("ingest", str(path), store=tmp_path / "store")
    assert result.returncode == 1, result.stderr
    reported = [int(line) for line in re.findall(rf"{re.escape(str(path))}:(\d+):", result.stderr)]
    starts = [line for line, _, _ in blocks]
    assert sorted(_block_of(line, starts) for line in reported) == broken
    assert f"{len(broken)} record(s) could not be read; nothing was written" in result.stderr
    if (tmp_path / "store").exists():
        store = EmbeddedStore(tmp_path / "store")
        assert store.quad_count() == 0
        store.close()


def test_errors_bib_with_skip_invalid_keeps_the_valid_entries(tmp_path: Path) -> None:
    path = shared(ERRORS)
    text = path.read_text("utf-8")
    valid_entries = [line for line, kind, valid in _annotated_blocks(path)
                     if valid and kind not in _NOT_ENTRIES]
    expected = sorted(title for line in valid_entries
                      for title in re.findall(r'title\s*=\s*"([^"]*)"', _entry_text(text, line)))
    assert len(expected) == len(valid_entries) >= 1
    result = run_kg("ingest", "--skip-invalid", str(path), store=tmp_path / "store")
    assert result.returncode == 0, result.stderr
    store = EmbeddedStore(tmp_path / "store")
    try:
        titles = values(store, "SELECT ?t { ?p kg:bibKey ?k ; schema:name ?t }")
        lines = values(store, "SELECT ?l { ?p kg:bibKey ?k ; kg:sourceLine ?l }")
    finally:
        store.close()
    assert sorted(titles) == expected
    assert sorted(int(line) for line in lines) == valid_entries


# Made-up fixtures: crossref, @string, names, kinds.

def test_string_macros_concatenation_and_crossref() -> None:
    papers, errors = read(FEATURES)
    assert errors == []
    by_key = {paper.bibkey: paper for paper in papers}
    parent, child = by_key["wib-2031"], by_key["vanderberg-2031-first"]
    # @string wib = procs # {...}, with procs defined as "Procs" (macro names ignore case)
    assert parent.title == "Proceedings of the First Workshop on Invented Benchmarks"
    assert child.volume is not None
    assert child.volume.title == parent.title  # the parent's title is the child's booktitle
    assert child.volume.kind is VolumeKind.PROCEEDINGS
    assert [e.name for e in child.volume.editors] == ["Jane Doe", "Richard Roe"]
    assert child.volume.publisher == "Association for Computational Linguistics"
    assert child.volume.address == "Nowhere, Atlantis"
    assert child.date is not None and child.date.lexical == "2031-03"  # year inherited, month = mar
    other = by_key["who-2031-report"]
    assert other.volume is not None
    assert other.volume.title == parent.title + ", Volume 2"  # macro # "literal"
    assert other.doi == "10.99999/FAKE.2031.2"
    assert other.date is not None and other.date.lexical == "2031-12"


def test_name_forms_particles_suffixes_and_others() -> None:
    papers, _ = read(FEATURES)
    child = next(paper for paper in papers if paper.bibkey == "vanderberg-2031-first")
    assert [(a.name, a.given, a.family) for a in child.authors] == [
        ("Anna van der Berg", "Anna", "van der Berg"),
        ("José de la Cruz", "José", "de la Cruz"),
        ("Ada Lovelace Jr", "Ada", "Lovelace"),  # "Last, Jr, First"
        ("Ion Grădinaru", "Ion", "Grădinaru")]  # {\u a}
    assert child.authors_complete is False
    assert not any(a.is_organization for a in child.authors)


def test_corporate_author_is_one_organisation(features_store: EmbeddedStore) -> None:
    found = rows(features_store, """
        SELECT ?position ?name ?type { ?p kg:bibKey "who-2031-report" ; kg:authorship ?slot .
            ?slot kg:position ?position ; kg:person ?who . ?who schema:name ?name ; a ?type .
            FILTER (?type IN (schema:Person, schema:Organization)) } ORDER BY ?position""")
    assert found == [("1", "World Health Organization", "http://schema.org/Organization"),
                     ("2", "Jörg Müller", "http://schema.org/Person")]
    assert values(features_store, """
        SELECT ?n { ?p a schema:Person ; schema:name ?n FILTER (CONTAINS(?n, "World")) }""") == []


def test_kinds_degrees_and_details(features_store: EmbeddedStore) -> None:
    def one(query: str) -> list[tuple[str, ...]]:
        return rows(features_store, query)

    kinds = dict(one("""SELECT ?key (GROUP_CONCAT(STR(?t); separator=" ") AS ?types) {
        ?p kg:bibKey ?key ; a ?t } GROUP BY ?key"""))
    expected_class = {
        "student-2029-things": "bibo/Thesis", "scholar-2030-more": "bibo/Thesis",
        "writer-2028-journal": "bibo/AcademicArticle", "author-2027-chapter": "bibo/Chapter",
        "editor-2026-edited": "bibo/Book", "lab-2025-report": "bibo/Report",
        "maker-2024-manual": "bibo/Manual", "site-2030-page": "bibo/Webpage",
        "coder-2030-tool": "bibo/Document",  # @software: unknown, so misc
        "wib-2031": "bibo/Document"}  # @proceedings: unknown as a record, so misc
    for key, cls in expected_class.items():
        assert f"http://purl.org/ontology/bibo/{cls.split('/')[1]}" in kinds[key].split(), key
    assert dict(one("SELECT ?key ?d { ?p kg:bibKey ?key ; bibo:degree ?d }")) == {
        "student-2029-things": "http://purl.org/ontology/bibo/degrees/ma",
        "scholar-2030-more": "http://purl.org/ontology/bibo/degrees/phd"}
    assert dict(one("SELECT ?key ?l { ?p kg:bibKey ?key ; schema:inLanguage ?l }"))[
        "student-2029-things"] == "de"  # langid = {ngerman}
    assert one("""SELECT ?d (DATATYPE(?d) AS ?t) ?l ?url { ?p kg:bibKey "site-2030-page" ;
        schema:datePublished ?d ; schema:inLanguage ?l ; schema:url ?url }""") == [
        ("2030-02-14", "http://www.w3.org/2001/XMLSchema#date", "en-GB",
         "https://example.org/~page_1")]
    assert one("""SELECT ?n ?ed ?isbn ?note ?pub { ?p kg:bibKey "editor-2026-edited" ;
        bibo:editorList/rdf:first/schema:name ?n ; bibo:edition ?ed ; bibo:isbn ?isbn ;
        schema:description ?note ; schema:publisher/schema:name ?pub }""") == [
        ("Eve Editor", "2nd", "0-00-000002-1", "An invented note", "Imaginary Press")]
    assert one("""SELECT ?book ?editor ?isbn ?place { ?p kg:bibKey "author-2027-chapter" ;
        schema:isPartOf ?b . ?b a bibo:Book ; schema:name ?book ;
        schema:editor/schema:name ?editor ; bibo:isbn ?isbn ; kg:publicationPlace ?place }""") == [
        ("The Invented Handbook", "Eve Editor", "978-0-00-000001-9", "Nowhere")]
    assert one("""SELECT ?number ?pub { ?p kg:bibKey "lab-2025-report" ; bibo:number ?number ;
        schema:publisher/schema:name ?pub }""") == [("TR-7", "Laboratory of Made-Up Research")]
    assert one("""SELECT ?issue ?issn ?pub { ?p kg:bibKey "writer-2028-journal" ;
        schema:isPartOf ?i . ?i bibo:issue ?issue ; schema:isPartOf ?j . ?j bibo:issn ?issn ;
        schema:publisher/schema:name ?pub }""") == [("3", "1234-5679", "Imaginary Press")]


def test_features_store_conforms_and_every_term_has_a_shape(
        features_store: EmbeddedStore) -> None:
    data = to_rdflib(features_store.quads())
    conforms, _, text = pyshacl.validate(data, shacl_graph=shapes_graph(), advanced=True,
                                         inference="none")
    assert conforms, text
    assert list(uncovered(data)) == []
    targets = {str(cls) for cls in shapes_graph().objects(None, SH.targetClass)}
    assert {str(cls) for cls in JOURNAL_CLASSES} <= targets


def test_broken_entries_are_reported_each_with_line_record_and_field() -> None:
    text = BROKEN.read_text("utf-8").splitlines()

    def line_of(fragment: str, occurrence: int = 1) -> int:
        hits = [number for number, value in enumerate(text, start=1) if fragment in value]
        return hits[occurrence - 1]

    papers, errors = read(BROKEN)
    assert [(e.line, e.record, e.field) for e in errors] == [
        (line_of("@misc{good-one", 2), "good-one", "key"),
        (line_of("nosuchmacro"), "undefined-macro", "publisher"),
        (line_of("in press"), "bad-year", "year"),
        (line_of("@misc{no-title"), "no-title", "title"),
        (line_of("not-a-doi"), "bad-doi", "doi"),
        (line_of("no-such-entry"), "lost-parent", "crossref"),
        (line_of("Title = {Second"), "twice-title", "title"),
        (line_of("@misc{unclosed-brace"), "unclosed-brace", "title")]
    assert all(e.source == "broken.bib" for e in errors)
    assert [(p.bibkey, p.location.line) for p in papers] == [
        ("good-one", line_of("@misc{good-one")), ("good-two", line_of("@misc{good-two")),
        ("good-three", line_of("@misc{good-three"))]


def test_a_huge_unterminated_brace_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "huge.bib"
    head = (FIXTURES / "unterminated.bib").read_text("utf-8")
    with path.open("w", encoding="utf-8") as handle:
        handle.write(head)
        chunk = "{" * 1024 + " never closed\n"
        for _ in range((100 << 20) // len(chunk) + 1):
            handle.write(chunk)
    assert path.stat().st_size >= 100 << 20
    started = time.perf_counter()
    papers, errors = read(path)
    elapsed = time.perf_counter() - started
    assert elapsed < 15, f"took {elapsed:.1f} s"
    assert [p.bibkey for p in papers] == ["before"]
    (error,) = errors
    assert (error.line, error.record) == (head.splitlines().index(
        "@misc{open-forever,") + 1, "open-forever")


def test_reingesting_leaves_the_triple_count_unchanged(tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    store = EmbeddedStore(store_path)
    try:
        ingest(store, [FEATURES], base_iri=BASE)
        count = store.quad_count()
        names = store.named_graphs()
        ingest(store, [FEATURES], base_iri=BASE)
        assert store.quad_count() == count
        assert store.named_graphs() == names
    finally:
        store.close()


def test_format_is_detected_from_content_and_suffix(tmp_path: Path) -> None:
    assert detect_format(FEATURES) == "bibtex"
    odd = tmp_path / "refs.txt"
    odd.write_text("% a comment first\n@Article{k, title = {T}}\n", "utf-8")
    assert detect_format(odd) == "bibtex"
    assert bibtex.looks_like("pdf bib\nA Title\n") is False


@pytest.mark.parametrize(("tex", "text"), [
    (r"R{\"u}ckl{\'e}", "Rücklé"),
    (r"{\u a}", "ă"),
    (r"Mart{\'\i}", "Martí"),
    (r"{{AUTONOMOUS AGENTS}}: {{METAMODEL}}", "AUTONOMOUS AGENTS: METAMODEL"),
    (r"john wiley \& sons", "john wiley & sons"),
    (r"pages 1--7, 50\% and 50% too", "pages 1–7, 50% and 50% too"),
    (r"$\alpha$-divergence", r"$\alpha$-divergence"),
    (r"\mbox{kept} \texttt{also} \unknownmacro", r"kept also \unknownmacro"),
    (r"at \url{https://x.org/~a%20b}", "at https://x.org/~a%20b"),
    ("two\n   lines", "two lines"),
])
def test_latex_to_text(tex: str, text: str) -> None:
    assert latex.latex_to_text(tex) == text


def test_docstring_examples_run() -> None:
    failures, tried = doctest.testmod(latex)
    assert (failures, tried > 0) == (0, True)
