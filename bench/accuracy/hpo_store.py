"""A built store with HPO for the benchmarks: the one given, or one built into a temporary folder."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Iterator


def has_hpo(store: Path) -> bool:
    """Was the store built with the hpo source? (The build records its sources on https://w3id.org/dxkb/build.)"""
    from dxkb.kb.errors import StoreError
    from dxkb.kb.service import open_store_at
    from dxkb.kb.store import queries

    try:
        rows = queries.select(open_store_at(str(store)), "build_sources")
    except StoreError:
        return False
    return any(row["source"] == "hpo" for row in rows)


@contextlib.contextmanager
def hpo_store(given: Path | None) -> Iterator[Path]:
    """Yield a store folder built with HPO: ``given`` (checked), else a fresh build in a temporary folder."""
    if given is not None:
        if not has_hpo(given):
            raise SystemExit(f"{given} is not a built store with HPO (build one: dxkb build --store {given})")
        yield given
        return
    from dxkb.kb.build.pipeline import build

    with tempfile.TemporaryDirectory(prefix="dxkb-bench-hpo-") as scratch:
        store = Path(scratch) / "store"
        print(f"building a store with HPO in {store} (about a minute; pass --store DIR to reuse one) ...",
              file=sys.stderr)
        build(store, include=("hpo",), progress=False)
        yield store
