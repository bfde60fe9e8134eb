"""Reading SPARQL text before it runs: outbound targets, datasets, trailing LIMIT, USING."""

from __future__ import annotations

import pyoxigraph
import pytest

from kg.web.sparql_text import (
    add_using,
    allowed,
    names_dataset,
    names_update_dataset,
    outbound_targets,
    tokens,
    trailing_limit,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", ["http://127.0.0.1:1/"]),
    ("select * { service silent <http://x.example/sparql> { ?s ?p ?o } }",
     ["http://x.example/sparql"]),
    ("SELECT * { SERVICE ?endpoint { ?s ?p ?o } }", ["?endpoint"]),
    ("PREFIX ex: <http://x.example/> SELECT * { SERVICE ex:sparql { ?s ?p ?o } }",
     ["http://x.example/sparql"]),
    ("SELECT * { SERVICE undeclared:sparql { ?s ?p ?o } }", ["undeclared:sparql"]),
    ("BASE <http://x.example/a/> SELECT * { SERVICE <../sparql> { ?s ?p ?o } }",
     ["http://x.example/sparql"]),
    ("SELECT * { SERVICE<http://a.example/>{?s ?p ?o} SERVICE <http://b.example/> {} }",
     ["http://a.example/", "http://b.example/"]),
    # Not code: strings, IRIs, comments, prefixed names, variables.
    ('SELECT * { ?s <http://schema.org/name> "SERVICE <http://x/> {}" }', []),
    ("SELECT * { ?s <http://schema.org/name> '''SERVICE\n<http://x/> {}''' }", []),
    ("SELECT * { ?s <http://example.org/SERVICE> ?o }", []),
    ("SELECT * { ?s ?p ?o } # SERVICE <http://x/> { }", []),
    ("PREFIX service: <http://x/> SELECT * { ?s service:service ?o }", []),
    ("SELECT ?service { ?service ?p ?o }", []),
    ("SELECT * { ?s ?p ?o FILTER(?o < 3) } # a < b SERVICE", []),
])
def test_service_targets(text: str, expected: list[str]) -> None:
    assert outbound_targets(text, "SERVICE") == expected


def test_a_service_clause_cannot_hide_behind_a_less_than() -> None:
    # "<?b)SERVICE" is not an IRI: the '<' is an operator and SERVICE is read as a keyword.
    text = "SELECT * { ?a ?p ?b FILTER(?a<?b)SERVICE<http://x.example/>{?s ?p ?o} }"
    assert outbound_targets(text, "SERVICE") == ["http://x.example/"]


@pytest.mark.parametrize(("text", "expected"), [
    ("LOAD <file:///etc/passwd>", ["file:///etc/passwd"]),
    ("LOAD SILENT <http://x.example/data.ttl> INTO GRAPH <http://g/>",
     ["http://x.example/data.ttl"]),
    ("INSERT DATA { <http://a/> <http://b/> \"LOAD <file:///etc/passwd>\" }", []),
    ("CLEAR ALL ; LOAD <http://a.example/x> ; LOAD <http://b.example/y>",
     ["http://a.example/x", "http://b.example/y"]),
])
def test_load_targets(text: str, expected: list[str]) -> None:
    assert outbound_targets(text, "LOAD") == expected


@pytest.mark.parametrize(("target", "allow_list", "expected"), [
    ("http://x.example/sparql", [], False),
    ("http://x.example/sparql", ["http://x.example/sparql"], True),
    ("http://x.example/sparql", ["http://x.example/"], True),
    ("http://x.example.evil/sparql", ["http://x.example"], False),
    ("http://x.example/sparql2", ["http://x.example/sparql"], False),
    ("?endpoint", ["http://x.example/"], False),
])
def test_allow_list(target: str, allow_list: list[str], expected: bool) -> None:
    assert allowed(target, allow_list) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT * FROM <http://g/> { ?s ?p ?o }", True),
    ("select * from named <http://g/> { graph ?g { ?s ?p ?o } }", True),
    ("SELECT * { ?s <http://schema.org/from> ?o }", False),
    ('SELECT * { ?s ?p "from" }', False),
    ("SELECT ?from { ?from ?p ?o }", False),
    ("SELECT * { ?s ?p ?o }", False),
])
def test_dataset_clauses(text: str, expected: bool) -> None:
    assert names_dataset(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("DELETE { ?s ?p ?o } USING <http://g/> WHERE { ?s ?p ?o }", True),
    ("WITH <http://g/> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", True),
    ("DELETE { ?s ?p ?o } WHERE { ?s <http://x/using> ?o }", False),
])
def test_update_dataset_clauses(text: str, expected: bool) -> None:
    assert names_update_dataset(text) is expected


@pytest.mark.parametrize(("text", "expected"), [
    ("SELECT * { ?s ?p ?o } LIMIT 10", 10),
    ("SELECT * { ?s ?p ?o } limit 10 offset 5", 10),
    ("SELECT * { ?s ?p ?o } OFFSET 5 LIMIT 7", 7),
    ("SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 3\n", 3),
    ("SELECT * { { SELECT * { ?s ?p ?o } LIMIT 10 } }", None),
    ("SELECT * { ?s ?p ?o } LIMIT 10 VALUES ?s { <http://a/> }", None),
    ("SELECT * { ?s ?p ?o }", None),
    ("SELECT * { ?s ?p ?o } # LIMIT 10", None),
    ('SELECT * { ?s ?p "LIMIT 10" }', None),
    ("LIMIT 10", 10),
])
def test_trailing_limit(text: str, expected: int | None) -> None:
    assert trailing_limit(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
     "DELETE { ?s ?p ?o } USING <http://g/1> USING NAMED <http://g/2> WHERE { ?s ?p ?o }"),
    ("INSERT { ?s ?p 1 } WHERE { { SELECT ?s ?p WHERE { ?s ?p ?o } } }",
     "INSERT { ?s ?p 1 } USING <http://g/1> USING NAMED <http://g/2> WHERE "
     "{ { SELECT ?s ?p WHERE { ?s ?p ?o } } }"),
    ("DELETE WHERE { ?s ?p ?o }", "DELETE WHERE { ?s ?p ?o }"),
    ("INSERT DATA { <http://a/> <http://b/> 1 }", "INSERT DATA { <http://a/> <http://b/> 1 }"),
    ("DELETE {?s ?p ?o} WHERE {?s ?p ?o} ; INSERT {?s ?p 2} WHERE {?s ?p ?o}",
     "DELETE {?s ?p ?o} USING <http://g/1> USING NAMED <http://g/2> WHERE {?s ?p ?o} ; "
     "INSERT {?s ?p 2} USING <http://g/1> USING NAMED <http://g/2> WHERE {?s ?p ?o}"),
])
def test_add_using(text: str, expected: str) -> None:
    rewritten = add_using(text, ["http://g/1"], ["http://g/2"])
    assert rewritten == expected
    pyoxigraph.Store().update(rewritten)  # still valid SPARQL


def test_add_nothing() -> None:
    assert add_using("DELETE WHERE { ?s ?p ?o }", [], []) == "DELETE WHERE { ?s ?p ?o }"


def test_tokens_skip_strings_iris_and_comments() -> None:
    text = 'SELECT ?x # comment\n{ ?x <http://a/#b> "a \\" } b" , 12.5e3 ; ex:p-q.r }'
    assert [(t.kind, t.text) for t in tokens(text)] == [
        ("word", "SELECT"), ("var", "?x"), ("other", "{"), ("var", "?x"),
        ("iri", "<http://a/#b>"), ("string", '"a \\" } b"'), ("other", ","),
        ("number", "12.5e3"), ("other", ";"), ("pname", "ex:p-q.r"), ("other", "}")]
