"""The real `kg` command (``python -m kg`` in a subprocess): exit codes, formats, messages."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pyoxigraph
import pytest
from pyoxigraph import QueryBoolean, QueryResultsFormat, QuerySolutions, RdfFormat

from kg.iris import IriMinter
from kg.store import EmbeddedStore
from tests.conftest import TEST_DATA, run_kg

PAGES = TEST_DATA / "author-pages"
WELL_FORMED = PAGES / "well-formed.txt"
PREFIXES = ("PREFIX schema: <http://schema.org/> "
            "PREFIX kg: <https://w3id.org/scholarly-kg/ontology#> ")
AUTHORS_QUERY = PREFIXES + """
SELECT ?position ?name WHERE {
    ?paper schema:name "Two Paragraphs on Analytical Machines"@en ; kg:authorship ?slot .
    ?slot kg:position ?position ; kg:nameAsPrinted ?name .
} ORDER BY ?position"""
NAMES_QUERY = PREFIXES + """
CONSTRUCT { ?p schema:name ?n } WHERE { ?p a schema:Person ; schema:name ?n }"""


def printed_authors(title: str) -> list[str]:
    """The authors of ``title`` as the page prints them (the line after the title)."""
    lines = WELL_FORMED.read_text("utf-8").splitlines()
    return lines[lines.index(title) + 1].split(" | ")


AUTHORS = printed_authors("Two Paragraphs on Analytical Machines")


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, result.stderr
    return result


def failed(result: subprocess.CompletedProcess[str], code: int) -> str:
    """stderr of a run that must exit with ``code``, with a clear message and no traceback."""
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stderr


def store_quads(path: Path) -> set[pyoxigraph.Quad]:
    store = EmbeddedStore(path)
    try:
        return set(store.quads())
    finally:
        store.close()


def titles(path: Path) -> set[str]:
    store = EmbeddedStore(path)
    try:
        result = store.query(
            PREFIXES + "SELECT ?t { ?p a schema:ScholarlyArticle ; schema:name ?t }")
        assert isinstance(result, QuerySolutions)
        return {row["t"].value for row in result}
    finally:
        store.close()


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with ``well-formed.txt`` ingested by the real command."""
    store = tmp_path_factory.mktemp("cli") / "store"
    ok(run_kg("ingest", str(WELL_FORMED), store=store))
    return store


# Usage errors: exit 2

@pytest.mark.parametrize("args", [
    (),
    ("frobnicate",),
    ("ingest",),
    ("ingest", "--format", "docx", "x.txt"),
    ("query",),
    ("query", "--format", "yaml", "ASK {}"),
    ("dump", "--format", "rdfxml"),
    ("stats", "--no-such-option"),
])
def test_usage_errors_exit_2(args: tuple[str, ...], tmp_path: Path) -> None:
    stderr = failed(run_kg(*args, store=tmp_path / "store"), 2)
    assert "usage: kg" in stderr
    assert not (tmp_path / "store").exists()


def test_an_unusable_base_iri_is_a_usage_error(tmp_path: Path) -> None:
    stderr = failed(run_kg("validate", "--base-iri", "ftp://example.org/", str(WELL_FORMED),
                           store=tmp_path / "store"), 2)
    assert stderr.startswith("kg: error: ")
    assert "base IRI must be an absolute http(s) IRI" in stderr and "base_iri" in stderr


def test_a_select_format_for_a_graph_result_is_a_usage_error(ingested: Path) -> None:
    stderr = failed(run_kg("query", "--format", "csv", NAMES_QUERY, store=ingested), 2)
    assert "a graph result cannot be written as 'csv'" in stderr


def test_version() -> None:
    assert ok(run_kg("--version")).stdout.startswith("kg ")


# kg query, each output format read back with a real parser

def test_query_json(ingested: Path) -> None:
    document = json.loads(ok(run_kg("query", "--format", "json", AUTHORS_QUERY,
                                    store=ingested)).stdout)
    assert document["head"]["vars"] == ["position", "name"]
    rows = document["results"]["bindings"]
    assert [row["name"]["value"] for row in rows] == AUTHORS
    assert [row["position"]["value"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["position"]["datatype"] == "http://www.w3.org/2001/XMLSchema#integer"


def test_query_json_is_the_default(ingested: Path) -> None:
    assert json.loads(ok(run_kg("query", AUTHORS_QUERY, store=ingested)).stdout)["head"]


@pytest.mark.parametrize("name", ["xml", "tsv", "json"])
def test_query_xml_tsv_json_with_pyoxigraph(ingested: Path, name: str) -> None:
    output = ok(run_kg("query", "--format", name, AUTHORS_QUERY, store=ingested)).stdout
    result = pyoxigraph.parse_query_results(output, QueryResultsFormat.from_extension(name))
    assert isinstance(result, QuerySolutions)
    rows = [(row["position"], row["name"]) for row in result]
    assert [name.value for _, name in rows] == AUTHORS
    assert [int(position.value) for position, _ in rows] == [1, 2, 3]


def test_query_csv(ingested: Path) -> None:
    output = ok(run_kg("query", "--format", "csv", AUTHORS_QUERY, store=ingested)).stdout
    rows = list(csv.reader(io.StringIO(output)))
    assert rows == [["position", "name"], *([str(i), n] for i, n in enumerate(AUTHORS, 1))]


def test_query_ask(ingested: Path) -> None:
    ask = PREFIXES + 'ASK { ?p schema:name "Ada Lovelace" }'
    output = ok(run_kg("query", "--format", "xml", ask, store=ingested)).stdout
    result = pyoxigraph.parse_query_results(output, QueryResultsFormat.XML)
    assert isinstance(result, QueryBoolean) and bool(result)


@pytest.mark.parametrize(("name", "fmt"), [("turtle", RdfFormat.TURTLE),
                                           ("ntriples", RdfFormat.N_TRIPLES)])
def test_construct_in_turtle_and_ntriples(ingested: Path, name: str, fmt: RdfFormat) -> None:
    output = ok(run_kg("query", "--format", name, NAMES_QUERY, store=ingested)).stdout
    names = {t.object.value for t in pyoxigraph.parse(output, format=fmt)}
    assert names == {"Ada Lovelace", "Charles Babbage", "Mary Somerville"}


def test_construct_defaults_to_turtle(ingested: Path) -> None:
    output = ok(run_kg("query", NAMES_QUERY, store=ingested)).stdout
    assert len(list(pyoxigraph.parse(output, format=RdfFormat.TURTLE))) == 3


def test_query_from_stdin_and_from_a_file(ingested: Path, tmp_path: Path) -> None:
    from_stdin = ok(run_kg("query", "--format", "csv", "-", stdin=AUTHORS_QUERY, store=ingested))
    query_file = tmp_path / "authors.rq"
    query_file.write_text(AUTHORS_QUERY, "utf-8")
    from_file = ok(run_kg("query", "--format", "csv", f"@{query_file}", store=ingested))
    from_argument = ok(run_kg("query", "--format", "csv", AUTHORS_QUERY, store=ingested))
    assert from_stdin.stdout == from_file.stdout == from_argument.stdout
    assert AUTHORS[0] in from_stdin.stdout


def test_a_sparql_syntax_error_exits_1_with_the_parsers_message(ingested: Path) -> None:
    bad = "SELECT ?s WHERE { ?s ?p }"
    with pytest.raises(SyntaxError) as parser:
        pyoxigraph.Store().query(bad)
    stderr = failed(run_kg("query", bad, store=ingested), 1)
    assert stderr.startswith("kg: error: SPARQL syntax error: ")
    assert str(parser.value) in stderr


# kg validate, kg stats

def test_validate_writes_nothing(tmp_path: Path) -> None:
    store = tmp_path / "never"
    result = ok(run_kg("validate", str(WELL_FORMED), store=store))
    assert result.stdout.startswith("4 records in 1 file(s) conform to the shapes")
    assert not store.exists()


def test_validate_reports_every_broken_record(tmp_path: Path) -> None:
    page = PAGES / "broken.txt"
    stderr = failed(run_kg("validate", str(page), store=tmp_path / "never"), 1)
    assert "6 record(s) could not be read; nothing was written" in stderr
    for line in (3, 10, 13, 18, 23, 37):
        assert f"{page}:{line}: " in stderr
    assert not (tmp_path / "never").exists()


def test_stats_json(ingested: Path) -> None:
    stats = json.loads(ok(run_kg("stats", "--json", store=ingested)).stdout)
    # 4 papers by 3 people in 4 volumes (ACL 2024, Findings ACL 2024, EMNLP 2024, ACL 2023)
    assert {k: stats[k] for k in ("papers", "people", "volumes", "named_graphs")} == {
        "papers": 4, "people": 3, "volumes": 4, "named_graphs": 1}
    assert stats["quads"] == len(store_quads(ingested))
    text = ok(run_kg("stats", store=ingested)).stdout
    assert f"quads: {stats['quads']}" in text


# kg ingest

def test_skip_invalid_keeps_the_valid_records_and_reports_the_other(tmp_path: Path) -> None:
    store, page = tmp_path / "store", PAGES / "one-broken.txt"
    stderr = failed(run_kg("ingest", str(page), store=store), 1)
    assert f"{page}:11: " in stderr and "'title'" in stderr
    assert store_quads(store) == set()
    result = ok(run_kg("ingest", "--skip-invalid", str(page), store=store))
    assert "kg: skipped 1 invalid record(s):" in result.stderr
    assert f"{page}:11: " in result.stderr
    assert result.stdout.startswith("ingested 2 records from 1 file(s)")
    assert titles(store) == {"The First Valid Paper", "The Second Valid Paper"}
    strict = run_kg("ingest", "--skip-invalid", "--strict-exit", str(page), store=store)
    assert strict.returncode == 1
    assert titles(store) == {"The First Valid Paper", "The Second Valid Paper"}


def test_base_iri_from_the_environment_and_the_flag(tmp_path: Path) -> None:
    env = {"KG_BASE_IRI": "http://example.org/kg/"}
    ok(run_kg("ingest", str(WELL_FORMED), store=tmp_path / "env", env=env))
    ok(run_kg("ingest", "--base-iri", "http://flag.example/", str(WELL_FORMED),
              store=tmp_path / "flag", env=env))
    for folder, base in (("env", "http://example.org/kg/"), ("flag", "http://flag.example/")):
        quads = store_quads(tmp_path / folder)
        subjects = {q.subject.value for q in quads if isinstance(q.subject, pyoxigraph.NamedNode)}
        assert subjects and all(s.startswith(base) for s in subjects)
        assert {q.graph_name for q in quads} == {
            pyoxigraph.NamedNode(IriMinter(base).graph("well-formed.txt"))}
        assert f"{base}person/ada-lovelace" in subjects


def test_ingest_a_folder(tmp_path: Path) -> None:
    folder = tmp_path / "pages"
    (folder / "more").mkdir(parents=True)
    shutil.copy(WELL_FORMED, folder / "a.txt")
    shutil.copy(PAGES / "one-broken.txt", folder / "more" / "b.txt")
    (folder / "notes.md").write_text("not an input", "utf-8")
    result = ok(run_kg("ingest", "--skip-invalid", str(folder), store=tmp_path / "store"))
    assert result.stdout.startswith("ingested 6 records from 2 file(s)")


def test_two_inputs_with_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(WELL_FORMED, tmp_path / "a" / "page.txt")
    shutil.copy(WELL_FORMED, tmp_path / "b" / "page.txt")
    stderr = failed(run_kg("ingest", str(tmp_path / "a" / "page.txt"),
                           str(tmp_path / "b" / "page.txt"), store=tmp_path / "store"), 2)
    assert "two input files share the name 'page.txt'" in stderr


def test_a_missing_input_file(tmp_path: Path) -> None:
    stderr = failed(run_kg("ingest", str(tmp_path / "absent.txt"), store=tmp_path / "store"), 1)
    assert f"kg: error: {tmp_path / 'absent.txt'}: no such file" in stderr


# Unusable store locations: exit 1, a clear message, no traceback

@pytest.mark.parametrize("command", [("stats",), ("query", "ASK {}"), ("dump",),
                                     ("ingest", str(WELL_FORMED))])
def test_a_store_location_that_is_a_file(tmp_path: Path, command: tuple[str, ...]) -> None:
    location = tmp_path / "store"
    location.write_text("not a store", "utf-8")
    stderr = failed(run_kg(*command, store=location), 1)
    assert f"kg: error: {location}: the store location is a file, not a folder" in stderr
    assert location.read_text("utf-8") == "not a store"


@pytest.mark.parametrize("command", [("stats",), ("ingest", str(WELL_FORMED))])
def test_a_store_location_that_is_another_folder(tmp_path: Path,
                                                  command: tuple[str, ...]) -> None:
    location = tmp_path / "documents"
    location.mkdir()
    (location / "thesis.tex").write_text("\\documentclass{article}", "utf-8")
    stderr = failed(run_kg(*command, store=location), 1)
    assert f"kg: error: {location}: the folder is not empty and holds no store" in stderr
    assert sorted(p.name for p in location.iterdir()) == ["thesis.tex"]


# kg dump / kg load through the command

def test_dump_to_stdout_and_load_it_back(ingested: Path, tmp_path: Path) -> None:
    dumped = ok(run_kg("dump", "--format", "nquads", store=ingested)).stdout
    quads = set(pyoxigraph.parse(dumped, format=RdfFormat.N_QUADS))
    assert quads == store_quads(ingested)
    (tmp_path / "dump.nq").write_text(dumped, "utf-8")
    result = ok(run_kg("load", str(tmp_path / "dump.nq"), store=tmp_path / "restored"))
    assert result.stdout.startswith(f"loaded {len(quads)} statements")
    assert store_quads(tmp_path / "restored") == quads


def test_load_of_a_broken_file_names_it(tmp_path: Path) -> None:
    broken = tmp_path / "broken.nq"
    broken.write_text("<http://example.org/s> <http://example.org/p> .\n", "utf-8")
    stderr = failed(run_kg("load", str(broken), store=tmp_path / "store"), 1)
    assert f"kg: error: {broken}:1: not valid" in stderr
