"""Bounded GraphQL requests (issue 14): the cost model, the per-request deadline, one operation per request,
huge JSON numbers, short echoes of huge IDs, and isRedFlag from the flag the build materialises."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from graphql import build_schema, parse

from dxkb.api.app import create_app
from dxkb.api.graphql.cost import CostModel, diagnose_cost
from dxkb.api.graphql.schema import sdl
from dxkb.kb.service import KnowledgeBase, open_store
from dxkb.kb.settings import Settings
from dxkb.kb.store import queries as sparql
from tests.support.servers import GraphQLClient
from tests.support.stores import ObservedStore

MODEL = CostModel(build_schema(sdl()))
DEFINITIONS_PAGE = "{ diseases(first: %d) { edges { node { id findings { finding { definition } } } } } }"


def cost(query: str, variables: dict | None = None, operation: str | None = None) -> float:
    return MODEL.cost(parse(query), operation, variables)


def test_cost_grows_with_the_page_size_and_the_nesting() -> None:
    assert cost("{ __typename }") == 0
    ten, hundred = cost(DEFINITIONS_PAGE % 10), cost(DEFINITIONS_PAGE % 100)
    assert hundred == pytest.approx(10 * ten, rel=0.01)
    assert cost("{ findings(first: 20) { edges { node { id label } } } }") < cost(
        "{ findings(first: 20) { edges { node { id label isRedFlag } } } }")


def test_cost_reads_variables_fragments_and_aliases() -> None:
    by_variable = cost("query($n: Int) { findings(first: $n) { edges { node { isRedFlag } } } }", {"n": 50})
    literal = cost("{ findings(first: 50) { edges { node { isRedFlag } } } }")
    assert by_variable == literal
    fragment = cost("{ findings(first: 50) { edges { node { ...F } } } } fragment F on Finding { isRedFlag }")
    assert fragment == literal
    aliased = cost("{ a: findings(first: 50) { edges { node { isRedFlag } } } "
                   "b: findings(first: 50) { edges { node { isRedFlag } } } }")
    assert aliased == 2 * literal


def test_cost_of_a_diagnosis_follows_its_findings_and_limit() -> None:
    one = '{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}], limit: %d}) { candidates { disease { prior } } } }'
    assert cost(one % 100) > cost(one % 10)
    many = {"findings": [{"id": f"HP:{i:07d}", "status": "PRESENT"} for i in range(100)]}
    query = "query($input: DiagnoseInput!) { diagnose(input: $input) { totalCandidates } }"
    assert cost(query, {"input": many}) == diagnose_cost(100)


def test_the_costly_probes_are_refused_with_the_computed_cost(gql: GraphQLClient) -> None:
    aliased = "{ " + " ".join(f"d{i}: diagnose(input: $input) {{ totalCandidates }}" for i in range(10)) + " }"
    findings = [{"id": "HP:0000988", "status": "PRESENT"}] * 100
    for query, variables in ((DEFINITIONS_PAGE % 100, None),
                             ("query($input: DiagnoseInput!) " + aliased, {"input": {"findings": findings}})):
        response = gql.post(query, variables)
        assert response.status_code == 400  # nothing ran: a request error
        (error,) = response.json()["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert error["extensions"]["cost"] > error["extensions"]["maxCost"] == Settings().max_cost
        assert f"{error['extensions']['cost']:,}" in error["message"]


def test_an_autocomplete_page_with_red_flags_is_within_the_cost(gql: GraphQLClient) -> None:
    data = gql.data("{ findings(search: \"fat\", first: 20) { edges { node { id label isRedFlag } } } }")
    flags = {e["node"]["id"]: e["node"]["isRedFlag"] for e in data["findings"]["edges"]}
    assert flags["HP:0012378"] is True  # fatigue: the seed's red flag next to a rash


def test_is_red_flag_reads_the_flag_materialised_by_the_build(curated_store: Path) -> None:
    """Every finding the property path of red_flags.rq reaches carries dxkb:underRedFlag, and finding_details
    reads that triple (no property path per finding any more)."""
    store = KnowledgeBase(Settings(store=str(curated_store))).store
    materialised = {r["finding"] for r in sparql.select(store, "build/red_flag_findings")}
    flagged = {r["f"] for r in store.rows("PREFIX dxkb: <https://w3id.org/dxkb/vocab#> "
                                          "SELECT ?f WHERE { ?f dxkb:underRedFlag true }")}
    assert materialised == flagged and len(flagged) >= 4
    assert "subClassOf*" not in sparql.load("finding_details").split("PREFIX IAO")[-1]


def test_two_operations_without_operation_name_are_a_request_error(gql: GraphQLClient) -> None:
    document = "query A { __typename } query B { diagnosticSteps { id } }"
    response = gql.post(document)
    assert response.status_code == 400
    assert "operationName" in response.json()["errors"][0]["message"] and "data" not in response.json()
    assert gql.post(document, operationName="B").json()["data"]["diagnosticSteps"]


def test_a_huge_json_integer_is_a_400(http: httpx.Client) -> None:
    body = ('{"query": "query($l: Int) { diagnose(input: {findings: [{id: \\"HP:0000988\\", status: PRESENT}], '
            'limit: $l}) { totalCandidates } }", "variables": {"l": ' + "9" * 5000 + "}}")
    response = http.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "too large" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("query", ["query($i: ID!) { finding(id: $i) { id } }",
                                   "query($i: ID!) { disease(id: $i) { id } }",
                                   "query($i: ID!) { diagnose(input: {findings: [{id: $i, status: PRESENT}]}) "
                                   "{ totalCandidates } }"])
def test_a_huge_id_is_not_echoed(gql: GraphQLClient, query: str) -> None:
    huge = "HP:" + "1" * 900_000
    response = gql.post(query, {"i": huge})
    assert response.status_code == 200 and len(response.content) < 2_000, len(response.content)
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and "900,003 characters" in error["message"]


class SlowKnowledgeBase(KnowledgeBase):
    """The real knowledge base with slow finding look-ups (they wait 1 s before they query); the queries that
    reached the store are in ``store.ran``."""

    def finding_details(self, curies):  # type: ignore[override]
        time.sleep(1.0)
        return super().finding_details(curies)


def test_the_deadline_stops_the_work_and_frees_the_threads(curated_store: Path) -> None:
    """30 aliased autocomplete pages with isRedFlag and a 0.5 s deadline: the answer is 504 TIMEOUT at the
    deadline, and the look-up still waiting in its thread when it passed never reaches the store (before, such
    work ran on for minutes after the client gave up)."""
    settings = Settings(store=str(curated_store), graphql_timeout=0.5)
    store = ObservedStore(open_store(settings))
    kb = SlowKnowledgeBase(settings, store)
    aliases = " ".join(f'p{i}: findings(search: "a", first: 5) {{ edges {{ node {{ isRedFlag }} }} }}'
                       for i in range(30))

    async def send() -> tuple[httpx.Response, float]:
        transport = httpx.ASGITransport(app=create_app(settings, kb))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
            started = time.monotonic()
            response = await client.post("/graphql", json={"query": "{ " + aliases + " }"})
            return response, time.monotonic() - started

    response, elapsed = asyncio.run(send())
    assert response.status_code == 504
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert elapsed < 1.0
    time.sleep(1.5)  # the look-up's thread wakes up past the deadline
    assert "finding_details" not in store.ran
