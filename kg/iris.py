"""IRI minting: the only module that decides what a resource is called.

Every IRI is ``base`` (``Settings.base_iri``, ``https://w3id.org/scholarly-kg/`` by default)
plus a path that depends only on the record, never on the run, the machine or the ingest order:

=================  ==========================================================================
paper              ``paper/{ACL id}``, else ``paper/doi/{DOI}``,
                   else ``paper/{year}-{title slug}-{hash}``
person             ``person/{ACL person id}``, else ``person/orcid-{ORCID}``, else
                   ``person/{name key}`` (see ``kg.names``)
organisation       ``org/{name key}`` (a group credited as an author)
volume             ``volume/{ACL volume id}``, else ``volume/{year}-{title slug}-{hash}``
venue              ``venue/{ACL venue id}`` (``venue/acl``)
journal            ``journal/{name key}`` (``journal/journal-of-machine-learning-research``)
event              ``event/{venue}-{year}`` (``event/acl-2025``)
author slot        ``{paper}/author/{position}``; editor slot ``{volume}/editor/{position}``
rdf:List cells     ``{paper}/author-list/{position}``, ``{volume}/editor-list/{position}``
linked file        ``{paper}/attachment/{n}``, ``{paper}/revision/{n}``, ``{paper}/erratum/{n}``
named graph        ``graph/{source file name}``; its file ``.../source``, its ingest ``.../ingest``
=================  ==========================================================================

No blank node is ever minted: list cells and slots get IRIs too (skolem IRIs in the sense of
RDF 1.1 section 3.5), so dumps are deterministic and every node can be dereferenced.
``hash`` is the first 8 hex digits of SHA-256 over the full title key, so two titles that share
a shortened slug still get different IRIs. An IRI once minted is never given to another thing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

from kg.names import person_key, title_key
from kg.records import Contributor, Journal, Paper, Volume

_SLUG_WORDS = 8
_SAFE = "-._~"
_SAFE_DOI = "-._~/:;()"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def _titled(year: int | None, title: str) -> str:
    return _from_key(year, title_key(title))


def _from_key(year: int | None, key: str) -> str:
    prefix = f"{year:04d}-" if year is not None else ""
    short = "-".join(key.split("-")[:_SLUG_WORDS]) or "untitled"
    return f"{prefix}{short}-{_digest(key)}"


def paper_title_key(paper: Paper) -> str:
    """``{year}/{title key}`` (``undated/...`` without a year): how papers match by title."""
    year = f"{paper.date.year:04d}" if paper.date else "undated"
    return f"{year}/{title_key(paper.title)}"


def volume_title_key(volume: Volume) -> str:
    """The title key of a book that holds chapters, formed as a paper's (``paper_title_key``)."""
    year = f"{volume.year:04d}" if volume.year is not None else "undated"
    return f"{year}/{title_key(volume.title)}"


@dataclass(frozen=True)
class IriMinter:
    """Mints IRIs under one base IRI (which must end with ``/``)."""

    base: str

    def paper(self, paper: Paper) -> str:
        if paper.acl_id:
            return f"{self.base}paper/{quote(paper.acl_id, safe=_SAFE)}"
        if paper.doi:
            return f"{self.base}paper/doi/{quote(paper.doi.lower(), safe=_SAFE_DOI)}"
        year = paper.date.year if paper.date else None
        return f"{self.base}paper/{_titled(year, paper.title)}"

    def paper_from_keys(self, *, acl_id: str | None = None, doi: str | None = None,
                        title_key: str | None = None) -> str:
        """The IRI a paper known by these identifiers gets (ACL id, else DOI, else title key)."""
        if acl_id:
            return f"{self.base}paper/{quote(acl_id, safe=_SAFE)}"
        if doi:
            return f"{self.base}paper/doi/{quote(doi.lower(), safe=_SAFE_DOI)}"
        if title_key:
            year, _, key = title_key.partition("/")
            return f"{self.base}paper/{_from_key(None if year == 'undated' else int(year), key)}"
        raise ValueError("a paper needs an ACL id, a DOI or a title key")

    def person(self, person: Contributor) -> str:
        if person.is_organization:
            return f"{self.base}org/{person_key(person.name) or _digest(person.name)}"
        if person.acl_id:
            return f"{self.base}person/{quote(person.acl_id, safe=_SAFE)}"
        if person.orcid:
            return f"{self.base}person/orcid-{quote(person.orcid, safe=_SAFE)}"
        return f"{self.base}person/{person_key(person.name) or _digest(person.name)}"

    def volume(self, volume: Volume) -> str:
        if volume.acl_id:
            return f"{self.base}volume/{quote(volume.acl_id, safe=_SAFE)}"
        return f"{self.base}volume/{_titled(volume.year, volume.title)}"

    def journal(self, journal: Journal) -> str:
        return f"{self.base}journal/{title_key(journal.name)}"

    def venue(self, key: str) -> str:
        return f"{self.base}venue/{quote(key, safe=_SAFE)}"

    def event(self, key: str) -> str:
        return f"{self.base}event/{quote(key, safe=_SAFE)}"

    def graph(self, source_name: str) -> str:
        return f"{self.base}graph/{quote(source_name, safe=_SAFE)}"

    def software(self, version: str) -> str:
        return f"{self.base}software/kg/{quote(version, safe=_SAFE)}"

    @staticmethod
    def slot(owner: str, role: str, position: int) -> str:
        """``role`` is ``author``, ``editor``, ``author-list``, ``editor-list``, ``attachment``,
        ``revision`` or ``erratum`` (``position`` is then the source's number of the file)."""
        return f"{owner}/{role}/{position}"
