"""Dereferencing (kg/web/linked_data.py, describe.py): every kind of resource, every format,
303/404/406, Vary and Link, the path -> IRI mapping through the base IRI; over Flask's test
client for the many negotiation cases, and over real HTTP against ``kg serve``."""

from __future__ import annotations

import doctest
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, parse

from kg.vocab import BIBO, KG, PROV, RDF, SDO
from kg.web import describe as describe_module
from kg.web import linked_data as linked_data_module
from kg.web import negotiation
from kg.web.describe import describe
from kg.web.linked_data import candidates
from tests.conftest import BASE, EXAMPLE
from tests.web_support import (
    TOY_VOLUME,
    XSS,
    XSS_PAPER_PATH,
    build_store,
    close_app,
    make_app,
    running_server,
)

MOTE = "paper/2025-mixture-of-insightful-experts-mote-the-synergy-of-e91d585c"

#: One resource of every kind the mapper mints (path below the base IRI).
RESOURCES = {
    "paper": "paper/2024.toyws-1.1",
    "paper without ids": MOTE,
    "paper with a DOI": XSS_PAPER_PATH,
    "person": "person/zhenguo-li",
    "person with an ACL id": "person/grace-hopper",
    "organisation": "org/association-for-computational-linguistics",
    "volume": "volume/2024.toyws-1",
    "venue": "venue/toyws",
    "event": "event/toyws-2024",
    "author slot": "paper/2024.toyws-1.1/author/2",
    "author list cell": "paper/2024.toyws-1.1/author-list/1",
    "editor slot": "volume/2024.toyws-1/editor/1",
    "attachment": "paper/2024.toyws-1.1/attachment/1",
    "revision": "paper/2024.toyws-1.1/revision/2",
    "erratum": "paper/2024.toyws-1.1/erratum/1",
    "named graph": "graph/zhenguo-li.txt",
    "source file": "graph/zhenguo-li.txt/source",
    "ingest": "graph/2024.toyws.xml/ingest",
    "software": "software/kg/0.1.0",
}
CITABLE = {"paper", "paper without ids", "paper with a DOI", "person", "person with an ACL id",
           "organisation", "volume"}
FORMATS = {
    ".html": "text/html",
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".rdf": "application/rdf+xml",
}
RDF_FORMATS = {".ttl": RdfFormat.TURTLE, ".jsonld": RdfFormat.JSON_LD,
               ".nt": RdfFormat.N_TRIPLES, ".rdf": RdfFormat.RDF_XML}


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("linked-data") / "store",
                       [EXAMPLE, TOY_VOLUME, XSS], BASE)


@pytest.fixture(scope="module")
def app(web_store: Path) -> Iterator[Flask]:
    built = make_app(web_store, BASE)
    yield built
    close_app(built)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def triples(body: bytes, fmt: RdfFormat) -> set[Triple]:
    return {quad.triple for quad in parse(body, fmt)}


# --- pure functions ---------------------------------------------------------------------------


@pytest.mark.parametrize("module", [describe_module, linked_data_module, negotiation])
def test_docstring_examples_run(module: object) -> None:
    failures, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert tried > 0 and failures == 0


@pytest.mark.parametrize(("accept", "override", "bibtex", "expected"), [
    (None, None, False, "text/html"),
    ("*/*", None, False, "text/html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, False,
     "text/html"),
    ("text/turtle", None, False, "text/turtle"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.9", None, False, "text/turtle"),
    ("text/html;q=0.1, application/ld+json", None, False, "application/ld+json"),
    ("application/*", None, False, "application/ld+json"),
    ("text/*;q=0.5, application/n-triples", None, False, "application/n-triples"),
    ("text/plain", None, False, "application/n-triples"),
    ("application/x-turtle", None, False, "text/turtle"),
    ("application/json", None, False, "application/ld+json"),
    ("application/x-bibtex", None, True, "application/x-bibtex"),
    ("application/x-bibtex, text/html;q=0.1", None, False, "text/html"),
    ("text/html", "ttl", False, "text/turtle"),
    ("text/html", "application/rdf+xml", False, "application/rdf+xml"),
    ("text/turtle", "nonsense", False, "text/turtle"),
    ("text/turtle", "bib", False, "text/turtle"),
    ("image/png", None, False, None),
    ("text/turtle;q=0", None, False, None),
    ("application/x-bibtex", None, False, None),
])
def test_negotiate_document(accept: str | None, override: str | None, bibtex: bool,
                            expected: str | None) -> None:
    assert negotiation.negotiate_document(accept, override, bibtex=bibtex) == expected


def test_candidates_cover_both_encodings_of_the_minter() -> None:
    base = "https://w3id.org/scholarly-kg/"
    found = candidates(base, "paper/doi/10.9999/xss'onmouseover%3d'window.__xss=7'")
    assert base + XSS_PAPER_PATH in found
    assert candidates(base, "paper/2024.toyws-1.1") == [base + "paper/2024.toyws-1.1"]


# --- 303 from the resource to its documents ---------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RESOURCES))
@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_resource_redirects_to_the_document_asked_for(client: FlaskClient, kind: str,
                                                      suffix: str) -> None:
    path = RESOURCES[kind]
    response = client.get(f"/{path}", headers={"Accept": FORMATS[suffix]})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{path}{suffix}"
    assert response.headers["Vary"] == "Accept"
    link = response.headers["Link"]
    for other_suffix, media_type in FORMATS.items():
        assert f'</{path}{other_suffix}>; rel="alternate"; type="{media_type}"' in link
    assert (f'</{path}.bib>; rel="alternate"' in link) == (kind in CITABLE)


@pytest.mark.parametrize(("accept", "query", "suffix"), [
    (None, "", ".html"),
    ("*/*", "", ".html"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.9, */*;q=0.1", "", ".ttl"),
    ("text/html", "?format=ttl", ".ttl"),
    ("text/html", "?format=jsonld", ".jsonld"),
    ("text/html", "?format=unknown", ".html"),
    ("application/x-bibtex", "", ".bib"),
    (None, "?format=bibtex", ".bib"),
])
def test_q_values_and_the_format_parameter(client: FlaskClient, accept: str | None, query: str,
                                           suffix: str) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/person/zhenguo-li{query}", headers=headers)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/person/zhenguo-li{suffix}"


@pytest.mark.parametrize("accept", ["image/png", "text/turtle;q=0, text/html;q=0",
                                    "application/x-bibtex"])
def test_nothing_acceptable_is_406(client: FlaskClient, accept: str) -> None:
    response = client.get("/venue/toyws", headers={"Accept": accept})
    assert response.status_code == 406
    assert response.headers["Vary"] == "Accept"
    assert "text/turtle" in response.get_data(as_text=True)
    assert 'rel="alternate"' in response.headers["Link"]


@pytest.mark.parametrize("path", ["/paper/no-such-paper", "/paper/no-such-paper.ttl",
                                  "/person/nobody.html", "/venue/toyws.bib",
                                  "/graph/zhenguo-li.txt.bib", "/paper/2024.toyws-1.1.pdf",
                                  "/org/", "/volume/2024.toyws-1/editor/9"])
@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_unknown_iris_are_404(client: FlaskClient, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 404
    if path != "/org/":  # not a resource path at all: Flask's own 404
        assert response.headers["Vary"] == "Accept"
        expected = "text/html" if accept == "text/html" else "text/plain"
        assert response.mimetype == expected


# --- the documents ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(RESOURCES))
@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_document_of_every_kind(client: FlaskClient, kind: str, suffix: str) -> None:
    path = RESOURCES[kind]
    response = client.get(f"/{path}{suffix}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == f"{FORMATS[suffix]}; charset=utf-8"
    link = response.headers["Link"]
    assert f'<{BASE}{path}>; rel="describes"' in link
    assert f'</{path}.ttl>; rel="alternate"; type="text/turtle"' in link
    if suffix in RDF_FORMATS:
        found = triples(response.data, RDF_FORMATS[suffix])
        assert any(t.subject == NamedNode(BASE + path) for t in found)
    else:
        assert f"{BASE}{path}" in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", sorted(RESOURCES))
def test_the_formats_hold_the_same_triples(client: FlaskClient, kind: str) -> None:
    path = RESOURCES[kind]
    graphs = {suffix: triples(client.get(f"/{path}{suffix}").data, fmt)
              for suffix, fmt in RDF_FORMATS.items()}
    turtle = graphs.pop(".ttl")
    assert turtle
    for suffix, graph in graphs.items():
        assert graph == turtle, suffix


def test_head_and_other_methods(client: FlaskClient) -> None:
    head = client.head("/paper/2024.toyws-1.1.ttl")
    assert head.status_code == 200 and head.data == b""
    assert client.head("/paper/2024.toyws-1.1").status_code == 303
    assert client.post("/paper/2024.toyws-1.1.ttl").status_code == 405


def test_bibtex_documents(client: FlaskClient) -> None:
    paper = client.get("/paper/2024.toyws-1.1.bib")
    assert paper.headers["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert paper.get_data(as_text=True).startswith("@inproceedings{hopper-etal-2024-counting,")
    person = client.get("/person/zhenguo-li.bib").get_data(as_text=True)
    assert person.count("\n@") + 1 == 11  # nine papers on the author page, two in the volume
    volume = client.get("/volume/2024.toyws-1.bib").get_data(as_text=True)
    assert volume.startswith("@proceedings{toyws-2024-toy,")
    assert volume.count("@inproceedings{") == 3


# --- what a description holds -----------------------------------------------------------------


def _ttl(client: FlaskClient, path: str) -> set[Triple]:
    return triples(client.get(f"/{path}.ttl").data, RdfFormat.TURTLE)


def test_a_paper_comes_with_its_authors_in_order_and_the_labels_it_links_to(
        client: FlaskClient) -> None:
    paper = NamedNode(BASE + "paper/2024.toyws-1.1")
    found = _ttl(client, "paper/2024.toyws-1.1")
    positions = {}
    for t in found:
        if t.predicate == NamedNode(str(KG.position)):
            person = next(x.object for x in found
                          if x.subject == t.subject and x.predicate == NamedNode(str(KG.person)))
            positions[int(t.object.value)] = person.value.rsplit("/", 1)[1]
    assert positions == {1: "grace-hopper", 2: "jurgen-muller-stastny", 3: "zhenguo-li"}
    cells = {t.subject for t in found if t.predicate == NamedNode(str(RDF.first))}
    assert len(cells) == 3  # the whole bibo:authorList
    name = NamedNode(str(SDO.name))
    for linked in ("person/grace-hopper", "volume/2024.toyws-1", "event/toyws-2024"):
        assert any(t.subject == NamedNode(BASE + linked) and t.predicate == name for t in found)
    assert Triple(paper, NamedNode(str(SDO.award)), Literal("Best Paper")) in found
    # labels only: not the volume's own other triples
    assert not any(t.subject == NamedNode(BASE + "volume/2024.toyws-1")
                   and t.predicate == NamedNode(str(BIBO.isbn)) for t in found)


def test_a_person_comes_with_the_papers_that_name_them(client: FlaskClient) -> None:
    found = _ttl(client, "person/zhenguo-li")
    person = NamedNode(BASE + "person/zhenguo-li")
    papers = {t.subject for t in found
              if t.predicate == NamedNode(str(SDO.author)) and t.object == person}
    assert len(papers) == 11
    for paper in papers:  # each with its title
        assert any(t.subject == paper and t.predicate == NamedNode(str(SDO.name)) for t in found)
    # the internal links of other records' parts are not part of it
    assert not any(t.predicate in (NamedNode(str(RDF.first)), NamedNode(str(KG.person)))
                   for t in found)


def test_a_named_graph_is_described_by_its_provenance(client: FlaskClient) -> None:
    found = _ttl(client, "graph/zhenguo-li.txt")
    graph = NamedNode(BASE + "graph/zhenguo-li.txt")
    assert any(t.subject == graph and t.predicate == NamedNode(str(PROV.wasDerivedFrom))
               for t in found)


def test_descriptions_are_deterministic(app: Flask) -> None:
    with app.app_context():
        from kg.web import context

        store = context.store()
        first = describe(store, [BASE + "person/zhenguo-li"])
        again = describe(store, [BASE + "person/zhenguo-li"])
    assert first.triples == again.triples
    assert first.triples[0].subject == NamedNode(BASE + "person/zhenguo-li")


# --- IRIs, hosts, proxies -----------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    XSS_PAPER_PATH,
    XSS_PAPER_PATH.replace("%3D", "%3d"),  # lower-case hex
    "paper/doi/10.9999/xss'onmouseover='window.__xss=7'",  # not encoded at all
])
def test_paths_match_however_the_client_encodes_them(client: FlaskClient, path: str) -> None:
    response = client.get(f"/{path}", headers={"Accept": "text/turtle"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/{XSS_PAPER_PATH}.ttl"


def test_requests_map_to_iris_under_the_configured_base(tmp_path: Path) -> None:
    base = "https://kg.example.org/data/"
    store = build_store(tmp_path / "store", [TOY_VOLUME], base)
    app = make_app(store, base)
    try:
        client = app.test_client()
        response = client.get("/paper/2024.toyws-1.1", headers={"Accept": "text/turtle"})
        assert response.headers["Location"] == "/paper/2024.toyws-1.1.ttl"
        found = triples(client.get("/paper/2024.toyws-1.1.ttl").data, RdfFormat.TURTLE)
        assert any(t.subject == NamedNode(base + "paper/2024.toyws-1.1") for t in found)
        html = client.get("/paper/2024.toyws-1.1.html").get_data(as_text=True)
        assert 'href="/person/grace-hopper.html"' in html  # links stay on this server
        # mounted below a path prefix (a reverse proxy's SCRIPT_NAME)
        mounted = client.get("/paper/2024.toyws-1.1", base_url="http://proxy.example/kg/",
                             headers={"Accept": "text/html"})
        assert mounted.headers["Location"] == "/kg/paper/2024.toyws-1.1.html"
        page = client.get("/paper/2024.toyws-1.1.html", base_url="http://proxy.example/kg/")
        assert 'href="/kg/person/grace-hopper.html"' in page.get_data(as_text=True)
        assert client.get("/paper/2024.toyws-1.1.ttl", base_url="http://proxy.example/kg/") \
            .status_code == 200
    finally:
        close_app(app)


# --- the vocabulary and the shapes ------------------------------------------------------------


@pytest.mark.parametrize(("name", "term"), [("ontology", "Authorship"),
                                            ("shapes", "PublicationShape")])
def test_vocabulary_and_shapes_dereference(client: FlaskClient, name: str, term: str) -> None:
    redirect = client.get(f"/{name}", headers={"Accept": "text/turtle"})
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == f"/{name}.ttl"
    assert redirect.headers["Vary"] == "Accept"
    found = triples(client.get(f"/{name}.ttl").data, RdfFormat.TURTLE)
    iri = f"https://w3id.org/scholarly-kg/{name}#{term}"
    assert any(t.subject == NamedNode(iri) for t in found)
    for suffix, fmt in RDF_FORMATS.items():
        assert len(triples(client.get(f"/{name}{suffix}").data, fmt)) == len(found)
    page = client.get(f"/{name}.html").get_data(as_text=True)
    assert f'id="{term}"' in page
    assert client.get(f"/{name}.bib").status_code == 404


def test_the_dataset_redirects_to_its_void_description(client: FlaskClient) -> None:
    response = client.get("/dataset?format=ttl")
    assert response.status_code == 303
    assert response.headers["Location"] == "/.well-known/void?format=ttl"
    void = client.get(response.headers["Location"], headers={"Accept": "text/turtle"})
    assert void.status_code == 200
    assert any(t.subject == NamedNode(BASE + "dataset")
               for t in triples(void.data, RdfFormat.TURTLE))


# --- over real HTTP ---------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _fetch(url: str, accept: str | None = None) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(web_store: Path) -> Iterator[str]:
    with running_server(web_store, BASE) as root:
        yield root


@pytest.mark.parametrize("kind", ["paper", "paper with a DOI", "person", "organisation",
                                  "volume", "venue", "event", "author slot", "named graph"])
def test_over_http_every_kind_and_format(server: str, kind: str) -> None:
    path = RESOURCES[kind]
    for suffix, media_type in FORMATS.items():
        status, headers, _ = _fetch(f"{server}/{path}", media_type)
        assert status == 303
        assert headers["Location"].endswith(f"/{path}{suffix}")
        assert headers["Vary"] == "Accept"
        assert 'rel="alternate"' in headers["Link"]
        status, headers, body = _fetch(server + headers["Location"]
                                       if headers["Location"].startswith("/")
                                       else headers["Location"])
        assert status == 200
        assert headers["Content-Type"] == f"{media_type}; charset=utf-8"
        assert f'<{BASE}{path}>; rel="describes"' in headers["Link"]
        if suffix in RDF_FORMATS:
            assert any(t.subject == NamedNode(BASE + path)
                       for t in triples(body, RDF_FORMATS[suffix]))


def test_over_http_404_and_406(server: str) -> None:
    status, headers, _ = _fetch(f"{server}/paper/no-such-paper", "text/turtle")
    assert status == 404 and headers["Vary"] == "Accept"
    status, _, _ = _fetch(f"{server}/paper/no-such-paper.ttl")
    assert status == 404
    status, headers, body = _fetch(f"{server}/paper/2024.toyws-1.1", "image/png")
    assert status == 406 and headers["Vary"] == "Accept" and b"text/turtle" in body
    status, headers, _ = _fetch(f"{server}/ontology", "application/rdf+xml")
    assert status == 303 and headers["Location"].endswith("/ontology.rdf")
