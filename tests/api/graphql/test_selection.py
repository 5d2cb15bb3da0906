"""`diagnose` computes the candidates' evidence only when the query selects it (api/graphql/resolvers.py
EVIDENCE_FIELDS): a query without `supporting`/`opposing` gets the same ranking, and one that selects them - as a
field, through a named fragment or an inline fragment - always gets them, even after the same findings were
diagnosed without evidence (the service caches the two apart). Likewise the next questions (QUESTION_FIELDS). On
the real server with the curated store."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.servers import GraphQLClient
from tests.support.vignettes import LEUKEMIA, RASH, RED_FLAGS

FINDINGS = [{"id": f, "status": "PRESENT"} for f in (RASH, *RED_FLAGS)]
PLAIN = """query($f: [FindingInput!]!, $n: Int) { diagnose(input: {findings: $f, limit: $n}) {
  recommendation candidates { rank probability disease { id } } } }"""
EVIDENCE = {
    "field": """query($f: [FindingInput!]!, $n: Int) { diagnose(input: {findings: $f, limit: $n}) {
      recommendation candidates { rank probability disease { id } supporting { finding { id } source } } } }""",
    "fragment": """query($f: [FindingInput!]!, $n: Int) { diagnose(input: {findings: $f, limit: $n}) {
      recommendation candidates { ...Why } } }
      fragment Why on Candidate { rank probability disease { id } supporting { finding { id } source } }""",
    "inline": """query($f: [FindingInput!]!, $n: Int) { diagnose(input: {findings: $f, limit: $n}) {
      recommendation candidates { ... on Candidate { rank probability disease { id }
      supporting { finding { id } source } } } } }""",
}


def ranking(d: dict[str, Any]) -> list[tuple[int, float, str]]:
    return [(c["rank"], c["probability"], c["disease"]["id"]) for c in d["candidates"]]


@pytest.mark.parametrize("form", sorted(EVIDENCE))
def test_evidence_is_computed_exactly_when_selected(gql: GraphQLClient, form: str) -> None:
    limit = 5 + sorted(EVIDENCE).index(form)  # each form its own cache entry: no answer computed for another
    plain = gql.data(PLAIN, {"f": FINDINGS, "n": limit})["diagnose"]
    full = gql.data(EVIDENCE[form], {"f": FINDINGS, "n": limit})["diagnose"]
    assert ranking(full) == ranking(plain) and full["recommendation"] == plain["recommendation"]
    leukemia = next(c for c in full["candidates"] if c["disease"]["id"] == LEUKEMIA)
    assert {e["finding"]["id"] for e in leukemia["supporting"]} == {RASH, *RED_FLAGS}
    assert all(e["source"] for e in leukemia["supporting"])


QUESTIONS = """query($f: [FindingInput!]!, $n: Int) { diagnose(input: {findings: $f, limit: $n}) {
  recommendation candidates { rank probability disease { id } } nextQuestions { finding { id } } } }"""


def test_next_questions_are_computed_when_selected_even_after_a_diagnosis_without_them(gql: GraphQLClient) -> None:
    # a rash alone: the interview asks the source document's red flags; a query without nextQuestions and
    # explanation skips the interview, and the service does not answer a later query that selects them from it
    rash = [{"id": RASH, "status": "PRESENT"}]
    plain = gql.data(PLAIN, {"f": rash, "n": 9})["diagnose"]
    asked = gql.data(QUESTIONS, {"f": rash, "n": 9})["diagnose"]
    assert ranking(asked) == ranking(plain) and asked["recommendation"] == plain["recommendation"]
    assert {q["finding"]["id"] for q in asked["nextQuestions"]} >= set(RED_FLAGS)
