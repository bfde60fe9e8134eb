"""Linked data: every IRI the mapper mints dereferences on this server.

**303 See Other, slash IRIs.** Following "Cool URIs for the Semantic Web" (W3C Interest Group
Note, 2008, section 4.2 and 4.3): the data's IRIs name papers, people and volumes, not web
pages, and there are hundreds of thousands of them, each with its own description. Hash IRIs
would put many resources into one document; so the data uses slash IRIs (as ``kg.iris`` mints
them) and a request for one answers ``303 See Other`` to the *document* that describes it, whose
IRI is the resource IRI plus a suffix:

==========================  =========================================================
``{iri}.html``              the page for people (``text/html``)
``{iri}.ttl``               Turtle
``{iri}.jsonld``            JSON-LD
``{iri}.nt``                N-Triples
``{iri}.rdf``               RDF/XML
``{iri}.bib``               BibTeX (papers, people's papers, volumes)
==========================  =========================================================

The 303 is chosen by the ``format`` parameter when it names one of these, else by ``Accept``
(q-values, wildcards; a bare ``*/*`` gets HTML; ``kg.web.negotiation.negotiate_document``); no
acceptable document gives ``406``. Responses that depend on ``Accept`` say so with ``Vary:
Accept``; every response names the other documents in ``Link: <...>; rel="alternate"``, and a
document names what it describes with ``rel="describes"`` (RFC 6892). The alternative, serving
the description at the resource IRI itself with ``Content-Location``, would make one URL stand
for both a paper and a web page about it; 303 keeps them apart at the cost of one round trip,
which pages avoid by linking to the ``.html`` documents directly.

A path that names a resource is always the resource: a graph named after a file ``dump.ttl``
is ``graph/dump.ttl`` and its Turtle document ``graph/dump.ttl.ttl``. Unknown IRIs are ``404``.

**Path -> IRI.** A request's path below the app's root, as the client wrote it (percent-encoding
kept), is appended to the configured base IRI (``Settings.base_iri``), whatever the host of the
request: ``http://127.0.0.1:5000/paper/X`` describes ``{base}paper/X``, so the server answers for
its IRIs behind a reverse proxy or a redirecting PID service (w3id.org) at another host. Clients
that percent-encode differently from the minter (``%28`` for ``(``, lower-case hex) are matched
too: the path is also tried decoded and re-encoded the two ways ``kg.iris`` encodes.

**Vocabulary and shapes: hash IRIs.** The local vocabulary (``{ontology}#Authorship``) and the
shapes are small and read whole, so their terms are hash IRIs and ``/ontology`` and ``/shapes``
(303 to ``.html``, ``.ttl`` and so on) serve the whole file, whose HTML page has an anchor per
term. They are the fixed IRIs ``https://w3id.org/scholarly-kg/ontology`` and ``.../shapes``,
whatever the base IRI.

**The dataset.** ``{base}dataset``, the dataset that the service description and the VoID name,
answers 303 to its VoID description at ``/.well-known/void``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from flask import Blueprint, Response, request
from pyoxigraph import RdfFormat, Triple, parse, serialize

from kg.errors import ConfigError
from kg.resources import ontology_dir, shape_files
from kg.vocab import SDO, prefixes
from kg.web import context
from kg.web.bibtex_export import bibtex, entries
from kg.web.describe import (
    Description,
    Kind,
    describe,
    existing,
    kind_of,
    natural_key,
    types_of,
)
from kg.web.negotiation import (
    BIBTEX,
    DOCUMENT_SUFFIXES,
    GRAPH_TYPES,
    HTML,
    document_for_suffix,
    document_types,
    negotiate_document,
)
from kg.web.pages import not_found, render_resource, secure_html
from kg.web.views import ONTOLOGY, SHAPES, Linker, paper_rows

linked_data = Blueprint("linked_data", __name__)
linked_data.after_request(secure_html)

#: The first path segment of every IRI ``kg.iris`` mints under the base IRI.
SEGMENTS = ("paper", "person", "org", "volume", "venue", "journal", "event", "graph", "software")
#: The characters ``kg.iris`` leaves unencoded: in ids and names, and in DOIs.
MINTED_SAFE = ("-._~", "-._~/:;()")
#: Every document suffix, longest first.
SUFFIXES = sorted({*DOCUMENT_SUFFIXES.values(), ".bib"}, key=len, reverse=True)
_TURTLE_PREFIXES = {"schema": "http://schema.org/", **prefixes()}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_IRI_SAFE = "/-._~!$&'()*+,;=:@"


def request_path() -> str:
    """The request's path below the app's root as the client wrote it, without the leading
    ``/`` (the decoded path, re-encoded, when a proxy or middleware rewrote it)."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or ""
    raw = raw.split("#", 1)[0].split("?", 1)[0]
    if raw and not raw.startswith("/"):
        raw = urlsplit(raw).path  # an absolute-form request target
    root = request.script_root
    if root and raw.startswith(root + "/"):
        raw = raw[len(root):]
    if not raw or unquote(raw) != request.path:
        raw = quote(request.path, safe=_IRI_SAFE)
    return raw.lstrip("/")


def candidates(base: str, path: str) -> list[str]:
    """The IRIs a request path may mean, the path as written first.

    >>> candidates("https://ex.org/", "graph/a%28b%29.txt")
    ['https://ex.org/graph/a%28b%29.txt', 'https://ex.org/graph/a(b).txt']
    """
    written = _PERCENT.sub(lambda match: match.group(0).upper(), path)
    decoded = unquote(path)
    found = [base + written, *(base + quote(decoded, safe="/" + safe) for safe in MINTED_SAFE)]
    return list(dict.fromkeys(found))


def _link_header(iri: str, kind: Kind, links: Linker, *, describes: bool) -> str:
    parts = [f'<{links.document(iri, suffix)}>; rel="alternate"; type="{media_type}"'
             for media_type, suffix in document_types(bibtex=kind.citable).items()]
    if describes:
        parts.append(f'<{quote(iri, safe=_IRI_SAFE + "#?%")}>; rel="describes"')
    return ", ".join(parts)


def _linker() -> Linker:
    return Linker(context.settings().base_iri, request.script_root)


def see_other(iri: str, kind: Kind) -> Response:
    """303 to the document the client prefers, or 406."""
    links = _linker()
    media_type = negotiate_document(request.headers.get("Accept"), request.args.get("format"),
                                    bibtex=kind.citable)
    if media_type is None:
        offered = ", ".join(document_types(bibtex=kind.citable))
        response = Response(f"none of the accepted media types is available; offered: "
                            f"{offered}\n", status=406, mimetype="text/plain")
    else:
        location = links.document(iri, document_types(bibtex=kind.citable)[media_type])
        response = Response(f"See {location}\n", status=303, mimetype="text/plain")
        response.headers["Location"] = location
    response.headers["Vary"] = "Accept"
    response.headers["Link"] = _link_header(iri, kind, links, describes=False)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def rdf_document(description: Description, media_type: str) -> bytes:
    """The description in an RDF format, written by pyoxigraph."""
    return serialize(description.triples, format=GRAPH_TYPES[media_type],
                     prefixes=_TURTLE_PREFIXES) or b""


def bibtex_document(description: Description, kind: Kind) -> str:
    """BibTeX: a paper's entry; a person's papers, newest first; a volume and its papers."""
    store = context.store()
    iri = description.iri
    if kind is Kind.PAPER:
        return bibtex(entries(store, [iri]))
    if kind is Kind.PERSON:
        papers = description.subjects(SDO.author, iri)
        found = entries(store, papers)
        return bibtex(sorted(found, key=lambda e: (-int(dict(e.fields).get("year", "{0}")
                                                         .strip("{}") or 0), e.key)))
    rows = paper_rows(store, f"?paper <{SDO.isPartOf}> <{iri}> .")
    ordered = sorted(rows, key=lambda r: (natural_key(r.acl_id or "~"),
                                          natural_key(r.start or "~"), r.title))
    return bibtex(entries(store, [iri, *(row.iri for row in ordered)]))


def document(description: Description, kind: Kind, media_type: str) -> Response:
    """200 with the description as ``media_type``."""
    links = _linker()
    if media_type == HTML:
        response = render_resource(context.store(), description, kind)
    elif media_type == BIBTEX:
        response = Response(bibtex_document(description, kind), mimetype=BIBTEX)
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", description.iri.rstrip("/").rsplit("/", 1)[-1])
        response.headers["Content-Disposition"] = f'inline; filename="{name or "record"}.bib"'
    else:
        response = Response(rdf_document(description, media_type), mimetype=media_type)
        response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Content-Type"] = f"{media_type}; charset=utf-8"
    response.headers["Link"] = _link_header(description.iri, kind, links, describes=True)
    return response


def dereference(path: str) -> Response:
    """The answer for a request path: a resource (303/406), a document (200) or 404."""
    settings, store = context.settings(), context.store()
    base = settings.base_iri
    stripped = next((s for s in SUFFIXES if path.endswith(s) and len(path) > len(s)), None)
    resource_iris = candidates(base, path)
    document_iris = candidates(base, path[:-len(stripped)]) if stripped else []
    found = existing(store, [*resource_iris, *document_iris])
    if found is None:
        return not_found(base + path)
    if found in resource_iris:
        return see_other(found, kind_of(types_of(store, found), found, base))
    description = describe(store, [found])
    kind = description.kind(base)
    media_type = document_for_suffix(stripped or "", bibtex=kind.citable)
    if media_type is None:
        return not_found(base + path)
    return document(description, kind, media_type)


@linked_data.route(f"/<any({', '.join(SEGMENTS)}):segment>/<path:rest>")
def minted(segment: str, rest: str) -> Response:
    """Any IRI under the base that ``kg.iris`` may have minted, or one of its documents."""
    return dereference(request_path())


# --- the vocabulary and the shapes ----------------------------------------------------------


def _parse(paths: list[Path]) -> tuple[Triple, ...]:
    triples: set[Triple] = set()
    for path in paths:
        triples.update(quad.triple for quad in parse(path=str(path), format=RdfFormat.TURTLE))
    return tuple(triples)


@cache
def _vocabulary(name: str) -> Description:
    if name == "ontology":
        iri, files = ONTOLOGY, sorted(ontology_dir().glob("*.ttl"))
    else:
        iri, files = SHAPES, shape_files()
    triples = _parse(files)
    return Description((iri,), tuple(sorted(triples, key=lambda t: (
        str(t.subject) != f"<{iri}>", natural_key(str(t.subject)),
        natural_key(t.predicate.value), str(t.object)))))


def vocabulary(name: str, suffix: str | None) -> Response:
    try:
        description = _vocabulary(name)
    except ConfigError:
        return not_found(ONTOLOGY if name == "ontology" else SHAPES)
    if suffix is None:
        return see_other(description.iri, Kind.OTHER)
    media_type = document_for_suffix(suffix, bibtex=False)
    if media_type is None:
        return not_found(f"{description.iri}{suffix}")
    return document(description, Kind.OTHER, media_type)


@linked_data.route("/ontology")
@linked_data.route("/shapes")
def vocabulary_resource() -> Response:
    return vocabulary(request.path.rsplit("/", 1)[1], None)


@linked_data.route("/ontology.<any(html, ttl, jsonld, nt, rdf):ext>")
@linked_data.route("/shapes.<any(html, ttl, jsonld, nt, rdf):ext>")
def vocabulary_document(ext: str) -> Response:
    return vocabulary(request.path.rsplit("/", 1)[1].split(".")[0], f".{ext}")


# --- the dataset ----------------------------------------------------------------------------


@linked_data.route("/dataset")
def dataset() -> Response:
    """``{base}dataset`` (the dataset the service description and VoID name): 303 to its VoID
    description, which offers its formats itself (a ``format`` parameter is passed on)."""
    location = f"{request.script_root}/.well-known/void"
    if request.query_string:
        location += "?" + request.query_string.decode("latin-1")
    response = Response(f"See {location}\n", status=303, mimetype="text/plain")
    response.headers["Location"] = location
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response

