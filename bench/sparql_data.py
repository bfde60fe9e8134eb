"""A made-up scholarly knowledge graph for the SPARQL benchmarks, written as N-Quads.

It has the shape of what ``kg ingest`` writes (``docs/data-model.md``): papers
(``schema:ScholarlyArticle``) with titles, years, volumes, ``schema:author`` links, the ordered
``bibo:authorList`` and ``kg:authorship`` slots with positions; people with names; one named
graph per volume, as one source file per volume gives. Authors per paper are 1 to 12 (mostly 2
to 5), drawn from a pool with a long tail (a few people on hundreds of papers, most on one or
two). The same seed gives the same graph.

    python bench/sparql_data.py --papers 20000 -o /tmp/bench.nq
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path

BASE = "https://w3id.org/scholarly-kg/"
SCHEMA = "http://schema.org/"
BIBO = "http://purl.org/ontology/bibo/"
KG = "https://w3id.org/scholarly-kg/ontology#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"

FIRST = ["Zhenguo", "Han", "Xin", "Ada", "Mary", "Charles", "Orphée", "Zdeněk", "Karin", "Ulrich",
         "Łukasz", "Yıldız", "José", "Ana", "Wei", "Li", "Yu", "Jing", "Hiroshi", "Aiko", "Priya",
         "Rahul", "Fatima", "Omar", "Sven", "Ingrid", "Pierre", "Chloé", "Giulia", "Marco"]
LAST = ["Li", "Shi", "Jiang", "Lovelace", "Somerville", "Babbage", "De Clercq", "Žabokrtský",
        "Sørensen", "Weiß", "Kaiser", "Özkan", "García", "Silva", "Zhang", "Wang", "Liu", "Chen",
        "Tanaka", "Suzuki", "Sharma", "Gupta", "Haddad", "Nasser", "Lindqvist", "Berg", "Dubois"]
WORDS = ["language", "model", "large", "reasoning", "alignment", "retrieval", "translation",
         "parsing", "benchmark", "dataset", "evaluation", "attention", "transformer", "encoder",
         "decoder", "pretraining", "instruction", "prompt", "agent", "knowledge", "graph",
         "entity", "relation", "extraction", "summarization", "dialogue", "speech",
         "multilingual", "semantic", "syntax", "morphology", "token", "embedding",
         "representation", "contrastive", "generative", "inference", "efficient", "scaling",
         "sparse", "experts", "safety", "robustness", "bias", "fairness", "hallucination",
         "question", "answering", "reading", "comprehension", "code", "proof", "vision",
         "multimodal", "image", "text", "audio", "structured", "clinical", "legal", "scientific",
         "document", "context", "memory"]


def _lit(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


def quads(papers: int, seed: int = 1) -> Iterator[str]:
    """The N-Quads lines of a graph with ``papers`` papers."""
    rng = random.Random(seed)
    people = max(papers * 3 // 2, 10)
    names = [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(people)]
    # A long tail: person i is drawn with weight 1 / (i + 1).
    weights = [1.0 / (i + 1) ** 0.9 for i in range(people)]
    used: set[int] = set()
    per_volume = 200
    for start in range(0, papers, per_volume):
        volume_number = start // per_volume
        year = 2000 + volume_number % 25
        volume = f"{BASE}volume/{year}-vol-{volume_number}"
        graph = f"<{BASE}graph/volume-{volume_number}.xml>"
        yield f"<{volume}> <{RDF}type> <{BIBO}Proceedings> {graph} ."
        yield f"<{volume}> <{SCHEMA}name> {_lit(f'Proceedings {volume_number}')} {graph} ."
        for number in range(start, min(start + per_volume, papers)):
            paper = f"{BASE}paper/{year}-vol-{volume_number}-{number}"
            title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize()
            count = min(max(int(rng.gauss(3.5, 1.8)), 1), 12)
            authors = list(dict.fromkeys(rng.choices(range(people), weights, k=count)))
            yield f"<{paper}> <{RDF}type> <{SCHEMA}ScholarlyArticle> {graph} ."
            yield f"<{paper}> <{RDF}type> <{BIBO}AcademicArticle> {graph} ."
            yield f"<{paper}> <{SCHEMA}name> {_lit(title)} {graph} ."
            yield f"<{paper}> <{SCHEMA}datePublished> {_typed(year, 'gYear')} {graph} ."
            yield f"<{paper}> <{SCHEMA}isPartOf> <{volume}> {graph} ."
            yield f"<{paper}> <{BIBO}authorList> <{paper}/author-list/1> {graph} ."
            for position, person_number in enumerate(authors, start=1):
                person = f"{BASE}person/p{person_number}"
                slot = f"{paper}/author/{position}"
                cell = f"{paper}/author-list/{position}"
                rest = (f"<{paper}/author-list/{position + 1}>" if position < len(authors)
                        else f"<{RDF}nil>")
                used.add(person_number)
                yield f"<{paper}> <{SCHEMA}author> <{person}> {graph} ."
                yield f"<{paper}> <{KG}authorship> <{slot}> {graph} ."
                yield f"<{slot}> <{RDF}type> <{KG}Authorship> {graph} ."
                yield f"<{slot}> <{KG}position> {_typed(position, 'integer')} {graph} ."
                yield f"<{slot}> <{KG}person> <{person}> {graph} ."
                yield f"<{slot}> <{KG}nameAsPrinted> {_lit(names[person_number])} {graph} ."
                yield f"<{cell}> <{RDF}first> <{person}> {graph} ."
                yield f"<{cell}> <{RDF}rest> {rest} {graph} ."
    people_graph = f"<{BASE}graph/people.xml>"
    for person_number in sorted(used):
        person = f"<{BASE}person/p{person_number}>"
        yield f"{person} <{RDF}type> <{SCHEMA}Person> {people_graph} ."
        yield f"{person} <{SCHEMA}name> {_lit(names[person_number])} {people_graph} ."


def write(path: Path, papers: int, seed: int = 1) -> int:
    """Write the graph to ``path``; the number of quads."""
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for line in quads(papers, seed):
            handle.write(line + "\n")
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    count = write(args.output, args.papers, args.seed)
    print(f"wrote {count} quads ({args.papers} papers) to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
