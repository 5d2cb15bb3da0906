"""The one place that turns a location string into a store backend.

Backends are named by scheme and loaded lazily from ``"module:Class"`` strings, like rdflib's plugin registry:
adding one is a new module plus one line here. ``memory:`` needs a ``populate`` callable from the caller (the
service passes the build pipeline's), so the store layer never imports the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any

from dxkb.kb.errors import StoreError
from dxkb.kb.store.base import Store

BACKENDS: dict[str, str] = {
    "folder": "dxkb.kb.store.embedded:EmbeddedStore",
    "memory": "dxkb.kb.store.memory:MemoryStore",
    "http": "dxkb.kb.store.remote:RemoteStore",
    "https": "dxkb.kb.store.remote:RemoteStore",
}


@dataclass(frozen=True)
class Location:
    scheme: str  # a key of BACKENDS
    target: str  # folder path, URL or "memory:"

    @property
    def is_folder(self) -> bool:
        return self.scheme == "folder"


def parse(text: str) -> Location:
    text = text.strip()
    if not text:
        raise StoreError("empty store location (set DXKB_STORE or --store)")
    if text in ("memory:", ":memory:"):
        return Location("memory", "memory:")
    if "://" in text:
        scheme = text.split("://", 1)[0].lower()
        if scheme not in BACKENDS or scheme in ("folder", "memory"):
            raise StoreError(f"unsupported store location {text!r}: use a folder, memory: or an http(s) URL")
        return Location(scheme, text)
    return Location("folder", str(Path(text).expanduser()))


def backend(scheme: str) -> type[Store]:
    module, _, attr = BACKENDS[scheme].partition(":")
    return getattr(import_module(module), attr)


def open_store(location: str | Location, **options: Any) -> Store:
    """Open a read-only store; ``options`` (user, password, timeout, populate) go to the backend, which ignores
    what it does not use."""
    loc = parse(location) if isinstance(location, str) else location
    return backend(loc.scheme)(loc.target, **options)
