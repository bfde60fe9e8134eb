"""Which venue and event a proceedings title names, for sources that give only the title.

The table is data: one row per ACL Anthology venue (its venue id, full name, acronym) and the
patterns that recognise its proceedings titles. The first matching row wins, so the specific
rows (Findings, workshops named inside a main-conference title) come first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kg.records import Event, Venue


@dataclass(frozen=True)
class VenueRule:
    venue: Venue
    pattern: re.Pattern[str]


def _rule(key: str, name: str, acronym: str, pattern: str) -> VenueRule:
    return VenueRule(Venue(key=key, name=name, acronym=acronym), re.compile(pattern, re.IGNORECASE))


VENUE_RULES: tuple[VenueRule, ...] = (
    _rule("findings", "Findings of the Association for Computational Linguistics", "Findings",
          r"^Findings of the Association for Computational Linguistics"),
    _rule("tacl", "Transactions of the Association for Computational Linguistics", "TACL",
          r"Transactions of the Association for Computational Linguistics"),
    _rule("cl", "Computational Linguistics", "CL", r"^Computational Linguistics\b"),
    _rule("naacl", "North American Chapter of the Association for Computational Linguistics",
          "NAACL", r"(North American|Nations of the Americas) Chapter of the Association"),
    _rule("eacl", "European Chapter of the Association for Computational Linguistics", "EACL",
          r"European Chapter of the Association for Computational Linguistics"),
    _rule("aacl", "Asia-Pacific Chapter of the Association for Computational Linguistics", "AACL",
          r"Asia-Pacific Chapter of the Association for Computational Linguistics"),
    _rule("emnlp", "Conference on Empirical Methods in Natural Language Processing", "EMNLP",
          r"Empirical Methods in Natural Language Processing"),
    _rule("conll", "Conference on Computational Natural Language Learning", "CoNLL",
          r"Computational Natural Language Learning"),
    _rule("coling", "International Conference on Computational Linguistics", "COLING",
          r"International Conference on Computational Linguistics"),
    _rule("lrec", "International Conference on Language Resources and Evaluation", "LREC",
          r"(Language Resources and Evaluation Conference"
          r"|Conference on Language Resources and Evaluation)"),
    _rule("iwcs", "International Conference on Computational Semantics", "IWCS",
          r"International Conference on Computational Semantics"),
    _rule("crac", "Workshop on Computational Models of Reference, Anaphora and Coreference",
          "CRAC", r"Computational Models of Reference, Anaphora and Coreference"),
    _rule("acl", "Annual Meeting of the Association for Computational Linguistics", "ACL",
          r"Annual Meeting of the Association for Computational Linguistics"),
)

# "Findings of the Association for Computational Linguistics: ACL 2025" names its event.
# The acronym's hyphens only between letters: "[A-Za-z][A-Za-z-]*" backtracked in time ~n^2.4
# on a long run of "-" (an 8,000-character line took 4.5 s).
_NAMED_EVENT = re.compile(
    r":\s*(?P<acronym>[A-Za-z]+(?:-[A-Za-z]+)*)[\s-]+(?P<year>\d{4})\s*$")


def venue_for(title: str) -> Venue | None:
    """The venue whose proceedings ``title`` is, or None when no row recognises it."""
    for rule in VENUE_RULES:
        if rule.pattern.search(title):
            return rule.venue
    return None


def event_for(title: str, year: int | None) -> Event | None:
    """The event the proceedings were presented at, where the title says which.

    Findings volumes name their event after a colon ("...: NAACL 2024"); a main-conference
    volume is presented at its own venue's event of the volume's year.
    """
    named = _NAMED_EVENT.search(title)
    if named:
        acronym, event_year = named["acronym"], int(named["year"])
        return Event(key=f"{acronym.lower()}-{event_year}", name=f"{acronym} {event_year}",
                     year=event_year, series=venue_by_key(acronym.lower()))
    venue = venue_for(title)
    if venue is None or year is None or venue.key in ("findings", "tacl", "cl"):
        return None
    return Event(key=f"{venue.key}-{year}", name=f"{venue.acronym or venue.name} {year}",
                 year=year, series=venue)


def venue_by_key(key: str) -> Venue | None:
    """The venue of the table with ACL venue id ``key``."""
    return next((rule.venue for rule in VENUE_RULES if rule.venue.key == key), None)
