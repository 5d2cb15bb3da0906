"""The N-Triples writer every importer shares: terms made (validated, escaped) by pyoxigraph, decimals written one
way, so that two importers never disagree on how a frequency or an IRI looks in the store."""

from __future__ import annotations

from typing import TextIO

import pyoxigraph


class NTriplesWriter:
    """Streams N-Triples to a text handle; IRIs are cached as text (the same IRI occurs in many triples)."""

    def __init__(self, handle: TextIO) -> None:
        self._handle = handle
        self._iris: dict[str, str] = {}
        self.count = 0

    def iri(self, value: str) -> str:
        text = self._iris.get(value)
        if text is None:
            text = self._iris[value] = str(pyoxigraph.NamedNode(value))
        return text

    def literal(self, value: str, datatype: str | None = None) -> str:
        if datatype is None:
            return str(pyoxigraph.Literal(value))
        return str(pyoxigraph.Literal(value, datatype=pyoxigraph.NamedNode(datatype)))

    def fresh_iri(self, value: str) -> str:
        """Like :meth:`iri`, not cached (for subjects that occur in one place only)."""
        return str(pyoxigraph.NamedNode(value))

    def triple(self, subject: str, predicate: str, obj: str) -> None:
        """Subject and predicate as IRIs (plain strings), ``obj`` already serialised (``iri()``/``literal()``)."""
        self.line(self.iri(subject), self.iri(predicate), obj)

    def line(self, subject: str, predicate: str, obj: str) -> None:
        """All three already serialised."""
        self._handle.write(f"{subject} {predicate} {obj} .\n")
        self.count += 1


def decimal(value: float) -> str:
    """An xsd:decimal lexical form with at most 6 decimals; a positive value never rounds to 0."""
    text = f"{value:.6f}".rstrip("0")
    text = text + "0" if text.endswith(".") else text
    return "0.000001" if text == "0.0" and value > 0 else text


def valid_iri(text: str) -> bool:
    try:
        pyoxigraph.NamedNode(text)
    except ValueError:
        return False
    return True
