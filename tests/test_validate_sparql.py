"""The fast validator (shapes compiled to SPARQL) gives pyshacl's verdicts, case by case."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, parse

from kg import validate, validate_sparql
from kg.errors import KGError
from kg.ingest import describe_file
from kg.iris import IriMinter
from kg.mapper import GraphWriter, map_provenance
from kg.validate import ValidationReport
from kg.vocab import DCTERMS, FOAF, KG, RDF, SDO, XSD
from tests.conftest import BASE, EXAMPLE, SHARED_DATA, TEST_DATA
from tests.mapping import file_quads

Mutation = Callable[[list[Quad]], list[Quad]]


def verdict(report: ValidationReport) -> tuple[bool, set[tuple[str, str, str]]]:
    return report.conforms, {(r.focus_node, r.path or "", r.constraint) for r in report.results}


def assert_same_verdicts(quads: list[Quad]) -> ValidationReport:
    reference = validate.validate_quads(quads)
    fast = validate_sparql.validate_quads(quads)
    only_reference = verdict(reference)[1] - verdict(fast)[1]
    only_fast = verdict(fast)[1] - verdict(reference)[1]
    assert verdict(reference) == verdict(fast), (
        f"pyshacl only: {sorted(only_reference)}\nsparql only: {sorted(only_fast)}")
    return reference


def example_quads() -> list[Quad]:
    minter = IriMinter(BASE)
    out = GraphWriter(minter.graph(EXAMPLE.name))
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    map_provenance(out, minter, describe_file(EXAMPLE, "author-page"), "0.0.0", moment, moment)
    return list({*file_quads(EXAMPLE, minter), *out.quads()})


def node(value: str) -> NamedNode:
    return NamedNode(value)


def drop(predicate: str, match: str = "") -> Mutation:
    def mutate(quads: list[Quad]) -> list[Quad]:
        victim = next(q for q in quads if q.predicate == node(predicate)
                      and match in str(q.subject))
        return [q for q in quads if q != victim]
    return mutate


def replace_object(predicate: str, new: Literal | NamedNode, match: str = "") -> Mutation:
    def mutate(quads: list[Quad]) -> list[Quad]:
        victim = next(q for q in quads if q.predicate == node(predicate)
                      and match in str(q.subject))
        return [q for q in quads if q != victim] + [
            Quad(victim.subject, victim.predicate, new, victim.graph_name)]
    return mutate


def add(subject_match: str, predicate: str, obj: Literal | NamedNode) -> Mutation:
    def mutate(quads: list[Quad]) -> list[Quad]:
        subject = next(q.subject for q in quads if str(q.subject).endswith(subject_match + ">"))
        return [*quads, Quad(subject, node(predicate), obj, quads[0].graph_name)]
    return mutate


def _share_a_slot(quads: list[Quad]) -> list[Quad]:
    """Link the first slot of one paper from another paper as well."""
    links = [q for q in quads if q.predicate == node(KG.authorship)]
    first, other = links[0], next(q for q in links if q.subject != links[0].subject)
    return [*quads, Quad(other.subject, first.predicate, first.object, first.graph_name)]


INTEGER = node(XSD.integer)
OWNER = f"{BASE}person/zhenguo-li"

MUTATIONS: dict[str, Mutation] = {
    "unchanged": list,
    "title missing": drop(SDO.name, "/paper/"),
    "dcterms title missing": drop(DCTERMS.title, "/paper/"),
    "untagged title": replace_object(SDO.name, Literal("A title"), "/paper/"),
    "date as plain string": replace_object(SDO.datePublished, Literal("2025"), "/paper/"),
    "two slots at one position": replace_object(KG.position, Literal("1", datatype=INTEGER),
                                                "/author/2"),
    "position zero": replace_object(KG.position, Literal("0", datatype=INTEGER), "/author/1"),
    "gap in positions": replace_object(KG.position, Literal("9", datatype=INTEGER),
                                       "e91d585c/author/2"),
    "list cell without rdf:first": drop(RDF.first, "/author-list/3"),
    "list cell with two rdf:first": add("/author-list/1", RDF.first, node(OWNER)),
    "list cell without rdf:rest": drop(RDF.rest, "/author-list/2"),
    "author link missing": drop(SDO.author, "/paper/"),
    "slot without person": drop(KG.person, "/author/4"),
    "slot of two records": lambda quads: _share_a_slot(quads),
    "person without foaf:Person": lambda quads: [
        q for q in quads if not (q.object == node(FOAF.Person) and str(q.subject) == f"<{OWNER}>")],
    "bad ORCID IRI": add("/person/zhenguo-li", SDO.sameAs, node("https://orcid.org/123")),
    "good ORCID IRI": add("/person/zhenguo-li", SDO.sameAs,
                          node("https://orcid.org/0000-0002-1825-0097")),
    "bad ACL id": add("-e91d585c", KG.aclId, Literal("not an id")),
    "bad DOI": add("-e91d585c", node("http://purl.org/ontology/bibo/doi").value,
                   Literal("doi:10.1/x")),
    "bad sha256": replace_object(KG.sha256, Literal("abc")),
    "unknown source format": replace_object(KG.sourceFormat, Literal("pdf")),
    "venue without name": lambda quads: [
        q for q in quads if not (q.predicate == node(SDO.name) and "/venue/" in str(q.subject))],
    "slot not typed": lambda quads: [
        q for q in quads if not (q.object == node(KG.Authorship)
                                 and str(q.subject).endswith("/author/3>"))],
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_same_verdicts_as_pyshacl_on_mutations(name: str) -> None:
    report = assert_same_verdicts(MUTATIONS[name](example_quads()))
    assert report.conforms == (name in ("unchanged", "good ORCID IRI")), report.results


def _fixture_files() -> list[Path]:
    folder = TEST_DATA / "shapes"
    return sorted(folder.rglob("*.ttl")) if folder.exists() else []


@pytest.mark.parametrize("path", _fixture_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_verdicts_as_pyshacl_on_shape_fixtures(path: Path) -> None:
    assert_same_verdicts(list(parse(path=str(path), format=RdfFormat.TURTLE)))


def _real_files() -> list[Path]:
    files = [EXAMPLE]
    for folder in ("acl-xml", "bibtex"):
        if (SHARED_DATA / folder).exists():
            files += sorted((SHARED_DATA / folder).iterdir())
    return files


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_same_verdicts_as_pyshacl_on_real_files(path: Path) -> None:
    from kg.sources import IMPORTERS, detect_format

    try:
        format_name = detect_format(path)
    except KGError:
        pytest.skip(f"no importer for {path.name}")
    if format_name not in IMPORTERS:
        pytest.skip(f"no importer for {path.name}")
    assert_same_verdicts(file_quads(path, IriMinter(BASE), format_name))


def test_every_shape_constraint_is_compiled() -> None:
    checks = validate_sparql.compiled_checks()
    components = {check.component.rsplit("#", 1)[-1] for check in checks}
    for expected in ("MinCountConstraintComponent", "MaxCountConstraintComponent",
                     "DatatypeConstraintComponent", "PatternConstraintComponent",
                     "OrConstraintComponent", "EqualsConstraintComponent",
                     "SlotsMatchLinksConstraintComponent",
                     "ListOrderMatchesSlotsConstraintComponent"):
        assert expected in components
