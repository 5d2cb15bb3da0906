"""A folder: the embedded Oxigraph store written by ``dxkb build``, opened read-only.

The live build is resolved once, when the store opens, and kept: a rebuild that swaps ``current`` later does not
change what this process (or the SPARQL workers it starts, which reopen :attr:`database`) answers from. Opening
pins that build (a pin file naming this process, see folder.py), so a rebuild keeps it on disk while we serve it,
and probes it: a damaged store fails at open with one line rather than on every request later.
"""

from __future__ import annotations

import atexit
import os
from pathlib import Path

import pyoxigraph as ox

from dxkb.kb.errors import QueryError, StoreError
from dxkb.kb.store import folder as layout
from dxkb.kb.store.oxigraph import InProcessStore, corruption
from dxkb.kb.store.queries import load

def open_read_only(database: str | Path) -> ox.Store:
    """Open one build's database read-only, so any number of processes can share it."""
    try:
        return ox.Store.read_only(str(database))
    except (OSError, RuntimeError) as error:
        raise corruption(error, str(database)) or StoreError(
            f"cannot open the store at {database}: {' '.join(str(error).split())[:300]}") from error


def probe(store: InProcessStore, database: Path) -> int:
    """Triples about the build information node (queries/integrity.rq); StoreCorrupted/StoreError when the store
    cannot answer. A zeroed block elsewhere fails the first query that reads it (as StoreCorrupted, one line): a
    full scan at open would cost seconds on the HPO build."""
    try:
        rows = store.rows(load("integrity"))
    except StoreError:
        raise
    except QueryError as error:
        raise StoreError(f"the store at {database} does not answer its integrity probe: {error}") from error
    count = int(rows[0]["n"]) if rows else 0
    if count == 0:
        raise StoreError(f"the store at {database} holds no build information: it is empty or was not written by "
                         "`dxkb build` (rebuild it)")
    return count


class EmbeddedStore(InProcessStore):
    kind = "oxigraph"

    def __init__(self, target: str, *, build: str | None = None, **_: object) -> None:
        self.folder = Path(target).expanduser()
        if not os.path.isdir(self.folder):
            raise StoreError(f"store folder does not exist: {self.folder} (run `dxkb build` first)")
        self._database = layout.current_build(self.folder) if build is None else layout.named_build(self.folder, build)
        super().__init__(open_read_only(self._database))
        probe(self, self._database)
        self._pin = layout.pin(self.folder, self._database)
        if self._pin is not None:
            atexit.register(self.close)

    @property
    def public_location(self) -> str:
        return str(self.folder)

    @property
    def database(self) -> Path:
        return self._database

    @property
    def build_id(self) -> str:
        return self._database.name

    def close(self) -> None:
        """Drop the pin: a later build may delete this build once no process serves it."""
        if self._pin is not None:
            layout.unpin(self._pin)
            self._pin = None
