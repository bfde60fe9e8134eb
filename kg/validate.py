"""SHACL validation with pyshacl (the reference) into a typed report.

The data graph is built from pyoxigraph quads through N-Triples (rdflib parses it directly);
SHACL-SPARQL constraints and constraint components are enabled (``advanced=True``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

import pyshacl
from pyoxigraph import Quad, RdfFormat, Triple, serialize
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.evaluate import evalQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.processor import SPARQLProcessor
from rdflib.plugins.sparql.sparql import Query
from rdflib.term import Node

from kg.errors import ConfigError, Violation
from kg.resources import shape_files
from kg.vocab import RDF, SH


@lru_cache(maxsize=512)
def _prepared(text: str, base: str | None, namespaces: frozenset[tuple[str, Any]]) -> Query:
    return translateQuery(parseQuery(text), base, dict(namespaces))


def _query_with_prepared_cache(
    self: SPARQLProcessor, query: str | Query, initBindings: Any = None,
    initNs: Any = None, base: str | None = None, DEBUG: bool = False,
) -> Any:
    # pyshacl sends the same SPARQL text for every focus node (the focus node is passed as an
    # initial binding); rdflib would parse it each time, which is half of the validation time.
    if isinstance(query, str):
        query = _prepared(query, base, frozenset((initNs or {}).items()))
    return evalQuery(self.graph, query, initBindings, base)


SPARQLProcessor.query = _query_with_prepared_cache  # type: ignore[method-assign,assignment]


@cache
def shapes_graph() -> Graph:
    """All shapes of ``shapes/`` in one graph (parsed once per process)."""
    graph = Graph()
    for path in shape_files():
        graph.parse(path, format="turtle")
    return graph


def term(node: Node) -> str:
    """A SPARQL term for an rdflib IRI or literal."""
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    raise ConfigError(f"shapes: expected an IRI or literal, got {node!r}", field="shapes")


def path_text(graph: Graph, path: Node) -> str:
    """A SHACL path as a SPARQL property path (also used to compare with pyshacl's results)."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{path_text(graph, inverse)}"
    for key, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"),
                        (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, key)
        if inner is not None:
            return f"({path_text(graph, inner)}){suffix}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(path_text(graph, p) for p in Collection(graph, alternatives)) + ")"
    if graph.value(path, RDF.first) is not None:
        return "(" + "/".join(path_text(graph, p) for p in Collection(graph, path)) + ")"
    raise ConfigError(f"shapes: unsupported path {path!r}", field="shapes")


@dataclass(frozen=True)
class ValidationReport:
    """The verdict: ``conforms``, and every result (violations and warnings)."""

    conforms: bool
    results: tuple[Violation, ...]


def to_rdflib(quads: Iterable[Quad]) -> Graph:
    """The triples of ``quads`` (all graphs merged) as an rdflib graph."""
    triples = (Triple(quad.subject, quad.predicate, quad.object) for quad in quads)
    data = serialize(triples, format=RdfFormat.N_TRIPLES)
    graph = Graph()
    if data:
        graph.parse(data=data, format="nt")
    return graph


def _path(report: Graph, node: Node | None) -> str | None:
    return None if node is None else path_text(report, node)


def _text(node: Node | None) -> str | None:
    return None if node is None else str(node)


def validate_graph(data: Graph, shapes: Graph | None = None) -> ValidationReport:
    """Validate ``data`` against ``shapes`` (default: those of ``shapes/``) with pyshacl."""
    conforms, report, _ = pyshacl.validate(
        data, shacl_graph=shapes if shapes is not None else shapes_graph(), advanced=True,
        allow_warnings=True,
        inference="none", abort_on_first=False)
    results = []
    for result in report.subjects(predicate=URIRef(SH.resultSeverity)):
        message = report.value(result, URIRef(SH.resultMessage))
        value = report.value(result, URIRef(SH.value))
        focus = report.value(result, URIRef(SH.focusNode))
        text = str(message) if message is not None else "does not conform"
        if value == focus:
            pass
        elif value is not None and not isinstance(value, Literal) and str(value) not in text:
            text += f" (value <{value}>)"
        elif isinstance(value, Literal):
            text += f" (value {value.n3()})"
        results.append(Violation(
            focus_node=str(focus),
            path=_path(report, report.value(result, URIRef(SH.resultPath))),
            message=text,
            severity=str(report.value(result, URIRef(SH.resultSeverity))).rsplit("#", 1)[-1],
            constraint=str(report.value(result, URIRef(SH.sourceConstraintComponent))),
            shape=_text(report.value(result, URIRef(SH.sourceShape))),
        ))
    results.sort(key=lambda r: (r.focus_node, r.path or "", r.constraint, r.message))
    return ValidationReport(conforms=bool(conforms), results=tuple(results))


def validate_quads(quads: Iterable[Quad]) -> ValidationReport:
    """Validate the union of ``quads`` against ``shapes/``."""
    return validate_graph(to_rdflib(quads))


def validate_triples(data: bytes) -> ValidationReport:
    """Validate an N-Triples document against ``shapes/``."""
    graph = Graph()
    graph.parse(data=data, format="nt")
    return validate_graph(graph)
