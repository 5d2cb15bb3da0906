"""The endpoint over each kind of store, and the worker memory cap - each against its own real server.

- a built store with a small per-worker memory cap: a runaway query aborts its worker long before the timeout;
- ``memory:``: the in-process store answers through a thread;
- a remote SPARQL endpoint (another dxkb server - a real SPARQL 1.1 endpoint): queries are passed through with
  the same screening and this server's own timeout.
"""

from __future__ import annotations

import time
from typing import Iterator

import httpx
import pytest

from tests.support.sparql import Server, start_server, stop_server

EXPLOSIVE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
SMALL = "SELECT ?label WHERE { <http://purl.obolibrary.org/obo/MONDO_0005059> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def capped_server(curated_store, tmp_path_factory) -> Iterator[Server]:
    server = start_server(str(curated_store), tmp_path_factory.mktemp("capped") / "server.log",
                          sparql_timeout="30", sparql_memory_mb="700", sparql_workers="1")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def memory_server(tmp_path_factory) -> Iterator[Server]:
    server = start_server("memory:", tmp_path_factory.mktemp("memory") / "server.log", sparql_workers="1")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def remote_server(sparql_server, tmp_path_factory) -> Iterator[Server]:
    server = start_server(sparql_server.sparql, tmp_path_factory.mktemp("remote") / "server.log",
                          sparql_timeout="1")
    yield server
    stop_server(server)


def label(server: Server, query: str = SMALL) -> str:
    response = httpx.post(server.sparql, data={"query": query}, headers={"Accept": JSON}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["results"]["bindings"][0]["label"]["value"]


def test_memory_cap_stops_a_runaway_query_early(capped_server):
    assert label(capped_server) == "Leukemia"
    started = time.monotonic()
    response = httpx.post(capped_server.sparql, data={"query": EXPLOSIVE}, timeout=60)
    assert response.status_code == 503
    assert "700 MB" in response.text
    assert time.monotonic() - started < 20  # far below the 30 s timeout
    assert label(capped_server) == "Leukemia"  # a fresh worker answers the next query


def test_memory_store_answers_through_a_thread(memory_server):
    assert label(memory_server) == "Leukemia"
    response = httpx.post(memory_server.sparql, data={"query": "CLEAR ALL"})
    assert response.status_code == 403
    response = httpx.post(memory_server.sparql, data={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5000", "format": "csv"})
    assert response.status_code == 200 and response.headers["x-dxkb-truncated"] == "false"


def test_remote_store_passes_queries_through(remote_server):
    assert label(remote_server) == "Leukemia"
    response = httpx.post(remote_server.sparql, data={"query": SMALL}, headers={"Accept": "text/csv"})
    assert response.text.splitlines()[1] == "Leukemia"


def test_remote_store_keeps_the_screening_and_the_parser_message(remote_server):
    assert httpx.post(remote_server.sparql, data={"query": "LOAD <http://example.org/x>"}).status_code == 403
    service = "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"
    assert httpx.post(remote_server.sparql, data={"query": service}).status_code == 403
    response = httpx.post(remote_server.sparql, data={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    assert "malformed query" in response.text


def test_remote_store_timeout_is_an_error_status(remote_server):
    started = time.monotonic()
    response = httpx.post(remote_server.sparql, data={"query": EXPLOSIVE}, timeout=30)
    assert response.status_code == 504
    assert "query stopped after 1 s" in response.text
    assert time.monotonic() - started < 2.5
