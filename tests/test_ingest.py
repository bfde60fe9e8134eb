"""The streaming ingest: batches, worker processes, the whole-source check and the spool.

The promise under test: however the records are cut into batches and however many processes
map them, the store ends up with the same graph, and validation reaches the verdicts of one
pyshacl run over the whole graph.
"""

from __future__ import annotations

import dataclasses
import pickle
import tempfile
from pathlib import Path

import pytest
from pyoxigraph import NamedNode

from kg import validate
from kg.errors import ValidationFailed, Violation
from kg.identity import PersonRef, ResolvedMinter, people_of, resolve_people
from kg.ingest import ingest, validate_files
from kg.ingest.batches import VALIDATORS, BatchTask, run_batch
from kg.ingest.shared import check_shared
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_paper
from kg.records import Contributor, Paper
from kg.sources import author_page, reader
from kg.store import EmbeddedStore
from tests.conftest import BASE, EXAMPLE, SHARED_DATA, TEST_DATA

XREC = TEST_DATA / "ingest" / "2024.xrec.xml"
GRAPH = IriMinter(BASE).graph("records.txt")


def example_records() -> list[Paper]:
    return [item for item in author_page.read(EXAMPLE, EXAMPLE.name) if isinstance(item, Paper)]


def faulty_records() -> list[Paper]:
    """The example's records with faults a shape catches, on records' own nodes and on nodes
    many records share (one ORCID under two ACL person ids, on records far apart)."""
    papers = example_records()
    orcid = "0000-0002-1825-0097"
    first, second = (Contributor(name=name, acl_id=acl, orcid=orcid)
                     for name, acl in (("Jane Doe", "jane-doe"), ("Jane Roe", "jane-roe")))
    papers[0] = dataclasses.replace(papers[0], authors=(first, *papers[0].authors))
    papers[-1] = dataclasses.replace(papers[-1], authors=(*papers[-1].authors, second))
    papers[2] = dataclasses.replace(papers[2], language="english")  # not a 2-3 letter code
    papers[4] = dataclasses.replace(papers[4], acl_id="not an ACL id")
    papers[5] = dataclasses.replace(papers[5], doi="11.1/not-a-doi")
    return papers


def renames_of(papers: list[Paper]) -> dict[str, str]:
    minter = IriMinter(BASE)
    return resolve_people((PersonRef.of(minter, p) for paper in papers
                           for p in people_of(paper)), None, set())


def names_of(papers: list[Paper], minter: IriMinter) -> dict[str, str]:
    names: dict[str, str] = {}
    for paper in papers:
        for person in people_of(paper):
            names.setdefault(minter.person(person), person.name)
    return names


def verdicts(violations: list[Violation]) -> set[tuple[str, str | None, str]]:
    return {(v.focus_node, v.path, v.constraint) for v in violations}


def whole_graph_verdicts(papers: list[Paper]) -> set[tuple[str, str | None, str]]:
    """pyshacl over everything the records map to, at once: the reference."""
    minter = ResolvedMinter(BASE, renames_of(papers))
    out = GraphWriter(GRAPH, names_of(papers, minter))
    for paper in papers:
        map_paper(out, minter, paper)
    return verdicts(list(validate.validate_quads(out.quads()).results))


def batched_verdicts(papers: list[Paper], size: int,
                     folder: Path) -> set[tuple[str, str | None, str]]:
    """The ingest's two checks: each batch on its own, then the shared nodes of all batches."""
    minter = ResolvedMinter(BASE, renames_of(papers))
    names = names_of(papers, minter)
    results = []
    for number, start in enumerate(range(0, len(papers), size)):
        spooled = folder / f"{number}.records"
        spooled.write_bytes(pickle.dumps(papers[start:start + size]))
        task = BatchTask(number, GRAPH, ((spooled, None),), BASE, minter.renames, names,
                         folder / f"{number}.nq")
        results.append(run_batch(task))
    shared, _ = check_shared(results, [], VALIDATORS["sparql"], source="records.txt")
    return verdicts([*[p for r in results for p in r.problems if isinstance(p, Violation)],
                     *shared])


@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_batched_validation_reaches_the_verdicts_of_pyshacl_on_the_whole_graph(
        size: int, tmp_path: Path) -> None:
    papers = faulty_records()
    expected = whole_graph_verdicts(papers)
    constraints = {constraint.rsplit("#", 1)[-1] for _, _, constraint in expected}
    assert {"PatternConstraintComponent", "MaxCountConstraintComponent"} <= constraints
    assert any(focus.endswith("/person/jane-doe") for focus, _, _ in expected)  # shared
    assert batched_verdicts(papers, size, tmp_path) == expected


def test_valid_records_give_no_verdicts_in_any_batching(tmp_path: Path) -> None:
    papers = example_records()
    assert whole_graph_verdicts(papers) == set()
    assert batched_verdicts(papers, 2, tmp_path) == set()


def test_a_fault_only_the_union_of_records_shows_stops_the_ingest(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    ingest(store, [EXAMPLE], base_iri=BASE)
    before = sorted(map(str, store.quads()))
    for size in (1, 100):
        with pytest.raises(ValidationFailed) as failure:
            ingest(store, [XREC], base_iri=BASE, batch_size=size)
        (violation,) = failure.value.errors
        assert isinstance(violation, Violation)
        assert violation.focus_node == f"{BASE}person/jane-doe"
        assert violation.constraint.endswith("MaxCountConstraintComponent")
        assert (violation.source, violation.line) == (str(XREC), 14)  # the first record naming it
        assert sorted(map(str, store.quads())) == before


def test_skip_invalid_leaves_out_every_record_naming_a_faulty_shared_node(
        tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    report = ingest(store, [XREC], base_iri=BASE, batch_size=1, skip_invalid=True)
    assert report.papers == 2
    assert [v.focus_node for v in report.skipped if isinstance(v, Violation)] == [
        f"{BASE}person/jane-doe"]
    titles = {str(q.object.value) for q in store.quads()
              if q.predicate == NamedNode("http://schema.org/name")
              and "/paper/" in q.subject.value}
    assert titles == {"A Valid Paper", "Another Valid Paper"}


def inputs() -> list[Path]:
    files = [EXAMPLE, *sorted((TEST_DATA / "identity").iterdir()),
             TEST_DATA / "acl-xml" / "2023.crac-mini.xml"]
    files += sorted((SHARED_DATA / "acl-xml").glob("*.xml")) if SHARED_DATA.is_dir() else []
    return [path for path in files if path.is_file()]


def stored(store: EmbeddedStore) -> list[str]:
    """The store's quads without the times provenance records (they differ per run)."""
    return sorted(str(q) for q in store.quads() if "dateTime" not in str(q.object))


def test_worker_processes_and_any_batch_size_write_the_same_graph(tmp_path: Path) -> None:
    paths = inputs()
    one = EmbeddedStore(tmp_path / "one")
    report_one = ingest(one, paths, base_iri=BASE, jobs=1)
    many = EmbeddedStore(tmp_path / "many")
    report_many = ingest(many, paths, base_iri=BASE, jobs=2, batch_size=3)
    assert stored(one) == stored(many)
    assert report_one.papers == report_many.papers > 0
    assert report_one.quads == report_many.quads == one.quad_count()


def test_worker_processes_report_problems_like_one_process(tmp_path: Path) -> None:
    failures = []
    for jobs in (1, 2):
        with pytest.raises(ValidationFailed) as failure:
            validate_files([EXAMPLE, XREC], base_iri=BASE, jobs=jobs)
        failures.append([str(error) for error in failure.value.errors])
    assert failures[0] == failures[1] and len(failures[0]) == 1


def test_the_spool_is_removed_after_success_and_failure(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    store = EmbeddedStore(tmp_path / "store")
    ingest(store, [EXAMPLE], base_iri=BASE)
    with pytest.raises(ValidationFailed):
        ingest(store, [XREC], base_iri=BASE)
    assert list(spool.iterdir()) == []


def test_records_resolving_to_one_paper_are_validated_in_one_batch(tmp_path: Path) -> None:
    # The same paper twice in one file (BibTeX files do this): its two records must meet in one
    # batch, or a batch would see half a paper.
    bib = tmp_path / "twice.bib"
    entry = ("@inproceedings{{{key},\n  title = {{A Paper Printed Twice}},\n"
             "  author = {{Doe, Jane}},\n  booktitle = {{Proceedings of Something}},\n"
             "  year = {{2024}},\n  doi = {{10.1234/twice}}\n}}\n\n")
    filler = "".join(entry.replace("Twice", f"Number {n}").replace("10.1234/twice",
                                                                     f"10.1234/n{n}")
                     .format(key=f"n{n}") for n in range(5))
    bib.write_text(entry.format(key="first") + filler + entry.format(key="second"), "utf-8")
    store = EmbeddedStore(tmp_path / "store")
    single = ingest(store, [bib], base_iri=BASE, batch_size=100)
    quads_single = stored(store)
    batched = ingest(store, [bib], base_iri=BASE, batch_size=2)
    assert stored(store) == quads_single
    assert single.papers == batched.papers == 7


def test_reader_records_reach_the_store_unchanged_through_the_spool(tmp_path: Path) -> None:
    records = [item for item in reader("acl-xml")(XREC, str(XREC)) if isinstance(item, Paper)]
    store = EmbeddedStore(tmp_path / "store")
    ingest(store, [XREC], base_iri=BASE, skip_invalid=True)
    lines = {q.object.value for q in store.quads()
             if q.predicate == NamedNode("https://w3id.org/scholarly-kg/ontology#sourceLine")}
    kept = {str(r.location.line) for r in records if r.title.startswith(("A ", "Another"))}
    assert lines == kept
