"""Decoding helpers shared by the text-based importers."""

from __future__ import annotations

from kg.errors import SourceError


def decode_utf8(data: bytes, source: str) -> str:
    """Decode UTF-8 (a BOM is dropped); a bad byte raises SourceError naming its line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise SourceError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at column {column}",
            source=source, line=line, field="encoding") from None
