"""``memory:``: an in-memory Oxigraph store filled on open (tests, experiments).

The store layer does not know how to build a knowledge base: whoever opens a memory store passes ``populate``
(the service passes the build pipeline's), so no import points up.
"""

from __future__ import annotations

from typing import Callable

import pyoxigraph as ox

from dxkb.kb.errors import StoreError
from dxkb.kb.store.oxigraph import InProcessStore

Populate = Callable[[ox.Store], object]


class MemoryStore(InProcessStore):
    kind = "memory"

    def __init__(self, target: str, *, populate: Populate | None = None, **_: object) -> None:
        if populate is None:
            raise StoreError("a memory: store needs something to fill it (open it through the service)")
        store = ox.Store()
        populate(store)
        super().__init__(store)

    @property
    def public_location(self) -> str:
        return "memory:"
