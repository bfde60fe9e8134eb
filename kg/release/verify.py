"""``kg verify``: is a release folder whole, readable and valid? Every problem names its file.

Three kinds of checks, all run, all problems reported together:

1. checksums: every file listed in ``SHA256SUMS`` exists and has its SHA-256; no file is
   unlisted; the files every release has are there;
2. parsing: the data files (gzip N-Quads and Turtle), every Turtle file, the SPARQL Update and
   the text files are read to their end; ``void.ttl`` states the true triple count and the true
   byte size and SHA-256 of each distribution;
3. SHACL: the N-Quads, loaded into a scratch on-disk store (bounded memory), conform to the
   release's own ``shapes/``, one named graph at a time (see ``kg.release.validation``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Quad, QuerySolutions, RdfFormat, parse
from pyoxigraph import Store as OxStore

from kg.errors import ErrorReport, KGError, SourceError
from kg.release import layout
from kg.release.describe import DCAT, SPDX
from kg.release.gzipped import READ_ERRORS, open_input, read_error
from kg.release.validation import load_shapes, same_as_project_shapes, validate_by_graph
from kg.store import EmbeddedStore
from kg.vocab import VOID

Progress = Callable[[str], None]
REQUIRED = (layout.DATA_NQUADS, layout.DATA_TURTLE, layout.DESCRIPTION, layout.VALIDATION,
            layout.README)
MAX_VIOLATIONS_SHOWN = 20


class ReleaseInvalid(ErrorReport):
    """A release folder failed ``kg verify``; ``errors`` name each file at fault."""


@dataclass(frozen=True)
class VerifyReport:
    """A release that verified: how many files, quads, triples and graphs it holds."""

    folder: Path
    files: int
    quads: int
    triples: int
    graphs: int
    engine: str


def verify_release(folder: Path, *, engine: str = "sparql",
                   progress: Progress | None = None) -> VerifyReport:
    """Check the release in ``folder``; raise ReleaseInvalid listing every problem found.

    ``engine`` is the SHACL engine; the ``sparql`` engine is used only when the release's
    shapes are the project's, else pyshacl checks the release's own shapes.
    """
    if not folder.is_dir():
        raise SourceError("no such release folder", source=str(folder))
    sums = layout.read_sums(folder)
    problems: list[KGError] = []
    if progress:
        progress(f"checking {len(sums)} checksums")
    problems.extend(_check_sums(folder, sums))
    present = [name for name in sums if (folder / name).is_file()]
    quads = triples = graphs = 0
    with tempfile.TemporaryDirectory(prefix="kg-verify-") as tmp:
        scratch = EmbeddedStore(Path(tmp) / "store")
        try:
            for name in present:
                if progress:
                    progress(f"reading {name}")
                path = folder / name
                try:
                    if name == layout.DATA_NQUADS:
                        quads = _load(path, scratch)
                        graphs = len(scratch.named_graphs())
                    elif name == layout.DATA_TURTLE:
                        triples = _count(path, RdfFormat.TURTLE)
                    elif name.endswith(".ttl"):
                        _count(path, RdfFormat.TURTLE)
                    elif name.endswith(".ru"):
                        _parse_update(path)
                    else:
                        path.read_bytes().decode("utf-8")
                except UnicodeDecodeError as error:
                    problems.append(SourceError(f"not UTF-8 text: {error}", source=str(path)))
                except KGError as error:
                    problems.append(error)
            if layout.DESCRIPTION in present and layout.DATA_TURTLE in present:
                problems.extend(_check_description(folder, triples))
            unreadable = {problem.source for problem in problems}
            files = _shape_files(folder)
            if engine != "sparql" or not files or not same_as_project_shapes(files):
                engine = "pyshacl"
            if (layout.DATA_NQUADS in present and files
                    and not unreadable & {str(path) for path in [folder / layout.DATA_NQUADS,
                                                                  *files]}):
                problems.extend(_check_shapes(folder, files, scratch, engine, progress))
        finally:
            scratch.close()
    if problems:
        raise ReleaseInvalid(f"{folder}: the release does not verify "
                             f"({len(problems)} problem(s))", problems)
    return VerifyReport(folder, len(sums) + 1, quads, triples, graphs, engine)


def _check_sums(folder: Path, sums: dict[str, str]) -> Iterable[KGError]:
    for name, expected in sums.items():
        path = folder / name
        if not path.is_file():
            yield SourceError("missing: listed in SHA256SUMS but not in the release",
                              source=str(path))
            continue
        actual = layout.sha256_file(path)
        if actual != expected:
            yield SourceError(f"checksum mismatch: SHA256SUMS says {expected}, the file has "
                              f"{actual}", source=str(path))
    for name in layout.release_files(folder):
        if name not in sums:
            yield SourceError("not listed in SHA256SUMS", source=str(folder / name))
    for name in REQUIRED:
        if name not in sums and not (folder / name).is_file():
            yield SourceError("missing: every release has this file", source=str(folder / name))
    if not _shape_files(folder) and not any(n.startswith(f"{layout.SHAPES}/") for n in sums):
        yield SourceError("missing: the shapes the data was validated against",
                          source=str(folder / layout.SHAPES))


def _shape_files(folder: Path) -> list[Path]:
    return sorted((folder / layout.SHAPES).glob("*.ttl"))


def _syntax(path: Path, fmt: RdfFormat, error: SyntaxError) -> SourceError:
    return SourceError(f"not valid {fmt.name.replace('_', '-')}: {error}", source=str(path),
                       line=getattr(error, "lineno", None))


def _count(path: Path, fmt: RdfFormat) -> int:
    count = 0
    try:
        with open_input(path) as stream:
            for _ in parse(stream, format=fmt):
                count += 1
    except SyntaxError as error:
        raise _syntax(path, fmt, error) from None
    except READ_ERRORS as error:
        raise read_error(path, error) from None
    return count


def _load(path: Path, store: EmbeddedStore) -> int:
    """Parse the N-Quads at ``path`` into ``store``; return the number of quads."""
    count = 0

    def quads() -> Iterator[Quad]:
        nonlocal count
        with open_input(path) as stream:
            for quad in parse(stream, format=RdfFormat.N_QUADS):
                count += 1
                yield quad

    try:
        store.replace_graphs([], quads())
    except SyntaxError as error:
        raise _syntax(path, RdfFormat.N_QUADS, error) from None
    except READ_ERRORS as error:
        raise read_error(path, error) from None
    return count


def _parse_update(path: Path) -> None:
    try:
        OxStore().update(path.read_text("utf-8"))
    except SyntaxError as error:
        raise SourceError(f"not a valid SPARQL Update: {error}", source=str(path)) from None


_DISTRIBUTIONS = f"""
SELECT ?url ?size ?sha256 WHERE {{
  ?dataset <{DCAT.distribution}> ?d .
  ?d <{DCAT.downloadURL}> ?url ; <{DCAT.byteSize}> ?size ;
     <{SPDX.checksum}>/<{SPDX.checksumValue}> ?sha256 .
}}"""


def _check_description(folder: Path, triples: int) -> Iterable[KGError]:
    """``void.ttl`` against the files: triple count, and each distribution's size and digest."""
    path = folder / layout.DESCRIPTION
    store = OxStore()
    try:
        store.load(path=str(path), format=RdfFormat.TURTLE)
    except (SyntaxError, OSError):
        return  # already reported by the parsing check
    stated = store.query(f"SELECT ?n WHERE {{ ?d <{VOID.triples}> ?n ; a <{VOID.Dataset}> }}")
    assert isinstance(stated, QuerySolutions)
    counts = {int(row["n"].value) for row in stated if row["n"] is not None}
    if counts != {triples}:
        yield SourceError(f"states {sorted(counts)} triples; {layout.DATA_TURTLE} holds "
                          f"{triples}", source=str(path))
    rows = store.query(_DISTRIBUTIONS)
    assert isinstance(rows, QuerySolutions)
    described = 0
    for row in rows:
        url, size, digest = (row[key] for key in ("url", "size", "sha256"))
        if url is None or size is None or digest is None:
            continue
        described += 1
        name = url.value.rsplit("/", 1)[-1]
        data = folder / name
        if not data.is_file():
            yield SourceError(f"describes {name}, which is not in the release", source=str(path))
            continue
        if int(size.value) != data.stat().st_size or digest.value != layout.sha256_file(data):
            yield SourceError(f"the size or SHA-256 it states for {name} is not the file's",
                              source=str(path))
    if described < 2:
        yield SourceError("describes fewer than the two data files", source=str(path))


def _check_shapes(folder: Path, files: list[Path], scratch: EmbeddedStore, engine: str,
                  progress: Progress | None) -> Iterable[KGError]:
    shapes = None if engine == "sparql" else load_shapes(files)
    report = validate_by_graph(scratch, engine=engine, shapes=shapes, progress=progress)
    data = str(folder / layout.DATA_NQUADS)
    for violation in report.violations[:MAX_VIOLATIONS_SHOWN]:
        yield SourceError(f"does not conform to the release's shapes: {violation}", source=data)
    extra = len(report.violations) - MAX_VIOLATIONS_SHOWN
    if extra > 0:
        yield SourceError(f"and {extra} more SHACL violation(s)", source=data)
