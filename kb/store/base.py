"""The store interface: what every backend (embedded folder, memory, remote SPARQL server) offers the layers above.

Nothing above ``dxkb.kb.store`` knows which backend it has; it asks for capabilities instead (an in-process
pyoxigraph store for threads, a database folder for worker processes, an HTTP endpoint for pass-through).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib.query import Result

Row = dict[str, Any]


class Store(ABC):
    """A read-only SPARQL store. Implementations are registered in ``registry.BACKENDS``."""

    #: Registry name of the backend ("folder", "memory", "sparql"): for messages and /healthz, never for branching.
    kind: str = ""

    @property
    @abstractmethod
    def public_location(self) -> str:
        """The location without credentials, safe for messages and logs."""

    @abstractmethod
    def rows(self, text: str) -> list[Row]:
        """Evaluate a SELECT query; rows of plain Python values (str IRIs, float/int/bool/str literals)."""

    @abstractmethod
    def query(self, text: str) -> Result:
        """Evaluate any query form; an rdflib Result (for CLI output formats)."""

    @property
    def native(self) -> ox.Store | None:
        """The in-process pyoxigraph store, when there is one (embedded and memory)."""
        return None

    @property
    def database(self) -> Path | None:
        """The on-disk database this store opened (pinned for its lifetime), for worker processes to reopen."""
        return None

    @property
    def build_id(self) -> str | None:
        """Which build this store serves (the build folder's name), when it knows."""
        return None

    @property
    def prefetchable(self) -> bool:
        """Whether loading every annotation into memory at start is cheap (in-process stores)."""
        return self.native is not None

    @property
    def damage(self) -> str | None:
        """Why the store is known to be damaged (a query met corrupted files), or None: what /healthz reports."""
        return None

    def close(self) -> None:
        """Release connections; the default has none."""
