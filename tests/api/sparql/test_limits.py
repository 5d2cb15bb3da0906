"""Limits that work: the timeout really stops a query (the worker is killed, its memory released), the server
stays responsive meanwhile and right after, and the result cap is signalled explicitly."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.support.sparql import MAX_ROWS, TIMEOUT_S, rss_kb

# Materialises a 1.3-billion-row cross product to sort it: memory grows by about 1 GB/s until something stops it
# (the timeout, or the worker's address-space cap - whichever comes first on the machine).
EXPLOSIVE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"
# Counts the same cross product in constant memory: only the timeout can stop it (it would run for minutes).
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
SMALL = "SELECT ?label WHERE { MONDO:0005059 rdfs:label ?label }"
JSON = "application/sparql-results+json"


def wait_for_workers(server, count: int = 2, timeout: float = 20.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) == count:
            return pids
        time.sleep(0.1)
    raise AssertionError(f"expected {count} SPARQL workers, found {server.worker_pids()}")


def warm(server) -> list[int]:
    """Make sure the pool is up (it starts on the first query) and return its worker pids."""
    assert httpx.post(server.sparql, data={"query": SMALL}, headers={"Accept": JSON}).status_code == 200
    return wait_for_workers(server)


def assert_replaced(server, before: list[int]) -> None:
    after = wait_for_workers(server)
    killed = set(before) - set(after)
    assert len(killed) == 1, (before, after)  # the worker that ran the query is gone ...
    assert not Path(f"/proc/{killed.pop()}").exists()
    assert len(set(after) - set(before)) == 1  # ... and a fresh one took its place


def test_a_long_query_is_stopped_at_the_timeout(sparql_server):
    before = warm(sparql_server)
    started = time.monotonic()
    response = httpx.post(sparql_server.sparql, data={"query": ENDLESS}, headers={"Accept": JSON}, timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code == 504
    assert response.headers["content-type"].startswith("text/plain")
    assert f"query stopped after {TIMEOUT_S} s" in response.text
    assert TIMEOUT_S - 0.2 <= elapsed < TIMEOUT_S + 3
    assert_replaced(sparql_server, before)


def test_explosive_query_is_stopped_with_an_error_status(sparql_server):
    before = warm(sparql_server)
    started = time.monotonic()
    response = httpx.post(sparql_server.sparql, data={"query": EXPLOSIVE}, headers={"Accept": JSON}, timeout=30)
    elapsed = time.monotonic() - started
    assert response.status_code in (503, 504)  # 504 at the timeout, 503 if the memory cap came first
    assert "query stopped" in response.text
    assert "results" not in response.text  # an error message, not a cut-off result
    assert elapsed < TIMEOUT_S + 3
    assert_replaced(sparql_server, before)


def test_a_normal_query_answers_quickly_right_after_a_timeout(sparql_server):
    warm(sparql_server)
    response = httpx.post(sparql_server.sparql, data={"query": ENDLESS}, timeout=30)
    assert response.status_code == 504
    started = time.monotonic()
    response = httpx.post(sparql_server.sparql, data={"query": SMALL}, headers={"Accept": JSON})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"][0]["label"]["value"] == "Leukemia"
    assert time.monotonic() - started < 1.0


def test_the_server_answers_while_an_explosive_query_runs(sparql_server):
    warm(sparql_server)
    outcome: dict[str, int] = {}
    heavy = threading.Thread(target=lambda: outcome.update(
        status=httpx.post(sparql_server.sparql, data={"query": ENDLESS}, timeout=30).status_code))
    heavy.start()
    time.sleep(0.5)
    latencies = []
    for _ in range(5):
        started = time.monotonic()
        assert httpx.get(f"{sparql_server.base}/healthz").status_code == 200
        assert httpx.post(sparql_server.sparql, data={"query": SMALL}, headers={"Accept": JSON}).status_code == 200
        latencies.append(time.monotonic() - started)
    heavy.join()
    assert outcome["status"] == 504
    assert max(latencies) < 1.0, latencies


def test_worker_memory_does_not_keep_growing(sparql_server):
    baseline = sum(rss_kb(pid) for pid in warm(sparql_server))
    peaks = []
    for _ in range(3):
        pids = wait_for_workers(sparql_server)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                total = 0
                for pid in pids:
                    try:
                        total += rss_kb(pid)
                    except OSError:
                        pass
                peak[0] = max(peak[0], total)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        response = httpx.post(sparql_server.sparql, data={"query": EXPLOSIVE}, timeout=30)
        done.set()
        sampler.join()
        assert response.status_code in (503, 504)
        peaks.append(peak[0])
    final = sum(rss_kb(pid) for pid in wait_for_workers(sparql_server))
    assert max(peaks) > baseline + 30_000, (baseline, peaks)  # the query really was eating memory ...
    assert final < baseline + 50_000, (baseline, final)  # ... and it was all given back


# ------------------------------------------------------------------ the result cap
def test_truncated_select_is_signalled_in_header_and_json(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": "SELECT * WHERE { ?s ?p ?o }"},
                          headers={"Accept": JSON})
    assert response.status_code == 200
    assert response.headers["x-dxkb-truncated"] == "true"
    assert response.headers["x-dxkb-result-limit"] == str(MAX_ROWS)
    document = response.json()
    assert document["dxkb"] == {"truncated": True, "limit": MAX_ROWS, "rows": MAX_ROWS}
    assert len(document["results"]["bindings"]) == MAX_ROWS


def test_untruncated_select_says_so(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": SMALL}, headers={"Accept": JSON})
    assert response.headers["x-dxkb-truncated"] == "false"
    assert response.json()["dxkb"]["truncated"] is False


@pytest.mark.parametrize("fmt,lines", [("csv", MAX_ROWS + 1), ("tsv", MAX_ROWS + 1)])
def test_truncated_csv_and_tsv_carry_the_header(sparql_server, fmt, lines):
    response = httpx.post(sparql_server.sparql, data={"query": "SELECT * WHERE { ?s ?p ?o }", "format": fmt})
    assert response.headers["x-dxkb-truncated"] == "true"
    assert len(response.text.splitlines()) == lines


def test_truncated_construct(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "ntriples"})
    assert response.headers["x-dxkb-truncated"] == "true"
    lines = response.text.splitlines()
    assert lines[0].startswith("# dxkb: truncated")
    assert len([line for line in lines if line and not line.startswith("#")]) == MAX_ROWS


def test_limit_headers_are_readable_cross_origin(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": SMALL})
    assert "X-DXKB-Truncated" in response.headers["access-control-expose-headers"]
