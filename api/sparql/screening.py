"""Refuse what a read-only public endpoint must never run, before the engine sees the text.

    >>> screen("INSERT DATA { <a:s> <a:p> <a:o> }", allow_service=False).status
    403
    >>> screen("SELECT * { ?s ?p ?o }", allow_service=False) is None
    True

Why a tokenizer and not a parser: the refusal must hold whatever the engine's dialect (Oxigraph accepts SPARQL 1.2
syntax that rdflib's parser rejects), and must also catch a malformed update ("this endpoint is read-only" helps
more than "syntax error"). The tokenizer follows the SPARQL lexical grammar closely enough for both questions:
strings, IRIs, comments and escaped characters are consumed as whole tokens, so the word SERVICE inside them, or
as part of a variable, prefixed name or language tag, is not the keyword - and everywhere else it is.
After a refusal-free screening, the engine's own parser gives syntax errors (see ``explain_syntax_error``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

#: The deepest nesting of ``{ }``, ``( )`` and ``[ ]`` a query may have. pyoxigraph's parser recurses once per
#: level and overflows its stack - a segfault that kills the process, not an exception - somewhere between
#: 1,000 and 2,000 nested groups (measured with pyoxigraph 0.5.13 on the main thread; threads have less stack).
#: Queries people write nest fewer than 20 levels; 100 leaves room for generated ones and a wide safety margin.
MAX_NESTING = 100
#: The longest query text (characters) the guard lets through; the HTTP body limit (1 MB) is the same, so the
#: guard matters for other callers (the CLI, GET URLs behind a proxy with a larger limit).
MAX_QUERY_CHARS = 1_000_000

UPDATE_KEYWORDS = frozenset({"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"})
QUERY_KEYWORDS = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})

_TOKEN = re.compile(
    r"""
      (?P<long_string>'''(?:(?:'|'')?(?:[^'\\]|\\.))*'''|\"\"\"(?:(?:"|"")?(?:[^"\\]|\\.))*\"\"\")
    | (?P<string>'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<comment>\#[^\n\r]*)
    | (?P<variable>[?$]\w+)
    | (?P<blank_node>_:\w(?:[\w.-]*\w)?)
    | (?P<prefixed_name>(?:[^\W\d_][\w.-]*)?:(?:(?:[\w.:%-]|\\.)*(?:[\w:%-]|\\.))?)
    | (?P<language>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
    | (?P<word>[^\W\d]\w*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


def keywords(text: str) -> list[str]:
    """The bare words of the text in order (upper-cased): what is left once strings, IRIs, comments, variables,
    prefixed names, blank-node labels, language tags and numbers are consumed as whole tokens."""
    return [m.group().upper() for m in _TOKEN.finditer(text) if m.lastgroup == "word"]


def operation(words: list[str]) -> str | None:
    """The first keyword after the prologue (BASE and PREFIX declarations), e.g. SELECT or INSERT."""
    return next((word for word in words if word not in ("BASE", "PREFIX")), None)


def nesting_depth(text: str) -> int:
    """The deepest nesting of brackets outside strings, IRIs and comments (unbalanced closers count as 0)."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        if match.lastgroup != "other":
            continue
        char = match.group()
        if char in "{([":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "})]":
            depth = max(depth - 1, 0)
    return deepest


def guard(text: str) -> Refusal | None:
    """A 400 refusal for a query too long or nested too deeply for the engine's parser to survive; the message
    names the limit. Runs before any parser (pyoxigraph's would crash the process, rdflib's hit RecursionError)."""
    if len(text) > MAX_QUERY_CHARS:
        return Refusal(400, f"the query has {len(text):,} characters; at most {MAX_QUERY_CHARS:,} are accepted")
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        return Refusal(400, f"the query nests brackets {depth:,} levels deep ({{ }}, ( ) or [ ]); at most "
                            f"{MAX_NESTING} levels are accepted (MAX_NESTING): flatten the query")
    return None


def screen(text: str, *, allow_service: bool) -> Refusal | None:
    """A refusal for queries too large or deep for the parser (see ``guard``), updates and (unless allowed) SERVICE
    calls; None when the text may go to the engine."""
    too_big = guard(text)
    if too_big:
        return too_big
    if all(m.lastgroup == "comment" or not m.group().strip() for m in _TOKEN.finditer(text)):
        return Refusal(400, "the query is empty: send a SPARQL SELECT, ASK, CONSTRUCT or DESCRIBE query")
    words = keywords(text)
    first = operation(words)
    if first in UPDATE_KEYWORDS:
        return Refusal(403, f"SPARQL Update ({first}) is refused: this endpoint is read-only and answers only "
                            "SELECT, ASK, CONSTRUCT and DESCRIBE queries")
    if not allow_service and "SERVICE" in words:
        return Refusal(403, "SERVICE (federated query) is refused: this endpoint does not call other endpoints; "
                            "run the federated query from your own client or a local endpoint instead")
    return None


def undeclared_prefixes(text: str, predefined: Iterable[str] = ()) -> list[str]:
    """Prefixes used in prefixed names but neither declared with PREFIX nor predefined by the endpoint."""
    declared, used = set(predefined), set()
    after_prefix_keyword = False
    for match in _TOKEN.finditer(text):
        kind, token = match.lastgroup, match.group()
        if kind == "comment" or not token.strip():
            continue
        if kind == "prefixed_name":
            (declared if after_prefix_keyword else used).add(token.split(":", 1)[0])
        after_prefix_keyword = kind == "word" and token.upper() == "PREFIX"
    return sorted(used - declared)


def explain_syntax_error(text: str, engine_message: str, predefined: Iterable[str] = ()) -> Refusal:
    """A syntax error as the client should see it: 400 with the parser's own message and position, preceded by
    the likely cause where the parser's wording is obscure (an undeclared prefix, an update keyword)."""
    hints = []
    first = operation(keywords(text))
    if first is not None and first not in QUERY_KEYWORDS:
        hints.append(f"the query starts with {first}; a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE")
    missing = undeclared_prefixes(text, predefined)
    if missing:
        hints.append("undeclared prefix " + ", ".join(f"{label}:" for label in missing)
                     + " (declare it: PREFIX " + f"{missing[0]}: <http://...>)")
    hint = "; ".join(hints)
    return Refusal(400, f"malformed query: {hint + '. Parser: ' if hint else ''}{engine_message}")
