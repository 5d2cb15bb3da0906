"""Load the project's .rq files and fill their parameters; run them on any Store.

Queries live in ``queries/`` (an installed package, so a non-editable install finds them). Parameters go in as
rdflib terms: sets of values by filling a query's empty
``VALUES (?a ?b) {}`` block with terms serialised by rdflib (``Term.n3()``), never with raw user text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Node

from dxkb.kb.errors import QueryError, StoreError

if TYPE_CHECKING:
    from dxkb.kb.store.base import Store

Row = dict[str, Any]
_IRI_FORBIDDEN = re.compile(r'[<>"{}|\\^`\s]')


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """The text of ``queries/<name>.rq`` (``name`` may contain a sub-folder, e.g. ``checks/x``)."""
    path = resources.files("dxkb.queries").joinpath(*f"{name}.rq".split("/"))
    if not path.is_file():
        raise QueryError(f"no such query: queries/{name}.rq")
    return path.read_text(encoding="utf-8")


def names(folder: str = "") -> list[str]:
    """Query names under a folder of ``queries/``, sorted."""
    base = resources.files("dxkb.queries")
    directory = base.joinpath(folder) if folder else base
    prefix = f"{folder}/" if folder else ""
    return sorted(prefix + p.name[:-3] for p in directory.iterdir() if p.name.endswith(".rq"))


def term_text(term: Identifier) -> str:
    if isinstance(term, URIRef):
        if _IRI_FORBIDDEN.search(str(term)):
            raise QueryError(f"refusing to bind an invalid IRI: {str(term)!r}")
        return term.n3()
    if isinstance(term, Literal):
        return term.n3()
    raise QueryError(f"cannot bind {term!r} in VALUES")


def fill_values(query: str, variables: Sequence[str], rows: Iterable[Sequence[Identifier]]) -> str:
    """Fill the query's empty ``VALUES`` block for exactly these variables with the given rows of terms."""
    head = r"\s+".join(re.escape("?" + v) for v in variables)
    pattern = re.compile(r"VALUES\s*(\(\s*" + head + r"\s*\)|" + head + r")\s*\{\s*\}" if len(variables) == 1
                         else r"VALUES\s*\(\s*" + head + r"\s*\)\s*\{\s*\}")
    if not pattern.search(query):
        raise QueryError(f"the query has no empty VALUES block for {', '.join('?' + v for v in variables)}")
    if len(variables) == 1:
        body = " ".join(term_text(row[0]) for row in rows)
        replacement = f"VALUES ?{variables[0]} {{ {body} }}"
    else:
        body = " ".join("(" + " ".join(term_text(t) for t in row) + ")" for row in rows)
        replacement = f"VALUES ({' '.join('?' + v for v in variables)}) {{ {body} }}"
    return pattern.sub(lambda _m: replacement, query, count=1)


def to_python(value: Node | None) -> Any:
    if value is None:
        return None
    if isinstance(value, Literal):
        py = value.toPython()
        return py if not isinstance(py, Literal) else str(py)
    if isinstance(value, BNode):
        return f"_:{value}"
    return str(value)


def select(store: "Store", name: str, *, values: Mapping[tuple[str, ...], Iterable[Sequence[Identifier]]] | None = None
           ) -> list[Row]:
    """Run a named SELECT query, its VALUES blocks filled with rdflib terms; rows of plain Python values."""
    text = load(name)
    for variables, rows in (values or {}).items():
        text = fill_values(text, variables, list(rows))
    try:
        return store.rows(text)
    except (QueryError, StoreError) as error:  # the cause stays attached: callers tell "down" from "bad query"
        raise QueryError(f"queries/{name}.rq: {error}") from error
