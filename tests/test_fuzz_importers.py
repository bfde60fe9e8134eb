"""Property-based tests that try to break the importers (issue 8: hostile input).

Each importer (author pages, ACL XML, BibTeX) is fed arbitrary bytes, soups of its own format's
tokens, and real files mutated (bytes flipped, truncations, lines deleted or duplicated, random
Unicode and format tokens inserted). Whatever it is fed, reading gives records or ``KGError``
values that name the file and one of its lines: never another exception, never a hang (every
example runs under a SIGALRM deadline), and every record it gives maps to RDF. A file that fails
leaves the store exactly as it was, and ``--skip-invalid`` keeps its good records.

Records are also made from each format's grammar with a few hostile values (URLs no IRI may
be, TeX, markup, any Unicode): random bytes rarely get past the first stage, these do.

The runs are deterministic (``derandomize=True``, no example database). Cases per importer in
the normal run: 100 arbitrary byte strings + 100 token soups + 150 records from the grammar +
200 mutated real files = 550; 1 650 in all, plus 20 untouched grammar files, the decoding cases
and the cases the fuzzing found (each kept below as a plain test).
"""

from __future__ import annotations

import doctest
import faulthandler
import random
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyoxigraph import NamedNode

from kg.errors import KGError, SourceErrors
from kg.ingest import ingest
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper
from kg.records import Paper
from kg.sources import detect_format, formats, reader
from kg.sources import text as text_helpers
from kg.store import EmbeddedStore
from tests.conftest import BASE, EXAMPLE, SHARED_DATA, TEST_DATA, run_kg

DEADLINE_SECONDS = 10
"""A reader that has not finished one example (a few kB) by then is taken to hang."""
RANDOM_EXAMPLES = 100
SOUP_EXAMPLES = 100
GRAMMAR_EXAMPLES = 150
MUTANT_EXAMPLES = 200
SUFFIXES = {"author-page": ".txt", "acl-xml": ".xml", "bibtex": ".bib"}
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")


def real_files(format_name: str) -> list[Path]:
    """The real and made-up files of a format: the example, tests/data and ../shared/data."""
    folder = {"author-page": "author-pages", "acl-xml": "acl-xml", "bibtex": "bibtex"}[format_name]
    suffix = SUFFIXES[format_name]
    found = sorted((TEST_DATA / folder).glob(f"*{suffix}"))
    if (SHARED_DATA / folder).is_dir():  # absent on a machine without ../shared: skipped
        found += sorted((SHARED_DATA / folder).glob(f"*{suffix}"))
    if format_name == "author-page":
        found.insert(0, EXAMPLE)
    return found


# Pieces of each format, for token soups and insertions: enough to reach the second stage.
TOKENS: dict[str, list[str]] = {
    "author-page": [
        "pdf bib", "pdf bib abs", "pdf", "2024", "1999", "\n", "\n\n", "\r\n", "\r", "Ada Lovelace",
        "A Title", "Ada Lovelace | Charles Babbage", " | ", "Proceedings of the 62nd Annual "
        "Meeting of the Association for Computational Linguistics (Volume 1: Long Papers)",
        "Findings of the Association for Computational Linguistics: EMNLP 2023", "**",
        "https://example.org/a", "\u2028", "\x85", "\ufeff", " ", "\t", "é"],
    "acl-xml": [
        '<?xml version="1.0" encoding="UTF-8"?>\n', '<collection id="2024.fuzz">',
        '<collection id="C65">', "</collection>", '<volume id="1">',
        '<volume id="main" type="journal">', "</volume>", "<meta>", "</meta>", "<booktitle>",
        "</booktitle>", '<paper id="1">', '<paper id="2" type="backmatter">', "</paper>",
        "<title>", "</title>", "<author>",
        '<author id="ada-lovelace" orcid="0000-0002-1825-0097">', "</author>", "<first>",
        "</first>", "<last>", "</last>", "<editor>", "</editor>", "<url>", "</url>",
        "<doi>", "10.18653/v1/x", "</doi>", "<year>", "2024", "</year>", "<month>", "June",
        "</month>", "<frontmatter>", "</frontmatter>", '<event id="fuzz-2024">', "</event>",
        "<venue>", "acl", "</venue>", "<abstract>", "</abstract>", "<tex-math>", "</tex-math>",
        "<fixed-case>", "</fixed-case>", '<attachment type="Software">', "</attachment>",
        '<revision id="2" href="x.v2" date="2024-01-01">', "</revision>",
        '<retracted date="2024-13-01">', "</retracted>", "<language>", "eng", "</language>",
        '<video href="x.mp4"/>', '<erratum id="1">', "</erratum>", "<pages>", "1–9",
        "</pages>", "<award>", "</award>", "&amp;", "&lt;", "&#x41;", "&#0;", "&foo;",
        "<!-- c -->", "<?pi x?>", "<![CDATA[x]]>", "<!DOCTYPE collection>", "text", " ", "\n",
        "é", "x.pdf", "https://example.org/%zz", "\u2028"],
    "bibtex": [
        "@misc{", "@article{", "@inproceedings{", "@string{", "@preamble{", "@comment{",
        "@book(", "@thesis{", "key", ",", "=", "{", "}", '"', "#", "title", "author", "editor",
        "year", "month", "date", "booktitle", "journal", "crossref", "url", "doi", "isbn",
        "issn", "pages", "howpublished", "eprint", "archiveprefix", "abstract", "langid",
        "type", "\\'e", '\\"{u}', "\\url{", "\\href{", "\\verb", "\\sqrt[", "\\cite[", "[", "]",
        "$", "\\", "%", "~", "--", " and ", "others", "jan", "2024", "{{Org}}", "von", "Jr",
        "\n", "\r", " ", "é", "\\textbf{", "\\begin{x}", "\\end{x}", "\\\\", "@",
        "https://example.org/a b", "10.1/x", "\ue000"],
}


# ---------------------------------------------------------------------------------------------
# the property


class Hang(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that no reader can swallow it."""


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail (AssertionError) when the block runs longer than ``seconds``.

    A signal handler runs between bytecodes only: a loop inside C code (a regular expression
    backtracking) would not see it. So a watchdog thread also ends the whole run, with every
    thread's traceback, when the block is still running at three times the deadline.
    """
    def expire(signum: int, frame: FrameType | None) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(3 * seconds, exit=True)
    try:
        yield
    except Hang:
        raise AssertionError(f"no answer within {seconds} s: a hang") from None
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


MINTER = IriMinter(BASE)


def lines_of(data: bytes) -> int:
    """How many lines ``data`` has, counting every line end a reader may count."""
    return len(_LINE_BREAK.split(data))


def links_of(paper: Paper) -> list[str]:
    """Every IRI a record holds (its own, its volume's, its files')."""
    volume = paper.volume
    files = [*paper.attachments, *paper.revisions, *paper.errata]
    return [iri for iri in (paper.url, paper.pdf, *paper.videos, *(f.url for f in files),
                            *((volume.url, volume.pdf, volume.frontmatter_pdf) if volume else ()))
            if iri is not None]


def read_checked(path: Path, format_name: str) -> list[Paper | KGError]:
    """Read ``path``; assert that every item is a mapped record or a located KGError."""
    last = lines_of(path.read_bytes())
    with deadline(DEADLINE_SECONDS):
        items: list[Paper | KGError] = list(reader(format_name)(path, str(path)))
        for item in items:
            if isinstance(item, Paper):
                map_paper(GraphWriter(MINTER.graph(path.name)), MINTER, item)
    for item in items:
        if isinstance(item, Paper):
            assert item.location.source == str(path)
            assert 1 <= item.location.line <= last, item.location
            for iri in links_of(item):
                NamedNode(iri)  # the store takes it: ValueError otherwise
        else:
            assert isinstance(item, KGError), f"{type(item).__name__}: {item!r}"
            assert item.source == str(path), str(item)
            assert item.line is not None and 1 <= item.line <= last, f"{item} (of {last})"
            assert str(item).startswith(f"{path}:{item.line}: ")
    return items


def detect_checked(path: Path) -> None:
    """Telling the format gives a known one or a KGError, never another exception."""
    with deadline(DEADLINE_SECONDS):
        try:
            assert detect_format(path) in formats()
        except KGError as error:
            assert error.source == str(path)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for the examples (hypothesis reruns a test body, so not ``tmp_path``)."""
    return tmp_path_factory.mktemp("fuzz")


def write(scratch: Path, format_name: str, data: bytes) -> Path:
    path = scratch / f"case{SUFFIXES[format_name]}"
    path.write_bytes(data)
    return path


def fuzz_settings(examples: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


FORMATS = ["author-page", "acl-xml", "bibtex"]


# ---------------------------------------------------------------------------------------------
# (a) arbitrary bytes, and soups of the format's own tokens


@pytest.mark.parametrize("format_name", FORMATS)
@fuzz_settings(RANDOM_EXAMPLES)
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes_give_records_or_located_errors(scratch: Path, format_name: str,
                                                         data: bytes) -> None:
    path = write(scratch, format_name, data)
    read_checked(path, format_name)
    detect_checked(path)


def soup(format_name: str) -> st.SearchStrategy[bytes]:
    piece = st.one_of(st.sampled_from(TOKENS[format_name]), st.text(max_size=8))
    return st.lists(piece, max_size=80).map(lambda parts: "".join(parts).encode("utf-8"))


@pytest.mark.parametrize("format_name", FORMATS)
@fuzz_settings(SOUP_EXAMPLES)
@given(data=st.data())
def test_token_soups_give_records_or_located_errors(scratch: Path, format_name: str,
                                                     data: st.DataObject) -> None:
    path = write(scratch, format_name, data.draw(soup(format_name)))
    read_checked(path, format_name)


# ---------------------------------------------------------------------------------------------
# (b) records made from each format's grammar, a few values hostile: these reach stage two

PRINTABLE = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])
"""Any character but control characters (the decoding tests cover those: a file holding one
is refused whole, before any record is read)."""
URLS = st.builds(
    lambda scheme, rest: scheme + rest,
    st.sampled_from(["https://example.org/", "http://", "ftp://x/", "doi:10.1/", "x.pdf", ""]),
    st.text(st.one_of(PRINTABLE, st.sampled_from("%[]#?:/@ \ue000\ufdd0\U000f0000")),
            max_size=8))
"""URLs and file names, with what may or may not be allowed in an IRI."""


def hostile(format_name: str) -> st.SearchStrategy[str]:
    """A hostile value: URL-like text, or words, the format's tokens and any Unicode."""
    piece = st.one_of(st.sampled_from(["Ada", "2024", " ", "-"]),
                      st.sampled_from(TOKENS[format_name]), st.text(PRINTABLE, max_size=6))
    return st.one_of(URLS, st.lists(piece, max_size=4).map("".join))


class Slot(str):
    """A value of a template (its good value); ``attribute`` for XML escaping."""

    attribute = False


class AttributeSlot(Slot):
    attribute = True


Template = list[str | Slot]


def render(template: Template, replaced: dict[int, str], escape: bool) -> bytes:
    """The template with the slots numbered in ``replaced`` holding those values instead."""
    out: list[str] = []
    slots = 0
    for part in template:
        if isinstance(part, Slot):
            text = replaced.get(slots, str(part))
            if escape and slots in replaced:
                text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                text = text.replace('"', "&quot;") if part.attribute else text
            slots += 1
            out.append(text)
        else:
            out.append(part)
    return "".join(out).encode("utf-8")


@st.composite
def templated(draw: st.DrawFn, format_name: str,
              build: Callable[[st.DrawFn], Template]) -> bytes:
    """A good file from ``build``, then up to four of its values made hostile."""
    template = build(draw)
    slots = sum(isinstance(part, Slot) for part in template)
    changes = draw(st.lists(st.tuples(st.integers(0, slots - 1), hostile(format_name)),
                            min_size=1, max_size=4))
    return render(template, dict(changes), escape=format_name == "acl-xml")


def author_page(draw: st.DrawFn) -> Template:
    venue = TOKENS["author-page"][11]
    parts: Template = [Slot("Ada Lovelace"), "\n\n"]
    for year in draw(st.lists(st.sampled_from(["2024", "1999"]), min_size=1, max_size=2)):
        parts += [Slot(year), "\n\n"]
        for _ in range(draw(st.integers(1, 3))):
            parts += [Slot("pdf bib"), "\n", Slot("A Title"), "\n",
                      Slot("Ada Lovelace | Charles Babbage"), "\n", Slot(venue), "\n\n",
                      Slot("An abstract with **emphasis** at https://example.org/x."), "\n\n"]
    return parts


_XML_FIELDS = {"url": "2024.fuzz-1.1", "doi": "10.18653/v1/2024.fuzz-1.1", "year": "2024",
               "month": "June", "venue": "acl", "pages": "1–9", "language": "eng",
               "bibkey": "lovelace-2024-title", "address": "Paris", "publisher": "ACL",
               "isbn": "979-8-89176-000-1", "award": "Best Paper",
               "attachment": "2024.fuzz-1.1.Software.zip", "erratum": "2024.fuzz-1.1e1",
               "abstract": "An abstract.", "shortbooktitle": "Fuzz 2024"}


def _xml_person(tag: str) -> Template:
    return [f'<{tag} id="', AttributeSlot("ada-lovelace"), '" orcid="',
            AttributeSlot("0000-0002-1825-0097"), '"><first>', Slot("Ada"), "</first><last>",
            Slot("Lovelace"), "</last><affiliation>", Slot("Paris"), f"</affiliation></{tag}>"]


def _xml_fields(names: list[str]) -> Template:
    parts: Template = []
    for name in names:
        parts += [f"<{name}>", Slot(_XML_FIELDS[name]), f"</{name}>"]
    return parts


def acl_collection(draw: st.DrawFn) -> Template:
    names = sorted(_XML_FIELDS)
    collection = draw(st.sampled_from(["2024.fuzz", "C65", "W99", "J99", "D19"]))
    parts: Template = [f"<?xml version='1.0' encoding='UTF-8'?>\n<collection id=\"{collection}\">"]
    for volume in range(1, draw(st.integers(1, 2)) + 1):
        kind = draw(st.sampled_from(["", ' type="journal"']))
        parts += ['\n<volume id="', AttributeSlot(str(volume)), f'"{kind}>\n<meta><booktitle>',
                  Slot("Proceedings of <i>Fuzz</i>"), "</booktitle>", *_xml_person("editor"),
                  *_xml_fields(["year", "month", "url", "doi", "venue", "address"]),
                  "</meta>\n<frontmatter><url>", Slot("2024.fuzz-1.0"), "</url></frontmatter>"]
        for paper in range(1, draw(st.integers(1, 3)) + 1):
            fields = draw(st.lists(st.sampled_from(names), max_size=4, unique=True))
            parts += ['\n<paper id="', AttributeSlot(str(paper)), '"><title>',
                      Slot("A <tex-math>x^2</tex-math> Title"), "</title>",
                      *_xml_person("author"), *_xml_fields(fields), '<video href="',
                      AttributeSlot("2024.fuzz-1.1.mp4"), '"/><revision id="2" href="',
                      AttributeSlot("r.v2"), '" date="', AttributeSlot("2024-01-01"),
                      '">Fixed.</revision></paper>']
        parts.append("\n</volume>")
    if draw(st.booleans()):
        parts += ['\n<event id="', AttributeSlot("fuzz-2024"), '"><meta><title>',
                  Slot("Fuzz 2024"), "</title></meta></event>"]
    return [*parts, "\n</collection>\n"]


_BIB_FIELDS = {
    "author": "Ada Lovelace and Babbage, Charles and others", "editor": "Mary Somerville",
    "year": "2024", "month": "jun", "date": "2024-06-01", "booktitle": "Proceedings of ACL",
    "journal": "Computational Linguistics", "volume": "12", "number": "3", "pages": "1--9",
    "publisher": "ACL", "address": "Paris", "school": "Sorbonne", "institution": "INRIA",
    "isbn": "978-3-16-148410-0", "issn": "0891-2017", "doi": "10.1162/coli_a_00001",
    "url": "https://example.org/x", "eprint": "2401.00001", "archiveprefix": "arXiv",
    "howpublished": "\\url{https://example.org/h}", "note": "A note", "langid": "french",
    "abstract": "An abstract.\n\nTwo paragraphs.", "type": "PhD thesis", "crossref": "key0",
    "edition": "2nd", "organization": "ACL"}


def bibtex_file(draw: st.DrawFn) -> Template:
    parts: Template = ["@string{acl = {Proceedings of ACL}}\n\n@proceedings{key0,\n  title = {",
                       Slot("Proceedings of ACL"), "},\n  year = 2024,\n}\n"]
    for number in range(1, draw(st.integers(1, 3)) + 1):
        entry_type = draw(st.sampled_from(["misc", "article", "inproceedings", "book", "thesis",
                                           "incollection", "phdthesis", "techreport", "online",
                                           "whatever"]))
        names = draw(st.lists(st.sampled_from(sorted(set(_BIB_FIELDS) - {"url"})), max_size=8,
                              unique=True))
        parts += [f"\n@{entry_type}{{key{number},\n  title = {{", Slot("A {BERT} Title"),
                  "},\n  url = {", Slot("https://example.org/x"), "},"]
        for name in names:
            parts += [f"\n  {name} = {{", Slot(_BIB_FIELDS[name]), "},"]
        parts.append("\n}\n")
    return parts


GRAMMARS = {"author-page": author_page, "acl-xml": acl_collection, "bibtex": bibtex_file}


@pytest.mark.parametrize("format_name", FORMATS)
@fuzz_settings(GRAMMAR_EXAMPLES)
@given(data=st.data())
def test_records_with_hostile_values_give_records_or_located_errors(
        scratch: Path, format_name: str, data: st.DataObject) -> None:
    file = data.draw(templated(format_name, GRAMMARS[format_name]), label="file")
    read_checked(write(scratch, format_name, file), format_name)


def test_the_templates_are_good_files(scratch: Path) -> None:
    """Unchanged, every template reads without an error (so hostile values are what fail)."""
    @st.composite
    def untouched(draw: st.DrawFn, build: Callable[[st.DrawFn], Template]) -> bytes:
        return render(build(draw), {}, escape=False)

    @fuzz_settings(20)
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        for format_name, build in GRAMMARS.items():
            file = data.draw(untouched(build))
            items = read_checked(write(scratch, format_name, file), format_name)
            assert items and all(isinstance(item, Paper) for item in items), items
    check()


# ---------------------------------------------------------------------------------------------
# (c) mutated real files

Mutation = tuple[str, int, int, str]
"""(kind, position, other number, inserted text); positions are taken modulo the length."""


def mutations(format_name: str) -> st.SearchStrategy[list[Mutation]]:
    position = st.integers(min_value=0, max_value=1 << 20)
    text = st.one_of(st.text(min_size=1, max_size=12), st.sampled_from(TOKENS[format_name]))
    mutation = st.tuples(
        st.sampled_from(["flip", "truncate", "delete-line", "duplicate-line", "insert"]),
        position, st.integers(min_value=0, max_value=255), text)
    return st.lists(mutation, min_size=1, max_size=4)


def mutate(data: bytes, changes: list[Mutation]) -> bytes:
    """Apply ``changes`` in order (see :data:`Mutation`)."""
    for kind, position, number, text in changes:
        at = position % (len(data) + 1)
        if kind == "flip" and data:
            at %= len(data)
            data = data[:at] + bytes([data[at] ^ (number or 1)]) + data[at + 1:]
        elif kind == "truncate":
            data = data[:at]
        elif kind in ("delete-line", "duplicate-line"):
            lines = data.split(b"\n")
            index = position % len(lines)
            if kind == "delete-line":
                del lines[index]
            else:
                lines.insert(index, lines[index])
            data = b"\n".join(lines)
        elif kind == "insert":
            data = data[:at] + text.encode("utf-8") + data[at:]
    return data


@pytest.mark.parametrize("format_name", FORMATS)
@fuzz_settings(MUTANT_EXAMPLES)
@given(data=st.data())
def test_mutated_real_files_give_records_or_located_errors(scratch: Path, format_name: str,
                                                            data: st.DataObject) -> None:
    original = data.draw(st.sampled_from(real_files(format_name)), label="file")
    changes = data.draw(mutations(format_name), label="changes")
    path = write(scratch, format_name, mutate(original.read_bytes(), changes))
    read_checked(path, format_name)


def test_every_format_has_real_files_to_mutate() -> None:
    for format_name in FORMATS:
        assert len(real_files(format_name)) >= 3, format_name


# ---------------------------------------------------------------------------------------------
# decoding: invalid UTF-8, UTF-16, NUL bytes


def with_bytes_at_line(data: bytes, line: int, inserted: bytes) -> bytes:
    """``data`` with ``inserted`` at the end of its line ``line`` (1-based)."""
    lines = data.split(b"\n")
    lines[line - 1] += inserted
    return b"\n".join(lines)


DECODING_CASES: dict[str, Callable[[bytes], bytes]] = {
    "invalid UTF-8": lambda data: with_bytes_at_line(data, 5, b"\xc3("),
    "a lone continuation byte": lambda data: with_bytes_at_line(data, 5, b"\x80"),
    "NUL byte": lambda data: with_bytes_at_line(data, 5, b"\x00"),
    "control character": lambda data: with_bytes_at_line(data, 5, b"\x1b[31m"),
    "UTF-16 byte-order mark on UTF-8 bytes": lambda data: b"\xff\xfe" + data,
    "UTF-16 text": lambda data: data.decode("utf-8").encode("utf-16"),
    "UTF-16 without a byte-order mark": lambda data: data.decode("utf-8").encode("utf-16-le"),
}
SAMPLES = {"author-page": TEST_DATA / "author-pages" / "well-formed.txt",
           "acl-xml": TEST_DATA / "acl-xml" / "W99.xml",
           "bibtex": TEST_DATA / "bibtex" / "features.bib"}


@pytest.mark.parametrize("case", DECODING_CASES)
@pytest.mark.parametrize("format_name", ["author-page", "bibtex"])
def test_text_formats_refuse_what_is_not_utf8_text_at_its_line(
        tmp_path: Path, format_name: str, case: str) -> None:
    path = tmp_path / f"broken{SUFFIXES[format_name]}"
    path.write_bytes(DECODING_CASES[case](SAMPLES[format_name].read_bytes()))
    items = read_checked(path, format_name)
    [error] = items  # the whole file is refused, with one error
    assert isinstance(error, KGError)
    assert (error.source, error.field) == (str(path), "encoding")
    assert error.line == (1 if "UTF-16" in case else 5), str(error)


@pytest.mark.parametrize("case", ["invalid UTF-8", "a lone continuation byte", "NUL byte",
                                  "control character", "UTF-16 byte-order mark on UTF-8 bytes"])
def test_acl_xml_refuses_what_is_not_its_encoding_at_its_line(tmp_path: Path, case: str) -> None:
    path = tmp_path / "broken.xml"
    path.write_bytes(DECODING_CASES[case](SAMPLES["acl-xml"].read_bytes()))
    errors = [item for item in read_checked(path, "acl-xml") if isinstance(item, KGError)]
    assert len(errors) == 1
    assert (errors[0].source, errors[0].field) == (str(path), "xml")
    assert errors[0].line == (1 if "UTF-16" in case else 5), str(errors[0])


def test_acl_xml_in_utf16_reads_like_utf8(tmp_path: Path) -> None:
    """XML parsers must read UTF-16 (XML 1.0, 4.3.3): the same records, at the same lines."""
    text = SAMPLES["acl-xml"].read_text("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
    path = tmp_path / SAMPLES["acl-xml"].name
    path.write_bytes(text.encode("utf-16"))
    assert read_checked(path, "acl-xml") == list(
        reader("acl-xml")(SAMPLES["acl-xml"], str(path)))


def test_text_outside_a_line_break_keeps_author_page_lines(tmp_path: Path) -> None:
    """U+2028, U+0085 inside a line do not break it (``str.splitlines`` would)."""
    data = EXAMPLE.read_bytes()
    path = tmp_path / "page.txt"
    path.write_bytes(with_bytes_at_line(data, 1, "\u2028\x85".encode()))
    expected = [p.location.line for p in reader("author-page")(EXAMPLE, "x")
                if isinstance(p, Paper)]
    assert [p.location.line for p in read_checked(path, "author-page")
            if isinstance(p, Paper)] == expected


# ---------------------------------------------------------------------------------------------
# what the fuzzing found (each fixed in kg/sources), kept as plain cases

ENTRY = "@misc{{k,\n  title = {{{title}}},\n{extra}}}\n"
FOUND: dict[str, tuple[str, bytes, list[tuple[int, str | None]]]] = {
    # name: (format, file, [(line, field) of each error]; [] when records only)
    "an empty XML file (lxml gave no line)": ("acl-xml", b"", [(1, "xml")]),
    "a DOCTYPE in UTF-16 (its line was not found)": (
        "acl-xml", '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE collection [\n'
        ' <!ENTITY a "b">\n]>\n<collection id="C65"/>'.encode("utf-16"), [(2, "doctype")]),
    "a URL no IRI may be, in XML (the store refused it)": (
        "acl-xml", b"<?xml version='1.0'?>\n<collection id=\"C65\"><volume id=\"1\"><meta>\n"
        b"<booktitle>B</booktitle></meta>\n<paper id=\"1\"><title>T</title>\n"
        b"<url>https://example.org/%zz</url></paper></volume></collection>", [(5, "url")]),
    "a URL no IRI may be, in BibTeX": (
        "bibtex", ENTRY.format(title="T", extra="  url = {https://example.org/[x},\n").encode(),
        [(3, "url")]),
    "an arXiv eprint that makes no IRI": (
        "bibtex", ENTRY.format(title="T", extra="  eprint = {a b},\n  archiveprefix = {arXiv},\n"
                               ).encode(), [(3, "eprint")]),
    "\\cite[ nested 30 times (pylatexenc took exponential time)": (
        "bibtex", ENTRY.format(title="\\cite[" * 30 + "x", extra="").encode(), []),
    "\\sqrt[ nested 30 times": (
        "bibtex", ENTRY.format(title="\\sqrt[" * 30 + "x" + "]" * 30, extra="").encode(), []),
    "\\sqrt[x] (a KeyError in pylatexenc)": (
        "bibtex", ENTRY.format(title="\\sqrt[x]", extra="").encode(), []),
    "a bare \\verb (an IndexError in pylatexenc)": (
        "bibtex", ENTRY.format(title="T", extra="  note = {\\verb},\n").encode(), [(3, "note")]),
    "braces 1000 deep (a RecursionError)": (
        "bibtex", ENTRY.format(title="{" * 1000 + "x" + "}" * 1000, extra="").encode(),
        [(2, "title")]),
    "\\textbf 1000 deep (a RecursionError)": (
        "bibtex", ENTRY.format(title="T", extra="  author = {" + "\\textbf{" * 1000 + "A"
                               + "}" * 1000 + "},\n").encode(), [(3, "author")]),
    "a private-use character like the placeholders (an IndexError)": (
        "bibtex", ENTRY.format(title="\ue0000\ue001 \\url{https://example.org/} [1]",
                               extra="").encode(), []),
    "every private-use character, so no placeholder is free (found reading the fix)": (
        "bibtex", ENTRY.format(title="".join(map(chr, range(0xE000, 0xF900))) + "\\'e",
                               extra="").encode(), [(2, "title")]),
    "a NUL byte in BibTeX (stored as is)": (
        "bibtex", ENTRY.format(title="a\x00b", extra="").encode(), [(2, "encoding")]),
    "a record cut short at the end of an author page (line past the end)": (
        "author-page", b"Ada Lovelace\n\n2024\n\npdf bib\nA Title\nAda | Mary Somerville\n",
        [(7, "venue")]),
    "U+2028 and U+0085 in an author page (they broke lines)": (
        "author-page", "Ada\n\n2024\n\npdf bib\nA\u2028Title\x85\nAda Lovelace | Mary "
        "Somerville\nFindings of the Association for Computational Linguistics: ACL 2024\n\n"
        "pdf bib\nT\nA\n".encode(), [(12, "venue")]),
}


@pytest.mark.parametrize("name", FOUND)
def test_what_fuzzing_found(tmp_path: Path, name: str) -> None:
    format_name, data, expected = FOUND[name]
    path = write(tmp_path, format_name, data)
    items = read_checked(path, format_name)
    assert [(e.line, e.field) for e in items if isinstance(e, KGError)] == expected, items
    assert items, "neither records nor errors"


def test_a_head_of_many_comments_is_told_at_once(tmp_path: Path) -> None:
    """``looks_like`` backtracked exponentially: 20 empty comments took 5 s, 30 would take
    hours, and every ``kg ingest`` without ``--format`` asks it (a C loop: no signal stops it)."""
    for name, format_name in (("head.xml", "acl-xml"), ("head.txt", "author-page")):
        path = tmp_path / name
        path.write_bytes(b"<!---->" * 40 + b"x")
        with deadline(DEADLINE_SECONDS):
            assert detect_format(path) == format_name  # by its suffix
    path = tmp_path / "head.dat"
    path.write_bytes(b"<!---->" * 40 + b"x")
    with deadline(DEADLINE_SECONDS), pytest.raises(KGError):
        detect_format(path)


# ---------------------------------------------------------------------------------------------
# no partial write


def failing_mutants(format_name: str, count: int, scratch: Path) -> list[tuple[Path, bytes]]:
    """The first ``count`` mutants of the format's real files (a fixed seed) that read as some
    records and at least one error."""
    rng = random.Random(8)
    found: list[tuple[Path, bytes]] = []
    files = real_files(format_name)
    for _ in range(1000):
        if len(found) == count:
            break
        original = rng.choice(files)
        changes = [(rng.choice(["flip", "truncate", "delete-line", "duplicate-line", "insert"]),
                    rng.randrange(1 << 20), rng.randrange(256), rng.choice(TOKENS[format_name]))
                   for _ in range(rng.randint(1, 3))]
        data = mutate(original.read_bytes(), changes)
        path = write(scratch, format_name, data)
        kinds = {type(item).__name__ for item in reader(format_name)(path, path.name)}
        if kinds == {"Paper", "SourceError"}:
            found.append((original, data))
    assert len(found) == count, f"only {len(found)} mutants of {format_name} fail in part"
    return found


def nquads(store: EmbeddedStore) -> list[str]:
    return sorted(f"{quad} ." for quad in store.quads())


@pytest.fixture(scope="module")
def example_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("partial") / "store"
    store = EmbeddedStore(path)
    ingest(store, [EXAMPLE], base_iri=BASE)
    store.close()
    return path


@pytest.mark.parametrize("format_name", FORMATS)
def test_a_failing_mutant_leaves_the_store_exactly_as_it_was(
        example_store_path: Path, tmp_path: Path, format_name: str) -> None:
    store = EmbeddedStore(example_store_path)
    try:
        before = nquads(store)
        assert before
        mutants = failing_mutants(format_name, 3, tmp_path)
        for number, (original, data) in enumerate(mutants):
            # the first mutant takes the name of a file in the store: its graph must survive
            name = EXAMPLE.name if number == 0 and format_name == "author-page" else original.name
            path = tmp_path / str(number) / name
            path.parent.mkdir()
            path.write_bytes(data)
            with pytest.raises(SourceErrors) as refused:
                ingest(store, [path], base_iri=BASE)
            assert all(error.source == str(path) and error.line for error in refused.value.errors)
            assert nquads(store) == before, f"{path} was partly written"
    finally:
        store.close()


@pytest.mark.parametrize("format_name", FORMATS)
def test_skip_invalid_keeps_the_good_records_of_a_mutant(tmp_path: Path, format_name: str) -> None:
    store = EmbeddedStore(tmp_path / "store")
    try:
        for number, (original, data) in enumerate(failing_mutants(format_name, 3, tmp_path)):
            path = tmp_path / str(number) / original.name
            path.parent.mkdir()
            path.write_bytes(data)
            items = list(reader(format_name)(path, str(path)))
            errors = {(e.source, e.line) for e in items if isinstance(e, KGError)}
            report = ingest(store, [path], base_iri=BASE, skip_invalid=True)
            assert errors <= {(e.source, e.line) for e in report.skipped}
            # the others are kept, but for any the shapes refuse (reported too)
            papers = sum(isinstance(item, Paper) for item in items)
            refused_by_shapes = len(report.skipped) - len(errors)
            assert 0 < papers - refused_by_shapes <= report.papers <= papers, report
    finally:
        store.close()


def test_kg_ingest_of_a_mutant_fails_cleanly_and_skip_invalid_keeps_the_good_records(
        tmp_path: Path) -> None:
    store_path = tmp_path / "store"
    store = EmbeddedStore(store_path)
    ingest(store, [EXAMPLE], base_iri=BASE)
    before = nquads(store)
    store.close()
    data = EXAMPLE.read_bytes()
    lines = data.split(b"\n")
    marker = lines.index(b"pdf bib", 20)  # a record in the middle: drop its title line
    path = tmp_path / EXAMPLE.name
    path.write_bytes(b"\n".join([*lines[:marker + 1], *lines[marker + 2:]]))
    [error] = [item for item in reader("author-page")(path, str(path))
               if isinstance(item, KGError)]

    refused = run_kg("ingest", "-q", str(path), store=store_path)
    assert refused.returncode == 1
    assert f"{path}:{error.line}:" in refused.stderr and "Traceback" not in refused.stderr
    store = EmbeddedStore(store_path)
    assert nquads(store) == before
    store.close()

    kept = run_kg("ingest", "-q", "--skip-invalid", str(path), store=store_path)
    assert kept.returncode == 0, kept.stderr
    assert "skipped 1 invalid record(s)" in kept.stderr
    assert f"{path}:{error.line}:" in kept.stderr
    papers = sum(1 for item in reader("author-page")(EXAMPLE, "x") if isinstance(item, Paper))
    assert f"ingested {papers - 1} records" in kept.stdout


def test_docstring_examples_of_the_shared_helpers_run() -> None:
    failures, tried = doctest.testmod(text_helpers)
    assert tried and not failures
