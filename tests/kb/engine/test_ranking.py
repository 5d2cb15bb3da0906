"""The array ranking (kb/engine/ranking.py) gives every disease the score the model defines disease by disease:
ln prior + (1/T) x [sum of scoring.term over the stated findings (each with the finding's background rate in that
disease) + the unreported-feature term], on the real HPO
build (broad and specific findings, excluded ones, NOT annotations reached through the hierarchy)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dxkb.kb.engine import model, nextsteps, scoring
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.service import open_store_at
from dxkb.kb.vocab import to_iri

CASES = [
    [("HP:0001250", True), ("HP:0001263", True), ("HP:0000098", False)],  # seizure, delay; tall stature excluded
    [("HP:0000311", True), ("HP:0001387", True), ("HP:0001382", False), ("HP:0001634", False)],
    [("HP:0000988", True), ("HP:0012378", True)],  # the curated rash module with an HPO finding
    [("HP:0000988", True), ("HP:0012378", False)],  # ... its work-up's question answered ABSENT (a work-up result)
    [("HP:0012378", False), ("HP:0001250", True)],  # the same finding ABSENT outside that work-up (a case report's)
    [("HP:0000707", False), ("HP:0000478", True)],  # broad terms: nervous system excluded, eye abnormality
]


@pytest.fixture(scope="module")
def hpo_engine(hpo_store: Path) -> DiagnosisEngine:
    return DiagnosisEngine(open_store_at(str(hpo_store)))


def definition_scores(engine: DiagnosisEngine, keys: list[tuple[str, bool]]) -> dict[str, float]:
    """Disease IRI -> score, one disease at a time from the matches (the model as README "The model" states it)."""
    retrieval = engine.retrieval
    table = retrieval.table()
    present = [f for f, p in keys if p]
    closure = set().union(*retrieval.ancestors(present).values()) if present else set()
    own = {f for f in retrieval.pending_results() if f.startswith("https://w3id.org/dxkb/DXKB_")}
    worked_up = nextsteps.workup_questions(retrieval, closure) | own  # as DiagnosisEngine.workup_results
    pending = retrieval.pending_results()
    matches = retrieval.matches([f for f, _ in keys])
    scores = {}
    for i, disease in enumerate(table.iris):
        by_observed = matches.get(disease, {})
        likelihood = math.fsum(scoring.term(by_observed.get(f), p, f in worked_up,
                                            scoring.disease_background(retrieval.share(f), table.priors[i][2]),
                                            any_narrower=table.priors[i][2]).log
                               for f, p in keys)
        mentioned = {m.annotated for found in by_observed.values() for m in found if not m.negated}
        if not table.priors[i][2]:  # a curated disease: its pending test results are not unreported
            mentioned |= pending & table.terms[i].keys()
        likelihood += scoring.unreported(table.totals[i], table.terms[i], mentioned)
        scores[disease] = table.log_priors[i] + likelihood / model.TEMPERATURE
    return scores


@pytest.mark.parametrize("case", CASES)
def test_array_scores_equal_the_per_disease_definition(hpo_engine: DiagnosisEngine, case) -> None:
    keys = [(str(to_iri(f)), present) for f, present in case]
    table = hpo_engine.retrieval.table()
    expected = definition_scores(hpo_engine, keys)
    present = [f for f, p in keys if p]
    closure = set().union(*hpo_engine.retrieval.ancestors(present).values()) if present else set()
    results = hpo_engine.workup_results(nextsteps.workup_questions(hpo_engine.retrieval, closure))
    scores, reached = hpo_engine.ranker.scores(keys, (), results)
    assert len(scores) == len(table.iris) > 10_000
    worst = max(abs(scores[i] - expected[d]) for i, d in enumerate(table.iris))
    assert worst < 1e-9, worst
    present = [f for f, p in keys if p]
    matches = hpo_engine.retrieval.matches(present)
    by_positive = {d for d, found in matches.items() if any(not m.negated for ms in found.values() for m in ms)}
    assert {table.iris[i] for i in reached.tolist()} == by_positive & set(table.iris)


def test_columns_are_cached_and_bounded(hpo_engine: DiagnosisEngine) -> None:
    finding = str(to_iri("HP:0001250"))
    first = hpo_engine.ranker.column(finding)
    assert hpo_engine.ranker.column(finding) is first
    assert len(first.reached) > 1000 and first.nbytes > 0
