"""Move the built graph to a SPARQL server: export for bulk loaders, push over the Graph Store Protocol.

`push` never leaves a server with half a graph: it uploads into a staging graph, checks the server holds every
triple, and only then replaces the target graph with one SPARQL 1.1 Update (`MOVE`), which the server applies
atomically. A failed upload leaves the old graph serving.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import pyoxigraph as ox
from rdflib import URIRef

from kb import sparql
from kb.errors import DxkbError
from kb.remote import public_url
from kb.store import StoreLocation, open_oxigraph

FORMATS = {"nt": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE}
MEDIA_TYPES = {"nt": "application/n-triples", "ttl": "text/turtle"}
DEFAULT_GRAPH = "https://w3id.org/dxkb/graph"


class PublishError(DxkbError):
    """Export or push failed; the message names the server (without credentials) and the step."""


@dataclass
class PushReport:
    graph: str
    triples: int
    server: str


def export(store: str, target: Path, fmt: str = "nt") -> int:
    """Write the default graph of the embedded store to a file; return the number of triples."""
    location = StoreLocation.parse(store)
    if location.kind != "oxigraph":
        raise PublishError(f"export reads an embedded store folder, not {location.target!r}")
    if fmt not in FORMATS:
        raise PublishError(f"unknown export format {fmt!r} (use {' or '.join(FORMATS)})")
    oxstore = open_oxigraph(location.target)
    try:
        oxstore.dump(str(target), FORMATS[fmt], from_graph=ox.DefaultGraph(),
                      **({"prefixes": {"dxkb": "https://w3id.org/dxkb/vocab#"}} if fmt == "ttl" else {}))
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
    auth = httpx.BasicAuth(user, password or "") if user else None
    with tempfile.TemporaryDirectory(prefix="dxkb-push-") as scratch:
        dump = Path(scratch) / "graph.nt"
        triples = export(store, dump, "nt")
        with httpx.Client(auth=auth, timeout=timeout) as client:
            _check(client.put(graph_store, params={"graph": staging}, content=_chunks(dump),
                              headers={"Content-Type": MEDIA_TYPES["nt"]}), graph_store, "upload to the staging graph")
            held = _count(client, query, staging)
            if held != triples:
                _update(client, update, f"DROP SILENT GRAPH {sparql.term_text(URIRef(staging))}")
                raise PublishError(f"{public_url(graph_store)} holds {held} of {triples} triples after the upload; "
                                   "the old graph was left in place")
            _update(client, update, f"MOVE SILENT GRAPH {sparql.term_text(URIRef(staging))} TO GRAPH {sparql.term_text(URIRef(graph))}")
    return PushReport(graph=graph, triples=triples, server=public_url(graph_store))


def _count(client: httpx.Client, endpoint: str, graph: str) -> int:
    text = sparql.fill_values(sparql.load("publish/graph_size"), ["graph"], [(URIRef(graph),)])
    response = client.post(endpoint, data={"query": text}, headers={"Accept": "application/sparql-results+json"})
    _check(response, endpoint, "count the staging graph")
    bindings = response.json()["results"]["bindings"]
    return int(bindings[0]["triples"]["value"]) if bindings else 0


def _update(client: httpx.Client, endpoint: str, text: str) -> None:
    _check(client.post(endpoint, data={"update": text}), endpoint, "replace the graph")


def _check(response: httpx.Response, endpoint: str, step: str) -> None:
    if response.status_code >= 400:
        detail = " ".join(response.text.split())[:300]
        raise PublishError(f"{public_url(endpoint)}: could not {step}: HTTP {response.status_code} {detail}")

