"""Importers of public data, by name: ``"name" -> "module:function"``, loaded only when a build asks for one (the
server never pays for fastobo). A new source is one module here plus one line in :data:`IMPORTERS`.

An importer is ``function(target: Path) -> str`` (those of shipped public data also take ``source_dir=``: a folder
with a newer release): it writes N-Triples (through ``writer.NTriplesWriter``) into
``target`` and returns a one-line summary that the build records as the data version.
"""

from __future__ import annotations

import inspect
from importlib import import_module
from pathlib import Path
from typing import Callable

from dxkb.kb.errors import BuildError

Importer = Callable[[Path], str]

IMPORTERS: dict[str, str] = {
    "hpo": "dxkb.kb.build.importers.hpo:import_hpo",
    "maxo": "dxkb.kb.build.importers.maxo:import_maxo",
    "loinc2hpo": "dxkb.kb.build.importers.loinc2hpo:import_loinc2hpo",
}

#: Sources that link to another source's terms (MAxO and loinc2hpo name HPO findings): left out with it.
REQUIRES: dict[str, tuple[str, ...]] = {"maxo": ("hpo",), "loinc2hpo": ("hpo",)}


def requirements_met(include: tuple[str, ...]) -> tuple[str, ...]:
    """``include`` without the sources whose requirements it lacks (``--without hpo`` leaves out maxo too)."""
    return tuple(name for name in include if all(r in include for r in REQUIRES.get(name, ())))


def names() -> list[str]:
    return sorted(IMPORTERS)


def load(name: str) -> Importer:
    if name not in IMPORTERS:
        raise BuildError(f"unknown source {name!r} (available: {', '.join(names()) or 'none'})")
    module, _, attr = IMPORTERS[name].partition(":")
    return getattr(import_module(module), attr)


def run(name: str, target: Path, *, source_dir: str | None = None) -> str:
    """Run one importer; ``source_dir`` (newer releases) goes to those that read shipped public data."""
    importer = load(name)
    if source_dir and "source_dir" in inspect.signature(importer).parameters:
        return importer(target, source_dir=source_dir)
    return importer(target)
