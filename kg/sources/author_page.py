"""ACL Anthology author pages saved as text (``--format author-page``).

The layout, as the Anthology prints it::

    Zhenguo Li  <- the page owner

    2025  <- a year header

    pdf bib  <- starts a record (other link words may follow: "abs")
    Title of the paper
    Author One | Author Two  <- authors, in order, separated by " | "
    Proceedings of ...  <- the volume (proceedings) title

    The abstract, one paragraph  <- optional; **emphasis** is unmarked, URLs kept
    per line.

Parsing is in two stages: :func:`raw_records` splits lines into raw blocks (lenient), then
:func:`to_paper` checks each block into a :class:`~kg.records.Paper`, so that every broken
record of a file is reported, each with its line, not only the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import SourceError
from kg.names import clean_name
from kg.records import Contributor, Location, Paper, PublicationDate, Volume
from kg.sources.text import decode_utf8, split_lines
from kg.venues import event_for, venue_for

FORMAT = "author-page"
_YEAR = re.compile(r"^(1[89]\d\d|2\d\d\d)$")
_MARKER = re.compile(r"^pdf(\s+(bib|abs|video|poster|slides|software|data|code))*$")
_VENUE_STARTS = ("Proceedings of", "Findings of", "Transactions of", "Journal of")
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
MAX_LINE_CHARS = 1 << 20
"""The longest line read (1 Mi characters); an abstract is a few thousand."""


@dataclass
class RawRecord:
    """The lines of one record as found, before any check; ``line`` is the marker's line."""

    line: int
    year: int | None
    head: list[tuple[int, str]] = field(default_factory=list)
    abstract: list[tuple[int, str]] = field(default_factory=list)


def looks_like(head: str) -> bool:
    """True when the start of a file reads like an author page."""
    return any(_MARKER.match(line.strip()) for line in head.splitlines()[:40])


def raw_records(lines: list[str], source: str) -> Iterator[RawRecord | SourceError]:
    """Split an author page into raw records (stage one: lenient, positions kept)."""
    year: int | None = None
    current: RawRecord | None = None
    in_abstract = False
    seen_owner = False
    for number, text in enumerate(lines, start=1):
        if len(text) > MAX_LINE_CHARS:
            yield SourceError(f"a line of {len(text)} characters, longer than any line of an "
                              "author page: is this an author page?", source=source,
                              line=number, field="line")
            continue
        stripped = text.strip()
        if not stripped:
            if current is not None and current.head:
                in_abstract = True
            continue
        if _MARKER.match(stripped):
            if current is not None:
                yield current
            current, in_abstract = RawRecord(line=number, year=year), False
            continue
        if _YEAR.match(stripped):
            if current is not None:
                yield current
            current, in_abstract, year = None, False, int(stripped)
            continue
        if current is None:
            if not seen_owner and year is None:
                seen_owner = True  # the page owner's name
                continue
            yield SourceError("text outside any record (expected 'pdf bib' or a year header)",
                              source=source, line=number, field="marker")
            continue
        if in_abstract:
            current.abstract.append((number, stripped))
        else:
            current.head.append((number, stripped))
    if current is not None:
        yield current


def _authors(text: str) -> tuple[Contributor, ...]:
    return tuple(Contributor(name=clean_name(name)) for name in text.split(" | ") if name.strip())


def clean_abstract(paragraphs: list[str]) -> str:
    """Abstract text with the page's ``**emphasis**`` markup removed; URLs are left as text."""
    return "\n\n".join(_EMPHASIS.sub(r"\1", paragraph) for paragraph in paragraphs)


def _is_author_list(text: str) -> bool:
    return " | " in text


def _is_venue(text: str) -> bool:
    return venue_for(text) is not None or text.startswith(_VENUE_STARTS)


def _missing_field(raw: RawRecord) -> tuple[str, int]:
    """Which of title, authors, venue a short record lacks, and the line where it belongs."""
    head = raw.head
    if not head:
        return "title", raw.line + 1
    first_line, first = head[0]
    if _is_author_list(first):
        return "title", first_line
    if len(head) == 1:
        return "authors", first_line + 1
    second_line, second = head[1]
    if not _is_author_list(second) and _is_venue(second):
        return "authors", second_line
    return "venue", second_line + 1


def to_paper(raw: RawRecord, source: str) -> Paper:
    """Check one raw record into a Paper (stage two); raise SourceError naming line and field."""
    if raw.year is None:
        raise SourceError("record before any year header", source=source, line=raw.line,
                          field="year")
    head = raw.head
    if len(head) < 3:
        field, line = _missing_field(raw)
        raise SourceError(
            f"expected title, authors and venue lines after 'pdf bib', found {len(head)} "
            f"line(s); the {field} is missing", source=source, line=line, field=field)
    if len(head) > 3:
        line, _ = head[3]
        raise SourceError("unexpected line after the venue; an abstract must follow a blank line",
                          source=source, line=line, field="abstract")
    (title_line, title), (authors_line, authors_text), (_, venue) = head
    if " | " in title and " | " not in authors_text:
        raise SourceError("the title line holds an author list; the title is missing",
                          source=source, line=title_line, field="title")
    authors = _authors(authors_text)
    if not authors:
        raise SourceError("no authors", source=source, line=authors_line, field="authors")
    volume = Volume(title=venue, year=raw.year, venues=tuple(v for v in [venue_for(venue)] if v),
                    event=event_for(venue, raw.year))
    abstract = clean_abstract([text for _, text in raw.abstract]) if raw.abstract else None
    return Paper(
        title=clean_name(title),
        location=Location(source, raw.line),
        authors=authors,
        date=PublicationDate(raw.year),
        volume=volume,
        abstract=abstract,
    )


def read(path: Path, source: str) -> Iterator[Paper | SourceError]:
    """Yield every record of an author page, and a SourceError for each broken one."""
    try:
        text = decode_utf8(path.read_bytes(), source)
    except SourceError as error:
        yield error
        return
    lines = split_lines(text)
    for raw in raw_records(lines, source):
        if isinstance(raw, SourceError):
            yield raw
            continue
        try:
            yield to_paper(raw, source)
        except SourceError as error:
            if error.line is not None and error.line > len(lines):
                error.line = len(lines)  # a line missing at the end: name the file's last line
            yield error
