"""Counts that describe a store: papers, people, volumes, venues, events, triples, graphs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pyoxigraph import QuerySolutions

from kg.store import Store
from kg.vocab import BIBO, KG, SDO

_COUNT = "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{cls}> }}"
_RECORDS = f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s <{KG.sourceLine}> ?line }}"


@dataclass(frozen=True)
class Stats:
    """``records`` counts every publication record (papers, books, theses, reports ...);
    ``papers`` the scholarly articles among them; ``volumes`` proceedings and journal issues."""

    records: int
    papers: int
    people: int
    volumes: int
    venues: int
    events: int
    quads: int
    named_graphs: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _count(store: Store, cls: str) -> int:
    return _count_query(store, _COUNT.format(cls=cls))


def _count_query(store: Store, query: str) -> int:
    result = store.query(query)
    assert isinstance(result, QuerySolutions)
    for row in result:
        value = row["n"]
        return int(value.value) if value is not None else 0
    return 0


def collect(store: Store) -> Stats:
    """Count the entities of ``store`` by class (each resource once, over all graphs)."""
    return Stats(
        records=_count_query(store, _RECORDS),
        papers=_count(store, SDO.ScholarlyArticle),
        people=_count(store, SDO.Person),
        volumes=_count(store, BIBO.Proceedings) + _count(store, BIBO.Issue),
        venues=_count(store, KG.Venue),
        events=_count(store, SDO.Event),
        quads=store.quad_count(),
        named_graphs=len(store.named_graphs()),
    )
