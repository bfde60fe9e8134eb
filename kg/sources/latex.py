"""LaTeX in bibliographic fields -> plain Unicode text (for the BibTeX importer).

BibTeX values are LaTeX: accents (``R{\\"u}ckl{\\'e}`` -> "Rücklé", ``{\\u a}`` -> "ă"), escaped
specials (``\\&``, ``\\_``), protective braces (``{BERT}``), ``--`` for an en dash, ``~`` for a
non-breaking space, and the odd command (``\\textregistered``, ``\\url{...}``). The conversion is
pylatexenc's (the library bibtexparser itself decodes with), configured so that nothing is
silently dropped:

- math stays as its TeX source (``$\\alpha$``), as the ACL Anthology keeps it;
- a command pylatexenc does not know keeps its arguments (``\\mbox{x}`` -> "x") and, when it has
  none, its own name (``\\sys`` -> "\\sys") rather than vanishing;
- ``%`` is a percent sign, not the start of a TeX comment (BibTeX has no comments inside values);
- URLs inside ``\\url{...}`` are kept verbatim (``~`` and ``%`` in them are not TeX);
- white space is collapsed to single spaces (a blank line separates paragraphs, where asked);
- ``[`` and ``]`` are text, never optional arguments: pylatexenc's search for optional arguments
  takes time exponential in their nesting (``\\cite[`` twenty times took minutes), and an
  optional argument has no place in a bibliographic field.

A value pylatexenc cannot convert (``\\verb`` without its text; nesting deeper than Python's
recursion limit) raises :class:`LatexError`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import cache, lru_cache
from itertools import islice
from typing import Any

from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)
from pylatexenc.latexwalker import LatexWalker, LatexWalkerError
from pylatexenc.latexwalker import get_default_latex_context_db as default_walker_context
from pylatexenc.macrospec import LatexContextDb

_URL_COMMAND = re.compile(r"\\url\s*\{([^{}]*)\}")
_HREF_COMMAND = re.compile(r"\\href\s*\{([^{}]*)\}\s*\{")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SPACES = re.compile(r"\s+")
_SOFT_HYPHEN = "\u00ad"
# Text without any of these is plain already (no command, group, math, special or ligature).
_TEX = re.compile(r"[\\{}$~%&#^_]|--|``|''|[!?]`")
# In a URL or DOI field, TeX escapes of URL characters and protective braces.
_URL_ESCAPES = re.compile(r"\\([_%&#~$])|\\textasciitilde(?:\{\})?|\\textunderscore(?:\{\})?|[{}]")
_URL_ESCAPE_TEXT = {"\\textasciitilde": "~", "\\textunderscore": "_"}
_PRIVATE_USE = range(0xE000, 0xF900)
"""Placeholders are private-use characters the value does not hold."""

# pylatexenc logs a warning for some malformed input; with no handler configured, Python would
# print it on stderr (once per broken macro). The values are checked and reported instead.
logging.getLogger("pylatexenc").addHandler(logging.NullHandler())


class LatexError(ValueError):
    """A value that pylatexenc cannot convert to text; the message says what failed."""


def _unknown_macro(node: Any, l2tobj: LatexNodes2Text) -> str:
    """An unknown command keeps its arguments' text, or its own name when it has none."""
    args = [arg for arg in (node.nodeargd.argnlist if node.nodeargd else None) or []
            if arg is not None]
    if args:
        return "".join(str(l2tobj.nodelist_to_text([arg])) for arg in args)
    return f"\\{node.macroname}"


@cache
def _decoder() -> LatexNodes2Text:
    context = get_default_latex_context_db()
    context.add_context_category("scholarly-kg", prepend=True, macros=[
        MacroTextSpec("LaTeX", simplify_repl="LaTeX"),
        MacroTextSpec("LaTeXe", simplify_repl="LaTeX2e"),
        MacroTextSpec("TeX", simplify_repl="TeX"),
        MacroTextSpec("BibTeX", simplify_repl="BibTeX"),
        *(MacroTextSpec(name, discard=False)
          for name in ("mbox", "hbox", "text", "texttt", "textsf", "textrm", "textup",
                       "textmd", "textnormal", "textsl", "uppercase", "lowercase",
                       "MakeUppercase", "MakeLowercase", "ensuremath")),
    ])
    context.set_unknown_macro_spec(MacroTextSpec("", simplify_repl=_unknown_macro))
    return LatexNodes2Text(latex_context=context, math_mode="verbatim",
                           keep_braced_groups=False, strict_latex_spaces=True)


@cache
def _walker_context() -> LatexContextDb:
    """The parser's context, built once (pylatexenc builds it anew for every string otherwise)."""
    return default_walker_context()


def _decode(tex: str) -> str:
    """TeX -> text, with URLs and brackets protected from TeX (placeholders survive the
    conversion). Raises LatexError."""
    free = list(islice((chr(code) for code in _PRIVATE_USE if chr(code) not in tex), 4))
    if len(free) < 4:
        raise LatexError("the value holds every private-use character (U+E000-U+F8FF)")
    url_open, url_close, bracket_open, bracket_close = free
    urls: list[str] = []

    def protect(match: re.Match[str]) -> str:
        urls.append(match.group(1).strip())
        return f"{url_open}{len(urls) - 1}{url_close}"

    tex = _URL_COMMAND.sub(protect, tex)
    tex = _HREF_COMMAND.sub("{", tex)  # \href{url}{text} -> text
    tex = _UNESCAPED_PERCENT.sub(r"\\%", tex)
    tex = tex.replace("[", bracket_open).replace("]", bracket_close)
    try:
        nodes = LatexWalker(tex, latex_context=_walker_context(), tolerant_parsing=True)
        text = _decoder().nodelist_to_text(nodes.get_latex_nodes()[0])
    except RecursionError:
        raise LatexError("TeX nested too deeply to read") from None
    except (LatexWalkerError, LookupError, TypeError, ValueError) as error:
        # pylatexenc's own faults on malformed TeX (an IndexError for a bare \verb)
        raise LatexError(f"cannot read the TeX ({type(error).__name__}: {error})") from None
    text = text.replace(_SOFT_HYPHEN, "").replace(bracket_open, "[").replace(bracket_close, "]")
    placeholder = re.compile(f"{url_open}(\\d+){url_close}")
    return placeholder.sub(lambda match: urls[int(match.group(1))], text)


@lru_cache(maxsize=8192)
def latex_to_text(tex: str) -> str:
    """One line of Unicode (NFC) text from a LaTeX value; white space collapsed. Raises
    LatexError.

    >>> latex_to_text(r'Andreas R{\\"u}ckl{\\'e} and {BEIR}: 10--20~\\% of {\\u a}')
    'Andreas Rücklé and BEIR: 10–20 % of ă'
    """
    text = _decode(tex) if _TEX.search(tex) else tex
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def latex_to_paragraphs(tex: str) -> str:
    """Like :func:`latex_to_text`, but blank lines stay paragraph breaks (``\\n\\n``)."""
    paragraphs = (latex_to_text(part) for part in _PARAGRAPH_BREAK.split(tex))
    return "\n\n".join(part for part in paragraphs if part)


def clean_url(tex: str) -> str:
    """A URL or DOI as written in BibTeX, without TeX escapes, braces and ``\\url{}``.

    >>> clean_url(r'\\url{https://doi.org/10.1162/tacl\\_a\\_00605}')
    'https://doi.org/10.1162/tacl_a_00605'
    """
    match = _URL_COMMAND.fullmatch(tex.strip())
    if match:
        tex = match.group(1)
    text = _URL_ESCAPES.sub(
        lambda m: m.group(1) or _URL_ESCAPE_TEXT.get(m.group(0).removesuffix("{}"), ""), tex)
    return "".join(text.split())
