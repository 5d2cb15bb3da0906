"""A folder: the embedded Oxigraph store written by ``dxkb build``, opened read-only.

The live build is resolved once, when the store opens, and kept: a rebuild that swaps ``current`` later does not
change what this process (or the SPARQL workers it starts, which reopen :attr:`database`) answers from.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyoxigraph as ox

from dxkb.kb.errors import StoreError
from dxkb.kb.store.folder import current_build
from dxkb.kb.store.oxigraph import InProcessStore


def open_read_only(database: str | Path) -> ox.Store:
    """Open one build's database read-only, so any number of processes can share it."""
    try:
        return ox.Store.read_only(str(database))
    except OSError as error:
        raise StoreError(f"cannot open the store at {database}: {error}") from error


class EmbeddedStore(InProcessStore):
    kind = "oxigraph"

    def __init__(self, target: str, **_: object) -> None:
        self.folder = Path(target).expanduser()
        if not os.path.isdir(self.folder):
            raise StoreError(f"store folder does not exist: {self.folder} (run `dxkb build` first)")
        self._database = current_build(self.folder)
        super().__init__(open_read_only(self._database))

    @property
    def public_location(self) -> str:
        return str(self.folder)

    @property
    def database(self) -> Path:
        return self._database

    @property
    def build_id(self) -> str:
        return self._database.name
