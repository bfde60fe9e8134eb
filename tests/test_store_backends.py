"""One backend test suite for every store: embedded pyoxigraph, `oxigraph serve`, Virtuoso 7.

The servers are real (``tests/servers.py``), started once per session on 127.0.0.1; each test
starts from an empty store. The embedded store holding the bundled example (``example_store``)
is the reference: every backend must give its counts, its answers and its dumps, byte for byte.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from pyoxigraph import (
    DefaultGraph,
    NamedNode,
    Quad,
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
)

from kg.cli import main
from kg.dump import DumpFormat, dump, load
from kg.errors import ConfigError, KGError, QueryError, StoreError
from kg.ingest import ingest
from kg.stats import collect
from kg.store import EmbeddedStore, RemoteStore, Store, open_store
from kg.store.http import Credentials
from kg.store.remote import (
    PENDING,
    STAGING_PREFIX,
    STALE_STAGING_SECONDS,
    RemoteConfig,
    ServerKind,
    detect_kind,
    query_form,
    remote_config,
)
from tests import servers
from tests.conftest import BASE, EXAMPLE, run_kg

BACKENDS = ["embedded", "oxigraph", "virtuoso"]
REMOTE = ["oxigraph", "virtuoso"]

PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
"""
COAUTHORS = PREFIXES + """SELECT ?name (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?me schema:name "Zhenguo Li" . ?paper schema:author ?me , ?other .
  FILTER (?other != ?me) ?other schema:name ?name .
} GROUP BY ?name ORDER BY DESC(?papers) ?name LIMIT 5"""
QUERIES = {
    "co-authors": COAUTHORS,
    "papers": PREFIXES + """SELECT ?paper ?title ?year WHERE {
        ?paper a schema:ScholarlyArticle ; schema:name ?title ; schema:datePublished ?year }
        ORDER BY ?paper""",
    "authors in order (property path)": PREFIXES + """SELECT ?paper ?name WHERE {
        ?paper bibo:authorList/rdf:rest*/rdf:first ?person . ?person schema:name ?name }""",
    "per year": PREFIXES + """SELECT ?year (COUNT(DISTINCT ?paper) AS ?n) WHERE {
        ?paper a schema:ScholarlyArticle ; schema:datePublished ?year }
        GROUP BY ?year ORDER BY ?year""",
    "abstracts in English": PREFIXES + """SELECT ?paper ?text WHERE {
        ?paper schema:abstract ?text FILTER (lang(?text) = "en") }""",
    "title search": PREFIXES + """SELECT DISTINCT ?title WHERE {
        ?paper schema:name ?title FILTER (CONTAINS(LCASE(STR(?title)), "language")) }""",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "ask yes": PREFIXES + 'ASK { ?person schema:name "Zhenguo Li" }',
    "ask no": PREFIXES + 'ASK { ?person schema:name "Nobody At All" }',
    "construct": PREFIXES + """CONSTRUCT { ?person schema:name ?name }
        WHERE { ?person a schema:Person ; schema:name ?name }""",
}


# -- servers and stores -------------------------------------------------------------------------

@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    with servers.oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as server:
        yield server


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[servers.Server]:
    servers.require_virtuoso()
    with servers.virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as server:
        yield server


@dataclass
class Backend:
    """A backend under test: where its store is (a folder or a URL) and how to open it."""

    name: str
    location: str

    def open(self, *, read_only: bool = False, chunk_triples: int | None = None) -> Store:
        store = open_store(self.location, read_only=read_only)
        if chunk_triples is not None and isinstance(store, RemoteStore):
            store.close()
            config = replace(store.config, chunk_triples=chunk_triples)
            return RemoteStore(config, location=self.location, read_only=read_only)
        return store


def wipe(location: str) -> None:
    """Drop every graph of the remote store, staging graphs left by a failed test included."""
    store = open_store(location)
    try:
        rows = store.query(f"""SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
            FILTER (STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}""")
        assert isinstance(rows, QuerySolutions)
        staging = [row["g"] for row in rows]
        graphs = [*store.named_graphs(), *staging]
        if graphs:
            store.update(" ; ".join(f"DROP SILENT GRAPH <{g.value}>" for g in graphs))
    finally:
        store.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    name: str = request.param
    if name == "embedded":
        return Backend(name, str(tmp_path / "store"))
    server: servers.Server = request.getfixturevalue(name)
    wipe(server.url)
    return Backend(name, server.url)


@pytest.fixture(params=REMOTE)
def remote(request: pytest.FixtureRequest) -> Backend:
    server: servers.Server = request.getfixturevalue(request.param)
    wipe(server.url)
    return Backend(request.param, server.url)


@pytest.fixture
def backend_store(backend: Backend) -> Iterator[Store]:
    opened = backend.open()
    yield opened
    opened.close()


# -- helpers ------------------------------------------------------------------------------------

def answers(result: Any, ordered: bool) -> Any:
    """A comparable form of a query result (terms as their N-Triples text)."""
    if isinstance(result, QueryBoolean):
        return bool(result)
    if isinstance(result, QueryTriples):
        return sorted(str(triple) for triple in result)
    assert isinstance(result, QuerySolutions)
    names = [variable.value for variable in result.variables]
    rows = [tuple(str(row[name]) if row[name] is not None else None for name in names)
            for row in result]
    return names, rows if ordered else sorted(rows, key=repr)


def dump_bytes(store: Store, fmt: DumpFormat = DumpFormat.NQUADS) -> bytes:
    output = io.BytesIO()
    dump(store, output, fmt)
    return output.getvalue()


def staging_graphs(store: Store) -> list[str]:
    rows = store.query(f"""SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }}
        FILTER (STRSTARTS(STR(?g), "{STAGING_PREFIX}")) }}""")
    assert isinstance(rows, QuerySolutions)
    return [row["g"].value for row in rows]


@pytest.fixture(scope="module")
def reference_dump(example_store: EmbeddedStore, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference store's data as an N-Quads dump (to give every backend the same data)."""
    path = tmp_path_factory.mktemp("reference") / "example.nq"
    path.write_bytes(dump_bytes(example_store))
    return path


# -- the backend suite ----------------------------------------------------------------------------

def test_ingest_gives_the_counts_of_the_embedded_store(backend_store: Store,
                                                       example_store: EmbeddedStore) -> None:
    report = ingest(backend_store, [EXAMPLE], base_iri=BASE)
    assert (report.files, report.papers) == (1, 9)
    stats = collect(backend_store)
    assert (stats.papers, stats.people, stats.volumes) == (9, 60, 7)
    assert stats == collect(example_store)
    assert backend_store.quad_count() == example_store.quad_count() == report.quads
    assert backend_store.named_graphs() == example_store.named_graphs()


def test_queries_give_the_answers_of_the_embedded_store(backend_store: Store,
                                                        example_store: EmbeddedStore) -> None:
    ingest(backend_store, [EXAMPLE], base_iri=BASE)
    foreign = backend_store.foreign_graphs() if isinstance(backend_store, RemoteStore) else set()
    for name, sparql in QUERIES.items():
        ordered = "ORDER BY" in sparql
        expected = answers(example_store.query(sparql), ordered)
        got = answers(backend_store.query(sparql), ordered)
        if name == "graphs":  # Virtuoso's own graphs show in GRAPH ?g (see kg.store.remote)
            got = (got[0], [row for row in got[1] if row[0][1:-1] not in foreign])
        assert got == expected, name
    coauthors = answers(backend_store.query(COAUTHORS), True)[1]
    assert len(coauthors) == 5


def test_reads_give_the_quads_of_the_embedded_store(backend_store: Store,
                                                    example_store: EmbeddedStore,
                                                    reference_dump: Path) -> None:
    load(backend_store, reference_dump, base_iri=BASE)  # the same data, timestamps included
    graph = example_store.named_graphs()[0]
    assert {str(q) for q in backend_store.quads(graph)} == {str(q) for q in
                                                           example_store.quads(graph)}
    assert len(list(backend_store.quads())) == example_store.quad_count()
    assert list(backend_store.quads(DefaultGraph())) == []
    me = NamedNode(BASE + "person/zhenguo-li")
    for pattern in ({"subject": me}, {"obj": me}):
        assert ({str(q) for q in backend_store.quads_matching(**pattern)}
                == {str(q) for q in example_store.quads_matching(**pattern)})


def test_reingest_keeps_the_count(backend_store: Store) -> None:
    ingest(backend_store, [EXAMPLE], base_iri=BASE)
    count, graphs = backend_store.quad_count(), backend_store.named_graphs()
    ingest(backend_store, [EXAMPLE], base_iri=BASE)
    assert backend_store.quad_count() == count
    assert backend_store.named_graphs() == graphs
    assert staging_graphs(backend_store) == []


def test_a_failing_replace_leaves_the_store_unchanged(backend: Backend) -> None:
    store = backend.open(chunk_triples=100)  # so that uploads happen before the failure
    try:
        ingest(store, [EXAMPLE], base_iri=BASE)
        before = dump_bytes(store)
        graphs = store.named_graphs()
        stored = list(store.quads())

        def failing() -> Iterator[Quad]:
            yield from stored[:700]
            raise RuntimeError("the mapper broke halfway")

        with pytest.raises(RuntimeError, match="halfway"):
            store.replace_graphs(graphs, failing())
        assert dump_bytes(store) == before
        assert staging_graphs(store) == []
    finally:
        store.close()


def test_a_failing_replace_of_new_graphs_leaves_nothing(backend: Backend) -> None:
    store = backend.open(chunk_triples=100)
    graph = NamedNode("http://example.org/new")

    def failing() -> Iterator[Quad]:
        for i in range(700):
            yield Quad(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"),
                       NamedNode("http://example.org/o"), graph)
        raise RuntimeError("the mapper broke halfway")

    try:
        with pytest.raises(RuntimeError, match="halfway"):
            store.replace_graphs([graph], failing())
        assert all_graphs(store) == []
    finally:
        store.close()


def all_graphs(store: Store) -> list[str]:
    """Every graph the server holds (staging and journals included), but the server's own."""
    rows = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(rows, QuerySolutions)
    foreign = store.foreign_graphs() if isinstance(store, RemoteStore) else set()
    return sorted(row["g"].value for row in rows if row["g"].value not in foreign)


def test_one_update_request_is_one_transaction(backend_store: Store) -> None:
    """What the swap of replace_graphs relies on; Virtuoso does not give it (documented)."""
    probe = "http://example.org/probe"
    with pytest.raises((KGError, RuntimeError)):  # the embedded store lets RuntimeError out
        backend_store.update(f"INSERT DATA {{ GRAPH <{probe}> {{ <{probe}> <{probe}> 1 }} }} ;"
                             " DROP GRAPH <http://example.org/missing>")
    kept = NamedNode(probe) in backend_store.named_graphs()
    # Virtuoso 7.2 keeps the first operation of a failed request: see kg.store.remote
    assert kept is is_virtuoso(backend_store)
    if kept:
        backend_store.update(f"DROP SILENT GRAPH <{probe}>")


def is_virtuoso(store: Store) -> bool:
    return isinstance(store, RemoteStore) and store.config.kind is ServerKind.VIRTUOSO


@pytest.mark.parametrize("fmt", list(DumpFormat))
def test_dump_is_byte_identical_to_the_embedded_stores(backend_store: Store,
                                                       example_store: EmbeddedStore,
                                                       reference_dump: Path,
                                                       fmt: DumpFormat) -> None:
    assert load(backend_store, reference_dump, base_iri=BASE) == example_store.quad_count()
    assert dump_bytes(backend_store, fmt) == dump_bytes(example_store, fmt)


def test_the_kg_command_works_against_the_backend(
        backend: Backend, example_store: EmbeddedStore,
        capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    done = run_kg("ingest", str(EXAMPLE), "--store", backend.location)
    assert done.returncode == 0, done.stderr
    assert "ingested 9 records" in done.stdout

    done = run_kg("query", COAUTHORS, "--format", "csv", "--store", backend.location)
    assert done.returncode == 0, done.stderr
    expected = io.BytesIO()
    result = example_store.query(COAUTHORS)
    assert isinstance(result, QuerySolutions)
    result.serialize(expected, QueryResultsFormat.CSV)
    assert done.stdout == expected.getvalue().decode().replace("\r\n", "\n")  # text mode

    # the same command in this process, to save the start-up of two more
    assert main(["stats", "--json", "--store", backend.location]) == 0
    stats = json.loads(capsysbinary.readouterr().out)
    assert (stats["papers"], stats["people"], stats["volumes"]) == (9, 60, 7)
    assert stats["quads"] == example_store.quad_count()

    assert main(["dump", "--store", backend.location]) == 0
    dumped = capsysbinary.readouterr().out
    store = backend.open(read_only=True)
    try:
        assert dumped == dump_bytes(store)
        assert len(dumped.splitlines()) == example_store.quad_count()
    finally:
        store.close()


# -- what only remote stores do ---------------------------------------------------------------

def test_the_server_kind_is_detected(remote: Backend) -> None:
    assert detect_kind(remote.location) is ServerKind(remote.name)
    config = remote_config(remote.location)
    assert config.kind is ServerKind(remote.name)
    assert config.query_url.startswith(remote.location)


def test_a_swap_is_atomic_for_readers(remote: Backend) -> None:
    """While graphs of 300 and 500 triples replace each other, a reader sees one or the other
    (counted inside the graph, where staging graphs do not show), never a mix."""
    graph = NamedNode("http://example.org/swapped")
    seen = swap_while_counting(remote.location, graph, sizes=(300, 500), rounds=4)
    assert seen <= {300, 500}, sorted(seen)


def swap_while_counting(location: str, graph: NamedNode, sizes: tuple[int, int],
                        rounds: int) -> set[int]:
    def version(size: int) -> list[Quad]:
        return [Quad(NamedNode(f"http://example.org/s{i}"), NamedNode("http://example.org/p"),
                     NamedNode(f"http://example.org/o{size}"), graph) for i in range(size)]

    writer, reader = open_store(location), open_store(location)
    seen: set[int] = set()
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            rows = reader.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> "
                                "{ ?s ?p ?o } }")
            assert isinstance(rows, QuerySolutions)
            seen.update(int(row["n"].value) for row in rows)

    try:
        writer.replace_graphs([graph], version(sizes[0]))
        thread = threading.Thread(target=count)
        thread.start()
        try:
            for turn in range(rounds):
                writer.replace_graphs([graph], version(sizes[(turn + 1) % 2]))
        finally:
            done.set()
            thread.join()
        writer.replace_graphs([graph], [])
    finally:
        writer.close()
        reader.close()
    return seen


def test_what_a_dead_writer_left_is_ignored_then_dropped(remote: Backend) -> None:
    """A writer killed mid-way leaves staging graphs, a journal and graphs loaded in place:
    reads ignore them; the first write a day later drops them (a live writer's are kept)."""
    store = remote.open()
    dead = f"{STAGING_PREFIX}{int(time.time()) - STALE_STAGING_SECONDS - 60}:dead:"
    live = f"{STAGING_PREFIX}{int(time.time())}:live:"
    triple = "<http://example.org/s> <http://example.org/p> <http://example.org/o>"
    left = {dead + "journal": f"<{dead}journal> <{PENDING}> <http://example.org/half> .",
            "http://example.org/half": triple, dead + "0": triple,
            live + "journal": f"<{live}journal> <{PENDING}> <http://example.org/loading> .",
            "http://example.org/loading": triple, live + "0": triple}
    try:
        store.update("INSERT DATA { " + " ".join(f"GRAPH <{g}> {{ {t} }}" for g, t in
                                                  left.items()) + " }")
        assert store.named_graphs() == []
        assert store.quad_count() == 0
        assert dump_bytes(store) == b""
        ingest(store, [EXAMPLE], base_iri=BASE)
        graphs = [graph.value for graph in store.named_graphs()]
        assert graphs == [BASE + "graph/zhenguo-li.txt"]
        assert all_graphs(store) == sorted([*graphs, live + "0", live + "journal",
                                            "http://example.org/loading"])
    finally:
        store.close()


def test_malformed_queries_and_updates_are_query_errors(remote: Backend) -> None:
    store = remote.open()
    try:
        with pytest.raises(QueryError) as caught:
            store.query("SELEC * WHERE { ?s ?p ?o }")
        assert caught.value.field == "query"
        with pytest.raises(QueryError) as caught:
            store.update("INSERT DAT { }")
        assert caught.value.field == "update"
    finally:
        store.close()


def test_a_read_only_remote_store_refuses_writes(remote: Backend) -> None:
    store = remote.open(read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            store.update("CLEAR SILENT GRAPH <http://example.org/g>")
        with pytest.raises(StoreError, match="read-only"):
            store.replace_graphs([], [])
        assert isinstance(store.query("ASK { ?s ?p ?o }"), QueryBoolean)
    finally:
        store.close()


def test_the_default_graph_is_refused(remote: Backend) -> None:
    store = remote.open()
    quad = Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"),
                NamedNode("http://example.org/o"), DefaultGraph())
    try:
        with pytest.raises(StoreError, match="named graph"):
            store.replace_graphs([], [quad])
        with pytest.raises(StoreError, match="named graph"):
            store.replace_graphs([DefaultGraph()], [])
        assert staging_graphs(store) == []
    finally:
        store.close()


def test_an_unreachable_server_is_a_store_error() -> None:
    url = f"http://127.0.0.1:{servers.free_port()}/"
    with pytest.raises(StoreError, match="cannot reach"):
        open_store(url)
    store = open_store(url, kind="oxigraph")
    try:
        with pytest.raises(StoreError, match="cannot reach") as caught:
            store.query("ASK {}")
        assert caught.value.source == store.config.query_url
    finally:
        store.close()


def test_the_generic_kind_uses_only_the_sparql_protocol(oxigraph: servers.Server,
                                                       example_store: EmbeddedStore,
                                                       reference_dump: Path,
                                                       tmp_path: Path) -> None:
    """No Graph Store: uploads are INSERT DATA, graph reads CONSTRUCT (checked by COUNT)."""
    wipe(oxigraph.url)
    config = tmp_path / "generic.toml"
    config.write_text(f'kind = "generic"\nquery = "{oxigraph.url}query"\n'
                      f'update = "{oxigraph.url}update"\nchunk_triples = 300\n', "utf-8")
    store = open_store(config)
    try:
        assert isinstance(store, RemoteStore)
        assert store.config.graph_store_url is None
        load(store, reference_dump, base_iri=BASE)
        assert dump_bytes(store) == dump_bytes(example_store)
        assert store.quad_count() == example_store.quad_count()
    finally:
        store.close()


def test_virtuoso_with_credentials_uses_digest_authentication(virtuoso: servers.Server,
                                                              tmp_path: Path) -> None:
    wipe(virtuoso.url)
    config = tmp_path / "virtuoso.toml"
    config.write_text(f'kind = "virtuoso"\nurl = "{virtuoso.url}"\nuser = "dba"\n'
                      'password = "dba"\n', "utf-8")
    store = open_store(config)
    try:
        assert isinstance(store, RemoteStore)
        assert store.config.update_url.endswith("/sparql-auth")
        assert store.config.graph_store_url is not None
        assert store.config.graph_store_url.endswith("/sparql-graph-crud-auth")
        ingest(store, [EXAMPLE], base_iri=BASE)
        assert collect(store).papers == 9
    finally:
        store.close()
    wrong = RemoteConfig.for_server(virtuoso.url, ServerKind.VIRTUOSO, Credentials("dba", "no"))
    store = RemoteStore(wrong)
    try:
        with pytest.raises(StoreError, match="does not allow"):
            store.update("CLEAR SILENT GRAPH <http://example.org/g>")
    finally:
        store.close()
    wipe(virtuoso.url)


def test_the_store_kind_comes_from_the_flag_or_the_environment(
        oxigraph: servers.Server, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    wipe(oxigraph.url)
    monkeypatch.setenv("KG_STORE_KIND", "fuseki")
    assert main(["stats", "--store", oxigraph.url]) == 2
    assert "unknown store kind 'fuseki'" in capsys.readouterr().err
    assert main(["stats", "--json", "--store", oxigraph.url, "--store-kind", "oxigraph"]) == 0
    assert json.loads(capsys.readouterr().out)["quads"] == 0


def test_a_missing_configuration_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        open_store(tmp_path / "missing.toml")
    assert not (tmp_path / "missing.toml").exists()


# -- configuration, without servers -----------------------------------------------------------

@pytest.mark.parametrize(("kind", "url", "endpoints"), [
    (ServerKind.OXIGRAPH, "http://h:7878", ("http://h:7878/query", "http://h:7878/update",
                                            "http://h:7878/store")),
    (ServerKind.OXIGRAPH, "http://h:7878/query", ("http://h:7878/query", "http://h:7878/update",
                                                  "http://h:7878/store")),
    (ServerKind.VIRTUOSO, "http://h:8890/sparql", ("http://h:8890/sparql", "http://h:8890/sparql",
                                                   "http://h:8890/sparql-graph-crud")),
    (ServerKind.GENERIC, "http://h/ds/sparql", ("http://h/ds/sparql", "http://h/ds/sparql", None)),
])
def test_default_endpoints_per_kind(kind: ServerKind, url: str,
                                    endpoints: tuple[str, str, str | None]) -> None:
    config = RemoteConfig.for_server(url, kind)
    assert (config.query_url, config.update_url, config.graph_store_url) == endpoints


def test_credentials_in_the_url_are_taken_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KG_STORE_USER", raising=False)
    config = remote_config("http://dba:s%40cret@h:8890/", kind="virtuoso")
    assert config.credentials == Credentials("dba", "s@cret")
    assert config.query_url == "http://h:8890/sparql-auth"
    assert "s@cret" not in repr(config)


@pytest.mark.parametrize(("text", "says", "field"), [
    ('kind = "virtuoso"\nurl = "http://h/"\npasword = "x"\n', "unknown settings", "pasword"),
    ('kind = "fuseki"\nurl = "http://h/"\n', "unknown store kind", "store_kind"),
    ('kind = "generic"\n', "names no 'url'", "url"),
    ('kind = "generic"\nurl = 3\n', "must be a string", "url"),
    ("kind = \n", "cannot read", None),
    ('kind = "generic"\nurl = "http://h/"\nchunk_triples = 0\n', "at least 1", "chunk_triples"),
    ('kind = "generic"\nurl = "http://h/"\ntimeout = "soon"\n', "bad value", None),
])
def test_bad_configuration_files_are_config_errors(tmp_path: Path, text: str, says: str,
                                                   field: str | None) -> None:
    path = tmp_path / "store.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        open_store(path)
    assert says in caught.value.message
    assert caught.value.field == field
    assert caught.value.source == str(path)


@pytest.mark.parametrize(("sparql", "form"), [
    ("SELECT * WHERE { ?s ?p ?o }", "SELECT"),
    ("  prefix a: <http://a/#x> # CONSTRUCT\nBASE <http://b/>\nask {}", "ASK"),
    ("PREFIX : <http://a/>\nCONSTRUCT WHERE { ?s ?p ?o }", "CONSTRUCT"),
    ("DEFINE input:inference 'x' DESCRIBE <http://a/>", "DESCRIBE"),
    ("INSERT DATA {}", None),
])
def test_query_form(sparql: str, form: str | None) -> None:
    assert query_form(sparql) == form


def test_query_form_example_runs() -> None:
    import doctest

    from kg.store import remote

    outcome = doctest.testmod(remote)
    assert outcome.attempted > 0
    assert outcome.failed == 0

