"""Reading and writing the gzip files of a release, with their size and SHA-256 taken on the way.

Written as ``kg dump`` writes ``.gz`` (no file name, a zero timestamp, level 9), so the same
data always gives the same bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from kg.errors import SourceError
from kg.release.describe import FileFacts


class _Digesting:
    """A binary file that also counts and hashes what is written to it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class GzipOutput:
    """A ``.gz`` file being written; ``facts`` holds its size and SHA-256 once closed."""

    def __init__(self, path: Path, name: str) -> None:
        self.path = path
        self.name = name
        self.facts: FileFacts | None = None

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        with self.path.open("wb") as raw:
            digesting = _Digesting(raw)
            with gzip.GzipFile(filename="", mode="wb", fileobj=digesting, mtime=0) as zipped:
                yield cast(IO[bytes], zipped)
        self.facts = FileFacts(self.name, digesting.size, digesting.digest.hexdigest())


READ_ERRORS = (OSError, EOFError, zlib.error)


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    """``path`` for reading, uncompressed when it ends in ``.gz``; SourceError if missing."""
    try:
        raw = path.open("rb")
    except OSError as error:
        raise SourceError(f"cannot read: {error.strerror}", source=str(path)) from None
    with raw:
        if path.suffix == ".gz":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield cast(IO[bytes], unzipped)
        else:
            yield raw


def read_error(path: Path, error: BaseException) -> SourceError:
    """A SourceError naming ``path`` for a gzip or I/O failure while reading it."""
    if isinstance(error, EOFError):
        return SourceError("truncated: the gzip stream ends before its end marker",
                           source=str(path))
    if isinstance(error, gzip.BadGzipFile | zlib.error):
        return SourceError(f"not a valid gzip file: {error}", source=str(path))
    return SourceError(f"cannot read: {error}", source=str(path))
