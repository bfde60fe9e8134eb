"""ACL Anthology XML (``--format acl-xml``): the ``data/xml/*.xml`` files of acl-org/acl-anthology.

A file is one *collection* (``2021.iwcs``, ``C65``): one or more ``<volume>``s, each a ``<meta>``
block, an optional ``<frontmatter>`` and its ``<paper>``s, and possibly an ``<event>`` at the end.

Reading is in two stages. lxml's ``iterparse`` is the lenient first stage: it streams the file,
and every ``<meta>``, ``<frontmatter>`` and ``<paper>`` element is cleared (with what precedes it)
once it is checked, so that memory stays flat however long the volume. The second stage checks
each element into a record (:func:`to_volume`, :func:`to_paper`) and collects *all* of that
record's problems as :class:`~kg.errors.SourceError` values, each with its line.

Safety: DTDs are refused. A file with a ``<!DOCTYPE`` is reported at the line of the declaration
before any content is read; entities are never expanded, nothing is fetched from the network and
lxml's limits for huge documents stay on (an entity-expansion "billion laughs" file fails at once).

What is derived, and how (as the Anthology's own ``acl_anthology`` library does it):

- **Ids** (``build_id``): new-style collections give ``{collection}-{volume}.{paper}``
  (``2021.iwcs-1.3``); old-style ones ``{collection}-{volume}{paper:03d}`` (``C65-1001``), with two
  digits for each part in ``W`` collections, ``C69`` and ``D19`` volumes 5 and up (``W18-6310``).
  Gaps in paper numbers are kept: the ids are the file's numbers.
- **Dates**: ``<year>`` else the collection's year (``C65`` -> 1965, ``2021.iwcs`` -> 2021), and
  ``<month>`` where it names a month. A paper is dated by its volume.
- **Journal or proceedings**: ``type="journal"`` (or, in files older than that attribute, the
  ``J`` and ``Q`` collections and the ``cl``/``tacl`` venues) makes a journal issue of journal
  articles; anything else is proceedings of conference papers; ``type="backmatter"`` papers are
  miscellaneous records.
- **Front matter** (paper 0 in the Anthology) is not a paper of its own: it *is* the volume's
  bibliographic record (the Anthology's BibTeX for a volume is its front matter's), so its
  ``<bibkey>`` becomes the volume's key and its PDF the volume's front-matter PDF. The volume's
  paper count is therefore the count of ``<paper>`` elements.
- **Venues**: every ``<venue>``; a file without one (before 2022) takes the venue of a new-style
  collection id (``2021.iwcs`` -> ``iwcs``), else the venue its title names (:mod:`kg.venues`).
  Venues of :mod:`kg.venues` keep that table's name; others are named by their id in capitals.
- **Event**: the collection's ``<event>`` when there is one (its title and location), else the
  event ``{venue}-{year}`` of the volume's first venue other than ``ws`` (the Anthology's catch-all
  "workshops" venue, which names no event). The volume's ``<address>`` is where the event took
  place, and is recorded as the event's location.
- **Names**: ``<first>`` and ``<last>`` as printed (white space collapsed, Unicode NFC). A single
  name (``<first/>`` empty or absent) is the last name alone; no first name is made up. ALL-CAPS
  names stay as printed; people without an ACL id are identified by :func:`kg.names.person_key`,
  which ignores case. ``id`` is the ACL person id, ``orcid`` (attribute or element) the ORCID,
  checked for its pattern and check digit; ``<affiliation>`` is kept as printed on that paper.
- **Groups**: an author is an organisation when the printed name begins with "The" or its last
  word is a collective noun (:data:`GROUP_WORDS`: Group, Team, Consortium, Committee, ...), as in
  ``<first>The LOLITA</first><last>Group</last>``. A person's name does neither.
- **Markup** in titles, abstracts and book titles becomes plain text: ``<fixed-case>``, ``<b>``,
  ``<i>`` and ``<url>`` are unwrapped (their text kept), ``<tex-math>`` is kept as its TeX source
  between ``$`` signs, and runs of white space become one space. No text is dropped.
- **Links**: the landing page ``https://aclanthology.org/{id}/`` (volumes:
  ``.../volumes/{id}/``), the PDF ``https://aclanthology.org/{id}.pdf`` (an absolute ``<url>``
  is kept as given), attachments under ``/attachments/``, videos, revisions and errata.
  Videos the Anthology may not show (``permission="false"``) are not linked.

Not read: ``<variant>`` names in other scripts, editors of single papers, ``<note>``, ``<issue>``
and ``<journal>`` of single papers, Papers-with-Code links and the volumes an ``<event>`` lists as
co-located (they belong to other files).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from kg.errors import SourceError
from kg.names import clean_name
from kg.records import (
    Contributor,
    Event,
    LinkedFile,
    Location,
    Paper,
    PaperKind,
    PublicationDate,
    Retraction,
    Venue,
    Volume,
    VolumeKind,
)
from kg.sources.text import is_iri
from kg.venues import venue_by_key, venue_for

FORMAT = "acl-xml"
ANTHOLOGY = "https://aclanthology.org/"

Element = Any  # lxml.etree._Element (lxml ships no type information)

_HEAD = re.compile(
    r"^\ufeff?\s*+(?:<\?xml[^>]*+>\s*+)?"
    r"(?:<!--(?:(?!-->).)*+-->\s*+|<!DOCTYPE[^\[>]*+(?:\[[^\]]*+\])?\s*+>\s*+)*+<collection[\s>]",
    re.DOTALL)
"""An XML declaration, comments and a DOCTYPE, then ``<collection``. Possessive (``*+``): a
head of many comments must not make the match backtrack exponentially."""
_COLLECTION_ID = re.compile(r"^(?P<year>[0-9]{4})\.(?P<venue>[a-z0-9]+)$|^[A-Z][0-9]{2}$")
_ITEM_ID = re.compile(r"^[a-z0-9]+$")
_NUMBER = re.compile(r"^[0-9]+$")
_YEAR = re.compile(r"^[0-9]{4}$")
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(https?://(dx\.)?doi\.org/|doi:)", re.IGNORECASE)
_ORCID = re.compile(r"^[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]$")
_ORCID_PREFIX = re.compile(r"^https?://orcid\.org/", re.IGNORECASE)
_PERSON_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_XML_SPACE = re.compile(r"[ \t\r\n]+")
_EVENT_YEAR = re.compile(r"-(?P<year>[0-9]{4})$")
_STREAMED = ("collection", "volume", "meta", "frontmatter", "paper", "event")
"""The elements the stream stops at; everything else is read as part of one of them."""
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"{}|\\^`]+$")

JOURNAL_VENUES = frozenset({"cl", "tacl"})
"""Venues whose volumes are journal issues in files that predate ``type="journal"``."""
CATCH_ALL_VENUES = frozenset({"ws"})
"""Venues that group volumes without naming one event (the Anthology's ``ws``)."""
GROUP_WORDS = frozenset({
    "group", "team", "consortium", "committee", "collaboration", "project", "lab", "laboratory",
    "initiative", "organizers", "organisers", "members", "contributors", "participants",
    "association", "society", "institute", "university", "corporation", "inc", "ltd", "network",
    "community", "center", "centre", "department",
})
"""A printed name whose last word is one of these (any case) is a group, not a person."""

_MONTHS = {name: number for number, names in enumerate([
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")], start=1) for name in names}

# ISO 639-2 codes of the Anthology's <language> to the BCP 47 tags the records use.
_LANGUAGES = {"eng": "en", "fra": "fr", "fre": "fr", "deu": "de", "ger": "de", "spa": "es",
              "por": "pt", "ita": "it", "nld": "nl", "dut": "nl", "zho": "zh", "chi": "zh",
              "jpn": "ja", "kor": "ko", "rus": "ru", "ces": "cs", "cze": "cs", "pol": "pl",
              "tur": "tr", "ara": "ar", "ell": "el", "gre": "el", "swe": "sv", "dan": "da",
              "nor": "no", "fin": "fi", "hun": "hu", "ron": "ro", "rum": "ro", "cat": "ca",
              "eus": "eu", "baq": "eu", "heb": "he", "hin": "hi", "vie": "vi", "tha": "th",
              "ind": "id", "ukr": "uk", "bul": "bg", "hrv": "hr", "slv": "sl", "est": "et",
              "lav": "lv", "lit": "lt", "fas": "fa", "per": "fa", "glg": "gl"}


def looks_like(head: str) -> bool:
    """True when the start of a file reads like an ACL Anthology collection.

    >>> looks_like("<?xml version='1.0' encoding='UTF-8'?>\\n<collection id=\\"C65\\">")
    True
    >>> looks_like("<html><body>")
    False
    """
    return _HEAD.match(head) is not None


# ---------------------------------------------------------------------------------------------
# ids, links and values


def is_new_style(collection_id: str) -> bool:
    """``2021.iwcs`` is new-style (from 2020 on); ``C65`` is old-style."""
    return collection_id[:1].isdigit()


def build_id(collection_id: str, volume_id: str, paper_id: str | None = None) -> str:
    """The Anthology id of a volume or paper, as ``acl_anthology.utils.ids.build_id`` makes it.

    >>> build_id("2021.iwcs", "1", "3"), build_id("2023.crac", "main")
    ('2021.iwcs-1.3', '2023.crac-main')
    >>> build_id("C65", "1", "1"), build_id("W18", "63", "10"), build_id("C65", "1")
    ('C65-1001', 'W18-6310', 'C65-1')

    Old-style ids need numeric volume and paper ids (ValueError otherwise).
    """
    if is_new_style(collection_id):
        volume = f"{collection_id}-{volume_id}"
        return volume if paper_id is None else f"{volume}.{paper_id}"
    wide = (collection_id.startswith("W") or collection_id == "C69"
            or (collection_id == "D19" and int(volume_id) >= 5))
    volume = f"{collection_id}-{int(volume_id):{'02d' if wide else 'd'}}"
    if paper_id is None:
        return volume
    return f"{volume}{int(paper_id):02d}" if wide else f"{volume}{int(paper_id):03d}"


def collection_year(collection_id: str) -> int:
    """The year a collection id stands for: ``2021.iwcs`` -> 2021, ``C65`` -> 1965, ``P18`` -> 2018.

    >>> collection_year("C65"), collection_year("P18"), collection_year("2021.iwcs")
    (1965, 2018, 2021)
    """
    if is_new_style(collection_id):
        return int(collection_id[:4])
    digits = int(collection_id[1:3])
    return 1900 + digits if digits >= 60 else 2000 + digits


def anthology_file(name: str, suffix: str = "", folder: str = "") -> str:
    """The URL of a file the Anthology names in its XML; an absolute URL is kept as given."""
    if "://" in name:
        return name
    if suffix and not name.endswith(suffix):
        name += suffix
    return f"{ANTHOLOGY}{folder}{name}"


def orcid_checksum_ok(orcid: str) -> bool:
    """The ISO 7064 MOD 11-2 check digit of a 16-character ORCID.

    >>> orcid_checksum_ok("0000-0002-1825-0097"), orcid_checksum_ok("0000-0002-1825-0098")
    (True, False)
    """
    digits = orcid.replace("-", "")
    total = 0
    for digit in digits[:-1]:
        total = (total + int(digit)) * 2
    check = (12 - total % 11) % 11
    return digits[-1] == ("X" if check == 10 else str(check))


def month_number(text: str) -> int | None:
    """The month a ``<month>`` names (the first, for ``June-July``), or None.

    >>> month_number("June"), month_number("Sept."), month_number("6"), month_number("Summer")
    (6, 9, 6, None)
    """
    for word in re.findall(r"[A-Za-z]+|[0-9]+", text):
        if word.isdigit():
            return int(word) if 1 <= int(word) <= 12 else None
        if word.lower() in _MONTHS:
            return _MONTHS[word.lower()]
    return None


def is_group(name: str) -> bool:
    """The group rule (see the module documentation).

    >>> is_group("The LOLITA Group"), is_group("Susan Windisch Brown"), is_group("BigScience Team")
    (True, False, True)
    """
    words = re.findall(r"\w+", name.lower())
    return bool(words) and (words[0] == "the" or words[-1] in GROUP_WORDS)


def plain_text(element: Element) -> str:
    """The text of a markup element (title, abstract, book title) as clean plain text.

    ``<tex-math>`` keeps its TeX source between ``$`` signs; every other element is unwrapped.
    """
    parts: list[str] = []
    _collect_text(element, parts)
    return unicodedata.normalize("NFC", _XML_SPACE.sub(" ", "".join(parts))).strip()


def _collect_text(element: Element, parts: list[str]) -> None:
    if element.text:
        parts.append(element.text)
    for child in element:
        if isinstance(child.tag, str):  # comments and processing instructions have no text
            if child.tag == "tex-math":
                parts.append(f"${''.join(child.itertext())}$")
            else:
                _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)


def _text(element: Element | None) -> str | None:
    """An element's whole text with white space collapsed, or None when it is absent or empty."""
    if element is None:
        return None
    text = element.text if len(element) == 0 else "".join(element.itertext())
    if not text:
        return None
    if "  " in text or "\n" in text or "\t" in text or "\r" in text:
        text = _XML_SPACE.sub(" ", text)
    return text.strip() or None


class Parts:
    """The child elements of an element by tag: one pass, instead of one search per field."""

    def __init__(self, element: Element) -> None:
        self.by_tag: dict[str, list[Element]] = {}
        for child in element:
            if isinstance(child.tag, str):
                self.by_tag.setdefault(child.tag, []).append(child)

    def one(self, tag: str) -> Element | None:
        found = self.by_tag.get(tag)
        return found[0] if found else None

    def all(self, tag: str) -> list[Element]:
        return self.by_tag.get(tag, [])


# ---------------------------------------------------------------------------------------------
# stage two: elements -> records, collecting every problem


@dataclass
class Problems:
    """The problems found in one record, each a SourceError with its line and field."""

    source: str
    record: str | None
    errors: list[SourceError] = field(default_factory=list)

    def add(self, message: str, element: Element, field_name: str) -> None:
        self.errors.append(SourceError(message, source=self.source, line=element.sourceline,
                                       record=self.record, field=field_name))


@dataclass(frozen=True)
class Collection:
    """What every record of a file shares: the collection id and the year it stands for."""

    id: str
    year: int


def _date(element: Element, attribute: str, problems: Problems, field_name: str,
          *, required: bool = False) -> datetime.date | None:
    value = element.get(attribute)
    if value is None:
        if required:
            problems.add(f"<{element.tag}> needs a {attribute}=\"YYYY-MM-DD\" attribute",
                         element, field_name)
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        problems.add(f"not a date (YYYY-MM-DD): {value!r}", element, field_name)
        return None


def _link(element: Element | None, problems: Problems, field_name: str, *, suffix: str = "",
          folder: str = "", name: str | None = None) -> str | None:
    """The URL of a file an element names (its text, or ``name``), checked to be a usable IRI."""
    if element is None:
        return None
    text = name if name is not None else _text(element)
    if not text:
        problems.add(f"<{element.tag}> names no file", element, field_name)
        return None
    url = anthology_file(text.strip(), suffix, folder)
    if not _IRI.match(url) or not is_iri(url):
        problems.add(f"not a usable file name or URL: {text!r}", element, field_name)
        return None
    return url


def _doi(element: Element | None, problems: Problems) -> str | None:
    text = _text(element)
    if text is None:
        return None
    doi = _DOI_PREFIX.sub("", text)
    if not _DOI.match(doi):
        problems.add(f"not a DOI: {text!r}", element, "doi")
        return None
    return doi


def _orcid(person: Element, child: Element | None, problems: Problems, role: str) -> str | None:
    text = person.get("orcid") or _text(child)
    if not text:
        return None
    orcid = _ORCID_PREFIX.sub("", text.strip()).upper()
    if not _ORCID.match(orcid) or not orcid_checksum_ok(orcid):
        problems.add(f"not a valid ORCID (pattern or check digit): {text!r}",
                     child if child is not None else person, f"{role}.orcid")
        return None
    return orcid


def to_contributor(person: Element, problems: Problems) -> Contributor | None:
    """An ``<author>`` or ``<editor>`` as a Contributor; None (and a problem) without <last>."""
    role = str(person.tag)
    parts = Parts(person)
    first = _text(parts.one("first"))
    last = _text(parts.one("last"))
    if last is None:
        problems.add(f"<{role}> without a <last> name", person, role)
        return None
    given = clean_name(first) if first else None
    family = clean_name(last)
    name = f"{given} {family}" if given else family
    acl_id = person.get("id")
    if acl_id is not None and not _PERSON_ID.match(acl_id):
        problems.add(f"not an ACL person id: {acl_id!r}", person, f"{role}.id")
        acl_id = None
    orcid = _orcid(person, parts.one("orcid"), problems, role)
    printed = _text(parts.one("affiliation"))
    affiliation = clean_name(printed) if printed else None
    if is_group(name):
        return Contributor(name=name, acl_id=acl_id, orcid=orcid, affiliation=affiliation,
                           is_organization=True)
    return Contributor(name=name, given=given, family=family, acl_id=acl_id, orcid=orcid,
                       affiliation=affiliation)


def _contributors(parent: Parts, role: str, problems: Problems) -> tuple[Contributor, ...]:
    people = (to_contributor(person, problems) for person in parent.all(role))
    return tuple(person for person in people if person is not None)


def _venue(key: str) -> Venue:
    return venue_by_key(key) or Venue(key=key, name=key.upper(), acronym=key.upper())


def _venues(meta: Parts, collection: Collection, title: str) -> tuple[Venue, ...]:
    keys = [key for key in (_text(v) for v in meta.all("venue")) if key]
    if keys:
        return tuple(_venue(key.lower()) for key in dict.fromkeys(keys))
    match = _COLLECTION_ID.match(collection.id)
    if match and match["venue"]:
        return (_venue(match["venue"]),)
    named = venue_for(title)
    return (named,) if named else ()


def implicit_event(venues: tuple[Venue, ...], year: int | None,
                   location: str | None) -> Event | None:
    """The event ``{venue}-{year}`` of the first venue that names one (see the module docs)."""
    venue = next((v for v in venues if v.key not in CATCH_ALL_VENUES), None)
    if venue is None or year is None:
        return None
    return Event(key=f"{venue.key}-{year}", name=f"{venue.acronym or venue.name} {year}",
                 year=year, location=location, series=venue)


def _is_journal(volume: Element, collection: Collection, venues: tuple[Venue, ...]) -> bool:
    kind = volume.get("type")
    if kind is not None:
        return str(kind) == "journal"
    if is_new_style(collection.id):
        return any(venue.key in JOURNAL_VENUES for venue in venues)
    return collection.id[0] in "JQ"


def to_volume(meta: Element, collection: Collection, source: str) -> Volume | list[SourceError]:
    """A volume's ``<meta>`` (its parent ``<volume>`` gives the id and type) as a Volume."""
    volume = meta.getparent()
    volume_id = volume.get("id") or ""
    problems = Problems(source, f"{collection.id} volume {volume_id or '?'}")
    if not _ITEM_ID.match(volume_id) or (
            not is_new_style(collection.id) and not _NUMBER.match(volume_id)):
        problems.add(f"not a volume id: {volume_id!r}", volume, "volume.id")
        return problems.errors
    parts = Parts(meta)
    booktitle = parts.one("booktitle")
    title = plain_text(booktitle) if booktitle is not None else ""
    if not title:
        problems.add("a volume needs a <booktitle>", meta if booktitle is None else booktitle,
                     "booktitle")
    year = collection.year
    if (year_element := parts.one("year")) is not None:
        year_text = _text(year_element) or ""
        if _YEAR.match(year_text):
            year = int(year_text)
        else:
            problems.add(f"not a year: {year_text!r}", year_element, "year")
    month = None
    if (month_element := parts.one("month")) is not None:
        month = month_number(_text(month_element) or "")
    editors = _contributors(parts, "editor", problems)
    doi = _doi(parts.one("doi"), problems)
    pdf = _link(parts.one("url"), problems, "url", suffix=".pdf")
    if problems.errors:
        return problems.errors
    acl_id = build_id(collection.id, volume_id)
    venues = _venues(parts, collection, title)
    address = _text(parts.one("address"))
    short_title = parts.one("shortbooktitle")
    return Volume(
        title=title,
        year=year,
        kind=(VolumeKind.JOURNAL_ISSUE if _is_journal(volume, collection, venues)
              else VolumeKind.PROCEEDINGS),
        acl_id=acl_id,
        venues=venues,
        event=implicit_event(venues, year, address),
        editors=editors,
        publisher=_text(parts.one("publisher")),
        address=address,
        month=month,
        isbn=_text(parts.one("isbn")),
        doi=doi,
        url=f"{ANTHOLOGY}volumes/{acl_id}/",
        short_title=(plain_text(short_title) or None) if short_title is not None else None,
        pdf=pdf,
    )


def with_frontmatter(volume: Volume, frontmatter: Element,
                     source: str) -> Volume | list[SourceError]:
    """The volume with its front matter's key and PDF (the front matter is the volume's record)."""
    problems = Problems(source, f"{volume.acl_id} front matter")
    parts = Parts(frontmatter)
    pdf = _link(parts.one("url"), problems, "frontmatter.url", suffix=".pdf")
    if problems.errors:
        return problems.errors
    return replace(volume, bibkey=_text(parts.one("bibkey")), frontmatter_pdf=pdf)


def _files(paper: Parts, tag: str,
           read: Callable[[Element, int], LinkedFile | None]) -> tuple[LinkedFile, ...]:
    found = (read(element, number) for number, element in
             enumerate(paper.all(tag), start=1))
    return tuple(item for item in found if item is not None)


def _numbered(element: Element, default: int, problems: Problems, field_name: str) -> int | None:
    number = element.get("id")
    if number is None:
        return default
    if not _NUMBER.match(number.strip()) or int(number) < 1:
        problems.add(f"not a positive number: id={number!r}", element, field_name)
        return None
    return int(number)


def _attachment(problems: Problems) -> Callable[[Element, int], LinkedFile | None]:
    def read(element: Element, number: int) -> LinkedFile | None:
        url = _link(element, problems, "attachment", folder="attachments/")
        if url is None:
            return None
        label = element.get("type")
        if not label:  # "2021.iwcs-1.10.Software.zip" names its type
            parts = url.rsplit("/", 1)[-1].split(".")
            label = parts[-2] if len(parts) >= 3 and parts[-2].isalpha() else None
        return LinkedFile(number=number, url=url, label=label)
    return read


def _revision(problems: Problems) -> Callable[[Element, int], LinkedFile | None]:
    def read(element: Element, number: int) -> LinkedFile | None:
        found = _numbered(element, number, problems, "revision")
        published = _date(element, "date", problems, "revision.date")
        url = _link(element, problems, "revision.href", suffix=".pdf",
                    name=element.get("href") or "")
        if url is None or found is None:
            return None
        return LinkedFile(number=found, url=url, published=published, note=_text(element))
    return read


def _erratum(problems: Problems) -> Callable[[Element, int], LinkedFile | None]:
    def read(element: Element, number: int) -> LinkedFile | None:
        found = _numbered(element, number, problems, "erratum")
        published = _date(element, "date", problems, "erratum.date")
        url = _link(element, problems, "erratum", suffix=".pdf")
        if url is None or found is None:
            return None
        return LinkedFile(number=found, url=url, published=published)
    return read


def _retraction(paper: Parts, problems: Problems) -> Retraction | None:
    for tag in ("retracted", "removed"):
        element = paper.one(tag)
        if element is not None:
            when = _date(element, "date", problems, f"{tag}.date", required=True)
            if when is None:
                return None
            return Retraction(date=when, note=_text(element), removed=tag == "removed")
    return None


def _videos(paper: Parts, problems: Problems) -> tuple[str, ...]:
    found = (_link(video, problems, "video.href", name=video.get("href") or "")
             for video in paper.all("video") if video.get("permission") != "false")
    return tuple(url for url in found if url is not None)


def _language(paper: Parts, problems: Problems) -> str:
    element = paper.one("language")
    text = (_text(element) or "en").lower() if element is not None else "en"
    tag = _LANGUAGES.get(text, text)
    if not _LANGUAGE.match(tag):
        problems.add(f"not a language code: {text!r}", element, "language")
        return "en"
    return tag


def _paper_kind(paper: Element, volume: Volume) -> PaperKind:
    if paper.get("type") == "backmatter":
        return PaperKind.MISC
    if volume.kind is VolumeKind.JOURNAL_ISSUE:
        return PaperKind.JOURNAL_ARTICLE
    return PaperKind.CONFERENCE_PAPER


def to_paper(paper: Element, volume: Volume, collection: Collection, volume_id: str,
             source: str) -> Paper | list[SourceError]:
    """A ``<paper>`` of ``volume`` as a Paper, or every problem found in it."""
    paper_id = (paper.get("id") or "").strip()
    parts = Parts(paper)
    problems = Problems(source, f"{volume.acl_id} paper {paper_id or '?'}")
    if not _NUMBER.match(paper_id):
        problems.add(f"not a paper id (a number): {paper_id!r}", paper, "paper.id")
        return problems.errors
    acl_id = build_id(collection.id, volume_id, paper_id)
    problems.record = acl_id
    title_element = parts.one("title")
    title = plain_text(title_element) if title_element is not None else ""
    if not title:
        problems.add("a paper needs a <title>", paper if title_element is None else title_element,
                     "title")
    abstract_element = parts.one("abstract")
    authors = _contributors(parts, "author", problems)
    doi = _doi(parts.one("doi"), problems)
    attachments = _files(parts, "attachment", _attachment(problems))
    revisions = _files(parts, "revision", _revision(problems))
    errata = _files(parts, "erratum", _erratum(problems))
    retraction = _retraction(parts, problems)
    language = _language(parts, problems)
    videos = _videos(parts, problems)
    pdf = _link(parts.one("url"), problems, "url", suffix=".pdf")
    if problems.errors:
        return problems.errors
    return Paper(
        title=title,
        location=Location(source, paper.sourceline),
        kind=_paper_kind(paper, volume),
        authors=authors,
        date=PublicationDate(volume.year, volume.month) if volume.year is not None else None,
        volume=volume,
        abstract=(plain_text(abstract_element) or None) if abstract_element is not None else None,
        language=language,
        acl_id=acl_id,
        doi=doi,
        bibkey=_text(parts.one("bibkey")),
        pages=_text(parts.one("pages")),
        pdf=pdf,
        url=f"{ANTHOLOGY}{acl_id}/",
        awards=tuple(award for award in (_text(a) for a in parts.all("award")) if award),
        attachments=attachments,
        videos=videos,
        revisions=revisions,
        errata=errata,
        retraction=retraction,
    )


def to_event(element: Element, collection: Collection, source: str) -> Event | SourceError:
    """A collection's explicit ``<event id="crac-2023">`` as an Event."""
    key = (element.get("id") or "").strip()
    if not _PERSON_ID.match(key):
        return SourceError(f"not an event id: {key!r}", source=source, line=element.sourceline,
                           record=collection.id, field="event.id")
    year_match = _EVENT_YEAR.search(key)
    year = int(year_match["year"]) if year_match else collection.year
    series_key = key[: year_match.start()] if year_match else key
    title = element.find("meta/title")
    name = plain_text(title) if title is not None else ""
    series = _venue(series_key)
    return Event(key=key, name=name or f"{series.acronym or series.name} {year}", year=year,
                 location=_text(element.find("meta/location")), series=series)


# ---------------------------------------------------------------------------------------------
# stage one: streaming the file


@dataclass
class _Reader:
    """The state of one file while it streams: the collection, the current volume, the results."""

    source: str
    path: Path
    collection: Collection | None = None
    volume: Volume | None = None
    volume_id: str = ""
    volume_ids: set[str] = field(default_factory=set)
    paper_ids: set[str] = field(default_factory=set)
    event: Event | None = None
    items: list[Paper | SourceError] = field(default_factory=list)
    started: bool = False

    def error(self, message: str, line: int | None, field_name: str,
              record: str | None = None) -> SourceError:
        return SourceError(message, source=self.source, line=line, record=record,
                           field=field_name)

    def not_a_collection(self, root: Element) -> SourceError:
        return self.error(f"expected a <collection> root element, found <{root.tag}>",
                          root.sourceline, "collection")

    def start(self, element: Element) -> SourceError | None:
        """Check the root element and the prolog; a returned error ends the file."""
        if self.started:
            if element.tag == "volume":
                self.volume, self.volume_id = None, element.get("id") or ""
            return None
        self.started = True
        docinfo = element.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            return self.error("a DOCTYPE declaration (DTD or entities) is not accepted in ACL "
                              "Anthology XML; entities are never expanded",
                              _doctype_line(self.path) or element.sourceline, "doctype")
        if element.tag != "collection" or element.getparent() is not None:
            return self.not_a_collection(element.getroottree().getroot())
        collection_id = (element.get("id") or "").strip()
        if not _COLLECTION_ID.match(collection_id):
            return self.error(f"not an ACL collection id (2021.iwcs, C65): {collection_id!r}",
                              element.sourceline, "collection.id")
        self.collection = Collection(collection_id, collection_year(collection_id))
        return None

    def end(self, element: Element) -> None:
        collection = self.collection
        assert collection is not None
        tag = element.tag
        if tag == "meta" and element.getparent().tag == "volume":
            self._meta(element, collection)
        elif tag == "frontmatter" and self.volume is not None:
            volume = with_frontmatter(self.volume, element, self.source)
            if isinstance(volume, list):
                self.items.extend(volume)
            else:
                self.volume = volume
        elif tag == "paper" and element.getparent().tag == "volume":
            self._paper(element, collection)
        elif tag == "event" and element.getparent().tag == "collection":
            event = to_event(element, collection, self.source)
            if isinstance(event, SourceError):
                self.items.append(event)
            else:
                self.event = event
        elif tag != "volume":
            return  # keep the parts of a record until the record's own end
        _release(element)

    def _meta(self, element: Element, collection: Collection) -> None:
        volume = to_volume(element, collection, self.source)
        if isinstance(volume, list):
            self.items.extend(volume)
            return
        if self.volume_id in self.volume_ids:
            self.items.append(self.error(f"volume {self.volume_id!r} appears twice",
                                         element.getparent().sourceline, "volume.id",
                                         volume.acl_id))
            return
        self.volume_ids.add(self.volume_id)
        self.volume = volume

    def _paper(self, element: Element, collection: Collection) -> None:
        if self.volume is None:
            return  # its volume's <meta> was reported broken
        paper = to_paper(element, self.volume, collection, self.volume_id, self.source)
        if isinstance(paper, list):
            self.items.extend(paper)
            return
        assert paper.acl_id is not None
        if paper.acl_id in self.paper_ids:
            self.items.append(self.error(f"paper {paper.acl_id} appears twice",
                                         element.sourceline, "paper.id", paper.acl_id))
            return
        self.paper_ids.add(paper.acl_id)
        self.items.append(paper)

    def results(self) -> Iterator[Paper | SourceError]:
        """The records and errors in file order, each volume presented at the explicit event."""
        patched: dict[str, Volume] = {}
        for item in self.items:
            if isinstance(item, Paper) and self.event is not None and item.volume is not None:
                volume = item.volume
                key = volume.acl_id or volume.title
                if key not in patched:
                    location = self.event.location or volume.address
                    patched[key] = replace(volume, event=replace(self.event, location=location))
                item = replace(item, volume=patched[key])
            yield item


def _release(element: Element) -> None:
    """Free a finished element and the siblings before it (they have been read)."""
    element.clear(keep_tail=True)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _doctype_line(path: Path) -> int | None:
    """The line of the ``<!DOCTYPE`` (it precedes the root element, so the head holds it),
    in any of the encodings XML parsers detect from the first bytes."""
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    for codec in ("utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"):
        at = head.find("<!DOCTYPE".encode(codec))
        if at >= 0:
            return head.count("\n".encode(codec), 0, at) + 1
    return None


def read(path: Path, source: str) -> Iterator[Paper | SourceError]:
    """Yield every paper of an ACL Anthology XML file, and a SourceError for each broken one.

    A file that is not well-formed XML yields the papers read before the fault, then one
    SourceError with the line lxml reports.
    """
    reader = _Reader(source=source, path=path)
    try:
        with path.open("rb") as handle:
            events = etree.iterparse(
                handle, events=("start", "end"), tag=_STREAMED, resolve_entities=False,
                no_network=True, load_dtd=False, huge_tree=False, remove_comments=True,
                remove_pis=True)
            for action, element in events:
                if action == "start":
                    fatal = reader.start(element)
                    if fatal is not None:
                        yield fatal
                        return
                else:
                    reader.end(element)
    except etree.XMLSyntaxError as error:
        yield from reader.results()
        yield SourceError(f"not well-formed XML: {error.msg}", source=source,
                          line=error.lineno or 1, field="xml")  # 0: an empty file
        return
    except OSError as error:
        yield SourceError(f"cannot read: {error.strerror or error}", source=source)
        return
    if not reader.started:  # no element of interest at all
        yield reader.not_a_collection(events.root)
        return
    yield from reader.results()
