"""Property-based tests of the ranking (hypothesis), on the real curated store."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dxkb.kb.store import queries as sparql
from dxkb.kb.vocab import to_curie, to_iri
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import Observation, Status

FINDINGS = ["HP:0000988", "HP:0012378", "HP:0001824", "HP:0002719", "HP:0001871",
            "DXKB:0000101", "DXKB:0000102", "DXKB:0000103", "DXKB:0000104", "DXKB:0000105"]
RASH = "HP:0000988"

observation_sets = st.dictionaries(st.sampled_from(FINDINGS), st.sampled_from(list(Status)), min_size=1, max_size=7).filter(
    lambda m: any(s is not Status.UNKNOWN for s in m.values()))  # at least one finding stated PRESENT or ABSENT
common = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _observations(mapping: dict[str, Status]) -> list[Observation]:
    return [Observation(f, s) for f, s in mapping.items()]


@common
@given(observation_sets)
def test_probabilities_are_in_range_and_sum_to_at_most_one(engine: DiagnosisEngine, mapping) -> None:
    d = engine.diagnose(_observations(mapping), limit=100)
    assert all(0.0 <= c.probability <= 1.0 for c in d.candidates)
    assert sum(c.probability for c in d.candidates) <= 1.0 + 1e-9
    assert [c.rank for c in d.candidates] == list(range(1, len(d.candidates) + 1))
    assert all(a.probability >= b.probability for a, b in zip(d.candidates, d.candidates[1:]))
    assert all(n.expected_information_gain >= 0 for n in d.next_steps)


@common
@given(observation_sets, st.randoms(use_true_random=False))
def test_result_does_not_depend_on_input_order(engine: DiagnosisEngine, mapping, rnd) -> None:
    observations = _observations(mapping)
    shuffled = observations[:]
    rnd.shuffle(shuffled)
    a, b = engine.diagnose(observations, limit=100), engine.diagnose(shuffled + shuffled[:1], limit=100)
    assert [(c.disease, c.probability) for c in a.candidates] == [(c.disease, c.probability) for c in b.candidates]
    assert [n.step.id for n in a.next_steps] == [n.step.id for n in b.next_steps]
    assert a.recommendation == b.recommendation


def _annotated(engine: DiagnosisEngine, disease_curie: str, finding: str) -> bool:
    """Does any annotation of the disease match the finding through the hierarchy (either direction)?"""
    from rdflib import URIRef

    from dxkb.kb.vocab import to_iri

    rows = sparql.select(engine.store, "candidates", values={("observed",): [(URIRef(to_iri(finding)),)]})
    return any(to_curie(r["disease"]) == disease_curie for r in rows)


def _has_negations(engine: DiagnosisEngine, finding: str) -> bool:
    from rdflib import URIRef

    from dxkb.kb.vocab import to_iri

    rows = sparql.select(engine.store, "candidates", values={("observed",): [(URIRef(to_iri(finding)),)]})
    return any(r["negated"] for r in rows)


@common
@given(observation_sets.map(lambda m: {**m, RASH: Status.PRESENT}), st.sampled_from(FINDINGS))
def test_adding_a_finding_a_disease_does_not_have_never_raises_it(engine: DiagnosisEngine, mapping, extra) -> None:
    if extra in mapping or _has_negations(engine, extra):
        return  # NOT annotations of other diseases legitimately shift mass (documented in the README)
    lineage = engine.retrieval.ancestors([str(to_iri(extra))])[str(to_iri(extra))]
    if any(str(to_iri(f)) in lineage for f, status in mapping.items() if status is Status.PRESENT):
        return  # a more specific finding replaces its PRESENT ancestor (it is implied): not a finding added
    before = engine.diagnose(_observations(mapping), limit=100)
    after = engine.diagnose(_observations({**mapping, extra: Status.PRESENT}), limit=100)
    after_p = {c.disease: c.probability for c in after.candidates}
    for candidate in before.candidates:
        if not _annotated(engine, candidate.disease, extra):
            assert after_p.get(candidate.disease, 0.0) <= candidate.probability + 1e-12


@common
@given(observation_sets.map(lambda m: {**m, RASH: Status.PRESENT}), st.lists(st.sampled_from(FINDINGS), max_size=3))
def test_unknown_answers_change_no_probability(engine: DiagnosisEngine, mapping, asked) -> None:
    """UNKNOWN (asked, not known) weighs exactly as if the finding had never been asked."""
    unasked = [f for f in dict.fromkeys(asked) if f not in mapping]
    before = engine.diagnose(_observations(mapping), limit=100)
    after = engine.diagnose(_observations({**mapping, **{f: Status.UNKNOWN for f in unasked}}), limit=100)
    assert [(c.disease, c.probability) for c in after.candidates] == [(c.disease, c.probability)
                                                                      for c in before.candidates]


@given(mapping=observation_sets)
@common
def test_a_diagnosis_without_evidence_differs_only_in_the_evidence(engine: DiagnosisEngine, mapping) -> None:
    obs = _observations(mapping)
    full = engine.diagnose(obs, limit=20)
    bare = engine.diagnose(obs, limit=20, evidence=False)
    assert all(not c.supporting and not c.opposing for c in bare.candidates)
    strip = [(c.disease, c.label, c.probability, c.rank, c.cause_category) for c in full.candidates]
    assert strip == [(c.disease, c.label, c.probability, c.rank, c.cause_category) for c in bare.candidates]
    assert (full.recommendation, full.triage, full.explanation, full.next_steps, full.next_questions) == \
        (bare.recommendation, bare.triage, bare.explanation, bare.next_steps, bare.next_questions)


@given(mapping=observation_sets)
@common
def test_a_diagnosis_without_questions_differs_only_in_the_questions(engine: DiagnosisEngine, mapping) -> None:
    obs = _observations(mapping)
    full = engine.diagnose(obs, limit=20)
    bare = engine.diagnose(obs, limit=20, questions=False)
    assert bare.next_questions == []
    # the only other difference: the stop reason, when no question is worth asking
    assert full.explanation == bare.explanation or (not full.next_questions and
                                                    full.explanation.startswith(bare.explanation + " No question"))
    assert [(c.disease, c.probability, c.rank, len(c.supporting)) for c in full.candidates] == \
        [(c.disease, c.probability, c.rank, len(c.supporting)) for c in bare.candidates]
    assert (full.recommendation, full.triage, full.next_steps, full.red_flags, full.warnings) == \
        (bare.recommendation, bare.triage, bare.next_steps, bare.red_flags, bare.warnings)


@given(mapping=observation_sets)
@common
def test_the_ranking_arrays_are_the_ranked_candidates(engine: DiagnosisEngine, mapping) -> None:
    obs = _observations(mapping)
    candidates = engine.rank(obs)
    ranking = engine.ranking(obs)
    assert ranking.diseases == [c.disease for c in candidates]
    assert ranking.probabilities.tolist() == [c.probability for c in candidates]
    assert ranking.scores.tolist() == [c.score for c in candidates]
    assert ranking.log_priors.tolist() == [math.log(c.prior) for c in candidates]
    assert math.fsum(ranking.probabilities.tolist()) + ranking.other_causes_probability == pytest.approx(1.0)
