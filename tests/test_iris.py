"""IRI minting: deterministic, identifiers before slugs, and a hash that keeps titles apart."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest
from pyoxigraph import NamedNode

from kg.iris import IriMinter, paper_title_key
from kg.records import Contributor, Location, Paper, PublicationDate, Volume
from tests.conftest import BASE, PROJECT

MINTER = IriMinter(BASE)
HERE = Location("page.txt", 6)


def paper(title: str = "Counting Engines Without Abstracts", year: int | None = 2024, *,
          acl_id: str | None = None, doi: str | None = None) -> Paper:
    return Paper(title=title, location=HERE, date=PublicationDate(year) if year else None,
                 acl_id=acl_id, doi=doi)


def sha8(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def test_a_title_only_paper_gets_year_slug_and_hash() -> None:
    expected = f"{BASE}paper/2024-counting-engines-without-abstracts-" + sha8(
        "counting-engines-without-abstracts")
    assert MINTER.paper(paper()) == expected


def test_an_undated_paper_has_no_year_in_its_iri() -> None:
    key = "counting-engines-without-abstracts"
    assert MINTER.paper(paper(year=None)) == f"{BASE}paper/{key}-{sha8(key)}"


def test_same_record_same_iri_across_calls_and_minters() -> None:
    first = MINTER.paper(paper())
    assert MINTER.paper(paper()) == first
    assert IriMinter(BASE).paper(paper()) == first
    # where the record came from does not matter, only what it says
    moved = Paper(title="Counting Engines Without Abstracts", location=Location("other.txt", 99),
                  date=PublicationDate(2024))
    assert MINTER.paper(moved) == first


def test_same_record_same_iri_in_another_process() -> None:
    code = ("from kg.iris import IriMinter; from kg.records import *; "
            "from kg.config import DEFAULT_BASE_IRI as B; "
            "print(IriMinter(B).paper(Paper(title='Counting Engines Without Abstracts', "
            "location=Location('x', 1), date=PublicationDate(2024))), "
            "IriMinter(B).person(Contributor(name='Zhénguo  LI')))")
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, cwd=PROJECT, check=True)
        outputs.add(done.stdout)
    assert outputs == {f"{MINTER.paper(paper())} {BASE}person/zhenguo-li\n"}


def test_base_iri_is_only_a_prefix() -> None:
    other = IriMinter("http://example.org/kg/")
    record = paper(acl_id="2024.acl-long.1")
    assert other.paper(record) == "http://example.org/kg/paper/2024.acl-long.1"
    for mint in (lambda m: m.paper(paper()), lambda m: m.person(Contributor("Ada Lovelace")),
                 lambda m: m.volume(Volume("Proceedings of Something", 2024)),
                 lambda m: m.venue("acl"), lambda m: m.event("acl-2024"),
                 lambda m: m.graph("zhenguo-li.txt")):
        ours, theirs = mint(MINTER), mint(other)
        assert ours.startswith(BASE) and theirs.startswith("http://example.org/kg/")
        assert ours.removeprefix(BASE) == theirs.removeprefix("http://example.org/kg/")


def test_acl_id_wins_over_doi_and_title() -> None:
    both = paper(acl_id="2021.iwcs-1.3", doi="10.18653/v1/2021.iwcs-1.3")
    assert MINTER.paper(both) == f"{BASE}paper/2021.iwcs-1.3"
    assert MINTER.paper(paper(title="Another Title", acl_id="2021.iwcs-1.3")) == MINTER.paper(both)


def test_doi_wins_over_title_and_ignores_case() -> None:
    upper = paper(doi="10.18653/V1/2023.CRAC-MAIN.1")
    lower = paper(title="A Different Title", doi="10.18653/v1/2023.crac-main.1")
    assert MINTER.paper(upper) == f"{BASE}paper/doi/10.18653/v1/2023.crac-main.1"
    assert MINTER.paper(lower) == MINTER.paper(upper)


def test_doi_characters_outside_an_iri_path_are_escaped() -> None:
    minted = MINTER.paper(paper(doi="10.1002/(SICI)1097-4571<3>::AID ASI1"))
    assert minted == f"{BASE}paper/doi/10.1002/(sici)1097-4571%3C3%3E::aid%20asi1"
    NamedNode(minted)  # a valid IRI


def test_titles_sharing_eight_words_differ_by_their_hash() -> None:
    shared_words = "One Two Three Four Five Six Seven Eight"
    first = MINTER.paper(paper(f"{shared_words} Nine"))
    second = MINTER.paper(paper(f"{shared_words} Ten"))
    stem = f"{BASE}paper/2024-one-two-three-four-five-six-seven-eight-"
    assert first.startswith(stem) and second.startswith(stem)
    assert first == stem + sha8("one-two-three-four-five-six-seven-eight-nine")
    assert second == stem + sha8("one-two-three-four-five-six-seven-eight-ten")
    assert first != second


def test_titles_that_differ_in_case_and_punctuation_are_one_title() -> None:
    assert MINTER.paper(paper("Counting engines: without ABSTRACTS!")) == MINTER.paper(paper())
    assert MINTER.paper(paper(year=2023)) != MINTER.paper(paper())


def test_minted_from_keys_agrees_with_minted_from_the_record() -> None:
    record = paper()
    assert MINTER.paper_from_keys(title_key=paper_title_key(record)) == MINTER.paper(record)
    undated = paper(year=None)
    assert paper_title_key(undated) == "undated/counting-engines-without-abstracts"
    assert MINTER.paper_from_keys(title_key=paper_title_key(undated)) == MINTER.paper(undated)
    assert MINTER.paper_from_keys(doi="10.1/X", title_key="2024/x") == f"{BASE}paper/doi/10.1/x"
    with pytest.raises(ValueError):
        MINTER.paper_from_keys()


def test_a_title_without_latin_letters_still_gets_a_distinct_iri() -> None:
    first, second = MINTER.paper(paper("机器翻译研究")), MINTER.paper(paper("语言模型研究"))
    assert first != second
    assert first.startswith(f"{BASE}paper/2024-u")
    NamedNode(first)


def test_person_by_acl_id_else_by_name_key() -> None:
    assert MINTER.person(Contributor("Zhenguo Li", acl_id="zhenguo-li-hk")) == (
        f"{BASE}person/zhenguo-li-hk")
    variants = {MINTER.person(Contributor(name)) for name in
                ("Zhenguo Li", "ZHENGUO LI", "Zhénguo  Li")}
    assert variants == {f"{BASE}person/zhenguo-li"}
    assert MINTER.person(Contributor("Z. Li")) == f"{BASE}person/z-li"


def test_an_organisation_is_not_a_person() -> None:
    group = Contributor("The BigScience Workshop", is_organization=True)
    assert MINTER.person(group) == f"{BASE}org/the-bigscience-workshop"
    assert MINTER.person(Contributor("The BigScience Workshop")) == (
        f"{BASE}person/the-bigscience-workshop")


def test_volume_by_acl_id_else_by_year_and_title() -> None:
    title = "Proceedings of the 62nd Annual Meeting of the ACL"
    assert MINTER.volume(Volume(title, 2024, acl_id="2024.acl-long")) == (
        f"{BASE}volume/2024.acl-long")
    key = "proceedings-of-the-62nd-annual-meeting-of-the-acl"
    assert MINTER.volume(Volume(title, 2024)) == (
        f"{BASE}volume/2024-proceedings-of-the-62nd-annual-meeting-of-the-{sha8(key)}")


def test_slots_graphs_venues_and_events() -> None:
    owner = MINTER.paper(paper(acl_id="2024.acl-long.1"))
    assert IriMinter.slot(owner, "author", 3) == f"{owner}/author/3"
    assert IriMinter.slot(owner, "author-list", 1) == f"{owner}/author-list/1"
    assert MINTER.venue("acl") == f"{BASE}venue/acl"
    assert MINTER.event("acl-2025") == f"{BASE}event/acl-2025"
    assert MINTER.graph("zhenguo li.txt") == f"{BASE}graph/zhenguo%20li.txt"
    assert MINTER.software("0.1.0") == f"{BASE}software/kg/0.1.0"
