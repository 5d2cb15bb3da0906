"""Importers of public data, by name: ``"name" -> "module:function"``, loaded only when a build asks for one (the
server never pays for fastobo). A new source is one module here plus one line in :data:`IMPORTERS`.

An importer is ``function(target: Path) -> str``: it writes N-Triples (through ``writer.NTriplesWriter``) into
``target`` and returns a one-line summary that the build records as the data version.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Callable

from dxkb.kb.errors import BuildError

Importer = Callable[[Path], str]

IMPORTERS: dict[str, str] = {
    "hpo": "dxkb.kb.build.importers.hpo:import_hpo",
}


def names() -> list[str]:
    return sorted(IMPORTERS)


def load(name: str) -> Importer:
    if name not in IMPORTERS:
        raise BuildError(f"unknown source {name!r} (available: {', '.join(names()) or 'none'})")
    module, _, attr = IMPORTERS[name].partition(":")
    return getattr(import_module(module), attr)
