"""The researcher example queries (queries/examples/*.rq) return what a researcher expects, through the endpoint."""

from __future__ import annotations

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

from dxkb.api.sparql.examples import load_examples, parse_header

HP = "http://purl.obolibrary.org/obo/HP_"
MONDO = "http://purl.obolibrary.org/obo/MONDO_"
DXKB = "https://w3id.org/dxkb/DXKB_"


def example(name: str) -> str:
    return next(e.query for e in load_examples() if e.name == name)


def select(server, query: str) -> list[dict[str, str]]:
    response = httpx.post(server.sparql, data={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in b.items()} for b in response.json()["results"]["bindings"]]


def test_every_example_has_a_header_and_runs(sparql_server):
    examples = load_examples()
    assert len(examples) >= 7
    for item in examples:
        assert item.title and item.purpose and item.parameters and item.columns, item.name
        response = httpx.post(sparql_server.sparql, data={"query": item.query},
                              headers={"Accept": "application/sparql-results+json, text/turtle;q=0.9"})
        assert response.status_code == 200, f"{item.name}: {response.text}"


def test_header_continuation_lines_are_joined():
    header = parse_header("# Title: T\n# Purpose: first line\n#   second line\n# Parameters: none.\nSELECT")
    assert header == {"title": "T", "purpose": "first line second line", "parameters": "none."}


def test_causes_of_skin_rash(sparql_server):
    rows = select(sparql_server, example("01_causes_of_finding"))
    direct = {r["disease"]: r for r in rows if r["annotatedFinding"] == HP + "0000988"}
    assert direct[MONDO + "0005059"]["frequency"] == "0.05"
    assert direct[MONDO + "0005059"]["categories"] == "malignancy"
    assert DXKB + "0000001" in direct  # viral exanthem
    assert float(direct[DXKB + "0000001"]["frequency"]) == pytest.approx(0.9)
    assert {"infection", "viral infection"} == set(direct[DXKB + "0000001"]["categories"].split(", "))
    # a more specific finding counts too: leukemia cutis is a skin rash
    assert any(r["annotatedFinding"] == DXKB + "0000101" and r["disease"] == MONDO + "0005059" for r in rows)
    frequencies = [float(r["frequency"]) for r in rows]
    assert frequencies == sorted(frequencies, reverse=True)


def test_diagnostic_pathway_of_leukemia(sparql_server):
    rows = select(sparql_server, example("02_diagnostic_pathway"))
    steps = [r["step"] for r in rows]
    assert steps.index(DXKB + "0000203") < steps.index(DXKB + "0000204")  # blood count before bone marrow biopsy
    marrow = rows[steps.index(DXKB + "0000204")]
    assert marrow["kind"] == "BIOPSY" and marrow["condition"] == "ANY"
    assert marrow["requires"] == "Blood count suspicious for leukemia"
    assert "Bone marrow findings diagnostic of leukemia" in marrow["reveals"]
    blood_count = rows[steps.index(DXKB + "0000203")]
    assert set(blood_count["requires"].split("; ")) == {"Fatigue", "Weight loss", "Recurrent infections"}
    orders = [int(r["order"]) for r in rows]
    assert orders == sorted(orders)


def test_red_flags_of_skin_rash(sparql_server):
    rows = select(sparql_server, example("03_red_flags"))
    assert {r["redFlag"] for r in rows} == {HP + "0012378", HP + "0001824", HP + "0002719", DXKB + "0000102"}
    assert all(r["suspicion"] == MONDO + "0005059" and r["sentence"] for r in rows)


def test_provenance_of_an_association(sparql_server):
    rows = select(sparql_server, example("04_provenance"))
    assert len(rows) == 1
    row = rows[0]
    assert row["sentence"] == "However, even if leukemia is present, a skin rash rarely occurs."
    assert row["sentenceNumber"] == "10"
    assert row["value"] == "0.05"
    assert row["rationale"].startswith("'Even if leukemia is present")
    assert row["documentTitle"] == "Leukemia rash"


def test_provenance_shows_a_citation_where_there_is_one(sparql_server):
    query = example("04_provenance").replace("DXKB:assoc-leukemia-rash }", "DXKB:assoc-leukemia-cutis }")
    rows = select(sparql_server, query)
    assert rows[0]["citation"].startswith("Cho-Vega JH")


def test_disease_profile_lists_findings_by_frequency(sparql_server):
    rows = select(sparql_server, example("05_disease_profile"))
    assert rows[0]["frequency"] == "0.95"
    assert {r["finding"] for r in rows} >= {HP + "0000988", DXKB + "0000102", DXKB + "0000105"}


def test_cause_categories_come_from_the_reasoner(sparql_server):
    rows = select(sparql_server, example("06_cause_categories"))
    pairs = {(r["categoryCode"], r["disease"]) for r in rows}
    assert ("MALIGNANCY", MONDO + "0005059") in pairs
    assert ("INFECTION", DXKB + "0000001") in pairs and ("VIRAL_INFECTION", DXKB + "0000001") in pairs


def test_disease_graph_construct(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": example("07_disease_graph"), "format": "turtle"})
    graph = Graph().parse(data=response.text, format="turtle")
    assert (URIRef(MONDO + "0005059"), RDFS.label, Literal("Leukemia")) in graph
    assert len(graph) > 50


def test_causes_of_a_presenting_complaint(sparql_server):
    rows = select(sparql_server, example("08_causes_of_complaint"))
    by_cause = {r["cause"]: r for r in rows}
    strep = by_cause[DXKB + "0011010"]  # streptococcal pharyngitis among people presenting with a sore throat
    assert strep["causeLabel"] == "Streptococcal pharyngitis" and strep["cantMiss"] == "false"
    assert 0 < float(strep["share"]) < 1 and 0 < float(strep["prior"]) < float(strep["share"])
    assert strep["citation"] and strep["rationale"]
    assert any(r["cantMiss"] == "true" for r in rows)  # peritonsillar abscess, epiglottitis
    shares = [float(r["share"]) for r in rows]
    assert shares == sorted(shares, reverse=True) and sum(shares) <= 1
