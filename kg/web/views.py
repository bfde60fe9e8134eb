"""What each HTML page shows: typed models built from a resource's description plus the few
queries a page needs beyond it (a person's papers with their co-authors, a venue's volumes).

``kg.web.describe`` decides which triples describe a resource; this module decides what people
see of them; the templates decide how it looks. Nothing here escapes text: the templates do,
with Jinja's autoescaping, for every value. Links are built by :class:`Linker`, which maps
IRIs under the base IRI to this server's pages and lets through only ``http(s)`` IRIs as
external links (so a ``javascript:`` IRI in the data never becomes a link).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, Triple

from kg.store import Store
from kg.vocab import BIBO, DCTERMS, KG, KG_ONTOLOGY_IRI, KG_SHAPES, RDF, SDO, prefixes
from kg.web.charts import BarChart, Coauthor, CoauthorGraph, bar_chart, coauthor_graph
from kg.web.describe import Description, Kind, Slot, Term, best_text, kind_of, natural_key

ONTOLOGY = KG_ONTOLOGY_IRI
SHAPES = str(KG_SHAPES).rstrip("#")
_PREFIXES = {"schema": "http://schema.org/", **prefixes()}
#: Datatypes not worth showing beside a value (text, and numbers, which look like numbers).
_PLAIN_DATATYPES = {str(RDF.langString), *(f"http://www.w3.org/2001/XMLSchema#{name}" for name in (
    "string", "integer", "decimal", "double", "boolean"))}


# --- links ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Linker:
    """Turns IRIs into links: pages of this server for IRIs under ``base`` (served under
    ``root``, the app's script root), the IRI itself for other http(s) IRIs."""

    base: str
    root: str = ""

    def local(self, iri: str) -> str | None:
        """This server's path for ``iri`` (``/paper/X``), or None when it is not ours."""
        for document in (ONTOLOGY, SHAPES):
            if iri == document or iri.startswith(document + "#"):
                return f"{self.root}/{document.rsplit('/', 1)[1]}"
        if iri.startswith(self.base) and len(iri) > len(self.base):
            return f"{self.root}/{iri[len(self.base):]}"
        return None

    def page(self, iri: str) -> str | None:
        """Where a person should go for ``iri``: its HTML page here, or the IRI itself."""
        for document in (ONTOLOGY, SHAPES):
            if iri == document or iri.startswith(document + "#"):
                fragment = iri[len(document):]
                return f"{self.root}/{document.rsplit('/', 1)[1]}.html{fragment}"
        local = self.local(iri)
        if local is not None:
            return local + ".html"
        return iri if iri.startswith(("http://", "https://")) else None

    def document(self, iri: str, suffix: str) -> str:
        local = self.local(iri)
        return (local or iri) + suffix

    @staticmethod
    def curie(iri: str) -> str:
        """``schema:name`` for a term of a known vocabulary, else the IRI."""
        for prefix, namespace in _PREFIXES.items():
            if iri.startswith(namespace) and iri[len(namespace):].replace("_", "a").isalnum():
                return f"{prefix}:{iri[len(namespace):]}"
        return iri


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None = None
    iri: str | None = None


@dataclass(frozen=True)
class Value:
    """One value to show: a link (IRI), an anchor to a blank node, or a literal."""

    text: str
    href: str | None = None
    language: str | None = None
    datatype: str | None = None
    iri: str | None = None


def link(description: Description, linker: Linker, iri: str, text: str | None = None) -> Link:
    return Link(text or description.label(iri) or linker.curie(iri), linker.page(iri), iri)


def value(description: Description, linker: Linker, term: Term) -> Value:
    if isinstance(term, NamedNode):
        return Value(description.label(term.value) or linker.curie(term.value),
                     linker.page(term.value), iri=term.value)
    if isinstance(term, BlankNode):
        return Value(f"_:{term.value}", f"#bnode-{term.value}")
    if isinstance(term, Literal):
        datatype = term.datatype.value
        plain = datatype in _PLAIN_DATATYPES
        return Value(term.value, language=term.language,
                     datatype=None if plain else linker.curie(datatype))
    return Value(str(term))


# --- every resource: its statements ---------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    predicate: Link
    values: tuple[Value, ...]


@dataclass(frozen=True)
class SubjectRows:
    """The statements about one node of a description (the resource or one of its parts)."""

    node: Value
    anchor: str
    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class Resource:
    """What every page shows: the resource's IRI, label, types, documents and statements."""

    iri: str
    label: str
    kind: Kind
    types: tuple[Link, ...]
    subjects: tuple[SubjectRows, ...]
    inbound: tuple[Statement, ...]
    documents: tuple[tuple[str, str, str], ...] = ()  # (label, media type, href)


def _anchor(node: NamedNode | BlankNode, iri: str) -> str:
    if isinstance(node, BlankNode):
        return f"bnode-{node.value}"
    if "#" in node.value:
        return node.value.rsplit("#", 1)[1]
    return "about" if node.value == iri else "part-" + node.value[len(iri):].strip("/").replace(
        "/", "-")


def resource(description: Description, linker: Linker, kind: Kind,
             documents: Iterable[tuple[str, str, str]] = ()) -> Resource:
    """The resource's own statements grouped by subject (itself, then its parts and blank
    nodes, or for a vocabulary each of its terms), and the links to it grouped by predicate."""
    iri = description.iri
    target = NamedNode(iri)
    grouped: dict[str, list[Triple]] = defaultdict(list)
    nodes: dict[str, NamedNode | BlankNode] = {}
    inbound: dict[str, list[Term]] = defaultdict(list)
    for triple in description.triples:
        subject = triple.subject
        if not isinstance(subject, NamedNode | BlankNode):
            continue
        own = (isinstance(subject, BlankNode) or subject.value == iri
               or subject.value.startswith((iri + "/", iri + "#")))
        if triple.object == target and not own:
            inbound[triple.predicate.value].append(subject)
        elif own:
            key = subject.value if isinstance(subject, NamedNode) else f"_:{subject.value}"
            grouped[key].append(triple)
            nodes[key] = subject
    subjects = []
    for key, triples in grouped.items():
        by_predicate: dict[str, list[Term]] = defaultdict(list)
        for triple in triples:
            by_predicate[triple.predicate.value].append(triple.object)
        statements = tuple(
            Statement(Link(linker.curie(p), linker.page(p), p),
                      tuple(value(description, linker, o) for o in objects))
            for p, objects in sorted(by_predicate.items(),
                                     key=lambda item: (item[0] != str(RDF.type),
                                                       natural_key(item[0]))))
        subjects.append(SubjectRows(value(description, linker, nodes[key]),
                                    _anchor(nodes[key], iri), statements))
    return Resource(
        iri=iri, label=description.label(iri) or linker.curie(iri), kind=kind,
        types=tuple(Link(linker.curie(t), linker.page(t), t)
                    for t in sorted(description.types(iri))),
        subjects=tuple(subjects),
        inbound=tuple(Statement(Link(linker.curie(p), linker.page(p), p),
                                tuple(value(description, linker, s) for s in subjects_))
                      for p, subjects_ in sorted(inbound.items())),
        documents=tuple(documents))


# --- rows of papers (a person's, a volume's, an event's) ------------------------------------

_PAPER_ROWS = """PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX kg: <{kg}>
SELECT ?paper ?title ?date ?container ?containerName ?start ?acl ?pos ?person ?printed ?name
WHERE {{
  {selector}
  OPTIONAL {{ ?paper schema:name ?title }}
  OPTIONAL {{ ?paper schema:datePublished ?date }}
  OPTIONAL {{ ?paper bibo:pageStart ?start }}
  OPTIONAL {{ ?paper kg:aclId ?acl }}
  OPTIONAL {{ ?paper schema:isPartOf ?container
             OPTIONAL {{ ?container schema:name ?containerName }} }}
  OPTIONAL {{ ?paper kg:authorship ?slot . ?slot kg:position ?pos ; kg:person ?person .
             OPTIONAL {{ ?slot kg:nameAsPrinted ?printed }}
             OPTIONAL {{ ?person schema:name ?name }} }}
}}"""


@dataclass(frozen=True)
class PaperRow:
    """A paper in a list: title, date, what it is part of, authors in order."""

    iri: str
    title: str
    date: str | None
    container: str | None
    container_name: str | None
    authors: tuple[Slot, ...]
    start: str | None = None
    acl_id: str | None = None

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date and self.date[:4].isdigit() else None


def _rows(store: Store, sparql: str) -> list[dict[str, Term]]:
    result = store.query(sparql)
    assert isinstance(result, QuerySolutions)
    names = [variable.value for variable in result.variables]
    return [{name: row[name] for name in names if row[name] is not None} for row in result]


def _text(row: dict[str, Term], name: str) -> str | None:
    term = row.get(name)
    return term.value if isinstance(term, NamedNode | Literal) else None


def paper_rows(store: Store, selector: str) -> list[PaperRow]:
    """The papers ``selector`` (a graph pattern binding ``?paper``) finds, one row each."""
    titles: dict[str, list[Term]] = defaultdict(list)
    dates: dict[str, set[str]] = defaultdict(set)
    containers: dict[str, dict[str, list[Term]]] = defaultdict(lambda: defaultdict(list))
    starts: dict[str, set[str]] = defaultdict(set)
    acl: dict[str, set[str]] = defaultdict(set)
    slots: dict[str, dict[tuple[int, str], tuple[list[Term], list[Term]]]] = defaultdict(dict)
    for row in _rows(store, _PAPER_ROWS.format(kg=KG._NS, selector=selector)):
        paper = _text(row, "paper")
        if paper is None:
            continue
        titles[paper].extend([row["title"]] if "title" in row else [])
        dates[paper].update([v for v in [_text(row, "date")] if v])
        container = _text(row, "container")
        if container:
            containers[paper][container].extend(
                [row["containerName"]] if "containerName" in row else [])
        starts[paper].update([v for v in [_text(row, "start")] if v])
        acl[paper].update([v for v in [_text(row, "acl")] if v])
        position, person = _text(row, "pos"), _text(row, "person")
        if position and position.isdigit() and person:
            printed, named = slots[paper].setdefault((int(position), person), ([], []))
            printed.extend([row["printed"]] if "printed" in row else [])
            named.extend([row["name"]] if "name" in row else [])
    papers = set(titles) | set(dates) | set(containers) | set(slots)
    out = []
    for paper in papers:
        container = min(containers[paper], key=natural_key) if containers[paper] else None
        out.append(PaperRow(
            iri=paper, title=best_text(titles[paper]) or paper,
            date=min(dates[paper]) if dates[paper] else None, container=container,
            container_name=best_text(containers[paper][container]) if container else None,
            authors=tuple(Slot(position, person, best_text(printed) or best_text(named),
                               label=best_text(named))
                          for (position, person), (printed, named)
                          in sorted(slots[paper].items())),
            start=min(starts[paper], key=natural_key) if starts[paper] else None,
            acl_id=min(acl[paper]) if acl[paper] else None))
    return out


def by_date(rows: Iterable[PaperRow]) -> list[PaperRow]:
    """Newest first; within a date, by title."""
    return sorted(rows, key=lambda r: (-(r.year or 0), r.title.casefold(), r.iri))


def in_volume_order(rows: Iterable[PaperRow]) -> list[PaperRow]:
    """As in the volume: by ACL id, else first page, else title."""
    return sorted(rows, key=lambda r: (natural_key(r.acl_id or "~"), natural_key(r.start or "~"),
                                       r.title.casefold(), r.iri))


def _selector(pattern: str, iri: str) -> str:
    return pattern.replace("$this", str(NamedNode(iri)))


@dataclass(frozen=True)
class PaperItem:
    """A paper in a list on a page, with its links made."""

    link: Link
    year: int | None
    authors: tuple[Link, ...]
    container: Link | None


def paper_items(rows: Iterable[PaperRow], linker: Linker, *,
                this: str | None = None) -> tuple[PaperItem, ...]:
    """Rows as page items; ``this`` (a person's own page) is shown without a link."""
    return tuple(PaperItem(
        link=Link(row.title, linker.page(row.iri), row.iri), year=row.year,
        authors=tuple(Link(slot.name or slot.person or "?",
                           None if slot.person == this or slot.person is None
                           else linker.page(slot.person), slot.person)
                      for slot in row.authors),
        container=Link(row.container_name or linker.curie(row.container),
                       linker.page(row.container), row.container) if row.container else None)
        for row in rows)


def by_year(items: Sequence[PaperItem]) -> tuple[tuple[str, tuple[PaperItem, ...]], ...]:
    """Items grouped by year, in the order given (newest first for ``by_date`` rows)."""
    groups: dict[str, list[PaperItem]] = {}
    for item in items:
        groups.setdefault(str(item.year) if item.year else "Undated", []).append(item)
    return tuple((year, tuple(group)) for year, group in groups.items())


# --- papers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileLink:
    """An attachment, revision or erratum."""

    label: str
    href: str | None
    date: str | None
    note: str | None


@dataclass(frozen=True)
class AuthorItem:
    link: Link
    affiliation: str | None
    orcid: str | None


@dataclass(frozen=True)
class PaperPage:
    resource: Resource
    title: str
    language: str | None
    authors: tuple[AuthorItem, ...]
    editors: tuple[AuthorItem, ...]
    date: str | None
    year: str | None
    container: Link | None
    container_is_journal: bool
    venues: tuple[Link, ...]
    event: Link | None
    publisher: str | None
    address: str | None
    pages: str | None
    first_page: str | None
    last_page: str | None
    volume_number: str | None
    issue_number: str | None
    isbn: str | None
    abstract: str | None
    doi: str | None
    pdf: str | None
    landing: str | None
    awards: tuple[str, ...]
    status: str | None
    retraction_date: str | None
    retraction_note: str | None
    files: tuple[tuple[str, tuple[FileLink, ...]], ...]
    videos: tuple[str, ...]
    acl_id: str | None
    note: str | None


def _safe(url: str | None) -> str | None:
    return url if url and url.startswith(("http://", "https://")) else None


def _authors(description: Description, linker: Linker, owner: str,
             slot_link: str) -> tuple[AuthorItem, ...]:
    return tuple(AuthorItem(
        Link(slot.name or (description.label(slot.person) if slot.person else None) or "?",
             linker.page(slot.person) if slot.person else None, slot.person),
        slot.affiliation, slot.orcid) for slot in description.slots(owner, slot_link))


def _files(description: Description, owner: str, link: str,
           word: str) -> tuple[FileLink, ...]:
    files = []
    for node in description.iris_of(owner, link):
        url = _safe(description.first_iri(node, SDO.contentUrl))
        number = description.text(node, SDO.position)
        files.append(FileLink(
            label=description.text(node, SDO.name) or (f"{word} {number}" if number else word),
            href=url, date=description.text(node, SDO.datePublished),
            note=description.text(node, SDO.description)))
    return tuple(files)


def paper_page(description: Description, bundle: Description, linker: Linker,
               res: Resource) -> PaperPage:
    """``bundle`` holds the paper's description and its container's (for venue, publisher)."""
    iri = description.iri
    names = description.objects(iri, SDO.name)
    language = next((n.language for n in names if isinstance(n, Literal) and n.language), None)
    containers = description.iris_of(iri, SDO.isPartOf)
    container = containers[0] if containers else None
    container_types = bundle.types(container) if container else set()
    is_journal = bool(container_types & {str(BIBO.Issue), str(BIBO.Journal)})
    venues = [v for v in bundle.iris_of(container, SDO.isPartOf)] if container else []
    events = description.iris_of(iri, BIBO.presentedAt)
    source = container if container and not description.iris_of(iri, SDO.publisher) else iri
    publisher = bundle.first_iri(source, SDO.publisher)
    doi = description.text(iri, BIBO.doi)
    date = description.text(iri, SDO.datePublished)
    return PaperPage(
        resource=res,
        title=description.text(iri, SDO.name, DCTERMS.title) or res.label,
        language=language,
        authors=_authors(description, linker, iri, KG.authorship),
        editors=_authors(description, linker, iri, KG.editorship)
        or (_authors(bundle, linker, container, KG.editorship) if container else ()),
        date=date, year=date[:4] if date else None,
        container=link(description, linker, container) if container else None,
        container_is_journal=is_journal,
        venues=tuple(link(bundle, linker, v) for v in venues),
        event=link(description, linker, events[0]) if events else None,
        publisher=bundle.label(publisher) if publisher else None,
        address=bundle.text(source, KG.publicationPlace),
        pages=description.text(iri, BIBO.pages),
        first_page=description.text(iri, BIBO.pageStart),
        last_page=description.text(iri, BIBO.pageEnd),
        volume_number=bundle.text(container, BIBO.volume) if container else None,
        issue_number=bundle.text(container, BIBO.issue) if container else None,
        isbn=description.text(iri, BIBO.isbn) or (bundle.text(container, BIBO.isbn)
                                                  if container else None),
        abstract=description.text(iri, SDO.abstract, DCTERMS.abstract),
        doi=doi, pdf=_safe(description.first_iri(iri, SDO.encoding)),
        landing=_safe(description.first_iri(iri, SDO.url)),
        awards=tuple(description.texts(iri, SDO.award)),
        status=description.text(iri, SDO.creativeWorkStatus),
        retraction_date=description.text(iri, KG.retractionDate),
        retraction_note=description.text(iri, KG.retractionNote),
        files=tuple((label, found) for label, found in (
            ("Attachments", _files(description, iri, SDO.associatedMedia, "Attachment")),
            ("Versions", _files(description, iri, DCTERMS.hasVersion, "Version")),
            ("Errata", _files(description, iri, SDO.correction, "Erratum"))) if found),
        videos=tuple(v for v in (_safe(v) for v in description.iris_of(iri, SDO.video)) if v),
        acl_id=description.text(iri, KG.aclId),
        note=description.text(iri, SDO.description))


def citation_meta(page: PaperPage) -> list[tuple[str, str]]:
    """The ``citation_*`` meta tags Google Scholar and Zotero read (Highwire Press names)."""
    tags: list[tuple[str, str | None]] = [("citation_title", page.title)]
    tags += [("citation_author", author.link.text) for author in page.authors]
    if page.date:
        tags.append(("citation_publication_date", page.date.replace("-", "/")))
    container = page.container.text if page.container else None
    tags += [
        ("citation_journal_title" if page.container_is_journal else "citation_conference_title",
         container),
        ("citation_volume", page.volume_number),
        ("citation_issue", page.issue_number),
        ("citation_firstpage", page.first_page),
        ("citation_lastpage", page.last_page),
        ("citation_publisher", page.publisher),
        ("citation_isbn", page.isbn),
        ("citation_doi", page.doi),
        ("citation_pdf_url", page.pdf),
        ("citation_abstract_html_url", page.landing),
        ("citation_language", page.language),
    ]
    return [(name, content) for name, content in tags if content]


# --- people ---------------------------------------------------------------------------------

_VARIANTS = """PREFIX kg: <{kg}>
SELECT DISTINCT ?printed ?affiliation WHERE {{
  ?slot kg:person {person} . OPTIONAL {{ ?slot kg:nameAsPrinted ?printed }}
  OPTIONAL {{ ?slot kg:affiliationAsPrinted ?affiliation }}
}}"""


@dataclass(frozen=True)
class CoauthorItem:
    link: Link
    count: int


@dataclass(frozen=True)
class PersonPage:
    resource: Resource
    name: str
    is_organization: bool
    variants: tuple[str, ...]
    affiliations: tuple[str, ...]
    orcids: tuple[str, ...]
    same_as: tuple[str, ...]
    papers: tuple[tuple[str, tuple[PaperItem, ...]], ...]
    paper_count: int
    coauthors: tuple[CoauthorItem, ...]
    chart: BarChart | None
    graph: CoauthorGraph | None
    edited: tuple[Link, ...]
    published: tuple[Link, ...]


def person_page(store: Store, description: Description, linker: Linker,
                res: Resource) -> PersonPage:
    iri = description.iri
    rows = by_date(paper_rows(store, _selector("?paper schema:author $this .", iri)))
    name = description.label(iri) or res.label
    names = set(description.texts(iri, SDO.name)) | set(description.texts(iri, SDO.alternateName))
    printed: set[str] = set()
    affiliations: set[str] = set()
    for row in _rows(store, _VARIANTS.format(kg=KG._NS, person=NamedNode(iri))):
        printed.update([v for v in [_text(row, "printed")] if v])
        affiliations.update([v for v in [_text(row, "affiliation")] if v])
    variants = sorted((names | printed) - {name}, key=str.casefold)
    same_as = description.iris_of(iri, SDO.sameAs)
    orcids = tuple(s for s in same_as if s.startswith("https://orcid.org/"))
    counts: Counter[str] = Counter()
    names_of: dict[str, list[Literal]] = defaultdict(list)
    together: Counter[tuple[str, str]] = Counter()
    for paper in rows:
        others = sorted({s.person for s in paper.authors if s.person and s.person != iri})
        counts.update(others)
        for slot in paper.authors:
            if slot.person and (slot.label or slot.name):
                names_of[slot.person].append(Literal(slot.label or slot.name or ""))
        together.update(combinations(others, 2))
    ranked = sorted(counts, key=lambda p: (-counts[p], (best_text(names_of[p]) or p).casefold()))
    coauthors = tuple(CoauthorItem(Link(best_text(names_of[p]) or linker.curie(p),
                                        linker.page(p), p), counts[p]) for p in ranked)
    index = {person: n for n, person in enumerate(ranked)}
    pairs = {(index[a], index[b]) if index[a] < index[b] else (index[b], index[a]): count
             for (a, b), count in together.items()}
    years = Counter(row.year for row in rows if row.year)
    return PersonPage(
        resource=res, name=name,
        is_organization=str(SDO.Organization) in description.types(iri),
        variants=tuple(variants), affiliations=tuple(sorted(affiliations, key=str.casefold)),
        orcids=orcids,
        same_as=tuple(s for s in same_as if s not in orcids and _safe(s)),
        papers=by_year(paper_items(rows, linker, this=iri)), paper_count=len(rows),
        coauthors=coauthors,
        chart=bar_chart({y: n for y, n in years.items() if y is not None},
                        title=f"Papers per year of {name}", unit="papers"),
        graph=coauthor_graph(name, [Coauthor(c.link.text, c.link.href, c.count)
                                    for c in coauthors], pairs),
        edited=tuple(link(description, linker, v)
                     for v in description.subjects(SDO.editor, iri)),
        published=tuple(link(description, linker, v)
                        for v in description.subjects(SDO.publisher, iri)))


# --- volumes, venues, events ----------------------------------------------------------------


@dataclass(frozen=True)
class VolumePage:
    resource: Resource
    title: str
    date: str | None
    editors: tuple[AuthorItem, ...]
    venues: tuple[Link, ...]
    event: Link | None
    publisher: str | None
    address: str | None
    isbn: str | None
    doi: str | None
    landing: str | None
    pdf: str | None
    front_matter: str | None
    volume_number: str | None
    issue_number: str | None
    acl_id: str | None
    papers: tuple[PaperItem, ...]


def volume_page(store: Store, description: Description, linker: Linker,
                res: Resource) -> VolumePage:
    iri = description.iri
    rows = in_volume_order(paper_rows(store, _selector("?paper schema:isPartOf $this .", iri)))
    events = description.iris_of(iri, BIBO.presentedAt)
    publisher = description.first_iri(iri, SDO.publisher)
    return VolumePage(
        resource=res, title=description.text(iri, SDO.name, DCTERMS.title) or res.label,
        date=description.text(iri, SDO.datePublished),
        editors=_authors(description, linker, iri, KG.editorship),
        venues=tuple(link(description, linker, v)
                     for v in description.iris_of(iri, SDO.isPartOf)),
        event=link(description, linker, events[0]) if events else None,
        publisher=description.label(publisher) if publisher else None,
        address=description.text(iri, KG.publicationPlace),
        isbn=description.text(iri, BIBO.isbn), doi=description.text(iri, BIBO.doi),
        landing=_safe(description.first_iri(iri, SDO.url)),
        pdf=_safe(description.first_iri(iri, SDO.encoding)),
        front_matter=_safe(description.first_iri(iri, KG.frontMatter)),
        volume_number=description.text(iri, BIBO.volume),
        issue_number=description.text(iri, BIBO.issue),
        acl_id=description.text(iri, KG.aclId),
        papers=paper_items(rows, linker))


_CHILDREN = """PREFIX schema: <http://schema.org/>
SELECT ?child ?type ?name ?date (COUNT(DISTINCT ?paper) AS ?papers) WHERE {{
  ?child schema:isPartOf {venue} ; a ?type .
  OPTIONAL {{ ?child schema:name ?name }}
  OPTIONAL {{ ?child schema:datePublished ?date }}
  OPTIONAL {{ ?paper schema:isPartOf ?child }}
}} GROUP BY ?child ?type ?name ?date"""

_EVENTS = """PREFIX schema: <http://schema.org/>
SELECT ?event ?name ?date ?location WHERE {{
  ?event schema:superEvent {venue} .
  OPTIONAL {{ ?event schema:name ?name }}
  OPTIONAL {{ ?event schema:startDate ?date }}
  OPTIONAL {{ ?event schema:location ?location }}
}}"""


@dataclass(frozen=True)
class VolumeItem:
    link: Link
    year: int | None
    papers: int


@dataclass(frozen=True)
class EventItem:
    link: Link
    year: str | None
    location: str | None


@dataclass(frozen=True)
class VenuePage:
    resource: Resource
    name: str
    acronym: str | None
    issn: str | None
    volumes: tuple[tuple[str, tuple[VolumeItem, ...]], ...]
    volume_count: int
    paper_count: int
    chart: BarChart | None
    events: tuple[EventItem, ...]
    papers: tuple[PaperItem, ...]


@dataclass
class _Child:
    types: set[str] = field(default_factory=set)
    names: list[Term] = field(default_factory=list)
    dates: set[str] = field(default_factory=set)
    papers: int = 0

    @cached_property
    def year(self) -> int | None:
        date = min(self.dates) if self.dates else ""
        return int(date[:4]) if date[:4].isdigit() else None


def venue_page(store: Store, description: Description, linker: Linker,
               res: Resource) -> VenuePage:
    """A venue (or a journal): its volumes by year with a chart, its events, and the papers
    that are part of it directly (journal articles without a volume)."""
    iri = description.iri
    children: dict[str, _Child] = defaultdict(_Child)
    for row in _rows(store, _CHILDREN.format(venue=NamedNode(iri))):
        child = _text(row, "child")
        if child is None:
            continue
        entry = children[child]
        entry.types.update([v for v in [_text(row, "type")] if v])
        entry.names.extend([row["name"]] if "name" in row else [])
        entry.dates.update([v for v in [_text(row, "date")] if v])
        papers = _text(row, "papers")
        entry.papers = max(entry.papers, int(papers) if papers and papers.isdigit() else 0)
    volumes = sorted(((c, e) for c, e in children.items()
                      if kind_of(e.types, c, linker.base) is Kind.VOLUME),
                     key=lambda item: (-(item[1].year or 0), natural_key(item[0])))
    direct = [c for c, e in children.items() if kind_of(e.types, c, linker.base) is Kind.PAPER]
    items = [VolumeItem(Link(best_text(e.names) or linker.curie(c), linker.page(c), c),
                        e.year, e.papers) for c, e in volumes]
    grouped: dict[str, list[VolumeItem]] = {}
    for item in items:
        grouped.setdefault(str(item.year) if item.year else "Undated", []).append(item)
    events = []
    for row in _rows(store, _EVENTS.format(venue=NamedNode(iri))):
        event = _text(row, "event")
        if event:
            date = _text(row, "date")
            events.append(EventItem(Link(_text(row, "name") or linker.curie(event),
                                         linker.page(event), event),
                                    date[:4] if date else None, _text(row, "location")))
    unique_events = {e.link.iri: e for e in events}
    name = description.label(iri) or res.label
    direct_rows = (by_date(paper_rows(store, "VALUES ?paper { "
                                      + " ".join(str(NamedNode(p)) for p in direct) + " }"))
                   if direct else [])
    return VenuePage(
        resource=res, name=name, acronym=description.text(iri, BIBO.shortTitle),
        issn=description.text(iri, BIBO.issn),
        volumes=tuple((year, tuple(group)) for year, group in grouped.items()),
        volume_count=len(items), paper_count=sum(i.papers for i in items) + len(direct),
        chart=bar_chart(Counter(i.year for i in items if i.year is not None),
                        title=f"Volumes per year of {name}", unit="volumes"),
        events=tuple(sorted(unique_events.values(),
                            key=lambda e: (-(int(e.year) if e.year and e.year.isdigit()
                                             else 0), e.link.text))),
        papers=paper_items(direct_rows, linker))


@dataclass(frozen=True)
class EventPage:
    resource: Resource
    name: str
    year: str | None
    location: str | None
    series: tuple[Link, ...]
    volumes: tuple[Link, ...]
    papers: tuple[PaperItem, ...]


def event_page(store: Store, description: Description, linker: Linker,
               res: Resource) -> EventPage:
    iri = description.iri
    presented = description.subjects(BIBO.presentedAt, iri)
    volumes = [v for v in presented if description.kind(linker.base, v) is Kind.VOLUME]
    rows = by_date(paper_rows(store, _selector(
        f'?paper bibo:presentedAt $this . FILTER (STRSTARTS(STR(?paper), "{linker.base}paper/"))',
        iri)))
    date = description.text(iri, SDO.startDate)
    return EventPage(
        resource=res, name=description.label(iri) or res.label,
        year=date[:4] if date else None, location=description.text(iri, SDO.location),
        series=tuple(link(description, linker, s)
                     for s in description.iris_of(iri, SDO.superEvent)),
        volumes=tuple(link(description, linker, v) for v in volumes),
        papers=paper_items(rows, linker))


# --- search ---------------------------------------------------------------------------------

_SEARCH_PEOPLE = """PREFIX schema: <http://schema.org/>
SELECT ?s (SAMPLE(?name) AS ?label) (COUNT(DISTINCT ?paper) AS ?papers) WHERE {{
  {{ SELECT DISTINCT ?s ?name WHERE {{
    ?s a schema:Person ; schema:name ?name . {filters}
  }} LIMIT {limit} }}
  OPTIONAL {{ ?paper schema:author ?s }}
}} GROUP BY ?s ORDER BY DESC(?papers) ?label LIMIT {limit}"""

_SEARCH_PAPERS = """PREFIX schema: <http://schema.org/>
SELECT DISTINCT ?s ?name ?date WHERE {{
  VALUES ?type {{ {types} }}
  ?s a ?type ; schema:name ?name . {filters}
  OPTIONAL {{ ?s schema:datePublished ?date }}
}} ORDER BY DESC(?date) ?name LIMIT {limit}"""

#: Search results per kind shown on one page (one more is asked for, to tell "more").
SEARCH_LIMIT = 50


@dataclass(frozen=True)
class SearchHit:
    link: Link
    detail: str | None


@dataclass(frozen=True)
class SearchResults:
    text: str
    people: tuple[SearchHit, ...]
    papers: tuple[SearchHit, ...]
    more_people: bool
    more_papers: bool


def _filters(text: str) -> str:
    words = text.casefold().split()[:8]
    return " ".join(f"FILTER (CONTAINS(LCASE(STR(?name)), {Literal(word)}))" for word in words)


def search(store: Store, text: str, linker: Linker) -> SearchResults:
    """People whose name and papers whose title contain every word of ``text`` (ignoring
    case), the most prolific people and the newest papers first."""
    filters = _filters(text)
    if not filters:
        return SearchResults(text, (), (), False, False)
    people: dict[str, SearchHit] = {}
    for row in _rows(store, _SEARCH_PEOPLE.format(filters=filters, limit=SEARCH_LIMIT + 1)):
        person = _text(row, "s")
        if person and person not in people:
            count = int(_text(row, "papers") or 0)
            people[person] = SearchHit(
                Link(_text(row, "label") or person, linker.page(person), person),
                f"{count} paper{'s' if count != 1 else ''}")
    types = " ".join(sorted({f"<{cls}>" for cls in (SDO.ScholarlyArticle, SDO.Book, SDO.Chapter,
                                                     SDO.Thesis, SDO.Report, SDO.TechArticle,
                                                     SDO.CreativeWork, SDO.WebPage)}))
    papers: dict[str, SearchHit] = {}
    for row in _rows(store, _SEARCH_PAPERS.format(filters=filters, types=types,
                                                  limit=SEARCH_LIMIT + 1)):
        paper = _text(row, "s")
        if paper and paper not in papers and paper.startswith(linker.base + "paper/"):
            date = _text(row, "date")
            papers[paper] = SearchHit(Link(_text(row, "name") or paper, linker.page(paper),
                                           paper), date[:4] if date else None)
    return SearchResults(text, tuple(people.values())[:SEARCH_LIMIT],
                         tuple(papers.values())[:SEARCH_LIMIT],
                         len(people) > SEARCH_LIMIT, len(papers) > SEARCH_LIMIT)


# --- home -----------------------------------------------------------------------------------

_VENUES = """PREFIX schema: <http://schema.org/>
PREFIX bibo: <http://purl.org/ontology/bibo/>
PREFIX kg: <{kg}>
SELECT ?venue (SAMPLE(?name) AS ?label) (SAMPLE(?acronym) AS ?short)
       (COUNT(DISTINCT ?volume) AS ?volumes) WHERE {{
  ?venue a kg:Venue .
  OPTIONAL {{ ?venue schema:name ?name }}
  OPTIONAL {{ ?venue bibo:shortTitle ?acronym }}
  OPTIONAL {{ ?volume schema:isPartOf ?venue }}
}} GROUP BY ?venue ORDER BY DESC(?volumes) ?venue LIMIT {limit}"""


@dataclass(frozen=True)
class VenueItem:
    link: Link
    acronym: str | None
    volumes: int


def venues(store: Store, linker: Linker, limit: int = 30) -> tuple[VenueItem, ...]:
    """The venues with the most volumes."""
    out = []
    for row in _rows(store, _VENUES.format(kg=KG._NS, limit=limit)):
        venue = _text(row, "venue")
        if venue:
            out.append(VenueItem(Link(_text(row, "label") or linker.curie(venue),
                                      linker.page(venue), venue),
                                 _text(row, "short"), int(_text(row, "volumes") or 0)))
    return tuple(out)
