"""The one HTTP client for SPARQL servers: queries (engine, health, /sparql pass-through), updates and Graph Store
Protocol uploads (push).

httpx with a connect/read timeout, a bounded retry on connection failures and 502/503/504, and errors that name
the endpoint without its credentials. Form POST for queries: every server takes it, and Virtuoso hangs on an
``application/sparql-query`` body.
"""

from __future__ import annotations

import time
from typing import Iterable, Iterator
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from dxkb.kb.errors import StoreTimeout, StoreUnavailable

RETRIES = 2  # attempts after the first, for connection failures and 502/503/504
BACKOFF = 0.2  # seconds, doubled per retry
RESULT_TYPES = ("application/sparql-results+json, application/sparql-results+xml;q=0.9, text/turtle;q=0.8, "
                "application/n-triples;q=0.8, application/rdf+xml;q=0.7")


FORM = "application/x-www-form-urlencoded"


def _form(fields: list[tuple[str, str]]) -> bytes:
    """A form body; repeated keys (default-graph-uri) stay repeated, which httpx's ``data`` cannot express."""
    return urlencode(fields).encode("ascii")


def public_url(url: str) -> str:
    """The URL without user:password, safe to show in messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class SparqlClient:
    """Credentials and timeouts for one deployment; every call names the URL it goes to."""

    def __init__(self, *, user: str | None = None, password: str | None = None, timeout: float = 10.0) -> None:
        self.timeout = timeout
        auth = httpx.BasicAuth(user, password or "") if user else None
        self._http = httpx.Client(auth=auth, timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                                  headers={"User-Agent": "dxkb"}, follow_redirects=False)

    def query(self, url: str, text: str, *, accept: str = RESULT_TYPES, extra: Iterable[tuple[str, str]] = (),
              timeout: float | None = None, retry: bool = True, check: bool = True) -> httpx.Response:
        """POST a query as a form; with ``check`` an HTTP error status raises StoreUnavailable."""
        return self._send("POST", url, content=_form([("query", text), *extra]),
                          headers={"Accept": accept, "Content-Type": FORM}, timeout=timeout, retry=retry, check=check)

    def update(self, url: str, text: str) -> httpx.Response:
        return self._send("POST", url, content=_form([("update", text)]), headers={"Content-Type": FORM},
                          retry=False)

    def put_graph(self, url: str, graph: str, body: Iterator[bytes], media_type: str,
                  timeout: float | None = None) -> httpx.Response:
        """Graph Store Protocol PUT: replace ``graph`` with the uploaded triples."""
        return self._send("PUT", url, params={"graph": graph}, content=body, headers={"Content-Type": media_type},
                          timeout=timeout, retry=False)

    def _send(self, method: str, url: str, *, timeout: float | None = None, retry: bool = True, check: bool = True,
              **kwargs: object) -> httpx.Response:
        delay = BACKOFF
        attempts = RETRIES + 1 if retry else 1
        limit = self.timeout if timeout is None else timeout
        for attempt in range(attempts):
            try:
                response = self._http.request(method, url, timeout=httpx.Timeout(limit, connect=min(limit, 5.0)),
                                              **kwargs)  # type: ignore[arg-type]
            except httpx.TimeoutException:
                raise StoreTimeout(f"SPARQL endpoint {public_url(url)} did not answer within {limit:g} s") from None
            except httpx.HTTPError as error:
                if attempt + 1 < attempts:
                    time.sleep(delay)
                    delay *= 2
                    continue
                raise StoreUnavailable(f"SPARQL endpoint {public_url(url)} is unreachable "
                                       f"({type(error).__name__}, {attempts} attempt(s))") from None
            if response.status_code in (502, 503, 504) and attempt + 1 < attempts:
                time.sleep(delay)
                delay *= 2
                continue
            if check and response.status_code >= 400:
                detail = " ".join(response.text.split())[:300]
                raise StoreUnavailable(f"SPARQL endpoint {public_url(url)} answered HTTP {response.status_code}: "
                                       f"{detail}")
            return response
        raise StoreUnavailable(f"SPARQL endpoint {public_url(url)} failed")  # pragma: no cover - loop returns

    def close(self) -> None:
        self._http.close()
