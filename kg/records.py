"""The source-neutral record model that every importer fills and the mapper reads.

Records are frozen dataclasses: importers build them once, after checking their raw input,
and nothing downstream changes them. Every record keeps where it came from.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class Location:
    """Where a record starts: the source file's name (as given to `kg`) and a 1-based line."""

    source: str
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line}"


@dataclass(frozen=True)
class PublicationDate:
    """A date of publication with its precision: a year, a year and month, or a full date."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.year <= 9999:
            raise ValueError(f"year out of range: {self.year}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise ValueError(f"month out of range: {self.month}")
        if self.day is not None and (self.month is None or not 1 <= self.day <= 31):
            raise ValueError(f"day without month or out of range: {self.day}")

    @property
    def lexical(self) -> str:
        """The XSD lexical form: ``2025``, ``2025-07`` or ``2025-07-28``."""
        text = f"{self.year:04d}"
        if self.month is not None:
            text += f"-{self.month:02d}"
            if self.day is not None:
                text += f"-{self.day:02d}"
        return text


@dataclass(frozen=True)
class Contributor:
    """One author or editor slot of a record: the name as printed there, and what identifies them.

    ``given``/``family`` are filled only where the source splits the name. ``acl_id`` is the
    ACL Anthology person id, ``orcid`` the bare ORCID (``0000-0002-1825-0097``).
    ``affiliation`` is the affiliation as printed on that record.
    """

    name: str
    given: str | None = None
    family: str | None = None
    acl_id: str | None = None
    orcid: str | None = None
    affiliation: str | None = None
    is_organization: bool = False


@dataclass(frozen=True)
class Venue:
    """A venue (publication series), e.g. ACL's Annual Meeting; ``key`` is the ACL venue id."""

    key: str
    name: str
    acronym: str | None = None


@dataclass(frozen=True)
class Event:
    """One event of a venue, e.g. ACL 2025; ``key`` follows the Anthology (``acl-2025``).

    ``series`` is the venue the event is an edition of, where known.
    """

    key: str
    name: str
    year: int
    location: str | None = None
    series: Venue | None = None


@dataclass(frozen=True)
class Journal:
    """A journal (periodical) whose issues hold articles; identified by its name (``kg.iris``).

    ``publisher`` is who publishes it, as the source names them.
    """

    name: str
    issn: str | None = None
    publisher: str | None = None


class VolumeKind(Enum):
    """What a volume is; decides its classes."""

    PROCEEDINGS = "proceedings"
    JOURNAL_ISSUE = "journal-issue"
    BOOK = "book"


@dataclass(frozen=True)
class Volume:
    """A proceedings volume, a journal issue or a book that papers are part of.

    ``acl_id`` is the Anthology's full volume id (``2021.iwcs-1``) where known; without it a
    volume is identified by its title and year.
    """

    title: str
    year: int | None
    kind: VolumeKind = VolumeKind.PROCEEDINGS
    acl_id: str | None = None
    venues: tuple[Venue, ...] = ()
    event: Event | None = None
    editors: tuple[Contributor, ...] = ()
    publisher: str | None = None
    address: str | None = None
    month: int | None = None
    isbn: str | None = None
    doi: str | None = None
    url: str | None = None
    short_title: str | None = None
    """The short title the source gives (ACL ``<shortbooktitle>``)."""
    bibkey: str | None = None
    """The volume's own citation key (ACL: the front matter's ``<bibkey>``)."""
    pdf: str | None = None
    """The URL of the whole volume as one PDF."""
    frontmatter_pdf: str | None = None
    """The URL of the PDF of the front matter (title pages, preface, committees, contents)."""
    journal: Journal | None = None
    """The journal a journal issue is part of."""
    volume_number: str | None = None
    """The volume number as printed (a journal's, or a proceedings series' volume)."""
    issue_number: str | None = None
    """The issue number as printed (BibTeX ``number`` of an article)."""


class PaperKind(Enum):
    """The kind of a publication record; decides its classes (see ``kg.mapper``)."""

    CONFERENCE_PAPER = "inproceedings"
    JOURNAL_ARTICLE = "article"
    BOOK = "book"
    CHAPTER = "incollection"
    PHD_THESIS = "phdthesis"
    MASTERS_THESIS = "mastersthesis"
    REPORT = "techreport"
    MANUAL = "manual"
    MISC = "misc"
    WEBPAGE = "online"


@dataclass(frozen=True)
class LinkedFile:
    """A file published with a record: an attachment, a revised version or an erratum.

    ``number`` is the source's number for it (ACL revision 2, erratum 1; attachments in file
    order), ``url`` where it is, ``label`` what it is where the source says (an attachment's type:
    ``Software``, ``Dataset``), ``published`` the date it was added, ``note`` the source's
    explanation (why a revision was made).
    """

    number: int
    url: str
    label: str | None = None
    published: datetime.date | None = None
    note: str | None = None


@dataclass(frozen=True)
class Retraction:
    """A record withdrawn by its publisher on ``date``, with the reason given (``note``).

    ``removed`` is True when the record was taken down altogether (ACL ``<removed>``) rather
    than retracted with a notice (ACL ``<retracted>``).
    """

    date: datetime.date
    note: str | None = None
    removed: bool = False


@dataclass(frozen=True)
class Paper:
    """A publication record.

    ``authors`` is in the order printed; ``authors_complete`` is False when the source says
    the list is cut short (BibTeX ``and others``). ``language`` is a BCP 47 tag for the title
    and abstract. ``location`` is where the record starts in its source.
    """

    title: str
    location: Location
    kind: PaperKind = PaperKind.CONFERENCE_PAPER
    authors: tuple[Contributor, ...] = ()
    authors_complete: bool = True
    date: PublicationDate | None = None
    volume: Volume | None = None
    abstract: str | None = None
    language: str = "en"
    acl_id: str | None = None
    doi: str | None = None
    bibkey: str | None = None
    pages: str | None = None
    pdf: str | None = None
    url: str | None = None
    links: tuple[str, ...] = field(default=())
    awards: tuple[str, ...] = ()
    """Awards the record received, as the source names them ("Outstanding Paper")."""
    attachments: tuple[LinkedFile, ...] = ()
    """Supplementary files (software, data, slides, posters), in source order."""
    videos: tuple[str, ...] = ()
    """URLs of recorded talks."""
    revisions: tuple[LinkedFile, ...] = ()
    """Versions of the record (ACL ``<revision>``: version 1 is the original)."""
    errata: tuple[LinkedFile, ...] = ()
    """Errata published for the record."""
    retraction: Retraction | None = None
    """Set when the record was retracted or removed."""
    editors: tuple[Contributor, ...] = ()
    """Editors of the record itself (an edited book); a paper's volume has its own editors."""
    publisher: str | None = None
    """Who published the record itself: a book's publisher, a thesis's school, a report's
    institution (a paper in a volume has its volume's publisher instead)."""
    address: str | None = None
    """The place of publication as printed (BibTeX ``address``)."""
    isbn: str | None = None
    number: str | None = None
    """A report, manual or series number as printed (BibTeX ``number`` outside articles)."""
    edition: str | None = None
    note: str | None = None
    """Remarks the source adds in free text (BibTeX ``note``, ``howpublished``)."""

    @property
    def label(self) -> str:
        """How messages name this record: its ACL id, DOI or BibTeX key, else its title."""
        return self.acl_id or self.doi or self.bibkey or self.title

    @property
    def page_range(self) -> tuple[str, str] | None:
        """``(start, end)`` when ``pages`` is a range such as ``1–7`` or ``1--7``.

        Both ends are single tokens: ``NIST SP 800-59`` (a report number) is no range.
        """
        if not self.pages:
            return None
        for dash in ("--", "–", "—", "-"):
            if dash in self.pages:
                start, _, end = self.pages.partition(dash)
                start, end = start.strip(), end.strip()
                if start and end and not any(ch.isspace() for ch in start + end):
                    return start, end
        return None


@dataclass(frozen=True)
class SourceFile:
    """An input file as a whole: what the provenance of its named graph describes."""

    name: str
    sha256: str
    size: int
    format: str


@dataclass(frozen=True)
class ParsedSource:
    """What an importer returns for one file: its records and the errors found in it."""

    file: SourceFile
    papers: tuple[Paper, ...]
    errors: tuple[Exception, ...] = ()
