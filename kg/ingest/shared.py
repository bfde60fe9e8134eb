"""The whole-source check: shared nodes validated once, with every line any batch wrote about them.

People, volumes, venues, events and journals are written by every record that names them, so
a constraint such as "one ``schema:name``" can only be judged on the union of those lines. They
are a small part of a source (each person's few lines once, not once per paper), so the parent
process holds them, with the provenance of the source's graph, and validates them in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kg.errors import Violation
from kg.ingest.batches import BatchResult
from kg.validate import ValidationReport


def check_shared(results: Iterable[BatchResult], provenance: Iterable[str],
                 validate: Callable[[bytes], ValidationReport], *,
                 source: str) -> tuple[list[Violation], int]:
    """Validate the shared lines of one source's batches and its provenance (N-Triples lines).

    Returns the violations, each tied to the first record naming its focus node, and the number
    of distinct lines checked."""
    lines: dict[str, None] = {}
    mentions: dict[str, tuple[str, int, str]] = {}
    for result in sorted(results, key=lambda result: result.index):
        lines.update(dict.fromkeys(result.shared))
        for subject, first in result.mentions.items():
            mentions.setdefault(subject, first)
    lines.update(dict.fromkeys(provenance))
    report = validate("".join(lines).encode("utf-8"))
    found = []
    for violation in report.results:
        where = mentions.get(violation.focus_node)
        if where is None:
            found.append(Violation(**{**violation.__dict__, "source": source}))
        else:
            found.append(Violation(**{**violation.__dict__, "source": where[0], "line": where[1],
                                      "record": where[2]}))
    return found, len(lines)
