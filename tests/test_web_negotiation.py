"""Content negotiation: pure functions over the tables, one parametrized case per rule."""

from __future__ import annotations

import pytest
from pyoxigraph import RdfFormat

from kg.web.negotiation import (
    DATASETS,
    DESCRIPTIONS,
    DOCUMENTS,
    GRAPHS,
    SOLUTIONS,
    accepts_gzip,
    canonical,
    choose,
    content_type,
    negotiate,
    parse_accept,
    upload_format,
)

JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"


@pytest.mark.parametrize(("accept", "expected"), [
    (None, JSON),
    ("", JSON),
    ("*/*", JSON),
    ("application/*", JSON),
    ("text/*", CSV),
    (XML, XML),
    ("text/csv", CSV),
    (TSV, TSV),
    ("text/csv;q=0.5, application/sparql-results+xml", XML),
    ("text/csv;q=0.9, text/tab-separated-values;q=0.91", TSV),
    ("application/json", JSON),
    ("application/xml", XML),
    ("text/xml", XML),
    ("APPLICATION/SPARQL-RESULTS+XML", XML),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", XML),
    ("application/sparql-results+json,application/json,text/javascript,application/javascript",
     JSON),
    ("*/*;q=0.1, text/csv", CSV),
    ("text/csv;q=0, */*", JSON),
    ("text/csv;q=oops, */*;q=0.5", JSON),
    ("image/png", None),
    ("text/turtle", None),
    ("*/*;q=0", None),
    ("garbage", JSON),
])
def test_solutions(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, None, SOLUTIONS) == expected


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/turtle"),
    ("*/*", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("text/plain", "application/n-triples"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("application/n-quads", "application/n-quads"),
    ("application/trig", "application/trig"),
    ("application/x-turtle", "text/turtle"),
    ("application/ld+json;q=0.5, application/rdf+xml;q=0.6", "application/rdf+xml"),
    ("application/sparql-results+json", None),
    ("text/csv", None),
])
def test_graphs(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, None, GRAPHS) == expected


@pytest.mark.parametrize(("accept", "override", "offer", "expected"), [
    (None, "json", SOLUTIONS, JSON),
    (None, "xml", SOLUTIONS, XML),
    (None, "csv", SOLUTIONS, CSV),
    (None, "tsv", SOLUTIONS, TSV),
    ("text/csv", "json", SOLUTIONS, JSON),
    (None, "text/csv", SOLUTIONS, CSV),
    (None, "TEXT/CSV; charset=utf-8", SOLUTIONS, CSV),
    ("text/csv", "turtle", SOLUTIONS, CSV),
    ("text/csv", "nonsense", SOLUTIONS, CSV),
    ("image/png", "nonsense", SOLUTIONS, None),
    (None, "json", GRAPHS, "application/ld+json"),
    (None, "xml", GRAPHS, "application/rdf+xml"),
    (None, "ntriples", GRAPHS, "application/n-triples"),
    (None, "nt", GRAPHS, "application/n-triples"),
    (None, "turtle", GRAPHS, "text/turtle"),
    (None, "trig", GRAPHS, "application/trig"),
    (None, "csv", GRAPHS, "text/turtle"),
    (None, "html", DESCRIPTIONS, "text/html"),
    ("text/html", "turtle", DESCRIPTIONS, "text/turtle"),
    (None, "nquads", DATASETS, "application/n-quads"),
    (None, "turtle", DATASETS, "application/n-quads"),
    (None, "html", DOCUMENTS, "text/turtle"),
])
def test_format_and_output_parameters(accept: str | None, override: str | None, offer: object,
                                      expected: str | None) -> None:
    assert negotiate(accept, override, offer) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("accept", "expected"), [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("*/*", "text/turtle"),
    (None, "text/turtle"),
    ("application/ld+json", "application/ld+json"),
    ("application/sparql-results+json", None),
])
def test_descriptions(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept, None, DESCRIPTIONS) == expected


def test_void_has_no_page() -> None:
    assert negotiate("text/html", None, DOCUMENTS) is None
    assert negotiate("text/html, */*;q=0.1", None, DOCUMENTS) == "text/turtle"


def test_server_order_breaks_ties_and_specific_ranges_win() -> None:
    assert choose("text/csv, application/sparql-results+xml", [JSON, XML, CSV]) == XML
    assert choose("text/*;q=0.2, text/csv;q=0.9", [TSV, CSV]) == CSV
    assert choose("text/csv;q=0, text/*", [CSV, TSV]) == TSV


def test_parse_accept_keeps_order_and_quality() -> None:
    ranges = parse_accept("text/csv;q=0.3, */*")
    assert [(r.type, r.subtype, r.q, r.order) for r in ranges] == [
        ("text", "csv", 0.3, 0), ("*", "*", 1.0, 1)]


@pytest.mark.parametrize(("header", "expected"), [
    (None, False), ("", False), ("gzip", True), ("gzip, deflate, br", True),
    ("deflate", False), ("gzip;q=0", False), ("*", True), ("*;q=0", False),
    ("br, *;q=0.1", True), ("identity, gzip;q=0", False), ("x-gzip", True),
])
def test_gzip(header: str | None, expected: bool) -> None:
    assert accepts_gzip(header) is expected


@pytest.mark.parametrize(("mimetype", "expected"), [
    ("text/turtle", RdfFormat.TURTLE), ("application/n-triples", RdfFormat.N_TRIPLES),
    ("text/plain", RdfFormat.N_TRIPLES), ("application/rdf+xml", RdfFormat.RDF_XML),
    ("application/ld+json", RdfFormat.JSON_LD), ("text/n3", RdfFormat.N3),
    ("application/n-quads", RdfFormat.N_QUADS), ("application/trig", RdfFormat.TRIG),
    ("Text/Turtle", RdfFormat.TURTLE), ("application/json", None), ("", None),
    ("application/sparql-query", None),
])
def test_upload_formats(mimetype: str, expected: RdfFormat | None) -> None:
    assert upload_format(mimetype) == expected


def test_canonical_and_content_type() -> None:
    assert canonical("application/json") == JSON
    assert canonical("text/plain") == "application/n-triples"
    assert canonical(CSV) == CSV
    assert content_type(TSV) == "text/tab-separated-values; charset=utf-8"


def test_every_offered_type_is_a_real_format() -> None:
    for offer in (SOLUTIONS, GRAPHS, DATASETS, DESCRIPTIONS, DOCUMENTS):
        assert offer.types, offer
        for name, media_type in offer.names.items():
            assert media_type in offer.types, (name, media_type)
