"""Every error code, the protective limits, and bad HTTP requests: each answer is a clear 4xx (or a GraphQL error
with ``extensions.code``), never a 5xx and never a stack trace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dxkb.api.app import create_app
from dxkb.kb.service import KnowledgeBase
from dxkb.kb.settings import Settings
from tests.support.servers import GraphQLClient, InProcess, LiveServer, free_port, start_server

GRAPHQL_RESPONSE = "application/graphql-response+json"
LEAKS = ("Traceback", 'File "', ".py", "Error:", "line ", "site-packages")


def codes(errors: list[dict]) -> set[str]:
    return {e["extensions"]["code"] for e in errors}


def assert_no_leak(text: str) -> None:
    for marker in LEAKS:
        assert marker not in text, f"{marker!r} leaked to the client: {text}"


# ---------------------------------------------------------------- BAD_USER_INPUT
def test_unknown_finding_ids_give_bad_user_input_with_suggestions(gql: GraphQLClient) -> None:
    query = "query($f: [FindingInput!]!) { diagnose(input: {findings: $f}) { recommendation } }"
    response = gql.post(query, {"f": [{"id": "HP:0000989", "status": "PRESENT"},
                                      {"id": "fatigue", "status": "PRESENT"}]})
    assert response.status_code == 200  # execution started: the GraphQL response has data (null)
    body = response.json()
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and error["path"] == ["diagnose"]
    assert "HP:0000989" in error["message"] and "fatigue" in error["message"]
    suggestions = error["extensions"]["suggestions"]
    assert suggestions["HP:0000989"][0] == "HP:0000988 (Skin rash)"
    assert suggestions["fatigue"][0] == "HP:0012378 (Fatigue)"


def test_an_unknown_id_beside_known_ones_is_dropped_with_a_warning(gql: GraphQLClient) -> None:
    query = ("query($f: [FindingInput!]!) { diagnose(input: {findings: $f}) { findings { finding { id } } "
             "warnings { code message id } } }")
    response = gql.post(query, {"f": [{"id": "HP:0000989", "status": "PRESENT"},
                                      {"id": "HP:0000988", "status": "PRESENT"}]})
    body = response.json()
    assert "errors" not in body
    assert body["data"]["diagnose"]["findings"] == [{"finding": {"id": "HP:0000988"}}]
    (warning,) = body["data"]["diagnose"]["warnings"]
    assert warning["code"] == "UNKNOWN_ID_DROPPED" and warning["id"] == "HP:0000989" and "ignored" in warning["message"]


@pytest.mark.parametrize("findings, words", [
    ([], "no findings"),
    ([{"id": "HP:0000988", "status": "PRESENT"}, {"id": "HP:0000988", "status": "ABSENT"}], "both"),
])
def test_empty_or_contradictory_findings_give_bad_user_input(gql: GraphQLClient, findings: list, words: str) -> None:
    errors = gql.errors("query($f: [FindingInput!]!) { diagnose(input: {findings: $f}) { recommendation } }",
                        {"f": findings})
    assert codes(errors) == {"BAD_USER_INPUT"} and words in errors[0]["message"]


@pytest.mark.parametrize("query, argument", [
    ("{ findings(first: -1) { totalCount } }", "first"),
    ("{ findings(first: 101) { totalCount } }", "first"),
    ('{ findings(after: "not a cursor") { totalCount } }', "after"),
    ('{ diseases(after: "ZmluZGluZzow") { totalCount } }', "after"),  # a findings cursor used on diseases
    ('{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}], limit: 0}) { recommendation } }',
     "input.limit"),
    ('{ findings(search: "%s") { totalCount } }' % ("x" * 201), "search"),
])
def test_bad_arguments_give_bad_user_input_naming_the_argument(gql: GraphQLClient, query: str, argument: str) -> None:
    (error,) = gql.errors(query)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": argument}
    assert argument.split(".")[-1] in error["message"]


def test_variables_of_the_wrong_type_are_a_request_error(gql: GraphQLClient) -> None:
    query = "query($n: Int) { findings(first: $n) { totalCount } }"
    modern = gql.post(query, {"n": "three"})
    assert modern.status_code == 400 and "data" not in modern.json()
    assert codes(modern.json()["errors"]) == {"BAD_USER_INPUT"}
    legacy = gql.post(query, {"n": "three"}, accept="application/json")
    assert legacy.status_code == 200 and codes(legacy.json()["errors"]) == {"BAD_USER_INPUT"}


# ---------------------------------------------------------------- NOT_FOUND
@pytest.mark.parametrize("field, id", [("disease", "MONDO:0000000"), ("finding", "HP:9999999"),
                                       ("diagnosticStep", "DXKB:0000999")])
def test_unknown_ids_are_null_with_not_found(gql: GraphQLClient, field: str, id: str) -> None:
    body = gql.post(f'{{ {field}(id: "{id}") {{ id }} }}').json()
    assert body["data"] == {field: None}
    assert codes(body["errors"]) == {"NOT_FOUND"} and id in body["errors"][0]["message"]


def test_a_label_where_an_id_belongs_suggests_the_id(gql: GraphQLClient) -> None:
    body = gql.post('{ disease(id: "leukemia") { id } }').json()
    assert body["data"] == {"disease": None}
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["suggestions"] == {"leukemia": ["MONDO:0005059 (Leukemia)"]}


# ---------------------------------------------------------------- QUERY_TOO_COMPLEX
def nested_parents(depth: int) -> str:
    return '{ disease(id: "MONDO:0005059") { ' + "parents { " * depth + "id" + " }" * depth + " } }"


def test_over_deep_query_is_rejected_before_execution(gql: GraphQLClient) -> None:
    assert gql.data(nested_parents(5))["disease"]["parents"] == []
    response = gql.post(nested_parents(30))
    assert response.status_code == 400 and "data" not in response.json()
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "depth" in error["message"]


def test_alias_bomb_is_rejected(gql: GraphQLClient) -> None:
    diagnose = 'diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}]}) { recommendation }'
    assert len(gql.data("{ " + " ".join(f"a{i}: {diagnose}" for i in range(3)) + " }")) == 3
    bomb = "{ " + " ".join(f"a{i}: {diagnose}" for i in range(40)) + " }"  # 40 x the engine, if it ran
    response = gql.post(bomb)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX" and "aliases" in error["message"]


def test_token_limit(gql: GraphQLClient) -> None:
    response = gql.post("{ " + "__typename " * 3000 + "}")
    assert response.status_code == 400
    assert codes(response.json()["errors"]) == {"QUERY_TOO_COMPLEX"}


# ---------------------------------------------------------------- parse and validation
def test_parse_and_validation_failures(gql: GraphQLClient) -> None:
    parse = gql.post("{ diagnose(")
    validation = gql.post("{ diagnose { nope } }")
    for response, code in ((parse, "GRAPHQL_PARSE_FAILED"), (validation, "GRAPHQL_VALIDATION_FAILED")):
        assert response.status_code == 400 and "data" not in response.json()
        assert codes(response.json()["errors"]) == {code}
    legacy = gql.post("{ diagnose(", accept="application/json")
    assert legacy.status_code == 200 and codes(legacy.json()["errors"]) == {"GRAPHQL_PARSE_FAILED"}


# ---------------------------------------------------------------- bad HTTP requests
@pytest.mark.parametrize("content, headers, status, words", [
    (b'{"query": "{ __typename }"', {"content-type": "application/json"}, 400, "Malformed JSON"),
    (b"", {"content-type": "application/json"}, 400, "Empty request body"),
    (b'["{ __typename }"]', {"content-type": "application/json"}, 400, "Batching"),
    (b'"{ __typename }"', {"content-type": "application/json"}, 400, "JSON object"),
    (b'{"query": 5}', {"content-type": "application/json"}, 400, "query"),
    (b'{"query": "{ __typename }", "operationName": 5}', {"content-type": "application/json"}, 400, "operationName"),
    (b'{"query": "{ __typename }", "variables": "x"}', {"content-type": "application/json"}, 400, "variables"),
    (b'{"notquery": "{ __typename }"}', {"content-type": "application/json"}, 400, "No GraphQL query"),
    (b"\xff\xfe{}", {"content-type": "application/json"}, 400, "UTF-8"),
    (b"{ __typename }", {"content-type": "application/graphql"}, 415, "Content-Type"),
    (b"query={ __typename }", {"content-type": "application/x-www-form-urlencoded"}, 415, "Content-Type"),
    (b'{"query": "{ __typename }"}', {"content-type": "application/json; charset=latin-1"}, 415, "charset"),
    (b'{"query": "{ __typename }"}', {}, 415, "Missing Content-Type"),
])
def test_malformed_requests_get_clear_4xx_answers(http: httpx.Client, content: bytes, headers: dict, status: int,
                                                  words: str) -> None:
    response = http.post("/graphql", content=content, headers={"accept": GRAPHQL_RESPONSE, **headers})
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] in {"BAD_REQUEST", "UNSUPPORTED_MEDIA_TYPE"}
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


def test_mutations_over_get_and_other_methods_are_405(http: httpx.Client) -> None:
    mutation = http.get("/graphql", params={"query": "mutation { __typename }"})
    assert mutation.status_code == 405 and mutation.headers["allow"] == "GET, POST"
    put = http.put("/graphql", json={"query": "{ __typename }"})
    assert put.status_code == 405 and put.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_oversized_body_is_413(http: httpx.Client) -> None:
    response = http.post("/graphql", json={"query": "{ __typename }", "variables": {"x": "y" * 1_100_000}})
    assert response.status_code == 413 and "larger than" in response.json()["errors"][0]["message"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while reading
        yield b'{"query": "{ __typename }", "variables": {"x": "'
        for _ in range(120):
            yield b"y" * 10_000
        yield b'"}}'

    streamed = http.post("/graphql", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


# ---------------------------------------------------------------- INTERNAL: no stack trace reaches a client
@pytest.fixture(scope="module")
def dead_store_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real server whose store is a remote SPARQL endpoint that does not answer (nothing listens there)."""
    url = f"http://127.0.0.1:{free_port()}/sparql"
    server = start_server(url, tmp_path_factory.mktemp("dead-store"), healthy_status=(503,))
    yield server
    server.stop()


def test_store_failure_is_store_unavailable_naming_the_endpoint(dead_store_server: LiveServer) -> None:
    with httpx.Client(base_url=dead_store_server.url) as client:
        health = client.get("/healthz").json()
        assert health["status"] == "unavailable" and health["location"].startswith("http://127.0.0.1:")
        query = '{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}]}) { recommendation } }'
        for accept in (GRAPHQL_RESPONSE, "application/json"):
            response = client.post("/graphql", json={"query": query}, headers={"accept": accept})
            assert response.status_code == 200
            (error,) = response.json()["errors"]
            assert error["extensions"] == {"code": "STORE_UNAVAILABLE"}
            assert "store is unavailable" in error["message"] and health["location"] in error["message"]
            assert_no_leak(response.text)
        found = client.post("/graphql", json={"query": '{ findings(search: "rash") { totalCount } }'})
        assert codes(found.json()["errors"]) == {"STORE_UNAVAILABLE"}
        assert_no_leak(found.text)
    assert "store unavailable" in dead_store_server.output()


class ExplodingKnowledgeBase(KnowledgeBase):
    """The real curated KB, with a bug planted where a user's request reaches it."""

    SECRET = "secret-internal-detail-/etc/passwd"

    def diagnose(self, observations, limit=10, patient=None, evidence=True):  # type: ignore[override]
        raise ZeroDivisionError(self.SECRET)

    def xrefs(self, curies):  # type: ignore[override]
        raise KeyError(self.SECRET)


@pytest.fixture(scope="module")
def exploding_client(curated_store: Path) -> InProcess:
    settings = Settings(store=str(curated_store))
    return InProcess(create_app(settings, ExplodingKnowledgeBase(settings)))


def test_internal_errors_are_masked(exploding_client: InProcess) -> None:
    query = '{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}]}) { recommendation } }'
    response = exploding_client.post("/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "INTERNAL"} and error["path"] == ["diagnose"]
    assert ExplodingKnowledgeBase.SECRET not in response.text and "ZeroDivision" not in response.text
    assert_no_leak(response.text)


def test_a_failing_nested_field_keeps_the_rest_of_the_answer(exploding_client: InProcess) -> None:
    response = exploding_client.post("/graphql", json={"query": '{ finding(id: "HP:0000988") { label xrefs } }'})
    body = response.json()
    assert body["data"] == {"finding": None}  # xrefs is non-null, so its parent becomes null
    assert codes(body["errors"]) == {"INTERNAL"} and body["errors"][0]["path"] == ["finding", "xrefs"]
    assert_no_leak(response.text)
    ok = exploding_client.post("/graphql", json={"query": '{ finding(id: "HP:0000988") { label } }'}).json()
    assert ok == {"data": {"finding": {"label": "Skin rash"}}}


# ---------------------------------------------------------------- switches: introspection, GraphiQL, CORS
@pytest.fixture(scope="module")
def locked_down(curated_store: Path) -> InProcess:
    settings = Settings(store=str(curated_store), introspection=False, graphiql=False,
                        cors_origins=("https://app.example",))
    return InProcess(create_app(settings, KnowledgeBase(settings)))


def test_introspection_can_be_switched_off(locked_down: InProcess) -> None:
    response = locked_down.post("/graphql", json={"query": "{ __schema { types { name } } }"},
                                headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 400
    assert codes(response.json()["errors"]) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in response.json()["errors"][0]["message"].lower()
    assert locked_down.post("/graphql", json={"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}


def test_graphiql_can_be_switched_off(locked_down: InProcess) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = locked_down.get("/graphql", headers={"accept": browser})
    assert page.status_code == 400 and "No GraphQL query" in page.json()["errors"][0]["message"]


def test_cors_allows_configured_origins_only(locked_down: InProcess) -> None:
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = locked_down.options("/graphql", headers={"origin": "https://app.example", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    refused = locked_down.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    simple = locked_down.post("/graphql", json={"query": "{ __typename }"}, headers={"origin": "https://app.example"})
    assert simple.headers["access-control-allow-origin"] == "https://app.example"


def test_error_bodies_are_json(http: httpx.Client) -> None:
    """Even the HTTP-level answers are GraphQL-shaped JSON that a client can show."""
    response = http.post("/graphql", content=b"{", headers={"content-type": "application/json"})
    assert json.loads(response.text)["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
