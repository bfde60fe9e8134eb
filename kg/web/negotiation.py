"""Content negotiation as pure functions over tables (tested with parametrized cases).

Each table maps the media types the server offers, in its order of preference, to pyoxigraph's
format; aliases (``application/json`` for SPARQL JSON, ``text/plain`` for N-Triples) are offered
too but answered with the canonical type. The ``format`` and ``output`` request parameters that
SPARQLWrapper and browsers send name a format by a short name or a media type; they win over
``Accept`` when they fit the kind of result, and are ignored otherwise (never an error).

>>> choose("text/csv;q=0.5, application/sparql-results+xml", list(SOLUTION_TYPES))
'application/sparql-results+xml'
>>> negotiate(None, "csv", SOLUTIONS)
'text/csv'
>>> negotiate("text/turtle", "csv", GRAPHS)
'text/turtle'
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return (self.type in ("*", main)) and (self.subtype in ("*", sub))

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; a missing or empty header, or one without a
    single valid range, accepts anything."""
    anything = [MediaRange("*", "*", 1.0, 0)]
    if not header or not header.strip():
        return anything
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media = fields[0].lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        ranges.append(MediaRange(main, sub, _quality(fields[1:]), order))
    return ranges or anything


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (server order breaks ties); None if none fits."""
    ranges = parse_accept(header)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for index, media_type in enumerate(offered):
        matching = [r for r in ranges if r.matches(media_type)]
        if not matching:
            continue
        most_specific = max(matching, key=lambda r: (r.specificity, -r.order))
        if most_specific.q <= 0:
            continue
        key = (most_specific.q, most_specific.specificity, -index, -most_specific.order)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header allows gzip (named, or ``*``, with q above 0).

    >>> accepts_gzip("gzip, deflate, br"), accepts_gzip("gzip;q=0"), accepts_gzip(None)
    (True, False, False)
    """
    if not header:
        return False
    quality: dict[str, float] = {}
    for part in header.split(","):
        fields = [f.strip() for f in part.split(";")]
        quality[fields[0].lower()] = _quality(fields[1:])
    return quality.get("gzip", quality.get("x-gzip", quality.get("*", 0.0))) > 0


# --- tables -------------------------------------------------------------------------------

#: SELECT and ASK results: canonical types first (the first is the default), then aliases.
SOLUTION_TYPES: dict[str, QueryResultsFormat] = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
    "application/json": QueryResultsFormat.JSON,
    "application/xml": QueryResultsFormat.XML,
    "text/xml": QueryResultsFormat.XML,
}

#: Triples (CONSTRUCT and DESCRIBE results, a graph of the Graph Store).
GRAPH_TYPES: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "text/plain": RdfFormat.N_TRIPLES,
    "application/x-turtle": RdfFormat.TURTLE,
}

#: Quads (the whole dataset from the Graph Store).
DATASET_TYPES: dict[str, RdfFormat] = {
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
}

#: What an upload to the Graph Store may be (N3 is read as the Turtle it extends).
UPLOAD_TYPES: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/plain": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
    "text/n3": RdfFormat.N3,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
}

#: Formats that carry named graphs (an upload to one graph may not use their graphs).
QUAD_FORMATS = {RdfFormat.N_QUADS, RdfFormat.TRIG}

#: The service description: RDF, or a page for people.
HTML = "text/html"
DESCRIPTION_TYPES = ["text/turtle", HTML, "application/rdf+xml", "application/ld+json",
                     "application/n-triples"]

#: An alias answered with its canonical type.
CANONICAL = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
}


@dataclass(frozen=True)
class Offer:
    """What one kind of response can be: media types in order, and short format names."""

    types: list[str]
    names: dict[str, str]


SOLUTIONS = Offer(list(SOLUTION_TYPES), {
    "json": "application/sparql-results+json", "srj": "application/sparql-results+json",
    "xml": "application/sparql-results+xml", "srx": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values",
})
GRAPHS = Offer(list(GRAPH_TYPES), {
    "turtle": "text/turtle", "ttl": "text/turtle",
    "ntriples": "application/n-triples", "n-triples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml", "rdf+xml": "application/rdf+xml", "rdf": "application/rdf+xml",
    "xml": "application/rdf+xml",
    "jsonld": "application/ld+json", "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "nquads": "application/n-quads", "n-quads": "application/n-quads", "nq": "application/n-quads",
    "trig": "application/trig",
})
DATASETS = Offer(list(DATASET_TYPES), {
    "nquads": "application/n-quads", "n-quads": "application/n-quads", "nq": "application/n-quads",
    "trig": "application/trig",
})
DESCRIPTIONS = Offer(DESCRIPTION_TYPES, {
    "turtle": "text/turtle", "ttl": "text/turtle", "html": HTML,
    "rdfxml": "application/rdf+xml", "rdf+xml": "application/rdf+xml", "xml": "application/rdf+xml",
    "jsonld": "application/ld+json", "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "ntriples": "application/n-triples", "nt": "application/n-triples",
})

#: An RDF document (VoID): the description's types without the page.
DOCUMENTS = Offer([t for t in DESCRIPTION_TYPES if t != HTML],
                  {k: v for k, v in DESCRIPTIONS.names.items() if v != HTML})


def canonical(media_type: str) -> str:
    """The media type a response carries for an offered type (an alias gives its canonical)."""
    return CANONICAL.get(media_type, media_type)


def _override(value: str, offer: Offer) -> str | None:
    value = value.strip().lower()
    if value in offer.names:
        return offer.names[value]
    media_type = value.split(";")[0].strip()
    return media_type if media_type in offer.types else None


def negotiate(accept: str | None, override: str | None, offer: Offer) -> str | None:
    """The canonical media type to answer with, or None (406) if nothing offered fits.

    ``override`` is the ``format`` (or ``output``) parameter: it wins when it names a format of
    ``offer``, and is ignored otherwise.
    """
    if override:
        forced = _override(override, offer)
        if forced is not None:
            return canonical(forced)
    chosen = choose(accept, offer.types)
    return canonical(chosen) if chosen is not None else None


def content_type(media_type: str) -> str:
    """The Content-Type header of a response in ``media_type`` (always UTF-8).

    >>> content_type("text/csv")
    'text/csv; charset=utf-8'
    """
    return f"{media_type}; charset=utf-8"


def upload_format(mimetype: str) -> RdfFormat | None:
    """The format of a Graph Store upload from its Content-Type (without parameters)."""
    return UPLOAD_TYPES.get(mimetype.strip().lower())


# --- linked data: the documents that describe a resource -----------------------------------

#: The documents that describe a resource, by media type, with the suffix each document's IRI
#: adds to the resource IRI, in the server's order of preference. A bare ``*/*`` (or no Accept)
#: gets HTML: the likeliest sender of one is a person following a link; RDF clients name
#: their formats.
DOCUMENT_SUFFIXES: dict[str, str] = {
    HTML: ".html",
    "text/turtle": ".ttl",
    "application/ld+json": ".jsonld",
    "application/n-triples": ".nt",
    "application/rdf+xml": ".rdf",
}
#: BibTeX, offered only for resources that can be cited (papers, people, volumes).
BIBTEX = "application/x-bibtex"
BIBTEX_SUFFIX = ".bib"
#: Other names of the same documents, answered with the canonical type.
DOCUMENT_ALIASES: dict[str, str] = {
    "application/xhtml+xml": HTML,
    "application/x-turtle": "text/turtle",
    "application/json": "application/ld+json",
    "text/plain": "application/n-triples",
    "application/xml": "application/rdf+xml",
    "text/x-bibtex": BIBTEX,
}
#: The ``format`` parameter's short names.
DOCUMENT_NAMES: dict[str, str] = {
    "html": HTML,
    "turtle": "text/turtle", "ttl": "text/turtle",
    "jsonld": "application/ld+json", "json-ld": "application/ld+json",
    "json": "application/ld+json",
    "ntriples": "application/n-triples", "n-triples": "application/n-triples",
    "nt": "application/n-triples",
    "rdfxml": "application/rdf+xml", "rdf+xml": "application/rdf+xml",
    "rdf": "application/rdf+xml", "xml": "application/rdf+xml",
    "bibtex": BIBTEX, "bib": BIBTEX,
}


def document_types(*, bibtex: bool) -> dict[str, str]:
    """The documents a resource has (media type -> suffix), BibTeX last when it has one."""
    return {**DOCUMENT_SUFFIXES, **({BIBTEX: BIBTEX_SUFFIX} if bibtex else {})}


def negotiate_document(accept: str | None, override: str | None, *,
                       bibtex: bool = False) -> str | None:
    """The media type of the document to send a client to, or None (406).

    ``override`` (the ``format`` parameter) wins when it names one of the documents; otherwise
    it is ignored and ``Accept`` decides, with q-values and wildcards.

    >>> negotiate_document("text/html,application/xhtml+xml,*/*;q=0.8", None)
    'text/html'
    >>> negotiate_document("application/rdf+xml;q=0.5, text/turtle", None)
    'text/turtle'
    >>> negotiate_document("text/html", "ttl")
    'text/turtle'
    >>> negotiate_document("application/x-bibtex", None, bibtex=False) is None
    True
    >>> negotiate_document(None, "bib", bibtex=False)
    'text/html'
    """
    documents = document_types(bibtex=bibtex)
    aliases = {alias: canonical for alias, canonical in DOCUMENT_ALIASES.items()
               if canonical in documents}
    if override:
        named = DOCUMENT_NAMES.get(override.strip().lower())
        if named is None:
            named = aliases.get(override.strip().lower(), override.strip().lower())
        if named in documents:
            return named
    chosen = choose(accept, [*documents, *aliases])
    if chosen is None:
        return None
    return aliases.get(chosen, chosen)


def document_for_suffix(suffix: str, *, bibtex: bool) -> str | None:
    """The media type of the document whose IRI ends with ``suffix`` (``.ttl``), if any.

    >>> document_for_suffix(".jsonld", bibtex=False)
    'application/ld+json'
    >>> document_for_suffix(".bib", bibtex=False) is None
    True
    """
    for media_type, known in document_types(bibtex=bibtex).items():
        if known == suffix:
            return media_type
    return None
