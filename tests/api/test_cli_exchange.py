"""`dxkb diagnose --phenopacket / --fhir / --as-phenopacket` (api/cli.py) as users run them: real processes on the
curated store, the same candidates as the equivalent --present/--absent call, one-line errors naming the field."""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import json_format
from phenopackets import Phenopacket

from tests.api.test_cli import assert_one_line_error, dxkb
from tests.support.exchange import HPO, RASH, RASH_SNOMED, SNOMED, bundle, condition, patient, phenotype

FEVER = "HP:0001945"
PACKET = {"id": "rash-case", "subject": {"id": "p1", "sex": "FEMALE",
                                         "timeAtLastEncounter": {"age": {"iso8601duration": "P30Y"}}},
          "phenotypicFeatures": [{"type": {"id": RASH, "label": "Skin rash"}},
                                 {"type": {"id": FEVER, "label": "Fever"}, "excluded": True}],
          "metaData": {"created": "2024-01-01T00:00:00Z", "createdBy": "test", "phenopacketSchemaVersion": "2.0"}}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def candidates(stdout: str) -> list[tuple[str, float]]:
    return [(c["disease"], c["probability"]) for c in json.loads(stdout)["candidates"]]


def test_a_phenopacket_and_a_fhir_bundle_give_the_candidates_of_the_equivalent_call(curated_store: Path,
                                                                                   tmp_path: Path) -> None:
    direct = dxkb("diagnose", "--present", RASH, "--absent", FEVER, "--age", "30", "--sex", "FEMALE", "--json",
                  store=curated_store)
    assert direct.returncode == 0, direct.stderr
    packet = dxkb("diagnose", "--phenopacket", str(write(tmp_path, "case.json", json.dumps(PACKET))), "--json",
                  store=curated_store)
    assert packet.returncode == 0, packet.stderr
    assert candidates(packet.stdout) == candidates(direct.stdout) and candidates(direct.stdout)
    text = bundle(patient("female", "1994-05-01"), condition("rash", SNOMED, RASH_SNOMED),
                  phenotype("fever", HPO, FEVER, valueBoolean=False))
    fhir = dxkb("diagnose", "--fhir", str(write(tmp_path, "bundle.json", text)), "--json", store=curated_store)
    assert fhir.returncode == 0, fhir.stderr
    assert candidates(fhir.stdout) == candidates(direct.stdout)
    assert json.loads(fhir.stdout)["warnings"] == []


def test_the_result_as_a_phenopacket(curated_store: Path, tmp_path: Path) -> None:
    source = write(tmp_path, "case.json", json.dumps(PACKET))
    first = dxkb("diagnose", "--phenopacket", str(source), "--json", "--as-phenopacket", "--limit", "3",
                 store=curated_store)
    assert first.returncode == 0, first.stderr
    written = json.loads(first.stdout)
    packet = json_format.ParseDict(written, Phenopacket())  # the schema understands it
    assert packet.id == "rash-case" and packet.meta_data.created_by == "test"
    assert [i.id for i in packet.interpretations] == ["dxkb-1", "dxkb-2", "dxkb-3"]
    assert second_run_is_the_same(curated_store, source, first.stdout)
    made = dxkb("diagnose", "--present", RASH, "--as-phenopacket", store=curated_store)
    assert made.returncode == 0, made.stderr
    made_packet = json.loads(made.stdout)
    assert made_packet["phenotypicFeatures"] == [{"type": {"id": RASH, "label": "Skin rash"}}]
    assert made_packet["metaData"]["createdBy"] == "dxkb" and made_packet["metaData"]["created"]


def second_run_is_the_same(store: Path, source: Path, stdout: str) -> bool:
    again = dxkb("diagnose", "--phenopacket", str(source), "--json", "--as-phenopacket", "--limit", "3", store=store)
    return again.stdout == stdout


def test_unmapped_resources_are_warned_about_on_stderr(curated_store: Path, tmp_path: Path) -> None:
    text = bundle(condition("rash", SNOMED, RASH_SNOMED), condition("dm", SNOMED, "44054006"))
    result = dxkb("diagnose", "--fhir", str(write(tmp_path, "bundle.json", text)), store=curated_store)
    assert result.returncode == 0, result.stderr
    assert "warning: entry[1] (Condition/dm): no finding of this knowledge base for SNOMED CT 44054006" in " ".join(
        result.stderr.split())


def test_bad_documents_and_options_are_one_line_errors(curated_store: Path, tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.json", '{"phenotypicFeatures": [{"type": {"id": "HP:0000988"}, "excluded": "no"}]}')
    assert_one_line_error(dxkb("diagnose", "--phenopacket", str(bad), store=curated_store),
                          "phenopacket: phenotypicFeatures[0].excluded")
    not_json = write(tmp_path, "bundle.json", "{")
    assert_one_line_error(dxkb("diagnose", "--fhir", str(not_json), store=curated_store), "fhir: not valid JSON")
    assert_one_line_error(dxkb("diagnose", "--fhir", str(tmp_path / "missing.json"), store=curated_store),
                          "FHIR bundle file not found")
    assert_one_line_error(dxkb("diagnose", "--fhir", str(not_json), "--phenopacket", str(bad), store=curated_store),
                          "give one document, not both")
    assert_one_line_error(dxkb("diagnose", "--phenopacket", str(bad), "--present", RASH, store=curated_store),
                          "leave out --present")
