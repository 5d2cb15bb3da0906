"""FHIR in (kb/exchange/fhir.py): bundles the tests make, read through fhir.resources, and mapped to findings on a
store built with small HPO and loinc2hpo files (LOINC 718-7: L -> Anemia, N -> NOT abnormality of blood)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dxkb.kb.engine.types import Observation, Patient, Sex, Status
from dxkb.kb.errors import InputError
from dxkb.kb.exchange import fhir
from dxkb.kb.service import open_store_at
from dxkb.kb.store.base import Store
from tests.support.exchange import (ANEMIA, BLOOD_ABNORMALITY, HEMOGLOBIN, HPO, LOINC, RASH, RASH_SNOMED, SEIZURE,
                                    SNOMED, bundle, coding, condition, lab, patient, phenotype)


@pytest.fixture(scope="module")
def store(loinc_store: Path) -> Store:
    return open_store_at(str(loinc_store))


def statuses(text: str, store: Store) -> tuple[dict[str, Status], list[str]]:
    observations, warnings, _ = fhir.findings(fhir.read(text), store)
    return {o.finding: o.status for o in observations}, [w.message for w in warnings]


@pytest.mark.parametrize("given, finding, status", [
    ("L", ANEMIA, Status.PRESENT), ("LL", ANEMIA, Status.PRESENT), ("LU", ANEMIA, Status.PRESENT),
    ("N", BLOOD_ABNORMALITY, Status.ABSENT),
])
def test_loinc_results_map_through_loinc2hpo(store: Store, given: str, finding: str, status: Status) -> None:
    found, warnings = statuses(bundle(lab("hb", HEMOGLOBIN, given)), store)
    assert found == {finding: status} and warnings == []


def test_an_interpretation_without_a_mapping_is_listed(store: Store) -> None:
    found, warnings = statuses(bundle(lab("hb", HEMOGLOBIN, "H"), phenotype("sz", HPO, SEIZURE)), store)
    assert found == {SEIZURE: Status.PRESENT}
    assert warnings == ["entry[0] (Observation/hb): loinc2hpo has no mapping of LOINC 718-7 interpreted H (only L, N); "
                        "not used"]


def test_the_interpretation_comes_from_the_reference_range_when_none_is_given(store: Store) -> None:
    def hb(value: float, unit: str = "g/dL") -> dict:
        return lab("hb", HEMOGLOBIN, valueQuantity={"value": value, "unit": unit},
                   referenceRange=[{"low": {"value": 12, "unit": "g/dL"}, "high": {"value": 16, "unit": "g/dL"}}])
    assert statuses(bundle(hb(9.1)), store)[0] == {ANEMIA: Status.PRESENT}
    assert statuses(bundle(hb(13.5)), store)[0] == {BLOOD_ABNORMALITY: Status.ABSENT}
    with pytest.raises(InputError):  # another unit: no interpretation, so nothing maps
        fhir_findings_or_error(bundle(hb(91, "g/L")), store)
    _, warnings = statuses(bundle(hb(91, "g/L"), phenotype("sz", HPO, SEIZURE)), store)
    assert "without an interpretation" in warnings[0]


def fhir_findings_or_error(text: str, store: Store) -> list[Observation]:
    observations, warnings, _ = fhir.findings(fhir.read(text), store)
    if not observations:
        raise InputError("; ".join(w.message for w in warnings))
    return observations


def test_hpo_and_snomed_codes_and_what_the_resource_says_of_them(store: Store) -> None:
    text = bundle(
        phenotype("sz", HPO, SEIZURE),
        condition("rash", SNOMED, RASH_SNOMED, "refuted"),
        phenotype("anemia", "http://human-phenotype-ontology.org", "HP:0001903", valueBoolean=False),
        {"resourceType": "MedicationStatement", "id": "m", "status": "active", "subject": {"reference": "Patient/p"},
         "medicationCodeableConcept": {"text": "ibuprofen"}},
        condition("dm", SNOMED, "44054006"),  # diabetes: a disease, no finding's xref
    )
    found, warnings = statuses(text, store)
    assert found == {SEIZURE: Status.PRESENT, RASH: Status.ABSENT, ANEMIA: Status.ABSENT}
    assert warnings == [
        "entry[3] (MedicationStatement/m): a MedicationStatement: only Observations, Conditions and the Patient are "
        "read; not used",
        "entry[4] (Condition/dm): no finding of this knowledge base for SNOMED CT 44054006; not used"]


def test_coded_answers_and_components(store: Store) -> None:
    text = bundle(
        phenotype("sz", SNOMED, "91175000", valueCodeableConcept=coding(SNOMED, "2667000")),  # seizure: absent
        {"resourceType": "Observation", "id": "panel", "status": "final", "code": coding(LOINC, "58410-2"),
         "component": [{"code": coding(LOINC, HEMOGLOBIN), "interpretation": [coding("x", "L")]}]})
    case = fhir.read(text)
    assert [(s.where, s.interpretation, s.status) for s in case.statements] == [
        ("entry[0]", "NEG", Status.ABSENT), ("entry[1]", None, Status.PRESENT),
        ("entry[1].component[0]", "L", Status.PRESENT)]
    found, warnings = statuses(text, store)
    assert found == {ANEMIA: Status.PRESENT}  # the SNOMED CT seizure code is no xref of the small HPO
    assert any("entry[1] (Observation/panel)" in w for w in warnings)


def test_a_finding_both_present_and_absent_is_present_with_a_warning(store: Store) -> None:
    observations, warnings, sources = fhir.findings(fhir.read(bundle(
        phenotype("a", HPO, SEIZURE), phenotype("b", HPO, SEIZURE, interpretation=[coding("x", "NEG")]))), store)
    assert observations == [Observation(SEIZURE, Status.PRESENT)]
    assert [w.code for w in warnings] == ["CONFLICTING_STATUS"] and sources[SEIZURE] == "entry[0] (Observation/a)"


def test_the_patient_and_ignored_resources() -> None:
    case = fhir.read(bundle(patient("male", "2020-05-01"), phenotype("sz", HPO, SEIZURE),
                            phenotype("old", HPO, ANEMIA, status="entered-in-error")))
    assert case.patient == Patient(age_years=pytest.approx(4.0), sex=Sex.MALE)
    assert [w.message for w in case.warnings] == ["entry[2] (Observation/old): status entered-in-error: ignored; not used"]
    # without the bundle's timestamp the age is taken at the latest date of the resources
    dated = fhir.read(bundle(patient("female", "2000-01-01"), phenotype("sz", HPO, SEIZURE,
                                                                      effectiveDateTime="2010-01-01"), timestamp=None))
    assert dated.patient is not None and dated.patient.age_years == pytest.approx(10.0, abs=0.01)
    undated = fhir.read(bundle(patient("other", "2000-01-01"), phenotype("sz", HPO, SEIZURE), timestamp=None))
    assert undated.patient == Patient(age_years=None, sex=Sex.OTHER)
    assert [w.code for w in undated.warnings] == ["AGE_IGNORED"]


@pytest.mark.parametrize("text, named", [
    ("{bad", "fhir: not valid JSON"),
    ("[]", "fhir: expected a JSON object"),
    (json.dumps({"resourceType": "Patient"}), 'fhir: resourceType: expected "Bundle"'),
    (json.dumps({"type": "collection"}), 'fhir: resourceType: expected "Bundle"'),
    (bundle({"resourceType": "Observatoin", "status": "final"}),
     "fhir: entry[0].resource.resourceType: 'Observatoin' is not a FHIR R4 resource type"),
    (bundle({"resourceType": "Observation", "code": coding(LOINC, HEMOGLOBIN)}),
     "fhir: entry[0].resource.status: value for the field 'status' is required"),
    (bundle(lab("hb", HEMOGLOBIN, valueQuantity={"value": "low"})), "fhir: entry[0].resource.valueQuantity.value: "),
    (bundle({"resourceType": "Observation", "status": "final", "code": {"coding": [{"code": 5}]}}),
     "fhir: entry[0].resource.code.coding[0].code: input should be a valid string"),
    (bundle(lab("hb", HEMOGLOBIN, "L", bogus=1)), "fhir: entry[0].resource.bogus: extra inputs are not permitted"),
    (bundle(patient("female", "2030-01-01"), phenotype("sz", HPO, SEIZURE)), "fhir: Patient/p.birthDate: after"),
])
def test_bad_input_is_an_input_error_naming_the_field(text: str, named: str) -> None:
    with pytest.raises(InputError) as raised:
        fhir.read(text)
    assert str(raised.value).startswith(named), str(raised.value)
    assert "\n" not in str(raised.value)
