"""The HTML pages (kg/web/pages.py, views.py, templates/), the embedded JSON-LD, BibTeX export,
the charts, the query editor, and escaping of hostile values."""

from __future__ import annotations

import doctest
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import bibtexparser
import pytest
import rdflib
from flask import Flask
from flask.testing import FlaskClient
from rdflib.namespace import RDF as RDFLIB_RDF

from kg.web import bibtex_export, charts, pages, schema_jsonld
from kg.web.bibtex_export import bibtex_text
from tests.conftest import BASE, EXAMPLE
from tests.web_support import TOY_VOLUME, XSS, XSS_PAPER_PATH, build_store, close_app, make_app

SCHEMA = "http://schema.org/"
TOY_PAPER = "paper/2024.toyws-1.1"
MOTE = "paper/2025-mixture-of-insightful-experts-mote-the-synergy-of-e91d585c"


@pytest.fixture(scope="module")
def web_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_store(tmp_path_factory.mktemp("pages") / "store",
                       [EXAMPLE, TOY_VOLUME, XSS], BASE)


@pytest.fixture(scope="module")
def app(web_store: Path) -> Iterator[Flask]:
    built = make_app(web_store, BASE)
    yield built
    close_app(built)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Page(HTMLParser):
    """Every start tag of a page with its attributes, the text of scripts, headings, labels."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self._open_script: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._open_script = dict(attrs)
            self.scripts.append((self._open_script, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._open_script = None

    def handle_data(self, data: str) -> None:
        if self._open_script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        else:
            self.text.append(data)

    def all(self, tag: str, **wanted: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags
                if name == tag and all(attrs.get(k) == v for k, v in wanted.items())]

    def meta(self, name: str) -> list[str]:
        return [attrs["content"] or "" for attrs in self.all("meta", name=name)]

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def page(client: FlaskClient, path: str) -> Page:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


@pytest.mark.parametrize("module", [charts, bibtex_export])
def test_docstring_examples_run(module: object) -> None:
    failures, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert tried > 0 and failures == 0


# --- the paper page -----------------------------------------------------------------------------


def test_paper_page_shows_the_record(client: FlaskClient) -> None:
    html = page(client, f"/{TOY_PAPER}.html")
    assert [h for h in html.all("h1")] and "Counting $\\alpha^2$-Graphs with BERT" in html.plain
    authors = [a["href"] for a in html.all("a") if (a.get("href") or "").startswith("/person/")]
    assert authors[:3] == ["/person/grace-hopper.html", "/person/jurgen-muller-stastny.html",
                           "/person/zhenguo-li.html"]
    hrefs = {a.get("href") for a in html.all("a")}
    assert {"/volume/2024.toyws-1.html", "/venue/toyws.html", "/event/toyws-2024.html",
            "https://aclanthology.org/2024.toyws-1.1.pdf",
            "https://doi.org/10.18653/v1/2024.toyws-1.1",
            "https://aclanthology.org/2024.toyws-1.1/", f"/{TOY_PAPER}.bib",
            f"/{TOY_PAPER}.ttl"} <= hrefs
    for text in ("Best Paper", "Best Resource Paper", "Yale University & Harvard", "1–12",
                 "2024-08", "We count graphs of order", "@inproceedings{hopper-etal-2024-counting,",
                 "Corrected Table 2."):
        assert text in html.plain


@pytest.mark.parametrize(("path", "status", "note"), [
    ("paper/2024.toyws-1.2", "Retracted", "The results could not be reproduced."),
    ("paper/2024.toyws-1.4", "Removed", "Duplicate of 2024.toyws-1.1."),
])
def test_retraction_notice(client: FlaskClient, path: str, status: str, note: str) -> None:
    html = page(client, f"/{path}.html")
    assert f"{status} on" in html.plain and note in html.plain


def test_citation_meta_tags(client: FlaskClient) -> None:
    html = page(client, f"/{TOY_PAPER}.html")
    assert html.meta("citation_title") == [
        "Counting $\\alpha^2$-Graphs with BERT: Why Markup Matters at https://example.org/toy"]
    assert html.meta("citation_author") == ["Grace Hopper", "Jürgen Müller-Šťastný", "Zhenguo Li"]
    assert html.meta("citation_publication_date") == ["2024/08"]
    assert html.meta("citation_conference_title") == [
        "Proceedings of the First Toy Workshop on Knowledge Graphs (ToyWS 2024)"]
    assert html.meta("citation_firstpage") == ["1"] and html.meta("citation_lastpage") == ["12"]
    assert html.meta("citation_doi") == ["10.18653/v1/2024.toyws-1.1"]
    assert html.meta("citation_pdf_url") == ["https://aclanthology.org/2024.toyws-1.1.pdf"]
    assert html.meta("citation_publisher") == ["Association for Computational Linguistics"]


def _embedded_jsonld(html: Page) -> str:
    found = [text for attrs, text in html.scripts if attrs.get("type") == "application/ld+json"]
    assert len(found) == 1
    return found[0]


def _schema_part(graph: rdflib.Graph) -> set[tuple[rdflib.term.Node, ...]]:
    """The schema.org part of a description: triples with a schema.org predicate, and rdf:type
    triples with a schema.org class (see kg/web/schema_jsonld.py)."""
    return {(s, p, o) for s, p, o in graph
            if str(p).startswith(SCHEMA)
            or (p == RDFLIB_RDF.type and str(o).startswith(SCHEMA))}


# rdflib's JSON-LD parser builds a ConjunctiveGraph inside (its own deprecation, not ours).
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("path", [TOY_PAPER, MOTE, XSS_PAPER_PATH, "paper/2024.toyws-1.2"])
def test_embedded_jsonld_parses_to_the_schema_org_part_of_the_turtle(client: FlaskClient,
                                                                      path: str) -> None:
    embedded = rdflib.Graph().parse(data=_embedded_jsonld(page(client, f"/{path}.html")),
                                    format="json-ld")
    turtle = rdflib.Graph().parse(data=client.get(f"/{path}.ttl").get_data(as_text=True),
                                  format="turtle")
    expected = _schema_part(turtle)
    assert len(expected) > 10
    got = set(embedded)
    assert got == expected, (f"only in the JSON-LD: {got - expected}\n"
                             f"only in the Turtle: {expected - got}")


def test_embedded_jsonld_lists_authors_in_order(client: FlaskClient) -> None:
    document = json.loads(_embedded_jsonld(page(client, f"/{MOTE}.html")))
    paper = document["@graph"][0]
    assert paper["@id"] == BASE + MOTE
    assert paper["@type"] == "ScholarlyArticle"
    names = [author["name"] if isinstance(author["name"], str) else author["name"][-1]
             for author in paper["author"]]  # Zhenguo Li: ["ZHENGUO LI", "Zhenguo Li"]
    assert names[:3] == ["Zhili Liu", "Yunhao Gou", "Kai Chen"] and len(names) == 11
    assert names[7] == "Zhenguo Li"


def test_schema_triples_filter() -> None:
    assert schema_jsonld.SCHEMA == SCHEMA


# --- people ---------------------------------------------------------------------------------


def test_person_page(client: FlaskClient) -> None:
    raw = client.get("/person/zhenguo-li.html").get_data(as_text=True)
    html = Page(raw)
    assert "Papers (11)" in html.plain
    assert re.findall(r'<h3 id="year-(\d+)">', raw) == ["2025", "2024", "2023"]
    assert len(html.all("li", **{"class": "paper"})) == 11
    assert "ZHENGUO LI" in html.plain  # a name variant
    coauthors = re.findall(r"Han Shi (\d+)", html.plain)
    assert coauthors and coauthors[0] == "4"
    svg = html.all("svg", id="papers-per-year")
    assert svg and svg[0]["role"] == "img"
    bars = [t for t in html.all("rect")]
    assert len(bars) == 3  # 2023, 2024, 2025
    assert html.all("svg", id="coauthor-graph")
    assert "/person/han-shi.html" in {a.get("href") for a in html.all("a")}


def test_person_with_orcid_and_variants(client: FlaskClient) -> None:
    html = page(client, "/person/grace-hopper.html")
    assert "https://orcid.org/0000-0001-5109-3700" in {a.get("href") for a in html.all("a")}
    assert "G. Hopper" in html.plain and "Yale" in html.plain


def test_volume_venue_event_pages(client: FlaskClient) -> None:
    volume = page(client, "/volume/2024.toyws-1.html")
    papers = [a["href"] for a in volume.all("a")
              if (a.get("href") or "").startswith("/paper/2024.toyws-1.")]
    assert papers[:3] == ["/paper/2024.toyws-1.1.html", "/paper/2024.toyws-1.2.html",
                          "/paper/2024.toyws-1.4.html"]
    assert "Ada Lovelace" in volume.plain and "Émile Zola-Durand" in volume.plain
    assert "/volume/2024.toyws-1.bib" in {a.get("href") for a in volume.all("a")}
    venue = page(client, "/venue/acl.html")
    assert venue.all("svg", id="volumes-per-year")
    assert "Volumes by year" in venue.plain and "2025" in venue.plain
    event = page(client, "/event/toyws-2024.html")
    assert "Bangkok, Thailand and online" in event.plain and "Papers (3)" in event.plain


def test_generic_resource_pages(client: FlaskClient) -> None:
    slot = page(client, f"/{TOY_PAPER}/author/1.html")
    assert "Yale University & Harvard" in slot.plain
    graph = page(client, "/graph/zhenguo-li.txt.html")
    assert "prov:wasDerivedFrom" in graph.plain
    ontology = page(client, "/ontology.html")
    assert ontology.all("table", id="Authorship")


# --- home, search ---------------------------------------------------------------------------


def test_home_page(client: FlaskClient) -> None:
    html = page(client, "/")
    assert "Papers" in html.plain and "People" in html.plain
    hrefs = {a.get("href") for a in html.all("a")}
    assert {"/sparql", "/releases/", "/.well-known/void", "/editor", "/ontology.html"} <= hrefs
    examples = [h for h in hrefs if h and h.startswith("/editor?query=")]
    assert len(examples) == len(pages.EXAMPLES)
    assert html.all("input", id="home-search-q") and html.all("label", **{"for": "home-search-q"})


def test_search_finds_people_and_titles(client: FlaskClient) -> None:
    html = page(client, "/search?" + urlencode({"q": "Zhenguo Li"}))
    assert "/person/zhenguo-li.html" in {a.get("href") for a in html.all("a")}
    html = page(client, "/search?" + urlencode({"q": "theorem GENERATION"}))
    assert any("atg-benchmarking" in (a.get("href") or "") for a in html.all("a"))
    html = page(client, "/search?" + urlencode({"q": "\" } ; DROP ALL"}))
    assert "No title contains" in html.plain
    assert page(client, "/search").all("input", id="search-q")


# --- the query editor -----------------------------------------------------------------------


def test_editor_runs_a_select_query(client: FlaskClient) -> None:
    example = pages.EXAMPLES[1]  # co-authors with counts
    html = page(client, "/editor?" + urlencode({"query": example.sparql}))
    table = html.all("table", id="result-table")
    assert table
    assert "Han Shi" in html.plain and "/person/han-shi.html" in {
        a.get("href") for a in html.all("a")}
    downloads = {a["data-format"]: a["href"] for a in html.all("a", **{"class": "download"})}
    assert set(downloads) == {"json", "srx", "csv", "tsv"}
    csv = urlsplit(downloads["csv"] or "")
    assert csv.path == "/sparql"
    assert parse_qs(csv.query) == {"query": [example.sparql], "format": ["csv"]}
    answer = client.get(downloads["csv"] or "")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "Han Shi,4" in answer.get_data(as_text=True)


def test_editor_shows_triples_booleans_and_errors(client: FlaskClient) -> None:
    construct = page(client, "/editor?" + urlencode({"query": pages.EXAMPLES[-1].sparql}))
    assert "subject" in construct.plain and "triples" in construct.plain
    assert {a["data-format"] for a in construct.all("a", **{"class": "download"})} == {
        "ttl", "nt", "rdf", "jsonld", "nq", "trig"}
    ask = page(client, "/editor?" + urlencode({"query": "ASK { ?s ?p ?o }"}))
    assert ask.all("strong", id="ask-answer")
    broken = page(client, "/editor?" + urlencode({"query": "SELECT * WHERE { ?s ?p }"}))
    assert "answered 400" in broken.plain
    empty = page(client, "/editor")
    assert "PREFIX schema:" in empty.plain and not empty.all("table", id="result-table")


def test_editor_shows_at_most_a_page_of_rows(client: FlaskClient,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pages, "PAGE_ROWS", 5)
    html = page(client, "/editor?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o }"}))
    assert len(html.all("tr")) == 6  # the header and five rows
    assert "5+ rows" in html.plain


# --- BibTeX -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "written"), [
    ("plain", "plain"),
    ("50% of R&D_x #1", r"50\% of R\&D\_x \#1"),
    ("} @comment{", r"\} @comment\{"),
    ("a\\b ~ ^", r"a\textbackslash{}b \textasciitilde{} \^{}"),
    ("math $x^{2}$ and $5", r"math $x^{2}$ and \$5"),
    ("bad math $}$", r"bad math \$\}\$"),
    ("two\nlines", "two lines"),
])
def test_bibtex_text(text: str, written: str) -> None:
    assert bibtex_text(text) == written


@pytest.mark.parametrize("path", [TOY_PAPER, XSS_PAPER_PATH, "person/zhenguo-li",
                                  "volume/2024.toyws-1"])
def test_bibtex_exports_parse_back(client: FlaskClient, path: str) -> None:
    text = client.get(f"/{path}.bib").get_data(as_text=True)
    library = bibtexparser.parse_string(text)
    assert not library.failed_blocks
    assert library.entries
    keys = [entry.key for entry in library.entries]
    assert len(keys) == len(set(keys))
    if path == XSS_PAPER_PATH:
        fields = library.entries[0].fields_dict
        assert fields["title"].value == '<script>alert(1)</script> Attacks "quoted" <b>bold</b>'


def test_bibtex_entry_fields(client: FlaskClient) -> None:
    library = bibtexparser.parse_string(client.get(f"/{TOY_PAPER}.bib").get_data(as_text=True))
    fields = {name: field.value for name, field in library.entries[0].fields_dict.items()}
    assert fields["author"] == "Hopper, Grace and Müller-Šťastný, Jürgen and Li, Zhenguo"
    assert fields["booktitle"].startswith("Proceedings of the First Toy Workshop")
    assert fields["editor"] == "Lovelace, Ada and Zola-Durand, Émile"
    assert fields["pages"] == "1--12" and fields["year"] == "2024" and fields["month"] == "aug"
    assert fields["doi"] == "10.18653/v1/2024.toyws-1.1"
    retracted = client.get("/paper/2024.toyws-1.2.bib").get_data(as_text=True)
    assert "{The ToyNLP Consortium}" in retracted  # an organisation stays one name


# --- hostile values -------------------------------------------------------------------------

XSS_PAGES = [f"/{XSS_PAPER_PATH}.html",
             "/person/mallory-img-src-x-onerror-window-xss-1-hacker.html",
             "/person/eve-title-script-window-xss-2-script-doe.html",
             "/volume/2024-proceedings-of-svg-onload-window-xss-3-injection-1867c30b.html",
             "/org/evil-press-script-window-xss-5-script.html",
             "/person/trudy-iframe-src-javascript-window-xss-4-iframe-editor.html",
             "/search?q=script", "/search?q=%3Cscript%3E",
             "/editor?" + urlencode({"query": "SELECT ?t WHERE { ?s <http://schema.org/name> ?t"
                                              " FILTER (CONTAINS(?t, '<')) }"}),
             "/editor?" + urlencode({"query": "</textarea><script>window.__xss=10</script>"})]


@pytest.mark.parametrize("path", XSS_PAGES)
def test_markup_in_the_data_stays_text(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (200, 404)
    html = Page(response.get_data(as_text=True))
    for attrs, _ in html.scripts:  # only our own scripts and the JSON-LD data block
        assert attrs.get("type") == "application/ld+json" or (
            (attrs.get("src") or "").startswith("/assets/") and set(attrs) == {"src"})
    for tag, attrs in html.tags:
        assert tag not in ("img", "iframe", "style", "object", "embed", "title") or (
            tag == "title" and set(attrs) <= {"id"})  # the page's and the charts' titles
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("href", "src"):
            assert not (attrs.get(name) or "").lower().startswith("javascript:")
    assert "<script>" in html.plain or path.startswith("/search") or "editor" in path
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy


def test_jsonld_cannot_close_its_script_element(client: FlaskClient) -> None:
    raw = client.get(f"/{XSS_PAPER_PATH}.html").get_data(as_text=True)
    block = raw.split('<script type="application/ld+json" id="schema-org">', 1)[1]
    block = block.split("</script>", 1)[0]
    assert "<" not in block and "alert(1)" in block
    assert json.loads(block)["@graph"][0]["name"]["@value"].startswith("<script>")


# --- assets, accessibility ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["style.css", "query.js", "codemirror.js", "codemirror.css",
                                  "codemirror-sparql.js", "LICENSE-codemirror.txt"])
def test_assets_are_bundled(client: FlaskClient, name: str) -> None:
    response = client.get(f"/assets/{name}")
    assert response.status_code == 200 and response.data
    response.close()


@pytest.mark.parametrize("path", ["/assets/../pages.py", "/assets/%2e%2e/pages.py",
                                  "/assets/..%2fpages.py", "/assets//etc/passwd",
                                  "/assets/%2fetc%2fpasswd"])
def test_assets_refuse_path_traversal(client: FlaskClient, path: str) -> None:
    response = client.get(path, follow_redirects=True)  # "//" is first merged (308)
    assert response.status_code == 404
    assert b"Blueprint" not in response.data and b"root:" not in response.data


@pytest.mark.parametrize("path", ["/", "/search?q=li", "/editor", f"/{TOY_PAPER}.html",
                                  "/person/zhenguo-li.html", "/volume/2024.toyws-1.html",
                                  "/venue/acl.html", "/event/toyws-2024.html",
                                  "/graph/zhenguo-li.txt.html", "/ontology.html"])
def test_pages_are_accessible(client: FlaskClient, path: str) -> None:
    html = page(client, path)
    assert html.all("html", lang="en")
    assert len(html.all("h1")) == 1
    assert html.all("main", id="main") and html.all("a", href="#main")
    labelled = {attrs.get("for") for attrs in html.all("label")}
    for control in html.all("input") + html.all("textarea"):
        assert control.get("id") in labelled, control
    for svg in html.all("svg"):
        assert svg.get("role") == "img" and svg.get("aria-labelledby")
