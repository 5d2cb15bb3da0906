"""``http(s)://...``: a remote SPARQL 1.1 query endpoint (Oxigraph server, Virtuoso, ...), read-only.

Queries go through the one HTTP client (client.py); answers are parsed by rdflib's result parsers, so any server
that speaks the SPARQL 1.1 Protocol works.

An endpoint may cap its answers (a dxkb server at DXKB_SPARQL_MAX_ROWS, Virtuoso at ResultSetMaxRows). The
engine's own queries must never be cut silently (a cut finding index made `diagnose HP:0000988` answer "unknown
finding"), so an answer the endpoint marks as cut (``X-DXKB-Truncated: true``, or as many rows as Virtuoso's
``X-SPARQL-MaxRows``) is fetched again in pages of the cap's size, ordered by every variable so that pages do
not overlap; a query that cannot be paged (it has its own LIMIT) fails with a message naming the cap.
"""

from __future__ import annotations

import re
from io import BytesIO

import httpx
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
        result = self._parse(response)
        cap = upstream_cap(response, len(result) if result.type == "SELECT" else 0)
        if cap is not None:
            raise QueryError(f"SPARQL endpoint {self.public_location} cut the answer at its cap of {cap:,} rows; "
                             "page the query (LIMIT/OFFSET) or raise the endpoint's cap")
        return result

    def _parse(self, response: httpx.Response) -> Result:
        content_type = response.headers.get("content-type", "application/sparql-results+json").split(";")[0].strip()
        try:
            return Result.parse(BytesIO(response.content), content_type=content_type)
        except Exception as error:  # rdflib's parsers raise several types for a malformed answer
            raise QueryError(f"SPARQL endpoint {self.public_location} sent an unreadable {content_type} answer: "
                             f"{error}") from error

    def _select(self, text: str) -> tuple[list[str], list[Row], int | None]:
        response = self.client.query(self.endpoint, text)
        result = self._parse(response)
        if result.type != "SELECT":
            raise QueryError("not a SELECT query")
        variables = [str(v) for v in result.vars or []]
        rows = [{v: to_python(row[i]) for i, v in enumerate(variables)} for row in result]
        return variables, rows, upstream_cap(response, len(rows))

    def rows(self, text: str) -> list[Row]:
        variables, rows, cap = self._select(text)
        if cap is None:
            return rows
        code = _COMMENT_LINE.sub("", text)
        if _HAS_LIMIT.search(code) or cap < 1:
            raise QueryError(f"SPARQL endpoint {self.public_location} cut the answer at its cap of {cap:,} rows "
                             "and the query has a LIMIT of its own, so it cannot be paged; raise the endpoint's cap "
                             "(DXKB_SPARQL_MAX_ROWS on a dxkb server)")
        order = "" if _HAS_ORDER.search(code) else "\nORDER BY " + " ".join(f"?{v}" for v in variables)
        paged: list[Row] = []
        for page in range(MAX_PAGES):
            _, chunk, cut = self._select(f"{text}{order}\nLIMIT {cap} OFFSET {page * cap}")
            paged += chunk
            if cut is None and len(chunk) < cap:
                return paged
            if cut is not None and cut < cap:  # the cap changed under us: pages would overlap or leave gaps
                break
        raise QueryError(f"SPARQL endpoint {self.public_location} caps answers at {cap:,} rows and the answer "
                         f"needs more than {MAX_PAGES} pages; raise the endpoint's cap")

    def close(self) -> None:
        self.client.close()


#: Pages fetched at most for one query cut by the endpoint's cap (a 10,000-row cap: a million rows).
MAX_PAGES = 100
_HAS_LIMIT = re.compile(r"\bLIMIT\s+\d+", re.IGNORECASE)
_HAS_ORDER = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_COMMENT_LINE = re.compile(r"^\s*#[^\n]*$", re.MULTILINE)


def upstream_cap(response: httpx.Response, rows: int) -> int | None:
    """The endpoint's row cap when it says it cut this answer; None when the answer is complete (as far as the
    endpoint tells: a dxkb server's ``X-DXKB-Truncated``, Virtuoso's ``X-SPARQL-MaxRows``)."""
    headers = response.headers
    if headers.get("x-dxkb-truncated", "").strip().lower() == "true":
        limit = headers.get("x-dxkb-result-limit", "").strip()
        return int(limit) if limit.isdigit() else rows
    virtuoso = headers.get("x-sparql-maxrows", "").strip()
    if virtuoso.isdigit() and rows >= int(virtuoso):
        return int(virtuoso)
    return None
