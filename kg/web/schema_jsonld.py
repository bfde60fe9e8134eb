"""The schema.org JSON-LD that a page embeds for search engines and reference managers.

**The same triples.** Parsed as JSON-LD, the embedded document gives exactly the schema.org part
of the resource's description (``kg.web.describe``), the one its Turtle document is written
from: every triple whose predicate is in the ``http://schema.org/`` namespace, and every
``rdf:type`` triple whose class is; nothing else (BIBO, ``kg:`` terms, list cells, FOAF types)
and nothing more. The test suite parses both documents with rdflib and compares the sets.

The document is framed for readers that do not run a JSON-LD processor (Google Scholar,
Zotero): one ``@graph`` whose first node is the resource, with the nodes it links to (authors,
volume, attachments) nested inside it the first time they occur; nodes not reachable that way
(revisions, linked by ``dcterms:hasVersion``) follow as top-level nodes. Authors are listed in
their order (a plain array: ``schema:author`` is unordered in RDF, and an ``@list`` would add
list nodes that the description does not have).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from kg.vocab import RDF, SDO, XSD
from kg.web.describe import Description, term_key

SCHEMA = str(SDO._NS)
_TYPE = str(RDF.type)
_STRING = str(XSD.string)

JsonValue = dict[str, Any] | str


def is_schema_triple(triple: Triple) -> bool:
    """Whether ``triple`` belongs to the schema.org part of a description."""
    predicate = triple.predicate.value
    if predicate == _TYPE:
        return isinstance(triple.object, NamedNode) and triple.object.value.startswith(SCHEMA)
    return predicate.startswith(SCHEMA)


def schema_triples(triples: tuple[Triple, ...] | list[Triple]) -> list[Triple]:
    return [triple for triple in triples if is_schema_triple(triple)]


def _node_id(node: NamedNode | BlankNode) -> str:
    return node.value if isinstance(node, NamedNode) else f"_:{node.value}"


def _literal(literal: Literal) -> JsonValue:
    if literal.language:
        return {"@value": literal.value, "@language": literal.language}
    if literal.datatype.value == _STRING:
        return literal.value
    return {"@value": literal.value, "@type": literal.datatype.value}


def schema_org_jsonld(description: Description) -> dict[str, Any]:
    """The embedded JSON-LD document of ``description``'s resource (see the module docstring)."""
    by_subject: dict[str, list[Triple]] = defaultdict(list)
    for triple in schema_triples(description.triples):
        if isinstance(triple.subject, NamedNode | BlankNode):
            by_subject[_node_id(triple.subject)].append(triple)
    author_rank = {slot.person: index
                   for index, slot in enumerate(description.slots(description.iri))}
    embedded: set[str] = set()

    def node(subject: str) -> dict[str, Any]:
        embedded.add(subject)
        out: dict[str, Any] = {"@id": subject}
        types = sorted(t.object.value[len(SCHEMA):] for t in by_subject[subject]
                       if t.predicate.value == _TYPE and isinstance(t.object, NamedNode))
        if types:
            out["@type"] = types if len(types) > 1 else types[0]
        values: dict[str, list[Any]] = defaultdict(list)
        for triple in by_subject[subject]:
            if triple.predicate.value != _TYPE:
                values[triple.predicate.value].append(triple.object)
        for predicate in sorted(values):
            objects = sorted(values[predicate], key=term_key)
            if predicate == str(SDO.author) and subject == description.iri:
                objects.sort(key=lambda o: author_rank.get(getattr(o, "value", None),
                                                           len(author_rank)))
            rendered = [value(obj) for obj in objects]
            out[predicate[len(SCHEMA):]] = rendered if len(rendered) > 1 else rendered[0]
        return out

    def value(obj: object) -> JsonValue:
        if isinstance(obj, Literal):
            return _literal(obj)
        if isinstance(obj, NamedNode | BlankNode):
            key = _node_id(obj)
            if key in by_subject and key not in embedded:
                return node(key)
            return {"@id": key}
        raise ValueError(f"no JSON-LD form for {obj!r}")

    graph = [node(description.iri)] if description.iri in by_subject else []
    graph.extend(node(subject) for subject in list(by_subject) if subject not in embedded)
    return {"@context": {"@vocab": SCHEMA}, "@graph": graph}
