"""What the service is: its SPARQL 1.1 Service Description (a plain GET of ``/sparql``) and the
VoID description of its dataset (``/.well-known/void``).

Both are RDF built from pyoxigraph terms and written by pyoxigraph (Turtle, RDF/XML, JSON-LD,
N-Triples by content negotiation); the service description is also a page for people. They state
what a client needs to know before asking: the languages, result and input formats, the union
default graph, the named graphs, and the limits (result cap, time limit, sizes) in the local
terms ``kg:resultLimit``, ``kg:queryTimeout``, ``kg:maxQueryLength``, ``kg:maxRequestBody``.
Dataset statistics are computed once per store version.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape

from flask import Blueprint, Response, current_app, request, url_for
from pyoxigraph import BlankNode, Literal, NamedNode, Triple, serialize
from rdflib import URIRef

from kg.config import Settings
from kg.stats import Stats, collect
from kg.version import VERSION
from kg.vocab import BIBO, DCTERMS, KG, RDF, SD, SDO, VOID, XSD, prefixes
from kg.web import context, responses
from kg.web.negotiation import (
    DESCRIPTIONS,
    DOCUMENTS,
    GRAPH_TYPES,
    HTML,
    SOLUTION_TYPES,
    UPLOAD_TYPES,
    accepts_gzip,
    negotiate,
)
from kg.web.worker import Outcome

description = Blueprint("description", __name__)

FORMATS = "http://www.w3.org/ns/formats/"
#: The W3C format IRI of each media type the service reads or writes.
FORMAT_IRIS = {
    "application/sparql-results+json": FORMATS + "SPARQL_Results_JSON",
    "application/sparql-results+xml": FORMATS + "SPARQL_Results_XML",
    "text/csv": FORMATS + "SPARQL_Results_CSV",
    "text/tab-separated-values": FORMATS + "SPARQL_Results_TSV",
    "text/turtle": FORMATS + "Turtle",
    "application/n-triples": FORMATS + "N-Triples",
    "application/rdf+xml": FORMATS + "RDF_XML",
    "application/ld+json": FORMATS + "JSON-LD",
    "application/n-quads": FORMATS + "N-Quads",
    "application/trig": FORMATS + "TriG",
    "text/n3": FORMATS + "N3",
}
SIMPLE_ENTAILMENT = "http://www.w3.org/ns/entailment/Simple"

#: The classes VoID partitions the dataset by, with the statistic that counts each.
CLASS_PARTITIONS: list[tuple[URIRef, Callable[[Stats], int]]] = [
    (SDO.ScholarlyArticle, lambda s: s.papers),
    (SDO.Person, lambda s: s.people),
    (BIBO.Proceedings, lambda s: s.volumes),
    (KG.Venue, lambda s: s.venues),
    (SDO.Event, lambda s: s.events),
]


@dataclass(frozen=True)
class Facts:
    """What the dataset holds, as of one store version."""

    stats: Stats
    graphs: list[str]
    modified: datetime | None


class FactsCache:
    """The facts of the current store version, computed once per version."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._facts: Facts | None = None

    def get(self) -> Facts:
        access = context.access()
        generation = access.generation()
        with self._lock:
            if self._facts is None or generation != self._generation:
                store = access.reader()
                self._facts = Facts(collect(store), [g.value for g in store.named_graphs()],
                                    access.last_modified())
                self._generation = generation
            return self._facts


def _facts() -> Facts:
    cache: FactsCache = current_app.extensions["kg_facts"]
    return cache.get()


def _iri(term: URIRef | str) -> NamedNode:
    return NamedNode(str(term))


def _integer(value: int) -> Literal:
    return Literal(str(value), datatype=_iri(XSD.integer))


def dataset_iri(settings: Settings) -> str:
    """The dataset's IRI: ``<base>dataset``."""
    return f"{settings.base_iri}dataset"


def service_triples(endpoint: str, settings: Settings, facts: Facts) -> list[Triple]:
    """The service description of the endpoint at ``endpoint``."""
    service = NamedNode(endpoint)
    dataset = NamedNode(dataset_iri(settings))
    default_graph = BlankNode()
    languages = [SD.SPARQL10Query, SD.SPARQL11Query]
    if settings.writable:
        languages.append(SD.SPARQL11Update)
    result_types = {*SOLUTION_TYPES, *GRAPH_TYPES} & set(FORMAT_IRIS)
    triples = [
        Triple(service, _iri(RDF.type), _iri(SD.Service)),
        Triple(service, _iri(SD.endpoint), service),
        *(Triple(service, _iri(SD.supportedLanguage), _iri(language)) for language in languages),
        *(Triple(service, _iri(SD.resultFormat), NamedNode(FORMAT_IRIS[media_type]))
          for media_type in sorted(result_types)),
        *(Triple(service, _iri(SD.inputFormat), NamedNode(FORMAT_IRIS[media_type]))
          for media_type in sorted(set(UPLOAD_TYPES) & set(FORMAT_IRIS))),
        Triple(service, _iri(SD.feature), _iri(SD.UnionDefaultGraph)),
        Triple(service, _iri(SD.defaultEntailmentRegime), NamedNode(SIMPLE_ENTAILMENT)),
        Triple(service, _iri(KG.resultLimit), _integer(settings.result_limit)),
        Triple(service, _iri(KG.queryTimeout),
               Literal(f"{settings.query_timeout:g}", datatype=_iri(XSD.decimal))),
        Triple(service, _iri(KG.maxQueryLength), _integer(settings.max_query_bytes)),
        Triple(service, _iri(KG.maxRequestBody), _integer(settings.max_body_bytes)),
        Triple(service, _iri(SD.defaultDataset), dataset),
        Triple(dataset, _iri(RDF.type), _iri(SD.Dataset)),
        Triple(dataset, _iri(SD.defaultGraph), default_graph),
        Triple(default_graph, _iri(RDF.type), _iri(SD.Graph)),
        Triple(default_graph, _iri(VOID.triples), _integer(facts.stats.quads)),
    ]
    for graph in facts.graphs:
        named = BlankNode()
        triples += [
            Triple(dataset, _iri(SD.namedGraph), named),
            Triple(named, _iri(RDF.type), _iri(SD.NamedGraph)),
            Triple(named, _iri(SD.name), NamedNode(graph)),
        ]
    return triples


def void_triples(endpoint: str, settings: Settings, facts: Facts) -> list[Triple]:
    """The VoID description of the dataset served at ``endpoint``."""
    dataset = NamedNode(dataset_iri(settings))
    triples = [
        Triple(dataset, _iri(RDF.type), _iri(VOID.Dataset)),
        Triple(dataset, _iri(DCTERMS.title), Literal("scholarly-kg")),
        Triple(dataset, _iri(DCTERMS.description),
               Literal("A knowledge graph of publication records.", language="en")),
        Triple(dataset, _iri(VOID.sparqlEndpoint), NamedNode(endpoint)),
        Triple(dataset, _iri(VOID.uriSpace), Literal(settings.base_iri)),
        Triple(dataset, _iri(VOID.triples), _integer(facts.stats.quads)),
        *(Triple(dataset, _iri(VOID.vocabulary), NamedNode(namespace))
          for namespace in prefixes().values()),
    ]
    if facts.modified is not None:
        triples.append(Triple(dataset, _iri(DCTERMS.modified),
                              Literal(facts.modified.isoformat().replace("+00:00", "Z"),
                                      datatype=_iri(XSD.dateTime))))
    for cls, count in CLASS_PARTITIONS:
        partition = BlankNode()
        triples += [Triple(dataset, _iri(VOID.classPartition), partition),
                    Triple(partition, _iri(VOID["class"]), _iri(cls)),
                    Triple(partition, _iri(VOID.entities), _integer(count(facts.stats)))]
    triples += [Triple(dataset, _iri(VOID.subset), NamedNode(graph)) for graph in facts.graphs]
    return triples


def _send(triples: list[Triple] | None, page: Callable[[], str] | None, offer_html: bool,
          kind: str) -> Response:
    offer = DESCRIPTIONS if offer_html else DOCUMENTS
    override = request.args.get("format") or request.args.get("output")
    media_type = negotiate(request.headers.get("Accept"), override, offer)
    if media_type is None:
        return responses.error(406, "none of the accepted media types is available; "
                                    f"offered: {', '.join(offer.types)}")
    access = context.access()
    use_gzip = accepts_gzip(request.headers.get("Accept-Encoding"))
    found = responses.validators(access.generation(), access.last_modified(),
                                 (kind, media_type, request.url_root, VERSION), gzip=use_gzip)
    unchanged = responses.not_modified(request, found)
    if unchanged is not None:
        return unchanged
    if media_type == HTML:
        assert page is not None
        data = page().encode("utf-8")
    else:
        assert triples is not None
        data = serialize(triples, format=GRAPH_TYPES[media_type], prefixes=_prefixes()) or b""
    outcome = Outcome(200, media_type, body=data, size=len(data))
    return found.apply(responses.body(outcome, request=request, use_gzip=use_gzip))


def _prefixes() -> dict[str, str]:
    return {**prefixes(), "sd": str(SD), "void": str(VOID), "formats": FORMATS}


def service_description() -> Response:
    """The service description (a plain GET of the endpoint): Turtle by default, RDF/XML,
    JSON-LD, N-Triples by ``Accept`` or ``format``, and an HTML page for browsers."""
    settings = context.settings()
    endpoint = url_for("sparql.query", _external=True)
    facts = _facts()
    return _send(service_triples(endpoint, settings, facts),
                 lambda: _page(endpoint, settings, facts), True, "service")


@description.route("/.well-known/void")
def void() -> Response:
    """The VoID description of the dataset: its SPARQL endpoint, size, vocabularies, classes
    with their counts, and named graphs (Turtle by default; RDF/XML, JSON-LD, N-Triples)."""
    settings = context.settings()
    endpoint = url_for("sparql.query", _external=True)
    return _send(void_triples(endpoint, settings, _facts()), None, False, "void")


def _page(endpoint: str, settings: Settings, facts: Facts) -> str:
    def row(name: str, value: object) -> str:
        return f"<tr><th scope=row>{escape(name)}</th><td>{escape(str(value))}</td></tr>"

    limits = "".join([
        row("time limit per query", f"{settings.query_timeout:g} s (ask for less with "
                                    "the timeout parameter)"),
        row("rows or triples per result", settings.result_limit or "no limit"),
        row("longest query or update", f"{settings.max_query_bytes} bytes"),
        row("largest request body", f"{settings.max_body_bytes} bytes"),
        row("updates", "with the update token" if settings.writable else "no (read-only)"),
    ])
    counts = "".join(row(name.replace("_", " "), value)
                     for name, value in facts.stats.as_dict().items())
    formats = "".join(f"<li><code>{escape(media_type)}</code></li>"
                      for media_type in sorted({*SOLUTION_TYPES, *GRAPH_TYPES}))
    graphs = "".join(f"<li><code>{escape(graph)}</code></li>" for graph in facts.graphs[:100])
    more = f"<p>and {len(facts.graphs) - 100} more</p>" if len(facts.graphs) > 100 else ""
    void_url = escape(url_for("description.void", _external=True))
    store_url = escape(url_for("graph_store.store", _external=True))
    target = escape(endpoint)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPARQL endpoint – scholarly-kg</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main>
<h1>SPARQL endpoint</h1>
<p>This is a SPARQL 1.1 endpoint: <code>{target}</code>. Queries see the union of all named
graphs as their default graph. The Graph Store Protocol is at <code>{store_url}</code>; the
dataset's VoID description is at <a href="{void_url}">{void_url}</a>. This description is also
available as <a href="?format=turtle">Turtle</a> and <a href="?format=jsonld">JSON-LD</a>.</p>
<form method="get" action="{target}">
<p><label for="query">Query</label><br>
<textarea id="query" name="query" rows="8" cols="80">
SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10</textarea></p>
<p><label for="format">Result format</label>
<select id="format" name="format"><option>json</option><option>xml</option><option>csv</option>
<option>tsv</option><option>turtle</option></select>
<button type="submit">Run</button></p>
</form>
<h2>Limits</h2><table>{limits}</table>
<h2>Dataset</h2><table>{counts}</table>
<h2>Result formats</h2><ul>{formats}</ul>
<h2>Named graphs</h2><ul>{graphs}</ul>{more}
</main></body></html>"""
