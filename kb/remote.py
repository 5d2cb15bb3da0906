"""A remote SPARQL 1.1 endpoint as a read-only rdflib Graph (rdflib's SPARQLStore)."""

from __future__ import annotations

from rdflib import Graph
from rdflib.plugins.stores.sparqlstore import SPARQLStore

from kb.curie import NAMESPACES


def remote_graph(url: str, *, user: str | None = None, password: str | None = None, timeout: float = 10.0) -> Graph:
    auth = (user, password) if user else None
    store = SPARQLStore(query_endpoint=url, auth=auth, timeout=timeout, method="POST_FORM", returnFormat="json")
    graph = Graph(store=store)
    for prefix, namespace in NAMESPACES.items():
        graph.bind(prefix, namespace, override=True)
    return graph
