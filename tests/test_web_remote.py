"""``kg serve`` in front of a remote store, over real HTTP: a real ``oxigraph serve`` and a real
Virtuoso 7 (``tests/servers.py``), each loaded by ``kg ingest --store URL`` with the bundled
example, and ``kg serve --store`` (a URL for Oxigraph, a ``.toml`` file for Virtuoso) started in
front of it with an update token, a 2 s time limit and a cap of 50 rows.

Answers are compared with the embedded store holding the same example (``example_store``); writes
are checked on the remote server itself, not through ``kg serve``. The last test stops the remote
server. Virtuoso's tests are skipped, saying why, where it is not installed (not under CI).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyoxigraph import (
    Literal,
    NamedNode,
    QueryResultsFormat,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    parse,
    parse_query_results,
)

from kg.store import EmbeddedStore, RemoteStore, open_store
from kg.web import serve as web_serve
from tests import servers
from tests.conftest import EXAMPLE, run_kg
from tests.test_web_http import Reply, Server, start, stop

TOKEN = "remote-test-token-7c1e52b9d04a"
TIMEOUT = 2.0
CAP = 50
JSON = "application/sparql-results+json"
SCHEMA = "http://schema.org/"
PREFIX = f"PREFIX schema: <{SCHEMA}>\n"
COAUTHORS = PREFIX + """SELECT ?name (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?me schema:name "Zhenguo Li" . ?paper schema:author ?me , ?other .
  FILTER (?other != ?me) ?other schema:name ?name .
} GROUP BY ?name ORDER BY DESC(?papers) ?name LIMIT 5"""
TITLES = PREFIX + """CONSTRUCT { ?paper schema:name ?title }
WHERE { ?paper a schema:ScholarlyArticle ; schema:name ?title }"""
PEOPLE = PREFIX + "SELECT ?person WHERE { ?person a schema:Person }"
PAPERS = PREFIX + "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a schema:ScholarlyArticle }"
#: Queries that run for minutes on each server (Virtuoso refuses a three-way product at once,
#: from its cost estimate, so it gets a two-way product with a string test on every pair).
RUNAWAY = {
    "oxigraph": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "virtuoso": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f "
                'FILTER (CONTAINS(CONCAT(STR(?c), STR(?f)), "no such text")) }',
}
NOTES = "https://example.org/notes"
NOTE = f'INSERT DATA {{ GRAPH <{NOTES}> {{ <urn:x:a> <{SCHEMA}description> "a note" }} }}'
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Remote:
    """A remote SPARQL server loaded with the example, and ``kg serve`` in front of it."""

    name: str
    server: servers.Server
    store: str  # what --store names: a URL or a .toml file
    front: Server

    def open(self) -> RemoteStore:
        """The remote store itself (not through ``kg serve``)."""
        opened = open_store(self.store)
        assert isinstance(opened, RemoteStore)
        return opened

    def has_notes(self) -> bool:
        store = self.open()
        try:
            return NamedNode(NOTES) in store.named_graphs()
        finally:
            store.close()


def _serve_in_front(name: str, server: servers.Server, folder: Path) -> tuple[str, Server]:
    """Load the example into ``server`` with ``kg ingest --store``, start ``kg serve`` in front."""
    if name == "virtuoso":
        location = folder / "virtuoso.toml"
        location.write_text(f'kind = "virtuoso"\nurl = "{server.url}"\n', "utf-8")
        store = str(location)
    else:
        store = server.url
    loaded = run_kg("ingest", "--store", store, str(EXAMPLE))
    assert loaded.returncode == 0, loaded.stderr
    assert "(1100 quads)" in loaded.stdout
    token = folder / "token"
    token.write_text(TOKEN + "\n", "utf-8")
    front = start(store, folder, "--update-token-file", str(token),  # type: ignore[arg-type]
                  "--timeout", f"{TIMEOUT:g}", "--result-limit", str(CAP), "--workers", "2")
    return store, front


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def remote(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    name: str = request.param
    folder = tmp_path_factory.mktemp(f"remote-{name}")
    if name == "virtuoso":
        servers.require_virtuoso()
        running = servers.virtuoso_server(folder)
    else:
        # its own time limit, just above kg's: the query kg stops is stopped there too
        running = servers.oxigraph_server(folder, timeout_s=int(TIMEOUT) + 1)
    with running as server:
        store, front = _serve_in_front(name, server, folder)
        try:
            yield Remote(name, server, store, front)
        finally:
            stop(front)


def rows(reply: Reply) -> list[tuple[str, ...]]:
    assert reply.status == 200, reply.text
    parsed = parse_query_results(reply.body, QueryResultsFormat.JSON)
    assert isinstance(parsed, QuerySolutions)
    names = [variable.value for variable in parsed.variables]
    return [tuple(row[name].value for name in names) for row in parsed]


def embedded_rows(store: EmbeddedStore, sparql: str) -> list[tuple[str, ...]]:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    names = [variable.value for variable in result.variables]
    return [tuple(row[name].value for name in names) for row in result]


def test_a_select_gives_the_embedded_stores_answer(remote: Remote,
                                                   example_store: EmbeddedStore) -> None:
    reply = remote.front.query(COAUTHORS)
    assert reply.headers["Content-Type"] == f"{JSON}; charset=utf-8"
    expected = embedded_rows(example_store, COAUTHORS)
    assert len(expected) == 5
    assert rows(reply) == expected
    assert reply.headers["KG-Result-Truncated"] == "false"


def test_a_construct_in_turtle(remote: Remote, example_store: EmbeddedStore) -> None:
    reply = remote.front.query(TITLES, accept="text/turtle")
    assert reply.status == 200, reply.text
    assert reply.headers["Content-Type"] == "text/turtle; charset=utf-8"
    got = {quad.triple for quad in parse(reply.body, RdfFormat.TURTLE)}
    expected = example_store.query(TITLES)
    assert isinstance(expected, QueryTriples)
    assert got == set(expected)
    assert len(got) >= 9


def test_the_page_of_a_paper(remote: Remote, example_store: EmbeddedStore) -> None:
    paper, title = embedded_rows(example_store, PREFIX + """SELECT ?p ?t WHERE {
        ?p a schema:ScholarlyArticle ; schema:name ?t } ORDER BY ?p LIMIT 1""")[0]
    path = paper.removeprefix("https://w3id.org/scholarly-kg")
    redirect = remote.front.get(path, headers={"Accept": "text/html"})
    assert redirect.status == 303 and redirect.headers["Location"] == f"{path}.html"
    page = remote.front.get(f"{path}.html")
    assert page.status == 200, page.text
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<title>{title}" in page.text


def test_a_linked_data_iri_in_turtle(remote: Remote) -> None:
    redirect = remote.front.get("/person/zhenguo-li", headers={"Accept": "text/turtle"})
    assert redirect.status == 303 and redirect.headers["Location"] == "/person/zhenguo-li.ttl"
    document = remote.front.get("/person/zhenguo-li.ttl")
    assert document.status == 200, document.text
    triples = {(t.subject, t.predicate, t.object) for t in parse(document.body, RdfFormat.TURTLE)}
    me = NamedNode("https://w3id.org/scholarly-kg/person/zhenguo-li")
    assert (me, NamedNode(SCHEMA + "name"), Literal("Zhenguo Li")) in triples
    assert remote.front.get("/person/no-such-person.ttl").status == 404


def test_the_cap_etags_and_refusals_are_this_servers(remote: Remote) -> None:
    for _ in range(2):  # the version changes every few seconds: once more if it did between
        capped = remote.front.query(PEOPLE)
        assert len(rows(capped)) == CAP
        assert capped.headers["KG-Result-Limit"] == str(CAP)
        assert capped.headers["KG-Result-Truncated"] == "true"
        again = remote.front.get("/sparql", {"query": PEOPLE}, headers={
            "Accept": JSON, "If-None-Match": capped.headers["ETag"]})
        if again.status == 304:
            break
    assert again.status == 304
    syntax = remote.front.query("SELECT * WHERE {\n  ?s ?p\n}")
    assert syntax.status == 400 and "SPARQL syntax error: error at 3:2" in syntax.text
    service = remote.front.query("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    assert service.status == 403 and "is refused" in service.text
    pragma = remote.front.query('DEFINE input:inference "x" SELECT * WHERE { ?s ?p ?o }')
    assert pragma.status == 400, pragma.text
    builtin = remote.front.query('PREFIX b: <bif:> ASK { ?s ?p ?o FILTER (b:contains(?o, "x")) }')
    assert builtin.status == 400 and "<bif:> is refused" in builtin.text


def test_a_runaway_query_is_stopped_in_time(remote: Remote) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["reply"] = remote.front.query(RUNAWAY[remote.name])
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.3)
    assert rows(remote.front.query(PAPERS + " # meanwhile")) == [("9",)]
    thread.join()
    reply = outcome["reply"]
    assert isinstance(reply, Reply)
    assert reply.status == 503, reply.text
    assert f"ran past its time limit and was stopped (time limit: {TIMEOUT:g} s)" in reply.text
    assert float(outcome["seconds"]) < TIMEOUT + 1  # type: ignore[arg-type]
    # the server behind stopped it too (at its own limit, or at the one kg sent it), so it
    # works no more
    time.sleep(1.5)
    assert cpu_seconds(remote.server.process.pid, over=1.0) < 0.5
    fresh = remote.front.get("/sparql", {"query": PAPERS},
                             headers={"Accept": JSON, "Cache-Control": "no-cache"})
    assert rows(fresh) == [("9",)]


def cpu_seconds(pid: int, *, over: float) -> float:
    """The CPU time process ``pid`` uses in the next ``over`` seconds (Linux)."""
    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = used()
    time.sleep(over)
    return used() - before


def test_writes_need_the_token_and_reach_the_remote_store(remote: Remote) -> None:
    refused = remote.front.request("POST", "/sparql", body=NOTE,
                                   headers={"Content-Type": "application/sparql-update"})
    assert refused.status == 401
    assert not remote.has_notes()
    accepted = remote.front.request("POST", "/sparql", body=NOTE, headers={
        "Content-Type": "application/sparql-update", **AUTH})
    assert accepted.status == 204, accepted.text
    assert remote.has_notes()
    listed = remote.front.get("/store", {"graph": NOTES}, headers={"Accept": "text/turtle"})
    assert listed.status == 200 and b"a note" in listed.body
    assert remote.front.request("DELETE", f"/store?graph={NOTES}").status == 401
    assert remote.has_notes()
    assert remote.front.request("DELETE", f"/store?graph={NOTES}", headers=AUTH).status == 204
    assert not remote.has_notes()


def test_health_follows_the_remote_server(remote: Remote) -> None:
    """The last test: it stops the remote server."""
    health = remote.front.get("/health")
    assert health.status == 200 and health.json()["status"] == "ok"
    servers.stop(remote.server)
    down = remote.front.get("/health")
    assert down.status == 503
    assert down.json()["status"] == "unavailable"
    assert "cannot reach the SPARQL server" in str(down.json()["reason"])
    query = remote.front.query(PAPERS)
    assert query.status == 502 and "cannot reach the SPARQL server" in query.text
    assert "127.0.0.1" not in query.text  # the server behind is not named to clients
    page = remote.front.get("/person/zhenguo-li.html")
    assert page.status == 502, page.text
    assert remote.front.process.poll() is None


def test_urls_are_shown_without_their_password() -> None:
    import doctest

    assert doctest.testmod(web_serve).failed == 0


@pytest.mark.parametrize(("query", "refusal"), [
    ("SELECT * WHERE { ?s ?p ?o }", None),
    # an allowed SERVICE is parsed with its target replaced: nothing is called from kg
    ("PREFIX ex: <http://127.0.0.1:9/> ASK { SERVICE SILENT ex:sparql { ?s ?p ?o } }", None),
    ('DEFINE input:inference "x" SELECT * { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }',
     "SPARQL syntax error: error at 1:10"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } ?s ?p }",
     "SPARQL syntax error: error at 1:68"),
    ('SELECT * { ?s ?p ?o FILTER (bif:contains(?o, "x")) }', "bif:contains is refused"),
    ("PREFIX f: <SQL:> SELECT (f:now() AS ?t) {}", "<SQL:> is refused"),
])
def test_only_standard_sparql_is_forwarded(query: str, refusal: str | None) -> None:
    from pyoxigraph import Store

    from kg.errors import QueryError
    from kg.web.worker import check_query

    if refusal is None:
        check_query(query, Store())
        return
    with pytest.raises(QueryError) as refused:
        check_query(query, Store())
    assert refusal in refused.value.message
    assert refused.value.field == "query"
