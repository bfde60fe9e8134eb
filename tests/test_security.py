"""Security of ``kg serve`` over real HTTP (issue 8): no outbound requests, no writes without the
token, the token never leaked, hostile values rendered as text, no file outside its folder.

One server for the module: started with an update token (from a file) and allow-lists that
name a second listener, over a store holding the bundled example, the toy ACL volume and the two
XSS fixtures, with a small release. Everything the server writes (stdout and stderr: the banner,
the access log, warnings, tracebacks) goes to one log file, which the token test reads.

- **No outbound request**: a socket listens on 127.0.0.1 (``Listener``) and every ``SERVICE``,
  ``LOAD``, remote JSON-LD context, XML external entity, ``FROM`` and graph IRI in the requests
  below names it, by every spelling the SPARQL grammar allows (prefixed names, ``BASE``, a
  variable, comments, case, ``SILENT``, nested in sub-queries and updates). Each is refused
  and nothing ever connects to the listener. A second listener is on the allow-lists: a
  ``SERVICE`` there does connect (so the first one would have seen a request too).
- **Writes without the token** (SPARQL updates, Graph Store ``PUT``/``POST``/``DELETE``) are
  ``401`` and the store is byte for byte the same afterwards.
- **The token** never appears in any response (body or header) nor in the server's output,
  whether it was sent right, wrong, or with requests that fail.
- **XSS**: every page showing a record whose every field holds ``<script>``, ``"><img ...
  onerror=...>`` or a ``javascript:`` URL (``tests/data/web/xss-attributes.bib`` and
  ``2025.xssws.xml``, and ``javascript:`` IRIs written over HTTP, which the importer refuses)
  shows them as text: papers, people, organizations, volumes, journals, venues, events, source
  graphs, search results and query results in the editor.
- **Path traversal** in the static files, release downloads and linked-data routes is ``400``
  or ``404`` and never serves a file outside its folder.
"""

from __future__ import annotations

import doctest
import json
import socket
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from pyoxigraph import QueryResultsFormat, parse_query_results

from kg.errors import SourceErrors
from kg.ingest import ingest
from kg.store import EmbeddedStore
from kg.web import access_log, protocol, sparql_text
from tests.attack_support import (
    RELEASE,
    SECRET_MARKER,
    TOKEN,
    XSS_GRAPHS,
    Reply,
    Site,
    build_site,
    raw_request,
)
from tests.conftest import BASE, PROJECT
from tests.test_web_http import Server, start, stop

TIME_LIMIT = 2.0
FORM = "application/x-www-form-urlencoded"
UPDATE = "application/sparql-update"
AUTH = ("Authorization", f"Bearer {TOKEN}")
#: Every reply of this module, for the token test at its end.
REPLIES: list[Reply] = []


class Listener:
    """A TCP socket on 127.0.0.1 that records every connection made to it (and the first bytes
    sent), answering each with ``answer`` (when given) and closing it."""

    def __init__(self, answer: bytes | None = None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.answer = answer
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    self.connections.append(connection.recv(4096))
                    if self.answer is not None:
                        connection.sendall(self.answer)
                except OSError:
                    self.connections.append(b"")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


_ROW = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"remote"}}]}}'
ANSWER = (b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
          b"Content-Length: " + str(len(_ROW)).encode() + b"\r\nConnection: close\r\n\r\n" + _ROW)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    opened = Listener()
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def allowed() -> Iterator[Listener]:
    opened = Listener(ANSWER)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("security-site"))


@pytest.fixture(scope="module")
def server(site: Site, allowed: Listener) -> Iterator[Server]:
    folder = site.store.parent
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n", "utf-8")
    target = f"http://127.0.0.1:{allowed.port}/"
    running = start(site.store, folder, "--update-token-file", str(token_file),
                    "--timeout", str(TIME_LIMIT), "--workers", "2",
                    "--allow-service", target, "--allow-load", target,
                    env={"KG_RELEASES": str(site.releases), "KG_UPDATE_TOKEN": ""})
    yield running
    stop(running)


def send(server: Server, method: str, target: str, headers: list[tuple[str, str]] | None = None,
         body: bytes | str | None = None) -> Reply:
    data = body.encode("utf-8") if isinstance(body, str) else body
    reply = raw_request(server.port, method, target, list(headers or []), data, timeout=60)
    REPLIES.append(reply)
    return reply


def query(server: Server, text: str, **params: str) -> Reply:
    return send(server, "GET", "/sparql?" + urlencode({"query": text, **params}))


def update(server: Server, text: str, *, token: bool = True, path: str = "/update") -> Reply:
    return send(server, "POST", path, [("Content-Type", UPDATE), *([AUTH] if token else [])],
                text)


@pytest.mark.parametrize("module", [sparql_text, access_log, protocol],
                         ids=lambda module: module.__name__)
def test_the_examples_of_the_guards_run(module: object) -> None:
    """The outbound-target reader, the nesting limit and the log's redaction, by example."""
    failures, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert tried > 0 and failures == 0


# --- no outbound requests -------------------------------------------------------------------

#: Queries that would call the listener at ``{url}`` (``{port}``: its port), each a way to
#: spell the target.
OUTBOUND_QUERIES = [
    "SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <{url}sparql> { ?s ?p ?o } }",
    "select * where { service <{url}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE # a comment\n <{url}> { ?s ?p ?o } }",
    "PREFIX remote: <{url}> SELECT * WHERE { SERVICE remote:sparql { ?s ?p ?o } }",
    "BASE <{url}> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    "BASE <http://127.0.0.1:{allowed}/> SELECT * WHERE { SERVICE <//127.0.0.1:{port}/> "
    "{ ?s ?p ?o } }",
    "BASE <http://127.0.0.1:{allowed}/> SELECT * WHERE { SERVICE <http:127.0.0.1:{port}/> "
    "{ ?s ?p ?o } }",
    "BASE <http://127.0.0.1:{allowed}/> SELECT * WHERE { SERVICE <http:/127.0.0.1:{port}/> "
    "{ ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE <http://127.0.0.1:{allowed}@127.0.0.1:{port}/> { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <{url}> } SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{url}> { ?s ?p ?o } } }",
    "SELECT * WHERE { { SELECT * WHERE { SERVICE <{url}> { ?s ?p ?o } } } }",
    "SELECT * WHERE { OPTIONAL { SERVICE <{url}> { ?s ?p ?o } } }",
    "ASK { SERVICE <{url}> { } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
]


def _fill(template: str, listener: Listener, allowed: Listener) -> str:
    return (template.replace("{url}", f"http://127.0.0.1:{listener.port}/")
            .replace("{port}", str(listener.port)).replace("{allowed}", str(allowed.port)))


@pytest.mark.parametrize("template", OUTBOUND_QUERIES)
def test_service_is_refused_without_an_outbound_request(server: Server, listener: Listener,
                                                         allowed: Listener,
                                                         template: str) -> None:
    text = _fill(template, listener, allowed)
    answers = [
        query(server, text),
        send(server, "POST", "/sparql", [("Content-Type", FORM)], urlencode({"query": text})),
        send(server, "POST", "/query", [("Content-Type", "application/sparql-query")], text),
    ]
    for reply in answers:
        assert reply.status in (400, 403), reply.text
    assert answers[0].status == 403 or "syntax error" in answers[0].text, answers[0].text
    page = send(server, "GET", "/editor?" + urlencode({"query": text}))
    assert page.status == 200
    assert "is refused" in page.text or "syntax error" in page.text
    assert listener.connections == [], listener.connections


OUTBOUND_UPDATES = [
    "LOAD <{url}data.ttl>",
    "LOAD SILENT <{url}data.ttl>",
    "load <{url}data.ttl> into graph <urn:x>",
    "LOAD <file:///etc/passwd>",
    "LOAD <file:///etc/passwd> INTO GRAPH <urn:x>",
    "LOAD <file:{secret}>",
    "PREFIX remote: <{url}> LOAD remote:data.ttl",
    "BASE <{url}> LOAD <data.ttl>",
    "BASE <http://127.0.0.1:{allowed}/> LOAD <//127.0.0.1:{port}/data.ttl>",
    "CLEAR SILENT GRAPH <urn:none> ; LOAD <{url}data.ttl>",
    "INSERT { GRAPH <urn:x> { ?s ?p ?o } } WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "DELETE WHERE { SERVICE <{url}> { ?s ?p ?o } }",
    "INSERT { GRAPH <urn:x> { ?s ?p ?o } } WHERE { SERVICE SILENT <{url}> { ?s ?p ?o } }",
]


@pytest.mark.parametrize("template", OUTBOUND_UPDATES)
def test_load_is_refused_without_an_outbound_request(server: Server, listener: Listener,
                                                      allowed: Listener, site: Site,
                                                      template: str) -> None:
    text = _fill(template, listener, allowed).replace("{secret}", str(site.secret))
    with_token = [update(server, text), update(server, text, path="/sparql"),
                  send(server, "POST", "/sparql", [("Content-Type", FORM), AUTH],
                       urlencode({"update": text}))]
    for reply in with_token:
        assert reply.status in (400, 403), reply.text
        assert reply.status == 403 or "syntax error" in reply.text, reply.text
    assert update(server, text, token=False).status == 401
    assert listener.connections == [], listener.connections
    assert SECRET_MARKER not in query(server, "ASK { ?s ?p ?o }").text  # nothing was loaded
    found = query(server, f'ASK {{ ?s ?p "{SECRET_MARKER}" }}')
    assert found.status == 200 and '"boolean":false' in found.text


XXE = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY e SYSTEM "{entity}">]>'
       '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:u="urn:">'
       '<rdf:Description rdf:about="urn:s"><u:p>&e;</u:p></rdf:Description></rdf:RDF>')


@pytest.mark.parametrize(("method", "path", "params", "content_type", "body"), [
    ("GET", "/sparql", {"query": "SELECT * FROM <{url}> WHERE { ?s ?p ?o }"}, None, None),
    ("GET", "/sparql", {"query": "SELECT * FROM NAMED <{url}> WHERE { GRAPH ?g { ?s ?p ?o } }"},
     None, None),
    ("GET", "/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }", "default-graph-uri": "{url}",
                        "named-graph-uri": "{url}"}, None, None),
    ("GET", "/sparql", {"query": "DESCRIBE <{url}>"}, None, None),
    ("GET", "/store", {"graph": "{url}"}, None, None),
    ("PUT", "/store", {"graph": "urn:remote-context"}, "application/ld+json",
     '{"@context": "{url}context.jsonld", "@id": "urn:s", "name": "x"}'),
    ("PUT", "/store", {"graph": "urn:remote-context"}, "application/ld+json",
     '{"@context": {"@import": "{url}import.jsonld"}, "@id": "urn:s", "name": "x"}'),
    ("PUT", "/store", {"graph": "urn:external-entity"}, "application/rdf+xml",
     XXE.replace("{entity}", "{url}entity")),
    ("PUT", "/store", {"graph": "urn:external-entity"}, "application/rdf+xml",
     XXE.replace("{entity}", "file:///etc/passwd")),
])
def test_no_other_request_reaches_out(server: Server, listener: Listener, method: str,
                                      path: str, params: dict[str, str],
                                      content_type: str | None, body: str | None) -> None:
    url = f"http://127.0.0.1:{listener.port}/"
    target = path + "?" + urlencode({name: value.replace("{url}", url)
                                     for name, value in params.items()})
    headers = [("Content-Type", content_type), AUTH] if content_type else []
    reply = send(server, method, target, headers,
                 None if body is None else body.replace("{url}", url))
    assert reply.status < 500, reply.text
    assert b"root:x:0:0" not in reply.body
    assert listener.connections == [], listener.connections
    if method == "PUT":  # refused, or stored with nothing fetched
        assert reply.status in (201, 204, 400), reply.text
        stored = send(server, "GET", target, [("Accept", "application/n-triples")])
        assert b"root:" not in stored.body


def test_billion_laughs_in_an_upload_are_refused(server: Server) -> None:
    entities = '<!ENTITY a0 "aaaaaaaaaa">' + "".join(
        f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]><rdf:RDF xmlns:rdf='
              '"http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:u="urn:"><rdf:Description '
              'rdf:about="urn:s"><u:p>&a9;</u:p></rdf:Description></rdf:RDF>')
    reply = send(server, "PUT", "/store?graph=urn:laughs",
                 [("Content-Type", "application/rdf+xml"), AUTH], laughs)
    assert reply.status == 400 and "entities are not expanded" in reply.text
    wide = ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY b "' + "x" * 4000 + '">]><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:u="urn:">'
            '<rdf:Description rdf:about="urn:s"><u:p>' + "&b;" * 5000
            + "</u:p></rdf:Description></rdf:RDF>")
    reply = send(server, "PUT", "/store?graph=urn:laughs",
                 [("Content-Type", "application/rdf+xml"), AUTH], wide)
    assert reply.status == 400 and "expand to more than" in reply.text
    owl_style = ('<?xml version="1.0"?><!DOCTYPE rdf:RDF [<!ENTITY u "urn:">]><rdf:RDF xmlns:rdf='
                 '"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about='
                 '"&u;s"><rdf:value>x</rdf:value></rdf:Description></rdf:RDF>')
    reply = send(server, "PUT", "/store?graph=urn:laughs",
                 [("Content-Type", "application/rdf+xml"), AUTH], owl_style)
    assert reply.status == 201, reply.text
    assert send(server, "DELETE", "/store?graph=urn:laughs", [AUTH]).status == 204


def test_the_allow_list_lets_its_targets_through(server: Server, allowed: Listener) -> None:
    """The control: a target on the allow-list is called, and its answer comes back (so a
    refused target would have shown up on its listener)."""
    before = len(allowed.connections)
    reply = query(server, f"SELECT ?x WHERE {{ SERVICE <http://127.0.0.1:{allowed.port}/sparql> "
                          "{ ?s ?p ?x } }")
    assert reply.status == 200, reply.text
    rows = list(parse_query_results(reply.body, QueryResultsFormat.JSON))  # type: ignore[arg-type]
    assert [row["x"].value for row in rows] == ["remote"]  # type: ignore[index,union-attr]
    assert len(allowed.connections) == before + 1
    assert allowed.connections[-1].startswith(b"POST /sparql HTTP/1.1")


# --- writes without the token ---------------------------------------------------------------

WRONG_CREDENTIALS: list[list[tuple[str, str]]] = [
    [], [("Authorization", "Bearer")], [("Authorization", "Bearer ")],
    [("Authorization", f"Bearer {TOKEN}x")], [("Authorization", f"Bearer {TOKEN[:-1]}")],
    [("Authorization", f"Bearer {TOKEN.upper()}")], [("Authorization", TOKEN)],
    [("Authorization", f"Basic {TOKEN}")], [("Authorization", f"Token {TOKEN}")],
    [("X-Update-Token", TOKEN)], [("Authorization", "Bearer \u00e9\u00e9")],
]


def _generation(server: Server) -> str:
    """The store's version: any committed write changes it."""
    value: str = json.loads(send(server, "GET", "/health").body)["generation"]
    return value


def _dump(server: Server) -> bytes:
    reply = send(server, "GET", "/store", [("Accept", "application/n-quads")])
    assert reply.status == 200
    return b"\n".join(sorted(reply.body.splitlines()))


@pytest.mark.parametrize("credentials", WRONG_CREDENTIALS)
def test_writes_without_the_token_are_refused(server: Server,
                                              credentials: list[tuple[str, str]]) -> None:
    before = _dump(server)
    generation = _generation(server)
    turtle = "<urn:w> <urn:w> <urn:w> ."
    graph = quote(f"{BASE}graph/zhenguo-li.txt", safe="")
    attempts = [
        ("POST", "/sparql", [("Content-Type", FORM)], urlencode({"update": "DROP ALL"})),
        ("POST", "/sparql", [("Content-Type", UPDATE)], "CLEAR ALL"),
        ("POST", "/update", [("Content-Type", UPDATE)], "INSERT DATA { <urn:w> <urn:w> 1 }"),
        ("POST", f"/update?access_token={TOKEN}", [("Content-Type", UPDATE)], "DROP ALL"),
        ("PUT", f"/store?graph={graph}", [("Content-Type", "text/turtle")], turtle),
        ("PUT", "/store?default", [("Content-Type", "text/turtle")], turtle),
        ("POST", f"/store?graph={graph}", [("Content-Type", "text/turtle")], turtle),
        ("POST", "/store", [("Content-Type", "application/n-quads")],
         "<urn:w> <urn:w> <urn:w> <urn:g> ."),
        ("DELETE", f"/store?graph={graph}", [], None),
        ("DELETE", "/store?default", [], None),
    ]
    for method, target, headers, body in attempts:
        reply = send(server, method, target, [*headers, *credentials], body)
        assert reply.status in (401, 403), (method, target, reply.status, reply.text)
        assert reply.headers["WWW-Authenticate"].startswith('Bearer realm="scholarly-kg"')
    assert _dump(server) == before
    assert _generation(server) == generation


# --- hostile values render as text ----------------------------------------------------------

#: IRIs no page may turn into a live link, written over HTTP (the importer refuses them).
SCRIPT_IRIS = ["javascript:alert(30)", "JavaScript:alert(31)", "vbscript:msgbox(32)",
               "data:text/html;base64,PHNjcmlwdD5hbGVydCgzMyk8L3NjcmlwdD4="]
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class Inert(HTMLParser):
    """Collects what could run in a page: tags, attributes, script elements and their text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts = 0
        self.text: list[str] = []
        self._in_script: str | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in ("img", "iframe", "object", "embed", "style", "base", "frame", "frameset",
                   "applet", "audio", "video", "math"):
            self.problems.append(f"<{tag}> {values}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"):
                plain = "".join(c for c in (value or "") if c > " ").lower()
                if (tag, values.get("rel"), plain) == ("link", "icon", "data:,"):
                    continue  # the pages' own empty icon, which spares a request
                if plain.startswith(DANGEROUS_SCHEMES) or name == "srcdoc":
                    self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append(f"<meta refresh {values}>")
        if tag == "script":
            self.scripts += 1
            if values.get("type") == "application/ld+json":
                self._in_script = "json"
            elif set(values) == {"src"} and (values["src"] or "").startswith("/assets/"):
                self._in_script = "ours"
            else:
                self.problems.append(f"<script {values}>")
                self._in_script = "other"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script == "json" and "<" in data:
            self.problems.append(f"markup in the JSON-LD block: {data[:200]!r}")
        elif self._in_script is None:
            self.text.append(data)


def assert_inert(reply: Reply, path: str) -> str:
    """Check that the HTML page ``reply`` can run nothing but its own scripts; its text."""
    assert reply.status == 200, (path, reply.status, reply.text[:300])
    assert reply.headers["Content-Type"].startswith("text/html")
    html = reply.text
    page = Inert(html)
    assert page.problems == [], (path, page.problems)
    assert html.lower().count("<script") == page.scripts, path  # none hidden from the parser
    policy = reply.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, path
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    return " ".join(page.text)


@pytest.fixture(scope="module")
def script_links(server: Server) -> Iterator[None]:
    """``javascript:`` and other script IRIs on the hostile records, written over HTTP."""
    paper = _resources(server, "paper")[0]
    person = _resources(server, "person")[0]
    turtle = "\n".join(
        f"<{subject}> <{predicate}> <{iri}> ."
        for iri in SCRIPT_IRIS
        for subject, predicate in ((paper, "http://schema.org/url"),
                                   (paper, "http://schema.org/sameAs"),
                                   (paper, "http://schema.org/encoding"),
                                   (paper, "https://w3id.org/scholarly-kg/ontology#frontMatter"),
                                   (person, "http://schema.org/sameAs"),
                                   (iri, "http://schema.org/author"),
                                   (iri, "http://schema.org/name")))
    turtle += f'\n<{SCRIPT_IRIS[0]}> <http://schema.org/author> <{person}> .'
    reply = send(server, "PUT", "/store?graph=urn:script-links",
                 [("Content-Type", "text/turtle"), AUTH], turtle.replace(
                     '<http://schema.org/name> <', '<http://schema.org/sameAs> <'))
    assert reply.status == 201, reply.text
    yield
    assert send(server, "DELETE", "/store?graph=urn:script-links", [AUTH]).status == 204


def _resources(server: Server, segment: str) -> list[str]:
    """The IRIs of ``segment`` (paper, person ...) that the XSS fixtures describe."""
    text = f"""SELECT DISTINCT ?r WHERE {{
      GRAPH ?g {{ ?r a ?type }}
      FILTER (?g IN ({", ".join(f"<{graph}>" for graph in XSS_GRAPHS)}))
      FILTER (STRSTARTS(STR(?r), "{BASE}{segment}/"))
    }} ORDER BY ?r"""
    reply = query(server, text, format="csv")
    assert reply.status == 200, reply.text
    return reply.text.splitlines()[1:]


PAYLOADS = ("<script>", "onerror=alert(", "<svg onload", "javascript:", "</title>",
            "<iframe", "onmouseover")


def test_every_page_of_a_hostile_record_shows_it_as_text(server: Server,
                                                         script_links: None) -> None:
    pages = {}
    for segment in ("paper", "person", "org", "volume", "venue", "journal", "event"):
        for iri in _resources(server, segment):
            pages[iri] = "/" + iri[len(BASE):] + ".html"
    kinds = {path.split("/")[1] for path in pages.values()}
    assert {"paper", "person", "org", "volume", "journal", "venue", "event"} <= kinds, kinds
    pages["graph 1"] = "/graph/xss-attributes.bib.html"
    pages["graph 2"] = "/graph/2025.xssws.xml.html"
    pages["search 1"] = "/search?" + urlencode({"q": "alert"})
    pages["search 2"] = "/search?" + urlencode({"q": "<script>"})
    pages["search 3"] = "/search?" + urlencode({"q": '"><img src=x onerror=alert(1)>'})
    pages["editor select"] = "/editor?" + urlencode({"query": """SELECT ?s ?p ?o WHERE {
        ?s ?p ?o FILTER (CONTAINS(STR(?o), "alert") || CONTAINS(STR(?s), "script:")) }"""})
    pages["editor construct"] = "/editor?" + urlencode({"query": """CONSTRUCT { ?s ?p ?o }
        WHERE { ?s ?p ?o FILTER (CONTAINS(STR(?o), "alert") || ISIRI(?s)
                                 && STRSTARTS(STR(?s), "javascript")) }"""})
    pages["editor text"] = "/editor?" + urlencode(
        {"query": '</textarea><script>alert(1)</script>"><img src=x onerror=alert(1)>'})
    pages["not found"] = "/paper/" + quote('"><img src=x onerror=alert(1)><script>x</script>')
    shown = 0
    for name, path in pages.items():
        reply = send(server, "GET", path, [("Accept", "text/html")])
        if name == "not found":
            assert reply.status == 404
            reply = Reply(200, reply.headers, reply.body, reply.seconds)
        text = assert_inert(reply, path)
        shown += any(payload in text for payload in PAYLOADS)
    assert shown >= len(pages) - 3  # all but the pages of slots and lists show payloads


def test_script_iris_are_never_links(server: Server, script_links: None) -> None:
    for segment in ("paper", "person"):
        for iri in _resources(server, segment):
            reply = send(server, "GET", "/" + iri[len(BASE):] + ".html")
            assert_inert(reply, iri)
    editor = send(server, "GET", "/editor?" + urlencode(
        {"query": "SELECT ?s ?o WHERE { GRAPH <urn:script-links> { ?s ?p ?o } }"}))
    text = assert_inert(editor, "editor")
    assert "javascript:alert(30)" in text  # shown, as text


def test_the_importer_refuses_script_urls(tmp_path: Path) -> None:
    source = tmp_path / "script-urls.bib"
    source.write_text("@article{a, title = {T}, author = {A B}, journal = {J}, year = {2025},\n"
                      "  url = {javascript:alert(1)}, doi = {javascript:alert(2)}}\n", "utf-8")
    store = EmbeddedStore(tmp_path / "store")
    try:
        with pytest.raises(SourceErrors) as raised:
            ingest(store, [source], base_iri=BASE)
        assert store.quad_count() == 0
    finally:
        store.close()
    message = str(raised.value) + "".join(str(e) for e in raised.value.errors)
    assert "url: not an http(s) or ftp URL: 'javascript:alert(1)'" in message
    assert "doi: not a DOI" in message


def test_plain_text_errors_are_never_sniffed_as_html(server: Server) -> None:
    reply = query(server, "<script>alert(1)</script>")
    assert reply.status == 400
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


# --- path traversal -------------------------------------------------------------------------

TRAVERSALS = [
    "/assets/../pages.py", "/assets/%2e%2e/pages.py", "/assets/..%2fpages.py",
    "/assets/%2e%2e%2fpages.py", "/assets/..%5cpages.py", "/assets/..\\pages.py",
    "/assets/%252e%252e/pages.py", "/assets//etc/passwd", "/assets/%2fetc%2fpasswd",
    "/assets/..%00/pages.py", "/assets/style.css%00.py", "/assets/../../../../etc/passwd",
    "/assets/....//....//pages.py", "/assets/%c0%ae%c0%ae/pages.py",
    "/assets/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/assets/%00",
    "/assets/" + quote(str(PROJECT / "kg" / "web" / "pages.py")),
    "/releases/{release}/../../secret.txt", "/releases/{release}/..%2f..%2fsecret.txt",
    "/releases/{release}/%2e%2e/%2e%2e/secret.txt",
    "/releases/{release}/%2e%2e%2f%2e%2e%2fsecret.txt", "/releases/..%2fsecret.txt",
    "/releases/%2e%2e/secret.txt", "/releases/../secret.txt",
    "/releases/{release}//etc/passwd", "/releases/{release}/%2fetc%2fpasswd",
    "/releases/{release}/void.ttl%00.txt", "/releases/{release}/void.ttl%00",
    "/releases/{release}/shapes/../../../secret.txt",
    "/releases/{release}/shapes/..%2f..%2f..%2fsecret.txt",
    "/releases/{release}/..\\..\\secret.txt", "/releases/{release}/void.ttl/../../../secret.txt",
    "/releases/{release}/{secret}", "/releases/{release}/%2e%2e%5c%2e%2e%5csecret.txt",
    "/paper/../../../../etc/passwd", "/paper/..%2f..%2f..%2fetc%2fpasswd",
    "/graph/%2e%2e/%2e%2e/secret.txt", "/person/%2e%2e%2f%2e%2e%2fetc%2fpasswd.ttl",
    "/graph/%2fetc%2fpasswd.html", "/paper/%00.ttl", "/volume/..%00/x.bib",
    "/ontology.ttl/../../etc/passwd", "/shapes/../../secret.txt", "/../../../../etc/passwd",
    "/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/etc/passwd", "/.well-known/../../../../etc/passwd",
]
LEAKS = (SECRET_MARKER.encode(), b"root:x:0:", b"from flask import", b"import ")


@pytest.mark.parametrize("template", TRAVERSALS)
def test_path_traversal_is_refused(server: Server, site: Site, template: str) -> None:
    target = template.replace("{release}", RELEASE).replace("{secret}", quote(str(site.secret)))
    reply = send(server, "GET", target)
    for _ in range(3):  # werkzeug merges '//' and adds a trailing '/' by redirecting
        if reply.status not in (301, 302, 307, 308):
            break
        location = urlsplit(reply.headers["Location"])
        reply = send(server, "GET", location.path + (f"?{location.query}" if location.query
                                                      else ""))
    assert reply.status in (400, 404), (target, reply.status, reply.text[:200])
    for leak in LEAKS:
        assert leak not in reply.body, (target, leak)


def test_the_files_of_each_folder_are_still_served(server: Server) -> None:
    """The control for the refusals above: the same routes serve what they should."""
    assert send(server, "GET", "/assets/style.css").status == 200
    release = send(server, "GET", f"/releases/{RELEASE}/void.ttl")
    assert (release.status, release.body) == (200, b"<urn:x> <urn:y> <urn:z> .\n")
    assert send(server, "GET", f"/releases/{RELEASE}/shapes/paper.ttl").status == 200
    assert send(server, "GET", "/person/zhenguo-li.ttl").status == 200


# --- the token is never shown ---------------------------------------------------------------


def test_the_token_never_appears_in_answers_or_logs(server: Server) -> None:
    """Last in the module: every answer above, and these (the right token on writes that
    work and fail and on reads, wrong tokens that differ from it by one character), then the
    server's whole output."""
    near = [TOKEN[:-1], TOKEN + "x", TOKEN[:-1] + "Z", TOKEN.upper()]
    with_token = [
        ("POST", "/update", [("Content-Type", UPDATE)], "INSERT DATA { GRAPH <urn:t> { <urn:a> "
                                                        "<urn:b> <urn:c> } }"),
        ("POST", "/update", [("Content-Type", UPDATE)], "DROP GRAPH <urn:t>"),
        ("POST", "/update", [("Content-Type", UPDATE)], "DROP GRAPH <urn:t>"),  # 400: absent
        ("POST", "/update", [("Content-Type", UPDATE)], "INSERT DATA { oops"),
        ("POST", "/update", [("Content-Type", UPDATE)],
         "INSERT { GRAPH <urn:t> { <urn:a> <urn:b> <urn:c> } } WHERE { "
         + " ".join(["MINUS { ?s ?p ?o }"] * 4000) + " }"),  # crashes the trial run: 400
        ("POST", "/update", [("Content-Type", UPDATE)], "ASK {}"),
        ("PUT", "/store?graph=urn:t", [("Content-Type", "text/turtle")], "<a> <b> ."),
        ("PUT", "/store?graph=urn:t", [("Content-Type", "application/pdf")], "x"),
        ("DELETE", "/store?graph=urn:none", [], None),
        ("PATCH", "/sparql", [], None),
        ("GET", "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"}), [],
         None),
        ("GET", "/sparql?" + urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . "
                                                 "?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"}), [], None),
        ("GET", "/sparql", [("Accept", "text/html")], None),
        ("GET", "/health", [], None),
        ("GET", "/", [], None),
        ("GET", "/editor?" + urlencode({"query": "ASK {}"}), [], None),
        ("GET", "/nowhere", [], None),
    ]
    for method, target, headers, body in with_token:
        send(server, method, target, [*headers, AUTH], body)
        if method != "GET":  # reads do not look at the token
            for wrong in near:
                send(server, method, target, [*headers, ("Authorization", f"Bearer {wrong}")],
                     body)
    assert len(REPLIES) > 300
    for reply in REPLIES:
        assert TOKEN.encode() not in reply.body
        for name, value in reply.headers.items():
            assert TOKEN not in value, name
        for wrong in near:
            assert wrong.encode() not in reply.body
    log = server.log_text()
    assert '"POST /update" 204' in log and '"POST /update" 401' in log  # the requests were seen
    assert TOKEN not in log and TOKEN[:-1] not in log and TOKEN.upper() not in log
