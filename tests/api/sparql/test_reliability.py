"""The probes of issue 14 against real servers on 127.0.0.1: the parser guard on every store kind, ASK markers,
strict percent-decoding, the queue wait, and the remote pass-through's own cap and markers.

Every store kind is a real uvicorn process: the built store (worker processes), ``memory:`` (a thread) and a
remote store (a front server whose DXKB_STORE is another dxkb server's /sparql, with a small row cap).
"""

from __future__ import annotations

import threading
import time
from typing import Iterator

import httpx
import pytest

from dxkb.api.sparql.screening import MAX_NESTING, guard, nesting_depth
from tests.support.sparql import MAX_ROWS, Server, start_server, stop_server

JSON = "application/sparql-results+json"
DEEP_BRACES = "SELECT * WHERE " + "{" * 5000 + "}" * 5000  # ~10 KB: segfaulted pyoxigraph's parser
DEEP_PARENS = "SELECT * WHERE { FILTER(" + "(" * 20000 + "1" + ")" * 20000 + ") }"
SMALL = "SELECT ?label WHERE { MONDO:0005059 rdfs:label ?label }"
ALL = "SELECT * WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def memory_server(tmp_path_factory) -> Iterator[Server]:
    server = start_server("memory:", tmp_path_factory.mktemp("memory-guard") / "server.log", sparql_workers="1")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def front_server(sparql_server, tmp_path_factory) -> Iterator[Server]:
    """A dxkb server on a remote store: the session server, which caps answers at MAX_ROWS (500) rows, so the
    finding index (and SELECT * over ~1,100 triples) comes back cut from it."""
    server = start_server(sparql_server.sparql, tmp_path_factory.mktemp("front") / "server.log",
                          sparql_max_rows="300")
    yield server
    stop_server(server)


@pytest.fixture(params=["oxigraph", "memory", "sparql"])
def any_server(request, sparql_server, memory_server, front_server) -> Server:
    return {"oxigraph": sparql_server, "memory": memory_server, "sparql": front_server}[request.param]


def test_the_guard_measures_nesting_outside_strings_and_comments() -> None:
    assert nesting_depth("SELECT * { ?s ?p '{{{{' # ((((\n }") == 1
    assert nesting_depth(DEEP_BRACES) == 5000
    assert guard("SELECT * WHERE { " + "{" * MAX_NESTING + "}" * MAX_NESTING + " }") is not None
    assert guard("SELECT * WHERE { " + "{" * (MAX_NESTING - 1) + "}" * (MAX_NESTING - 1) + " }") is None


@pytest.mark.parametrize("query", [DEEP_BRACES, DEEP_PARENS], ids=["braces", "parentheses"])
def test_deeply_nested_queries_get_400_naming_the_limit_on_every_store(any_server: Server, query: str) -> None:
    response = httpx.post(any_server.sparql, data={"query": query}, headers={"Accept": JSON}, timeout=30)
    assert response.status_code == 400, response.text
    assert f"at most {MAX_NESTING} levels" in response.text
    assert any_server.process.poll() is None  # the server is alive
    assert httpx.post(any_server.sparql, data={"query": SMALL}, headers={"Accept": JSON}).status_code == 200


def test_ask_answers_carry_the_truncation_markers(any_server: Server) -> None:
    response = httpx.post(any_server.sparql, data={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": JSON})
    assert response.status_code == 200 and response.json()["boolean"] is True
    assert response.headers["x-dxkb-truncated"] == "false"
    assert int(response.headers["x-dxkb-result-limit"]) > 0


@pytest.mark.parametrize("how", ["form", "url"])
def test_a_percent_escape_that_is_not_utf8_is_refused_like_raw_bytes(sparql_server: Server, how: str) -> None:
    encoded = "query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%22%FF%22%20%7D"
    if how == "form":
        response = httpx.post(sparql_server.sparql, content=encoded,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    else:
        response = httpx.get(f"{sparql_server.sparql}?{encoded}", headers={"Accept": JSON})
    assert response.status_code == 400
    assert "'query'" in response.text and "UTF-8" in response.text
    raw = httpx.post(sparql_server.sparql, content=b"query=SELECT%20*%20{%20?s%20?p%20%22\xff%22%20}",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert raw.status_code == 400


def test_utf8_percent_escapes_still_work(sparql_server: Server) -> None:
    query = 'SELECT ?label WHERE { MONDO:0005059 rdfs:label ?label FILTER(?label != "Lëukämia") }'
    response = httpx.get(sparql_server.sparql, params={"query": query}, headers={"Accept": JSON})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"][0]["label"]["value"] == "Leukemia"


def test_a_query_queued_behind_busy_workers_gets_a_time_limit_of_its_own(tmp_path, curated_store) -> None:
    """One worker, busy with an endless query: a small query that waits for it gets the full time limit once it
    runs, and never a 504 that claims it ran for the whole limit. If the wait itself is over the limit: 503 with
    Retry-After."""
    server = start_server(str(curated_store), tmp_path / "server.log", sparql_timeout="2", sparql_workers="1")
    try:
        httpx.post(server.sparql, data={"query": SMALL}, headers={"Accept": JSON}, timeout=30)  # worker up
        endless = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
        results: dict[str, httpx.Response] = {}
        heavy = threading.Thread(target=lambda: results.update(
            heavy=httpx.post(server.sparql, data={"query": endless}, timeout=30)))
        heavy.start()
        time.sleep(1.5)  # the small query waits 0.5 s for the worker, then the worker is killed and replaced
        queued = httpx.post(server.sparql, data={"query": SMALL}, headers={"Accept": JSON}, timeout=30)
        heavy.join()
        assert results["heavy"].status_code in (503, 504)  # 504 at the time limit, 503 if the memory cap came first
        assert queued.status_code in (200, 503), queued.text
        if queued.status_code == 503:
            assert int(queued.headers["retry-after"]) >= 1
        else:
            assert queued.json()["results"]["bindings"][0]["label"]["value"] == "Leukemia"
    finally:
        stop_server(server)


def test_remote_pass_through_applies_this_servers_cap_and_markers(front_server: Server) -> None:
    response = httpx.post(front_server.sparql, data={"query": ALL}, headers={"Accept": JSON}, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["x-dxkb-truncated"] == "true"
    assert response.headers["x-dxkb-result-limit"] == "300"
    assert len(response.json()["results"]["bindings"]) == 300
    csv = httpx.post(front_server.sparql, data={"query": ALL}, headers={"Accept": "text/csv"}, timeout=30)
    assert csv.status_code == 200 and len(csv.text.strip().splitlines()) == 301  # header + 300 rows
    graph = httpx.post(front_server.sparql, data={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
                       headers={"Accept": "application/n-triples"}, timeout=30)
    assert graph.status_code == 200 and graph.headers["x-dxkb-truncated"] == "true"
    assert len([line for line in graph.text.splitlines() if line and not line.startswith("#")]) == 300


def test_remote_pass_through_marks_an_answer_the_upstream_cut(sparql_server: Server, tmp_path) -> None:
    """Our cap above the upstream's: the upstream cut at MAX_ROWS, so ours is truncated too, at its cap."""
    server = start_server(sparql_server.sparql, tmp_path / "server.log", sparql_max_rows="100000")
    try:
        response = httpx.post(server.sparql, data={"query": ALL}, headers={"Accept": JSON}, timeout=30)
        assert response.status_code == 200
        assert response.headers["x-dxkb-truncated"] == "true"
        assert response.headers["x-dxkb-result-limit"] == str(MAX_ROWS)
        assert len(response.json()["results"]["bindings"]) == MAX_ROWS
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def tiny_upstream(curated_store, tmp_path_factory) -> Iterator[Server]:
    """A dxkb server whose answers are capped at 7 rows: every index query of the engine comes back cut."""
    server = start_server(str(curated_store), tmp_path_factory.mktemp("tiny") / "server.log", sparql_max_rows="7",
                          sparql_workers="1")
    yield server
    stop_server(server)


def test_the_engine_pages_past_an_upstream_cap(tiny_upstream: Server, tmp_path) -> None:
    """The finding index has far more rows than the upstream's 7-row cap: the front server must page, not answer
    "unknown finding ID 'HP:0000988'" from a cut index (the probe used a 10,000-row cap on the HPO store)."""
    cut = httpx.post(tiny_upstream.sparql, data={"query": "SELECT ?f WHERE { ?f a ?t }"}, headers={"Accept": JSON})
    assert cut.headers["x-dxkb-truncated"] == "true"  # the cap really is in the way
    # every index comes in pages of 7 rows through one upstream worker: over 10 s on a slow 2-core VM, so the front
    # gets more than the default 10 s per request (what is tested is the paging, not the speed)
    front = start_server(tiny_upstream.sparql, tmp_path / "server.log", graphql_timeout="120")
    try:
        query = """{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}]}) { totalCandidates
                     recommendation candidates { disease { id } probability } } }"""
        through = httpx.post(f"{front.base}/graphql", json={"query": query}, timeout=120).json()
        direct = httpx.post(f"{tiny_upstream.base}/graphql", json={"query": query}, timeout=60).json()
        assert "errors" not in through, through
        assert through["data"] == direct["data"]
        index = "{ findings(first: 1) { totalCount } diseases(first: 1) { totalCount } }"
        through = httpx.post(f"{front.base}/graphql", json={"query": index}, timeout=120).json()
        direct = httpx.post(f"{tiny_upstream.base}/graphql", json={"query": index}, timeout=60).json()
        assert through == direct and through["data"]["findings"]["totalCount"] > 7  # every page arrived
    finally:
        stop_server(front)
