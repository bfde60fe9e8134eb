"""Made-up ACL Anthology XML volumes of any size, shaped like the real ones (issue 7's data).

Distributions: 1-15 authors per paper (mostly 2-6), a long-tailed author pool (a few prolific
people on many papers, most on one or two), ACL person ids on a third of the authors and ORCIDs
on a tenth (with valid check digits), DOIs on 80% of papers, abstracts of 80-250 words on 85%,
page ranges with en dashes, 200-paper volumes grouped 4 to a file. The same seed gives the same
files.

    python bench/generate_acl_xml.py --papers 100000 -o /tmp/acl-xml
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from xml.sax.saxutils import escape

WORDS = [
    "language",
    "model",
    "reasoning",
    "alignment",
    "retrieval",
    "translation",
    "parsing",
    "benchmark",
    "dataset",
    "evaluation",
    "attention",
    "transformer",
    "encoder",
    "decoder",
    "pretraining",
    "instruction",
    "prompt",
    "agent",
    "knowledge",
    "graph",
    "entity",
    "relation",
    "extraction",
    "summarization",
    "dialogue",
    "speech",
    "multilingual",
    "semantic",
    "syntax",
    "morphology",
    "embedding",
    "contrastive",
    "inference",
    "efficient",
    "sparse",
    "experts",
    "safety",
    "robustness",
    "bias",
    "hallucination",
    "question",
    "answering",
    "code",
    "proof",
    "vision",
    "multimodal",
    "clinical",
    "legal",
    "scientific",
    "document",
    "memory",
    "compression",
    "distillation",
    "adaptation",
]
FIRST = [
    "Zhenguo",
    "Han",
    "Xin",
    "Ada",
    "Mary",
    "Orphée",
    "Zdeněk",
    "Karin",
    "Łukasz",
    "José",
    "Wei",
    "Yu",
    "Jing",
    "Hiroshi",
    "Priya",
    "Fatima",
    "Sven",
    "Chloé",
    "Olga",
    "Kwame",
]
LAST = [
    "Li",
    "Shi",
    "Jiang",
    "Lovelace",
    "De Clercq",
    "Žabokrtský",
    "Sørensen",
    "Weiß",
    "Özkan",
    "García",
    "Zhang",
    "Wang",
    "Liu",
    "Tanaka",
    "Sharma",
    "Haddad",
    "Berg",
    "Dubois",
    "Rossi",
    "Ivanova",
    "O’Brien",
    "Núñez",
    "Kim",
    "Park",
    "Okafor",
]
PAPERS_PER_VOLUME = 200
VOLUMES_PER_FILE = 4


def orcid_check_digit(base: str) -> str:
    total = 0
    for digit in base:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def make_orcid(rng: random.Random) -> str:
    base = "".join(str(rng.randrange(10)) for _ in range(15))
    digits = base + orcid_check_digit(base)
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


class People:
    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng = rng
        self.people = []
        for index in range(size):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            suffix = "" if index < len(FIRST) * len(LAST) else f" {index}"
            person_id = None
            if rng.random() < 1 / 3:
                person_id = f"p{index}-{last.lower().replace(' ', '-')}"
                person_id = "".join(
                    ch for ch in person_id if ch.isascii() and (ch.isalnum() or ch == "-")
                )
            orcid = make_orcid(rng) if rng.random() < 0.1 else None
            self.people.append((first, last + suffix, person_id, orcid))

    def pick(self) -> tuple[str, str, str | None, str | None]:
        # Pareto-like: a few people on many papers.
        index = min(int(self.rng.paretovariate(1.2)) - 1, len(self.people) - 1)
        if self.rng.random() < 0.5:
            index = self.rng.randrange(len(self.people))
        return self.people[index]


def author_xml(tag: str, person: tuple[str, str, str | None, str | None]) -> str:
    first, last, person_id, orcid = person
    attrs = (f' id="{person_id}"' if person_id else "") + (f' orcid="{orcid}"' if orcid else "")
    return f"<{tag}{attrs}><first>{escape(first)}</first><last>{escape(last)}</last></{tag}>"


def write(papers: int, folder: Path, seed: int = 7) -> list[Path]:
    rng = random.Random(seed)
    people = People(rng, max(50, papers // 2))
    folder.mkdir(parents=True, exist_ok=True)
    files, written, number = [], 0, 0
    while written < papers:
        number += 1
        collection = f"2024.gen{number}"
        parts = [f"<?xml version='1.0' encoding='UTF-8'?>\n<collection id=\"{collection}\">"]
        for volume in range(1, VOLUMES_PER_FILE + 1):
            if written >= papers:
                break
            parts.append(
                f'<volume id="{volume}" type="proceedings"><meta>'
                f"<booktitle>Proceedings of the Generated Workshop {number} "
                f"(Volume {volume})</booktitle>"
                + "".join(author_xml("editor", people.pick()) for _ in range(2))
                + "<publisher>Association for Computational Linguistics</publisher>"
                "<address>Vienna, Austria</address><month>July</month><year>2024</year>"
                f"<venue>gen{number}</venue></meta>"
            )
            page = 1
            for paper in range(1, PAPERS_PER_VOLUME + 1):
                if written >= papers:
                    break
                written += 1
                acl_id = f"{collection}-{volume}.{paper}"
                count = min(15, max(1, int(rng.gauss(4, 2.5))))
                chosen = {people.pick() for _ in range(count)}
                title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 12))).capitalize()
                length = rng.randint(6, 14)
                body = [
                    f'<paper id="{paper}"><title>{title} {acl_id}</title>',
                    *(author_xml("author", person) for person in chosen),
                    f"<pages>{page}–{page + length - 1}</pages>",
                ]
                page += length
                if rng.random() < 0.85:
                    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 250)))
                    body.append(f"<abstract>{words.capitalize()}.</abstract>")
                body.append(f'<url hash="{rng.getrandbits(32):08x}">{acl_id}</url>')
                if rng.random() < 0.8:
                    body.append(f"<doi>10.18653/v1/{acl_id}</doi>")
                body.append("</paper>")
                parts.append("".join(body))
            parts.append("</volume>")
        parts.append("</collection>\n")
        path = folder / f"{collection}.xml"
        path.write_text("\n".join(parts), "utf-8")
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    files = write(args.papers, args.output, args.seed)
    print(f"wrote {args.papers} papers in {len(files)} files to {args.output}")


if __name__ == "__main__":
    main()
