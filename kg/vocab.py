"""Closed vocabularies: a misspelt term fails at import time, not silently in a query.

schema.org is declared here on ``http://schema.org/`` (rdflib's ``SDO`` uses ``https:``).
BIBO follows version 1.3 (``../shared/data/ontologies/bibo.rdf``); only the terms the mapper
and the shapes use are declared. ``KG`` holds the local terms defined in ``ontology/kg.ttl``.
"""

from __future__ import annotations

from rdflib.namespace import (
    DCTERMS,
    FOAF,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    XSD,
    DefinedNamespace,
    Namespace,
)
from rdflib.term import URIRef

__all__ = [
    "BIBO",
    "BIBO_DEGREES",
    "DCTERMS",
    "FOAF",
    "KG",
    "KG_SHAPES",
    "OWL",
    "PROV",
    "RDF",
    "RDFS",
    "SD",
    "SDO",
    "SH",
    "VOID",
    "XSD",
    "prefixes",
]

KG_ONTOLOGY_IRI = "https://w3id.org/scholarly-kg/ontology"


class SDO(DefinedNamespace):
    """schema.org, ``http://schema.org/``."""

    _fail = True
    _NS = Namespace("http://schema.org/")

    ScholarlyArticle: URIRef
    Person: URIRef
    Organization: URIRef
    Book: URIRef
    Chapter: URIRef
    Thesis: URIRef
    Report: URIRef
    CreativeWork: URIRef
    PublicationVolume: URIRef
    PublicationIssue: URIRef
    Periodical: URIRef
    CreativeWorkSeries: URIRef
    EventSeries: URIRef
    WebPage: URIRef
    TechArticle: URIRef
    Event: URIRef
    Dataset: URIRef
    DigitalDocument: URIRef
    SoftwareApplication: URIRef
    MediaObject: URIRef

    name: URIRef
    alternateName: URIRef
    givenName: URIRef
    familyName: URIRef
    abstract: URIRef
    author: URIRef
    editor: URIRef
    datePublished: URIRef
    isPartOf: URIRef
    hasPart: URIRef
    publisher: URIRef
    identifier: URIRef
    sameAs: URIRef
    url: URIRef
    inLanguage: URIRef
    pagination: URIRef
    pageStart: URIRef
    pageEnd: URIRef
    location: URIRef
    startDate: URIRef
    superEvent: URIRef
    encoding: URIRef
    contentSize: URIRef
    softwareVersion: URIRef
    position: URIRef
    isbn: URIRef
    issn: URIRef
    volumeNumber: URIRef
    issueNumber: URIRef
    award: URIRef
    affiliation: URIRef
    description: URIRef
    alternativeHeadline: URIRef
    associatedMedia: URIRef
    contentUrl: URIRef
    correction: URIRef
    video: URIRef
    creativeWorkStatus: URIRef


class BIBO(DefinedNamespace):
    """The Bibliographic Ontology 1.3, ``http://purl.org/ontology/bibo/``."""

    _fail = True
    _NS = Namespace("http://purl.org/ontology/bibo/")

    AcademicArticle: URIRef
    Article: URIRef
    Book: URIRef
    BookSection: URIRef
    Chapter: URIRef
    Conference: URIRef
    Document: URIRef
    Issue: URIRef
    Journal: URIRef
    Manual: URIRef
    Proceedings: URIRef
    Report: URIRef
    Series: URIRef
    Thesis: URIRef
    ThesisDegree: URIRef
    Webpage: URIRef
    Workshop: URIRef

    abstract: URIRef
    authorList: URIRef
    editorList: URIRef
    degree: URIRef
    doi: URIRef
    edition: URIRef
    identifier: URIRef
    isbn: URIRef
    isbn10: URIRef
    isbn13: URIRef
    issn: URIRef
    issue: URIRef
    number: URIRef
    pageEnd: URIRef
    pageStart: URIRef
    pages: URIRef
    presentedAt: URIRef
    shortTitle: URIRef
    status: URIRef
    uri: URIRef
    volume: URIRef


class BIBO_DEGREES(DefinedNamespace):
    """BIBO's thesis degrees (``bibo:ThesisDegree`` individuals), the values of ``bibo:degree``."""

    _fail = True
    _NS = Namespace("http://purl.org/ontology/bibo/degrees/")

    phd: URIRef
    ma: URIRef
    ms: URIRef


class KG(DefinedNamespace):
    """Local terms of scholarly-kg, defined and aligned in ``ontology/kg.ttl``."""

    _fail = True
    _NS = Namespace(KG_ONTOLOGY_IRI + "#")

    Authorship: URIRef
    Editorship: URIRef
    Venue: URIRef
    SourceFile: URIRef
    IngestActivity: URIRef

    authorship: URIRef
    editorship: URIRef
    position: URIRef
    person: URIRef
    nameAsPrinted: URIRef
    affiliationAsPrinted: URIRef
    orcidAsPrinted: URIRef
    authorListComplete: URIRef
    aclId: URIRef
    aclPersonId: URIRef
    titleKey: URIRef
    publicationPlace: URIRef
    bibKey: URIRef
    frontMatter: URIRef
    retractionDate: URIRef
    retractionNote: URIRef
    sourceLine: URIRef
    sourceFormat: URIRef
    sha256: URIRef
    byteSize: URIRef
    # limits of the SPARQL service, stated in its service description
    resultLimit: URIRef
    queryTimeout: URIRef
    maxQueryLength: URIRef
    maxRequestBody: URIRef


KG_SHAPES = Namespace("https://w3id.org/scholarly-kg/shapes#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")


def prefixes() -> dict[str, str]:
    """The prefixes used in dumps, query results and documentation, in a fixed order."""
    return {
        "schema": str(SDO._NS),
        "bibo": str(BIBO._NS),
        "kg": str(KG._NS),
        "dcterms": str(DCTERMS),
        "foaf": str(FOAF),
        "prov": str(PROV),
        "rdf": str(RDF),
        "rdfs": str(RDFS),
        "owl": str(OWL),
        "xsd": str(XSD),
    }


def _materialise(*namespaces: type[DefinedNamespace]) -> None:
    # DefinedNamespace looks every term up through a metaclass __getattr__ (about 3 us each);
    # the mapper reads terms millions of times, so store them as plain class attributes. Unknown
    # names still fall through to __getattr__ and fail.
    for namespace in namespaces:
        base = str(namespace._NS)
        for name in namespace.__annotations__:
            type.__setattr__(namespace, name, URIRef(base + name))


_materialise(SDO, BIBO, BIBO_DEGREES, KG, RDF, RDFS, XSD, PROV, DCTERMS, FOAF, OWL)
