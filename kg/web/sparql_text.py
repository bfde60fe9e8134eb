"""What a SPARQL query or update asks for, read from its text before it runs.

pyoxigraph parses and evaluates in one call and exposes no syntax tree, so the few things the
server must know beforehand are read with a small tokenizer that agrees with the SPARQL grammar
on what is *not* code (strings, IRIs, comments): the targets of ``SERVICE`` and ``LOAD`` (outbound
requests), whether the query names its own dataset (``FROM``), whether it already ends with a
``LIMIT`` no larger than the result cap, and where the ``WHERE`` of each ``DELETE``/``INSERT``
operation starts (to add the protocol's ``using-graph-uri``), how deeply its brackets nest (the
engine's parser recurses on each level and overflows its stack long before the length limit), and
the update with ``SILENT`` on every graph operation (for a trial run that must reach every
operation: ``kg.web.worker.UpdateCheck``).

A misreading can only make the server stricter (refuse an outbound request that was not one,
count rows that a LIMIT already bounded), never let a refused request through: a ``SERVICE``
clause needs a ``{`` after its target, and ``{`` ends every token this module skips.

>>> outbound_targets('SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }', 'SERVICE')
['http://example.org/sparql']
>>> outbound_targets('SELECT * { ?s <http://schema.org/name> "SERVICE <x>" }', 'SERVICE')
[]
>>> trailing_limit('SELECT * { ?s ?p ?o } ORDER BY ?s LIMIT 10 OFFSET 20')
10
>>> add_using('DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }', ['http://g/1'], [])
'DELETE { ?s ?p ?o } USING <http://g/1> WHERE { ?s ?p ?o }'
>>> nesting('SELECT * { { ?s ?p ?o FILTER ((?o > 1)) } }  # "((((("')
4
>>> too_deep('ASK { FILTER (' + '(' * 500 + '1' + ')' * 500 + ') }', 128)
502
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import urljoin

_PN_CHARS = r"A-Za-z0-9_\-\u00B7\u00C0-\uFFFF"
# The kinds of token that are not code (comments, IRIs, strings) or cannot hold brackets.
_NOT_CODE = {
    "comment": r"\#[^\n\r]*",
    "iri": r"""<[^<>"{}|^`\\\x00-\x20]*>""",
    "string": "|".join([
        r"""'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''""",
        r'"""(?:(?:"|"")?(?:[^"\\]|\\.))*"""',
        r"""'(?:[^'\\\n\r]|\\.)*'""",
        r'"(?:[^"\\\n\r]|\\.)*"',
    ]),
    "var": rf"[?$][{_PN_CHARS}]+",
    "pname": rf"(?:[A-Za-z\u00C0-\uFFFF][{_PN_CHARS}.]*)?:(?:[{_PN_CHARS}.:%]|\\.)*",
}
_TOKEN = re.compile(
    r"(?P<ws>\s+)"
    + "".join(f"|(?P<{kind}>{pattern})" for kind, pattern in _NOT_CODE.items())
    + r"""
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SKIPPABLE = re.compile("|".join(_NOT_CODE.values()), re.VERBOSE | re.DOTALL)
_SKIPPED = {"ws", "comment"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def tokens(text: str) -> Iterator[Token]:
    """The significant tokens of ``text`` (white space and comments left out)."""
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        if kind not in _SKIPPED:
            yield Token(kind, match.group(), match.start(), match.end())


def _mentions(text: str, *words: str) -> bool:
    # A cheap test that spares the tokenizer for the many queries that cannot match.
    lowered = text.lower()
    return any(word.lower() in lowered for word in words)


def _prologue(found: Sequence[Token]) -> tuple[str | None, dict[str, str]]:
    base: str | None = None
    prefixes: dict[str, str] = {}
    for index, token in enumerate(found):
        if token.is_word("BASE") and index + 1 < len(found) and found[index + 1].kind == "iri":
            base = _resolve(found[index + 1].text[1:-1], base)
        elif (token.is_word("PREFIX") and index + 2 < len(found)
              and found[index + 1].kind == "pname" and found[index + 2].kind == "iri"):
            name = found[index + 1].text[:-1]
            prefixes[name] = _resolve(found[index + 2].text[1:-1], base)
    return base, prefixes


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def _resolve(iri: str, base: str | None) -> str:
    """``iri`` resolved against ``base`` as RFC 3986 does it: an IRI with a scheme is absolute
    whatever the base (``urljoin`` would take ``http:host/`` under an ``http`` base as a path).

    >>> _resolve("http:127.0.0.1:1/", "http://allowed.example/"), _resolve("//h/", "http://b/")
    ('http:127.0.0.1:1/', 'http://h/')
    """
    if not base or _SCHEME.match(iri):
        return iri
    return urljoin(base, iri)


def outbound_targets(text: str, keyword: str) -> list[str]:
    """The targets of every ``SERVICE`` (or ``LOAD``) in ``text``, as absolute IRIs.

    A target given by a variable is returned as the variable (``?endpoint``); a prefixed name
    whose prefix is not declared is returned as written. Both never match an allow-list.
    """
    if not _mentions(text, keyword):
        return []
    found = list(tokens(text))
    base, prefixes = _prologue(found)
    targets = []
    for index, token in enumerate(found):
        if not token.is_word(keyword):
            continue
        following = found[index + 1:index + 3]
        if following and following[0].is_word("SILENT"):
            following = following[1:]
        if not following:
            targets.append("")
            continue
        target = following[0]
        if target.kind == "iri":
            targets.append(_resolve(target.text[1:-1], base))
        elif target.kind == "pname":
            prefix, _, local = target.text.partition(":")
            targets.append(prefixes[prefix] + local if prefix in prefixes else target.text)
        else:
            targets.append(target.text)
    return targets


def allowed(target: str, allow_list: Sequence[str]) -> bool:
    """Whether ``target`` is named by ``allow_list`` (an entry ending in ``/`` allows everything
    under it).

    >>> allowed('http://example.org/sparql', ['http://example.org/'])
    True
    >>> allowed('http://example.org.evil/sparql', ['http://example.org'])
    False
    """
    return any(target == entry or (entry.endswith("/") and target.startswith(entry))
               for entry in allow_list)


def names_dataset(text: str) -> bool:
    """Whether a query chooses its own dataset with ``FROM`` or ``FROM NAMED``."""
    return _mentions(text, "from") and any(t.is_word("FROM") for t in tokens(text))


def names_update_dataset(text: str) -> bool:
    """Whether an update holds ``USING``, ``USING NAMED`` or ``WITH`` (which the protocol's
    ``using-graph-uri`` parameters may not be combined with)."""
    return (_mentions(text, "using", "with")
            and any(t.is_word("USING", "WITH") for t in tokens(text)))


def trailing_limit(text: str) -> int | None:
    """The ``LIMIT`` of the outermost query when the text ends with its solution modifiers
    (``... LIMIT n`` or ``... LIMIT n OFFSET m``); else None. (For a SELECT query only: a
    CONSTRUCT's LIMIT bounds solutions, not triples.)"""
    if not _mentions(text, "limit"):
        return None
    tail = list(tokens(text))[-4:]

    def limit_at(index: int) -> bool:
        return (index >= 0 and tail[index].is_word("LIMIT")
                and tail[index + 1].text.isdigit())

    if limit_at(len(tail) - 2):
        return int(tail[-1].text)
    if len(tail) == 4 and limit_at(0) and tail[2].is_word("OFFSET") and tail[3].text.isdigit():
        return int(tail[1].text)
    return None


def add_using(text: str, using: Sequence[str], using_named: Sequence[str]) -> str:
    """``text`` with ``USING <g>`` and ``USING NAMED <g>`` clauses inserted before the ``WHERE``
    of each ``DELETE``/``INSERT`` operation (``DELETE WHERE`` and ``*DATA`` take none)."""
    clauses = " ".join([*(f"USING <{iri}>" for iri in using),
                        *(f"USING NAMED <{iri}>" for iri in using_named)])
    if not clauses:
        return text
    inserts = []
    depth = 0
    previous: Token | None = None
    for token in tokens(text):
        if token.text == "{":
            depth += 1
        elif token.text == "}":
            depth -= 1
        elif depth == 0 and token.is_word("WHERE") and previous is not None \
                and previous.text == "}":
            inserts.append(token.start)
        previous = token
    for position in reversed(inserts):
        text = f"{text[:position]}{clauses} {text[position:]}"
    return text


_OPENING, _CLOSING = "{([", "})]"


_DEPTH_STEP = {**dict.fromkeys(_OPENING, 1), **dict.fromkeys(_CLOSING, -1)}
_NOT_BRACKETS = re.compile(r"[^{}()\[\]]+")


def nesting(text: str) -> int:
    """How deeply ``{``, ``(`` and ``[`` nest in ``text`` (brackets in strings, IRIs, comments
    and names not counted). Done with regular expressions rather than token by token, since it
    runs on every query that holds many brackets.

    >>> nesting('ASK { FILTER (?x = "(((") }'), nesting(')) ((((')
    (2, 4)
    """
    code = _NOT_BRACKETS.sub("", _SKIPPABLE.sub(" ", text))
    levels = list(accumulate(map(_DEPTH_STEP.__getitem__, code), initial=0))
    # Closing brackets without their opening ones count as levels too (such a text is
    # malformed anyway), which spares a running minimum.
    return max(levels) - min(levels)


def too_deep(text: str, limit: int) -> int | None:
    """The nesting depth of ``text`` when it is over ``limit``, else None (without reading the
    text token by token when it has too few brackets to nest that deep)."""
    if sum(text.count(bracket) for bracket in _OPENING) <= limit:
        return None
    depth = nesting(text)
    return depth if depth > limit else None


#: Graph management operations, which fail on a graph that does not exist unless ``SILENT``.
_GRAPH_OPERATIONS = ("LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY")


def silenced(text: str) -> str:
    """``text`` with ``SILENT`` after every graph management keyword that lacks it.

    >>> silenced('DROP GRAPH <http://g/1> ; CLEAR SILENT DEFAULT ; COPY <http://a/> TO <http://b/>')
    'DROP SILENT GRAPH <http://g/1> ; CLEAR SILENT DEFAULT ; COPY SILENT <http://a/> TO <http://b/>'
    """
    if not _mentions(text, *_GRAPH_OPERATIONS):
        return text
    found = list(tokens(text))
    inserts = [token.end for index, token in enumerate(found)
               if token.is_word(*_GRAPH_OPERATIONS)
               and not (index + 1 < len(found) and found[index + 1].is_word("SILENT"))]
    for position in reversed(inserts):
        text = f"{text[:position]} SILENT{text[position:]}"
    return text
