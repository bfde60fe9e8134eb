"""Archival releases (issue 6): the acceptance lines on the bundled example, through the real
`kg` command, the real `sha256sum -c` and the real `oxigraph load`."""

from __future__ import annotations

import gzip
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QuerySolutions, RdfFormat, parse
from pyoxigraph import Store as OxStore
from rdflib import Graph, URIRef

from kg.errors import StoreError, ValidationFailed, Violation
from kg.release import build_release, layout, list_releases, verify_release
from kg.release.verify import ReleaseInvalid
from kg.store import EmbeddedStore
from kg.version import VERSION
from kg.vocab import SDO
from tests.conftest import BASE, EXAMPLE, run_kg

NAME = re.compile(r"\d{4}-\d{2}-\d{2}(\.\d+)?")
DATA_FILES = (layout.DATA_NQUADS, layout.DATA_TURTLE)


def _made(result: subprocess.CompletedProcess[str]) -> Path:
    assert result.returncode == 0, result.stderr
    match = re.search(r" as (\S+)", result.stdout)
    assert match, result.stdout
    return Path(match[1])


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example ingested with `kg ingest` and released once with `kg release`."""
    root = tmp_path_factory.mktemp("released")
    store = root / "store"
    assert run_kg("ingest", str(EXAMPLE), store=store).returncode == 0
    return store, _made(run_kg("release", "-o", str(root / "releases"), store=store))


def _writable_copy(release: Path, target: Path) -> Path:
    copy = Path(shutil.copytree(release, target / release.name))
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


def test_release_passes_sha256sum_and_kg_verify(released: tuple[Path, Path]) -> None:
    _, release = released
    assert NAME.fullmatch(release.name)
    assert {path.name for path in release.iterdir()} == {
        *DATA_FILES, layout.DESCRIPTION, layout.VALIDATION, layout.SHAPES, layout.README,
        layout.SUMS}
    checked = subprocess.run(["sha256sum", "-c", layout.SUMS], cwd=release, capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count(": OK") == len(layout.release_files(release)) >= 8
    result = run_kg("verify", str(release))
    assert result.returncode == 0, result.stderr
    assert "conform" in result.stdout


def test_release_files_are_read_only(released: tuple[Path, Path]) -> None:
    _, release = released
    for name in layout.release_files(release):
        assert (release / name).stat().st_mode & 0o222 == 0, name
    assert release.stat().st_mode & 0o777 == 0o755


def test_restore_is_isomorphic_to_the_store(released: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    store, release = released
    restored = tmp_path / "restored"
    result = run_kg("restore", str(release), store=restored)
    assert result.returncode == 0, result.stderr
    original, copy = EmbeddedStore(store, read_only=True), EmbeddedStore(restored)
    try:
        assert original.named_graphs() == copy.named_graphs()
        assert set(original.quads()) == set(copy.quads())
        assert original.quad_count() == copy.quad_count() > 1000
    finally:
        original.close()
        copy.close()


def test_second_release_same_store_has_identical_data_files(released: tuple[Path, Path],
                                                            tmp_path: Path) -> None:
    store, first = released
    folder = tmp_path / "releases"
    one = _made(run_kg("release", "-o", str(folder), store=store))
    two = _made(run_kg("release", "-o", str(folder), store=store))
    assert list_releases(folder) == [one, two]
    assert two.name == f"{one.name}.2" or two.name > one.name  # a new day began in between
    for name in DATA_FILES:
        assert (one / name).read_bytes() == (two / name).read_bytes() == (first / name).read_bytes()
    report = (two / layout.CHANGES_REPORT).read_text("utf-8")
    assert "quads: 0 removed, 0 added" in report
    assert (one / layout.CHANGES_REPORT).exists() is False


def test_the_same_graph_gives_the_same_bytes_whatever_the_insertion_order(
        released: tuple[Path, Path], tmp_path: Path) -> None:
    source, release = released
    original = EmbeddedStore(source, read_only=True)
    quads = list(original.quads())
    original.close()
    reordered = EmbeddedStore(tmp_path / "reordered")
    graphs = {quad.graph_name for quad in quads}
    for graph in graphs:  # one graph at a time, each in reverse order
        reordered.replace_graphs([graph], [q for q in reversed(quads) if q.graph_name == graph])
    made = build_release(reordered, tmp_path / "releases", base_iri=BASE)
    reordered.close()
    for name in DATA_FILES:
        assert (made.path / name).read_bytes() == (release / name).read_bytes()


def _count_with_oxigraph_cli(data: Path, location: Path) -> int:
    cli = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which(
        "oxigraph")
    assert cli, "the oxigraph CLI (PyPI package oxigraph) is part of the test dependencies"
    loaded = subprocess.run([cli, "load", "--location", str(location), "--file", str(data)],
                            capture_output=True, text=True, check=False)
    assert loaded.returncode == 0, loaded.stderr
    counted = subprocess.run([cli, "query", "--location", str(location), "--query",
                              "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                              "--results-format", "csv"],
                             capture_output=True, text=True, check=False)
    assert counted.returncode == 0, counted.stderr
    return int(counted.stdout.split()[-1])


def test_turtle_loads_in_rdflib_and_oxigraph_load_with_the_same_count(
        released: tuple[Path, Path], tmp_path: Path) -> None:
    _, release = released
    data = release / layout.DATA_TURTLE
    graph = Graph()
    with gzip.open(data) as stream:
        graph.parse(stream, format="turtle")
    described = OxStore()
    described.load(path=str(release / layout.DESCRIPTION), format=RdfFormat.TURTLE)
    rows = described.query("SELECT ?n { ?d a <http://rdfs.org/ns/void#Dataset> ; "
                           "<http://rdfs.org/ns/void#triples> ?n }")
    assert isinstance(rows, QuerySolutions)
    stated = [int(row["n"].value) for row in rows if row["n"] is not None]
    assert stated == [len(graph)]
    assert _count_with_oxigraph_cli(data, tmp_path / "oxigraph") == len(graph) > 1000


def _void(release: Path, query: str) -> list[tuple[str, ...]]:
    store = OxStore()
    store.load(path=str(release / layout.DESCRIPTION), format=RdfFormat.TURTLE)
    result = store.query("PREFIX void: <http://rdfs.org/ns/void#> "
                         "PREFIX dcat: <http://www.w3.org/ns/dcat#> "
                         "PREFIX dcterms: <http://purl.org/dc/terms/> "
                         "PREFIX spdx: <http://spdx.org/rdf/terms#> "
                         "PREFIX schema: <http://schema.org/> " + query)
    assert isinstance(result, QuerySolutions)
    names = [v.value for v in result.variables]
    return [tuple(row[n].value if row[n] is not None else "" for n in names) for row in result]


def test_description_states_counts_partitions_licence_version_and_distributions(
        released: tuple[Path, Path]) -> None:
    store_path, release = released
    base = f"{BASE}releases/{release.name}"
    [(licence, endpoint, created, name, version)] = _void(release, """
        SELECT ?licence ?endpoint ?created ?name ?version WHERE {
        ?d a void:Dataset, dcat:Dataset ; dcterms:license ?licence ; void:sparqlEndpoint ?endpoint ;
           dcterms:created ?created ; dcat:version ?name ;
           <http://www.w3.org/ns/prov#wasGeneratedBy>/<http://www.w3.org/ns/prov#wasAssociatedWith>
           /schema:softwareVersion ?version }""")
    assert (licence, endpoint, name, version) == (
        "https://creativecommons.org/licenses/by/4.0/", f"{BASE}sparql", release.name, VERSION)
    assert datetime.fromisoformat(created).date().isoformat() == release.name[:10]
    assert _void(release, """SELECT ?n { ?d void:classPartition ?p .
        ?p void:class schema:ScholarlyArticle ; void:entities ?n }""") == [("9",)]
    assert _void(release, """SELECT ?n { ?d void:classPartition ?p .
        ?p void:class schema:Person ; void:entities ?n }""") == [("60",)]
    assert _void(release, """SELECT ?n { ?d void:propertyPartition ?p .
        ?p void:property schema:author ; void:triples ?n }""")[0][0].isdigit()
    dumps = {row[0] for row in _void(release, "SELECT ?u { ?d void:dataDump ?u }")}
    assert dumps == {f"{base}/{name}" for name in DATA_FILES}
    for url, size, digest in _void(release, """SELECT ?u ?size ?sha { ?d dcat:distribution ?x .
            ?x dcat:downloadURL ?u ; dcat:byteSize ?size ;
               spdx:checksum [ spdx:algorithm spdx:checksumAlgorithm_sha256 ;
                               spdx:checksumValue ?sha ] }"""):
        file = release / url.rsplit("/", 1)[-1]
        assert int(size) == file.stat().st_size
        assert digest == layout.sha256_file(file)
    store = EmbeddedStore(store_path, read_only=True)
    try:
        entities = _void(release, "SELECT ?n { ?d a void:Dataset ; void:distinctSubjects ?n }")
        subjects = {quad.subject for quad in store.quads()}
        assert entities == [(str(len(subjects)),)]
    finally:
        store.close()


def test_no_blank_node_in_any_rdf_file(released: tuple[Path, Path]) -> None:
    _, release = released
    for name in (*DATA_FILES, layout.DESCRIPTION, layout.VALIDATION):
        path = release / name
        with gzip.open(path) if name.endswith(".gz") else path.open("rb") as stream:
            fmt = RdfFormat.N_QUADS if name.endswith(".nq.gz") else RdfFormat.TURTLE
            for quad in parse(stream, format=fmt):
                assert not isinstance(quad.subject, BlankNode), name
                assert not isinstance(quad.object, BlankNode), name


def test_validation_report_and_readme(released: tuple[Path, Path]) -> None:
    _, release = released
    report = Graph().parse(release / layout.VALIDATION, format="turtle")
    conforms = list(report.objects(None, URIRef("http://www.w3.org/ns/shacl#conforms")))
    assert [str(value) for value in conforms] == ["true"]
    readme = (release / layout.README).read_text("utf-8")
    for loader in ("pyoxigraph", "Apache Jena", "Virtuoso", "QLever", "one named graph at a time"):
        assert loader in readme
    shapes = {path.name for path in (release / layout.SHAPES).iterdir()}
    assert shapes == {path.name for path in (Path(__file__).parent.parent / "shapes").glob("*.ttl")}


def _corrupt_flip(release: Path) -> Path:
    path = release / layout.DATA_NQUADS
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def _corrupt_delete(release: Path) -> Path:
    path = release / layout.DATA_TURTLE
    path.unlink()
    return path


def _corrupt_truncate(release: Path) -> Path:
    path = release / layout.DATA_TURTLE
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


@pytest.mark.parametrize("corrupt", [_corrupt_flip, _corrupt_delete, _corrupt_truncate],
                         ids=["flipped-byte", "deleted-file", "truncated-gzip"])
def test_verify_fails_naming_the_damaged_file(released: tuple[Path, Path], tmp_path: Path,
                                              corrupt: object) -> None:
    release = _writable_copy(released[1], tmp_path)
    assert callable(corrupt)
    damaged = corrupt(release)
    result = run_kg("verify", str(release))
    assert result.returncode == 1, result.stdout
    assert str(damaged) in result.stderr


def _resum(release: Path) -> None:
    (release / layout.SUMS).unlink()
    layout.write_sums(release)


@pytest.mark.parametrize(("corrupt", "says"), [(_corrupt_flip, "not valid"),
                                               (_corrupt_truncate, "truncated")],
                         ids=["flipped-byte", "truncated-gzip"])
def test_verify_parses_files_even_when_the_sums_match(released: tuple[Path, Path],
                                                      tmp_path: Path, corrupt: object,
                                                      says: str) -> None:
    release = _writable_copy(released[1], tmp_path)
    assert callable(corrupt)
    damaged = corrupt(release)
    _resum(release)
    with pytest.raises(ReleaseInvalid) as caught:
        verify_release(release)
    sources = {error.source for error in caught.value.errors}
    assert str(damaged) in sources
    # A flipped byte inside gzip's deflate stream usually breaks the parse ("not valid"), but it
    # can also decode to other well-formed data; then only the size/SHA-256 in void.ttl catches it.
    assert says in str(caught.value) or (says == "not valid" and "SHA-256" in str(caught.value))


def test_verify_finds_an_unlisted_file_and_a_false_description(released: tuple[Path, Path],
                                                               tmp_path: Path) -> None:
    release = _writable_copy(released[1], tmp_path)
    (release / "extra.txt").write_text("not part of the release\n", "utf-8")
    description = release / layout.DESCRIPTION
    size = (release / layout.DATA_TURTLE).stat().st_size
    text = description.read_text("utf-8")
    assert f"dcat:byteSize {size}" in text or f'"{size}"' in text
    description.write_text(text.replace(str(size), str(size + 1)), "utf-8")
    sums = layout.read_sums(release)
    sums[layout.DESCRIPTION] = layout.sha256_file(description)
    (release / layout.SUMS).write_text("".join(f"{d}  {n}\n" for n, d in sums.items()), "utf-8")
    with pytest.raises(ReleaseInvalid) as caught:
        verify_release(release)
    sources = {error.source for error in caught.value.errors}
    assert sources == {str(release / "extra.txt"), str(description)}


def test_verify_checks_the_data_against_the_release_shapes(released: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    release = _writable_copy(released[1], tmp_path)
    shape = release / layout.SHAPES / "paper.ttl"
    extra = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
<https://w3id.org/scholarly-kg/shapes#NoPaperMayHaveAName> a sh:NodeShape ;
    sh:targetClass <http://schema.org/ScholarlyArticle> ;
    sh:property [ sh:path <http://schema.org/name> ; sh:maxCount 0 ] .
"""
    shape.write_text(shape.read_text("utf-8") + extra, "utf-8")
    _resum(release)
    with pytest.raises(ReleaseInvalid) as caught:
        verify_release(release)
    assert {error.source for error in caught.value.errors} == {
        str(release / layout.DATA_NQUADS)}
    assert len(caught.value.errors) == 9  # the nine papers of the example, each with a name
    assert all("does not conform to the release's shapes" in str(error)
               for error in caught.value.errors)


def test_restore_refuses_a_store_with_other_graphs_unless_replace(
        released: tuple[Path, Path], tmp_path: Path) -> None:
    _, release = released
    target = tmp_path / "store"
    other = NamedNode(f"{BASE}graph/other.bib")
    store = EmbeddedStore(target)
    store.replace_graphs([other], [Quad(NamedNode(f"{BASE}x"), NamedNode(SDO.name),
                                        Literal("x"), other)])
    store.close()
    refused = run_kg("restore", str(release), store=target)
    assert refused.returncode == 1
    assert "--replace" in refused.stderr
    assert run_kg("restore", "--replace", str(release), store=target).returncode == 0
    store = EmbeddedStore(target)
    assert other not in store.named_graphs()
    store.close()


def test_restore_refuses_a_damaged_data_file(released: tuple[Path, Path],
                                             tmp_path: Path) -> None:
    release = _writable_copy(released[1], tmp_path)
    damaged = _corrupt_flip(release)
    result = run_kg("restore", str(release), store=tmp_path / "store")
    assert result.returncode == 1
    assert str(damaged) in result.stderr
    assert "checksum" in result.stderr


def test_release_of_an_empty_store_is_refused(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    with pytest.raises(StoreError):
        build_release(store, tmp_path / "releases", base_iri=BASE)
    store.close()
    assert list_releases(tmp_path / "releases") == []


def test_release_of_invalid_data_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    graph = NamedNode(f"{BASE}graph/bad.bib")
    paper = NamedNode(f"{BASE}paper/untitled")
    store.replace_graphs([graph], [
        Quad(paper, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
             NamedNode(SDO.ScholarlyArticle), graph)])
    folder = tmp_path / "releases"
    with pytest.raises(ValidationFailed) as caught:
        build_release(store, folder, base_iri=BASE)
    store.close()
    assert any(isinstance(v, Violation) and v.focus_node == paper.value
               for v in caught.value.errors)
    assert list(folder.iterdir()) == []


def test_release_names_count_up_within_a_day(released: tuple[Path, Path],
                                            tmp_path: Path) -> None:
    store = EmbeddedStore(released[0], read_only=True)
    folder = tmp_path / "releases"
    moment = datetime(2031, 5, 6, 23, 59, tzinfo=UTC)
    try:
        names = [build_release(store, folder, base_iri=BASE, now=moment).name
                 for _ in range(3)]
        with pytest.raises(StoreError, match="newer than today"):
            build_release(store, folder, base_iri=BASE, now=datetime(2031, 5, 5, tzinfo=UTC))
    finally:
        store.close()
    assert names == ["2031-05-06", "2031-05-06.2", "2031-05-06.3"]
    assert [path.name for path in list_releases(folder)] == names
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]


def test_release_folder_defaults_to_kg_releases(released: tuple[Path, Path],
                                                tmp_path: Path) -> None:
    folder = tmp_path / "from-env"
    made = _made(run_kg("release", store=released[0], env={"KG_RELEASES": str(folder)}))
    assert made.parent == folder
    assert os.listdir(folder) == [made.name]


@pytest.mark.slow
def test_bench_prints_release_throughput_beside_store_dump() -> None:
    bench = Path(__file__).resolve().parent.parent / "bench" / "release.py"
    result = subprocess.run([sys.executable, str(bench), "--papers", "20", "--files", "2",
                             "--no-verify"], capture_output=True, text=True, timeout=300,
                            check=False)
    assert result.returncode == 0, result.stderr
    rows = {row.split("  ")[1].strip(): row for row in result.stdout.splitlines()
            if row.startswith("  ") and "quads/s" in row}
    assert re.search(r"[\d,]+ quads/s", rows["Store.dump N-Quads to a file"])
    assert re.search(r"[\d,]+ quads/s +\d+\.\d\d x", rows["first release"])
    assert re.search(r"[\d,]+ quads/s +\d+\.\d\d x", rows["both data files"])
