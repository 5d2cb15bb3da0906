"""Fuzzing the real server with queries generated from the schema (hypothesis-graphql).

Valid queries (every root field, random arguments: unknown IDs, odd strings, huge or negative numbers, nulls)
must never give a 5xx or an INTERNAL error; invalid ones must give a coded 4xx/GraphQL error. Each request goes
over a keep-alive connection to the live uvicorn process.
"""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import Mode, from_schema

from dxkb.api.graphql.schema import sdl

SCHEMA = sdl()
KNOWN_CODES = {"BAD_USER_INPUT", "NOT_FOUND", "QUERY_TOO_COMPLEX", "GRAPHQL_PARSE_FAILED",
               "GRAPHQL_VALIDATION_FAILED"}
FUZZ = dict(deadline=None, suppress_health_check=list(HealthCheck), database=None, print_blob=True)


def check(http: httpx.Client, query: str) -> dict:
    response = http.post("/graphql", json={"query": query},
                         headers={"accept": "application/graphql-response+json"})
    assert response.status_code < 500, (query, response.text)
    body = response.json()
    for error in body.get("errors", ()):
        code = error.get("extensions", {}).get("code")
        assert code in KNOWN_CODES, (query, error)
        assert "Traceback" not in error["message"]
    if response.status_code == 400:  # a request error: nothing ran
        assert "data" not in body and body["errors"], (query, body)
    else:
        assert response.status_code == 200 and "data" in body, (query, response.text)
    return body


def test_valid_queries_never_fail_on_the_server(http: httpx.Client) -> None:
    sent: list[str] = []

    @settings(max_examples=1000, **FUZZ)
    @given(query=from_schema(SCHEMA, mode=Mode.POSITIVE))
    def fuzz(query: str) -> None:
        sent.append(query)
        body = check(http, query)
        for error in body.get("errors", ()):  # valid documents: only limits and argument values are refused
            assert error["extensions"]["code"] in {"BAD_USER_INPUT", "NOT_FOUND", "QUERY_TOO_COMPLEX"}, (query, error)

    fuzz()
    assert len(sent) >= 1000
    assert len({q.split("(")[0].split("{")[1].strip() for q in sent if "{" in q}) >= 5  # many root fields walked


def test_invalid_queries_get_coded_errors(http: httpx.Client) -> None:
    sent: list[str] = []

    @settings(max_examples=200, **FUZZ)
    @given(query=from_schema(SCHEMA, mode=Mode.NEGATIVE))
    def fuzz(query: str) -> None:
        sent.append(query)
        check(http, query)

    fuzz()
    assert len(sent) >= 200
