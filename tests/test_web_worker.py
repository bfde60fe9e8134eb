"""The query worker: evaluation, the result cap counted before a byte is sent, spooling, dumps."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryResultsFormat,
    QuerySolutions,
    RdfFormat,
    parse,
    parse_query_results,
)

from kg.store import EmbeddedStore
from kg.web.worker import CapReached, DumpJob, LineCap, Outcome, QueryJob, Spool, Worker

EX = "http://example.org/"
G1, G2 = NamedNode(EX + "g1"), NamedNode(EX + "g2")
NAME = NamedNode("http://schema.org/name")
ROWS = 30


def quads() -> Iterator[Quad]:
    for number in range(ROWS):
        yield Quad(NamedNode(f"{EX}s{number:02d}"), NAME,
                   Literal(f"name {number}\nsecond line\t{{tab}}"), G1)
    yield Quad(BlankNode("b1"), NAME, Literal("blank", language="en"), G2)
    yield Quad(NamedNode(EX + "only-in-default"), NAME, Literal("default"))


@pytest.fixture(scope="module")
def location(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    path = tmp_path_factory.mktemp("worker") / "store"
    store = EmbeddedStore(path)
    store.replace_graphs([], quads())
    store.close()
    yield str(path)


@pytest.fixture
def worker(location: str, tmp_path: Path) -> Worker:
    return Worker(location, tmp_path, inline_bytes=4096)


def job(sparql: str, *, accept: str | None = None, cap: int = 0, union: bool = True,
        default: tuple[str, ...] | None = None, named: tuple[str, ...] | None = None,
        override: str | None = None, bounded: bool = False) -> QueryJob:
    return QueryJob(sparql, union, default, named, accept, override, cap, bounded)


def body(outcome: Outcome) -> bytes:
    assert outcome.status == 200, outcome.message
    return outcome.body if outcome.path is None else Path(outcome.path).read_bytes()


def rows(outcome: Outcome,
         fmt: QueryResultsFormat = QueryResultsFormat.JSON) -> list[dict[str, str]]:
    parsed = parse_query_results(body(outcome), fmt)
    assert isinstance(parsed, QuerySolutions)
    names = [v.value for v in parsed.variables]
    return [{name: str(row[name]) for name in names if row[name] is not None} for row in parsed]


NAMES = "SELECT ?s ?name WHERE { ?s <http://schema.org/name> ?name } ORDER BY ?s"


@pytest.mark.parametrize("fmt", [QueryResultsFormat.JSON, QueryResultsFormat.XML,
                                 QueryResultsFormat.TSV, QueryResultsFormat.CSV])
def test_the_cap_cuts_rows_and_says_so(worker: Worker, fmt: QueryResultsFormat) -> None:
    whole = worker.run(job(NAMES, accept=fmt.media_type))
    capped = worker.run(job(NAMES, accept=fmt.media_type, cap=7))
    assert (whole.truncated, capped.truncated) == (False, True)
    assert capped.media_type == fmt.media_type.split(";")[0]
    if fmt != QueryResultsFormat.CSV:  # CSV loses the term kinds, not the rows
        assert rows(capped, fmt) == rows(whole, fmt)[:7]
        assert len(rows(whole, fmt)) == ROWS + 2


@pytest.mark.parametrize(("cap", "truncated"), [(ROWS + 2, False), (ROWS + 3, False),
                                                (ROWS + 1, True), (1, True)])
def test_a_result_exactly_at_the_cap_is_whole(worker: Worker, cap: int, truncated: bool) -> None:
    outcome = worker.run(job(NAMES, cap=cap))
    assert outcome.truncated is truncated
    assert len(rows(outcome)) == min(cap, ROWS + 2)


def test_values_with_line_breaks_and_blank_nodes_survive_the_cap(worker: Worker) -> None:
    found = rows(worker.run(job(NAMES, cap=100)))
    assert found == rows(worker.run(job(NAMES)))
    by_subject = {row["s"]: row["name"] for row in found}
    assert by_subject[f"<{EX}s00>"] == '"name 0\\nsecond line\\t{tab}"'
    assert any(subject.startswith("_:") for subject in by_subject)


def test_a_select_ending_with_a_small_limit_needs_no_counting(worker: Worker) -> None:
    outcome = worker.run(job(NAMES + " LIMIT 5", cap=10, bounded=True))
    assert (outcome.truncated, len(rows(outcome))) == (False, 5)


def test_triples_are_capped_too(worker: Worker) -> None:
    construct = ("CONSTRUCT { ?s <http://schema.org/name> ?n } "
                 "WHERE { ?s <http://schema.org/name> ?n }")
    for accept, fmt in [("text/turtle", RdfFormat.TURTLE),
                        ("application/n-triples", RdfFormat.N_TRIPLES),
                        ("application/ld+json", RdfFormat.JSON_LD),
                        ("application/rdf+xml", RdfFormat.RDF_XML)]:
        capped = worker.run(job(construct, accept=accept, cap=4))
        assert capped.truncated is True
        assert len(list(parse(body(capped), fmt))) == 4
        whole = worker.run(job(construct, accept=accept, cap=1000))
        assert whole.truncated is False
        assert len(list(parse(body(whole), fmt))) == ROWS + 2


def test_ask_has_no_cap(worker: Worker) -> None:
    outcome = worker.run(job("ASK { ?s ?p ?o }", cap=1))
    assert (outcome.truncated, json.loads(body(outcome))["boolean"]) == (None, True)


def test_large_bodies_go_to_a_spool_file(location: str, tmp_path: Path) -> None:
    worker = Worker(location, tmp_path, inline_bytes=512)
    outcome = worker.run(job(NAMES, accept="text/csv"))
    assert outcome.path is not None and Path(outcome.path).parent == tmp_path
    assert outcome.size == Path(outcome.path).stat().st_size > 512
    small = worker.run(job(NAMES + " LIMIT 1"))
    assert small.path is None and small.size == len(small.body)
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(outcome.path).name]


def test_union_from_and_the_protocol_dataset(worker: Worker) -> None:
    def names(**options: object) -> list[str]:
        return sorted(r["name"] for r in rows(worker.run(job(
            "SELECT ?name WHERE { ?s <http://schema.org/name> ?name }", **options))))

    assert len(names()) == ROWS + 2
    assert names(union=False) == ['"default"']
    assert names(default=(EX + "g2",), named=()) == ['"blank"@en']
    assert names(default=(), named=(EX + "g1",)) == []
    graph_query = job("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", named=(EX + "g2",),
                      default=())
    assert rows(worker.run(graph_query)) == [{"g": f"<{EX}g2>"}]
    from_query = job("SELECT ?name FROM <http://example.org/g2> "
                     "WHERE { ?s <http://schema.org/name> ?name }", union=False)
    assert rows(worker.run(from_query)) == [{"name": '"blank"@en'}]
    overridden = job("SELECT ?name FROM <http://example.org/g2> "
                     "WHERE { ?s <http://schema.org/name> ?name }", union=False,
                     default=(EX + "g1",), named=())
    assert len(rows(worker.run(overridden))) == ROWS


@pytest.mark.parametrize(("sparql", "accept", "status", "says"), [
    ("SELECT * WHERE { ?s ?p }", None, 400, "error at 1:"),
    ("SELECT * WHERE { ?s ?p ?o }", "image/png", 406, "offered: application/sparql-results+json"),
    ("CONSTRUCT WHERE { ?s ?p ?o }", "text/csv", 406, "offered: text/turtle"),
])
def test_errors_are_outcomes(worker: Worker, sparql: str, accept: str | None, status: int,
                             says: str) -> None:
    outcome = worker.run(job(sparql, accept=accept))
    assert outcome.status == status
    assert says in outcome.message


def test_dumps(worker: Worker) -> None:
    graph = worker.run(DumpJob(EX + "g1", "application/n-triples"))
    assert len(list(parse(body(graph), RdfFormat.N_TRIPLES))) == ROWS
    default = worker.run(DumpJob("", "text/turtle"))
    assert [q.object for q in parse(body(default), RdfFormat.TURTLE)] == [Literal("default")]
    dataset = list(parse(body(worker.run(DumpJob(None, "application/n-quads"))),
                         RdfFormat.N_QUADS))
    assert len(dataset) == ROWS + 2
    assert {q.graph_name for q in dataset} == {G1, G2, parse(b"<a:a> <a:a> <a:a> .",
                                                             RdfFormat.N_QUADS).__next__().graph_name}


def test_the_worker_sees_a_commit_from_another_process_view(location: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(location, copy)
    worker = Worker(str(copy), tmp_path, 4096)
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    assert rows(worker.run(job(count)))[0]["n"].startswith('"32"')
    writer = EmbeddedStore(copy)
    writer.update("INSERT DATA { GRAPH <http://example.org/g3> { <http://a/> <http://b/> 1 } }")
    writer.close()
    assert rows(worker.run(job(count)))[0]["n"].startswith('"33"')


class TestLineCap:
    def test_cuts_inside_a_chunk(self, tmp_path: Path) -> None:
        sink = Spool(tmp_path, 1000)
        cap = LineCap(sink, 2)
        with pytest.raises(CapReached):
            cap.write(b"a\nb\nc\n")
        assert (sink.finish(), cap.truncated) == (b"a\nb\n", True)
        assert cap.write(b"more") == 4  # ignored after the stop
        assert sink.finish() == b"a\nb\n"

    def test_exactly_full_is_not_truncated_until_more_comes(self, tmp_path: Path) -> None:
        sink = Spool(tmp_path, 1000)
        cap = LineCap(sink, 2)
        cap.write(b"a\n")
        cap.write(b"b\n")
        cap.write(b"")
        assert cap.truncated is False
        with pytest.raises(CapReached):
            cap.write(b"c")
        assert (sink.finish(), cap.truncated) == (b"a\nb\n", True)

    def test_spool_moves_to_a_file(self, tmp_path: Path) -> None:
        sink = Spool(tmp_path, 4)
        sink.write(b"abc")
        sink.write(memoryview(b"defg"))
        path = sink.finish()
        assert isinstance(path, str) and Path(path).read_bytes() == b"abcdefg"
        sink.discard()
        assert not Path(path).exists()


class TestWritesUnderWay:
    """A snapshot opened while graphs are being replaced would see them half done."""

    @pytest.fixture
    def copy(self, location: str, tmp_path: Path) -> Path:
        import shutil

        shutil.copytree(location, tmp_path / "copy")
        return tmp_path / "copy"

    def test_an_open_snapshot_keeps_answering_during_a_write(self, copy: Path,
                                                             tmp_path: Path) -> None:
        worker = Worker(str(copy), tmp_path, 4096)
        assert len(rows(worker.run(job(NAMES)))) == ROWS + 2
        (copy / "kg-journal").mkdir()
        (copy / "kg-journal" / "graphs.json").write_text("[]", "utf-8")
        assert len(rows(worker.run(job(NAMES)))) == ROWS + 2

    def test_a_new_snapshot_waits_for_the_write(self, copy: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
        from pyoxigraph import Store as OxStore

        from kg.store import embedded

        (copy / "kg-journal").mkdir()
        (copy / "kg-journal" / "graphs.json").write_text("[]", "utf-8")
        writer = OxStore(str(copy))  # a live writer holds the lock (a dead one is rolled back)
        monkeypatch.setattr(embedded, "WRITE_WAIT", 0.3)
        worker = Worker(str(copy), tmp_path, 4096)
        worker.snapshot.WRITE_WAIT = 0.3
        outcome = worker.run(job(NAMES))
        assert outcome.status == 503
        assert "a write to the store is under way" in outcome.message
        (copy / "kg-journal" / "graphs.json").unlink()
        del writer
        assert len(rows(worker.run(job(NAMES)))) == ROWS + 2

    def test_the_server_recovers_a_killed_writer(self, copy: Path) -> None:
        from pyoxigraph import Store as OxStore

        from kg.config import Settings
        from kg.web import create_app

        journal = copy / "kg-journal"
        journal.mkdir()
        (journal / "backup.nq").write_text(
            f'<{EX}s00> <http://schema.org/name> "name 0" <{EX}g1> .\n', "utf-8")
        (journal / "graphs.json").write_text(f'["{EX}g1"]', "utf-8")
        half_done = OxStore(str(copy))  # the killed writer had dropped g1 and added one quad
        half_done.remove_graph(G1)
        half_done.add(Quad(NamedNode(EX + "half"), NAME, Literal("half"), G1))
        half_done.flush()
        del half_done
        app = create_app(Settings(store=str(copy), query_workers=1))
        try:
            response = app.test_client().get("/sparql", query_string={
                "query": f"SELECT ?n WHERE {{ GRAPH <{EX}g1> {{ ?s ?p ?n }} }}"})
            assert response.status_code == 200
            assert json.loads(response.data)["results"]["bindings"] == [
                {"n": {"type": "literal", "value": "name 0"}}]
        finally:
            app.extensions["kg_pool"].close()


def test_a_snapshot_rolls_back_the_journal_of_a_killed_writer(tmp_path: Path) -> None:
    # A writer killed mid-write leaves kg-journal/; a snapshot opened later (a worker replaced
    # after a runaway query) must roll it back and open, not wait on it forever.
    from kg.store.embedded import JOURNAL, writing
    from kg.web.worker import Snapshot

    store = EmbeddedStore(tmp_path / "store")
    store.replace_graphs([G1, G2], list(quads()))
    store.close()
    journal = tmp_path / "store" / JOURNAL
    journal.mkdir()
    (journal / "backup.nq").write_bytes(b"")
    (journal / "graphs.json").write_text(json.dumps(["http://example.org/none"]), "utf-8")
    assert writing(tmp_path / "store")
    snapshot = Snapshot(str(tmp_path / "store")).store()
    try:
        assert not writing(tmp_path / "store")
        assert snapshot.quad_count() == len(list(quads()))
    finally:
        snapshot.close()
