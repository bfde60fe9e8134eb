"""SHACL validation of released data, one named graph at a time, and its report as RDF.

Each named graph holds one source file's records whole (papers with their authors, volumes,
venues and events), so the shapes are checked graph by graph: memory stays bounded by the
largest source file instead of growing with the release, and pyshacl's worse than linear cost
in the graph size is paid per file. What this does not see: a constraint that spans two source
files (a person given two different ORCIDs by two files); ingest checks each file as a whole in
the same way, so nothing released was checked less than when it was ingested.

Engines: ``sparql`` (``kg.validate_sparql``: the shapes compiled to SPARQL, run in pyoxigraph;
the same verdicts as pyshacl, proven by its tests) and ``pyshacl`` (the reference). The SPARQL
engine compiles the project's ``shapes/``; shapes that differ from them (an old release's) are
always checked with pyshacl.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, Triple
from rdflib import Graph

from kg import validate, validate_sparql
from kg.errors import ConfigError, Violation
from kg.release.describe import turtle
from kg.resources import shape_files
from kg.store import Store
from kg.vocab import DCTERMS, RDF, SH, XSD

ENGINES = ("sparql", "pyshacl")
Progress = Callable[[str], None]


@dataclass(frozen=True)
class GraphwiseReport:
    """The verdict over every graph: ``conforms`` unless a result has severity Violation."""

    conforms: bool
    results: tuple[Violation, ...]
    graphs: int
    engine: str

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(result for result in self.results if result.severity == "Violation")


def load_shapes(files: Iterable[Path]) -> Graph:
    """The shapes of ``files`` (Turtle) in one rdflib graph."""
    graph = Graph()
    for path in files:
        graph.parse(path, format="turtle")
    return graph


def same_as_project_shapes(files: Iterable[Path]) -> bool:
    """True when ``files`` are byte for byte the project's ``shapes/*.ttl``."""
    ours = {path.name: path.read_bytes() for path in shape_files()}
    theirs = {path.name: path.read_bytes() for path in files}
    return ours == theirs


Check = Callable[[Iterable[Quad]], validate.ValidationReport]


def _validator(engine: str, shapes: Graph | None) -> Check:
    if engine not in ENGINES:
        raise ConfigError(f"unknown validator {engine!r}; expected one of {list(ENGINES)}",
                          field="validator")
    if engine == "sparql":
        if shapes is not None:
            raise ConfigError("the sparql validator checks the project's shapes only",
                              field="validator")
        return validate_sparql.validate_quads
    return lambda quads: validate.validate_graph(validate.to_rdflib(quads), shapes)


def validate_by_graph(store: Store, *, engine: str = "sparql", shapes: Graph | None = None,
                      progress: Progress | None = None) -> GraphwiseReport:
    """Validate every named graph of ``store`` on its own against ``shapes`` (default: the
    project's). Every quad `kg` writes is in a named graph (ingest, load and restore put them
    there), so the default graph is not checked. Raises ConfigError for an unknown engine, or
    for ``sparql`` with other shapes."""
    check = _validator(engine, shapes)
    results: set[Violation] = set()
    graphs = store.named_graphs()
    for index, graph in enumerate(graphs, start=1):
        if progress and (index % 100 == 0 or index == len(graphs)):
            progress(f"validated {index} of {len(graphs)} graphs")
        results.update(check(store.quads(graph)).results)
    ordered = tuple(sorted(results, key=lambda r: (r.focus_node, r.path or "", r.constraint,
                                                   r.message, r.severity)))
    conforms = not any(result.severity == "Violation" for result in ordered)
    return GraphwiseReport(conforms, ordered, len(graphs), engine)


def report_turtle(report: GraphwiseReport, iri: str, shapes: Iterable[str]) -> bytes:
    """The report as a ``sh:ValidationReport`` named ``iri``, its results ``{iri}-{n}``.

    Results name their shape only when the shape is an IRI (property shapes are often blank
    nodes of the shapes files, whose labels mean nothing outside them).
    """
    triples: list[Triple] = []

    def add(subject: str, predicate: str, obj: NamedNode | Literal) -> None:
        triples.append(Triple(NamedNode(subject), NamedNode(predicate), obj))

    add(iri, RDF.type, NamedNode(SH.ValidationReport))
    add(iri, SH.conforms, Literal(str(report.conforms).lower(), datatype=NamedNode(XSD.boolean)))
    add(iri, DCTERMS.description, Literal(
        f"Validated one named graph at a time ({report.graphs} graph(s)) with the {report.engine} "
        "engine; constraints spanning two source files are not checked."))
    for file in shapes:
        add(iri, DCTERMS.conformsTo, NamedNode(file))
    for number, result in enumerate(report.results, start=1):
        node = f"{iri}-{number}"
        add(iri, SH.result, NamedNode(node))
        add(node, RDF.type, NamedNode(SH.ValidationResult))
        add(node, SH.focusNode, NamedNode(result.focus_node))
        add(node, SH.resultSeverity, NamedNode(f"{SH}{result.severity}"))
        add(node, SH.resultMessage, Literal(result.message))
        add(node, SH.sourceConstraintComponent, NamedNode(result.constraint))
        if result.path and result.path.startswith("<") and result.path.endswith(">"):
            add(node, SH.resultPath, NamedNode(result.path[1:-1]))
        elif result.path:
            add(node, DCTERMS.description, Literal(f"path {result.path}"))
        if result.shape and "://" in result.shape:
            add(node, SH.sourceShape, NamedNode(result.shape))
    return turtle(triples)

