"""``kg release``: write a new, complete, immutable release folder from a store.

The folder is built as a hidden ``.NAME.*.partial`` folder beside its final place (sort scratch
included, so big releases use the release disk, not ``/tmp``) and renamed into place only when
every file is written and summed; any failure removes the partial folder and leaves no release
behind (only a process killed outright leaves one, which can be deleted).
A store whose data does not conform to the shapes is refused: a release must pass `kg verify`.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from kg.config import default_license
from kg.errors import StoreError, ValidationFailed
from kg.release import layout
from kg.release.data import write_nquads, write_turtle
from kg.release.describe import (
    DataStats,
    Distribution,
    ReleaseFacts,
    dataset_iri,
    describe,
    file_url,
)
from kg.release.diff import Changeset, diff
from kg.release.readme import ReadmeFacts, readme
from kg.release.validation import report_turtle, validate_by_graph
from kg.resources import shape_files
from kg.store import Store
from kg.version import VERSION

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ReleaseReport:
    """What ``kg release`` made: where, how much, and how long each step took (seconds)."""

    path: Path
    name: str
    quads: int
    triples: int
    graphs: int
    previous: str | None
    changes: Changeset | None
    timings: dict[str, float] = field(default_factory=dict)


def build_release(store: Store, releases: Path, *, base_iri: str,
                  license: str | None = None, engine: str = "sparql",
                  now: datetime | None = None, progress: Progress | None = None) -> ReleaseReport:
    """Write a release of ``store`` into the folder ``releases``; return what was made.

    ``license`` defaults to ``$KG_LICENSE``, else CC BY 4.0. Raises StoreError for an empty
    store, ValidationFailed (nothing written) when the data does not conform to the shapes, and
    SourceError when the previous release cannot be read.
    """
    started = now or datetime.now(UTC)
    if store.quad_count() == 0:
        raise StoreError("the store is empty: nothing to release", source=store.location)
    releases.mkdir(parents=True, exist_ok=True)
    release_name = layout.next_name(releases, started.date())
    name = str(release_name)
    earlier = layout.list_releases(releases)
    previous = earlier[-1] if earlier else None
    newest = layout.ReleaseName.parse(previous.name) if previous is not None else None
    if previous is not None and newest is not None and newest > release_name:
        raise StoreError(f"release {previous.name} is newer than today ({name}): is the clock "
                         "right?", source=str(previous))
    partial = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=releases))
    final = releases / name
    try:
        report = _write(store, partial, name=name, base_iri=base_iri,
                        license=license or default_license(),
                        engine=engine, started=started, previous=previous, progress=progress)
        _seal(partial)
        try:
            os.rename(partial, final)
        except OSError:  # another `kg release` took the name while this one was built
            raise StoreError(f"a release named {name} appeared while this one was being "
                             "built; run `kg release` again", source=str(final)) from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return replace(report, path=final)


def _write(store: Store, folder: Path, *, name: str, base_iri: str, license: str, engine: str,
           started: datetime, previous: Path | None, progress: Progress | None) -> ReleaseReport:
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def step(done: str, message: str) -> None:
        nonlocal clock
        timings[done] = time.perf_counter() - clock
        clock = time.perf_counter()
        if progress:
            progress(message)

    graphs = len(store.named_graphs())
    if progress:
        progress(f"validating {graphs} graphs ({engine})")
    checked = validate_by_graph(store, engine=engine, progress=progress)
    if not checked.conforms:
        raise ValidationFailed(f"{len(checked.violations)} SHACL violation(s) in the store; "
                               "no release was made", checked.violations)
    step("validation", "writing N-Quads")
    scratch = folder / ".scratch"
    scratch.mkdir()
    nquads = write_nquads(store, folder / layout.DATA_NQUADS, scratch)
    step("nquads", "writing Turtle")
    stats = DataStats()
    turtle = write_turtle(store, folder / layout.DATA_TURTLE, scratch, stats)
    shutil.rmtree(scratch)

    changes = None
    if previous is not None:
        step("turtle", f"comparing with release {previous.name}")
        with (folder / layout.CHANGES_UPDATE).open("wb") as update:
            changes = diff(previous, folder, update=update, names=(previous.name, name))
        (folder / layout.CHANGES_REPORT).write_text(changes.report(), "utf-8")
        step("changes", "writing the description")
    else:
        step("turtle", "writing the description")

    shapes_folder = folder / layout.SHAPES
    shapes_folder.mkdir()
    shapes = []
    for path in shape_files():
        shutil.copyfile(path, shapes_folder / path.name)
        shapes.append(f"{layout.SHAPES}/{path.name}")
    dataset = dataset_iri(base_iri, name)
    (folder / layout.VALIDATION).write_bytes(report_turtle(
        checked, f"{dataset}#validation", [file_url(base_iri, name, s) for s in shapes]))
    facts = ReleaseFacts(
        name=name, base_iri=base_iri, license=license, version=VERSION, started=started,
        ended=datetime.now(UTC), graphs=graphs, quads=nquads.statements, stats=stats,
        distributions=(
            Distribution("nquads", nquads.facts, "All quads, named graphs kept (N-Quads, gzip)",
                         "application/n-quads", "http://www.w3.org/ns/formats/N-Quads"),
            Distribution("turtle", turtle.facts, "All triples, graphs merged (Turtle, gzip)",
                         "text/turtle", "http://www.w3.org/ns/formats/Turtle"),
        ),
        shapes=tuple(shapes), previous=previous.name if previous else None)
    (folder / layout.DESCRIPTION).write_bytes(describe(facts))
    warnings = len(checked.results) - len(checked.violations)
    (folder / layout.README).write_text(readme(ReadmeFacts(
        name=name, version=VERSION, license=license, triples=turtle.statements,
        quads=nquads.statements, graphs=graphs, conforms=checked.conforms, warnings=warnings,
        engine=engine, previous=facts.previous)), "utf-8")
    layout.write_sums(folder)
    step("description", "done")
    return ReleaseReport(folder, name, nquads.statements, turtle.statements, graphs,
                         facts.previous, changes, timings)


def _seal(folder: Path) -> None:
    """Make every file read-only: a release is never written again."""
    read_only = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    for path in folder.rglob("*"):
        if path.is_file():
            path.chmod(read_only)
    folder.chmod(0o755)  # mkdtemp made it private
