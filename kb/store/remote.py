"""``http(s)://...``: a remote SPARQL 1.1 query endpoint (Oxigraph server, Virtuoso, ...), read-only.

Queries go through the one HTTP client (client.py); answers are parsed by rdflib's result parsers, so any server
that speaks the SPARQL 1.1 Protocol works.
"""

from __future__ import annotations

from io import BytesIO

from rdflib.query import Result

from dxkb.kb.errors import QueryError
from dxkb.kb.store.base import Row, Store
from dxkb.kb.store.client import SparqlClient, public_url
from dxkb.kb.store.queries import to_python


class RemoteStore(Store):
    kind = "sparql"

    def __init__(self, target: str, *, user: str | None = None, password: str | None = None, timeout: float = 10.0,
                 **_: object) -> None:
        self.endpoint = target
        self.client = SparqlClient(user=user, password=password, timeout=timeout)

    @property
    def public_location(self) -> str:
        return public_url(self.endpoint)

    def query(self, text: str) -> Result:
        response = self.client.query(self.endpoint, text)
        content_type = response.headers.get("content-type", "application/sparql-results+json").split(";")[0].strip()
        try:
            return Result.parse(BytesIO(response.content), content_type=content_type)
        except Exception as error:  # rdflib's parsers raise several types for a malformed answer
            raise QueryError(f"SPARQL endpoint {self.public_location} sent an unreadable {content_type} answer: "
                             f"{error}") from error

    def rows(self, text: str) -> list[Row]:
        result = self.query(text)
        if result.type != "SELECT":
            raise QueryError("not a SELECT query")
        variables = [str(v) for v in result.vars or []]
        return [{v: to_python(row[i]) for i, v in enumerate(variables)} for row in result]

    def close(self) -> None:
        self.client.close()
