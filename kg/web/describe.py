"""The description of a resource: the triples the server answers with when an IRI is looked up.

A description is useful on its own (a client needs no second request to show it), and it is the
same whatever the format: the Turtle, JSON-LD, N-Triples and RDF/XML documents and the HTML page
are all made from one :class:`Description`. For a resource ``r`` it holds, over all named graphs
(the union: each triple once, whichever source files state it):

1. **its own triples**: every triple whose subject is ``r``;
2. **its parts**: the nodes the mapper mints for it (``{r}/author/n`` slots with the position,
   name, affiliation and ORCID as printed; ``{r}/author-list/n`` list cells; attachments,
   revisions and errata), linked from ``r`` by a predicate of :data:`PARTS` or through the
   ``rdf:List`` of :data:`LISTS`, with all their triples. So a paper's description gives its
   authors in order twice (slots with ``kg:position``, and ``bibo:authorList``), as the data does;
3. **blank nodes** ``r`` links to (uploads through the Graph Store may hold some), one level;
4. **links to it** (``inbound``): every triple whose object is ``r``, except the internal links
   of another resource's parts (:data:`INTERNAL_LINKS`: a list cell's ``rdf:first``, a slot's
   ``kg:person``), which make sense only with that resource. A person's description so names
   their papers, a volume's its papers, a venue's its volumes;
5. **the labels of what it links to**: ``rdf:type``, ``schema:name``, ``rdfs:label`` and a
   person's ``schema:givenName`` and ``schema:familyName`` (what a citation needs) of every other
   IRI in 1-4 (authors, volume, event, the papers that link to it), but not their other triples.

Triples come sorted: the resource first, then its parts in natural order (``author/2`` before
``author/10``), then the rest; so documents are deterministic and read top-down.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, QueryTriples, Triple

from kg.mapper import PAPER_CLASSES
from kg.store import Store
from kg.vocab import BIBO, DCTERMS, KG, PROV, RDF, RDFS, SDO

Node = NamedNode | BlankNode
Term = NamedNode | BlankNode | Literal | Triple

#: Links from a resource to the nodes minted as its parts (see ``kg.iris``).
PARTS: tuple[str, ...] = tuple(map(str, (KG.authorship, KG.editorship, SDO.associatedMedia,
                                         DCTERMS.hasVersion, SDO.correction)))
#: Links from a resource to the first cell of an ``rdf:List`` of its parts.
LISTS: tuple[str, ...] = (str(BIBO.authorList), str(BIBO.editorList))
#: Links into a resource that belong to another resource's parts (not part of its description).
INTERNAL_LINKS: tuple[str, ...] = (str(RDF.first), str(KG.person))
#: What "the label" of a linked resource means.
LABELS: tuple[str, ...] = tuple(map(str, (RDF.type, SDO.name, RDFS.label, SDO.givenName,
                                          SDO.familyName)))


class Kind(Enum):
    """What a resource is, which decides its HTML page and whether it has a BibTeX document."""

    PAPER = "paper"
    PERSON = "person"
    VOLUME = "volume"
    VENUE = "venue"
    EVENT = "event"
    GRAPH = "graph"
    OTHER = "resource"

    @property
    def citable(self) -> bool:
        """Whether the resource has a BibTeX document (a paper, a person's papers, a volume)."""
        return self in (Kind.PAPER, Kind.PERSON, Kind.VOLUME)


#: rdf:type -> kind, first match wins; a path segment, when given, must also start the IRI's
#: path (a ``schema:Book`` is a volume under ``volume/`` and a paper under ``paper/``).
_KIND_BY_TYPE: tuple[tuple[str, str | None, Kind], ...] = (
    (KG.Authorship, None, Kind.OTHER),
    (KG.Editorship, None, Kind.OTHER),
    (KG.SourceFile, None, Kind.OTHER),
    (SDO.Person, None, Kind.PERSON),
    (SDO.Organization, None, Kind.PERSON),
    (KG.Venue, None, Kind.VENUE),
    (BIBO.Journal, None, Kind.VENUE),
    (SDO.Event, None, Kind.EVENT),
    (BIBO.Proceedings, None, Kind.VOLUME),
    (BIBO.Issue, None, Kind.VOLUME),
    (BIBO.Book, "volume/", Kind.VOLUME),
    *((cls, "paper/", Kind.PAPER) for cls in sorted({c for cs in PAPER_CLASSES.values()
                                                       for c in cs})),
    (PROV.Entity, "graph/", Kind.GRAPH),
)
KIND_BY_TYPE = tuple((str(cls), segment, kind) for cls, segment, kind in _KIND_BY_TYPE)


def kind_of(types: set[str], iri: str, base: str) -> Kind:
    """The kind of the resource ``iri`` that has ``types`` (see :data:`KIND_BY_TYPE`)."""
    path = iri[len(base):] if iri.startswith(base) else ""
    for cls, segment, kind in KIND_BY_TYPE:
        if cls in types and (segment is None or path.startswith(segment)):
            return kind
    return Kind.OTHER


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that orders the numbers inside ``text`` by value.

    >>> sorted(["a/10", "a/2", "a/1"], key=natural_key)
    ['a/1', 'a/2', 'a/10']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text) if part)


def term_key(term: Term) -> tuple[int, tuple[tuple[int, int, str], ...], str]:
    """A total order on terms: IRIs, blank nodes, literals (by value, then datatype/language)."""
    if isinstance(term, NamedNode):
        return (0, natural_key(term.value), "")
    if isinstance(term, BlankNode):
        return (1, natural_key(term.value), "")
    if isinstance(term, Literal):
        return (2, natural_key(term.value), term.language or term.datatype.value)
    return (3, (), str(term))


def best_text(values: Iterable[Term], language: str = "en") -> str | None:
    """The one literal to show among several: untagged or in ``language`` first, then one in
    mixed case (``Zhenguo Li`` over ``ZHENGUO LI``), then the smallest.

    >>> best_text([Literal("ZHENGUO LI"), Literal("Zhenguo Li")])
    'Zhenguo Li'
    """
    literals = [v for v in values if isinstance(v, Literal)]
    if not literals:
        return None

    def rank(literal: Literal) -> tuple[bool, bool, str]:
        text = literal.value
        foreign = literal.language not in (None, language)
        shouting = text.upper() == text and text.lower() != text
        return (foreign, shouting, text)

    return min(literals, key=rank).value


@dataclass(frozen=True)
class Slot:
    """One position of an ordered list of authors or editors."""

    position: int
    person: str | None
    #: The name as printed in this record (else the person's name).
    name: str | None
    affiliation: str | None = None
    orcid: str | None = None
    #: The person's own name (``schema:name``), when known.
    label: str | None = None


@dataclass(frozen=True)
class Description:
    """Sorted triples describing ``iris`` (usually one resource; several for bulk exports)."""

    iris: tuple[str, ...]
    triples: tuple[Triple, ...] = field(repr=False)

    @cached_property
    def _index(self) -> dict[str, dict[str, list[Term]]]:
        index: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
        for triple in self.triples:
            subject = triple.subject
            if isinstance(subject, NamedNode | BlankNode):
                index[_key(subject)][triple.predicate.value].append(triple.object)
        return index

    @cached_property
    def _inverse(self) -> dict[tuple[str, str], list[Node]]:
        inverse: dict[tuple[str, str], list[Node]] = defaultdict(list)
        for triple in self.triples:
            if isinstance(triple.object, NamedNode) and isinstance(
                    triple.subject, NamedNode | BlankNode):
                inverse[(triple.predicate.value, triple.object.value)].append(triple.subject)
        return inverse

    @property
    def iri(self) -> str:
        return self.iris[0]

    def __contains__(self, subject: str) -> bool:
        return subject in self._index

    def properties(self, subject: str) -> dict[str, list[Term]]:
        """Predicate -> objects of ``subject`` (a ``_:`` label for a blank node)."""
        return self._index.get(str(subject), {})

    def objects(self, subject: str, predicate: str) -> list[Term]:
        return sorted(self.properties(subject).get(str(predicate), []), key=term_key)

    def iris_of(self, subject: str, predicate: str) -> list[str]:
        return [o.value for o in self.objects(subject, predicate) if isinstance(o, NamedNode)]

    def first_iri(self, subject: str, predicate: str) -> str | None:
        found = self.iris_of(subject, predicate)
        return found[0] if found else None

    def texts(self, subject: str, predicate: str) -> list[str]:
        return [o.value for o in self.objects(subject, predicate) if isinstance(o, Literal)]

    def text(self, subject: str, *predicates: str) -> str | None:
        """The best literal of the first predicate that has one."""
        for predicate in predicates:
            found = best_text(self.properties(subject).get(str(predicate), []))
            if found is not None:
                return found
        return None

    def subjects(self, predicate: str, obj: str) -> list[str]:
        """The IRIs that link to ``obj`` with ``predicate``, sorted."""
        found = {s.value for s in self._inverse.get((str(predicate), str(obj)), [])
                 if isinstance(s, NamedNode)}
        return sorted(found, key=natural_key)

    def types(self, subject: str) -> set[str]:
        return set(self.iris_of(subject, RDF.type))

    def label(self, subject: str) -> str | None:
        return self.text(subject, SDO.name, RDFS.label, DCTERMS.title)

    def kind(self, base: str, iri: str | None = None) -> Kind:
        """The kind of ``iri`` (default: the described resource), from its types and path."""
        iri = iri or self.iri
        return kind_of(self.types(iri), iri, base)

    def slots(self, owner: str, link: str = KG.authorship) -> list[Slot]:
        """The author (or, with ``kg:editorship``, editor) slots of ``owner``, in order.

        When a record lacks slots, its ``rdf:List`` gives the order, and failing that its direct
        ``schema:author`` links in IRI order.
        """
        found = []
        for slot in self.iris_of(owner, link):
            positions = self.texts(slot, KG.position)
            person = self.first_iri(slot, KG.person)
            found.append(Slot(
                position=int(positions[0]) if positions and positions[0].isdigit() else 0,
                person=person,
                name=self.text(slot, KG.nameAsPrinted)
                or (self.label(person) if person else None),
                label=self.label(person) if person else None,
                affiliation=self.text(slot, KG.affiliationAsPrinted),
                orcid=self.text(slot, KG.orcidAsPrinted)))
        if found:
            return sorted(found, key=lambda s: (s.position, s.person or ""))
        listed, direct = ((BIBO.authorList, SDO.author) if str(link) == str(KG.authorship)
                          else (BIBO.editorList, SDO.editor))
        people = self.list_members(owner, listed) or self.iris_of(owner, direct)
        return [Slot(n, person, self.label(person), label=self.label(person))
                for n, person in enumerate(people, 1)]

    def list_members(self, owner: str, link: str) -> list[str]:
        """The IRIs of the ``rdf:List`` that ``owner`` links to with ``link``, in order."""
        members: list[str] = []
        seen: set[str] = set()
        cells = self.iris_of(owner, link)
        cell = cells[0] if cells else None
        while cell is not None and cell != str(RDF.nil) and cell not in seen:
            seen.add(cell)
            members.extend(self.iris_of(cell, RDF.first))
            rests = self.iris_of(cell, RDF.rest)
            cell = rests[0] if rests else None
        return members

    def merge(self, other: Description) -> Description:
        """One description holding the triples of both (described IRIs: both, in order)."""
        iris = tuple(dict.fromkeys([*self.iris, *other.iris]))
        return Description(iris, _sorted(set(self.triples) | set(other.triples), iris))


def _key(node: NamedNode | BlankNode) -> str:
    return node.value if isinstance(node, NamedNode) else f"_:{node.value}"


def _sorted(triples: Iterable[Triple], iris: Sequence[str]) -> tuple[Triple, ...]:
    rank = {iri: index for index, iri in enumerate(iris)}

    def key(triple: Triple) -> tuple[object, ...]:
        subject = triple.subject
        value = subject.value if isinstance(subject, NamedNode) else ""
        owner = next((n for n, iri in enumerate(iris) if value.startswith(iri + "/")), None)
        if value in rank:
            order: tuple[int, ...] = (rank[value], 0)
        elif owner is not None:
            order = (owner, 1)
        else:
            order = (len(iris), 2)
        return (order, term_key(subject) if not isinstance(subject, Triple) else (),
                natural_key(triple.predicate.value), term_key(triple.object))

    return tuple(sorted(triples, key=key))


def _values(iris: Iterable[str]) -> str:
    return " ".join(str(NamedNode(iri)) for iri in iris)


def _alternatives(predicates: Iterable[str]) -> str:
    return "(" + "|".join(f"<{p}>" for p in predicates) + ")"


_DESCRIBE = """CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  VALUES ?r {{ {values} }}
  {{ ?r ?p ?o . BIND (?r AS ?s) }}
  UNION {{ ?r {parts} ?s . ?s ?p ?o }}
  UNION {{ ?r {lists}/<{rest}>* ?s . ?s ?p ?o }}
  UNION {{ ?r ?link ?s . FILTER (isBlank(?s)) ?s ?p ?o }}
}}"""
_INBOUND = """CONSTRUCT {{ ?s ?p ?r }} WHERE {{
  VALUES ?r {{ {values} }} ?s ?p ?r . FILTER (?p NOT IN ({internal}))
}}"""
_LABELS = """CONSTRUCT {{ ?x ?p ?o }} WHERE {{
  VALUES ?x {{ {values} }} VALUES ?p {{ {labels} }} ?x ?p ?o
}}"""
_EXISTS = """SELECT ?r WHERE {{ VALUES ?r {{ {values} }} FILTER EXISTS {{ ?r ?p ?o }} }}"""
_TYPES = """SELECT DISTINCT ?type WHERE {{ {iri} a ?type }}"""


def _construct(store: Store, sparql: str) -> set[Triple]:
    result = store.query(sparql)
    assert isinstance(result, QueryTriples), "a CONSTRUCT query gives triples"
    return set(result)


def existing(store: Store, candidates: Sequence[str]) -> str | None:
    """The first of ``candidates`` that is the subject of a triple in any graph, or None.

    Candidates that are not valid IRIs are skipped.
    """
    valid = []
    for candidate in dict.fromkeys(candidates):
        try:
            NamedNode(candidate)
        except ValueError:
            continue
        valid.append(candidate)
    if not valid:
        return None
    result = store.query(_EXISTS.format(values=_values(valid)))
    assert isinstance(result, QuerySolutions)
    found = {row["r"].value for row in result if row["r"] is not None}
    return next((candidate for candidate in valid if candidate in found), None)


def types_of(store: Store, iri: str) -> set[str]:
    """The classes of ``iri`` in any graph."""
    result = store.query(_TYPES.format(iri=NamedNode(iri)))
    assert isinstance(result, QuerySolutions)
    return {row["type"].value for row in result if isinstance(row["type"], NamedNode)}


def describe(store: Store, iris: Sequence[str], *, inbound: bool = True) -> Description:
    """The description of ``iris`` (see the module's docstring); ``inbound=False`` leaves out
    the links to them (and their labels), for exports that need only the resources."""
    iris = tuple(dict.fromkeys(iris))
    if not iris:
        return Description((), ())
    values = _values(iris)
    core = _construct(store, _DESCRIBE.format(
        values=values, parts=_alternatives(PARTS), lists=_alternatives(LISTS), rest=RDF.rest))
    links = _construct(store, _INBOUND.format(
        values=values, internal=", ".join(f"<{p}>" for p in INTERNAL_LINKS))) if inbound else set()
    described = {t.subject.value for t in core if isinstance(t.subject, NamedNode)} | set(iris)
    targets = {t.object.value for t in core
               if isinstance(t.object, NamedNode) and t.predicate.value != str(RDF.type)}
    targets |= {t.subject.value for t in links if isinstance(t.subject, NamedNode)}
    targets -= described
    triples = core | links
    if targets:
        triples |= _construct(store, _LABELS.format(
            values=_values(sorted(targets)), labels=" ".join(f"<{p}>" for p in LABELS)))
    return Description(iris, _sorted(triples, iris))
