"""Closed vocabularies: misspelt terms fail; declared terms exist where they are defined."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, DefinedNamespace

from kg.resources import ontology_dir
from kg.validate import shapes_graph
from kg.vocab import BIBO, BIBO_DEGREES, KG, KG_ONTOLOGY_IRI, SDO, prefixes
from tests.conftest import shared

CLOSED: list[type[DefinedNamespace]] = [SDO, BIBO, BIBO_DEGREES, KG]


def declared(namespace: type[DefinedNamespace]) -> set[str]:
    return {str(namespace._NS) + name for name in namespace.__annotations__}


def declared_anywhere() -> set[str]:
    return {term for namespace in CLOSED for term in declared(namespace)}


def used_in(graph: Graph, namespace: type[DefinedNamespace]) -> set[str]:
    base = str(namespace._NS)
    return {str(term) for triple in graph for term in triple
            if isinstance(term, URIRef) and str(term).startswith(base) and str(term) != base}


def ontology() -> Graph:
    graph = Graph()
    for path in sorted(ontology_dir().glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.mark.parametrize("namespace", CLOSED, ids=lambda n: n.__name__)
def test_a_misspelt_term_fails(namespace: type[DefinedNamespace]) -> None:
    with pytest.raises(AttributeError, match="not in namespace"):
        namespace.nmae  # noqa: B018


def test_schema_org_is_on_http() -> None:
    assert str(SDO.name) == "http://schema.org/name"
    assert prefixes()["schema"] == "http://schema.org/"
    assert str(BIBO.authorList) == "http://purl.org/ontology/bibo/authorList"
    assert str(KG.authorship) == f"{KG_ONTOLOGY_IRI}#authorship"


def test_prefixes_are_distinct() -> None:
    table = prefixes()
    assert len(set(table.values())) == len(table)
    assert list(table)[:3] == ["schema", "bibo", "kg"]


def test_every_local_term_is_defined_with_label_and_comment() -> None:
    graph = ontology()
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty,
             RDF.Property}
    for term in sorted(declared(KG)):
        node = URIRef(term)
        assert set(graph.objects(node, RDF.type)) & kinds, f"{term} is not defined"
        assert graph.value(node, RDFS.label) is not None, f"{term} has no label"
        assert graph.value(node, RDFS.comment) is not None, f"{term} has no comment"


def test_every_local_term_defined_is_declared() -> None:
    graph = ontology()
    defined = {str(s) for s in graph.subjects(RDF.type, None)
               if str(s).startswith(str(KG._NS))}
    assert sorted(defined - declared(KG)) == []


@pytest.mark.parametrize("namespace", CLOSED, ids=lambda n: n.__name__)
def test_shapes_use_only_declared_terms(namespace: type[DefinedNamespace]) -> None:
    assert sorted(used_in(shapes_graph(), namespace) - declared_anywhere()) == []


def test_bibo_terms_exist_in_bibo_1_3() -> None:
    bibo = Graph().parse(shared("ontologies/bibo.rdf"), format="xml")
    defined = {str(s) for s in bibo.subjects(RDF.type, None)}
    assert sorted((declared(BIBO) | declared(BIBO_DEGREES)) - defined) == []
    assert sorted(used_in(ontology(), BIBO) - defined) == []
