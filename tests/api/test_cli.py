"""The `dxkb` command as users run it: real processes, one-line errors, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest


DXKB = [sys.executable, "-m", "dxkb.api.cli"]


def dxkb(*args: str, store: Path | str | None = None) -> subprocess.CompletedProcess:
    command = DXKB + list(args) + (["--store", str(store)] if store is not None else [])
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def assert_one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error:"), result.stderr
    text = " ".join(result.stderr.split())
    for fragment in fragments:
        assert fragment in text, text


@pytest.fixture
def query_file(tmp_path: Path) -> Path:
    path = tmp_path / "causes.rq"
    path.write_text("""PREFIX dxkb: <https://w3id.org/dxkb/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?disease ?label WHERE { ?a dxkb:finding <http://purl.obolibrary.org/obo/HP_0000988> ; dxkb:disease ?disease .
  ?disease rdfs:label ?label } ORDER BY ?label""", encoding="utf-8")
    return path


def test_query_formats(curated_store: Path, query_file: Path) -> None:
    as_json = json.loads(dxkb("query", str(query_file), "--format", "json", store=curated_store).stdout)
    assert {r["label"] for r in as_json} >= {"Leukemia", "Viral exanthem"}
    as_csv = list(csv.DictReader(io.StringIO(dxkb("query", str(query_file), "--format", "csv", store=curated_store).stdout)))
    assert [r["label"] for r in as_csv] == [r["label"] for r in as_json]
    table = dxkb("query", str(query_file), store=curated_store)
    assert table.returncode == 0 and "Leukemia" in table.stdout


def test_ask_and_construct(curated_store: Path, tmp_path: Path) -> None:
    ask = tmp_path / "ask.rq"
    ask.write_text("ASK { <http://purl.obolibrary.org/obo/HP_0000988> ?p ?o }", encoding="utf-8")
    assert json.loads(dxkb("query", str(ask), "--format", "json", store=curated_store).stdout) == [{"ask": True}]
    construct = tmp_path / "construct.rq"
    construct.write_text("CONSTRUCT { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } WHERE "
                         "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 3", encoding="utf-8")
    result = dxkb("query", str(construct), store=curated_store)
    assert result.returncode == 0 and "rdfs:label" in result.stdout


def test_diagnose_json(curated_store: Path) -> None:
    result = dxkb("diagnose", "--present", "HP:0000988", "--absent", "HP:0001824", "--absent", "HP:0012378",
                  "--unknown", "HP:0002719", "--json", store=curated_store)
    data = json.loads(result.stdout)
    assert data["recommendation"] == "WATCHFUL_WAITING" and data["triage"]["level"] == "SELF_CARE"
    assert data["coverage"]["curated"] and 0 < data["otherCausesProbability"] < 1
    assert data["candidates"][0]["disease"] in {"DXKB:0000001", "DXKB:0000004"}
    assert "not a diagnosis" in data["disclaimer"]


def test_diagnose_table_shows_the_red_flag_case(curated_store: Path) -> None:
    result = dxkb("diagnose", "-p", "HP:0000988", "-p", "HP:0012378", "-p", "HP:0001824", "-p", "HP:0002719",
                  store=curated_store)
    assert result.returncode == 0
    assert "FURTHER_TESTING" in result.stdout and "Complete blood count" in result.stdout


def test_diagnose_age_flag_changes_the_triage(curated_store: Path) -> None:
    infant = json.loads(dxkb("diagnose", "-p", "HP:0001945", "--age", "0.1", "--json", store=curated_store).stdout)
    adult = json.loads(dxkb("diagnose", "-p", "HP:0001945", "--age", "30", "--sex", "male", "--json",
                            store=curated_store).stdout)
    assert infant["triage"]["level"] == "EMERGENCY" and infant["recommendation"] == "EMERGENCY_CARE"
    assert adult["triage"]["level"] == "ROUTINE"
    assert adult["patient"] == {"ageYears": 30.0, "sex": "MALE", "setting": "PRIMARY_CARE"}
    assert_one_line_error(dxkb("diagnose", "-p", "HP:0001945", "--age", "-1", store=curated_store), "ageYears")
    assert_one_line_error(dxkb("diagnose", "-p", "HP:0001945", "--sex", "x", store=curated_store), "patient.sex")


def test_diagnose_setting_flag(curated_store: Path) -> None:
    rare = json.loads(dxkb("diagnose", "-p", "HP:0001945", "--setting", "rare_disease", "--json",
                           store=curated_store).stdout)
    assert rare["patient"]["setting"] == "RARE_DISEASE" and rare["otherCausesProbability"] == 0.0
    assert "Rare-disease setting" in rare["explanation"]
    assert_one_line_error(dxkb("diagnose", "-p", "HP:0001945", "--setting", "genetics", store=curated_store),
                          "--setting")


def test_missing_query_file(curated_store: Path) -> None:
    assert_one_line_error(dxkb("query", "/nonexistent/q.rq", store=curated_store), "query file not found")


def test_malformed_sparql(curated_store: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.rq"
    bad.write_text("SELECT ?x WHERE { ?x ?y ", encoding="utf-8")
    assert_one_line_error(dxkb("query", str(bad), store=curated_store), "malformed SPARQL", "bad.rq")


def test_unknown_store_path(query_file: Path, tmp_path: Path) -> None:
    assert_one_line_error(dxkb("query", str(query_file), store=tmp_path / "nowhere"), "does not exist")


def test_empty_store_folder(query_file: Path, tmp_path: Path) -> None:
    assert_one_line_error(dxkb("query", str(query_file), store=tmp_path), "no built knowledge base")


def test_malformed_turtle_module(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("this is not turtle", encoding="utf-8")
    assert_one_line_error(dxkb("build", "--quiet", "--module", str(bad), store=tmp_path / "s"), "malformed Turtle", "bad.ttl")


def test_missing_module(tmp_path: Path) -> None:
    assert_one_line_error(dxkb("build", "--quiet", "--module", str(tmp_path / "x.ttl"), store=tmp_path / "s"),
                          "module not found")


def test_unknown_finding_ids(curated_store: Path) -> None:
    assert_one_line_error(dxkb("diagnose", "--present", "HP:9999999", "--present", "rash", store=curated_store),
                          "unknown finding ID", "HP:9999999", "HP:0000988")


def test_no_findings(curated_store: Path) -> None:
    assert_one_line_error(dxkb("diagnose", store=curated_store), "no findings")


def test_bad_setting_in_environment(curated_store: Path, query_file: Path) -> None:
    import os

    env = {**os.environ, "DXKB_PORT": "eighty"}
    result = subprocess.run(DXKB + ["query", str(query_file), "--store", str(curated_store)], capture_output=True,
                            text=True, env=env, timeout=60)
    assert_one_line_error(result, "DXKB_PORT")


def test_unsupported_store_scheme(query_file: Path) -> None:
    assert_one_line_error(dxkb("query", str(query_file), store="ftp://example.org/sparql"), "unsupported store location")
