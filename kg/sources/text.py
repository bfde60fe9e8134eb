"""Helpers shared by the importers: decoding text files, splitting lines, checking IRIs."""

from __future__ import annotations

import re

from pyoxigraph import NamedNode

from kg.errors import SourceError

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
"""Characters XML 1.0 forbids (control characters but tab and line ends, U+FFFE, U+FFFF): a
literal holding one could not be written as SPARQL XML results or RDF/XML."""
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_utf8(data: bytes, source: str) -> str:
    """Decode UTF-8 (a BOM is dropped).

    Raises SourceError naming the line and column of a byte that is not UTF-8 (a UTF-16 file
    is named as such), or of a character XML 1.0 forbids (NUL and other control characters).
    """
    if data.startswith(_UTF16_BOMS):
        raise SourceError("the file is UTF-16 (it starts with a UTF-16 byte-order mark); "
                          "save it as UTF-8", source=source, line=1, field="encoding")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise SourceError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at column {column}",
            source=source, line=line, field="encoding") from None
    if bad := _NOT_XML_CHAR.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        raise SourceError(
            f"character U+{ord(bad.group()):04X} at column {column} is not allowed in text "
            "(NUL, control characters; is this a binary file?)",
            source=source, line=line, field="encoding")
    return text


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, broken at ``\\r\\n``, ``\\r`` and ``\\n`` only.

    Unlike ``str.splitlines``, characters such as U+2028 or U+0085 inside a line do not break
    it, so line numbers are the ones an editor shows.
    """
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def is_iri(text: str) -> bool:
    """True when ``text`` is an absolute IRI the store accepts (RFC 3987, as pyoxigraph checks).

    >>> is_iri("https://aclanthology.org/C65-1001.pdf"), is_iri("https://x.org/%zz")
    (True, False)
    """
    try:
        NamedNode(text)
    except ValueError:
        return False
    return True
