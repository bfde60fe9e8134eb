"""The author-page importer: lenient raw records (stage one), checked Papers (stage two)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import SourceError
from kg.records import Paper
from kg.sources import author_page, detect_format
from kg.sources.author_page import RawRecord, raw_records, to_paper
from tests.conftest import EXAMPLE, PROJECT, TEST_DATA, shared

PAGES = TEST_DATA / "author-pages"
ACL_2024 = ("Proceedings of the 62nd Annual Meeting of the Association for Computational "
            "Linguistics (Volume 1: Long Papers)")


def read(path: Path, source: str | None = None) -> tuple[list[Paper], list[SourceError]]:
    """Every record and every error of ``path``, in file order."""
    papers: list[Paper] = []
    errors: list[SourceError] = []
    for item in author_page.read(path, source or path.name):
        if isinstance(item, SourceError):
            errors.append(item)
        else:
            papers.append(item)
    return papers, errors


def where(error: SourceError) -> tuple[str | None, int | None, str | None]:
    return error.source, error.line, error.field


# Stage one: raw records, lenient, with their positions.

def test_raw_records_keep_every_line_number() -> None:
    lines = (PAGES / "well-formed.txt").read_text("utf-8").splitlines()
    raws = list(raw_records(lines, "page"))
    assert all(isinstance(raw, RawRecord) for raw in raws)
    first, second = raws[0], raws[1]
    assert isinstance(first, RawRecord) and isinstance(second, RawRecord)
    assert (first.line, first.year) == (6, 2024)
    assert first.head == [(7, "Counting Engines Without Abstracts"),
                          (8, "Ada Lovelace | Charles Babbage"), (9, ACL_2024)]
    assert first.abstract == []
    assert (second.line, second.year) == (11, 2024)
    assert [number for number, _ in second.abstract] == [16, 18]
    assert second.abstract[0][1].startswith("We study the **Analytical Engine**")  # raw: untouched
    assert [raw.year for raw in raws if isinstance(raw, RawRecord)] == [2024, 2024, 2024, 2023]


def test_raw_stage_does_not_judge_a_short_record() -> None:
    lines = ["Owner", "2024", "pdf bib", "Only A Title"]
    (raw,) = raw_records(lines, "page")
    assert isinstance(raw, RawRecord)
    assert raw.head == [(4, "Only A Title")]
    with pytest.raises(SourceError) as caught:
        to_paper(raw, "page")
    assert where(caught.value) == ("page", 5, "authors")


# Stage two and the whole reader, on made-up pages.

def test_well_formed_page() -> None:
    papers, errors = read(PAGES / "well-formed.txt")
    assert errors == []
    assert [p.title for p in papers] == [
        "Counting Engines Without Abstracts", "Two Paragraphs on Analytical Machines",
        "Notes on a Single Author", "Bernoulli Numbers by Machine"]
    assert [p.location.line for p in papers] == [6, 11, 20, 27]
    assert {p.location.source for p in papers} == {"well-formed.txt"}
    assert [p.date.lexical if p.date else None for p in papers] == ["2024", "2024", "2024", "2023"]
    assert [[a.name for a in p.authors] for p in papers] == [
        ["Ada Lovelace", "Charles Babbage"],
        ["Charles Babbage", "Ada Lovelace", "Mary Somerville"],
        ["Ada Lovelace"],
        ["Mary Somerville", "Charles Babbage"]]
    assert papers[0].volume is not None and papers[0].volume.title == ACL_2024
    assert papers[0].volume.year == 2024


def test_record_without_abstract_has_none() -> None:
    papers, _ = read(PAGES / "well-formed.txt")
    assert papers[0].abstract is None
    assert papers[2].abstract is None


def test_abstract_of_two_paragraphs_without_emphasis_and_with_urls() -> None:
    papers, _ = read(PAGES / "well-formed.txt")
    assert papers[1].abstract == (
        "We study the Analytical Engine and its notes. Code and data: "
        "https://example.org/engine_notes/v2?lang=en&page=1 (mirror at http://example.com/notes)."
        "\n\nA second paragraph, with two emphasised words.")


def test_single_author_record() -> None:
    papers, _ = read(PAGES / "well-formed.txt")
    single = papers[2]
    assert [a.name for a in single.authors] == ["Ada Lovelace"]
    assert single.volume is not None and single.volume.venues[0].key == "emnlp"


def test_crlf_line_ends_and_bom_read_like_the_plain_file(tmp_path: Path) -> None:
    plain = PAGES / "well-formed.txt"
    windows = tmp_path / "well-formed.txt"
    windows.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    assert b"\r\n" in windows.read_bytes()
    plain_papers, plain_errors = read(plain)
    papers, errors = read(windows)
    assert plain_errors == errors == []
    assert papers == plain_papers
    assert not any("\r" in p.title or "\ufeff" in p.title for p in papers)
    assert detect_format(windows) == author_page.FORMAT


def test_every_broken_record_is_reported_with_source_line_and_field() -> None:
    papers, errors = read(PAGES / "broken.txt", "pages/broken.txt")
    assert [where(e) for e in errors] == [
        ("pages/broken.txt", 3, "year"),       # a record before any year header
        ("pages/broken.txt", 10, "marker"),    # text outside a record
        ("pages/broken.txt", 13, "title"),     # the authors stand where the title belongs
        ("pages/broken.txt", 18, "authors"),   # the venue stands where the authors belong
        ("pages/broken.txt", 23, "venue"),     # a blank line where the venue belongs
        ("pages/broken.txt", 37, "abstract"),  # an abstract without its blank line
    ]
    assert all(str(e).startswith(f"pages/broken.txt:{e.line}: ") for e in errors)
    # the one good record among them is still read
    assert [(p.title, p.location.line) for p in papers] == [("A Valid Paper Among Broken Ones", 26)]


def test_errors_come_in_file_order_between_records() -> None:
    items = list(author_page.read(PAGES / "one-broken.txt", "one-broken.txt"))
    kinds = [("error", i.line) if isinstance(i, SourceError) else ("paper", i.location.line)
             for i in items]
    assert kinds == [("paper", 5), ("error", 11), ("paper", 14)]


def test_title_line_holding_an_author_list_when_the_authors_line_does_not() -> None:
    raw = RawRecord(line=5, year=2024, head=[(6, "A | B"), (7, "Just A Title"), (8, ACL_2024)])
    with pytest.raises(SourceError) as caught:
        to_paper(raw, "page.txt")
    assert where(caught.value) == ("page.txt", 6, "title")


def test_record_with_no_lines_after_its_marker() -> None:
    lines = ["Owner", "2024", "pdf bib", "", "pdf bib", "T", "A | B", ACL_2024]
    items = list(raw_records(lines, "page"))
    assert len(items) == 2
    empty = items[0]
    assert isinstance(empty, RawRecord)
    with pytest.raises(SourceError) as caught:
        to_paper(empty, "page")
    assert where(caught.value) == ("page", 4, "title")


def test_non_utf8_byte_is_one_error_with_its_line(tmp_path: Path) -> None:
    data = (PAGES / "well-formed.txt").read_bytes()
    offset = data.index(b"Notes on a Single Author") + 6
    broken = tmp_path / "latin1.txt"
    broken.write_bytes(data[:offset] + b"\xe9" + data[offset:])
    papers, errors = read(broken)
    assert papers == []
    assert [where(e) for e in errors] == [("latin1.txt", 21, "encoding")]
    assert "0xe9" in errors[0].message and "column 7" in errors[0].message


def test_owner_only_page_has_no_records() -> None:
    items = list(raw_records(["Ada Lovelace", "", "2024", ""], "page"))
    assert items == []


def test_looks_like_needs_a_marker() -> None:
    assert author_page.looks_like((PAGES / "well-formed.txt").read_text("utf-8"))
    assert not author_page.looks_like("@inproceedings{key,\n  title = {pdf bib}\n}\n")


# The real page.

def test_real_page_records_keep_the_line_of_their_marker() -> None:
    page = shared("author-pages/zhenguo-li.txt")
    lines = page.read_text("utf-8").splitlines()
    papers, errors = read(page)
    assert errors == []
    markers = [n for n, text in enumerate(lines, start=1) if text.strip().startswith("pdf bib")]
    assert [p.location.line for p in papers] == markers
    assert len(papers) == 9
    for paper in papers:
        line = paper.location.line
        assert lines[line - 1].strip() == "pdf bib"
        assert lines[line] == paper.title
        assert lines[line + 1].split(" | ")[0] == paper.authors[0].name
        assert paper.volume is not None and lines[line + 2] == paper.volume.title


def test_real_page_is_the_bundled_example() -> None:
    assert shared("author-pages/zhenguo-li.txt").read_bytes() == EXAMPLE.read_bytes()


def test_real_page_abstracts_lose_emphasis_but_keep_urls() -> None:
    papers, _ = read(shared("author-pages/zhenguo-li.txt"))
    abstracts = [p.abstract for p in papers if p.abstract]
    assert not any("**" in a for a in abstracts)
    dape = next(p for p in papers if p.title.startswith("DAPE V2"))
    assert dape.abstract is not None
    assert "Specifically, the main contribution of this paper is identifying" in dape.abstract
    quick = next(p for p in papers if p.title.startswith("QuickLLaMA"))
    assert quick.abstract is not None
    assert quick.abstract.endswith("Our code is in https://github.com/dvlab-research/Q-LLM.")


def test_pages_made_up_by_the_benchmark_generator_read_cleanly(tmp_path: Path) -> None:
    page = tmp_path / "generated.txt"
    done = subprocess.run([sys.executable, str(PROJECT / "bench" / "generate.py"), "--papers",
                           "40", "--seed", "7", "-o", str(page)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    papers, errors = read(page)
    assert errors == []
    assert len(papers) == 40
    assert all(1 <= len(p.authors) <= 15 for p in papers)
    owner = page.read_text("utf-8").splitlines()[0]
    assert all(owner in {a.name for a in p.authors} for p in papers)
