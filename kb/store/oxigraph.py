"""What the embedded and the memory backends share: queries on an in-process pyoxigraph store.

Rows are read from pyoxigraph's solutions directly: turning thousands of rows into rdflib terms first costs more
than the query itself (measured on the HPO build). Full results for the CLI go through rdflib via oxrdflib.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.query import Result

from dxkb.kb.errors import QueryError, StoreCorrupted
from dxkb.kb.store.base import Row, Store
from dxkb.kb.vocab import NAMESPACES

_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMBERS = {_XSD + t for t in ("decimal", "double", "float")}
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}


def plain(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value (the same values rdflib's ``toPython`` gives)."""
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


def corruption(error: BaseException, where: str) -> StoreCorrupted | None:
    """A one-line StoreCorrupted for RocksDB's "Corruption: ..." (truncated or zeroed files, an empty CURRENT),
    which pyoxigraph raises as a RuntimeError with a multi-line text; None for any other error."""
    text = " ".join(str(error).split())
    if "Corruption" not in text and "corrupt" not in text.lower():
        return None
    return StoreCorrupted(f"the store at {where} is corrupted ({text[:300]}); rebuild it with `dxkb build` (or "
                          "restore it from a backup)")


def graph_over(store: ox.Store) -> Graph:
    """An rdflib Graph over the default graph of a pyoxigraph store (oxrdflib's public constructor)."""
    graph = Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    for prefix, namespace in NAMESPACES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


class InProcessStore(Store):
    """A Store over a pyoxigraph store held by this process."""

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self._graph: Graph | None = None

    def _failed(self, error: Exception) -> Exception:
        """The error to raise for a failure of pyoxigraph: StoreCorrupted when RocksDB says so (remembered, so
        that /healthz answers 503 with the reason from then on), else QueryError."""
        damaged = corruption(error, self.public_location)
        if damaged is not None:
            self._damage = str(damaged)
            return damaged
        return QueryError(f"{type(error).__name__}: {error}")

    @property
    def damage(self) -> str | None:
        return getattr(self, "_damage", None)

    @property
    def native(self) -> ox.Store:
        return self._store

    @property
    def public_location(self) -> str:
        return "in-process Oxigraph store"

    def rows(self, text: str) -> list[Row]:
        try:
            solutions = self._store.query(text, default_graph=None)
        except (SyntaxError, OSError, ValueError, RuntimeError) as error:
            raise self._failed(error) from error
        if not isinstance(solutions, ox.QuerySolutions):
            raise QueryError("not a SELECT query")
        variables = [v.value for v in solutions.variables]
        # Rows repeat terms (the same disease or finding IRI in many rows): convert each distinct term once.
        converted: dict[Any, Any] = {None: None}
        rows = []
        try:
            for solution in solutions:
                row = {}
                for variable, term in zip(variables, solution):
                    value = converted.get(term, converted)
                    if value is converted:
                        value = converted[term] = plain(term)
                    row[variable] = value
                rows.append(row)
        except (OSError, ValueError, RuntimeError) as error:
            raise self._failed(error) from error
        return rows

    def query(self, text: str) -> Result:
        if self._graph is None:
            self._graph = graph_over(self._store)
        try:
            result = self._graph.query(text)
            if result.type == "SELECT":
                _ = result.bindings  # evaluate now: a failure while the caller iterates would escape as a traceback
            return result
        except Exception as error:  # rdflib and pyoxigraph raise several parser and evaluation error types
            raise self._failed(error) from error
