"""Move the built graph to a SPARQL server: export for bulk loaders, push over the Graph Store Protocol.

`push` never leaves a server with half a graph: it uploads into a staging graph, checks the server holds every
triple, and only then replaces the target graph with one SPARQL 1.1 Update (`MOVE`), which the server applies
atomically. A failed upload leaves the old graph serving.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import pyoxigraph as ox
from rdflib import URIRef

from dxkb.kb import vocab
from dxkb.kb.errors import DxkbError, StoreUnavailable
from dxkb.kb.store import queries as sparql
from dxkb.kb.store import registry
from dxkb.kb.store.client import SparqlClient, public_url
from dxkb.kb.store.embedded import open_read_only
from dxkb.kb.store.folder import current_build

FORMATS = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}
MEDIA_TYPES = {"nt": "application/n-triples", "ttl": "text/turtle"}
DEFAULT_GRAPH = "https://w3id.org/dxkb/graph"
T = TypeVar("T")


class PublishError(DxkbError):
    """Export or push failed; the message names the server (without credentials) and the step."""


@dataclass
class PushReport:
    graph: str
    triples: int
    server: str


def export(store: str, target: Path, fmt: str = "nt") -> int:
    """Write the default graph of the embedded store to a file; return the number of triples."""
    location = registry.parse(store)
    if not location.is_folder:
        raise PublishError(f"export reads an embedded store folder, not {location.target!r}")
    if fmt not in FORMATS:
        raise PublishError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    oxstore = open_read_only(current_build(location.target))
    try:
        oxstore.dump(str(target), FORMATS[fmt], from_graph=ox.DefaultGraph(),
                      **({"prefixes": {"dxkb": vocab.DXKB}} if fmt == "ttl" else {}))
    except OSError as error:
        raise PublishError(f"cannot write {target}: {error}") from error
    return len(oxstore)


def _chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        while block := handle.read(size):
            yield block


def push(store: str, *, graph_store: str, update: str, query: str, graph: str = DEFAULT_GRAPH,
         user: str | None = None, password: str | None = None, timeout: float = 300.0) -> PushReport:
    """Upload the built graph into `graph` on a SPARQL 1.1 server, replacing the old one only when complete."""
    staging = f"{graph}/staging"
    client = SparqlClient(user=user, password=password, timeout=timeout)
    try:
        with tempfile.TemporaryDirectory(prefix="dxkb-push-") as scratch:
            dump = Path(scratch) / "graph.nt"
            triples = export(store, dump, "nt")
            _step(lambda: client.put_graph(graph_store, staging, _chunks(dump), MEDIA_TYPES["nt"]),
                  "upload to the staging graph")
            held = _count(client, query, staging)
            if held != triples:
                _step(lambda: client.update(update, f"DROP SILENT GRAPH {sparql.term_text(URIRef(staging))}"),
                      "drop the staging graph")
                raise PublishError(f"{public_url(graph_store)} holds {held} of {triples} triples after the upload; "
                                   "the old graph was left in place")
            _step(lambda: client.update(update, f"MOVE SILENT GRAPH {sparql.term_text(URIRef(staging))} "
                                                f"TO GRAPH {sparql.term_text(URIRef(graph))}"), "replace the graph")
    finally:
        client.close()
    return PushReport(graph=graph, triples=triples, server=public_url(graph_store))


def _count(client: SparqlClient, endpoint: str, graph: str) -> int:
    text = sparql.fill_values(sparql.load("publish/graph_size"), ["graph"], [(URIRef(graph),)])
    response = _step(lambda: client.query(endpoint, text, accept="application/sparql-results+json"),
                     "count the staging graph")
    bindings = response.json()["results"]["bindings"]
    return int(bindings[0]["triples"]["value"]) if bindings else 0


def _step(call: Callable[[], T], step: str) -> T:
    """Run one exchange of the push; a failure names the step (and the server, without credentials)."""
    try:
        return call()
    except StoreUnavailable as error:
        raise PublishError(f"could not {step}: {error}") from None
