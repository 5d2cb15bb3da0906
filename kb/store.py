"""Open the knowledge graph from a location string: nothing above this module knows which backend it got.

- a folder: the embedded Oxigraph store written by ``dxkb build`` (read through oxrdflib);
- ``memory:``: an in-memory Oxigraph store, built from the sources on open (tests, experiments);
- ``http(s)://...``: a remote SPARQL 1.1 query endpoint, through rdflib's SPARQLStore.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pyoxigraph as ox
from oxrdflib import OxigraphStore
from rdflib import Graph
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID

from kb.curie import NAMESPACES

Kind = Literal["oxigraph", "memory", "sparql"]
CURRENT_LINK = "current"  # <store folder>/current -> builds/<id>; swapped atomically by the build


class StoreError(RuntimeError):
    """The store cannot be opened or answered; the message names the location."""


@dataclass(frozen=True)
class StoreLocation:
    kind: Kind
    target: str  # folder path, URL or "memory:"

    @classmethod
    def parse(cls, text: str) -> "StoreLocation":
        text = text.strip()
        if not text:
            raise StoreError("empty store location (set DXKB_STORE or --store)")
        if text.startswith(("http://", "https://")):
            return cls("sparql", text)
        if text == "memory:" or text == ":memory:":
            return cls("memory", "memory:")
        if "://" in text:
            raise StoreError(f"unsupported store location {text!r}: use a folder, memory: or an http(s) URL")
        return cls("oxigraph", str(Path(text).expanduser()))

    def __str__(self) -> str:
        return self.target


def current_build(folder: str | Path) -> Path:
    """The folder holding the live Oxigraph database of a store folder."""
    link = Path(folder) / CURRENT_LINK
    if not link.exists():
        raise StoreError(f"no built knowledge base at {folder} (run `dxkb build` first)")
    return link.resolve()


def wrap(store: ox.Store) -> Graph:
    """An rdflib Graph over the default graph of a pyoxigraph store."""
    graph = Graph(store=OxigraphStore(store=store), identifier=DATASET_DEFAULT_GRAPH_ID)
    for prefix, namespace in NAMESPACES.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def open_oxigraph(folder: str | Path) -> ox.Store:
    """Open a built store read-only, so any number of server processes can share it."""
    path = current_build(folder)
    try:
        return ox.Store.read_only(str(path))
    except OSError as error:
        raise StoreError(f"cannot open the store at {folder}: {error}") from error


def open_sparql(url: str, user: str | None = None, password: str | None = None, timeout: float = 10.0) -> Graph:
    from kb.remote import remote_graph  # imported lazily: only remote deployments need it

    return remote_graph(url, user=user, password=password, timeout=timeout)


def open_graph(location: StoreLocation | str, *, user: str | None = None, password: str | None = None,
               timeout: float = 10.0) -> Graph:
    """The one entry point: a read-only rdflib Graph for any location."""
    loc = StoreLocation.parse(location) if isinstance(location, str) else location
    if loc.kind == "oxigraph":
        if not os.path.isdir(loc.target):
            raise StoreError(f"store folder does not exist: {loc.target} (run `dxkb build` first)")
        return wrap(open_oxigraph(loc.target))
    if loc.kind == "memory":
        from kb.build import build_in_memory

        return wrap(build_in_memory())
    return open_sparql(loc.target, user=user, password=password, timeout=timeout)
