"""The SHACL shapes, driven by ``tests/data/shapes/valid`` and ``invalid``; and their coverage.

Each invalid file starts with ``# violates: TOKEN ...``: a token is a constraint component or
a shape (a CURIE of the file's prefixes, or ``<IRI>``), optionally ``@PATH`` for the result
path. pyshacl must report exactly those: every result matches a token, every token a result.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyoxigraph
import pyshacl
import pytest
from pyoxigraph import Quad, RdfFormat
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg import mapper, validate_sparql
from kg.mapper import GraphWriter, map_provenance
from kg.store import EmbeddedStore
from kg.validate import shapes_graph, to_rdflib, validate_graph, validate_quads
from tests.conftest import TEST_DATA
from tests.test_mapper import (
    FULL_RECORD,
    GRAPH,
    MINTER,
    PAGES,
    PROVENANCE_SOURCE,
    mapped,
    page_records,
)

CASES = TEST_DATA / "shapes"
VALID = sorted((CASES / "valid").glob("*.ttl"))
INVALID = sorted((CASES / "invalid").glob("*.ttl"))


@dataclass(frozen=True)
class Result:
    component: str
    shape: str
    path: str | None
    focus: str


def shacl(data: Graph) -> tuple[bool, list[Result]]:
    """pyshacl with the settings of ``kg.validate`` (SHACL-SPARQL on, no inference)."""
    conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes_graph(), advanced=True,
                                           inference="none", allow_warnings=True)
    results = []
    for node in report.subjects(RDF.type, SH.ValidationResult):
        assert report.value(node, SH.resultSeverity) == SH.Violation
        path = report.value(node, SH.resultPath)
        results.append(Result(component=str(report.value(node, SH.sourceConstraintComponent)),
                              shape=str(report.value(node, SH.sourceShape)),
                              path=str(path) if isinstance(path, URIRef) else None,
                              focus=str(report.value(node, SH.focusNode))))
    return bool(conforms), results


_PREFIX = re.compile(r"^@prefix\s+([A-Za-z][\w-]*)?:\s*<([^>]*)>\s*\.", re.MULTILINE)


def expand(prefixes: dict[str, str], text: str) -> str:
    """``<IRI>`` or a CURIE of the file's own ``@prefix`` lines (not rdflib's defaults)."""
    if text.startswith("<") and text.endswith(">"):
        return text[1:-1]
    prefix, _, local = text.partition(":")
    return prefixes[prefix] + local


def expected_violations(path: Path) -> set[tuple[str, str | None]]:
    text = path.read_text("utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# violates: "), f"{path.name}: first line must say what it violates"
    prefixes = {name or "": iri for name, iri in _PREFIX.findall(text)}
    tokens = set()
    for token in first.removeprefix("# violates: ").split():
        term, _, result_path = token.partition("@")
        tokens.add((expand(prefixes, term),
                    expand(prefixes, result_path) if result_path else None))
    return tokens


def matches(token: tuple[str, str | None], result: Result) -> bool:
    term, path = token
    return term in (result.component, result.shape) and (path is None or path == result.path)


def test_the_case_lists_are_not_empty() -> None:
    assert len(VALID) >= 3
    assert len(INVALID) >= 15


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_case_conforms(path: Path) -> None:
    conforms, results = shacl(Graph().parse(path, format="turtle"))
    assert results == []
    assert conforms


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_case_violates_exactly_what_it_says(path: Path) -> None:
    data = Graph().parse(path, format="turtle")
    expected = expected_violations(path)
    conforms, results = shacl(data)
    assert not conforms
    unexpected = [r for r in results if not any(matches(token, r) for token in expected)]
    missing = [token for token in expected if not any(matches(token, r) for r in results)]
    assert unexpected == [], f"reported but not stated in {path.name}"
    assert missing == [], f"stated in {path.name} but not reported"


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_kg_validate_reports_the_same_components(path: Path) -> None:
    data = Graph().parse(path, format="turtle")
    _, results = shacl(data)
    report = validate_graph(data)
    assert not report.conforms
    assert sorted((v.constraint, v.focus_node) for v in report.results) == sorted(
        (r.component, r.focus) for r in results)


CASE_FILES = [*VALID, *INVALID]


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.parent.name + "/" + p.stem for p in CASE_FILES])
def test_the_sparql_validator_agrees_with_pyshacl(path: Path) -> None:
    # kg ingest validates with the shapes compiled to SPARQL; pyshacl is the reference
    _, results = shacl(Graph().parse(path, format="turtle"))
    quads = list(pyoxigraph.parse(path.read_bytes(), format=RdfFormat.TURTLE))
    report = validate_sparql.validate_quads(quads)
    assert report.conforms == (results == [])
    assert sorted({(v.focus_node, v.constraint) for v in report.results}) == sorted(
        {(r.focus, r.component) for r in results})


# What the mapper writes conforms, and the shapes cover all of it.

def fixture_quads() -> list[Quad]:
    papers = [*page_records(PAGES / "well-formed.txt"), *page_records(PAGES / "broken.txt"),
              FULL_RECORD]
    out = GraphWriter(GRAPH)
    now = datetime.now(UTC)
    map_provenance(out, MINTER, PROVENANCE_SOURCE, "0.1.0", now, now)
    return [*mapped(papers), *out.quads()]


def test_mapped_fixtures_conform() -> None:
    report = validate_quads(fixture_quads())
    assert report.results == ()
    assert report.conforms


def _targets(shapes: Graph, shape: Node, data: Graph) -> set[Node]:
    focus: set[Node] = set(shapes.objects(shape, SH.targetNode))
    for cls in shapes.objects(shape, SH.targetClass):
        focus.update(data.subjects(RDF.type, cls))
    for predicate in shapes.objects(shape, SH.targetSubjectsOf):
        focus.update(data.subjects(predicate, None))
    for predicate in shapes.objects(shape, SH.targetObjectsOf):
        focus.update(data.objects(None, predicate))
    return focus


def uncovered(data: Graph) -> Iterator[str]:
    """Classes that no shape targets; (class of subject, predicate) that no shape of it checks."""
    shapes = shapes_graph()
    target_classes = set(shapes.objects(None, SH.targetClass))
    for cls in sorted(set(data.objects(None, RDF.type))):
        if cls not in target_classes:
            yield f"class {cls.n3()} is the target class of no shape"
    checked: dict[Node, set[Node]] = defaultdict(set)  # focus node -> paths checked on it
    for shape in set(shapes.subjects(RDF.type, SH.NodeShape)):
        paths = {shapes.value(prop, SH.path) for prop in shapes.objects(shape, SH.property)}
        for node in _targets(shapes, shape, data):
            checked[node].update(p for p in paths if isinstance(p, URIRef))
    seen = set()
    for subject, predicate, _ in data:
        if predicate == RDF.type or predicate in checked[subject]:
            continue
        classes = " ".join(sorted(c.n3() for c in data.objects(subject, RDF.type))) or "untyped"
        if (classes, predicate) not in seen:
            seen.add((classes, predicate))
            yield f"{predicate.n3()} on a node of {classes} is the path of no shape targeting it"


def test_shapes_cover_everything_the_mapper_writes_for_the_example(
        example_store: EmbeddedStore) -> None:
    assert list(uncovered(to_rdflib(example_store.quads()))) == []


def test_shapes_cover_everything_the_mapper_writes_for_the_fixtures() -> None:
    assert list(uncovered(to_rdflib(fixture_quads()))) == []


@pytest.mark.parametrize("table", ["PAPER_CLASSES", "VOLUME_CLASSES", "PERSON_CLASSES",
                                   "ORGANIZATION_CLASSES", "VENUE_CLASSES", "EVENT_CLASSES"])
def test_every_class_of_the_mapper_tables_is_a_target_class(table: str) -> None:
    rows = getattr(mapper, table)
    classes = {cls for row in (rows.values() if isinstance(rows, dict) else [rows])
               for cls in row}
    assert classes
    targets = {str(cls) for cls in shapes_graph().objects(None, SH.targetClass)}
    assert sorted(str(cls) for cls in classes if str(cls) not in targets) == []


def test_coverage_check_finds_an_unchecked_predicate() -> None:
    data = Graph().parse(VALID[0])
    paper = URIRef("http://example.org/paper")
    data.add((paper, URIRef("http://schema.org/keywords"), paper))
    data.add((paper, RDF.type, URIRef("http://schema.org/Thing")))
    found = list(uncovered(data))
    assert "class <http://schema.org/Thing> is the target class of no shape" in found
    assert any(line.startswith("<http://schema.org/keywords> on a node of") for line in found)


def test_a_violation_reads_with_its_focus_and_path() -> None:
    report = validate_graph(Graph().parse(CASES / "invalid" / "two-dois.ttl"))
    (violation,) = report.results
    assert str(violation).startswith(
        "focus <http://example.org/paper>, path <http://purl.org/ontology/bibo/doi>, ")
