"""BibTeX files (``--format bibtex``): every entry a record, every broken entry one error.

Parsing is in two stages, like the other importers.

Stage one (:func:`raw_entries`, lenient) splits the file into blocks with bibtexparser v2, whose
blocks keep their line, and evaluates every field value as BibTeX does: ``@string`` macros
(case-insensitive, defined before use; ``jan`` ... ``dec`` are predefined), ``#``
concatenation, numbers, ``{...}`` and ``"..."`` delimiters. bibtexparser's own middlewares
resolve a value only when it is a single macro name, so the evaluation is done here, on the
raw values bibtexparser returns. Blocks bibtexparser cannot parse, values that do not evaluate
(an unterminated string, a missing comma between fields, an undefined macro) and duplicate
fields become :class:`~kg.errors.SourceError` values at their line. ``@comment``,
``@preamble`` and text between entries are read past.

Stage two (:func:`to_paper`) checks one evaluated entry into a :class:`~kg.records.Paper`:
``crossref`` inheritance (from an entry anywhere in the same file), LaTeX to Unicode
(:mod:`kg.sources.latex`), names split by bibtexparser ("Last, First", "First Last",
"Last, Jr, First", particles), ``{{Corporate Names}}`` as organisations, ``and others`` as an
incomplete author list. All the problems of one entry are reported together, in one error.

Fields read: title, author, editor, year, month, date, booktitle, journal (journaltitle),
volume, number (issue), pages, publisher, address (location), school, institution,
organization, edition, isbn, issn, doi, url, eprint (arXiv), howpublished, note, abstract,
language (langid), type (of ``@thesis``), crossref. Other fields are ignored.

Entry types and the record kinds they become (``_KINDS``): an unknown type is ``misc``.
A block longer than ``MAX_BLOCK_CHARS`` (up to the next ``@type{``) is reported without being
parsed: a file of one unterminated brace fails at once instead of being scanned mark by mark.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from bibtexparser import model
from bibtexparser.entrypoint import parse_string
from bibtexparser.middlewares.names import (
    InvalidNameError,
    parse_single_name_into_parts,
    split_multiple_persons_names,
)

from kg.errors import SourceError
from kg.records import (
    Contributor,
    Journal,
    Location,
    Paper,
    PaperKind,
    PublicationDate,
    Volume,
    VolumeKind,
)
from kg.sources.latex import LatexError, clean_url, latex_to_paragraphs, latex_to_text
from kg.sources.text import decode_utf8, is_iri
from kg.venues import event_for, venue_for

FORMAT = "bibtex"
MAX_BLOCK_CHARS = 1 << 20
"""The longest block (1 MiB) parsed; a longer one is an unclosed brace or quote."""

_KINDS: dict[str, PaperKind] = {
    "article": PaperKind.JOURNAL_ARTICLE,
    "inproceedings": PaperKind.CONFERENCE_PAPER,
    "conference": PaperKind.CONFERENCE_PAPER,
    "book": PaperKind.BOOK,
    "mvbook": PaperKind.BOOK,
    "collection": PaperKind.BOOK,
    "mvcollection": PaperKind.BOOK,
    "incollection": PaperKind.CHAPTER,
    "inbook": PaperKind.CHAPTER,
    "bookinbook": PaperKind.CHAPTER,
    "suppbook": PaperKind.CHAPTER,
    "phdthesis": PaperKind.PHD_THESIS,
    "mastersthesis": PaperKind.MASTERS_THESIS,
    "techreport": PaperKind.REPORT,
    "report": PaperKind.REPORT,
    "manual": PaperKind.MANUAL,
    "misc": PaperKind.MISC,
    "online": PaperKind.WEBPAGE,
    "electronic": PaperKind.WEBPAGE,
    "www": PaperKind.WEBPAGE,
    "webpage": PaperKind.WEBPAGE,
}

# Who published a record without a container, by kind: the first field present wins.
_PUBLISHER_FIELDS: dict[PaperKind, tuple[str, ...]] = {
    PaperKind.PHD_THESIS: ("school", "institution", "publisher"),
    PaperKind.MASTERS_THESIS: ("school", "institution", "publisher"),
    PaperKind.REPORT: ("institution", "publisher", "organization"),
    PaperKind.MANUAL: ("organization", "publisher", "institution"),
}
_DEFAULT_PUBLISHER_FIELDS = ("publisher", "organization", "institution", "school")

# Fields a crossref child does not take from its parent: they describe the parent itself.
_NOT_INHERITED = frozenset({"title", "shorttitle", "crossref", "doi", "url", "pages", "abstract",
                            "eprint", "note", "ids", "key"})

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
_MONTH_MACROS = {name[:3]: name.capitalize() for name in _MONTHS}
_MONTH_WORD = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)

# babel / polyglossia language names (BibTeX ``language``, biblatex ``langid``) -> BCP 47.
_LANGUAGES = {
    "english": "en", "american": "en-US", "usenglish": "en-US", "british": "en-GB",
    "ukenglish": "en-GB", "australian": "en-AU", "canadian": "en-CA", "german": "de",
    "ngerman": "de", "austrian": "de-AT", "naustrian": "de-AT", "swissgerman": "de-CH",
    "nswissgerman": "de-CH", "french": "fr", "francais": "fr", "spanish": "es",
    "italian": "it", "portuguese": "pt", "portuges": "pt", "brazilian": "pt-BR",
    "brazil": "pt-BR", "dutch": "nl", "swedish": "sv", "danish": "da", "norwegian": "no",
    "norsk": "nb", "nynorsk": "nn", "finnish": "fi", "icelandic": "is", "polish": "pl",
    "czech": "cs", "slovak": "sk", "slovene": "sl", "slovenian": "sl", "croatian": "hr",
    "serbian": "sr", "bulgarian": "bg", "russian": "ru", "ukrainian": "uk", "greek": "el",
    "turkish": "tr", "hungarian": "hu", "magyar": "hu", "romanian": "ro", "estonian": "et",
    "latvian": "lv", "lithuanian": "lt", "catalan": "ca", "basque": "eu", "galician": "gl",
    "irish": "ga", "welsh": "cy", "latin": "la", "hebrew": "he", "arabic": "ar",
    "persian": "fa", "farsi": "fa", "hindi": "hi", "bengali": "bn", "chinese": "zh",
    "japanese": "ja", "korean": "ko", "vietnamese": "vi", "thai": "th", "indonesian": "id",
    "malay": "ms", "esperanto": "eo", "afrikaans": "af",
}
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$", re.IGNORECASE)
_UNDETERMINED = "und"

# A block start as bibtexparser recognises one (``@type{`` or ``@type(``) ...
_BLOCK_START = re.compile(r"@\w*[ \t]*[{(]")
# ... which it does not when a line break comes before the brace (BibTeX allows any white
# space there): the break is moved after the brace, which keeps every line number.
_BRACE_ON_NEXT_LINE = re.compile(r"@(\w+)([ \t]*\n\s*)([{(])")
_KEY_OF_BLOCK = re.compile(r"@\w+\s*[{(]\s*([^\s,{}()=\"#%]+)(?=\s*,|[ \t]*\r?\n(?!\s*=))")
_STRING_OF_BLOCK = re.compile(r"@string\s*[{(]\s*([^\s,{}()=\"#%]+)\s*=", re.IGNORECASE)
_FAILED_BLOCK_TOKENS = re.compile(r'\\.|[{}"]|,\s*([A-Za-z][\w:.+-]*)\s*=')
_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
_MACRO_NAME = re.compile(r"[^\s\"#%'(),={}]+")
_NUMBER = re.compile(r"[0-9]+")

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_DOI = re.compile(r"^10\.[0-9]{4,9}/\S+$")
_URL = re.compile(r"^(?:https?|ftp)://[^\s<>\"{}|\\^`]+$", re.IGNORECASE)
_ISBN = re.compile(r"^(?:[0-9]-?){9}[0-9X]$|^(?:[0-9]-?){12}[0-9]$")
_ISSN = re.compile(r"^([0-9]{4})-?([0-9]{3}[0-9X])$")
_PAGE_RANGE = re.compile(r"^(\w+)\s*(?:-+|–|—)\s*(\w+)$")
_YEAR = re.compile(r"^[0-9]{1,4}$")
_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?(?:/.*)?$")
_ARXIV_PREFIXES = ("arxiv",)
_BIBTEXPARSER_LOGGERS = ("bibtexparser.splitter", "bibtexparser.library",
                         "bibtexparser.entrypoint", "bibtexparser.middlewares")


def looks_like(head: str) -> bool:
    """True when the start of a file has a BibTeX entry, ``@string`` or ``@comment`` block."""
    return re.search(r"(?m)^[ \t]*@[A-Za-z]+[ \t]*[{(]", head) is not None


# Stage one: blocks, macros and raw fields, with their lines.

@dataclass(frozen=True)
class RawField:
    """A field of an entry: its name in lower case, its evaluated TeX value, its line."""

    name: str
    value: str
    line: int


@dataclass
class RawEntry:
    """An entry with every value evaluated (macros expanded, delimiters removed), still TeX."""

    line: int
    entry_type: str
    key: str
    fields: dict[str, RawField] = field(default_factory=dict)


class _ValueError(Exception):
    """A field value that does not evaluate; the message says why."""


@contextmanager
def _quiet_bibtexparser() -> Iterator[None]:
    """bibtexparser logs a warning per broken block; they are reported as errors instead."""
    loggers = [logging.getLogger(name) for name in ("bibtexparser", *_BIBTEXPARSER_LOGGERS)]
    were_disabled = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was_disabled in zip(loggers, were_disabled, strict=True):
            logger.disabled = was_disabled


def _oversized(text: str, start: int, line: int, source: str) -> SourceError:
    head = _KEY_OF_BLOCK.match(text, start, min(len(text), start + 1000))
    return SourceError(
        f"block runs on for more than {MAX_BLOCK_CHARS // (1 << 20)} MiB without another "
        "'@type{' after it: is a brace or quote left open?", source=source, line=line,
        record=head.group(1) if head else None)


def blocks(text: str, source: str) -> Iterator[tuple[int, model.Block] | SourceError]:
    """bibtexparser's blocks of ``text`` with their 1-based lines, in file order.

    The text is parsed in runs between oversized blocks, which are reported and skipped.
    """
    text = _BRACE_ON_NEXT_LINE.sub(r"@\1\3\2", text)
    starts = [match.start() for match in _BLOCK_START.finditer(text)]
    run_start = starts[0] if starts else len(text)
    counted, lines_before = 0, 0  # lines before offset ``counted``
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(text)
        if end - start <= MAX_BLOCK_CHARS:
            continue
        lines_before += text.count("\n", counted, run_start)
        counted = run_start
        yield from _parse_run(text[run_start:start], lines_before)
        lines_before += text.count("\n", counted, start)
        counted = start
        yield _oversized(text, start, lines_before + 1, source)
        run_start = end
    lines_before += text.count("\n", counted, run_start)
    yield from _parse_run(text[run_start:], lines_before)


def _parse_run(text: str, lines_before: int) -> Iterator[tuple[int, model.Block]]:
    if not text:
        return
    with _quiet_bibtexparser():
        library = parse_string(text, parse_stack=[])
    for block in library.blocks:
        yield lines_before + (block.start_line or 0) + 1, block


def _closing_brace(text: str, start: int) -> int:
    """The index of the brace closing the one at ``start`` (braces escaped by ``\\`` aside)."""
    depth = 0
    for match in _UNESCAPED_BRACE.finditer(text, start):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    raise _ValueError("a '{' is never closed")


def _closing_quote(text: str, start: int) -> int:
    """The index of the ``"`` closing the one at ``start``; quotes inside braces do not count."""
    depth = 0
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise _ValueError('a "..." string has a "}" that closes nothing')
        elif char == '"' and depth == 0:
            return index
        index += 1
    raise _ValueError('a "..." string is never closed' if depth == 0
                      else 'a "..." string has a "{" that is never closed')


def evaluate(expression: str, macros: dict[str, str]) -> str:
    """The value of a BibTeX field expression, e.g. ``"Proc. " # acl # {, 2024}``.

    ``macros`` maps lower-case macro names to their values. Raises ``_ValueError``.
    """
    parts: list[str] = []
    index, size = 0, len(expression)
    expect_part = True
    while True:
        while index < size and expression[index].isspace():
            index += 1
        if index == size:
            if expect_part and parts:
                raise _ValueError("the value ends with '#'")
            return "".join(parts)
        char = expression[index]
        if not expect_part:
            if char != "#":
                previous = expression[:index].strip()[-30:]
                raise _ValueError(f"expected ',' or '#' after {previous!r}: a comma missing?")
            index, expect_part = index + 1, True
            continue
        if char == "{":
            end = _closing_brace(expression, index)
            parts.append(expression[index + 1:end])
            index = end + 1
        elif char == '"':
            end = _closing_quote(expression, index)
            parts.append(expression[index + 1:end])
            index = end + 1
        elif number := _NUMBER.match(expression, index):
            parts.append(number.group())
            index = number.end()
        elif name := _MACRO_NAME.match(expression, index):
            try:
                parts.append(macros[name.group().lower()])
            except KeyError:
                raise _ValueError(f"undefined @string macro {name.group()!r}") from None
            index = name.end()
        else:
            raise _ValueError(f"unexpected {char!r} in the value")
        expect_part = False


def _open_field(raw: str) -> str | None:
    """The field a broken entry was in when it broke: the last one named outside any value."""
    openings = [index for index in (raw.find("{"), raw.find("(")) if index >= 0]
    if not openings:
        return None
    depth, quoted, last = 0, False, None
    for match in _FAILED_BLOCK_TOKENS.finditer(raw, min(openings) + 1):
        token = match.group()
        if match.group(1):
            if depth == 0 and not quoted:
                last = match.group(1).lower()
        elif token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif token == '"' and depth == 0:
            quoted = not quoted
    return last


def _failed_block(block: model.ParsingFailedBlock, line: int, source: str) -> SourceError:
    raw = block.raw or ""
    key = _KEY_OF_BLOCK.match(raw) or _STRING_OF_BLOCK.match(raw)
    reason = str(getattr(block.error, "abort_reason", None) or block.error).strip().rstrip(".")
    kind = raw.split("{", 1)[0].split("(", 1)[0].strip() or "block"
    field_name = "key" if "after entry key" in reason else _open_field(raw)
    return SourceError(f"cannot parse this {kind}: {reason}", source=source, line=line,
                       record=key.group(1) if key else None, field=field_name)


def _string_block(block: model.String, line: int, macros: dict[str, str],
                  source: str) -> SourceError | None:
    """Define the macro of a ``@string`` block (a later definition replaces an earlier one)."""
    try:
        macros[block.key.strip().lower()] = evaluate(str(block.value), macros)
    except _ValueError as error:
        return SourceError(f"@string {block.key.strip()}: {error}", source=source, line=line,
                           record=block.key.strip())
    return None


def _entry(block: model.Entry, line: int, macros: dict[str, str],
           source: str) -> RawEntry | SourceError:
    key = block.key.strip()
    entry = RawEntry(line=line, entry_type=block.entry_type.lower(), key=key)
    problems: list[tuple[str, int, str]] = []
    if not key:
        problems.append(("key", line, "the entry has no key"))
    for raw_field in block.fields:
        name = raw_field.key.strip().lower()
        field_line = line + (raw_field.start_line or 0) - (block.start_line or 0)
        if name in entry.fields:
            problems.append((name, field_line,
                             f"{name} given twice (first at line {entry.fields[name].line})"))
            continue
        try:
            value = evaluate(str(raw_field.value), macros)
        except _ValueError as error:
            problems.append((name, field_line, f"{name}: {error}"))
            continue
        entry.fields[name] = RawField(name, value, field_line)
    if problems:
        return _entry_error(problems, source, key or None)
    return entry


def _entry_error(problems: list[tuple[str, int, str]], source: str,
                 record: str | None) -> SourceError:
    """One error for all the problems of an entry, at the first problem's field and line."""
    field_name, line, _ = problems[0]
    return SourceError("; ".join(message for _, _, message in problems), source=source,
                       line=line, record=record, field=field_name)


def raw_entries(text: str, source: str) -> Iterator[RawEntry | SourceError]:
    """Stage one: every entry of ``text`` evaluated, and an error for every broken block."""
    macros = dict(_MONTH_MACROS)
    for item in blocks(text, source):
        if isinstance(item, SourceError):
            yield item
            continue
        line, block = item
        if isinstance(block, model.DuplicateBlockKeyBlock | model.DuplicateFieldKeyBlock):
            # duplicates are judged here: keys among the entries kept (``read``), fields below
            block = block.ignore_error_block or block
        if isinstance(block, model.ParsingFailedBlock):
            yield _failed_block(block, line, source)
        elif isinstance(block, model.String):
            if error := _string_block(block, line, macros, source):
                yield error
        elif isinstance(block, model.Preamble):
            try:
                evaluate(str(block.value), macros)
            except _ValueError as error:
                yield SourceError(f"@preamble: {error}", source=source, line=line)
        elif isinstance(block, model.Entry):
            yield _entry(block, line, macros, source)


# Stage two: one entry -> one Paper.

class _Reader:
    """Reads the fields of one entry (its own, then inherited) and collects its problems."""

    def __init__(self, entry: RawEntry, parent: RawEntry | None) -> None:
        self.entry = entry
        self.fields = dict(entry.fields)
        self.problems: list[tuple[str, int, str]] = []
        if parent is not None:
            inherited = {name: value for name, value in parent.fields.items()
                         if name not in _NOT_INHERITED}
            if "booktitle" not in parent.fields and "title" in parent.fields:
                inherited["booktitle"] = parent.fields["title"]
            self.fields = {**inherited, **self.fields}

    def problem(self, name: str, message: str) -> None:
        found = self.fields.get(name)
        located = (name, found.line if found else self.entry.line, message)
        if located not in self.problems:  # a field read twice is reported once
            self.problems.append(located)

    def problems_with(self, name: str) -> bool:
        return any(problem[0] == name for problem in self.problems)

    def plain(self, found: RawField, *, paragraphs: bool = False) -> str | None:
        """A field as plain text (None when empty); TeX that cannot be read is a problem."""
        try:
            text = latex_to_paragraphs(found.value) if paragraphs else latex_to_text(found.value)
        except LatexError as error:
            self.problem(found.name, f"{found.name}: {error}")
            return None
        return text or None

    def raw(self, *names: str) -> RawField | None:
        """The first of ``names`` the entry has with a non-blank value."""
        for name in names:
            found = self.fields.get(name)
            if found is not None and found.value.strip():
                return found
        return None

    def text(self, *names: str) -> str | None:
        """The first of ``names`` present, as plain text (None when absent or empty)."""
        found = self.raw(*names)
        if found is None:
            return None
        return self.plain(found)


def _is_group(name: str) -> bool:
    """True when ``name`` is one brace group (``{World Health Organization}``)."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    try:
        return _closing_brace(name, 0) == len(name) - 1
    except _ValueError:
        return False


def _person(name: str) -> Contributor:
    """One name: an organisation when braced as a whole, else a person split into parts."""
    if _is_group(name):
        return Contributor(name=latex_to_text(name[1:-1]), is_organization=True)
    parts = parse_single_name_into_parts(name, strict=True)
    first, von, last, jr = (latex_to_text(" ".join(part))
                            for part in (parts.first, parts.von, parts.last, parts.jr))
    family = " ".join(part for part in (von, last) if part)
    return Contributor(name=" ".join(part for part in (first, family, jr) if part),
                       given=first or None, family=family or None)


def _people(reader: _Reader, name: str) -> tuple[tuple[Contributor, ...], bool]:
    """The people of a name-list field, and False when it ends in ``and others``."""
    found = reader.raw(name)
    if found is None:
        return (), True
    people: list[Contributor] = []
    complete = True
    for text in split_multiple_persons_names(found.value):
        text = text.strip()
        if text.lower() == "others":
            complete = False
            continue
        if text.split(" ", 1)[0] == "and" or not text:
            reader.problem(name, f"{name}: an empty name between two 'and's")
            continue
        try:
            person = _person(text)
        except InvalidNameError as error:
            reader.problem(name, f"{name}: cannot split the name {text!r} ({error.reason})")
            continue
        except LatexError as error:
            reader.problem(name, f"{name}: {error}")
            continue
        if not person.name:
            reader.problem(name, f"{name}: an empty name")
            continue
        people.append(person)
    return tuple(people), complete


def _month(reader: _Reader) -> int | None:
    text = reader.text("month")
    if text is None:
        return None
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    word = _MONTH_WORD.search(text)
    if word:
        return 1 + [name[:3] for name in _MONTHS].index(word.group(1).lower())
    reader.problem("month", f"month: not a month: {text!r}")
    return None


def _date(reader: _Reader) -> PublicationDate | None:
    date_text = reader.text("date")
    if date_text is not None:
        match = _DATE.match(date_text)
        if match is None:
            reader.problem("date", f"date: not a date (YYYY, YYYY-MM or YYYY-MM-DD): {date_text!r}")
            return None
        year, month, day = (int(part) if part else None for part in match.groups())
        try:
            return PublicationDate(year or 0, month, day)
        except ValueError as error:
            reader.problem("date", f"date: {error}")
            return None
    year_text = reader.text("year")
    month = _month(reader)
    if year_text is None:
        return None
    if not _YEAR.match(year_text) or int(year_text) == 0:
        reader.problem("year", f"year: not a year: {year_text!r}")
        return None
    return PublicationDate(int(year_text), month)


def _language(reader: _Reader) -> str:
    """A BCP 47 tag from ``langid`` or ``language``; ``und`` for a language we cannot name."""
    text = reader.text("langid", "language")
    if text is None:
        return "en"
    name = text.strip().lower()
    if name in _LANGUAGES:
        return _LANGUAGES[name]
    if _LANGUAGE_TAG.match(name):
        primary, *rest = name.split("-")
        return "-".join([primary, *(part.upper() if len(part) == 2 else part for part in rest)])
    return _UNDETERMINED


def _doi(reader: _Reader) -> str | None:
    found = reader.raw("doi")
    if found is None:
        return None
    doi = _DOI_PREFIX.sub("", clean_url(found.value))
    if not _DOI.match(doi):
        reader.problem("doi", f"doi: not a DOI (10.prefix/suffix): {doi!r}")
        return None
    return doi


def _url(reader: _Reader, name: str, text: str) -> str | None:
    if not _URL.match(text) or not is_iri(text):
        reader.problem(name, f"{name}: not an http(s) or ftp URL: {text!r}")
        return None
    return text


def _links(reader: _Reader) -> tuple[str | None, str | None]:
    """The record's URL and its note: ``url``, else a URL in ``howpublished``, else an arXiv
    ``eprint``; ``howpublished`` text that is not a URL joins ``note``."""
    url: str | None = None
    found = reader.raw("url")
    if found is not None:
        url = _url(reader, "url", clean_url(found.value))
    notes: list[str] = []
    how = reader.raw("howpublished")
    if how is not None:
        cleaned = clean_url(how.value)
        if _URL.match(cleaned) and ("\\url" in how.value or " " not in how.value.strip()):
            url = url or cleaned
        elif text := reader.plain(how):
            notes.append(text)
    eprint = reader.text("eprint")
    archive = (reader.text("archiveprefix", "eprinttype") or "").lower()
    if url is None and eprint and archive in _ARXIV_PREFIXES:
        url = f"https://arxiv.org/abs/{eprint.removeprefix('arXiv:')}"
        if not is_iri(url):
            reader.problem("eprint", f"eprint: not an arXiv identifier: {eprint!r}")
            url = None
    if note := reader.text("note"):
        notes.append(note)
    return url, "; ".join(notes) or None


def _pages(reader: _Reader) -> str | None:
    text = reader.text("pages")
    if text is None:
        return None
    match = _PAGE_RANGE.match(text)
    return f"{match.group(1)}–{match.group(2)}" if match else text


def _isbn(reader: _Reader) -> str | None:
    text = reader.text("isbn")
    if text is None:
        return None
    isbn = re.sub(r"\s+", "-", re.sub(r"^ISBN(?:-1[03])?:?\s*", "", text, flags=re.IGNORECASE))
    isbn = isbn.replace("x", "X")
    if not _ISBN.match(isbn):
        reader.problem("isbn", f"isbn: not one ISBN-10 or ISBN-13: {text!r}")
        return None
    return isbn


def _issn(reader: _Reader) -> str | None:
    text = reader.text("issn")
    if text is None:
        return None
    match = _ISSN.match(text.strip().upper())
    if match is None:
        reader.problem("issn", f"issn: not one ISSN (1234-567X): {text!r}")
        return None
    return f"{match.group(1)}-{match.group(2)}"


def _kind(reader: _Reader) -> PaperKind:
    entry_type = reader.entry.entry_type
    if entry_type == "thesis":  # biblatex: the degree is in ``type``
        kind_text = (reader.text("type") or "").lower()
        if "master" in kind_text or kind_text.startswith("ma"):
            return PaperKind.MASTERS_THESIS
        if "phd" in kind_text or "doct" in kind_text or "dissertation" in kind_text:
            return PaperKind.PHD_THESIS
        return PaperKind.MISC
    return _KINDS.get(entry_type, PaperKind.MISC)


def _issue_title(journal: str, volume: str | None, number: str | None) -> str:
    parts = [journal]
    if volume:
        parts.append(f"volume {volume}")
    if number:
        parts.append(f"number {number}")
    return ", ".join(parts)


def _container(reader: _Reader, kind: PaperKind, date: PublicationDate | None,
               ) -> Volume | None:
    """The proceedings, journal issue or book the record is part of, when it names one."""
    year = date.year if date else None
    month = date.month if date else None
    if kind is PaperKind.JOURNAL_ARTICLE:
        name = reader.text("journal", "journaltitle")
        if name is None:
            return None
        volume_number = reader.text("volume")
        issue_number = reader.text("number", "issue")
        return Volume(
            title=_issue_title(name, volume_number, issue_number), year=year, month=month,
            kind=VolumeKind.JOURNAL_ISSUE,
            journal=Journal(name=name, issn=_issn(reader), publisher=reader.text("publisher")),
            venues=tuple(venue for venue in [venue_for(name)] if venue),
            volume_number=volume_number, issue_number=issue_number)
    if kind not in (PaperKind.CONFERENCE_PAPER, PaperKind.CHAPTER):
        return None
    booktitle = reader.text("booktitle")
    if booktitle is None:
        return None
    book = Volume(title=booktitle, year=year, kind=VolumeKind.BOOK,
                  editors=_people(reader, "editor")[0],
                  publisher=reader.text("publisher", "organization"),
                  address=reader.text("address", "location"), isbn=_isbn(reader),
                  volume_number=reader.text("volume"))
    if kind is PaperKind.CHAPTER:
        return book
    return replace(book, kind=VolumeKind.PROCEEDINGS, month=month,
                   venues=tuple(venue for venue in [venue_for(booktitle)] if venue),
                   event=event_for(booktitle, year))


def _crossref_key(found: RawField | None) -> str | None:
    """The key a ``crossref`` field names (None when absent or not readable)."""
    if found is None:
        return None
    try:
        return latex_to_text(found.value)
    except LatexError:
        return None


def to_paper(entry: RawEntry, parent: RawEntry | None, source: str) -> Paper:
    """Stage two: check one evaluated entry into a Paper; SourceError lists all its problems.

    ``parent`` is the entry its ``crossref`` names, whose fields it inherits.
    """
    reader = _Reader(entry, parent)
    if "crossref" in entry.fields and parent is None:
        target = _crossref_key(entry.fields["crossref"])
        reader.problem("crossref", f"crossref: no entry {target!r} in this file"
                       if target is not None else "crossref: cannot read the key's TeX")
    title = reader.text("title")
    if title is None and not reader.problems_with("title"):
        reader.problem("title", "the entry has no title")
    kind = _kind(reader)
    authors, complete = _people(reader, "author")
    date = _date(reader)
    container = _container(reader, kind, date)
    abstract = reader.raw("abstract")
    url, note = _links(reader)
    paper = Paper(
        title=title or "", location=Location(source, entry.line), kind=kind, authors=authors,
        authors_complete=complete, date=date, volume=container, language=_language(reader),
        doi=_doi(reader), bibkey=entry.key, pages=_pages(reader), url=url, note=note,
        abstract=reader.plain(abstract, paragraphs=True) if abstract else None,
        number=reader.text("number") if kind is not PaperKind.JOURNAL_ARTICLE else None,
        edition=reader.text("edition"))
    if container is None:  # who published it, where, its editors: said of the record itself
        paper = replace(
            paper, editors=_people(reader, "editor")[0], address=reader.text("address", "location"),
            publisher=reader.text(*_PUBLISHER_FIELDS.get(kind, _DEFAULT_PUBLISHER_FIELDS)),
            isbn=_isbn(reader))
    if reader.problems:
        raise _entry_error(reader.problems, source, entry.key)
    return paper


def read(path: Path, source: str) -> Iterator[Paper | SourceError]:
    """Yield every entry of a BibTeX file as a Paper, and a SourceError for each broken one.

    A key used by an earlier entry that was read is an error; a key first used by a broken
    entry is not held against the next entry that uses it.
    """
    try:
        text = decode_utf8(path.read_bytes(), source)
    except SourceError as error:
        yield error
        return
    items = list(raw_entries(text, source))
    by_key: dict[str, RawEntry] = {}
    for item in items:
        if isinstance(item, RawEntry):
            by_key.setdefault(item.key.lower(), item)
    kept: dict[str, int] = {}
    for item in items:
        if isinstance(item, SourceError):
            yield item
            continue
        first = kept.get(item.key.lower())
        if first is not None:
            yield SourceError(f"duplicate key {item.key!r} (first used at line {first})",
                              source=source, line=item.line, record=item.key, field="key")
            continue
        crossref = _crossref_key(item.fields.get("crossref"))
        parent = by_key.get(crossref.lower()) if crossref is not None else None
        try:
            paper = to_paper(item, parent if parent is not item else None, source)
        except SourceError as error:
            yield error
            continue
        kept[item.key.lower()] = item.line
        yield paper
