"""HTTP fuzzing of ``kg serve`` running in its own process (issue 8: hostile input).

Hypothesis makes requests, sends them byte for byte over a socket (``tests.attack_support``) and
checks every answer against one property: **bad input never gets a server error** (a 5xx other
than the documented ``503`` of the time limit, busy workers or a locked store, and the ``501``
that HTTP prescribes for an unknown ``Transfer-Encoding``), **no answer
takes longer than the time limit plus a margin**, and **the server stays up**. Requests are:

- anything: a random method, path under every route (SPARQL, Graph Store, VoID, health, linked
  data IRIs and their documents, pages, static assets, release files), query string, headers
  (``Accept``, ``Content-Type``, ``Authorization``, ``Accept-Encoding``, ``If-None-Match``,
  ``Range`` ...) and body (random bytes, invalid UTF-8, form data, SPARQL and RDF fragments);
- SPARQL Protocol requests built from SPARQL tokens, by GET, form POST and direct POST, with
  the update token on some (so updates reach the engine);
- queries and updates around the length limit (``413`` exactly past it), brackets nested up to
  twenty thousand deep, and long chains of operators and patterns (which overflowed the
  engine's stack and killed the server before ``kg.web.worker.UpdateCheck``);
- Graph Store uploads with the token: random and deeply nested payloads of every type.

Runs are deterministic (``derandomize=True``, no example database). The last test checks the
server's health and prints how many requests were sent (about 520 in the normal run).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.web.protocol import MAX_NESTING
from tests.attack_support import RELEASE, TOKEN, Reply, Site, build_site, raw_request
from tests.test_web_http import Server, start, stop
from tests.web_support import XSS_PAPER_PATH

TIME_LIMIT = 2.0
#: How much longer than the time limit an answer may take on a busy machine.
MARGIN = 3.0
MAX_QUERY_BYTES = 1 << 20  # the default
#: What the documented 503s say: the time limit, busy workers, a locked store (kg.web.sparql,
#: update, graph_store, pool, stores).
DOCUMENTED_503 = ("time limit", "stayed busy", "another process is writing",
                  "the store cannot be read now")
SENT = {"requests": 0}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return build_site(tmp_path_factory.mktemp("fuzz-site"))


@pytest.fixture(scope="module")
def server(site: Site) -> Iterator[Server]:
    folder = site.store.parent
    token_file = folder / "token"
    token_file.write_text(TOKEN, "utf-8")
    running = start(site.store, folder, "--update-token-file", str(token_file),
                    "--timeout", str(TIME_LIMIT), "--workers", "2",
                    env={"KG_RELEASES": str(site.releases)})
    yield running
    stop(running)


def fuzz_settings(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


def send(server: Server, method: str | bytes, target: str | bytes,
         headers: list[tuple[str | bytes, str | bytes]] | None = None,
         body: bytes | None = None) -> Reply:
    """Send one request and check the property every answer must have."""
    SENT["requests"] += 1
    try:
        reply = raw_request(server.port, method, target, headers, body,
                            timeout=TIME_LIMIT + MARGIN + 5)
    except OSError as failure:
        alive = server.process.poll() is None
        raise AssertionError(f"no answer to {method!r} {target!r}: {failure!r} "
                             f"(server {'up' if alive else 'DOWN'})\n"
                             f"{server.log_text()[-3000:]}") from None
    described = f"{method!r} {str(target)[:300]!r} {headers!r} {str(body)[:300]} -> " \
                f"{reply.status} {reply.text[:300]!r}"
    # waitress answers 501 to a Transfer-Encoding it does not implement, as HTTP prescribes
    # (RFC 9112, section 6.1)
    unknown_coding = any(str(name).lower() == "transfer-encoding" for name, _ in headers or [])
    assert reply.status < 500 or (
        reply.status == 503 and any(phrase in reply.text for phrase in DOCUMENTED_503)) or (
        reply.status == 501 and unknown_coding), described
    assert reply.seconds < TIME_LIMIT + MARGIN, described
    assert server.process.poll() is None, described
    return reply


# --- strategies -----------------------------------------------------------------------------

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT",
           "PROPFIND", "get", "X" * 40]
ROUTES = ["/sparql", "/query", "/update", "/store", "/.well-known/void", "/health", "/",
          "/search", "/editor", "/ontology", "/shapes", "/ontology.ttl", "/shapes.html",
          "/dataset", "/assets/style.css", "/assets/", "/releases/", f"/releases/{RELEASE}/",
          f"/releases/{RELEASE}/void.ttl", f"/releases/{RELEASE}/shapes/paper.ttl",
          "/paper/", "/person/zhenguo-li", f"/{XSS_PAPER_PATH}", "/volume/2024.toyws-1",
          "/venue/acl", "/event/toyws-2024", "/graph/zhenguo-li.txt", "/org/", "/journal/",
          "/software/", "/nothing", "/sparql/", "//sparql"]
SUFFIXES = ["", ".html", ".ttl", ".jsonld", ".nt", ".rdf", ".bib", ".txt", ".", "/", "/..",
            "/../../secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/..%2f..%2fsecret.txt", "%00",
            "/%00.ttl", "//etc/passwd", "/%2fetc%2fpasswd", "?", "#x", "%", "%zz", "%c0%ae",
            "/%E2%80%AE", "/%ff%fe"]
MEDIA_TYPES = ["application/sparql-query", "application/sparql-update",
               "application/x-www-form-urlencoded", "application/sparql-results+json",
               "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
               "text/turtle", "application/n-triples", "application/n-quads", "application/trig",
               "application/ld+json", "application/rdf+xml", "text/n3", "text/html",
               "text/plain", "application/json", "application/xml", "multipart/form-data",
               "image/png", "*/*", "text/*", "application/*", "", ";", "*/*;q=0",
               "text/turtle;q=nan", "application/sparql-query; charset=latin-1",
               "application/x-www-form-urlencoded; charset=\"utf-16\"",
               "text/turtle; q=0.5, application/ld+json; q=1e400", "a/b/c", "/", "text/",
               "multipart/form-data; boundary=x"]
PARAMETERS = ["query", "update", "default-graph-uri", "named-graph-uri", "using-graph-uri",
              "using-named-graph-uri", "format", "output", "timeout", "version", "graph",
              "default", "q", "x"]
SPARQL_TOKENS = ["SELECT", "*", "WHERE", "{", "}", "?s", "?p", "?o", "ASK", "CONSTRUCT",
                 "DESCRIBE", "FILTER", "(", ")", "[", "]", "OPTIONAL", "UNION", "MINUS", "GRAPH",
                 "BIND", "AS", "VALUES", "LIMIT", "OFFSET", "1", "0", "-1", "99999999999999999999",
                 '"x"', "'y'", '"""z"""', "'''", '"', "@en", "^^", "<http://example.org/a>",
                 "<file:///etc/passwd>", "<http://127.0.0.1:1/>", "<>", "<", ">", "SERVICE",
                 "SILENT", "LOAD", "INTO", "PREFIX", "ex:", "ex:a", "BASE", ".", ";", ",", "/",
                 "|", "^", "!", "+", "&&", "||", "=", "!=", "a", "COUNT(*)", "GROUP BY", "ORDER BY",
                 "DESC(?o)", "INSERT", "DELETE", "DATA", "CLEAR", "DROP", "CREATE", "ALL",
                 "DEFAULT", "NAMED", "USING", "WITH", "ADD", "MOVE", "COPY", "TO", "#", "\n",
                 "\\", "\\u0000", "\x00", "é", "\u202e", "REGEX(?o, \"(a+)+$\")", "STR(?o)",
                 "<<", ">>", "<<(", ")>>", "$x", "_:b", "true", "1e999", "NOW()", "RAND()"]

text_values = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "1", "0", "-1", "nan", "inf", "1e400", "1.2", "json", "csv", "xml",
                     "turtle", "text/csv", "http://example.org/g", "urn:x", "not an iri",
                     "http://example.org/>", "%", "\x00", "é" * 3, "1.1", "1.2", "2.0"]),
    st.lists(st.sampled_from(SPARQL_TOKENS), max_size=30).map(" ".join),
)
sparql_text = st.lists(st.sampled_from(SPARQL_TOKENS), max_size=40).map(" ".join)
query_strings = st.one_of(
    st.just(""),
    st.lists(st.tuples(st.sampled_from(PARAMETERS) | st.text(max_size=8), text_values),
             max_size=5).map(lambda pairs: "?" + urlencode(pairs)),
    st.binary(max_size=40).map(lambda raw: "?query=" + quote(raw)),
    st.sampled_from(["?default", "?graph", "?query", "?query=&query=", "?&&=&", "?%", "?%zz",
                     "?query=ASK%7B%7D&query=ASK%7B%7D", "?" + "a=b&" * 200]),
)
header_values = st.one_of(st.text(st.characters(min_codepoint=32, max_codepoint=255),
                                  max_size=60),
                          st.binary(max_size=30).map(lambda raw: raw.replace(b"\r", b"")
                                                     .replace(b"\n", b"")))
headers = st.lists(st.one_of(
    st.tuples(st.just("Accept"), st.sampled_from(MEDIA_TYPES) | header_values),
    st.tuples(st.just("Content-Type"), st.sampled_from(MEDIA_TYPES) | header_values),
    st.tuples(st.just("Authorization"),
              st.sampled_from([f"Bearer {TOKEN}", f"Bearer {TOKEN}x", f"bearer {TOKEN}",
                               "Bearer", "Bearer  ", "Basic dXNlcjpwYXNz", TOKEN, "Bearer é"])
              | header_values),
    st.tuples(st.just("Accept-Encoding"),
              st.sampled_from(["gzip", "deflate", "br", "identity", "*", "gzip;q=0",
                               "gzip;q=x", "identity;q=0, *;q=0"]) | header_values),
    st.tuples(st.just("If-None-Match"),
              st.sampled_from(["*", 'W/"x"', '"', 'W/', '"a", W/"b"']) | header_values),
    st.tuples(st.just("If-Modified-Since"),
              st.sampled_from(["Thu, 01 Jan 1970 00:00:00 GMT", "yesterday",
                               "Fri, 31 Dec 9999 23:59:59 GMT"]) | header_values),
    st.tuples(st.just("Range"),
              st.sampled_from(["bytes=0-10", "bytes=-5", "bytes=5-1", "bytes=0-0,2-3",
                               "bytes=99999999999999999999-", "items=1-2"]) | header_values),
    st.tuples(st.sampled_from(["Cache-Control", "Origin", "Access-Control-Request-Method",
                               "X-Forwarded-For", "Transfer-Encoding", "Expect"]),
              header_values),
), max_size=6)
bodies = st.one_of(
    st.none(),
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda text: text.encode("utf-8")),
    sparql_text.map(lambda text: text.encode("utf-8")),
    st.lists(st.tuples(st.sampled_from(PARAMETERS), text_values), max_size=4)
    .map(lambda pairs: urlencode(pairs).encode()),
    st.sampled_from([b"\xff\xfe\xfd", b"query=%FF%FE", b"update=%C0%AE", b"\x00" * 10,
                     b'{"@id": "x:s", "x:p": [[[[1]]]]}', b"<a> <b> <c> .", b"@prefix : <",
                     b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>']),
)


# --- the tests ------------------------------------------------------------------------------


@fuzz_settings(250)
@given(method=st.sampled_from(METHODS), route=st.sampled_from(ROUTES),
       suffix=st.sampled_from(SUFFIXES) | st.text(max_size=12).map(lambda t: quote(t)),
       query=query_strings, header_list=headers, body=bodies)
def test_any_request(server: Server, method: str, route: str, suffix: str, query: str,
                     header_list: list[tuple[str, str | bytes]], body: bytes | None) -> None:
    reply = send(server, method, route + suffix + query, list(header_list), body)
    assert b"secret outside every served folder" not in reply.body
    assert b"root:x:0:0" not in reply.body


# What the SPARQL 1.1 Protocol and this service's limits answer (docs/http-api.md).
PROTOCOL_STATUSES = {200, 204, 400, 401, 403, 405, 406, 413, 415, 503}


@fuzz_settings(200)
@given(how=st.sampled_from(["get", "form", "direct", "update-form", "update-direct"]),
       path=st.sampled_from(["/sparql", "/query", "/update"]), text=sparql_text,
       extra=st.lists(st.tuples(st.sampled_from(PARAMETERS), text_values), max_size=3),
       accept=st.sampled_from(MEDIA_TYPES), token=st.booleans())
def test_sparql_protocol(server: Server, how: str, path: str, text: str,
                         extra: list[tuple[str, str]], accept: str, token: bool) -> None:
    """Besides the property every answer has (``send``): only the protocol's own statuses."""
    header_list: list[tuple[str | bytes, str | bytes]] = [("Accept", accept)]
    if token:
        header_list.append(("Authorization", f"Bearer {TOKEN}"))
    name = "update" if how.startswith("update") else "query"
    if how == "get":
        reply = send(server, "GET", f"{path}?{urlencode([(name, text), *extra])}", header_list)
    elif how in ("form", "update-form"):
        reply = send(server, "POST", f"{path}?{urlencode(extra)}",
                     [*header_list, ("Content-Type", "application/x-www-form-urlencoded")],
                     urlencode([(name, text), *extra]).encode())
    else:
        reply = send(server, "POST", f"{path}?{urlencode(extra)}",
                     [*header_list, ("Content-Type", f"application/sparql-{name}")],
                     text.encode())
    assert reply.status in PROTOCOL_STATUSES, (how, path, reply.status, reply.text[:300])


@fuzz_settings(10)
@given(extra=st.integers(-50, MAX_QUERY_BYTES // 2), how=st.sampled_from(["get", "form", "direct"]),
       wide=st.booleans())
def test_long_queries_are_413_past_the_limit(server: Server, extra: int, how: str,
                                             wide: bool) -> None:
    """Near the limit. (Percent-decoding a URL or form of a megabyte of escapes takes the
    standard library a second or more, so the two-byte characters go by direct POST.)"""
    head = "ASK {} # "
    filler = "é" if wide and how == "direct" else "x"  # two bytes each in UTF-8
    text = head + filler * ((MAX_QUERY_BYTES + extra - len(head)) // len(filler.encode()))
    size = len(text.encode("utf-8"))
    if how == "get":
        reply = send(server, "GET", "/sparql?" + urlencode({"query": text}))
    elif how == "form":
        reply = send(server, "POST", "/sparql",
                     [("Content-Type", "application/x-www-form-urlencoded")],
                     urlencode({"query": text}).encode())
    else:
        reply = send(server, "POST", "/sparql", [("Content-Type", "application/sparql-query")],
                     text.encode("utf-8"))
    if size > MAX_QUERY_BYTES:  # a URL over the server's header limit is 431
        assert reply.status in ((413, 431) if how == "get" else (413,)), (size, reply.text)
    else:
        assert reply.status == 200, (size, reply.status, reply.text)


OPENINGS = [("{", "}"), ("(", ")"), ("[ ?p ", " ]"), ("FILTER(", ")"), ("EXISTS { ", " }"),
            ("COALESCE(", ")"), ("{ SELECT * WHERE { ", " } }"), ("<<( ?s ?p ", " )>>")]


@fuzz_settings(40)
@given(depth=st.integers(20, 20000), kinds=st.lists(st.sampled_from(OPENINGS), min_size=1,
                                                    max_size=3),
       how=st.sampled_from(["get", "form", "direct", "update"]))
def test_deep_nesting_is_refused(server: Server, depth: int,
                                 kinds: list[tuple[str, str]], how: str) -> None:
    openings = [kinds[level % len(kinds)] for level in range(depth)]
    core = "".join(opening for opening, _ in openings) + "1" + "".join(
        closing for _, closing in reversed(openings))
    if how == "update":
        text = f"INSERT {{ GRAPH <urn:fuzz> {{ <urn:a> <urn:b> <urn:c> }} }} WHERE {{ {core} }}"
        reply = send(server, "POST", "/update", [
            ("Content-Type", "application/sparql-update"), ("Authorization", f"Bearer {TOKEN}")],
            text.encode())
    else:
        text = f"SELECT * WHERE {{ {core} }}"
        if how == "get":
            reply = send(server, "GET", "/sparql?" + urlencode({"query": text}))
        elif how == "form":
            reply = send(server, "POST", "/sparql",
                         [("Content-Type", "application/x-www-form-urlencoded")],
                         urlencode({"query": text}).encode())
        else:
            reply = send(server, "POST", "/sparql",
                         [("Content-Type", "application/sparql-query")], text.encode())
    if len(text.encode()) > MAX_QUERY_BYTES:
        assert reply.status == 413
    elif depth >= MAX_NESTING:  # every opening holds at least one bracket, within one more
        assert reply.status == 400 and "nests brackets" in reply.text, reply.text


CHAINS: dict[str, Callable[[int], str]] = {
    "sum": lambda n: "FILTER (" + "+".join(["?o"] * n) + ")",
    "and": lambda n: "FILTER (" + "&&".join(["?o"] * n) + ")",
    "not": lambda n: "FILTER (" + "!" * n + "?o)",
    "union": lambda n: " UNION ".join(["{ ?s ?p ?o }"] * n),
    "minus": lambda n: "?s ?p ?o " + " ".join(["MINUS { ?s ?p ?o }"] * n),
    "binds": lambda n: "BIND (1 AS ?v0) " + " ".join(f"BIND (?v{i} AS ?v{i + 1})"
                                                     for i in range(n)),
    "path": lambda n: "?s " + "|".join(["<urn:p>"] * n) + " ?o",
}


@fuzz_settings(5)
@given(kind=st.sampled_from(sorted(CHAINS)), length=st.sampled_from([50, 4000, 12000]),
       update=st.booleans())
def test_long_chains_never_take_the_server_down(server: Server, kind: str, length: int,
                                                update: bool) -> None:
    pattern = CHAINS[kind](length)
    if update:
        text = f"INSERT {{ GRAPH <urn:fuzz> {{ <urn:a> <urn:b> <urn:c> }} }} WHERE {{ {pattern} }}"
        reply = send(server, "POST", "/update", [
            ("Content-Type", "application/sparql-update"), ("Authorization", f"Bearer {TOKEN}")],
            text.encode())
    else:
        reply = send(server, "POST", "/sparql", [("Content-Type", "application/sparql-query")],
                     f"SELECT * WHERE {{ {pattern} }} LIMIT 1".encode())
    assert reply.status in (200, 204, 400, 413, 503), reply.text
    assert send(server, "GET", "/health").status == 200


def _nested_payload(kind: str, depth: int) -> tuple[str, bytes]:
    if kind == "jsonld-objects":
        return "application/ld+json", ('{"@id": "urn:s", "urn:p": ' + '{"urn:p": ' * depth
                                       + '"x"' + "}" * depth + "}").encode()
    if kind == "jsonld-arrays":
        return "application/ld+json", ('{"@id": "urn:s", "urn:p": ' + "[" * depth + '"x"'
                                       + "]" * depth + "}").encode()
    if kind == "turtle-lists":
        return "text/turtle", ("<urn:s> <urn:p> " + "( " * depth + "1" + " )" * depth
                               + " .").encode()
    if kind == "turtle-blank-nodes":
        return "text/turtle", ("<urn:s> <urn:p> " + "[ <urn:p> " * depth + "1" + " ]" * depth
                               + " .").encode()
    if kind == "rdf-xml":
        return "application/rdf+xml", (
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:u="urn:">'
            '<rdf:Description rdf:about="urn:s">' + "<u:p><rdf:Description>" * depth
            + "</rdf:Description></u:p>" * depth + "</rdf:Description></rdf:RDF>").encode()
    return "application/trig", ("<urn:s> <urn:p> " + "<<( <urn:a> <urn:b> " * depth + "1"
                                + " )>>" * depth + " .").encode()


@fuzz_settings(12)
@given(kind=st.sampled_from(["jsonld-objects", "jsonld-arrays", "turtle-lists",
                             "turtle-blank-nodes", "rdf-xml", "trig"]),
       depth=st.sampled_from([10, 20000]), method=st.sampled_from(["PUT", "POST"]),
       noise=st.binary(max_size=20), cut=st.integers(0, 40))
def test_uploads_never_take_the_server_down(server: Server, kind: str, depth: int,
                                            method: str, noise: bytes, cut: int) -> None:
    media_type, payload = _nested_payload(kind, depth)
    if cut:
        payload = payload[:-cut] + noise  # truncated, with garbage: unparsable
    reply = send(server, method, "/store?graph=urn:fuzz-upload", [
        ("Content-Type", media_type), ("Authorization", f"Bearer {TOKEN}")], payload)
    assert reply.status in (201, 204, 400, 413, 503), reply.text
    if cut:
        assert reply.status in (400, 503), reply.text


def test_the_server_survived_and_how_many_requests_were_sent(server: Server,
                                                             capsys: pytest.CaptureFixture[str]
                                                             ) -> None:
    health = send(server, "GET", "/health")
    assert health.status == 200 and b'"status":"ok"' in health.body
    assert "Traceback" not in server.log_text()
    with capsys.disabled():
        print(f"\nHTTP fuzzing: {SENT['requests']} requests, no server error, no hang, "
              f"the server up")
