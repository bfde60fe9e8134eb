"""What a release folder is called and holds, and its ``SHA256SUMS`` file.

A release is a folder named by its UTC date, ``2025-07-28``; a second release on the same day is
``2025-07-28.2``, then ``.3`` and so on (releases sort by date, then counter, never by text). It is
built in a hidden ``.NAME.*.partial`` folder beside it and renamed into place only when complete,
so a folder with a release name always holds a whole release, and `kg` never writes to one again
(its files are made read-only). It holds:

==============================  ==============================================================
``data.nq.gz``                  every quad, named graphs and their provenance kept (N-Quads)
``data.ttl.gz``                 every triple, all graphs merged (Turtle)
``void.ttl``                    the VoID and DCAT description (counts, partitions, checksums)
``validation.ttl``              the SHACL validation report of the released data
``shapes/*.ttl``                the shapes it was validated against
``changes.txt``, ``changes.ru``  what changed since the previous release (report, SPARQL Update)
``README.md``                   how to check and load it
``SHA256SUMS``                  the SHA-256 of every other file, as ``sha256sum -c`` reads it
==============================  ==============================================================
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from kg.errors import SourceError

DATA_NQUADS = "data.nq.gz"
DATA_TURTLE = "data.ttl.gz"
DESCRIPTION = "void.ttl"
VALIDATION = "validation.ttl"
SHAPES = "shapes"
CHANGES_REPORT = "changes.txt"
CHANGES_UPDATE = "changes.ru"
README = "README.md"
SUMS = "SHA256SUMS"

_NAME = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})(?:\.(?P<counter>[2-9]|[1-9]\d+))?")
_SUM_LINE = re.compile(r"(?P<digest>[0-9a-f]{64}) [ *](?P<name>[^\n]+)")


@dataclass(frozen=True, order=True)
class ReleaseName:
    """A release's date and its counter on that day (1 for the first, written without it)."""

    day: date
    counter: int = 1

    def __str__(self) -> str:
        day = self.day.isoformat()
        return day if self.counter == 1 else f"{day}.{self.counter}"

    @classmethod
    def parse(cls, text: str) -> ReleaseName | None:
        """The name ``text`` stands for, or None when it is not a release name."""
        match = _NAME.fullmatch(text)
        if match is None:
            return None
        try:
            day = date.fromisoformat(match["date"])
        except ValueError:
            return None
        return cls(day, int(match["counter"] or 1))


def list_releases(folder: Path) -> list[Path]:
    """The complete releases in ``folder``, oldest first (an absent folder holds none)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        name = ReleaseName.parse(path.name)
        if name is not None and path.is_dir() and (path / SUMS).is_file():
            found.append((name, path))
    return [path for _, path in sorted(found)]


def next_name(folder: Path, day: date) -> ReleaseName:
    """The name of a new release made on ``day`` in ``folder``."""
    names = [path.name for path in folder.iterdir()] if folder.is_dir() else []
    taken = {ReleaseName.parse(name) for name in names}
    counter = 1
    while ReleaseName(day, counter) in taken:
        counter += 1
    return ReleaseName(day, counter)


def sha256_file(path: Path) -> str:
    """The hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def release_files(folder: Path) -> list[str]:
    """Every file under ``folder`` but ``SHA256SUMS``, as sorted POSIX paths relative to it."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*")
                  if path.is_file() and path.relative_to(folder).as_posix() != SUMS)


def write_sums(folder: Path) -> dict[str, str]:
    """Write ``SHA256SUMS`` for every file of ``folder``; return name -> digest."""
    sums = {name: sha256_file(folder / name) for name in release_files(folder)}
    text = "".join(f"{digest}  {name}\n" for name, digest in sums.items())
    (folder / SUMS).write_text(text, "utf-8")
    return sums


def read_sums(folder: Path) -> dict[str, str]:
    """The name -> digest table of ``folder/SHA256SUMS``.

    Raises SourceError naming the file (and the line) when it is missing or malformed; a name
    that leaves the folder (absolute, or with ``..``) is malformed.
    """
    path = folder / SUMS
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise SourceError("missing: every release has a SHA256SUMS file",
                          source=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SourceError(f"cannot read: {error}", source=str(path)) from None
    sums: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _SUM_LINE.fullmatch(line)
        name = match["name"] if match else ""
        if match is None or name.startswith("/") or ".." in Path(name).parts or name in sums:
            raise SourceError("not a line of the form '<sha256>  <file>' naming another file "
                              "inside the release", source=str(path), line=number)
        sums[name] = match["digest"]
    return sums
