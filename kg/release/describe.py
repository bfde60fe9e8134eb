"""The description of a release in VoID and DCAT (``void.ttl``), and the counts it states.

:class:`DataStats` reads the sorted, deduplicated N-Triples lines of the merged graph once (the
stream the Turtle file is written from), so the counts cost one pass and bounded memory: lines
come sorted by subject, so distinct subjects and (subject, property) pairs are counted as
changes between neighbouring lines; only the tables of properties and classes are kept.

The release's own resources are named under ``{base}releases/{name}`` (the dataset), which is
also where the service serves the release: the dataset's parts are fragments of it
(``#build``, ``#nquads``, ``#class-schema-ScholarlyArticle``, ``#validation`` ...), and its files
are ``{base}releases/{name}/{file}``. No blank node is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from pyoxigraph import Literal, NamedNode, RdfFormat, Triple, serialize
from rdflib.namespace import DCTERMS, PROV, RDF, VOID, XSD, DefinedNamespace, Namespace
from rdflib.term import URIRef

from kg.vocab import SDO, prefixes

RDF_TYPE = f"<{RDF.type}>".encode()


class DCAT(DefinedNamespace):
    """The DCAT 3 terms a release description uses (rdflib's ``DCAT`` is DCAT 2)."""

    _fail = True
    _NS = Namespace("http://www.w3.org/ns/dcat#")

    Dataset: URIRef
    Distribution: URIRef
    byteSize: URIRef
    compressFormat: URIRef
    distribution: URIRef
    downloadURL: URIRef
    landingPage: URIRef
    mediaType: URIRef
    previousVersion: URIRef
    version: URIRef


class SPDX(DefinedNamespace):
    """The SPDX terms for checksums, as DCAT 3 recommends."""

    _fail = True
    _NS = Namespace("http://spdx.org/rdf/terms#")

    Checksum: URIRef
    algorithm: URIRef
    checksum: URIRef
    checksumAlgorithm_sha256: URIRef
    checksumValue: URIRef


IANA = "https://www.iana.org/assignments/media-types/"
DESCRIPTION_PREFIXES = {**prefixes(), "void": str(VOID), "dcat": str(DCAT._NS),
                        "spdx": str(SPDX._NS), "sh": "http://www.w3.org/ns/shacl#"}


@dataclass
class DataStats:
    """Counts over the merged graph, fed its sorted unique N-Triples lines with :meth:`add`.

    ``properties`` maps a property IRI to ``[triples, distinct subjects]``, ``classes`` a class
    IRI to ``[entities, triples about them]``. Call :meth:`close` after the last line.
    """

    triples: int = 0
    subjects: int = 0
    entities: int = 0
    properties: dict[bytes, list[int]] = field(default_factory=dict)
    classes: dict[bytes, list[int]] = field(default_factory=dict)
    _subject: bytes = b""
    _predicate: bytes = b""
    _block_triples: int = 0
    _block_classes: list[bytes] = field(default_factory=list)

    def add(self, line: bytes) -> None:
        # '<s> <p> o .\n': subject and predicate are IRIs (no spaces), so spaces delimit them.
        subject_end = line.index(b" ")
        predicate_end = line.index(b" ", subject_end + 1)
        subject = line[:subject_end]
        predicate = line[subject_end + 1:predicate_end]
        if subject != self._subject:
            self._close_subject()
            self._subject = subject
            self._predicate = b""
            self.subjects += 1
        self.triples += 1
        self._block_triples += 1
        counts = self.properties.get(predicate)
        if counts is None:
            counts = self.properties[predicate] = [0, 0]
        counts[0] += 1
        if predicate != self._predicate:
            counts[1] += 1
            self._predicate = predicate
        if predicate == RDF_TYPE:
            self._block_classes.append(line[predicate_end + 1:-3])

    def _close_subject(self) -> None:
        if self._block_classes:
            self.entities += 1
        for cls in self._block_classes:
            counts = self.classes.get(cls)
            if counts is None:
                counts = self.classes[cls] = [0, 0]
            counts[0] += 1
            counts[1] += self._block_triples
        self._block_classes = []
        self._block_triples = 0

    def close(self) -> None:
        self._close_subject()

    def class_counts(self) -> dict[str, tuple[int, int]]:
        """Class IRI -> (entities, triples), for classes that are IRIs."""
        return {key[1:-1].decode(): (n, t) for key, (n, t) in sorted(self.classes.items())
                if key.startswith(b"<")}

    def property_counts(self) -> dict[str, tuple[int, int]]:
        """Property IRI -> (triples, distinct subjects)."""
        return {key[1:-1].decode(): (n, s) for key, (n, s) in sorted(self.properties.items())}


@dataclass(frozen=True)
class FileFacts:
    """A file of a release: its name in the folder, size in bytes and SHA-256."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Distribution:
    """A data file of the release as DCAT sees it."""

    key: str
    file: FileFacts
    title: str
    media_type: str
    standard: str


@dataclass(frozen=True)
class ReleaseFacts:
    """Everything ``void.ttl`` states about one release."""

    name: str
    base_iri: str
    license: str
    version: str
    started: datetime
    ended: datetime
    graphs: int
    quads: int
    stats: DataStats
    distributions: tuple[Distribution, ...]
    shapes: tuple[str, ...]
    previous: str | None = None


def dataset_iri(base_iri: str, name: str) -> str:
    """The IRI of release ``name``: ``{base}releases/{name}``."""
    return f"{base_iri}releases/{quote(name, safe='.-')}"


def file_url(base_iri: str, name: str, file: str) -> str:
    """Where the service serves a release's file: ``{base}releases/{name}/{file}``."""
    return f"{dataset_iri(base_iri, name)}/{quote(file, safe='/.-_')}"


def _term_key(iri: str) -> str:
    """A fragment-safe key for a class or property: ``schema-ScholarlyArticle``, else a hash."""
    for prefix, namespace in prefixes().items():
        local = iri.removeprefix(namespace)
        if local != iri and local.replace("_", "").replace("-", "").isalnum():
            return f"{prefix}-{local}"
    return hashlib.sha256(iri.encode("utf-8")).hexdigest()[:16]


def _integer(value: int, datatype: str = XSD.integer) -> Literal:
    return Literal(str(value), datatype=NamedNode(datatype))


def _moment(value: datetime) -> Literal:
    return Literal(value.isoformat(timespec="seconds"), datatype=NamedNode(XSD.dateTime))


class _Triples:
    def __init__(self) -> None:
        self.triples: list[Triple] = []

    def add(self, subject: str, predicate: str, obj: str | Literal) -> None:
        value = obj if isinstance(obj, Literal) else NamedNode(obj)
        self.triples.append(Triple(NamedNode(subject), NamedNode(predicate), value))

    def text(self, subject: str, predicate: str, value: str) -> None:
        self.add(subject, predicate, Literal(value))


def _distribution(out: _Triples, facts: ReleaseFacts, dataset: str, item: Distribution) -> None:
    node = f"{dataset}#{item.key}"
    checksum = f"{node}-sha256"
    url = file_url(facts.base_iri, facts.name, item.file.name)
    out.add(dataset, DCAT.distribution, node)
    out.add(dataset, VOID.dataDump, url)
    out.add(node, RDF.type, DCAT.Distribution)
    out.text(node, DCTERMS.title, item.title)
    out.add(node, DCAT.downloadURL, url)
    out.add(node, DCAT.mediaType, IANA + item.media_type)
    out.add(node, DCAT.compressFormat, IANA + "application/gzip")
    out.add(node, DCTERMS.conformsTo, item.standard)
    out.add(node, DCTERMS.license, facts.license)
    out.add(node, DCAT.byteSize, _integer(item.file.size, XSD.nonNegativeInteger))
    out.add(node, SPDX.checksum, checksum)
    out.add(checksum, RDF.type, SPDX.Checksum)
    out.add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256)
    out.add(checksum, SPDX.checksumValue, Literal(item.file.sha256,
                                                  datatype=NamedNode(XSD.hexBinary)))


def _partitions(out: _Triples, dataset: str, stats: DataStats) -> None:
    for cls, (entities, triples) in stats.class_counts().items():
        node = f"{dataset}#class-{_term_key(cls)}"
        out.add(dataset, VOID.classPartition, node)
        out.add(node, VOID["class"], cls)
        out.add(node, VOID.entities, _integer(entities))
        out.add(node, VOID.triples, _integer(triples))
    for prop, (triples, subjects) in stats.property_counts().items():
        node = f"{dataset}#property-{_term_key(prop)}"
        out.add(dataset, VOID.propertyPartition, node)
        out.add(node, VOID.property, prop)
        out.add(node, VOID.triples, _integer(triples))
        out.add(node, VOID.distinctSubjects, _integer(subjects))


def _vocabularies(stats: DataStats) -> Iterator[str]:
    used = [*stats.class_counts(), *stats.property_counts()]
    for namespace in prefixes().values():
        if any(term.startswith(namespace) for term in used):
            yield namespace


def describe(facts: ReleaseFacts) -> bytes:
    """``void.ttl``: the release as a ``void:Dataset`` and ``dcat:Dataset``, in Turtle."""
    out = _Triples()
    base, stats = facts.base_iri, facts.stats
    dataset = dataset_iri(base, facts.name)
    build = f"{dataset}#build"
    agent = f"{base}software/kg/{quote(facts.version, safe='-._~')}"
    for cls in (VOID.Dataset, DCAT.Dataset, PROV.Entity):
        out.add(dataset, RDF.type, cls)
    out.text(dataset, DCTERMS.title, f"scholarly-kg release {facts.name}")
    out.text(dataset, DCTERMS.description,
             f"A knowledge graph of publication records: {stats.triples} triples "
             f"({facts.quads} quads in {facts.graphs} named graph(s), one per source file, "
             "described with PROV), "
             "validated against the SHACL shapes released with it.")
    out.text(dataset, DCAT.version, facts.name)
    out.add(dataset, DCTERMS.created, _moment(facts.ended))
    out.add(dataset, DCTERMS.issued, _moment(facts.ended))
    out.add(dataset, DCTERMS.license, facts.license)
    out.add(dataset, DCAT.landingPage, dataset + "/")
    out.add(dataset, DCTERMS.isVersionOf, f"{base}dataset")  # the live dataset the service serves
    out.add(dataset, VOID.sparqlEndpoint, f"{base}sparql")
    out.add(dataset, VOID.uriSpace, Literal(base))
    for namespace in _vocabularies(stats):
        out.add(dataset, VOID.vocabulary, namespace)
    out.add(dataset, VOID.triples, _integer(stats.triples))
    out.add(dataset, VOID.entities, _integer(stats.entities))
    out.add(dataset, VOID.distinctSubjects, _integer(stats.subjects))
    out.add(dataset, VOID.properties, _integer(len(stats.properties)))
    out.add(dataset, VOID.classes, _integer(len(stats.class_counts())))
    for shapes in facts.shapes:
        out.add(dataset, DCTERMS.conformsTo, file_url(base, facts.name, shapes))
    if facts.previous is not None:
        previous = dataset_iri(base, facts.previous)
        out.add(dataset, DCAT.previousVersion, previous)
        out.add(dataset, PROV.wasRevisionOf, previous)
    out.add(dataset, PROV.wasGeneratedBy, build)
    out.add(build, RDF.type, PROV.Activity)
    out.add(build, PROV.startedAtTime, _moment(facts.started))
    out.add(build, PROV.endedAtTime, _moment(facts.ended))
    out.add(build, PROV.wasAssociatedWith, agent)
    out.add(agent, RDF.type, PROV.SoftwareAgent)
    out.add(agent, RDF.type, SDO.SoftwareApplication)
    out.text(agent, SDO.name, "kg (scholarly-kg)")
    out.text(agent, SDO.softwareVersion, facts.version)
    for item in facts.distributions:
        _distribution(out, facts, dataset, item)
    _partitions(out, dataset, stats)
    return turtle(out.triples)


def turtle(triples: Iterable[Triple]) -> bytes:
    """``triples`` as Turtle, sorted so that the same triples always give the same text."""
    ordered = sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    text = serialize(ordered, format=RdfFormat.TURTLE, prefixes=DESCRIPTION_PREFIXES)
    assert text is not None  # no output given: the text is returned
    return text
