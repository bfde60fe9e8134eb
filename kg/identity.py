"""Which records of different sources are one paper or one person (the matching policy).

Papers are matched by any shared key: ACL id, DOI (case-insensitive) or title key (year plus
normalised title, ``kg:titleKey``). The keys of everything matched -- in this ingest and already
in the store -- form one component, and the component's IRI is chosen from its keys alone: the
smallest ACL id, else the smallest DOI, else the smallest title key (``IriMinter.paper_from_keys``).
Because the choice depends on the set of keys and not on who came first, ingesting sources in any
order gives the same IRIs. When a new source links resources already stored under another IRI,
those are renamed in their graphs (with the IRIs derived from them: author slots, list cells).

People are one resource when they share an IRI: the ACL person id, else the ORCID, else the
name key of ``kg.names`` -- so every mention carrying the same ORCID mints the same IRI, whatever
the spelling, and a name-only mention never joins a person known by an identifier (a false merge
is worse than a missed one). When one source gives a person both an ACL id and an ORCID, the
stored resources with that ORCID are renamed to the ACL id IRI (and new ones follow them).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from pyoxigraph import NamedNode, Quad, QuerySolutions

from kg.iris import IriMinter, paper_title_key
from kg.records import Contributor, Paper
from kg.store import Store
from kg.vocab import BIBO, KG, SDO

_ORCID = "https://orcid.org/"
_KEY_PREDICATES = {"acl": KG.aclId, "doi": BIBO.doi, "title": KG.titleKey}


def paper_keys(paper: Paper) -> set[str]:
    """The match keys of a record: ``acl:...``, ``doi:...`` (lower case), ``title:...``."""
    keys = {f"title:{paper_title_key(paper)}"}
    if paper.acl_id:
        keys.add(f"acl:{paper.acl_id}")
    if paper.doi:
        keys.add(f"doi:{paper.doi.lower()}")
    return keys


def canonical_paper_iri(minter: IriMinter, keys: Iterable[str]) -> str:
    """The IRI of a paper known by ``keys`` (the best kind of key, then the smallest value)."""
    by_kind: dict[str, list[str]] = {"acl": [], "doi": [], "title": []}
    for key in keys:
        kind, _, value = key.partition(":")
        by_kind[kind].append(value)
    for kind in ("acl", "doi", "title"):
        if by_kind[kind]:
            value = min(by_kind[kind])
            return minter.paper_from_keys(**{{"acl": "acl_id", "doi": "doi",
                                               "title": "title_key"}[kind]: value})
    raise ValueError("no keys")


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)

    def groups(self) -> dict[str, set[str]]:
        groups: dict[str, set[str]] = {}
        for item in list(self.parent):
            groups.setdefault(self.find(item), set()).add(item)
        return groups


def _literal(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _graph_filter(excluded: set[str]) -> str:
    if not excluded:
        return ""
    return f"FILTER (?g NOT IN ({', '.join(f'<{g}>' for g in sorted(excluded))}))"


def _select(store: Store, query: str) -> list[dict[str, str]]:
    result = store.query(query)
    assert isinstance(result, QuerySolutions)
    names = [variable.value for variable in result.variables]
    return [{name: row[name].value for name in names if row[name] is not None}
            for row in result]


def _stored_papers_with_keys(store: Store, keys: set[str], excluded: set[str]) -> set[str]:
    rows = " ".join(f"(<{_KEY_PREDICATES[kind]}> {_literal(value)})"
                    for kind, _, value in (key.partition(":") for key in sorted(keys)))
    query = (f"SELECT DISTINCT ?paper WHERE {{ VALUES (?p ?v) {{ {rows} }} "
             f"GRAPH ?g {{ ?paper ?p ?v }} {_graph_filter(excluded)} }}")
    return {row["paper"] for row in _select(store, query)}


def _stored_keys_of(store: Store, papers: set[str], excluded: set[str]) -> dict[str, set[str]]:
    values = " ".join(f"<{paper}>" for paper in sorted(papers))
    kinds = {str(predicate): kind for kind, predicate in _KEY_PREDICATES.items()}
    predicates = ", ".join(f"<{p}>" for p in kinds)
    query = (f"SELECT ?paper ?p ?v WHERE {{ VALUES ?paper {{ {values} }} "
             f"GRAPH ?g {{ ?paper ?p ?v }} FILTER (?p IN ({predicates})) "
             f"{_graph_filter(excluded)} }}")
    keys: dict[str, set[str]] = {paper: set() for paper in papers}
    for row in _select(store, query):
        keys[row["paper"]].add(f"{kinds[row['p']]}:{row['v']}")
    return keys


@dataclass
class Resolution:
    """IRIs to rename: provisional IRIs of new records and stored IRIs alike."""

    renames: dict[str, str] = field(default_factory=dict)

    def iri(self, value: str) -> str:
        """``value`` renamed, including IRIs derived from a renamed one (``{paper}/author/1``)."""
        if value in self.renames:
            return self.renames[value]
        head = value.rsplit("/", 2)[0]
        if head != value and head in self.renames:
            return self.renames[head] + value[len(head):]
        return value

    def apply(self, quads: Iterable[Quad]) -> list[Quad]:
        if not self.renames:
            return list(quads)
        renamed = []
        for quad in quads:
            subject, obj = quad.subject, quad.object
            if isinstance(subject, NamedNode):
                subject = NamedNode(self.iri(subject.value))
            if isinstance(obj, NamedNode):
                obj = NamedNode(self.iri(obj.value))
            renamed.append(Quad(subject, quad.predicate, obj, quad.graph_name))
        return renamed


@dataclass(frozen=True)
class PersonRef:
    """What matching needs to know of one mention of a person (or organisation)."""

    iri: str
    name: str
    orcid: str | None
    acl_id: str | None

    @classmethod
    def of(cls, minter: IriMinter, person: Contributor) -> PersonRef:
        return cls(minter.person(person), person.name, person.orcid, person.acl_id)


def people_of(paper: Paper) -> Iterator[Contributor]:
    """Every person and organisation the mapper writes for ``paper``, in the order it does."""
    yield from paper.authors
    volume = paper.volume
    if volume is not None:
        journal_only = volume.journal is not None and not (volume.volume_number
                                                            or volume.issue_number)
        if not journal_only:  # as kg.mapper.map_part_of
            yield from volume.editors
            if volume.publisher:
                yield Contributor(name=volume.publisher, is_organization=True)
        if volume.journal is not None and volume.journal.publisher:
            yield Contributor(name=volume.journal.publisher, is_organization=True)
    yield from paper.editors
    if paper.publisher:
        yield Contributor(name=paper.publisher, is_organization=True)


@dataclass(frozen=True)
class ResolvedMinter(IriMinter):
    """An IriMinter that gives matched papers and people the IRI identity resolution chose."""

    renames: Mapping[str, str] = field(default_factory=dict)

    def paper(self, paper: Paper) -> str:
        minted = super().paper(paper)
        return self.renames.get(minted, minted)

    def person(self, person: Contributor) -> str:
        minted = super().person(person)
        return self.renames.get(minted, minted)


def resolve_papers(minter: IriMinter, records: Iterable[tuple[str, Iterable[str]]],
                   store: Store | None, excluded_graphs: set[str]) -> dict[str, str]:
    """Renames that make every paper component one IRI. ``records`` pairs the provisional IRIs
    of this ingest's records with their keys (``paper_keys``); stored papers in
    ``excluded_graphs`` (being replaced) are ignored.
    """
    links = _UnionFind()
    keys_of: dict[str, set[str]] = {}
    for provisional, keys in records:
        keys_of.setdefault(provisional, set()).update(keys)
        for key in keys:
            links.union(f"iri:{provisional}", f"key:{key}")
    if store is not None:
        frontier = {key for keys in keys_of.values() for key in keys}
        seen_keys: set[str] = set()
        while frontier:
            seen_keys |= frontier
            found = _stored_papers_with_keys(store, frontier, excluded_graphs) - set(keys_of)
            if not found:
                break
            stored = _stored_keys_of(store, found, excluded_graphs)
            frontier = set()
            for stored_iri, keys in stored.items():
                keys_of[stored_iri] = keys
                for key in keys:
                    links.union(f"iri:{stored_iri}", f"key:{key}")
                frontier |= keys - seen_keys
    renames = {}
    for members in links.groups().values():
        iris = {m[4:] for m in members if m.startswith("iri:")}
        keys = {m[4:] for m in members if m.startswith("key:")}
        canonical = canonical_paper_iri(minter, keys)
        renames.update({iri: canonical for iri in iris if iri != canonical})
    return renames


def resolve_people(people: Iterable[PersonRef], store: Store | None,
                   excluded_graphs: set[str]) -> dict[str, str]:
    """Renames that make people sharing an ORCID one resource (see the module's policy)."""
    by_orcid: dict[str, set[str]] = {}
    with_acl_id: set[str] = set()
    for person in people:
        if person.orcid:
            by_orcid.setdefault(person.orcid, set()).add(person.iri)
            if person.acl_id:
                with_acl_id.add(person.iri)
    if store is not None and by_orcid:
        values = " ".join(f"<{_ORCID}{orcid}>" for orcid in sorted(by_orcid))
        query = (f"SELECT DISTINCT ?person ?orcid ?acl WHERE {{ VALUES ?orcid {{ {values} }} "
                 f"GRAPH ?g {{ ?person <{SDO.sameAs}> ?orcid }} "
                 f"OPTIONAL {{ ?person <{KG.aclPersonId}> ?acl }} "
                 f"{_graph_filter(excluded_graphs)} }}")
        for row in _select(store, query):
            by_orcid[row["orcid"].removeprefix(_ORCID)].add(row["person"])
            if "acl" in row:
                with_acl_id.add(row["person"])
    links = _UnionFind()
    for iris in by_orcid.values():
        first = min(iris)
        for iri in iris:
            links.union(iri, first)
    renames = {}
    for iris in links.groups().values():
        preferred = sorted(iris & with_acl_id) or sorted(iris)
        canonical = preferred[0]
        renames.update({iri: canonical for iri in iris if iri != canonical})
    return renames


def stored_graphs_using(store: Store, iris: Iterable[str], excluded: set[str]) -> set[str]:
    """The named graphs (other than ``excluded``) where any of ``iris`` is a subject or object."""
    graphs: set[str] = set()
    for value in iris:
        node = NamedNode(value)
        for quad in (*store.quads_matching(subject=node), *store.quads_matching(obj=node)):
            if isinstance(quad.graph_name, NamedNode) and quad.graph_name.value not in excluded:
                graphs.add(quad.graph_name.value)
    return graphs
