"""Records -> RDF quads: type tables, one small function per entity, one entry point.

Quads are written as N-Quads text, built directly (no rdflib graph, no Python object per term)
so that ingest can stream at the store's speed: the store's native parser reads the lines.
Every quad of a record goes to the named graph of its source file.
See ``docs/data-model.md`` for the model with one paper in Turtle.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import cache
from urllib.parse import quote

from pyoxigraph import NamedNode, Quad, RdfFormat, parse

from kg.iris import IriMinter, paper_title_key, volume_title_key
from kg.records import (
    Contributor,
    Event,
    Journal,
    LinkedFile,
    Paper,
    PaperKind,
    PublicationDate,
    Retraction,
    SourceFile,
    Venue,
    Volume,
    VolumeKind,
)
from kg.vocab import BIBO, BIBO_DEGREES, DCTERMS, FOAF, KG, PROV, RDF, SDO, XSD

PAPER_CLASSES: dict[PaperKind, tuple[str, ...]] = {
    PaperKind.CONFERENCE_PAPER: (SDO.ScholarlyArticle, BIBO.AcademicArticle),
    PaperKind.JOURNAL_ARTICLE: (SDO.ScholarlyArticle, BIBO.AcademicArticle),
    PaperKind.BOOK: (SDO.Book, BIBO.Book),
    PaperKind.CHAPTER: (SDO.Chapter, BIBO.Chapter),
    PaperKind.PHD_THESIS: (SDO.Thesis, BIBO.Thesis),
    PaperKind.MASTERS_THESIS: (SDO.Thesis, BIBO.Thesis),
    PaperKind.REPORT: (SDO.Report, BIBO.Report),
    PaperKind.MANUAL: (SDO.TechArticle, BIBO.Manual),
    PaperKind.MISC: (SDO.CreativeWork, BIBO.Document),
    PaperKind.WEBPAGE: (SDO.WebPage, BIBO.Webpage),
}

VOLUME_CLASSES: dict[VolumeKind, tuple[str, ...]] = {
    VolumeKind.PROCEEDINGS: (BIBO.Proceedings, SDO.PublicationVolume),
    VolumeKind.JOURNAL_ISSUE: (BIBO.Issue, SDO.PublicationIssue),
    VolumeKind.BOOK: (BIBO.Book, SDO.Book),
}

JOURNAL_CLASSES: tuple[str, ...] = (BIBO.Journal, SDO.Periodical)

THESIS_DEGREES: dict[PaperKind, str] = {
    PaperKind.PHD_THESIS: BIBO_DEGREES.phd,
    PaperKind.MASTERS_THESIS: BIBO_DEGREES.ma,
}

PERSON_CLASSES: tuple[str, ...] = (SDO.Person, FOAF.Person)
ORGANIZATION_CLASSES: tuple[str, ...] = (SDO.Organization, FOAF.Organization)
VENUE_CLASSES: tuple[str, ...] = (KG.Venue, BIBO.Series, SDO.CreativeWorkSeries, SDO.EventSeries)
EVENT_CLASSES: tuple[str, ...] = (BIBO.Conference, SDO.Event)

_DATE_TYPES = {1: XSD.gYear, 2: XSD.gYearMonth, 3: XSD.date}


_IRI_FORBIDDEN = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")

Term = str
"""A term in N-Triples syntax: ``<iri>`` or a literal (``"text"@en``, ``"1"^^<...#integer>``)."""


@cache
def iri(value: str) -> Term:
    """A vocabulary IRI as a term (cached: the same few hundred terms are written millions of
    times)."""
    return resource(value)


def resource(value: str) -> Term:
    """Any IRI as a term; raises ValueError for a string no IRI may hold (N-Triples IRIREF)."""
    if _IRI_FORBIDDEN.search(value) or ":" not in value:
        raise ValueError(f"not an IRI: {value!r}")
    return f"<{value}>"


def value_of(term: Term) -> str:
    """The IRI of an IRI term (``<x>`` -> ``x``)."""
    return term[1:-1]


def literal(text: str, language: str | None = None, datatype: str | None = None) -> Term:
    """A literal term: plain, language-tagged or typed."""
    quoted = f'"{text.translate(_ESCAPES)}"'
    if language:
        if not _LANGUAGE.fullmatch(language):
            raise ValueError(f"not a language tag: {language!r}")
        return f"{quoted}@{language}"
    if datatype:
        return f"{quoted}^^{iri(datatype)}"
    return quoted


def integer(value: int) -> Term:
    return literal(str(value), datatype=XSD.integer)


def date_literal(date: PublicationDate) -> Term:
    """``2025`` as xsd:gYear, ``2025-07`` as xsd:gYearMonth, ``2025-07-28`` as xsd:date."""
    precision = 1 + (date.month is not None) + (date.day is not None)
    return literal(date.lexical, datatype=_DATE_TYPES[precision])


def day_literal(day: date) -> Term:
    return literal(day.isoformat(), datatype=XSD.date)


def datetime_literal(moment: datetime) -> Term:
    return literal(moment.isoformat(timespec="seconds"), datatype=XSD.dateTime)


class GraphWriter:
    """Collects the quads of one named graph as N-Quads lines.

    Text, not pyoxigraph objects: building a Python object per term is what made mapping the
    slowest stage of an ingest; the store's native parser reads these lines at millions a second.
    """

    def __init__(self, graph: str | NamedNode, names: Mapping[str, str] | None = None,
                 memo: dict[object, tuple[Term, list[str]]] | None = None) -> None:
        self.graph = graph if isinstance(graph, str) else graph.value
        self.names = names or {}
        """The name each person is known by in this graph (see ``map_person``)."""
        self.memo = memo
        """Lines of volumes already mapped, shared by the writers of one batch."""
        self.suffix = f" {resource(self.graph)} .\n"
        self.lines: list[str] = []

    def add(self, subject: Term, predicate: str, obj: Term) -> None:
        self.lines.append(f"{subject} {iri(predicate)} {obj}{self.suffix}")

    def types(self, subject: Term, classes: Iterable[str]) -> None:
        for cls in classes:
            self.add(subject, RDF.type, iri(cls))

    def text(self, subject: Term, predicates: Iterable[str], value: str | None,
             language: str | None = None) -> None:
        if value:
            term = literal(value, language)
            for predicate in predicates:
                self.add(subject, predicate, term)

    def nquads(self) -> bytes:
        """The lines as one N-Quads document (UTF-8)."""
        return "".join(self.lines).encode("utf-8")

    def quads(self) -> list[Quad]:
        """The lines as pyoxigraph quads (for callers that inspect them)."""
        return list(parse(self.nquads(), format=RdfFormat.N_QUADS))


def map_person(out: GraphWriter, minter: IriMinter, person: Contributor) -> Term:
    """A person or organisation. Where the source prints them in several spellings, the first
    (``out.names``) is ``schema:name`` and the others ``schema:alternateName``."""
    identifier = minter.person(person)
    node = resource(identifier)
    out.types(node, ORGANIZATION_CLASSES if person.is_organization else PERSON_CLASSES)
    name = out.names.get(identifier, person.name)
    out.text(node, [SDO.name], name)
    if person.name != name:
        out.text(node, [SDO.alternateName], person.name)
    out.text(node, [SDO.givenName], person.given)
    out.text(node, [SDO.familyName], person.family)
    out.text(node, [KG.aclPersonId], person.acl_id)
    if person.orcid:
        out.add(node, SDO.sameAs, resource(f"https://orcid.org/{person.orcid}"))
    return node


def map_contributors(out: GraphWriter, minter: IriMinter, owner: Term,
                     people: tuple[Contributor, ...], *, role: str) -> None:
    """The three consistent forms of an ordered list of authors (or editors):

    direct links (``schema:author``), a BIBO ``rdf:List`` (``bibo:authorList``) and one slot
    node per position carrying the name, affiliation and ORCID as printed.
    """
    direct, listed, slot_link, slot_class = (
        (SDO.author, BIBO.authorList, KG.authorship, KG.Authorship) if role == "author"
        else (SDO.editor, BIBO.editorList, KG.editorship, KG.Editorship))
    nodes = [map_person(out, minter, person) for person in people]
    for node in nodes:
        out.add(owner, direct, node)
    if not nodes:
        return
    cells = [resource(IriMinter.slot(value_of(owner), f"{role}-list", n))
             for n in range(1, len(nodes) + 1)]
    out.add(owner, listed, cells[0])
    for index, (cell, node) in enumerate(zip(cells, nodes, strict=True)):
        out.add(cell, RDF.first, node)
        out.add(cell, RDF.rest, cells[index + 1] if index + 1 < len(cells) else iri(RDF.nil))
    for position, (person, node) in enumerate(zip(people, nodes, strict=True), start=1):
        slot = resource(IriMinter.slot(value_of(owner), role, position))
        out.add(owner, slot_link, slot)
        out.types(slot, [slot_class])
        out.add(slot, KG.position, integer(position))
        out.add(slot, KG.person, node)
        out.text(slot, [KG.nameAsPrinted], person.name)
        out.text(slot, [KG.affiliationAsPrinted], person.affiliation)
        out.text(slot, [KG.orcidAsPrinted], person.orcid)


def map_venue(out: GraphWriter, minter: IriMinter, venue: Venue) -> Term:
    node = resource(minter.venue(venue.key))
    out.types(node, VENUE_CLASSES)
    out.text(node, [SDO.name], venue.name)
    out.text(node, [BIBO.shortTitle], venue.acronym)
    return node


def map_event(out: GraphWriter, minter: IriMinter, event: Event) -> Term:
    node = resource(minter.event(event.key))
    out.types(node, EVENT_CLASSES)
    out.text(node, [SDO.name], event.name)
    out.add(node, SDO.startDate, date_literal(PublicationDate(event.year)))
    out.text(node, [SDO.location], event.location)
    if event.series is not None:
        out.add(node, SDO.superEvent, map_venue(out, minter, event.series))
    return node


def map_volume(out: GraphWriter, minter: IriMinter, volume: Volume, language: str) -> Term:
    node = resource(minter.volume(volume))
    out.types(node, VOLUME_CLASSES[volume.kind])
    out.text(node, [SDO.name, DCTERMS.title], volume.title, language)
    if volume.year is not None:
        out.add(node, SDO.datePublished,
                date_literal(PublicationDate(volume.year, volume.month)))
    out.text(node, [KG.aclId], volume.acl_id)
    out.text(node, [BIBO.isbn], volume.isbn)
    venues = [map_venue(out, minter, venue) for venue in volume.venues]
    for venue in venues:
        out.add(node, SDO.isPartOf, venue)
    if volume.event is not None:
        out.add(node, BIBO.presentedAt, map_event(out, minter, volume.event))
    map_contributors(out, minter, node, volume.editors, role="editor")
    map_doi(out, node, volume.doi)
    if volume.url:
        out.add(node, SDO.url, resource(volume.url))
    out.text(node, [BIBO.shortTitle], volume.short_title)
    out.text(node, [KG.bibKey], volume.bibkey)
    map_publisher(out, minter, node, volume.publisher)
    map_issue(out, minter, node, volume)
    if volume.pdf:
        out.add(node, SDO.encoding, resource(volume.pdf))
    if volume.frontmatter_pdf:
        out.add(node, KG.frontMatter, resource(volume.frontmatter_pdf))
    return node


def map_journal(out: GraphWriter, minter: IriMinter, journal: Journal) -> Term:
    node = resource(minter.journal(journal))
    out.types(node, JOURNAL_CLASSES)
    out.text(node, [SDO.name], journal.name)
    out.text(node, [BIBO.issn, SDO.issn], journal.issn)
    map_publisher(out, minter, node, journal.publisher)
    return node


def map_issue(out: GraphWriter, minter: IriMinter, node: Term, volume: Volume) -> None:
    """A volume's place and numbers as printed, its journal; a book's title key."""
    out.text(node, [KG.publicationPlace], volume.address)
    out.text(node, [BIBO.volume, SDO.volumeNumber], volume.volume_number)
    out.text(node, [BIBO.issue, SDO.issueNumber], volume.issue_number)
    if volume.journal is not None:
        out.add(node, SDO.isPartOf, map_journal(out, minter, volume.journal))
    if volume.kind is VolumeKind.BOOK:  # a book is a publication too, matched by its title
        out.text(node, [KG.titleKey], volume_title_key(volume))


def map_part_of(out: GraphWriter, minter: IriMinter, volume: Volume, language: str) -> Term:
    """What a record is part of: its volume, or its journal when no volume or issue is named.

    Every paper of a volume repeats it: writers sharing a ``memo`` map it once (the same
    record, minter and names always give the same lines)."""
    key = (volume, language)
    if out.memo is not None and key in out.memo:
        node, lines = out.memo[key]
        out.lines.extend(lines)
        return node
    start = len(out.lines)
    if volume.journal is not None and not (volume.volume_number or volume.issue_number):
        node = map_journal(out, minter, volume.journal)
    else:
        node = map_volume(out, minter, volume, language)
    if out.memo is not None:
        out.memo[key] = (node, out.lines[start:])
    return node


def map_publication_details(out: GraphWriter, minter: IriMinter, node: Term,
                            paper: Paper) -> None:
    """What a book, thesis or report says of itself: editors, publisher, place, ISBN, number,
    edition, note, and a thesis's degree."""
    map_contributors(out, minter, node, paper.editors, role="editor")
    map_publisher(out, minter, node, paper.publisher)
    out.text(node, [KG.publicationPlace], paper.address)
    out.text(node, [BIBO.isbn], paper.isbn)
    out.text(node, [BIBO.number], paper.number)
    out.text(node, [BIBO.edition], paper.edition)
    out.text(node, [SDO.description], paper.note)
    if paper.kind in THESIS_DEGREES:
        out.add(node, BIBO.degree, iri(THESIS_DEGREES[paper.kind]))


def map_publisher(out: GraphWriter, minter: IriMinter, node: Term,
                  publisher: str | None) -> None:
    """The publisher as an organisation (``org/{name key}``), the same node for every volume."""
    if publisher:
        organization = Contributor(name=publisher, is_organization=True)
        out.add(node, SDO.publisher, map_person(out, minter, organization))


def map_linked_files(out: GraphWriter, owner: Term, role: str, link: str,
                     files: tuple[LinkedFile, ...]) -> None:
    """Files published with a record (attachments, revisions, errata), linked by ``link``.

    Each is a ``schema:MediaObject`` node ``{record}/{role}/{number}`` with its
    ``schema:contentUrl``, number (``schema:position``), type (``schema:name``), date
    (``schema:datePublished``) and note (``schema:description``).
    """
    for linked in files:
        node = resource(IriMinter.slot(value_of(owner), role, linked.number))
        out.add(owner, link, node)
        out.types(node, [SDO.MediaObject])
        out.add(node, SDO.contentUrl, resource(linked.url))
        out.add(node, SDO.position, integer(linked.number))
        out.text(node, [SDO.name], linked.label)
        if linked.published is not None:
            out.add(node, SDO.datePublished, day_literal(linked.published))
        out.text(node, [SDO.description], linked.note)


def map_retraction(out: GraphWriter, node: Term, retraction: Retraction | None) -> None:
    """A retracted (or removed) record: its status, the date and the reason given."""
    if retraction is not None:
        out.text(node, [SDO.creativeWorkStatus],
                 "Removed" if retraction.removed else "Retracted")
        out.add(node, KG.retractionDate, day_literal(retraction.date))
        out.text(node, [KG.retractionNote], retraction.note)


def map_publication_extras(out: GraphWriter, node: Term, paper: Paper) -> None:
    """Citation key, awards, supplementary files, videos, versions, errata, retraction."""
    out.text(node, [KG.bibKey], paper.bibkey)
    for award in paper.awards:
        out.text(node, [SDO.award], award)
    map_linked_files(out, node, "attachment", SDO.associatedMedia, paper.attachments)
    map_linked_files(out, node, "revision", DCTERMS.hasVersion, paper.revisions)
    map_linked_files(out, node, "erratum", SDO.correction, paper.errata)
    for video in paper.videos:
        out.add(node, SDO.video, resource(video))
    map_retraction(out, node, paper.retraction)


def map_doi(out: GraphWriter, node: Term, doi: str | None) -> None:
    if doi:  # DOIs are case-insensitive: stored lower-case, so that they match exactly
        out.add(node, BIBO.doi, literal(doi.lower()))
        # DOIs may hold characters an IRI cannot ("<>, spaces): percent-encode those (RFC 3987).
        encoded = quote(doi.lower(), safe="/:;()[]._-~!$&'*+,=@")
        out.add(node, SDO.sameAs, resource(f"https://doi.org/{encoded}"))


def map_paper(out: GraphWriter, minter: IriMinter, paper: Paper) -> Term:
    """All the quads of one paper: itself, its authors, its volume, venue and event."""
    node = resource(minter.paper(paper))
    out.types(node, PAPER_CLASSES[paper.kind])
    out.text(node, [SDO.name, DCTERMS.title], paper.title, paper.language)
    out.text(node, [SDO.abstract, DCTERMS.abstract], paper.abstract, paper.language)
    if paper.date is not None:
        out.add(node, SDO.datePublished, date_literal(paper.date))
    out.text(node, [SDO.inLanguage], paper.language)
    map_contributors(out, minter, node, paper.authors, role="author")
    if not paper.authors_complete:
        out.add(node, KG.authorListComplete, literal("false", datatype=XSD.boolean))
    if paper.volume is not None:
        volume = map_part_of(out, minter, paper.volume, paper.language)
        out.add(node, SDO.isPartOf, volume)
        if paper.volume.event is not None:
            out.add(node, BIBO.presentedAt, resource(minter.event(paper.volume.event.key)))
    out.text(node, [KG.aclId], paper.acl_id)
    out.text(node, [KG.titleKey], paper_title_key(paper))
    map_doi(out, node, paper.doi)
    out.text(node, [BIBO.pages], paper.pages)
    if paper.page_range:
        start, end = paper.page_range
        out.text(node, [BIBO.pageStart], start)
        out.text(node, [BIBO.pageEnd], end)
    if paper.url:
        out.add(node, SDO.url, resource(paper.url))
    if paper.pdf:
        out.add(node, SDO.encoding, resource(paper.pdf))
    map_publication_extras(out, node, paper)
    map_publication_details(out, minter, node, paper)
    out.add(node, KG.sourceLine, integer(paper.location.line))
    return node


def map_provenance(out: GraphWriter, minter: IriMinter, source: SourceFile, version: str,
                   started: datetime, ended: datetime) -> None:
    """Describe the named graph itself: derived from which file, generated when, by what."""
    graph = out.graph
    graph_node = resource(graph)
    file_node = resource(f"{graph}/source")
    activity = resource(f"{graph}/ingest")
    agent = resource(minter.software(version))
    out.types(graph_node, [PROV.Entity])
    out.add(graph_node, PROV.wasDerivedFrom, file_node)
    out.add(graph_node, PROV.wasGeneratedBy, activity)
    out.add(graph_node, PROV.generatedAtTime, datetime_literal(ended))
    out.types(file_node, [PROV.Entity, KG.SourceFile])
    out.text(file_node, [SDO.name], source.name)
    out.text(file_node, [KG.sha256], source.sha256)
    out.add(file_node, KG.byteSize, integer(source.size))
    out.text(file_node, [KG.sourceFormat], source.format)
    out.types(activity, [PROV.Activity, KG.IngestActivity])
    out.add(activity, PROV.used, file_node)
    out.add(activity, PROV.startedAtTime, datetime_literal(started))
    out.add(activity, PROV.endedAtTime, datetime_literal(ended))
    out.add(activity, PROV.wasAssociatedWith, agent)
    out.types(agent, [PROV.SoftwareAgent, SDO.SoftwareApplication])
    out.text(agent, [SDO.name], "kg (scholarly-kg)")
    out.text(agent, [SDO.softwareVersion], version)
