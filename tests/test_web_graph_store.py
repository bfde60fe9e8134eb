"""The Graph Store HTTP Protocol at /store, the service description, VoID and /health,
through Flask's test client over a real store and real worker processes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import Literal, NamedNode, RdfFormat, parse
from rdflib import Graph
from werkzeug.test import TestResponse

from kg.config import Settings
from kg.store import EmbeddedStore
from kg.web import create_app
from tests.conftest import BASE
from tests.test_web_protocol import EXTRA, TOKEN, make_store

AUTH = {"Authorization": f"Bearer {TOKEN}"}
G = "http://example.org/gsp"
SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
KG = "https://w3id.org/scholarly-kg/ontology#"
TURTLE = '@prefix ex: <http://example.org/> . ex:a ex:name "first" ; ex:knows [ ex:name "b" ] .'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path = make_store(tmp_path_factory.mktemp("gsp") / "store")
    app = create_app(Settings(store=str(path), update_token=TOKEN, query_workers=2,
                              result_limit=1000, query_timeout=20))
    yield app
    app.extensions["kg_pool"].close()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def triples(response: TestResponse, fmt: RdfFormat = RdfFormat.N_TRIPLES) -> set[tuple[str, ...]]:
    assert response.status_code == 200, response.text
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in parse(response.data, fmt)
            if not str(q.subject).startswith("_:")}


def nt(client: FlaskClient, **target: str) -> TestResponse:
    return client.get("/store", query_string=target, headers={"Accept": "application/n-triples"})


def test_put_get_post_delete(client: FlaskClient) -> None:
    created = client.put("/store", query_string={"graph": G}, data=TURTLE,
                         content_type="text/turtle", headers=AUTH)
    assert created.status_code == 201
    first = nt(client, graph=G)
    assert first.headers["Content-Type"] == "application/n-triples; charset=utf-8"
    assert ("<http://example.org/a>", "<http://example.org/name>", '"first"') in triples(first)
    assert len(list(parse(first.data, RdfFormat.N_TRIPLES))) == 3
    replaced = client.put("/store", query_string={"graph": G},
                          data='<http://example.org/a> <http://example.org/name> "second" .',
                          content_type="application/n-triples", headers=AUTH)
    assert replaced.status_code == 204
    assert triples(nt(client, graph=G)) == {
        ("<http://example.org/a>", "<http://example.org/name>", '"second"')}
    merged = client.post("/store", query_string={"graph": G},
                         data='<http://example.org/a> <http://example.org/name> "third" .',
                         content_type="application/n-triples", headers=AUTH)
    assert merged.status_code == 204
    assert {t[2] for t in triples(nt(client, graph=G))} == {'"second"', '"third"'}
    head = client.head("/store", query_string={"graph": G}, headers={"Accept": "text/turtle"})
    assert (head.status_code, head.data) == (200, b"")
    assert head.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert client.delete("/store", query_string={"graph": G}, headers=AUTH).status_code == 204
    assert nt(client, graph=G).status_code == 404
    assert client.head("/store", query_string={"graph": G}).status_code == 404
    assert client.delete("/store", query_string={"graph": G}, headers=AUTH).status_code == 404


def test_post_to_a_new_graph_is_201(client: FlaskClient) -> None:
    graph = "http://example.org/gsp-new"
    response = client.post("/store", query_string={"graph": graph}, data=TURTLE,
                           content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201
    client.delete("/store", query_string={"graph": graph}, headers=AUTH)


def test_post_to_the_store_creates_a_graph(client: FlaskClient) -> None:
    response = client.post("/store", data=TURTLE, content_type="text/turtle", headers=AUTH)
    assert response.status_code == 201
    location = response.headers["Location"]
    graph = parse_qs(urlsplit(location).query)["graph"][0]
    assert graph.startswith(f"{BASE}graph/upload-")
    fetched = client.get(urlsplit(location).path, query_string={"graph": graph},
                         headers={"Accept": "application/n-triples"})
    assert len(list(parse(fetched.data, RdfFormat.N_TRIPLES))) == 3
    assert client.delete("/store", query_string={"graph": graph}, headers=AUTH).status_code == 204


def test_post_quads_to_the_store_merges_them(client: FlaskClient) -> None:
    quads = ('<http://example.org/q> <http://example.org/p> "1" <http://example.org/gq1> .\n'
             '<http://example.org/q> <http://example.org/p> "2" <http://example.org/gq2> .\n')
    response = client.post("/store", data=quads, content_type="application/n-quads",
                           headers=AUTH)
    assert response.status_code == 204
    for graph in ("http://example.org/gq1", "http://example.org/gq2"):
        assert len(triples(nt(client, graph=graph))) == 1
        client.delete("/store", query_string={"graph": graph}, headers=AUTH)


def test_the_default_graph(client: FlaskClient) -> None:
    assert nt(client, default="").data == b""
    assert client.put("/store", query_string={"default": ""}, data=TURTLE,
                      content_type="text/turtle", headers=AUTH).status_code == 204
    assert len(list(parse(nt(client, default="").data, RdfFormat.N_TRIPLES))) == 3
    assert client.delete("/store", query_string={"default": ""}, headers=AUTH).status_code == 204
    assert nt(client, default="").data == b""


def test_the_whole_dataset(client: FlaskClient) -> None:
    response = client.get("/store")
    assert response.headers["Content-Type"] == "application/n-quads; charset=utf-8"
    graphs = {q.graph_name for q in parse(response.data, RdfFormat.N_QUADS)}
    assert {NamedNode(EXTRA), NamedNode(f"{BASE}graph/zhenguo-li.txt")} <= graphs
    trig = client.get("/store", headers={"Accept": "application/trig"})
    assert len(list(parse(trig.data, RdfFormat.TRIG))) == len(list(parse(response.data,
                                                                         RdfFormat.N_QUADS)))


@pytest.mark.parametrize(("accept", "fmt"), [
    ("text/turtle", RdfFormat.TURTLE), ("application/rdf+xml", RdfFormat.RDF_XML),
    ("application/ld+json", RdfFormat.JSON_LD), ("application/trig", RdfFormat.TRIG)])
def test_get_formats(client: FlaskClient, accept: str, fmt: RdfFormat) -> None:
    response = client.get("/store", query_string={"graph": EXTRA}, headers={"Accept": accept})
    assert response.headers["Content-Type"] == f"{accept}; charset=utf-8"
    assert [q.object for q in parse(response.data, fmt)] == [Literal("extra")]


@pytest.mark.parametrize(("method", "target", "body", "content_type", "status", "says"), [
    ("PUT", {"graph": G}, "<a> <b> .", "text/turtle", 400, "cannot be read as Turtle"),
    ("PUT", {"graph": G}, TURTLE, "application/json", 415, "cannot read 'application/json'"),
    ("PUT", {"graph": G}, TURTLE, "", 415, "cannot read"),
    ("PUT", {"graph": G}, "<http://a/> <http://b/> <http://c/> <http://g/> .",
     "application/n-quads", 400, "cannot be read"),
    ("PUT", {}, TURTLE, "text/turtle", 400, "PUT needs ?graph=IRI or ?default"),
    ("DELETE", {}, "", "text/turtle", 400, "DELETE needs"),
    ("PUT", {"graph": "not an iri"}, TURTLE, "text/turtle", 400, "graph is not a valid IRI"),
    ("PUT", {"graph": G, "default": ""}, TURTLE, "text/turtle", 400, "name one graph"),
    ("GET", {"graph": "relative"}, "", "", 400, "graph is not a valid IRI"),
    ("PATCH", {"graph": G}, TURTLE, "text/turtle", 405, "not allowed"),
])
def test_refusals(client: FlaskClient, method: str, target: dict[str, str], body: str,
                  content_type: str, status: int, says: str) -> None:
    response = client.open("/store", method=method, query_string=target, data=body,
                           content_type=content_type, headers=AUTH)
    assert response.status_code == status, response.text
    assert says in response.text
    assert nt(client, graph=G).status_code == 404  # nothing was written


def test_406(client: FlaskClient) -> None:
    response = client.get("/store", query_string={"graph": EXTRA},
                          headers={"Accept": "text/csv"})
    assert response.status_code == 406
    assert "offered: text/turtle" in response.text


def test_writes_need_the_token(client: FlaskClient) -> None:
    before = client.get("/store").data
    for method in ("PUT", "POST", "DELETE"):
        anonymous = client.open("/store", method=method, query_string={"graph": EXTRA},
                                data=TURTLE, content_type="text/turtle")
        assert anonymous.status_code == 401
        wrong = client.open("/store", method=method, query_string={"graph": EXTRA},
                            data=TURTLE, content_type="text/turtle",
                            headers={"Authorization": "Bearer wrong-token"})
        assert wrong.status_code == 401
    assert client.get("/store").data == before


def test_etag_and_304(client: FlaskClient) -> None:
    first = client.get("/store", query_string={"graph": EXTRA})
    again = client.get("/store", query_string={"graph": EXTRA},
                       headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_malformed_upload_changes_nothing_even_halfway(client: FlaskClient) -> None:
    good = "\n".join(f'<http://example.org/s{n}> <http://example.org/p> "{n}" .' for n in range(50))
    response = client.put("/store", query_string={"graph": EXTRA}, data=good + "\n<broken",
                          content_type="application/n-triples", headers=AUTH)
    assert response.status_code == 400
    assert "line 51" in response.text
    assert [q.object for q in parse(client.get("/store", query_string={"graph": EXTRA}).data,
                                    RdfFormat.TURTLE)] == [Literal("extra")]


# --- the service description and VoID -------------------------------------------------------


def rdf(response: TestResponse, fmt: str) -> Graph:
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.data, format=fmt)


def test_service_description(client: FlaskClient, app: Flask) -> None:
    response = client.get("/sparql")
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = rdf(response, "turtle")
    endpoint = "http://localhost/sparql"
    query = f"""PREFIX sd: <{SD}> PREFIX kg: <{KG}> PREFIX void: <{VOID}>
    SELECT * WHERE {{
      ?service a sd:Service ; sd:endpoint <{endpoint}> ; sd:feature sd:UnionDefaultGraph ;
        sd:defaultDataset ?dataset ; kg:resultLimit ?cap ; kg:queryTimeout ?timeout ;
        kg:maxQueryLength ?length ; kg:maxRequestBody ?body .
      ?dataset sd:defaultGraph ?default ; sd:namedGraph [ sd:name <{EXTRA}> ] .
      ?default void:triples ?triples .
    }}"""
    rows = list(graph.query(query))
    assert len(rows) == 1
    row = rows[0]
    assert (int(row.cap), float(row.timeout), int(row.length)) == (1000, 20.0, 1 << 20)
    languages = {str(o) for o in graph.objects(None, graph.namespace_manager.expand_curie(
        "sd:supportedLanguage"))}
    assert languages == {SD + "SPARQL10Query", SD + "SPARQL11Query", SD + "SPARQL11Update"}
    formats = {str(o) for o in graph.objects(None, graph.namespace_manager.expand_curie(
        "sd:resultFormat"))}
    assert {"http://www.w3.org/ns/formats/SPARQL_Results_JSON",
            "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
            "http://www.w3.org/ns/formats/Turtle", "http://www.w3.org/ns/formats/TriG"} <= formats


@pytest.mark.parametrize(("headers", "params", "fmt"), [
    ({"Accept": "application/ld+json"}, {}, RdfFormat.JSON_LD),
    ({"Accept": "application/rdf+xml"}, {}, RdfFormat.RDF_XML),
    ({}, {"format": "ntriples"}, RdfFormat.N_TRIPLES),
])
def test_service_description_formats(client: FlaskClient, headers: dict[str, str],
                                     params: dict[str, str], fmt: RdfFormat) -> None:
    response = client.get("/sparql", headers=headers, query_string=params)
    assert response.headers["Content-Type"] == f"{fmt.media_type}; charset=utf-8"
    assert len(list(parse(response.data, fmt))) > 20


def test_service_description_for_people(client: FlaskClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"Accept": browser})
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    page = response.text
    assert "<h1>SPARQL endpoint</h1>" in page and 'name="query"' in page
    assert "20 s" in page and "1000" in page
    assert "http://localhost/.well-known/void" in page


def test_a_read_only_service_offers_no_update_language(tmp_path: object) -> None:
    from pathlib import Path

    app = create_app(Settings(store=str(Path(str(tmp_path)) / "store"), query_workers=1))
    graph = rdf(app.test_client().get("/sparql"), "turtle")
    assert not any("SPARQL11Update" in str(o) for o in graph.objects())
    assert "no (read-only)" in app.test_client().get("/sparql?format=html").text


def test_void(client: FlaskClient) -> None:
    response = client.get("/.well-known/void")
    assert response.headers["Content-Type"] == "text/turtle; charset=utf-8"
    graph = rdf(response, "turtle")
    rows = list(graph.query(f"""PREFIX void: <{VOID}>
        SELECT ?triples ?papers WHERE {{
          <{BASE}dataset> a void:Dataset ; void:sparqlEndpoint <http://localhost/sparql> ;
             void:triples ?triples ; void:subset <{EXTRA}> ;
             void:classPartition [ void:class <http://schema.org/ScholarlyArticle> ;
                                   void:entities ?papers ] .
        }}"""))
    assert len(rows) == 1 and int(rows[0].papers) == 9 and int(rows[0].triples) >= 1101
    assert client.get("/.well-known/void", headers={"Accept": "text/html"}).status_code == 406
    assert client.get("/.well-known/void", headers={
        "If-None-Match": response.headers["ETag"]}).status_code == 304


def test_health(client: FlaskClient) -> None:
    client.get("/sparql", query_string={"query": "ASK {}"})
    response = client.get("/health")
    assert response.status_code == 200
    body = json.loads(response.data)
    assert body["status"] == "ok" and body["writable"] is True
    assert body["workers"]["configured"] == 2 and body["workers"]["running"] == 2


def test_health_without_a_readable_store(tmp_path: object) -> None:
    from pathlib import Path

    location = Path(str(tmp_path)) / "store"
    app = create_app(Settings(store=str(location), query_workers=1))
    (location / "CURRENT").unlink()
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert json.loads(response.data)["status"] == "unavailable"


def test_ingest_from_another_process_is_seen(app: Flask, client: FlaskClient) -> None:
    ask = {"query": 'ASK { <http://example.org/late> ?p "arrived" }'}
    assert json.loads(client.get("/sparql", query_string=ask).data)["boolean"] is False
    writer = EmbeddedStore(app.extensions["kg_access"].location)  # the server holds no lock
    writer.update('INSERT DATA { GRAPH <http://example.org/late-graph> { '
                  '<http://example.org/late> <http://example.org/p> "arrived" } }')
    writer.close()
    assert json.loads(client.get("/sparql", query_string=ask).data)["boolean"] is True
    assert client.delete("/store", query_string={"graph": "http://example.org/late-graph"},
                         headers=AUTH).status_code == 204
