"""The frontend contract over HTTP, against a real uvicorn process on the curated knowledge base."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dxkb.kb.service import open_store_at
from dxkb.kb.store import queries as sparql
from tests.support.servers import GraphQLClient, LiveServer, start_server
from tests.support.vignettes import (BLOOD_COUNT, COMMON_CAUSES, LEUKEMIA, MARROW_BIOPSY, RASH, RED_FLAGS,
                                     SUSPICIOUS_CBC)

DIAGNOSE = """
query Diagnose($findings: [FindingInput!]!, $limit: Int) {
  diagnose(input: {findings: $findings, limit: $limit}) {
    recommendation explanation disclaimer totalCandidates
    candidates {
      rank probability prior
      disease { id label causeCategory }
      supporting { finding { id label } frequency likelihoodRatio source }
      opposing { finding { id } likelihoodRatio }
    }
    nextSteps { step { id label kind } rationale expectedInformationGain }
    redFlags { id label isRedFlag }
    redFlagDetails { finding { id } presentingComplaint { id } raisesSuspicionOf { id } }
  }
}"""


@pytest.fixture(scope="module", params=["embedded", "oxigraph", "virtuoso"])
def live_server(request: pytest.FixtureRequest, curated_store, tmp_path_factory: pytest.TempPathFactory):
    """The contract holds on every backend: the embedded store, an Oxigraph server and Virtuoso (scale-out)."""
    if request.param == "embedded":
        store = str(curated_store)
    else:
        store = request.getfixturevalue(f"{request.param}_server").query_url
    # A remote store answers a first diagnosis in many round trips (seconds on a loaded 2-core machine): these tests
    # check the contract, not the deadline (test_bounds.py does), so the remote ones get a generous deadline.
    env = {} if request.param == "embedded" else {"DXKB_GRAPHQL_TIMEOUT": "60"}
    server: LiveServer = start_server(store, tmp_path_factory.mktemp(f"live-{request.param}"), env=env)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http(live_server: LiveServer):
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def gql(http: httpx.Client) -> GraphQLClient:
    return GraphQLClient(http)


def diagnose(gql: GraphQLClient, present: list[str], absent: list[str] = (), limit: int = 50) -> dict[str, Any]:
    findings = [{"id": f, "status": "PRESENT"} for f in present] + [{"id": f, "status": "ABSENT"} for f in absent]
    return gql.data(DIAGNOSE, {"findings": findings, "limit": limit})["diagnose"]


def diseases_in(store) -> int:
    return len({r["disease"] for r in sparql.select(open_store_at(str(store)), "disease_index")})


def findings_in(store) -> int:
    return len({r["finding"] for r in sparql.select(open_store_at(str(store)), "finding_index")})


def candidate(d: dict[str, Any], disease: str) -> dict[str, Any]:
    return next(c for c in d["candidates"] if c["disease"]["id"] == disease)


def step_ids(d: dict[str, Any]) -> list[str]:
    return [n["step"]["id"] for n in d["nextSteps"]]


# ---------------------------------------------------------------- the source document's four cases
def test_rash_alone_means_watchful_waiting(gql: GraphQLClient) -> None:
    d = diagnose(gql, [RASH], RED_FLAGS)  # the rash is the only complaint: the red-flag questions answered ABSENT
    leukemia = candidate(d, LEUKEMIA)
    # the least likely of the rash's causes (the other modules' diseases are candidates too, far down)
    rash_causes = [c for c in d["candidates"] if c["disease"]["id"] in COMMON_CAUSES | {LEUKEMIA}]
    assert rash_causes[-1] == leukemia and len(rash_causes) == 5
    assert all(c["disease"]["id"] in COMMON_CAUSES for c in d["candidates"][:4])
    assert len(d["candidates"]) <= d["totalCandidates"]
    assert leukemia["probability"] < 0.001
    assert d["recommendation"] == "WATCHFUL_WAITING"
    assert BLOOD_COUNT not in step_ids(d) and MARROW_BIOPSY not in step_ids(d)
    assert d["redFlags"] == []
    assert "not a diagnosis" in d["disclaimer"]


def test_red_flags_raise_leukemia_and_call_for_a_blood_count(gql: GraphQLClient) -> None:
    alone = candidate(diagnose(gql, [RASH]), LEUKEMIA)["probability"]
    d = diagnose(gql, [RASH, *RED_FLAGS])
    assert candidate(d, LEUKEMIA)["probability"] > 100 * alone
    assert step_ids(d)[0] == BLOOD_COUNT
    assert d["recommendation"] == "FURTHER_TESTING"
    assert {f["id"] for f in d["redFlags"]} == set(RED_FLAGS)
    assert all(f["isRedFlag"] for f in d["redFlags"])
    assert {r["raisesSuspicionOf"]["id"] for r in d["redFlagDetails"]} == {LEUKEMIA}
    assert {r["presentingComplaint"]["id"] for r in d["redFlagDetails"]} == {RASH}
    supporting = {e["finding"]["id"]: e for e in candidate(d, LEUKEMIA)["supporting"]}
    assert set(supporting) == {RASH, *RED_FLAGS}
    assert all(e["likelihoodRatio"] > 1 and e["source"] for e in supporting.values())


def test_suspicious_blood_count_leads_to_bone_marrow_biopsy(gql: GraphQLClient) -> None:
    d = diagnose(gql, [RASH, *RED_FLAGS, SUSPICIOUS_CBC])
    assert d["candidates"][0]["disease"]["id"] == LEUKEMIA
    assert d["candidates"][0]["rank"] == 1
    assert step_ids(d)[0] == MARROW_BIOPSY
    assert d["recommendation"] == "FURTHER_TESTING"


def test_normal_blood_count_lets_leukemia_fall_back(gql: GraphQLClient) -> None:
    suspicious = candidate(diagnose(gql, [RASH, *RED_FLAGS, SUSPICIOUS_CBC]), LEUKEMIA)
    d = diagnose(gql, [RASH, *RED_FLAGS], [SUSPICIOUS_CBC])
    normal = candidate(d, LEUKEMIA)
    assert normal["probability"] < suspicious["probability"]
    assert normal["rank"] > suspicious["rank"]
    assert MARROW_BIOPSY not in step_ids(d)
    assert any(e["finding"]["id"] == SUSPICIOUS_CBC and e["likelihoodRatio"] < 1 for e in normal["opposing"])


def test_same_findings_in_another_order_and_spelling_give_the_same_answer(gql: GraphQLClient) -> None:
    first = diagnose(gql, [RASH, *RED_FLAGS])
    again = diagnose(gql, [f.lower() for f in reversed(RED_FLAGS)] + [RASH, RASH])
    assert again["candidates"] == first["candidates"]
    assert step_ids(again) == step_ids(first)


def test_limit_cuts_the_candidate_list_not_the_count(gql: GraphQLClient, curated_store) -> None:
    d = diagnose(gql, [RASH], limit=2)
    assert [c["rank"] for c in d["candidates"]] == [1, 2]
    assert d["totalCandidates"] == diseases_in(curated_store) > 2


# ---------------------------------------------------------------- autocomplete and pagination
FINDINGS = """query($search: String, $first: Int, $after: String) {
  findings(search: $search, first: $first, after: $after) {
    totalCount
    edges { cursor matched node { id label synonyms } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""


def findings(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return gql.data(FINDINGS, variables)["findings"]


def test_autocomplete_prefix_of_a_label_comes_first(gql: GraphQLClient) -> None:
    page = findings(gql, search="fat")
    assert page["edges"][0]["node"]["label"] == "Fatigue"
    assert page["edges"][0]["matched"] == "Fatigue"


def test_autocomplete_is_case_insensitive_and_searches_synonyms(gql: GraphQLClient) -> None:
    upper, lower = findings(gql, search="RASH"), findings(gql, search="rash")
    assert upper == lower
    ids = [e["node"]["id"] for e in lower["edges"]]
    assert RASH in ids[:3]  # "Skin rash" through its synonym "Rash" (label prefixes such as "Rash resolved..." first)
    assert all("rash" in (e["node"]["label"] + " ".join(e["node"]["synonyms"])).lower() for e in lower["edges"])
    assert next(e["matched"] for e in lower["edges"] if e["node"]["id"] == RASH).lower() == "rash"
    tired = findings(gql, search="tired")
    assert tired["edges"][0]["node"]["label"] == "Fatigue" and tired["edges"][0]["matched"] == "tiredness"
    suspicious = findings(gql, search="suspicious blood")["edges"][0]["node"]
    assert suspicious["id"] == SUSPICIOUS_CBC


def test_autocomplete_without_matches_is_an_empty_page(gql: GraphQLClient) -> None:
    page = findings(gql, search="zebra stripes")
    assert page == {"totalCount": 0, "edges": [],
                    "pageInfo": {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None,
                                 "endCursor": None}}


def test_pages_walk_the_whole_list_exactly_once(gql: GraphQLClient, curated_store) -> None:
    first_hundred = findings(gql, first=100)
    total = first_hundred["totalCount"]
    # the findings of the curated modules and the HPO terms the triage rules name (kb/data/*.ttl)
    assert total == findings_in(curated_store) > 40
    assert len(first_hundred["edges"]) == min(total, 100)
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = findings(gql, first=7, after=after)
        assert page["totalCount"] == total
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        seen += [e["node"]["id"] for e in page["edges"]]
        pages += 1
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert pages == -(-total // 7)
    assert len(seen) == len(set(seen)) == total
    assert seen[:100] == [e["node"]["id"] for e in first_hundred["edges"]]


def test_default_page_size_and_first_zero(gql: GraphQLClient, curated_store) -> None:
    first_page = findings(gql)
    assert len(first_page["edges"]) == 20 and first_page["pageInfo"]["hasNextPage"]  # default first = 20 < total
    empty = findings(gql, first=0)
    assert empty["edges"] == [] and empty["totalCount"] == findings_in(curated_store) and empty["pageInfo"]["hasNextPage"]


def test_diseases_connection_searches_and_pages(gql: GraphQLClient, curated_store) -> None:
    query = """query($after: String) { diseases(search: "leuk", first: 1, after: $after) {
        totalCount edges { cursor node { id label } } pageInfo { hasNextPage endCursor } } }"""
    page = gql.data(query)["diseases"]
    assert page["totalCount"] == 1 and page["edges"][0]["node"]["id"] == LEUKEMIA
    assert not page["pageInfo"]["hasNextPage"]
    all_diseases = gql.data("{ diseases(first: 100) { totalCount edges { node { id } } } }")["diseases"]
    assert all_diseases["totalCount"] == diseases_in(curated_store) > 5
    assert len(all_diseases["edges"]) == min(100, all_diseases["totalCount"])


# ---------------------------------------------------------------- look-ups
def test_disease_details(gql: GraphQLClient) -> None:
    d = gql.data("""{ disease(id: "MONDO:0005059") { id label definition synonyms xrefs prior causeCategory
        parents { id } findings { finding { id label isRedFlag } frequency negated } } }""")["disease"]
    assert d["label"] == "Leukemia" and d["causeCategory"] == "MALIGNANCY" and d["prior"] == pytest.approx(1e-4)
    assert "Leukaemia" in d["synonyms"] and "DOID:1240" in d["xrefs"]
    assert d["definition"].startswith("A malignant disease of the blood")
    by_id = {f["finding"]["id"]: f for f in d["findings"]}
    assert by_id[SUSPICIOUS_CBC]["frequency"] == pytest.approx(0.95) and by_id[SUSPICIOUS_CBC]["finding"]["isRedFlag"]
    assert by_id[RASH]["frequency"] == pytest.approx(0.05) and not by_id[RASH]["finding"]["isRedFlag"]
    frequencies = [f["frequency"] for f in d["findings"]]
    assert frequencies == sorted(frequencies, reverse=True)
    assert d["parents"] == []


def test_disease_findings_show_negated_annotations(gql: GraphQLClient) -> None:
    d = gql.data('{ disease(id: "DXKB:0000001") { causeCategory findings { finding { id } negated frequency } } }')
    d = d["disease"]
    assert d["causeCategory"] == "VIRAL_INFECTION"  # the most specific category, not INFECTION
    negated = [f for f in d["findings"] if f["negated"]]
    assert [f["finding"]["id"] for f in negated] == ["DXKB:0000105"] and negated[0]["frequency"] is None
    assert d["findings"][-1]["negated"]  # NOT annotations last


def test_finding_details(gql: GraphQLClient) -> None:
    f = gql.data('{ finding(id: "hp:0012378") { id label synonyms xrefs isRedFlag } }')["finding"]
    assert f == {"id": "HP:0012378", "label": "Fatigue", "synonyms": ["Reduced performance", "Tiredness"],
                 "xrefs": ["SNOMEDCT_US:248274002", "SNOMEDCT_US:84229001", "UMLS:C0015672"], "isRedFlag": True}


def test_diagnostic_steps_in_work_up_order(gql: GraphQLClient) -> None:
    steps = gql.data("""{ diagnosticSteps { id label kind invasiveness isTest
        reveals { id } requires { id } notIndicatedWith { id } } }""")["diagnosticSteps"]
    rash = ["DXKB:0000201", "DXKB:0000202", BLOOD_COUNT, MARROW_BIOPSY, "DXKB:0000205"]  # the rash module's work-up
    kinds = {s["id"]: s["kind"] for s in steps}
    assert [kinds[i] for i in rash] == ["HISTORY", "EXAMINATION", "LABORATORY_TEST", "BIOPSY", "WATCHFUL_WAITING"]
    order = [s["id"] for s in steps]
    assert [i for i in order if i in rash] == rash  # in the work-up's order
    marrow = next(s for s in steps if s["id"] == MARROW_BIOPSY)
    assert marrow["requires"] == [{"id": SUSPICIOUS_CBC}] and marrow["isTest"]
    assert marrow["reveals"] == [{"id": "DXKB:0000105"}] and marrow["invasiveness"] == pytest.approx(0.7)
    blood = gql.data(f'{{ diagnosticStep(id: "{BLOOD_COUNT}") {{ label requires {{ id }} }} }}')["diagnosticStep"]
    assert blood["label"] == "Complete blood count"
    assert {f["id"] for f in blood["requires"]} == set(RED_FLAGS)


# ---------------------------------------------------------------- transport
def test_get_runs_queries_with_variables(http: httpx.Client) -> None:
    response = http.get("/graphql", params={"query": "query($id: ID!) { finding(id: $id) { label } }",
                                            "variables": '{"id": "HP:0000988"}'})
    assert response.status_code == 200
    assert response.json() == {"data": {"finding": {"label": "Skin rash"}}}


def test_content_negotiation(http: httpx.Client) -> None:
    query = {"query": "{ __typename }"}
    modern = http.post("/graphql", json=query, headers={"accept": "application/graphql-response+json"})
    legacy = http.post("/graphql", json=query, headers={"accept": "application/json"})
    both = http.post("/graphql", json=query,
                     headers={"accept": "application/graphql-response+json, application/json;q=0.9"})
    anything = http.post("/graphql", json=query, headers={"accept": "*/*"})
    assert modern.headers["content-type"].startswith("application/graphql-response+json")
    assert legacy.headers["content-type"].startswith("application/json")
    assert both.headers["content-type"].startswith("application/graphql-response+json")
    assert anything.headers["content-type"].startswith("application/json")
    assert {r.json()["data"]["__typename"] for r in (modern, legacy, both, anything)} == {"Query"}
    refused = http.post("/graphql", json=query, headers={"accept": "text/csv"})
    assert refused.status_code == 406 and refused.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"


def test_graphiql_for_browsers(http: httpx.Client) -> None:
    page = http.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()


def test_healthz_reports_the_store(http: httpx.Client) -> None:
    health = http.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["store"] in ("oxigraph", "sparql")


def test_schema_matches_the_contract(gql: GraphQLClient) -> None:
    """The field names of shared/DESIGN.md, read back through introspection: renaming one fails here."""
    contract = {
        "Query": {"diagnose", "disease", "diseases", "finding", "findings", "diagnosticStep", "diagnosticSteps"},
        "Diagnosis": {"candidates", "nextSteps", "redFlags", "recommendation", "triage", "otherCausesProbability",
                      "coverage"},
        "Triage": {"level", "reasons"},
        "TriageReason": {"label", "findings", "source"},
        "Coverage": {"curated", "modules", "note"},
        "Candidate": {"disease", "probability", "rank", "supporting", "opposing"},
        "Evidence": {"finding", "frequency", "likelihoodRatio", "source"},
        "NextStep": {"step", "rationale", "expectedInformationGain"},
        "Disease": {"id", "label", "definition", "synonyms", "xrefs", "prior", "causeCategory", "findings", "parents"},
        "DiseaseFinding": {"finding", "frequency", "negated"},
        "Finding": {"id", "label", "synonyms", "xrefs", "isRedFlag"},
        "DiagnosticStep": {"id", "label", "kind", "invasiveness", "reveals", "requires"},
        "DiseaseConnection": {"edges", "pageInfo", "totalCount"},
        "FindingConnection": {"edges", "pageInfo", "totalCount"},
        "PageInfo": {"hasNextPage", "endCursor"},
    }
    for type_name, fields in contract.items():
        found = gql.data("query($n: String!) { __type(name: $n) { fields { name } } }", {"n": type_name})["__type"]
        assert fields <= {f["name"] for f in found["fields"]}, type_name
    enums = gql.data('{ r: __type(name: "Recommendation") { enumValues { name } } '
                     's: __type(name: "FindingStatus") { enumValues { name } } }')
    assert {v["name"] for v in enums["r"]["enumValues"]} == {"WATCHFUL_WAITING", "FURTHER_TESTING", "EMERGENCY_CARE",
                                                             "SEE_A_DOCTOR", "ANSWER_QUESTIONS"}
    levels = gql.data('{ __type(name: "TriageLevel") { enumValues { name } } }')["__type"]["enumValues"]
    assert {v["name"] for v in levels} == {"EMERGENCY", "URGENT", "ROUTINE", "SELF_CARE"}  # contract v2
    assert {v["name"] for v in enums["s"]["enumValues"]} == {"PRESENT", "ABSENT", "UNKNOWN"}  # contract v2
    described = gql.data('{ __type(name: "Diagnosis") { description } }')["__type"]["description"]
    assert "decision support" in described.lower() and "not a diagnosis" in described.lower()


def test_next_questions_ask_the_red_flags_of_a_rash_first(gql: GraphQLClient) -> None:
    """Contract v2: Diagnosis.nextQuestions [NextQuestion!]! with finding, expectedInformationGain, step, rationale."""
    query = """query($f: [FindingInput!]!) { diagnose(input: {findings: $f}) {
      explanation nextQuestions { finding { id } expectedInformationGain step { id kind } rationale redFlag } } }"""
    d = gql.data(query, {"f": [{"id": RASH, "status": "PRESENT"}]})["diagnose"]
    first = d["nextQuestions"][:3]
    assert {q["finding"]["id"] for q in first} == {"HP:0012378", "HP:0001824", "HP:0002719"}
    assert all(q["redFlag"] and q["step"]["id"] == "DXKB:0000201" and q["rationale"] for q in first)
    found = gql.data('{ __type(name: "NextQuestion") { fields { name } } }')["__type"]
    assert {"finding", "expectedInformationGain", "step", "rationale"} <= {f["name"] for f in found["fields"]}
