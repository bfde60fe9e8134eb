"""One importer per input format; each turns a file into records, reporting every error.

An importer is a module with ``FORMAT`` (its ``--format`` name), ``looks_like(head)`` and
``read(path, source)``, which yields :class:`~kg.records.Paper` records and
:class:`~kg.errors.SourceError` values in file order (errors are yielded, not raised, so that
one file's report holds all of them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

from kg.errors import ConfigError, SourceError
from kg.records import Paper
from kg.sources import acl_xml, author_page, bibtex

Reader = Callable[[Path, str], Iterator[Paper | SourceError]]

IMPORTERS: dict[str, ModuleType] = {author_page.FORMAT: author_page, acl_xml.FORMAT: acl_xml,
                                    bibtex.FORMAT: bibtex}
SUFFIXES: dict[str, str] = {".txt": author_page.FORMAT, ".xml": acl_xml.FORMAT,
                            ".bib": bibtex.FORMAT}


def formats() -> list[str]:
    """The names ``--format`` accepts."""
    return sorted(IMPORTERS)


def detect_format(path: Path) -> str:
    """The format of ``path`` from its content, else from its suffix; ConfigError if unknown."""
    try:
        with path.open("rb") as handle:
            head = handle.read(8192).decode("utf-8", errors="replace")
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror}", source=str(path)) from None
    for name, module in IMPORTERS.items():
        if module.looks_like(head):
            return name
    suffix = path.suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    raise ConfigError(f"cannot tell the format; pass --format ({', '.join(formats())})",
                      source=str(path), field="format")


def reader(format_name: str) -> Reader:
    """The ``read`` function of the importer for ``format_name``."""
    try:
        module = IMPORTERS[format_name]
    except KeyError:
        raise ConfigError(f"unknown format {format_name!r}; expected one of {formats()}",
                          field="format") from None
    read: Reader = module.read
    return read


def input_files(paths: list[Path]) -> list[Path]:
    """Files as given; a folder stands for its files with a known suffix, sorted, recursively."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in SUFFIXES))
        else:
            files.append(path)
    return files
