"""A real store seen through the Store interface: tests slow it down or count its queries without replacing any
private method of the service or the engine (DEVELOPERS: stubs replace an interface)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

import pyoxigraph as ox
from rdflib.query import Result

from dxkb.kb.store.base import Row, Store
from dxkb.kb.store.queries import load, names


@lru_cache(maxsize=1)
def _headers() -> dict[str, str]:
    """First line of every top-level .rq file (its purpose header) -> the query's name."""
    return {load(name).splitlines()[0]: name for name in names()}


def query_name(text: str) -> str:
    """Which queries/*.rq a filled query text came from ("?" for an ad-hoc query)."""
    return _headers().get(text.splitlines()[0] if text else "", "?")


class ObservedStore(Store):
    """Delegates every call to a real store; ``before(name)`` runs before each SELECT, ``ran`` lists the names of
    the .rq queries that reached the store, in order."""

    def __init__(self, inner: Store, before: Callable[[str], None] | None = None) -> None:
        self.inner = inner
        self.before = before
        self.ran: list[str] = []
        self.kind = inner.kind

    @property
    def public_location(self) -> str:
        return self.inner.public_location

    def rows(self, text: str) -> list[Row]:
        name = query_name(text)
        if self.before is not None:
            self.before(name)
        self.ran.append(name)
        return self.inner.rows(text)

    def query(self, text: str) -> Result:
        return self.inner.query(text)

    @property
    def native(self) -> ox.Store | None:
        return None  # every query goes through rows(), where it is observed

    @property
    def database(self) -> Path | None:
        return self.inner.database

    @property
    def build_id(self) -> str | None:
        return self.inner.build_id

    @property
    def prefetchable(self) -> bool:
        return False

    def close(self) -> None:
        self.inner.close()
