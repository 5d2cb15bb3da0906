"""Run the project's .rq files through rdflib.

Queries live in ``queries/`` (an installed package, so a non-editable install finds them). Parameters go in as
rdflib terms: single values through ``initBindings``, sets of values by filling a query's empty
``VALUES (?a ?b) {}`` block with terms serialised by rdflib (``Term.n3()``), never with raw user text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Mapping, Sequence

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier, Node

Row = dict[str, Any]
_IRI_FORBIDDEN = re.compile(r'[<>"{}|\\^`\s]')


class QueryError(RuntimeError):
    """A query failed; the message names the query and the store's answer."""


@lru_cache(maxsize=None)
def load(name: str) -> str:
    """The text of ``queries/<name>.rq`` (``name`` may contain a sub-folder, e.g. ``checks/x``)."""
    path = resources.files("queries").joinpath(*f"{name}.rq".split("/"))
    if not path.is_file():
        raise QueryError(f"no such query: queries/{name}.rq")
    return path.read_text(encoding="utf-8")


def names(folder: str = "") -> list[str]:
    """Query names under a folder of ``queries/``, sorted."""
    base = resources.files("queries")
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


def run(graph: Graph, text: str, *, bindings: Mapping[str, Identifier] | None = None):
    """Run SPARQL text on the graph; errors become QueryError naming what went wrong."""
    try:
        return graph.query(text, initBindings=dict(bindings or {}))
    except QueryError:
        raise
    except Exception as error:  # parser, store and network errors all surface here
        raise QueryError(f"{type(error).__name__}: {error}") from error


_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS = {_XSD + t for t in ("decimal", "double", "float")}
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}


def _ox_to_python(term: Any) -> Any:
    """Plain values straight from pyoxigraph terms (the same values `to_python` gives for rdflib terms)."""
    import pyoxigraph as ox

    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in _NUMBERS:
            return float(term.value)
        if datatype in _INTEGERS:
            return int(term.value)
        if datatype == _XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return term.value


def _oxigraph_of(graph: Graph):
    """The pyoxigraph store behind an oxrdflib-backed graph, else None."""
    from oxrdflib import OxigraphStore

    return graph.store._inner if isinstance(graph.store, OxigraphStore) else None


def select(graph: Graph, name: str, *, values: Mapping[tuple[str, ...], Iterable[Sequence[Identifier]]] | None = None,
           bindings: Mapping[str, Identifier] | None = None) -> list[Row]:
    """Run a named SELECT query and return rows as dicts of plain Python values.

    On the embedded store the rows are read from pyoxigraph's solutions directly: turning thousands of rows into
    rdflib terms first costs more than the query itself (measured on the HPO build)."""
    text = load(name)
    for variables, rows in (values or {}).items():
        text = fill_values(text, variables, list(rows))
    native = _oxigraph_of(graph)
    if native is not None and not bindings:
        try:
            solutions = native.query(text, default_graph=None)
            variables = [v.value for v in solutions.variables]
            # Rows repeat terms (the same disease or finding IRI in many rows): convert each distinct term once.
            converted: dict[Any, Any] = {None: None}
            rows = []
            for solution in solutions:
                row = {}
                for variable, term in zip(variables, solution):
                    value = converted.get(term, converted)
                    if value is converted:
                        value = converted[term] = _ox_to_python(term)
                    row[variable] = value
                rows.append(row)
            return rows
        except (SyntaxError, OSError, ValueError) as error:
            raise QueryError(f"queries/{name}.rq: {type(error).__name__}: {error}") from error
    try:
        result = run(graph, text, bindings=bindings)
        variables = [str(v) for v in result.vars or []]
        return [{v: to_python(row.get(v) if hasattr(row, "get") else row[i]) for i, v in enumerate(variables)}
                for row in result]
    except QueryError as error:
        raise QueryError(f"queries/{name}.rq: {error}") from error
