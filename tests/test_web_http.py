"""The SPARQL service over real HTTP: ``kg serve`` running in its own process on 127.0.0.1.

Every protocol line of the service has a test here (the many finer cases run through Flask's
test client in test_web_protocol.py and test_web_graph_store.py). Two servers per module: one
writable (an update token file, a 3 s time limit, a cap of 1000 rows) and one read-only (no
token, no cap).
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from pyoxigraph import Literal, QueryResultsFormat, RdfFormat, parse, parse_query_results

from bench.load_test import tree_rss
from tests.conftest import BASE, PROJECT
from tests.test_web_protocol import EXTRA, make_store

TOKEN = "http-test-token-5f0c8b1e9a7d4c2b"
PAPERS = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <http://schema.org/ScholarlyArticle> }"
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TIMEOUT = 3.0
CAP = 1000


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> dict[str, object]:
        value: dict[str, object] = json.loads(self.body)
        return value


@dataclass
class Server:
    """A ``kg serve`` process and a small HTTP client for it."""

    process: subprocess.Popen[bytes]
    port: int
    store: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, params: Mapping[str, str] | list[tuple[str, str]]
                | None = None, body: bytes | str | None = None,
                headers: Mapping[str, str] | None = None, timeout: float = 60) -> Reply:
        target = f"{path}?{urlencode(params)}" if params else path
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = body.encode("utf-8") if isinstance(body, str) else body
            connection.request(method, target, body=data, headers=dict(headers or {}))
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path: str, params: Mapping[str, str] | list[tuple[str, str]] | None = None,
            **options: object) -> Reply:
        return self.request("GET", path, params, **options)  # type: ignore[arg-type]

    def query(self, text: str, accept: str = "application/sparql-results+json",
              **params: str) -> Reply:
        return self.get("/sparql", {"query": text, **params}, headers={"Accept": accept})

    def log_text(self) -> str:
        return self.log.read_text("utf-8", "replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(store: Path, folder: Path, *args: str, env: Mapping[str, str] | None = None) -> Server:
    port = free_port()
    log = folder / f"serve-{port}.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "kg", "serve", "--store", str(store), "--port", str(port),
             *args], stdout=handle, stderr=subprocess.STDOUT, cwd=PROJECT,
            env={**os.environ, **(env or {})})
    server = Server(process, port, store, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, server.log_text()
        try:
            if server.get("/health", timeout=5).status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"kg serve did not start:\n{server.log_text()}")


def stop(server: Server) -> None:
    server.process.send_signal(signal.SIGTERM)
    try:
        server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("http")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    store = make_store(folder / "store")
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n", "utf-8")
    running = start(store, folder, "--update-token-file", str(token_file), "--timeout",
                    str(TIMEOUT), "--result-limit", str(CAP), "--workers", "2")
    yield running
    stop(running)


@pytest.fixture(scope="module")
def read_only(folder: Path) -> Iterator[Server]:
    store = make_store(folder / "read-only-store")
    running = start(store, folder, "--timeout", "120", "--result-limit", "0", "--workers", "2",
                    env={"KG_UPDATE_TOKEN": ""})
    yield running
    stop(running)


AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = "application/sparql-results+json"


def number(reply: Reply) -> int:
    assert reply.status == 200, reply.text
    parsed = parse_query_results(reply.body, QueryResultsFormat.JSON)
    return int(next(iter(parsed))[0].value)  # type: ignore[index,union-attr,arg-type]


# --- the query operation -------------------------------------------------------------------


def test_kg_serve_prints_both_urls(server: Server) -> None:
    log = server.log_text()
    assert f"SPARQL endpoint: {server.base}/sparql" in log
    assert f"Graph Store:     {server.base}/store" in log


def test_query_by_get_form_and_direct_post(server: Server) -> None:
    got = server.query(PAPERS)
    assert got.headers["Content-Type"] == f"{JSON}; charset=utf-8"
    assert number(got) == 9
    form = server.request("POST", "/sparql", body=urlencode({"query": PAPERS}),
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert number(form) == 9
    direct = server.request("POST", "/sparql", body=PAPERS,
                            headers={"Content-Type": "application/sparql-query"})
    assert number(direct) == 9
    no_accept = server.request("GET", f"/sparql?{urlencode({'query': PAPERS})}")
    assert no_accept.headers["Content-Type"] == f"{JSON}; charset=utf-8"


@pytest.mark.parametrize(("method", "params", "body", "headers", "status", "says"), [
    ("GET", [("query", PAPERS), ("query", PAPERS)], None, {}, 400, "exactly one 'query'"),
    ("POST", None, "default-graph-uri=http%3A%2F%2Fg%2F",
     {"Content-Type": "application/x-www-form-urlencoded"}, 400, "needs a 'query'"),
    ("POST", None, PAPERS, {"Content-Type": "text/plain"}, 415, "must be"),
    ("POST", None, PAPERS, {}, 415, "no Content-Type"),
    ("POST", None, PAPERS.encode("latin-1"),
     {"Content-Type": "application/sparql-query; charset=latin-1"}, 415, "only UTF-8"),
    ("POST", None, b"ASK { \xff }", {"Content-Type": "application/sparql-query"}, 400,
     "not valid UTF-8"),
    ("GET", {"query": "SELECT * WHERE {\n  ?s ?p\n}"}, None, {}, 400,
     "SPARQL syntax error: error at 3:2"),
    ("GET", {"query": PAPERS}, None, {"Accept": "image/png"}, 406, "offered:"),
    ("GET", [("query", PAPERS), ("version", "1.2"), ("version", "1.2")], None, {}, 400,
     "exactly one 'version'"),
    ("GET", {"update": "CLEAR ALL"}, None, {}, 400, "must be sent by POST"),
])
def test_protocol_errors(server: Server, method: str, params: object, body: object,
                         headers: dict[str, str], status: int, says: str) -> None:
    reply = server.request(method, "/sparql", params, body, headers)  # type: ignore[arg-type]
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert says in reply.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_405_with_allow(server: Server, method: str) -> None:
    reply = server.request(method, "/sparql", body="x")
    assert reply.status == 405
    assert "POST" in reply.headers["Allow"] and "GET" in reply.headers["Allow"]


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_version_given_once(server: Server, version: str) -> None:
    assert number(server.query(PAPERS, version=version)) == 9


def test_dataset_parameters_override_from(server: Server) -> None:
    names = ('SELECT (COUNT(*) AS ?n) FROM <http://nowhere.example/> '
             'WHERE { ?s <http://schema.org/name> "extra" }')
    assert number(server.query(names)) == 0
    assert number(server.query(names, **{"default-graph-uri": EXTRA})) == 1
    form = server.request("POST", "/sparql", body=urlencode(
        {"query": names, "default-graph-uri": EXTRA}),
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert number(form) == 1
    direct = server.request("POST", f"/sparql?{urlencode({'default-graph-uri': EXTRA})}",
                            body=names, headers={"Content-Type": "application/sparql-query"})
    assert number(direct) == 1
    graphs = "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert number(server.query(graphs, **{"named-graph-uri": EXTRA})) == 1
    assert number(server.query(graphs)) == 2


@pytest.mark.parametrize(("accept", "fmt"), [
    (JSON, QueryResultsFormat.JSON),
    ("application/sparql-results+xml", QueryResultsFormat.XML),
    ("text/tab-separated-values", QueryResultsFormat.TSV),
])
def test_select_formats(server: Server, accept: str, fmt: QueryResultsFormat) -> None:
    reply = server.query(PAPERS, accept)
    assert reply.headers["Content-Type"] == f"{accept}; charset=utf-8"
    assert [row[0].value for row in parse_query_results(reply.body, fmt)] == ["9"]  # type: ignore[index,union-attr]


def test_csv_and_the_format_parameter(server: Server) -> None:
    csv = server.query(PAPERS, "text/csv")
    assert (csv.headers["Content-Type"], csv.text) == ("text/csv; charset=utf-8", "n\r\n9\r\n")
    forced = server.query(PAPERS, "text/csv", format="json")
    assert forced.headers["Content-Type"] == f"{JSON}; charset=utf-8"
    output = server.query(PAPERS, "*/*", output="tsv")
    assert output.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    tolerated = server.query(PAPERS, "text/csv;q=0.5, application/sparql-results+xml",
                             format="no-such-format")
    assert tolerated.headers["Content-Type"] == "application/sparql-results+xml; charset=utf-8"


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
    ("application/rdf+xml", RdfFormat.RDF_XML), ("application/ld+json", RdfFormat.JSON_LD),
    ("application/n-quads", RdfFormat.N_QUADS), ("application/trig", RdfFormat.TRIG),
])
def test_graph_formats(server: Server, accept: str, fmt: RdfFormat) -> None:
    reply = server.query(f"DESCRIBE <{BASE}person/zhenguo-li>", accept)
    assert reply.headers["Content-Type"] == f"{accept}; charset=utf-8"
    assert Literal("Zhenguo Li") in {q.object for q in parse(reply.body, fmt)}


# --- updates, the Graph Store, writes without the token --------------------------------------


def ask(server: Server, pattern: str) -> bool:
    reply = server.query(f"ASK {{ {pattern} }}")
    assert reply.status == 200, reply.text
    return bool(reply.json()["boolean"])


def test_updates(server: Server) -> None:
    insert = ('INSERT DATA { GRAPH <http://example.org/h> { '
              '<http://example.org/h1> <http://example.org/p> "h" } }')
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert server.request("POST", "/sparql", body=urlencode({"update": insert}),
                          headers=form).status == 401
    assert not ask(server, '<http://example.org/h1> ?p "h"')
    reply = server.request("POST", "/sparql", body=urlencode({"update": insert}),
                           headers={**form, **AUTH})
    assert (reply.status, reply.body) == (204, b"")
    assert ask(server, '<http://example.org/h1> ?p "h"')
    copy = ("INSERT { GRAPH <http://example.org/h2> { ?s ?p ?o } } WHERE { ?s ?p ?o }")
    using = server.request("POST", f"/sparql?{urlencode({'using-graph-uri': 'http://example.org/h'})}",
                           body=copy, headers={"Content-Type": "application/sparql-update", **AUTH})
    assert using.status == 204
    assert ask(server, 'GRAPH <http://example.org/h2> { <http://example.org/h1> ?p "h" }')
    drop = server.request("POST", "/sparql", body="DROP GRAPH <http://example.org/h> ; "
                          "DROP GRAPH <http://example.org/h2>",
                          headers={"Content-Type": "application/sparql-update", **AUTH})
    assert drop.status == 204
    assert not ask(server, '<http://example.org/h1> ?p "h"')
    twice = server.request("POST", "/sparql", body="update=CLEAR%20ALL&update=CLEAR%20ALL",
                           headers={**form, **AUTH})
    assert twice.status == 400


def test_graph_store(server: Server) -> None:
    graph = "http://example.org/http-gsp"
    turtle = {"Content-Type": "text/turtle", **AUTH}
    triple = '<http://a.example/> <http://b.example/> "{}" .'
    put = server.request("PUT", "/store", {"graph": graph}, triple.format(1), turtle)
    assert put.status == 201
    merge = server.request("POST", "/store", {"graph": graph}, triple.format(2), turtle)
    assert merge.status == 204
    got = server.get("/store", {"graph": graph}, headers={"Accept": "application/n-triples"})
    assert sorted(q.object.value for q in parse(got.body, RdfFormat.N_TRIPLES)) == ["1", "2"]  # type: ignore[union-attr]
    head = server.request("HEAD", "/store", {"graph": graph})
    assert (head.status, head.body, head.headers["Content-Type"]) == (
        200, b"", "text/turtle; charset=utf-8")
    created = server.request("POST", "/store", None, triple.format(3), turtle)
    assert created.status == 201
    location = urlsplit(created.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == server.base
    fetched = server.get(location.path + "?" + location.query)
    assert fetched.status == 200 and b'"3"' in fetched.body
    new_graph = parse_qs(location.query)["graph"][0]
    assert server.request("DELETE", "/store", {"graph": new_graph}, headers=AUTH).status == 204
    assert server.request("DELETE", "/store", {"graph": graph}, headers=AUTH).status == 204
    assert server.request("DELETE", "/store", {"graph": graph}, headers=AUTH).status == 404
    assert server.get("/store", {"graph": graph}).status == 404
    bad = server.request("PUT", "/store", {"graph": graph}, "<http://a.example/> oops", turtle)
    assert bad.status == 400
    unsupported = server.request("PUT", "/store", {"graph": graph}, "x",
                                 {"Content-Type": "application/pdf", **AUTH})
    assert unsupported.status == 415
    assert server.get("/store", {"graph": graph}).status == 404


def test_without_a_token_every_write_is_refused(read_only: Server) -> None:
    before = read_only.get("/store", headers={"Accept": "application/n-quads"}).body
    form = {"Content-Type": "application/x-www-form-urlencoded", **AUTH}
    attempts = [
        ("POST", "/sparql", None, urlencode({"update": "CLEAR ALL"}), form),
        ("POST", "/sparql", None, "CLEAR ALL", {"Content-Type": "application/sparql-update"}),
        ("POST", "/update", None, "DROP ALL", {"Content-Type": "application/sparql-update"}),
        ("PUT", "/store", {"graph": EXTRA}, "<http://a/> <http://b/> <http://c/> .",
         {"Content-Type": "text/turtle", **AUTH}),
        ("POST", "/store", {"graph": EXTRA}, "<http://a/> <http://b/> <http://c/> .",
         {"Content-Type": "text/turtle"}),
        ("POST", "/store", None, "<http://a/> <http://b/> <http://c/> .",
         {"Content-Type": "text/turtle"}),
        ("DELETE", "/store", {"graph": EXTRA}, None, AUTH),
        ("DELETE", "/store", {"default": ""}, None, {}),
    ]
    for method, path, params, body, headers in attempts:
        reply = read_only.request(method, path, params, body, headers)
        assert reply.status == 403, (method, path, reply.status, reply.text)
        assert "read-only" in reply.text
    assert read_only.get("/store", headers={"Accept": "application/n-quads"}).body == before
    health = read_only.get("/health").json()
    assert health["writable"] is False


# --- limits and safety ----------------------------------------------------------------------


def test_a_runaway_query_is_stopped_while_others_are_answered(server: Server) -> None:
    outcome: dict[str, object] = {}

    def runaway() -> None:
        started = time.monotonic()
        outcome["reply"] = server.query(RUNAWAY)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    assert number(server.query(PAPERS + " # while a runaway runs")) == 9
    assert time.monotonic() - started < TIMEOUT
    thread.join()
    reply = outcome["reply"]
    assert isinstance(reply, Reply)
    assert reply.status == 503
    assert "ran past its time limit" in reply.text and "3 s" in reply.text
    assert float(outcome["seconds"]) < TIMEOUT + 1  # type: ignore[arg-type]
    assert server.process.poll() is None
    time.sleep(1)  # the killed worker's successor starts in the background
    health = server.get("/health").json()
    assert health["status"] == "ok"
    assert health["workers"] == {"configured": 2, "running": 2, "idle": 2,  # type: ignore[comparison-overlap]
                                 "replaced": health["workers"]["replaced"]}  # type: ignore[index]
    assert health["workers"]["replaced"] >= 1  # type: ignore[index]
    assert number(server.query(PAPERS)) == 9


def test_a_client_may_ask_for_less_time(server: Server) -> None:
    started = time.monotonic()
    reply = server.query(RUNAWAY, timeout="0.5")
    assert reply.status == 503 and "0.5 s" in reply.text
    assert time.monotonic() - started < 1.5
    longer = server.query(RUNAWAY, timeout="300")
    assert longer.status == 503 and f"{TIMEOUT:g} s" in longer.text


def test_the_result_cap_is_visible(server: Server) -> None:
    everything = server.query("SELECT * WHERE { ?s ?p ?o }", "text/tab-separated-values")
    assert everything.headers["KG-Result-Truncated"] == "true"
    assert everything.headers["KG-Result-Limit"] == str(CAP)
    assert everything.body.count(b"\n") == CAP + 1
    small = server.query("SELECT * WHERE { ?s ?p ?o } LIMIT 3")
    assert small.headers["KG-Result-Truncated"] == "false"
    description = server.get("/sparql", headers={"Accept": "text/turtle"}).text
    assert f"kg:resultLimit {CAP}" in description


def test_gzip_cors_etag_and_304(server: Server) -> None:
    query = {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 200"}
    plain = server.get("/sparql", query)
    packed = server.get("/sparql", query, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert plain.headers["Access-Control-Allow-Origin"] == "*"
    preflight = server.request("OPTIONS", "/sparql", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status == 200 and "POST" in preflight.headers["Access-Control-Allow-Methods"]
    etag = plain.headers["ETag"]
    assert plain.headers["Last-Modified"]
    again = server.get("/sparql", query, headers={"If-None-Match": etag})
    assert (again.status, again.body) == (304, b"")


def test_no_outbound_requests(server: Server) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        refused = server.query(f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> "
                               "{ ?s ?p ?o } }")
        assert refused.status == 403 and "SERVICE" in refused.text
        one = server.query("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
        assert one.status == 403
        load = server.request("POST", "/sparql", body="LOAD <file:///etc/passwd>",
                              headers={"Content-Type": "application/sparql-update", **AUTH})
        assert load.status == 403 and "LOAD <file:///etc/passwd> is refused" in load.text
        remote_load = server.request("POST", "/sparql",
                                     body=f"LOAD <http://127.0.0.1:{port}/data.ttl>",
                                     headers={"Content-Type": "application/sparql-update", **AUTH})
        assert remote_load.status == 403
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody called


def test_413(server: Server) -> None:
    long_query = "ASK {} #" + "x" * (1 << 20)
    direct = server.request("POST", "/sparql", body=long_query,
                            headers={"Content-Type": "application/sparql-query"})
    assert direct.status == 413
    got = server.query(long_query)
    assert got.status == 413
    assert server.query("ASK {} #" + "x" * 1000).status == 200


def test_health(server: Server) -> None:
    reply = server.get("/health")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/json"
    assert reply.json()["status"] == "ok"


def test_one_access_log_line_per_request_and_never_the_token(server: Server) -> None:
    marker = f"log-marker-{time.monotonic_ns()}"
    server.query(f"ASK {{}} # {marker}")
    server.request("POST", "/sparql", body="CLEAR SILENT GRAPH <http://example.org/none>",
                   headers={"Content-Type": "application/sparql-update", **AUTH})
    server.request("POST", "/sparql", body="CLEAR ALL",
                   headers={"Content-Type": "application/sparql-update",
                            "Authorization": "Bearer not-the-token-at-all-123"})
    time.sleep(0.2)
    log = server.log_text()
    lines = [line for line in log.splitlines() if marker in line]
    assert len(lines) == 1
    assert '"GET /sparql?query=ASK' in lines[0]
    status, size, _, duration, unit = lines[0].rsplit(" ", 5)[1:]
    assert (status, unit) == ("200", "ms")
    assert int(size) > 0 and float(duration) >= 0
    assert any('"POST /sparql" 204 0 B' in line for line in log.splitlines())
    assert any('"POST /sparql" 401' in line for line in log.splitlines())
    assert TOKEN not in log
    assert "not-the-token-at-all" not in log


def test_sparqlwrapper(server: Server) -> None:
    from SPARQLWrapper import JSON as WRAPPER_JSON
    from SPARQLWrapper import SPARQLWrapper

    wrapper = SPARQLWrapper(f"{server.base}/sparql")
    wrapper.setQuery(PAPERS)
    wrapper.setReturnFormat(WRAPPER_JSON)
    result = wrapper.query().convert()
    assert result["results"]["bindings"][0]["n"]["value"] == "9"  # type: ignore[index,call-overload]
    wrapper.setMethod("POST")
    assert wrapper.query().convert()["results"]["bindings"][0]["n"]["value"] == "9"  # type: ignore[index,call-overload]


def test_rdflib_sparqlstore(server: Server) -> None:
    from rdflib import Graph
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(f"{server.base}/sparql"))
    rows = list(graph.query(PAPERS))
    assert int(rows[0][0]) == 9  # type: ignore[index,arg-type]


def test_writes_from_another_process_are_seen(server: Server, folder: Path) -> None:
    dump = folder / "late.nq"
    dump.write_text('<http://example.org/late> <http://schema.org/name> "late" '
                    '<http://example.org/late-graph> .\n', "utf-8")
    assert not ask(server, '<http://example.org/late> ?p "late"')
    loaded = subprocess.run([sys.executable, "-m", "kg", "load", "--store", str(server.store),
                             str(dump)], capture_output=True, text=True, cwd=PROJECT, timeout=120)
    assert loaded.returncode == 0, loaded.stderr  # the server holds no lock
    assert ask(server, '<http://example.org/late> ?p "late"')
    assert server.request("DELETE", "/store", {"graph": "http://example.org/late-graph"},
                          headers=AUTH).status == 204


def test_service_description_and_void(server: Server) -> None:
    turtle = server.get("/sparql")
    assert turtle.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert f"sd:endpoint <{server.base}/sparql>" in turtle.text
    assert "sd:UnionDefaultGraph" in turtle.text
    page = server.get("/sparql", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<form" in page.text
    void = server.get("/.well-known/void")
    assert void.status == 200 and "void:sparqlEndpoint" in void.text


@pytest.mark.slow
def test_a_million_rows_stream_without_memory_growing(read_only: Server) -> None:
    query = "SELECT ?a ?b WHERE { ?a ?p ?x . ?b ?q ?y } LIMIT 1000000"  # 1101 x 1101 rows
    read_only.query("SELECT * WHERE { ?s ?p ?o } LIMIT 10000", "text/tab-separated-values")
    baseline = tree_rss(read_only.process.pid)
    connection = http.client.HTTPConnection("127.0.0.1", read_only.port, timeout=300)
    connection.request("GET", f"/sparql?{urlencode({'query': query})}",
                       headers={"Accept": "text/tab-separated-values"})
    response = connection.getresponse()
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/tab-separated-values; charset=utf-8"
    size, lines, peak = 0, 0, baseline
    while chunk := response.read(1 << 20):
        size += len(chunk)
        lines += chunk.count(b"\n")
        if size % (8 << 20) < (1 << 20):
            peak = max(peak, tree_rss(read_only.process.pid))
        time.sleep(0.002)  # a client slower than the server
    connection.close()
    assert lines == 1_000_001
    assert size > 100 << 20
    assert peak - baseline < 64 << 20, (baseline, peak, size)
