"""Content negotiation as pure functions over tables (tested with parametrized cases)."""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, RdfFormat


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    order: int

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return (self.type in ("*", main)) and (self.subtype in ("*", sub))

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; a missing or empty header accepts anything."""
    if not header or not header.strip():
        return [MediaRange("*", "*", 1.0, 0)]
    ranges = []
    for order, part in enumerate(header.split(",")):
        fields = [f.strip() for f in part.split(";")]
        media, params = fields[0].lower(), fields[1:]
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(main, sub, q, order))
    return ranges


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers (server order breaks ties); None if none fits."""
    ranges = parse_accept(header)
    best: tuple[float, int, int, int] | None = None
    chosen = None
    for index, media_type in enumerate(offered):
        matching = [r for r in ranges if r.matches(media_type)]
        if not matching:
            continue
        most_specific = max(matching, key=lambda r: (r.specificity, -r.order))
        if most_specific.q <= 0:
            continue
        key = (most_specific.q, most_specific.specificity, -index, -most_specific.order)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen


RESULT_TYPES: dict[str, QueryResultsFormat] = {
    "application/sparql-results+json": QueryResultsFormat.JSON,
    "application/sparql-results+xml": QueryResultsFormat.XML,
    "text/csv": QueryResultsFormat.CSV,
    "text/tab-separated-values": QueryResultsFormat.TSV,
    "application/json": QueryResultsFormat.JSON,
    "application/xml": QueryResultsFormat.XML,
}

GRAPH_TYPES: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
    "application/n-quads": RdfFormat.N_QUADS,
    "application/trig": RdfFormat.TRIG,
    "text/plain": RdfFormat.N_TRIPLES,
}
