"""Made-up ACL Anthology author pages, shaped like the real one, of any size.

The distributions follow real pages: 1-15 authors per paper (mostly 3-6), co-authors drawn
from a pool with a long tail (a few people on many papers, most on one or two), the page owner
on every paper at a random position, abstracts of 100-300 words (some with ``**emphasis**``,
some with a URL, a few in two paragraphs, one paper in ten without), a handful of venues, and
years from 2016 to 2025 with recent years busier. The same seed gives the same page.

    python bench/generate.py --papers 1000 -o /tmp/page.txt
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from dataclasses import dataclass
from pathlib import Path

FIRST = ["Zhenguo", "Han", "Xin", "Ada", "Mary", "Charles", "Orphée", "Zdeněk", "Karin", "Ulrich",
         "Łukasz", "Yıldız", "José", "Ana", "Wei", "Li", "Yu", "Jing", "Hiroshi", "Aiko", "Priya",
         "Rahul", "Fatima", "Omar", "Sven", "Ingrid", "Pierre", "Chloé", "Giulia", "Marco",
         "Olga", "Dmitri", "Kwame", "Amara", "Sean", "Niamh", "Tomás", "Lucía", "Noah", "Emma"]
LAST = ["Li", "Shi", "Jiang", "Lovelace", "Somerville", "Babbage", "De Clercq", "Žabokrtský",
        "Sørensen", "Weiß", "Kaiser", "Özkan", "García", "Silva", "Zhang", "Wang", "Liu", "Chen",
        "Tanaka", "Suzuki", "Sharma", "Gupta", "Haddad", "Nasser", "Lindqvist", "Berg", "Dubois",
        "Martin", "Rossi", "Bianchi", "Ivanova", "Petrov", "Mensah", "Okafor", "O’Brien",
        "Murphy", "Núñez", "Fernández", "Kim", "Park"]
_WORD_TEXT = ("language model models large reasoning alignment retrieval translation parsing "
         "benchmark dataset evaluation attention transformer encoder decoder pretraining "
         "fine-tuning instruction prompt agent knowledge graph entity relation extraction "
         "summarization dialogue speech multilingual low-resource cross-lingual semantic syntax "
         "morphology token embedding representation contrastive generative discriminative "
         "inference efficient scaling sparse mixture experts safety robustness bias fairness "
         "hallucination factuality question answering reading comprehension code math proof "
         "theorem vision multimodal image text audio video structured tabular clinical legal "
         "scientific document long context memory compression distillation quantization "
         "adaptation domain transfer zero-shot few-shot chain thought verification feedback "
         "reward reinforcement preference human annotation corpus lexicon ontology")
WORDS = _WORD_TEXT.split()
VENUES = [
    "Proceedings of the {acl} Annual Meeting of the Association for Computational Linguistics"
    " (Volume 1: Long Papers)",
    "Findings of the Association for Computational Linguistics: ACL {year}",
    "Findings of the Association for Computational Linguistics: EMNLP {year}",
    "Proceedings of the {year} Conference on Empirical Methods in Natural Language Processing",
    "Proceedings of the {year} Conference of the North American Chapter of the Association for "
    "Computational Linguistics: Human Language Technologies (Volume 1: Long Papers)",
    "Proceedings of the {coling} International Conference on Computational Linguistics",
]
YEARS = list(range(2016, 2026))
AUTHOR_COUNT_WEIGHTS = [3, 8, 14, 16, 14, 11, 8, 6, 5, 4, 3, 3, 2, 2, 1]  # 1..15 authors


@dataclass(frozen=True)
class Paper:
    year: int
    title: str
    authors: list[str]
    venue: str
    abstract: list[str]  # paragraphs; empty for none


def _people(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    seen = set()
    while len(names) < count:
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.3 else ""
        name = f"{rng.choice(FIRST)}{middle} {rng.choice(LAST)}"
        if len(seen) > len(FIRST) * len(LAST) * 5:
            name = f"{name} {len(names)}"  # a huge pool: numbered names
        if name not in seen:
            seen.add(name)
            names.append(name)
    return names


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _abstract(rng: random.Random, index: int) -> list[str]:
    if rng.random() < 0.1:
        return []
    total, sentences = rng.randint(100, 300), []
    while total > 0:
        words = min(total, rng.randint(10, 25))
        sentences.append(_sentence(rng, words))
        total -= words
    if rng.random() < 0.15:
        at = rng.randrange(len(sentences))
        sentences[at] = f"**{sentences[at][:-1]}**."
    if rng.random() < 0.2:
        sentences.append(f"Our code is at https://github.com/example/project-{index}.")
    if len(sentences) > 4 and rng.random() < 0.1:
        half = len(sentences) // 2
        return [" ".join(sentences[:half]), " ".join(sentences[half:])]
    return [" ".join(sentences)]


def generate_papers(papers: int, seed: int = 1) -> tuple[str, list[Paper]]:
    """The page owner and ``papers`` made-up records, newest year first."""
    rng = random.Random(seed)
    owner, *pool = _people(rng, max(60, papers * 2) + 1)
    # a long tail (Zipf-like): the most frequent co-author is on about one paper in six
    popularity = list(itertools.accumulate(1 / (rank + 5) for rank in range(len(pool))))
    year_weights = list(itertools.accumulate(1 + i for i in range(len(YEARS))))
    titles: set[str] = set()
    records = []
    for index in range(papers):
        year = rng.choices(YEARS, cum_weights=year_weights)[0]
        count = rng.choices(range(1, 16), weights=AUTHOR_COUNT_WEIGHTS)[0]
        coauthors: list[str] = []
        while len(coauthors) < count - 1:
            person = rng.choices(pool, cum_weights=popularity)[0]
            if person not in coauthors:
                coauthors.append(person)
        coauthors.insert(rng.randint(0, len(coauthors)), owner)
        title = ""
        while not title or title.lower() in titles:
            words = [rng.choice(WORDS) for _ in range(rng.randint(5, 12))]
            title = " ".join(w.capitalize() if i == 0 or len(w) > 3 else w
                             for i, w in enumerate(words))
            if rng.random() < 0.4:
                title = f"{rng.choice(WORDS).upper()}: {title}"
        titles.add(title.lower())
        venue = rng.choice(VENUES).format(year=year, acl=_ordinal(year - 1962),
                                          coling=_ordinal(year - 1994))
        records.append(Paper(year, title, coauthors, venue, _abstract(rng, index)))
    records.sort(key=lambda paper: -paper.year)
    return owner, records


def author_page(papers: int, seed: int = 1) -> str:
    """An author page of ``papers`` records, as the ACL Anthology prints one."""
    owner, records = generate_papers(papers, seed)
    lines = [owner, "", ""]
    year = None
    for paper in records:
        if paper.year != year:
            year = paper.year
            lines += [str(year), ""]
        lines += ["pdf bib", paper.title, " | ".join(paper.authors), paper.venue, ""]
        for paragraph in paper.abstract:
            lines += [paragraph, ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, help="output file (default: stdout)")
    args = parser.parse_args()
    page = author_page(args.papers, args.seed)
    if args.output:
        args.output.write_text(page, "utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
