"""A remote SPARQL 1.1 endpoint as a read-only rdflib Graph (rdflib's SPARQLStore with a sturdier transport).

rdflib's own connector has no timeout, retries nothing and turns HTTP errors into odd return values. This store
keeps rdflib's SPARQLStore (query building, result parsing) and replaces only the HTTP exchange: httpx with a
connect/read timeout, a bounded retry on connection failures and 502/503/504, and errors that name the endpoint
(never the credentials).
"""

from __future__ import annotations

import time
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result

from kb.curie import NAMESPACES
from kb.store import StoreError

RETRIES = 2  # attempts after the first, for connection failures and 502/503/504
BACKOFF = 0.2  # seconds, doubled per retry
RESULT_TYPES = "application/sparql-results+json, application/sparql-results+xml;q=0.9, text/turtle;q=0.8, application/n-triples;q=0.8, application/rdf+xml;q=0.7"


def public_url(url: str) -> str:
    """The endpoint URL without user:password, safe to show in messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class RemoteStoreUnavailable(StoreError):
    """The remote endpoint is down, slow or answered with an error; the message names it."""


class HttpSPARQLStore(SPARQLStore):
    """SPARQLStore whose queries go over httpx with timeouts and a bounded retry (form POST: every server takes it,
    and Virtuoso hangs on an application/sparql-query body)."""

    def __init__(self, endpoint: str, *, user: str | None = None, password: str | None = None,
                 timeout: float = 10.0) -> None:
        super().__init__(query_endpoint=endpoint, returnFormat="json", method="POST_FORM")
        self.endpoint = endpoint
        self.public = public_url(endpoint)
        auth = httpx.BasicAuth(user, password or "") if user else None
        self.client = httpx.Client(auth=auth, timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                                   headers={"Accept": RESULT_TYPES, "User-Agent": "dxkb"})

    def _query(self, query: str, default_graph: str | None = None, named_graph: str | None = None) -> Result:  # type: ignore[override]
        form: dict[str, Any] = {"query": query}
        if default_graph is not None and not str(default_graph).startswith(("N", "_:")) and "://" in str(default_graph):
            form["default-graph-uri"] = str(default_graph)
        response = self.post(form)
        content_type = response.headers.get("content-type", "application/sparql-results+json").split(";")[0].strip()
        return Result.parse(BytesIO(response.content), content_type=content_type)

    def post(self, form: dict[str, Any]) -> httpx.Response:
        delay = BACKOFF
        for attempt in range(RETRIES + 1):
            try:
                response = self.client.post(self.endpoint, data=form)
            except httpx.TimeoutException:
                raise RemoteStoreUnavailable(f"SPARQL endpoint {self.public} did not answer within "
                                             f"{self.client.timeout.read:g} s") from None
            except httpx.HTTPError as error:
                if attempt < RETRIES:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise RemoteStoreUnavailable(f"SPARQL endpoint {self.public} is unreachable "
                                             f"({type(error).__name__}, {RETRIES + 1} attempts)") from None
            if response.status_code in (502, 503, 504) and attempt < RETRIES:
                time.sleep(delay)
                delay *= 2
                continue
            if response.status_code >= 400:
                detail = " ".join(response.text.split())[:300]
                raise RemoteStoreUnavailable(f"SPARQL endpoint {self.public} answered HTTP {response.status_code}: {detail}")
            return response
        raise RemoteStoreUnavailable(f"SPARQL endpoint {self.public} failed")  # pragma: no cover - loop always returns


def remote_graph(url: str, *, user: str | None = None, password: str | None = None, timeout: float = 10.0) -> Graph:
    graph = Graph(store=HttpSPARQLStore(url, user=user, password=password, timeout=timeout))
    for prefix, namespace in NAMESPACES.items():
        graph.bind(prefix, namespace, override=True)
    return graph
