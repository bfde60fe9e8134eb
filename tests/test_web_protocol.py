"""The SPARQL 1.1 Protocol at /sparql, case by case, through Flask's test client.

The app is the real one, over a real on-disk store, with its real worker processes; only the
HTTP connection is simulated (tests/test_web_http.py repeats each line over real HTTP).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import QueryResultsFormat, RdfFormat, parse, parse_query_results
from werkzeug.test import TestResponse

from kg.config import Settings
from kg.ingest import ingest
from kg.store import EmbeddedStore
from kg.web import create_app
from kg.web.protocol import ProtocolError, QueryRequest, UpdateRequest, read_operation
from tests.conftest import BASE, EXAMPLE

TOKEN = "protocol-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EXTRA = "http://example.org/extra"
FORM = "application/x-www-form-urlencoded"
JSON = "application/sparql-results+json"
PAPERS = "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?p a <http://schema.org/ScholarlyArticle> }"
NAMES = """SELECT ?name WHERE { ?s <http://schema.org/name> ?name
    FILTER (?name IN ("extra", "Zhenguo Li", "ACL 2023")) }"""
CAP = 50


def make_store(path: Path) -> Path:
    """The bundled example in its graph, and one name in <http://example.org/extra>."""
    store = EmbeddedStore(path)
    ingest(store, [EXAMPLE], base_iri=BASE)
    store.update(f'INSERT DATA {{ GRAPH <{EXTRA}> {{ <http://example.org/x> '
                 f'<http://schema.org/name> "extra" }} }}')
    store.close()
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = make_store(tmp_path_factory.mktemp("protocol") / "store")
    app = create_app(Settings(store=str(path), update_token=TOKEN, result_limit=CAP,
                              query_timeout=20, query_workers=2))
    yield app
    app.extensions["kg_pool"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def values(response: TestResponse, fmt: QueryResultsFormat = QueryResultsFormat.JSON
           ) -> list[str]:
    assert response.status_code == 200, response.text
    if fmt == QueryResultsFormat.CSV:  # pyoxigraph does not read CSV (it loses term kinds)
        import csv
        import io

        return sorted(value for row in list(csv.reader(io.StringIO(response.text)))[1:]
                      for value in row if value)
    parsed = parse_query_results(response.data, fmt)
    return sorted(term.value for row in parsed for term in row if term is not None)  # type: ignore[union-attr]


def count(response: TestResponse) -> int:
    return int(values(response)[0])


# --- the query operation -------------------------------------------------------------------


def test_get(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": PAPERS})
    assert response.headers["Content-Type"] == "application/sparql-results+json; charset=utf-8"
    assert count(response) == 9


def test_post_form(client: FlaskClient) -> None:
    assert count(client.post("/sparql", data={"query": PAPERS})) == 9


@pytest.mark.parametrize("content_type", ["application/sparql-query",
                                          "application/sparql-query; charset=utf-8",
                                          "application/sparql-query;charset=UTF-8"])
def test_post_direct(client: FlaskClient, content_type: str) -> None:
    assert count(client.post("/sparql", data=PAPERS.encode(), content_type=content_type)) == 9


@pytest.mark.parametrize(("request_args", "status", "says"), [
    ({"method": "POST", "data": {"query": [PAPERS, PAPERS]}}, 400, "exactly one 'query'"),
    ({"method": "GET", "query_string": [("query", PAPERS), ("query", PAPERS)]}, 400,
     "exactly one 'query'"),
    ({"method": "POST", "data": {"default-graph-uri": EXTRA}}, 400, "needs a 'query' or"),
    ({"method": "POST", "data": {"query": PAPERS, "update": "CLEAR ALL"}}, 400, "not both"),
    ({"method": "POST", "data": PAPERS, "content_type": "application/sparql-query",
      "query_string": {"query": PAPERS}}, 400, "not allowed beside it"),
    ({"method": "POST", "data": PAPERS, "content_type": "text/plain"}, 415,
     "application/sparql-query"),
    ({"method": "POST", "data": PAPERS}, 415, "no Content-Type"),
    ({"method": "POST", "data": b"\xff\xfe", "content_type": "application/sparql-query"}, 400,
     "not valid UTF-8"),
    ({"method": "POST", "data": PAPERS.encode("utf-16"),
      "content_type": "application/sparql-query; charset=utf-16"}, 415, "only UTF-8"),
    ({"method": "POST", "data": {"query": PAPERS}, "content_type": f"{FORM}; charset=latin-1"},
     415, "only UTF-8"),
    ({"method": "GET", "query_string": {"query": "SELECT * WHERE { ?s ?p }"}}, 400,
     "SPARQL syntax error: error at 1:25"),
    ({"method": "GET", "query_string": {"query": ""}}, 400, "SPARQL syntax error"),
    ({"method": "GET", "query_string": {"query": PAPERS, "default-graph-uri": "not an iri"}},
     400, "default-graph-uri is not"),
    ({"method": "GET", "query_string": {"query": PAPERS, "timeout": "soon"}}, 400, "timeout"),
    ({"method": "GET", "query_string": {"query": PAPERS, "timeout": "-1"}}, 400, "timeout"),
    ({"method": "GET", "query_string": [("query", PAPERS), ("version", "1.1"),
                                        ("version", "1.2")]}, 400, "exactly one 'version'"),
    ({"method": "GET", "query_string": {"query": PAPERS, "version": "9.9"}}, 400,
     "unsupported SPARQL version"),
    ({"method": "GET", "query_string": {"update": "CLEAR ALL"}}, 400, "must be sent by POST"),
    ({"method": "GET", "query_string": {"query": PAPERS}, "headers": {"Accept": "image/png"}},
     406, "offered: application/sparql-results+json"),
])
def test_refusals(client: FlaskClient, request_args: dict[str, object], status: int,
                  says: str) -> None:
    response = client.open("/sparql", **request_args)  # type: ignore[arg-type]
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert says in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405_with_allow(client: FlaskClient, method: str) -> None:
    response = client.open("/sparql", method=method)
    assert response.status_code == 405
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_version_once_is_accepted(client: FlaskClient, version: str) -> None:
    response = client.get("/sparql", query_string={"query": PAPERS, "version": version})
    assert count(response) == 9


def test_the_protocol_dataset_replaces_the_union_and_from(client: FlaskClient) -> None:
    union = values(client.get("/sparql", query_string={"query": NAMES}))
    assert union == ["ACL 2023", "Zhenguo Li", "extra"]
    only_extra = {"query": NAMES, "default-graph-uri": EXTRA}
    assert values(client.get("/sparql", query_string=only_extra)) == ["extra"]
    assert values(client.post("/sparql", data=only_extra)) == ["extra"]
    assert values(client.post("/sparql", data=NAMES, content_type="application/sparql-query",
                              query_string={"default-graph-uri": EXTRA})) == ["extra"]
    from_example = NAMES.replace("WHERE", f"FROM <{BASE}graph/zhenguo-li.txt> WHERE")
    assert "extra" not in values(client.get("/sparql", query_string={"query": from_example}))
    assert values(client.get("/sparql", query_string={
        "query": from_example, "default-graph-uri": EXTRA})) == ["extra"]
    graphs = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    assert values(client.get("/sparql", query_string={
        "query": graphs, "named-graph-uri": EXTRA})) == [EXTRA]
    assert values(client.get("/sparql", query_string=[
        ("query", NAMES), ("default-graph-uri", EXTRA),
        ("default-graph-uri", f"{BASE}graph/zhenguo-li.txt")])) == union


SELECT_TYPES = [("application/sparql-results+json", QueryResultsFormat.JSON),
                ("application/sparql-results+xml", QueryResultsFormat.XML),
                ("text/csv", QueryResultsFormat.CSV),
                ("text/tab-separated-values", QueryResultsFormat.TSV)]
GRAPH_TYPES = [("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
               ("application/rdf+xml", RdfFormat.RDF_XML),
               ("application/ld+json", RdfFormat.JSON_LD),
               ("application/n-quads", RdfFormat.N_QUADS), ("application/trig", RdfFormat.TRIG)]
DESCRIBE = f"DESCRIBE <{BASE}person/zhenguo-li>"


@pytest.mark.parametrize(("media_type", "fmt"), SELECT_TYPES)
def test_result_formats(client: FlaskClient, media_type: str, fmt: QueryResultsFormat) -> None:
    response = client.get("/sparql", query_string={"query": PAPERS},
                          headers={"Accept": media_type})
    assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert values(response, fmt) == ["9"]


@pytest.mark.parametrize(("media_type", "fmt"), GRAPH_TYPES)
def test_graph_formats(client: FlaskClient, media_type: str, fmt: RdfFormat) -> None:
    response = client.get("/sparql", query_string={"query": DESCRIBE},
                          headers={"Accept": media_type})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{media_type}; charset=utf-8"
    assert any(q.object.value == "Zhenguo Li" for q in parse(response.data, fmt))


@pytest.mark.parametrize(("accept", "params", "expected"), [
    ("text/csv;q=0.5, application/sparql-results+xml;q=0.9", {}, "application/sparql-results+xml"),
    ("text/*", {}, "text/csv"),
    ("application/json", {}, JSON),
    (None, {"format": "csv"}, "text/csv"),
    (None, {"output": "tsv"}, "text/tab-separated-values"),
    ("text/csv", {"format": "json"}, JSON),
    (None, {"format": "application/sparql-results+xml"}, "application/sparql-results+xml"),
    ("text/csv", {"format": "what-is-this"}, "text/csv"),
    (None, {"format": "turtle"}, JSON),
])
def test_negotiation_over_http(client: FlaskClient, accept: str | None, params: dict[str, str],
                               expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/sparql", query_string={"query": PAPERS, **params}, headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"{expected}; charset=utf-8"


def test_construct_with_format_parameter(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": DESCRIBE, "format": "json"})
    assert response.headers["Content-Type"] == "application/ld+json; charset=utf-8"
    assert json.loads(response.data)


# --- limits, caching, compression, CORS -----------------------------------------------------


def test_the_cap_is_visible(client: FlaskClient) -> None:
    everything = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }"},
                            headers={"Accept": "text/tab-separated-values"})
    assert everything.headers["KG-Result-Truncated"] == "true"
    assert everything.headers["KG-Result-Limit"] == str(CAP)
    assert everything.data.count(b"\n") == CAP + 1
    small = client.get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o } LIMIT 5"})
    assert small.headers["KG-Result-Truncated"] == "false"
    ask = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"})
    assert "KG-Result-Truncated" not in ask.headers
    graph = client.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                       headers={"Accept": "application/n-triples"})
    assert graph.headers["KG-Result-Truncated"] == "true"
    assert graph.data.count(b"\n") == CAP


def test_etag_last_modified_and_304(client: FlaskClient) -> None:
    first = client.get("/sparql", query_string={"query": PAPERS})
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"')
    again = client.get("/sparql", query_string={"query": PAPERS},
                       headers={"If-None-Match": etag})
    assert (again.status_code, again.data, again.headers["ETag"]) == (304, b"", etag)
    assert client.get("/sparql", query_string={"query": PAPERS},
                      headers={"If-Modified-Since": modified}).status_code == 304
    other = client.get("/sparql", query_string={"query": PAPERS},
                       headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200
    csv = client.get("/sparql", query_string={"query": PAPERS}, headers={"Accept": "text/csv"})
    assert csv.headers["ETag"] != etag


def test_a_write_changes_every_etag(client: FlaskClient) -> None:
    etag = client.get("/sparql", query_string={"query": PAPERS}).headers["ETag"]
    graph = "http://example.org/etag-test"
    assert client.put("/store", query_string={"graph": graph}, data="<a:b> <a:c> <a:d> .",
                      content_type="text/turtle", headers=AUTH).status_code == 201
    changed = client.get("/sparql", query_string={"query": PAPERS},
                         headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert client.delete("/store", query_string={"graph": graph},
                         headers=AUTH).status_code == 204


def test_the_result_cache_and_no_cache(app: Flask, client: FlaskClient) -> None:
    query = {"query": PAPERS + " # cache test"}
    client.get("/sparql", query_string=query)
    hits = app.extensions["kg_cache"].hits
    assert count(client.get("/sparql", query_string=query)) == 9
    assert app.extensions["kg_cache"].hits == hits + 1
    assert count(client.get("/sparql", query_string=query,
                            headers={"Cache-Control": "no-cache"})) == 9
    assert app.extensions["kg_cache"].hits == hits + 1


def test_gzip(client: FlaskClient) -> None:
    query = {"query": "SELECT * { ?s ?p ?o } LIMIT 40"}
    plain = client.get("/sparql", query_string=query)
    packed = client.get("/sparql", query_string=query, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["ETag"] != plain.headers["ETag"]
    tiny = client.get("/sparql", query_string={"query": "ASK {}"},
                      headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in tiny.headers  # not worth it under 1 KiB


def test_cors(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": PAPERS},
                          headers={"Origin": "https://elsewhere.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "KG-Result-Truncated" in response.headers["Access-Control-Expose-Headers"]
    preflight = client.options("/sparql", headers={
        "Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "Authorization, Content-Type"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]


def test_outbound_requests_are_refused(client: FlaskClient) -> None:
    service = client.get("/sparql", query_string={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
    assert service.status_code == 403
    assert "SERVICE <http://127.0.0.1:1/> is refused" in service.text
    load = client.post("/sparql", data={"update": "LOAD <file:///etc/passwd>"}, headers=AUTH)
    assert load.status_code == 403
    assert "LOAD <file:///etc/passwd> is refused" in load.text


def test_service_and_load_by_allow_list(tmp_path: Path) -> None:
    settings = Settings(store=str(tmp_path / "store"), service_allow=("http://127.0.0.1:1/",),
                        query_workers=1)
    app = create_app(settings)
    try:
        response = app.test_client().get("/sparql", query_string={
            "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"})
        # allowed, so pyoxigraph tries: port 1 is refused by its HTTP client itself
        assert response.status_code == 500
        assert "port 1 is not allowed" in response.text
    finally:
        app.extensions["kg_pool"].close()


def test_413(tmp_path: Path) -> None:
    app = create_app(Settings(store=str(tmp_path / "store"), max_query_bytes=200,
                              max_body_bytes=300, update_token=TOKEN, query_workers=1))
    client = app.test_client()
    long_query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 300
    assert client.get("/sparql", query_string={"query": long_query}).status_code == 413
    assert client.post("/sparql", data={"query": long_query}).status_code == 413
    assert client.post("/sparql", data=long_query,
                       content_type="application/sparql-query").status_code == 413
    huge = client.post("/sparql", data="x" * 100_000, content_type="application/sparql-query")
    assert huge.status_code == 413
    upload = client.put("/store", query_string={"default": ""}, data="# " + "x" * 400,
                        content_type="text/turtle", headers=AUTH)
    assert upload.status_code == 413
    assert upload.headers["Content-Type"] == "text/plain; charset=utf-8"
    app.extensions["kg_pool"].close()


# --- updates --------------------------------------------------------------------------------


def test_updates_need_the_token(client: FlaskClient, tmp_path: Path) -> None:
    insert = {"update": 'INSERT DATA { GRAPH <http://example.org/u> { <a:s> <a:p> "u" } }'}
    no_token = client.post("/sparql", data=insert)
    assert no_token.status_code == 401
    assert no_token.headers["WWW-Authenticate"].startswith("Bearer")
    wrong = client.post("/sparql", data=insert, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and 'error="invalid_token"' in wrong.headers[
        "WWW-Authenticate"]
    assert TOKEN not in wrong.text
    ask = {"query": 'ASK { <a:s> <a:p> "u" }'}
    assert json.loads(client.get("/sparql", query_string=ask).data)["boolean"] is False
    assert client.post("/sparql", data=insert, headers=AUTH).status_code == 204
    assert json.loads(client.get("/sparql", query_string=ask).data)["boolean"] is True
    direct = client.post("/sparql", data="DROP GRAPH <http://example.org/u>",
                         content_type="application/sparql-update", headers=AUTH)
    assert direct.status_code == 204
    assert json.loads(client.get("/sparql", query_string=ask).data)["boolean"] is False
    read_only = create_app(Settings(store=str(tmp_path / "ro"), query_workers=1))
    refused = read_only.test_client().post("/sparql", data=insert, headers=AUTH)
    assert refused.status_code == 403 and "read-only" in refused.text


@pytest.mark.parametrize(("request_args", "status", "says"), [
    ({"data": {"update": ["CLEAR ALL", "CLEAR ALL"]}}, 400, "exactly one 'update'"),
    ({"data": {"update": "INSERT DATA { <a:s> <a:p> }"}}, 400, "SPARQL syntax error"),
    ({"data": {"update": "DELETE { ?s ?p ?o } USING <http://g/> WHERE { ?s ?p ?o }",
               "using-graph-uri": EXTRA}}, 400, "cannot be combined"),
    ({"data": {"update": "CLEAR ALL", "using-graph-uri": "no iri"}}, 400, "not a valid IRI"),
])
def test_update_refusals(client: FlaskClient, request_args: dict[str, object], status: int,
                         says: str) -> None:
    response = client.post("/sparql", headers=AUTH, **request_args)  # type: ignore[arg-type]
    assert response.status_code == status
    assert says in response.text


def test_using_graph_uri(client: FlaskClient) -> None:
    copy = ("INSERT { GRAPH <http://example.org/copy> { ?s <http://schema.org/name> ?n } } "
            "WHERE { ?s <http://schema.org/name> ?n }")
    response = client.post("/sparql", data={"update": copy, "using-graph-uri": EXTRA},
                           headers=AUTH)
    assert response.status_code == 204
    copied = client.get("/sparql", query_string={
        "query": NAMES, "default-graph-uri": "http://example.org/copy"})
    assert values(copied) == ["extra"]
    named = ("INSERT { GRAPH <http://example.org/copy2> { ?s <http://schema.org/name> ?n } } "
             "WHERE { GRAPH ?g { ?s <http://schema.org/name> ?n } }")
    assert client.post("/sparql", data=named, content_type="application/sparql-update",
                       query_string={"using-named-graph-uri": EXTRA},
                       headers=AUTH).status_code == 204
    assert values(client.get("/sparql", query_string={
        "query": NAMES, "default-graph-uri": "http://example.org/copy2"})) == ["extra"]
    for graph in ("copy", "copy2"):
        client.post("/sparql", data={"update": f"DROP GRAPH <http://example.org/{graph}>"},
                    headers=AUTH)


def test_query_and_update_aliases(client: FlaskClient) -> None:
    assert count(client.get("/query", query_string={"query": PAPERS})) == 9
    assert client.post("/query", data={"update": "CLEAR ALL"}).status_code == 400
    assert client.post("/update", data={"query": PAPERS}).status_code == 400
    assert client.get("/update").status_code == 405
    assert client.post("/update", data={"update": "CLEAR SILENT GRAPH <http://example.org/none>"},
                       headers=AUTH).status_code == 204
    missing = client.post("/update", data={"update": "CLEAR GRAPH <http://example.org/none>"},
                          headers=AUTH)
    assert missing.status_code == 400
    assert "does not exist" in missing.text


# --- the pure rules -------------------------------------------------------------------------


def test_read_operation_rules() -> None:
    def read(kind: str | None, args: dict[str, list[str]], form: dict[str, list[str]] | None = None,
             body: str | None = None) -> object:
        return read_operation(kind, args, form or {}, body, max_query_bytes=100,
                              max_timeout=30.0)

    assert read(None, {}) is None
    assert read(None, {"format": ["turtle"]}) is None
    query = read(None, {"query": ["ASK {}"], "timeout": ["5"], "output": ["csv"],
                        "named-graph-uri": ["http://g/"]})
    assert query == QueryRequest("ASK {}", (), ("http://g/",), 5.0, "csv")
    assert read("query", {}, body="ASK {}") == QueryRequest("ASK {}", None, None, 30.0, None)
    assert read("update", {"using-graph-uri": ["http://g/"]}, body="CLEAR ALL") == \
        UpdateRequest("CLEAR ALL", ("http://g/",), ())
    assert read("form", {}, {"update": ["CLEAR ALL"]}) == UpdateRequest("CLEAR ALL", (), ())
    with pytest.raises(ProtocolError) as too_long:
        read(None, {"query": ["#" * 101]})
    assert too_long.value.status == 413
    assert read(None, {"query": ["é" * 50]}) is not None
    with pytest.raises(ProtocolError) as too_long_in_bytes:
        read(None, {"query": ["é" * 51]})
    assert too_long_in_bytes.value.status == 413
