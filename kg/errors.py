"""One exception base for everything `kg` reports to a user.

Every error carries where it happened, so that a message can name the file, the line,
the record and the field, and tests can assert those attributes rather than the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class KGError(Exception):
    """Base of every error `kg` raises on purpose.

    ``source`` is a file name (or another input's name), ``line`` is 1-based, ``record`` names
    the record (an ACL id, a BibTeX key, a title), ``field`` the field of the record at fault.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        record: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.record = record
        self.field = field

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
        details = []
        if self.record is not None:
            details.append(f"record {self.record!r}")
        if self.field is not None:
            details.append(f"field {self.field!r}")
        text = self.message if not details else f"{self.message} ({', '.join(details)})"
        return f"{where}: {text}" if where else text


class SourceError(KGError):
    """An input file cannot be read or parsed (encoding, syntax, missing fields)."""


class ConfigError(KGError):
    """A setting or a command-line value is not usable (bad base IRI, unknown format)."""


class StoreError(KGError):
    """The store cannot be opened, read or written."""


class StoreLocked(StoreError):
    """Another process writes the store (RocksDB's lock): try again when it is done."""


class UpstreamError(StoreError):
    """A remote store's SPARQL server cannot be reached, broke the connection, or failed
    (answered 5xx, refused kg's credentials, cut a result). The web service answers 502 Bad
    Gateway, as a reverse proxy does when the server behind it fails."""


class UpstreamTimeout(UpstreamError):
    """A remote store's SPARQL server did not answer in time (the web service answers 504)."""


class QueryError(KGError):
    """A SPARQL query or update is malformed or refused."""


@dataclass(frozen=True)
class Violation:
    """One SHACL result, tied back to the record it came from."""

    focus_node: str
    path: str | None
    message: str
    severity: str
    constraint: str
    shape: str | None
    source: str | None = None
    line: int | None = None
    record: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source if self.line is None else f"{self.source}:{self.line}"
            where += ": "
        record = f"record {self.record!r}, " if self.record else ""
        path = f"path {self.path}, " if self.path else ""  # SPARQL path text: <iri>, ^<iri>
        return f"{where}{record}focus <{self.focus_node}>, {path}{self.message}"


class ErrorReport(KGError):
    """Several errors found in one run, reported together (never only the first)."""

    def __init__(self, message: str, errors: Sequence[KGError | Violation]) -> None:
        super().__init__(message)
        self.errors = list(errors)

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {error}" for error in self.errors)])


class ValidationFailed(ErrorReport):
    """Records do not conform to the shapes; nothing was written."""


class SourceErrors(ErrorReport):
    """Records of one or more files could not be read; nothing was written."""
