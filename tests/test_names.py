"""The name policy: when two printed names are one person, and how names are cleaned."""

from __future__ import annotations

import re

import pytest

from kg.names import ascii_fold, clean_name, person_key, slug, title_key


@pytest.mark.parametrize("printed", [
    "Zhenguo Li", "ZHENGUO LI", "Zhénguo  LI", "zhenguo li", " Zhenguo\tLi ", "Zhenguo-Li",
    "Ｚｈｅｎｇｕｏ Ｌｉ",  # full-width letters (NFKC)
    "Zhe\u0301nguo Li",    # a combining acute accent (NFD input)
])
def test_name_keys_fold_accents_case_and_spacing(printed: str) -> None:
    assert person_key(printed) == "zhenguo-li"


@pytest.mark.parametrize(("printed", "key"), [
    ("Orphée De Clercq", "orphee-de-clercq"),  # the form of ACL person ids
    ("Zdeněk Žabokrtský", "zdenek-zabokrtsky"),
    ("Karin Sørensen", "karin-sorensen"),
    ("Ulrich Weiß", "ulrich-weiss"),
    ("Łukasz Kaiser", "lukasz-kaiser"),
    ("Yıldız Özkan", "yildiz-ozkan"),
    ("Maarten D’Oosterlinck", "maarten-d-oosterlinck"),
    ("J. R. R. Tolkien", "j-r-r-tolkien"),
])
def test_name_keys_of_real_world_spellings(printed: str, key: str) -> None:
    assert person_key(printed) == key


@pytest.mark.parametrize(("one", "other"), [
    ("Zhenguo Li", "Li Zhenguo"),     # reordered parts stay different people
    ("Zhenguo Li", "Z. Li"),          # initials stay different people
    ("Zhenguo Li", "Zhengguo Li"),
])
def test_names_that_differ_in_more_than_spelling_stay_apart(one: str, other: str) -> None:
    assert person_key(one) != person_key(other)


def test_a_name_without_latin_letters_is_keyed_by_a_digest() -> None:
    key = person_key("李振国")
    assert re.fullmatch(r"u[0-9a-f]{16}", key)
    assert person_key(" 李振国 ") == key        # white space does not count
    assert person_key("李振") != key
    assert person_key("— ? —") != person_key("— ! —")  # never one empty key for all of them
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key)  # still the form of an IRI segment


def test_clean_name_keeps_the_printed_form() -> None:
    assert clean_name("  Zhénguo \t  LI\n") == "Zhénguo LI"
    assert clean_name("Zhe\u0301nguo") == "Zhénguo"  # NFC: one code point for é
    assert len(clean_name("Zhe\u0301nguo")) == 7


def test_ascii_fold_and_slug() -> None:
    assert ascii_fold("Ærøskøbing") == "AEroskobing"
    assert slug("  Mixture of insighTful Experts (MoTE): The Synergy…  ") == (
        "mixture-of-insightful-experts-mote-the-synergy")
    assert slug("") == ""


def test_title_key_ignores_case_punctuation_and_accents() -> None:
    assert title_key("Café: A Study!") == title_key("cafe — a STUDY") == "cafe-a-study"
