"""The docs stay true: their queries run and give what they say; their commands and terms exist.

- every ```sparql block of docs/*.md parses and runs on the bundled example; where a block is
  followed by "Result on ..." (the whole result) or "First rows on ..." (its first rows) and a
  table, the query gives that table, on the bundled example or on the real file the line names
  in backticks (``acl-xml/2021.iwcs.xml``, from ../shared/data; skipped when absent);
- every ``kg SUBCOMMAND`` written as code in README.md and docs/ exists in ``kg --help``, and each
  ``--flag`` after it in that subcommand's ``--help``;
- every ``kg:``, ``schema:`` and ``bibo:`` term named in data-model.md is written by the mapper for
  the example or declared in kg/vocab.py, and its two Turtle examples are pieces of real graphs
  (the example's, and that of ``acl-xml/2021.iwcs.xml``);
- the union-default-graph counts data-model.md states hold;
- relative links (and their #anchors) between README.md and docs/ resolve;
- the HTTP paths the curl examples use exist in the app.
"""

from __future__ import annotations

import argparse
import re
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from pyoxigraph import (
    NamedNode,
    QueryBoolean,
    QuerySolutions,
    QueryTriples,
    RdfFormat,
    parse,
)

from kg.cli import build_parser
from kg.config import Settings
from kg.ingest import ingest
from kg.sources import formats
from kg.store import EmbeddedStore
from kg.vocab import BIBO, KG, SDO
from tests.conftest import BASE, EXAMPLE, PROJECT, run_kg, shared

DOCS = PROJECT / "docs"
DOC_FILES = sorted(DOCS.glob("*.md"))
README = PROJECT / "README.md"
EXPECTED_DOCS = ("data-model.md", "iris.md", "cookbook.md", "http-api.md", "deployment.md")

_RESULT_LINE = re.compile(r"^(Result|First rows) on (.+):$")
_FILE_IN_LINE = re.compile(r"`([^`]+\.(?:xml|bib|txt))`")
_FORMAT_OF = {".xml": "acl-xml", ".bib": "bibtex", ".txt": "author-page"}


@dataclass(frozen=True)
class Block:
    """One ```sparql block: where it is, its text, and the result the docs state (if any)."""

    doc: str
    heading: str
    line: int
    query: str
    whole: bool = True
    data: str | None = None  # a file of ../shared/data; None for the bundled example
    table: tuple[tuple[str, ...], ...] | None = None  # header row first

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}:{slugify(self.heading)}"


def slugify(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to '-'."""
    text = heading.strip().lower().replace("`", "")
    kept = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LN")
    return kept.replace(" ", "-")


def _table(lines: list[str], start: int) -> tuple[tuple[str, ...], ...]:
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        if re.fullmatch(r"\|[-:| ]+\|", line.strip()):
            continue  # the |---| separator
        inner = line.strip().removeprefix("|").removesuffix("|")
        rows.append(tuple(cell.strip().strip("`") for cell in inner.split(" | ")))
    return tuple(rows)


def sparql_blocks(path: Path) -> list[Block]:
    lines = path.read_text("utf-8").splitlines()
    blocks, heading, index = [], "", 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
        if line.strip() != "```sparql":
            index += 1
            continue
        start = index + 1
        end = lines.index("```", start)
        query = "\n".join(lines[start:end]) + "\n"
        after = end + 1
        while after < len(lines) and not lines[after].strip():
            after += 1
        block = Block(path.name, heading, start, query)
        marker = _RESULT_LINE.match(lines[after]) if after < len(lines) else None
        if marker:
            table_start = after + 1
            while not lines[table_start].strip():
                table_start += 1
            named = _FILE_IN_LINE.search(marker.group(2))
            block = Block(path.name, heading, start, query, whole=marker.group(1) == "Result",
                          data=named.group(1) if named else None,
                          table=_table(lines, table_start))
        blocks.append(block)
        index = end + 1
    return blocks


ALL_BLOCKS = [block for path in DOC_FILES for block in sparql_blocks(path)]


def test_the_docs_exist_and_have_queries() -> None:
    assert [name for name in EXPECTED_DOCS if not (DOCS / name).is_file()] == []
    cookbook = [b for b in ALL_BLOCKS if b.doc == "cookbook.md"]
    assert len(cookbook) >= 12
    assert sum(b.table is not None for b in ALL_BLOCKS) >= 10


def _value(term: object) -> str:
    return "" if term is None else str(getattr(term, "value", term))


def run(store: EmbeddedStore, query: str) -> tuple[tuple[str, ...], ...]:
    """The result as a table of strings (header first); a graph as its triple count."""
    result = store.query(query)
    if isinstance(result, QuerySolutions):
        names = [variable.value for variable in result.variables]
        return (tuple(names), *(tuple(_value(row[n]) for n in names) for row in result))
    if isinstance(result, QueryBoolean):
        return (("boolean",), (str(bool(result)).lower(),))
    assert isinstance(result, QueryTriples)
    return (("triples",), (str(len(list(result))),))


DataStore = Callable[[str], EmbeddedStore]


@pytest.fixture(scope="session")
def data_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataStore]:
    """A function that gives a store holding one file of ../shared/data (made once each)."""
    stores: dict[str, EmbeddedStore] = {}

    def get(relative: str) -> EmbeddedStore:
        if relative not in stores:
            path = shared(relative)
            fmt = _FORMAT_OF[path.suffix]
            if fmt not in formats():
                pytest.skip(f"no importer for {fmt} yet: {relative}")
            store = EmbeddedStore(tmp_path_factory.mktemp("docs-data") / "store")
            ingest(store, [path], base_iri=BASE, format_name=fmt, skip_invalid=True)
            stores[relative] = store
        return stores[relative]

    yield get
    for store in stores.values():
        store.close()


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[b.id for b in ALL_BLOCKS])
def test_query_runs_on_the_example(block: Block, example_store: EmbeddedStore) -> None:
    found = run(example_store, block.query)
    if block.table is not None and block.data is None:
        _assert_table(block, found)


STATED_ON_FILES = [b for b in ALL_BLOCKS if b.data is not None]


@pytest.mark.parametrize("block", STATED_ON_FILES, ids=[b.id for b in STATED_ON_FILES])
def test_query_gives_the_stated_result_on_real_data(block: Block, data_store: DataStore) -> None:
    assert block.data is not None
    _assert_table(block, run(data_store(block.data), block.query))


def _assert_table(block: Block, found: tuple[tuple[str, ...], ...]) -> None:
    assert block.table is not None
    stated = block.table
    assert stated[0] == found[0], f"{block.id}: columns differ"
    rows = found[1:] if block.whole else found[1:len(stated)]
    assert list(stated[1:]) == list(rows), f"{block.id}: the docs state another result"


# --- kg subcommands and flags -------------------------------------------------------------

_KG_CALL = re.compile(r"(?<![\w.-])kg ([a-z][a-z-]*)((?: [^|;&>`]*)?)")
_FLAG = re.compile(r"(?<![\w-])(--[a-z][a-z-]*)")


def code_text(path: Path) -> str:
    """The code of a Markdown file: fenced blocks (except query and data blocks) and spans."""
    text = path.read_text("utf-8")
    parts = []
    for match in re.finditer(r"^```(\w*)\n(.*?)^```", text, flags=re.S | re.M):
        if match.group(1) not in ("sparql", "turtle", "json", "xml", "csv", "http", "ini"):
            parts.append(match.group(2))
    prose = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    parts.extend(re.findall(r"`([^`\n]+)`", prose))
    return "\n".join(parts)


@cache
def help_text() -> str:
    """The output of the real ``kg --help``."""
    result = run_kg("--help")
    assert result.returncode == 0, result.stderr
    return result.stdout


@cache
def subcommand_help(name: str) -> str:
    """``kg NAME --help``, from the same parser in this process (a subprocess each is slow)."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return str(action.choices[name].format_help())
    raise AssertionError("kg has no subcommands")


def subcommands() -> set[str]:
    text = help_text()
    listing = text.split("positional arguments:", 1)[1].split("options:", 1)[0]
    return set(re.findall(r"^    ([a-z][a-z-]*)\s", listing, flags=re.M))


def kg_calls() -> list[tuple[str, str, list[str]]]:
    calls = []
    for path in [README, *DOC_FILES]:
        for line in code_text(path).splitlines():
            for match in _KG_CALL.finditer(line):
                calls.append((path.name, match.group(1), _FLAG.findall(match.group(2))))
    return calls


def test_every_kg_subcommand_named_exists() -> None:
    calls = kg_calls()
    assert len(calls) > 10
    known = subcommands()
    assert {"ingest", "query", "serve"} <= known
    missing = sorted({(doc, name) for doc, name, _ in calls if name not in known})
    assert missing == [], f"not in `kg --help`: {missing}"


def test_every_flag_named_exists() -> None:
    known = subcommands()
    missing = set()
    for doc, name, flags in kg_calls():
        if name not in known:
            continue
        text = subcommand_help(name)
        missing |= {(doc, name, flag) for flag in flags if flag not in text}
    assert sorted(missing) == [], f"not in `kg SUBCOMMAND --help`: {sorted(missing)}"


# --- terms of the data model ----------------------------------------------------------------

_TERM = re.compile(r"(?<![\w/.#-])(kg|schema|bibo):([A-Za-z_][A-Za-z0-9_]*)")
_NAMESPACES = {"kg": KG, "schema": SDO, "bibo": BIBO}


def _declared(prefix: str, local: str) -> bool:
    try:
        getattr(_NAMESPACES[prefix], local)
    except AttributeError:
        return False
    return True


def test_every_term_of_the_data_model_is_used_or_declared(example_store: EmbeddedStore) -> None:
    used = set()
    for quad in example_store.quads():
        used.add(quad.predicate.value)
        if quad.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type":
            used.add(_value(quad.object))
    text = (DOCS / "data-model.md").read_text("utf-8")
    terms = set(_TERM.findall(text))
    assert len(terms) > 40
    unknown = sorted(f"{prefix}:{local}" for prefix, local in terms
                     if str(_NAMESPACES[prefix]._NS) + local not in used
                     and not _declared(prefix, local))
    assert unknown == [], f"neither in the example's data nor in kg/vocab.py: {unknown}"


def turtle_of(section: str) -> set[tuple[object, object, object]]:
    """The triples of the first ```turtle block under the heading ``section`` of data-model.md."""
    text = (DOCS / "data-model.md").read_text("utf-8")
    after = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    turtle = re.search(r"```turtle\n(.*?)```", after, flags=re.S)
    assert turtle is not None, section
    return {(t.subject, t.predicate, t.object)
            for t in parse(turtle.group(1).encode("utf-8"), format=RdfFormat.TURTLE)}


def assert_real(triples: set[tuple[object, object, object]], store: EmbeddedStore,
                kinds: tuple[str, ...]) -> None:
    stored = {(q.subject, q.predicate, q.object) for q in store.quads()}
    assert sorted(map(str, triples - stored)) == [], "triples the store does not hold"
    subjects = {s.value for s, _, _ in triples if isinstance(s, NamedNode)}
    for kind in kinds:
        assert any(kind in subject for subject in subjects), kind


def test_the_turtle_of_one_paper_is_real(example_store: EmbeddedStore) -> None:
    triples = turtle_of("One paper in Turtle")
    assert len(triples) > 100
    assert_real(triples, example_store,
                ("/author/1", "/author-list/11", "/volume/", "/venue/", "/event/", "/person/"))


def test_the_turtle_of_one_acl_xml_paper_is_real(data_store: DataStore) -> None:
    triples = turtle_of("One ACL XML paper in Turtle")
    assert_real(triples, data_store("acl-xml/2021.iwcs.xml"),
                ("/paper/2021.iwcs-1.12", "/attachment/1", "/editor/3", "/event/", "/org/"))


def test_the_union_counts_the_data_model_states(tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        shutil.copy(EXAMPLE, folder / name)
    store = EmbeddedStore(tmp_path / "store")
    try:
        ingest(store, sorted(folder.iterdir()), base_iri=BASE)
        prefix = "PREFIX schema: <http://schema.org/>\n"
        every = "SELECT (COUNT(*) AS ?n) WHERE { ?paper a schema:ScholarlyArticle }"
        distinct = ("SELECT (COUNT(DISTINCT ?paper) AS ?n) "
                    "WHERE { ?paper a schema:ScholarlyArticle }")
        assert run(store, prefix + every)[1] == ("18",)
        assert run(store, prefix + distinct)[1] == ("9",)
    finally:
        store.close()
    text = (DOCS / "data-model.md").read_text("utf-8")
    assert f"| `{every}` | 18 |" in text
    assert f"| `{distinct}` | 9 |" in text


# --- links --------------------------------------------------------------------------------

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text("utf-8"), flags=re.S | re.M)
    found: set[str] = set()
    for heading in re.findall(r"^#+ (.+)$", text, flags=re.M):
        slug, n = slugify(heading), 1
        while slug in found:  # GitHub numbers repeated headings
            slug, n = f"{slugify(heading)}-{n}", n + 1
        found.add(slug)
    return found


def test_relative_links_resolve() -> None:
    broken = []
    checked = 0
    for path in [README, *DOC_FILES]:
        prose = re.sub(r"^```.*?^```", "", path.read_text("utf-8"), flags=re.S | re.M)
        prose = re.sub(r"`[^`\n]*`", "", prose)
        for target in _LINK.findall(prose):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # http:, https:, mailto:
            checked += 1
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            if not linked.exists():
                broken.append(f"{path.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                broken.append(f"{path.name}: {target} (no such heading)")
    assert checked > 10
    assert broken == []


# --- HTTP ---------------------------------------------------------------------------------

_CURL_PATH = re.compile(r"http://127\.0\.0\.1:\d+(/[^\s'\"?<>]*)")


def test_the_paths_of_the_curl_examples_exist(example_store: EmbeddedStore) -> None:
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    from kg.web import create_app

    app = create_app(Settings(store=example_store.location), store=example_store)
    adapter = app.url_map.bind("127.0.0.1")
    paths = set()
    for name in ("http-api.md", "deployment.md"):
        code = code_text(DOCS / name)
        prefixes = re.findall(r"SCRIPT_NAME=(/\S+)", code)  # the app mounted below a prefix
        for line in code.splitlines():
            if "curl" in line:
                for path in _CURL_PATH.findall(line):
                    for prefix in prefixes:
                        path = path.removeprefix(prefix) if path.startswith(prefix + "/") else path
                    paths.add(path)
    assert "/sparql" in paths
    missing = []
    for path in sorted(paths):
        try:
            adapter.match(path, method="GET")
        except MethodNotAllowed:
            pass
        except NotFound:
            missing.append(path)
    assert missing == []
