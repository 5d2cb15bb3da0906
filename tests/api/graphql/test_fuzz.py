"""Fuzzing the real server with queries generated from the schema (hypothesis-graphql).

Valid queries (every root field, random arguments: unknown IDs, odd strings, huge or negative numbers, nulls)
must never give a 5xx or an INTERNAL error; invalid ones must give a coded 4xx/GraphQL error. Each request goes
over a keep-alive connection to the live uvicorn process. 2,000 documents in all (1,500 valid, 500 invalid);
afterwards the server's resident memory is within 20 % of what it was after a warm-up of 600 more documents,
which fills the bounded caches (parse, validation, response and diagnose caches) to their steady state.
"""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, from_schema

from dxkb.api.graphql.schema import sdl
from tests.support.sparql import rss_kb

SCHEMA = sdl()
KNOWN_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "QUERY_TOO_COMPLEX", "GRAPHQL_PARSE_FAILED",
               "GRAPHQL_VALIDATION_FAILED", "TIMEOUT"}
VALID, INVALID = 1500, 500
WARM_UP = 600  # more distinct documents than the parse and validation caches keep (limits.CACHE_SIZE = 512)
FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None, print_blob=True)


def check(http: httpx.Client, query: str) -> dict:
    response = http.post("/graphql", json={"query": query},
                         headers={"accept": "application/graphql-response+json"})
    assert response.status_code < 500 or response.status_code == 504, (query, response.text)  # 504: TIMEOUT
    body = response.json()
    for error in body.get("errors", ()):
        code = error.get("extensions", {}).get("code")
        assert code in KNOWN_CODES, (query, error)
        assert "Traceback" not in error["message"]
    if response.status_code in (400, 504):  # a request error, or stopped at the deadline: no data
        assert "data" not in body and body["errors"], (query, body)
    else:
        assert response.status_code == 200 and "data" in body, (query, response.text)
    return body


def test_valid_queries_never_fail_on_the_server(http: httpx.Client, live_server) -> None:
    sent: list[str] = []
    for query in ("{ __typename }", "{ findings(first: 20) { edges { node { id isRedFlag } } } }",
                  '{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}]}) { totalCandidates } }'):
        check(http, query)  # warm-up: indexes loaded

    @settings(max_examples=WARM_UP, **FUZZ)
    @given(query=from_schema(SCHEMA, mode=Mode.POSITIVE))
    def warm_up(query: str) -> None:  # fill the bounded caches, so that "start" is their steady state
        check(http, query)

    warm_up()
    before = rss_kb(live_server.process.pid)

    @settings(max_examples=VALID, **FUZZ)
    @given(query=from_schema(SCHEMA, mode=Mode.POSITIVE))
    def fuzz(query: str) -> None:
        sent.append(query)
        body = check(http, query)
        for error in body.get("errors", ()):  # valid documents: only limits and argument values are refused
            assert error["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND", "QUERY_TOO_COMPLEX"}, (query, error)

    fuzz()
    assert len(sent) >= VALID
    assert len({q.split("(")[0].split("{")[1].strip() for q in sent if "{" in q}) >= 5  # many root fields walked
    after = rss_kb(live_server.process.pid)
    assert after <= before * 1.2, f"resident memory grew from {before} kB to {after} kB"


def test_invalid_queries_get_coded_errors(http: httpx.Client) -> None:
    sent: list[str] = []

    @settings(max_examples=INVALID, **FUZZ)
    @given(query=from_schema(SCHEMA, mode=Mode.NEGATIVE))
    def fuzz(query: str) -> None:
        sent.append(query)
        check(http, query)

    fuzz()
    assert len(sent) >= INVALID
