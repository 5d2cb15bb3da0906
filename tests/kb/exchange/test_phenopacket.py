"""GA4GH Phenopacket v2 in and out (kb/exchange/phenopacket.py): a real case of phenopacket-store, the schema's
refusals as errors naming the field, and interpretations the schema reads back."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from google.protobuf import json_format
from phenopackets import Phenopacket

from dxkb.kb.engine.types import (Candidate, Diagnosis, Evidence, Observation, Patient, Recommendation, Sex, Status)
from dxkb.kb.errors import InputError
from dxkb.kb.exchange import phenopacket
from tests.support.exchange import CASE, phenopacket_text


def packet(**fields: object) -> str:
    return json.dumps({"id": "case", "phenotypicFeatures": [{"type": {"id": "HP:0001250"}}], **fields})


def test_a_phenopacket_store_case_gives_its_observed_and_excluded_features_age_and_sex() -> None:
    text = phenopacket_text(CASE)
    case = phenopacket.read(text)
    data = json.loads(text)
    observed = sorted(f["type"]["id"] for f in data["phenotypicFeatures"] if not f.get("excluded"))
    excluded = sorted(f["type"]["id"] for f in data["phenotypicFeatures"] if f.get("excluded"))
    assert sorted(o.finding for o in case.observations if o.status is Status.PRESENT) == observed
    assert sorted(o.finding for o in case.observations if o.status is Status.ABSENT) == excluded
    assert excluded and observed
    assert case.patient == Patient(age_years=80.0, sex=Sex.FEMALE)
    assert case.warnings == []
    assert case.fields[excluded[0]].startswith("phenotypicFeatures[")


@pytest.mark.parametrize("text, named", [
    ("{bad", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"phenotypicFeatures": [{"type": {"id": "HP:0001250"}, "negated": true}]}',
     'phenotypicFeatures[0]: message type "org.phenopackets.schema.v2.core.PhenotypicFeature" has no field named '
     '"negated"'),
    ('{"phenotypicFeatures": [{"type": {"id": "HP:0001250"}}, {"type": {"id": 5}}]}',
     "phenotypicFeatures[1].type.id: expected string"),
    ('{"phenotypicFeatures": [{"type": {"id": "HP:0001250"}, "excluded": "yes"}]}',
     "phenotypicFeatures[0].excluded: expected true or false"),
    ('{"phenotypicFeatures": {"type": {"id": "HP:0001250"}}}', "phenotypicFeatures: repeated field"),
    (packet(subject={"sex": "MAN"}), "subject.sex: invalid enum value MAN"),
    (packet(foo=1), 'no field named "foo"'),
    ('{"phenotypicFeatures": []}', "phenotypicFeatures: the phenopacket has no phenotypic features"),
    ('{"phenotypicFeatures": [{"type": {"label": "Seizure"}}]}', "phenotypicFeatures[0].type.id: missing"),
    (packet(subject={"timeAtLastEncounter": {"age": {"iso8601duration": "3 years"}}}),
     "subject.timeAtLastEncounter.age.iso8601duration: '3 years' is not an ISO 8601 duration"),
    (packet(subject={"timeAtLastEncounter": {"age": {"iso8601duration": "P200Y"}}}),
     "subject.timeAtLastEncounter: an age of 200 years"),
])
def test_bad_input_is_an_input_error_naming_the_field(text: str, named: str) -> None:
    with pytest.raises(InputError) as raised:
        phenopacket.read(text)
    assert str(raised.value).startswith("phenopacket: ")
    assert named in str(raised.value)
    assert "\n" not in str(raised.value)


def test_not_utf8_and_too_large_are_refused() -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        phenopacket.read(b'{"id": "\xff"}')
    with pytest.raises(InputError, match="at most"):
        phenopacket.read(" " * (phenopacket.MAX_BYTES + 1))


@pytest.mark.parametrize("element, years", [
    ({"age": {"iso8601duration": "P3Y6M"}}, 3.5),
    ({"age": {"iso8601duration": "P2W"}}, 14 / 365.25),
    ({"ageRange": {"start": {"iso8601duration": "P10Y"}, "end": {"iso8601duration": "P20Y"}}}, 15.0),
])
def test_ages(element: dict, years: float) -> None:
    case = phenopacket.read(packet(subject={"timeAtLastEncounter": element}))
    assert case.patient is not None and case.patient.age_years == pytest.approx(years)


def test_an_age_from_a_date_needs_the_date_of_birth() -> None:
    dated = phenopacket.read(packet(subject={"dateOfBirth": "2020-01-01T00:00:00Z",
                                             "timeAtLastEncounter": {"timestamp": "2022-01-01T00:00:00Z"}}))
    assert dated.patient is not None and dated.patient.age_years == pytest.approx(731 / 365.25)
    undated = phenopacket.read(packet(subject={"timeAtLastEncounter": {"timestamp": "2022-01-01T00:00:00Z"}}))
    assert undated.patient is None and [w.code for w in undated.warnings] == ["AGE_IGNORED"]
    fetus = phenopacket.read(packet(subject={"sex": "MALE", "timeAtLastEncounter": {"gestationalAge": {"weeks": 20}}}))
    assert fetus.patient == Patient(age_years=None, sex=Sex.MALE)
    assert "gestational age" in fetus.warnings[0].message


def test_a_term_both_observed_and_excluded_is_observed_with_a_warning() -> None:
    case = phenopacket.read(json.dumps({"phenotypicFeatures": [
        {"type": {"id": "HP:0001250"}, "excluded": True}, {"type": {"id": "hp:0001250"}},
        {"type": {"id": "HP:0001903"}, "excluded": True}]}))
    assert case.observations == [Observation("HP:0001250", Status.PRESENT), Observation("HP:0001903", Status.ABSENT)]
    assert [w.code for w in case.warnings] == ["CONFLICTING_STATUS"]
    assert "phenotypicFeatures[0] and phenotypicFeatures[1]" in case.warnings[0].message


def test_unknown_sex_and_no_age_give_no_patient() -> None:
    assert phenopacket.read(packet(subject={"id": "x", "sex": "UNKNOWN_SEX"})).patient is None


def _diagnosis() -> Diagnosis:
    evidence = Evidence(finding="HP:0001250", finding_label="Seizure", status=Status.PRESENT, likelihood=0.9,
                        likelihood_ratio=41.7, frequency=0.9, matched="HP:0001250", relation="exact", source=None)
    candidates = [Candidate(disease="OMIM:100100", label="Seizure-anemia syndrome", probability=0.6, rank=1,
                            prior=1e-5, prior_is_default=True, prior_source=None, cause_category=None,
                            supporting=[evidence]),
                  Candidate(disease="MONDO:0005027", label="epilepsy", probability=0.3, rank=2, prior=1e-3,
                            prior_is_default=False, prior_source=None, cause_category=None)]
    return Diagnosis(observations=[Observation("HP:0001250", Status.PRESENT), Observation("HP:0001903", Status.ABSENT),
                                   Observation("HP:0000988", Status.UNKNOWN)],
                     candidates=candidates, total_candidates=7, next_steps=[], red_flags=[],
                     recommendation=Recommendation.FURTHER_TESTING, explanation="",
                     patient=Patient(age_years=1.5, sex=Sex.FEMALE))


def test_a_diagnosis_is_written_as_interpretations_the_schema_reads_back() -> None:
    created = datetime(2026, 12, 2, 9, 15, 37, tzinfo=timezone.utc)
    written = phenopacket.write(_diagnosis(), labels={"HP:0001250": "Seizure"}, created=created,
                                versions={"hpo": "2025-01-16"})
    again = json_format.ParseDict(written, Phenopacket())  # the schema understands it
    assert [(i.id, i.diagnosis.disease.id) for i in again.interpretations] == [
        ("dxkb-1", "OMIM:100100"), ("dxkb-2", "MONDO:0005027")]
    assert written["interpretations"][0]["progressStatus"] == "IN_PROGRESS"
    assert "candidate 1 of 7: probability 0.6" in written["interpretations"][0]["summary"]
    assert "Seizure (HP:0001250, LR 41.7)" in written["interpretations"][0]["summary"]
    assert written["phenotypicFeatures"] == [{"type": {"id": "HP:0001250", "label": "Seizure"}},
                                             {"type": {"id": "HP:0001903", "label": "HP:0001903"}, "excluded": True}]
    assert written["subject"] == {"id": "patient", "sex": "FEMALE",
                                  "timeAtLastEncounter": {"age": {"iso8601duration": "P1Y6M"}}}
    meta = written["metaData"]
    assert meta["created"] == "2026-12-02T09:15:37Z" and meta["phenopacketSchemaVersion"] == "2.0"
    assert {r["namespacePrefix"]: r["version"] for r in meta["resources"]} == {
        "HP": "2025-01-16", "MONDO": "unknown", "OMIM": "2025-01-16"}
    assert json.dumps(written) == json.dumps(phenopacket.write(_diagnosis(), labels={"HP:0001250": "Seizure"},
                                                               created=created, versions={"hpo": "2025-01-16"}))


def test_the_input_phenopacket_keeps_its_content_and_gets_dxkbs_interpretations_in_place_of_earlier_ones() -> None:
    given = phenopacket.parse(phenopacket_text(CASE))
    once = phenopacket.write(_diagnosis(), packet=given)
    twice = phenopacket.write(_diagnosis(), packet=json_format.ParseDict(once, Phenopacket()))
    assert once == twice
    original = json_format.MessageToDict(given)
    assert once["phenotypicFeatures"] == original["phenotypicFeatures"] and once["subject"] == original["subject"]
    ids = [i["id"] for i in once["interpretations"]]
    assert ids == [i["id"] for i in original.get("interpretations", [])] + ["dxkb-1", "dxkb-2"]
    assert "MONDO" in {r["namespacePrefix"] for r in once["metaData"]["resources"]}


@pytest.mark.parametrize("years, text", [(0.01, "P4D"), (0.25, "P3M"), (1.0, "P1Y"), (41.99, "P42Y"), (6.5, "P6Y6M")])
def test_durations(years: float, text: str) -> None:
    assert phenopacket.duration(years) == text
    assert phenopacket.years_of(text, "x") == pytest.approx(years, abs=0.02)
