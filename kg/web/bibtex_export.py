"""BibTeX for a paper, a person's papers and a volume, written from their descriptions.

Each paper is read from its description (``kg.web.describe``) together with the description
of what it is part of (its volume, issue or journal), so an ``@inproceedings`` entry gets its
``booktitle``, editors, publisher and address from the volume. Entry types follow the record's
classes (:data:`ENTRY_TYPES`); the key is the record's own citation key (``kg:bibKey``, the ACL
Anthology's) when it has one, else ``{family name}-{year}-{first title word}``, made unique
within one export by a letter suffix.

Values are written in braces and escaped for LaTeX (``&``, ``%``, ``#``, ``_``, braces,
backslash, ``~``, ``^``), except ``$...$`` spans with balanced braces, which stay mathematics
(ACL titles keep their ``<tex-math>`` that way); URLs and DOIs are written verbatim (as the
``url`` package reads them) unless they hold braces or a backslash. So any title, even one
holding ``}`` or ``@comment{``, gives a file that BibTeX parsers read back as the same entry.

>>> bibtex_text("50% of {R&D}")
'50\\\\% of \\\\{R\\\\&D\\\\}'
>>> bibtex_text("Counting $\\\\alpha^2$-Graphs")
'Counting $\\\\alpha^2$-Graphs'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kg.names import slug
from kg.store import Store
from kg.vocab import BIBO, BIBO_DEGREES, DCTERMS, KG, SDO
from kg.web.describe import Description, describe, natural_key

#: Record classes -> BibTeX entry type, first match wins. ``bibo:AcademicArticle`` is an
#: ``@article`` in a journal issue and an ``@inproceedings`` otherwise (see ``entry_type``).
ENTRY_TYPES: tuple[tuple[str, str], ...] = tuple((str(cls), kind) for cls, kind in (
    (BIBO.Chapter, "incollection"),
    (BIBO.Thesis, "thesis"),
    (BIBO.Report, "techreport"),
    (BIBO.Manual, "manual"),
    (BIBO.Book, "book"),
    (BIBO.Proceedings, "proceedings"),
    (BIBO.Issue, "proceedings"),
    (BIBO.AcademicArticle, "inproceedings"),
    (BIBO.Webpage, "misc"),
))
_JOURNAL_TYPES = {str(BIBO.Issue), str(BIBO.Journal)}
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
            "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\^{}", "$": r"\$"}
_MATH = re.compile(r"\$[^$]+\$")


def _escape(text: str) -> str:
    return "".join(_SPECIAL.get(char, char) for char in text)


def _balanced(text: str) -> bool:
    depth = 0
    for index, char in enumerate(text):
        if char == "{" and (index == 0 or text[index - 1] != "\\"):
            depth += 1
        elif char == "}" and (index == 0 or text[index - 1] != "\\"):
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def bibtex_text(text: str) -> str:
    """``text`` as the inside of a braced BibTeX value (see the module docstring)."""
    parts: list[str] = []
    last = 0
    for match in _MATH.finditer(text):
        math = match.group(0)
        if not _balanced(math):
            continue
        parts.append(_escape(text[last:match.start()]))
        parts.append(math)
        last = match.end()
    parts.append(_escape(text[last:]))
    return " ".join("".join(parts).split())  # one line: BibTeX values span no lines


@dataclass(frozen=True)
class BibEntry:
    """One BibTeX entry: its type, key and fields in order, each value as written in the file
    (escaped text in braces, or a bare month macro)."""

    type: str
    key: str
    fields: tuple[tuple[str, str], ...]

    def format(self) -> str:
        lines = [f"@{self.type}{{{self.key},"]
        for name, written in self.fields:
            lines.append(f"    {name} = {written},")
        lines.append("}")
        return "\n".join(lines)


def entry_type(types: set[str], container_types: set[str], degree: str | None) -> str:
    """The BibTeX entry type of a record with ``types`` inside a container with
    ``container_types`` (a thesis is ``@phdthesis`` or ``@mastersthesis`` by its degree)."""
    for cls, kind in ENTRY_TYPES:
        if cls in types:
            if kind == "thesis":
                return "phdthesis" if degree == str(BIBO_DEGREES.phd) else "mastersthesis"
            if kind == "inproceedings" and container_types & _JOURNAL_TYPES:
                return "article"
            return kind
    return "misc"


def bib_name(description: Description, person: str | None, printed: str | None) -> str:
    """A name for an author or editor field, escaped: ``Family, Given`` when both are known,
    an organisation in braces (one "last name"), else as printed."""
    if person is not None:
        family = description.text(person, SDO.familyName)
        given = description.text(person, SDO.givenName)
        if family and given:
            return f"{bibtex_text(family)}, {bibtex_text(given)}"
        if str(SDO.Organization) in description.types(person):
            return "{" + bibtex_text(printed or description.label(person) or "") + "}"
    name = printed or (description.label(person) if person else None) or "Anonymous"
    return re.sub(r"\band\b", "{and}", bibtex_text(name))


def _people(description: Description, owner: str, link: str) -> str | None:
    slots = description.slots(owner, link)
    names = [bib_name(description, slot.person, slot.name) for slot in slots]
    return " and ".join(names) if names else None


def _key_for(description: Description, iri: str, authors: str | None, year: str | None,
             title: str | None) -> str:
    own = description.text(iri, KG.bibKey)
    if own and re.fullmatch(r"[^\s,{}\"#%'()=\\~]+", own):
        return own
    first = (authors or "anonymous").split(" and ")[0].split(",")[0]
    words = [w for w in slug(title or "").split("-") if len(w) > 3] or ["untitled"]
    return "-".join(filter(None, [slug(first).split("-")[-1] or "anonymous", year, words[0]]))


def _date(description: Description, iri: str) -> tuple[str | None, str | None]:
    date = description.text(iri, SDO.datePublished)
    if not date or not date[:4].isdigit():
        return None, None
    month = date[5:7]
    return date[:4], (_MONTHS[int(month) - 1] if month.isdigit() and 1 <= int(month) <= 12
                      else None)


def record_entry(bundle: Description, iri: str) -> BibEntry:
    """The entry of the paper or volume ``iri``; ``bundle`` holds its description and that of
    what it is part of."""
    types = bundle.types(iri)
    containers = bundle.iris_of(iri, SDO.isPartOf)
    container = next((c for c in containers if c in bundle), containers[0] if containers else None)
    container_types = bundle.types(container) if container else set()
    degree = bundle.first_iri(iri, BIBO.degree)
    kind = entry_type(types, container_types, degree)
    title = bundle.text(iri, SDO.name, DCTERMS.title)
    authors = _people(bundle, iri, KG.authorship)
    editors = _people(bundle, iri, KG.editorship)
    year, month = _date(bundle, iri)
    fields: list[tuple[str, str | None]] = [("title", title), ("author", authors)]
    journal = None
    source = iri  # where the publication details are: the record, or its container
    if container is not None and kind not in ("book", "proceedings", "phdthesis",
                                              "mastersthesis", "techreport", "manual"):
        source = container
        if container_types & _JOURNAL_TYPES:
            journal = next((bundle.label(j) for j in bundle.iris_of(container, SDO.isPartOf)
                            if str(BIBO.Journal) in bundle.types(j)), None)
            if str(BIBO.Journal) in container_types:
                journal = bundle.label(container)
            fields.append(("journal", journal))
        else:
            fields.append(("booktitle", bundle.label(container)))
        editors = editors or _people(bundle, container, KG.editorship)
        if year is None:
            year, month = _date(bundle, container)
    publisher = bundle.first_iri(source, SDO.publisher)
    fields += [
        ("editor", editors),
        ("volume", bundle.text(source, BIBO.volume) if journal else None),
        ("number", bundle.text(source, BIBO.issue) if journal else bundle.text(iri, BIBO.number)),
        ("edition", bundle.text(iri, BIBO.edition)),
        ("month", month),
        ("year", year),
        ("address", bundle.text(source, KG.publicationPlace)),
        ("publisher", bundle.label(publisher) if publisher else None),
        ("isbn", bundle.text(iri, BIBO.isbn)),
        ("url", bundle.first_iri(iri, SDO.url)),
        ("doi", bundle.text(iri, BIBO.doi)),
        ("pages", (bundle.text(iri, BIBO.pages) or "").replace("–", "--").replace("—", "--")
         or None),
        ("note", bundle.text(iri, SDO.description)),
        ("abstract", bundle.text(iri, SDO.abstract, DCTERMS.abstract)),
    ]
    key = _key_for(bundle, iri, authors or editors, year, title)
    return BibEntry(kind, key, tuple((name, _written(name, value))
                                     for name, value in fields if value))


def _written(name: str, value: str) -> str:
    if name == "month":
        return value  # a macro
    if name in ("author", "editor"):
        return "{" + value + "}"  # escaped name by name
    if name in ("url", "doi") and not set(value) & set("{}\\ "):
        return "{" + value + "}"  # verbatim, as the url package reads it
    return "{" + bibtex_text(value) + "}"


def _unique(entries: Iterable[BibEntry]) -> list[BibEntry]:
    seen: dict[str, int] = {}
    out = []
    for entry in entries:
        count = seen.get(entry.key, 0)
        seen[entry.key] = count + 1
        if count:
            entry = BibEntry(entry.type, f"{entry.key}{chr(ord('a') + (count - 1) % 26)}"
                             f"{'' if count <= 26 else count}", entry.fields)
        out.append(entry)
    return out


def entries(store: Store, iris: Sequence[str]) -> list[BibEntry]:
    """The entries of the records ``iris`` (papers or volumes), in that order."""
    records = describe(store, iris, inbound=False)
    containers = sorted({c for iri in iris for c in records.iris_of(iri, SDO.isPartOf)},
                        key=natural_key)
    bundle = records.merge(describe(store, containers, inbound=False)) if containers else records
    return _unique(record_entry(bundle, iri) for iri in iris)


def bibtex(entries: Iterable[BibEntry]) -> str:
    """A BibTeX file of ``entries`` (empty entries list: an empty file)."""
    text = "\n\n".join(entry.format() for entry in entries)
    return text + "\n" if text else ""
