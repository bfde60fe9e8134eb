"""HTML pages for people: home, search, the query editor, and the page of every resource.

Pages are Jinja templates (``templates/``) rendered with autoescaping on: every value from the
data, the request or the endpoint is escaped, and only ``http(s)`` IRIs become links
(``kg.web.views.Linker``). The embedded JSON-LD goes through ``tojson``, which escapes ``<``,
``>``, ``&`` and ``'``, so no title can close its ``<script>`` element. Pages also send a
Content-Security-Policy that allows scripts and styles from this server only: an injected
inline script would not run even if some value escaped its escaping.

Every page reads without JavaScript; charts are SVG drawn on the server (``kg.web.charts``).
The query editor is a form whose GET URL holds the query (the shareable link); the server runs
the query by asking its own ``/sparql`` endpoint in process (a WSGI sub-request), so the
editor gets the endpoint's timeouts, limits and refusals (``SERVICE``, ``LOAD``) and its error
messages without a second implementation, and shows at most :data:`PAGE_ROWS` rows, read as a
stream. With JavaScript, the text area becomes a CodeMirror 5 editor with SPARQL highlighting
(vendored in ``static/``, see ``static/README.md``) and the prefix list gets "Add" buttons.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request
from pyoxigraph import (
    QueryBoolean,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
)
from werkzeug.test import EnvironBuilder, run_wsgi_app

from kg.stats import Stats, collect
from kg.store import Store
from kg.vocab import SDO, prefixes
from kg.web import context
from kg.web.bibtex_export import bibtex, entries
from kg.web.describe import Description, Kind, describe
from kg.web.negotiation import BIBTEX, HTML, choose, document_types
from kg.web.schema_jsonld import schema_org_jsonld
from kg.web.views import (
    Linker,
    Value,
    citation_meta,
    event_page,
    paper_page,
    person_page,
    resource,
    search,
    value,
    venue_page,
    venues,
    volume_page,
)

pages = Blueprint("pages", __name__, template_folder="templates", static_folder="static",
                  static_url_path="/assets")

#: Rows (or triples) of a result shown in the query editor; downloads have all of them.
PAGE_ROWS = 1000
#: What the editor asks the endpoint for: TSV and N-Triples are read line by line.
_RESULT_ACCEPT = "text/tab-separated-values, application/n-triples;q=0.9"
#: Scripts and styles from this server only (the editor's CodeMirror sets styles from script,
#: which a policy does not restrict); no plugins, no framing, forms post here only.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")
DOCUMENT_LABELS = {
    HTML: "HTML", "text/turtle": "Turtle", "application/ld+json": "JSON-LD",
    "application/n-triples": "N-Triples", "application/rdf+xml": "RDF/XML", BIBTEX: "BibTeX",
}
SOLUTION_DOWNLOADS = (("SPARQL JSON", "json", "json"), ("SPARQL XML", "xml", "srx"),
                      ("CSV", "csv", "csv"), ("TSV", "tsv", "tsv"))
GRAPH_DOWNLOADS = (("Turtle", "turtle", "ttl"), ("N-Triples", "ntriples", "nt"),
                   ("RDF/XML", "rdfxml", "rdf"), ("JSON-LD", "jsonld", "jsonld"),
                   ("N-Quads", "nquads", "nq"), ("TriG", "trig", "trig"))


@dataclass(frozen=True)
class ExampleQuery:
    title: str
    description: str
    sparql: str


_PREFIXES = """PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX kg: <https://w3id.org/scholarly-kg/ontology#>
"""

#: The editor's examples: the six typical questions of the benchmark, and two more.
EXAMPLES: tuple[ExampleQuery, ...] = (
    ExampleQuery("An author's papers by year", "the papers of Zhenguo Li, newest first",
                 _PREFIXES + """
SELECT ?year ?title ?paper WHERE {
  ?author schema:name "Zhenguo Li" .
  ?paper schema:author ?author ; schema:name ?title ; schema:datePublished ?date .
  BIND (YEAR(?date) AS ?year)
} ORDER BY DESC(?year) ?title"""),
    ExampleQuery("Co-authors with counts", "who wrote most often with Zhenguo Li",
                 _PREFIXES + """
SELECT ?coauthor ?name (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?me schema:name "Zhenguo Li" .
  ?paper schema:author ?me , ?coauthor .
  FILTER (?coauthor != ?me)
  ?coauthor schema:name ?name .
} GROUP BY ?coauthor ?name ORDER BY DESC(?papers) ?name"""),
    ExampleQuery("Papers per year", "how many papers each year has", _PREFIXES + """
SELECT ?year (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?paper a schema:ScholarlyArticle ; schema:datePublished ?date .
  BIND (YEAR(?date) AS ?year)
} GROUP BY ?year ORDER BY ?year"""),
    ExampleQuery("Titles with a phrase", "papers whose title mentions language models",
                 _PREFIXES + """
SELECT ?paper ?title WHERE {
  ?paper a schema:ScholarlyArticle ; schema:name ?title .
  FILTER (CONTAINS(LCASE(?title), "language model"))
} ORDER BY ?title LIMIT 100"""),
    ExampleQuery("A paper's authors in order", "from the author slots of one paper",
                 _PREFIXES + """
SELECT ?position ?name ?person WHERE {
  ?paper schema:name ?title .
  FILTER (STRSTARTS(?title, "Mixture of insighTful Experts"))
  ?paper kg:authorship ?slot .
  ?slot kg:position ?position ; kg:person ?person ; kg:nameAsPrinted ?name .
} ORDER BY ?position"""),
    ExampleQuery("The most prolific authors", "the 100 people with the most papers",
                 _PREFIXES + """
SELECT ?person ?name (COUNT(DISTINCT ?paper) AS ?papers) WHERE {
  ?paper schema:author ?person .
  ?person a schema:Person ; schema:name ?name .
} GROUP BY ?person ?name ORDER BY DESC(?papers) ?name LIMIT 100"""),
    ExampleQuery("Volumes of each venue", "proceedings with their venue and year",
                 _PREFIXES + """
SELECT ?venue ?volume ?title ?date WHERE {
  ?volume a bibo:Proceedings ; schema:isPartOf ?venue ; schema:name ?title .
  ?venue a kg:Venue .
  OPTIONAL { ?volume schema:datePublished ?date }
} ORDER BY ?venue DESC(?date)"""),
    ExampleQuery("A person as a graph", "CONSTRUCT: Zhenguo Li's papers and co-authors",
                 _PREFIXES + """
CONSTRUCT { ?paper schema:author ?coauthor . ?coauthor schema:name ?name }
WHERE {
  ?me schema:name "Zhenguo Li" .
  ?paper schema:author ?me , ?coauthor .
  ?coauthor schema:name ?name .
}"""),
)

DEFAULT_QUERY = _PREFIXES + """
SELECT ?paper ?title WHERE {
  ?paper a schema:ScholarlyArticle ; schema:name ?title .
} LIMIT 10"""


# --- rendering ----------------------------------------------------------------------------


def linker() -> Linker:
    return Linker(context.settings().base_iri, request.script_root)


def _render(template: str, status: int = 200, **values: Any) -> Response:
    root = request.script_root
    html = render_template(template, root=root,
                           asset=lambda name: f"{root}/assets/{name}", **values)
    return Response(html, status=status, mimetype=HTML)


def secure_html(response: Response) -> Response:
    """Add the security headers every HTML response of these blueprints carries."""
    if response.mimetype == HTML:
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
    return response


pages.after_request(secure_html)


def documents(description: Description, kind: Kind,
              links: Linker) -> list[tuple[str, str, str]]:
    """(label, media type, href) of each document of the resource."""
    return [(DOCUMENT_LABELS[media_type], media_type, links.document(description.iri, suffix))
            for media_type, suffix in document_types(bibtex=kind.citable).items()]


def render_resource(store: Store, description: Description, kind: Kind) -> Response:
    """The HTML document of a described resource: the page of its kind."""
    links = linker()
    docs = documents(description, kind, links)
    res = resource(description, links, kind, docs)
    by_type = {media_type: href for _, media_type, href in docs}
    if kind is Kind.PAPER:
        containers = description.iris_of(description.iri, SDO.isPartOf)
        bundle = description.merge(describe(store, containers, inbound=False)) \
            if containers else description
        page = paper_page(description, bundle, links, res)
        return _render("paper.html", page=page, docs=by_type, meta=citation_meta(page),
                       jsonld=schema_org_jsonld(description),
                       bibtex=bibtex(entries(store, [description.iri])))
    if kind is Kind.PERSON:
        return _render("person.html", page=person_page(store, description, links, res),
                       docs=by_type)
    if kind is Kind.VOLUME:
        return _render("volume.html", page=volume_page(store, description, links, res),
                       docs=by_type)
    if kind is Kind.VENUE:
        return _render("venue.html", page=venue_page(store, description, links, res),
                       docs=by_type)
    if kind is Kind.EVENT:
        return _render("event.html", page=event_page(store, description, links, res),
                       docs=by_type)
    return _render("resource.html", resource=res, extra=None)


def not_found(iri: str) -> Response:
    """A 404 for ``iri``: a page for browsers, one line of text for other clients."""
    if choose(request.headers.get("Accept"), [HTML, "text/plain"]) == HTML:
        response = _render("not_found.html", status=404, iri=iri)
    else:
        response = Response(f"no resource is called <{iri}>\n", status=404,
                            mimetype="text/plain")
    response.headers["Vary"] = "Accept"
    return response


# --- home and search ------------------------------------------------------------------------


def _stats(store: Store) -> Stats:
    """The dataset counts, computed once per store generation (they scan the store)."""
    cache: dict[tuple[int, str], Stats] = current_app.extensions.setdefault("kg_page_stats", {})
    key = (id(store), context.access().generation())
    if key not in cache:
        cache.clear()
        cache[key] = collect(store)
    return cache[key]


@pages.route("/")
def home() -> Response:
    store = context.store()
    stats = _stats(store)
    rows = [("Papers", stats.papers), ("People", stats.people), ("Volumes", stats.volumes),
            ("Venues", stats.venues), ("Events", stats.events), ("Triples", stats.quads),
            ("Source files", stats.named_graphs)]
    return _render("home.html", stats=rows, venues=venues(store, linker()), examples=EXAMPLES,
                   base=context.settings().base_iri,
                   endpoint=request.host_url.rstrip("/") + request.script_root + "/sparql")


@pages.route("/search")
def search_page() -> Response:
    text = request.args.get("q", "").strip()[:200]
    results = search(context.store(), text, linker())
    return _render("search.html", results=results, search_text=text, limit=50)


# --- the query editor -----------------------------------------------------------------------


@dataclass(frozen=True)
class PageResult:
    """What the editor shows of a query's result."""

    status: int
    variables: tuple[str, ...] = ()
    rows: tuple[tuple[Value | None, ...], ...] = ()
    boolean: bool | None = None
    is_graph: bool = False
    more: bool = False
    error: str | None = None


def _lines(chunks: Iterable[bytes], limit: int) -> tuple[list[bytes], bool]:
    """The first ``limit`` lines of a streamed body, and whether there were more."""
    lines: list[bytes] = []
    pending = b""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split(b"\n")
        lines.extend(complete)
        if len(lines) > limit:
            return lines[:limit], True
    if pending:
        lines.append(pending)
    return lines[:limit], len(lines) > limit


def _read_result(media_type: str, chunks: Iterator[bytes]) -> PageResult:
    links = linker()
    if media_type == "application/n-triples":
        lines, more = _lines(chunks, PAGE_ROWS)
        empty = Description((), ())
        triples = [quad.triple for quad in parse(b"\n".join(lines) + b"\n", RdfFormat.N_TRIPLES)]
        return PageResult(200, ("subject", "predicate", "object"), tuple(
            tuple(value(empty, links, term) for term in (t.subject, t.predicate, t.object))
            for t in triples), is_graph=True, more=more)
    lines, more = _lines(chunks, PAGE_ROWS + 1)  # the header line, then the rows
    parsed = parse_query_results(b"\n".join(lines) + b"\n", QueryResultsFormat.TSV)
    if isinstance(parsed, QueryBoolean):
        return PageResult(200, boolean=bool(parsed))
    assert isinstance(parsed, QuerySolutions)
    names = [variable.value for variable in parsed.variables]
    empty = Description((), ())
    rows = tuple(tuple(value(empty, links, row[name]) if row[name] is not None else None
                       for name in names) for row in parsed)
    return PageResult(200, tuple(names), rows, more=more)


def run_for_page(text: str) -> PageResult:
    """Ask this app's ``/sparql`` endpoint (in process) and read the start of its answer."""
    headers = [("Accept", _RESULT_ACCEPT)]
    environ = EnvironBuilder(
        path="/sparql", base_url=request.host_url.rstrip("/") + request.script_root,
        query_string={"query": text}, headers=headers).get_environ()
    for name in ("REMOTE_ADDR", "HTTP_X_FORWARDED_FOR"):
        if name in request.environ:
            environ[name] = request.environ[name]
    body, status, answer = run_wsgi_app(current_app.wsgi_app, environ)
    try:
        code = int(status.split()[0])
        media_type = answer.get("Content-Type", "").split(";")[0].strip()
        if code != 200 or media_type not in ("text/tab-separated-values",
                                             "application/n-triples"):
            message, _ = _lines(body, 40)
            error = b"\n".join(message).decode("utf-8", "replace")[:4000]
            return PageResult(code, error=error or f"status {status}")
        try:
            return _read_result(media_type, iter(body))
        except (SyntaxError, ValueError) as failure:
            return PageResult(502, error=f"the endpoint's answer could not be read: {failure}")
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def downloads(text: str, is_graph: bool) -> list[tuple[str, str, str]]:
    """(label, href, file name) of the result in each format the endpoint offers."""
    endpoint = request.script_root + "/sparql"
    return [(label, f"{endpoint}?{urlencode({'query': text, 'format': name})}",
             f"query-results.{suffix}")
            for label, name, suffix in (GRAPH_DOWNLOADS if is_graph else SOLUTION_DOWNLOADS)]


@pages.route("/editor")
def query_page() -> Response:
    text = request.args.get("query", "")
    result = run_for_page(text) if text.strip() else None
    known = list(prefixes().items())
    return _render(
        "query.html", text=text or DEFAULT_QUERY, result=result, examples=EXAMPLES,
        prefixes=known, prefixes_json=json.dumps(dict(known)),
        downloads=downloads(text, result.is_graph) if result else [],
        share_url=f"{request.host_url.rstrip('/')}{request.script_root}/editor?"
                  f"{urlencode({'query': text})}")
