"""diagnosePhenopacket and diagnoseFhir (contract v2) through real uvicorn servers: a phenopacket of phenopacket-store
and FHIR bundles made here give the same candidates as the equivalent `diagnose` call; bad documents are
BAD_USER_INPUT naming the field; the cost model counts the document's findings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.exchange import (ANEMIA, CASE, HEMOGLOBIN, HPO, RASH, RASH_SNOMED, SEIZURE, SNOMED, bundle,
                                    condition, lab, patient, phenopacket_text, phenotype)
from tests.support.servers import GraphQLClient, start_server

RESULT = """candidates { rank probability disease { id } supporting { finding { id } likelihoodRatio } }
  findings { finding { id } status } patient { ageYears sex } totalCandidates triage { level }
  warnings { code message id }"""
DIAGNOSE = f"query($input: DiagnoseInput!) {{ diagnose(input: $input) {{ {RESULT} }} }}"
PHENOPACKET = f"query($p: String!, $limit: Int) {{ diagnosePhenopacket(phenopacket: $p, limit: $limit) {{ {RESULT} }} }}"
FHIR = f"query($b: String!, $limit: Int) {{ diagnoseFhir(bundle: $b, limit: $limit) {{ {RESULT} }} }}"


@pytest.fixture(scope="module")
def loinc_gql(loinc_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphQLClient]:
    """A real uvicorn process on the store with small HPO and loinc2hpo files."""
    server = start_server(str(loinc_store), tmp_path_factory.mktemp("loinc-server"))
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            yield GraphQLClient(client)
    finally:
        server.stop()


def equivalent(gql: GraphQLClient, findings: list[dict[str, str]], patient: dict[str, Any] | None,
               limit: int) -> dict[str, Any]:
    data = {"findings": findings, "limit": limit, **({"patient": patient} if patient else {})}
    return gql.data(DIAGNOSE, {"input": data})["diagnose"]


def same_candidates(document: dict[str, Any], direct: dict[str, Any]) -> None:
    assert document["candidates"] == direct["candidates"]
    assert document["totalCandidates"] == direct["totalCandidates"]
    assert document["findings"] == direct["findings"] and document["patient"] == direct["patient"]
    assert document["triage"] == direct["triage"]


def test_a_phenopacket_store_case_gives_the_candidates_of_the_equivalent_diagnose(hpo_gql: GraphQLClient) -> None:
    text = phenopacket_text(CASE).decode("utf-8")
    data = json.loads(text)
    findings = [{"id": f["type"]["id"], "status": "ABSENT" if f.get("excluded") else "PRESENT"}
                for f in data["phenotypicFeatures"]]
    age = float(data["subject"]["timeAtLastEncounter"]["age"]["iso8601duration"].strip("PY"))
    got = hpo_gql.data(PHENOPACKET, {"p": text, "limit": 20})["diagnosePhenopacket"]
    direct = equivalent(hpo_gql, findings, {"ageYears": age, "sex": data["subject"]["sex"]}, 20)
    same_candidates(got, direct)
    assert len(got["candidates"]) == 20 and got["patient"] == {"ageYears": 80.0, "sex": "FEMALE"}
    assert "OMIM:148600" in [c["disease"]["id"] for c in got["candidates"]]  # the case's published diagnosis
    assert got["warnings"] == direct["warnings"]


def test_a_fhir_bundle_gives_the_candidates_of_the_equivalent_diagnose(hpo_gql: GraphQLClient) -> None:
    text = bundle(patient("female", "2020-05-01"), condition("rash", SNOMED, RASH_SNOMED),
                  phenotype("fever", HPO, "HP:0001945", interpretation=[{"coding": [{"code": "NEG"}]}]),
                  lab("hb", HEMOGLOBIN, "L"))  # the HPO store was built without loinc2hpo
    got = hpo_gql.data(FHIR, {"b": text})["diagnoseFhir"]
    direct = equivalent(hpo_gql, [{"id": RASH, "status": "PRESENT"}, {"id": "HP:0001945", "status": "ABSENT"}],
                        {"ageYears": 4.0, "sex": "FEMALE"}, 10)
    same_candidates(got, direct)
    assert got["warnings"] == [{"code": "UNMAPPED_RESOURCE", "id": "Observation/hb", "message":
                                "entry[3] (Observation/hb): no loinc2hpo mapping for LOINC 718-7 in this knowledge base "
                                "(built without loinc2hpo, or not a mapped test); not used"}]


def test_loinc_results_map_through_loinc2hpo_to_the_equivalent_diagnose(loinc_gql: GraphQLClient) -> None:
    text = bundle(lab("hb", HEMOGLOBIN, "L"), phenotype("sz", HPO, SEIZURE),
                  {"resourceType": "Encounter", "id": "e", "status": "finished",
                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}})
    got = loinc_gql.data(FHIR, {"b": text, "limit": 5})["diagnoseFhir"]
    direct = equivalent(loinc_gql, [{"id": ANEMIA, "status": "PRESENT"}, {"id": SEIZURE, "status": "PRESENT"}],
                        None, 5)
    same_candidates(got, direct)
    assert got["candidates"][0]["disease"]["id"] == "OMIM:100100"  # the seizure-anemia syndrome of the small HPO
    assert [(w["code"], w["id"]) for w in got["warnings"]] == [("UNMAPPED_RESOURCE", "Encounter/e")]


@pytest.mark.parametrize("query, variables, named", [
    (PHENOPACKET, {"p": "{not json"}, "phenopacket: not valid JSON"),
    (PHENOPACKET, {"p": '{"phenotypicFeatures": [{"type": {"id": "HP:0000988"}, "negated": true}]}'},
     'phenopacket: phenotypicFeatures[0]: message type "org.phenopackets.schema.v2.core.PhenotypicFeature" has no '
     'field named "negated"'),
    (PHENOPACKET, {"p": '{"phenotypicFeatures": [{"type": {"id": "HP:0000988"}, "excluded": 1}]}'},
     "phenopacket: phenotypicFeatures[0].excluded"),
    (PHENOPACKET, {"p": '{"phenotypicFeatures": [{"type": {"id": "HP:0000988"}}]}', "limit": 0},
     "limit must be between 1 and 100"),
    (FHIR, {"b": json.dumps({"resourceType": "Patient", "id": "p"})}, 'fhir: resourceType: expected "Bundle"'),
    (FHIR, {"b": bundle({"resourceType": "Observation", "code": {"text": "x"}})},
     "fhir: entry[0].resource.status: value for the field 'status' is required"),
    (FHIR, {"b": bundle(lab("x", "1234-5", "H"))},
     "fhir: no resource of the bundle maps to a finding of this knowledge base (entry[0] (Observation/x): no loinc2hpo "
     "mapping for LOINC 1234-5"),
])
def test_bad_documents_are_bad_user_input_naming_the_field(gql: GraphQLClient, query: str,
                                                            variables: dict[str, Any], named: str) -> None:
    errors = gql.errors(query, variables)
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["message"].startswith(named), errors[0]["message"]
    assert "Traceback" not in json.dumps(errors)


def test_unknown_ids_are_dropped_with_a_warning_naming_the_feature(gql: GraphQLClient) -> None:
    text = json.dumps({"phenotypicFeatures": [{"type": {"id": "HP:0000988"}}, {"type": {"id": "HP:9999999"}}]})
    warnings = gql.data(PHENOPACKET, {"p": text})["diagnosePhenopacket"]["warnings"]
    assert [(w["code"], w["id"]) for w in warnings] == [("UNKNOWN_ID_DROPPED", "HP:9999999")]
    assert warnings[0]["message"].startswith("phenotypicFeatures[1]: 'HP:9999999' is not a finding")


def test_the_cost_counts_the_documents_findings(gql: GraphQLClient) -> None:
    many = json.dumps({"phenotypicFeatures": [{"type": {"id": f"HP:{n:07d}"}} for n in range(150)]})
    errors = gql.errors(PHENOPACKET, {"p": many, "limit": 100})
    assert errors[0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    few = json.dumps({"phenotypicFeatures": [{"type": {"id": "HP:0000988"}}]})
    assert gql.data(PHENOPACKET, {"p": few, "limit": 100})["diagnosePhenopacket"]["candidates"]


def test_the_rare_disease_setting_through_graphql(hpo_gql: GraphQLClient) -> None:
    text = phenopacket_text(CASE).decode("utf-8")
    query = ("query($p: String!, $s: CareSetting) { diagnosePhenopacket(phenopacket: $p, limit: 5, setting: $s) "
             "{ candidates { probability disease { id } } otherCausesProbability explanation "
             "patient { ageYears sex setting } } }")
    rare = hpo_gql.data(query, {"p": text, "s": "RARE_DISEASE"})["diagnosePhenopacket"]
    primary = hpo_gql.data(query, {"p": text})["diagnosePhenopacket"]
    assert rare["patient"] == {"ageYears": 80.0, "sex": "FEMALE", "setting": "RARE_DISEASE"}
    assert primary["patient"]["setting"] == "PRIMARY_CARE"
    assert rare["otherCausesProbability"] == 0.0 < primary["otherCausesProbability"]
    assert "Rare-disease setting" in rare["explanation"] and "Rare-disease setting" not in primary["explanation"]
    # the same as diagnose with the setting in PatientInput
    direct = hpo_gql.data("query($input: DiagnoseInput!) { diagnose(input: $input) { candidates { probability "
                          "disease { id } } } }", {"input": {
                              "findings": [{"id": f["type"]["id"], "status": "ABSENT" if f.get("excluded") else
                                            "PRESENT"} for f in json.loads(text)["phenotypicFeatures"]],
                              "limit": 5, "patient": {"ageYears": 80, "sex": "FEMALE", "setting": "RARE_DISEASE"}}})
    assert direct["diagnose"]["candidates"] == rare["candidates"]
    errors = hpo_gql.errors(query, {"p": text, "s": "GENETICS"})
    assert errors and "GENETICS" in errors[0]["message"]
