"""The source document's own cases (shared/seed/leukemia-rash.txt), through the real Oxigraph store."""

from __future__ import annotations

import pytest

from dxkb.kb.engine.diagnosis import DiagnosisEngine

from dxkb.kb.engine.types import Diagnosis, Observation, Recommendation, Status, TriageLevel
from dxkb.kb.errors import InputError

from tests.support.vignettes import BLOOD_COUNT, COMMON_CAUSES, LEUKEMIA, MARROW_BIOPSY, RASH, RED_FLAGS, SUSPICIOUS_CBC

P, A = Status.PRESENT, Status.ABSENT


def run(engine: DiagnosisEngine, present: list[str], absent: list[str] = ()) -> Diagnosis:
    observations = [Observation(f, P) for f in present] + [Observation(f, A) for f in absent]
    return engine.diagnose(observations, limit=50)


def probability(d: Diagnosis, disease: str) -> float:
    return next(c.probability for c in d.candidates if c.disease == disease)


def rank(d: Diagnosis, disease: str) -> int:
    return next(c.rank for c in d.candidates if c.disease == disease)


def step_ids(d: Diagnosis) -> list[str]:
    return [n.step.id for n in d.next_steps]


def test_rash_alone_is_almost_always_harmless(engine: DiagnosisEngine) -> None:
    # the seed's case "the rash is the only complaint": the red-flag questions asked and answered ABSENT
    d = run(engine, [RASH], RED_FLAGS)
    assert {c.disease for c in d.candidates[:4]} == COMMON_CAUSES
    assert rank(d, LEUKEMIA) == len(d.candidates)
    assert probability(d, LEUKEMIA) < 0.001
    assert d.recommendation is Recommendation.WATCHFUL_WAITING
    assert d.triage.level is TriageLevel.SELF_CARE
    assert BLOOD_COUNT not in step_ids(d)
    assert MARROW_BIOPSY not in step_ids(d)
    assert d.red_flags == []


def test_rash_with_red_flag_questions_never_asked_asks_them_first(engine: DiagnosisEngine) -> None:
    # sentence 14: "questions should first be answered ... whether there are any other symptoms"
    d = run(engine, [RASH])
    assert {c.disease for c in d.candidates[:4]} == COMMON_CAUSES
    assert probability(d, LEUKEMIA) < 0.001
    assert d.recommendation is Recommendation.ANSWER_QUESTIONS
    assert d.triage.level is TriageLevel.ROUTINE
    assert sorted(d.triage.unanswered) == sorted(RED_FLAGS)
    assert "Watchful waiting" not in [n.step.label for n in d.next_steps]
    assert BLOOD_COUNT not in step_ids(d)


def test_red_flags_raise_leukemia_and_call_for_a_blood_count(engine: DiagnosisEngine) -> None:
    alone = run(engine, [RASH])
    flagged = run(engine, [RASH, *RED_FLAGS])
    assert probability(flagged, LEUKEMIA) > 100 * probability(alone, LEUKEMIA)
    assert step_ids(flagged)[0] == BLOOD_COUNT
    assert flagged.next_steps[0].worth_cost
    assert flagged.recommendation is Recommendation.FURTHER_TESTING
    assert {f.finding for f in flagged.red_flags} == set(RED_FLAGS)
    assert all(f.raises_suspicion_of == LEUKEMIA for f in flagged.red_flags)


def test_suspicious_blood_count_leads_to_bone_marrow_biopsy(engine: DiagnosisEngine) -> None:
    d = run(engine, [RASH, *RED_FLAGS, SUSPICIOUS_CBC])
    assert d.candidates[0].disease == LEUKEMIA
    assert step_ids(d)[0] == MARROW_BIOPSY
    assert BLOOD_COUNT not in step_ids(d)  # its result is known
    assert d.recommendation is Recommendation.FURTHER_TESTING


def test_normal_blood_count_lets_leukemia_fall_back(engine: DiagnosisEngine) -> None:
    flagged = run(engine, [RASH, *RED_FLAGS])
    normal = run(engine, [RASH, *RED_FLAGS], [SUSPICIOUS_CBC])
    assert probability(normal, LEUKEMIA) < probability(flagged, LEUKEMIA) / 5
    assert normal.candidates[0].disease in COMMON_CAUSES
    assert MARROW_BIOPSY not in step_ids(normal)


def test_explicitly_absent_red_flags_lower_leukemia_below_rash_alone(engine: DiagnosisEngine) -> None:
    alone = run(engine, [RASH])
    reassured = run(engine, [RASH], RED_FLAGS)
    assert probability(reassured, LEUKEMIA) < probability(alone, LEUKEMIA)
    assert reassured.recommendation is Recommendation.WATCHFUL_WAITING


@pytest.mark.parametrize("present,absent", [
    ([RASH], []),
    ([RASH, *RED_FLAGS], []),
    ([RASH, RED_FLAGS[0]], []),
    ([RASH], RED_FLAGS),
    ([RASH, *RED_FLAGS], [SUSPICIOUS_CBC]),
    ([RASH, "DXKB:0000104"], []),
])
def test_biopsy_is_never_proposed_before_a_blood_count_result(engine: DiagnosisEngine, present, absent) -> None:
    d = run(engine, present, absent)
    if MARROW_BIOPSY in step_ids(d):
        assert SUSPICIOUS_CBC in present


def test_evidence_names_frequency_likelihood_ratio_and_source(engine: DiagnosisEngine) -> None:
    d = run(engine, [RASH, *RED_FLAGS])
    leukemia = next(c for c in d.candidates if c.disease == LEUKEMIA)
    rash = next(e for e in leukemia.supporting if e.finding == RASH)
    assert rash.frequency == pytest.approx(0.05)
    assert rash.likelihood_ratio == pytest.approx(0.05 / 0.02)
    assert rash.source and rash.source.startswith("https://w3id.org/dxkb/source/leukemia-rash")
    viral = next(c for c in d.candidates if c.disease == "DXKB:0000001")
    assert viral.prior == pytest.approx(0.03) and not viral.prior_is_default
    assert viral.cause_category == "VIRAL_INFECTION"
    assert leukemia.cause_category == "MALIGNANCY"


def test_next_step_rationale_is_plain_language(engine: DiagnosisEngine) -> None:
    d = run(engine, [RASH, *RED_FLAGS])
    first = d.next_steps[0]
    assert "Fatigue" in first.rationale and "bits" in first.rationale
    assert first.expected_information_gain > 0.1


def test_hierarchy_match_counts_a_more_specific_rash(engine: DiagnosisEngine) -> None:
    # Leukemia cutis (DXKB:0000101) is a kind of skin rash: a patient with it is evidence for every disease
    # annotated with skin rash, weighted down by how much more specific it is.
    d = run(engine, ["DXKB:0000101"])
    viral = next(c for c in d.candidates if c.disease == "DXKB:0000001")
    evidence = viral.supporting[0]
    assert evidence.relation == "annotated-broader" and evidence.matched == RASH
    assert evidence.likelihood < 0.9
    # the exact annotation (leukemia cutis) counts fully, the broader ones only in part
    assert probability(d, LEUKEMIA) > probability(run(engine, [RASH]), LEUKEMIA)


def test_empty_input_is_an_error(engine: DiagnosisEngine) -> None:
    with pytest.raises(InputError, match="no findings"):
        engine.diagnose([])


def test_unknown_ids_are_named_with_suggestions_in_strict_mode(engine: DiagnosisEngine) -> None:
    strict = DiagnosisEngine(engine.store, strict_ids=True)
    with pytest.raises(InputError) as info:
        strict.diagnose([Observation("HP:0000989", P), Observation("fatigue", P), Observation(RASH, P)])
    message = str(info.value)
    assert "HP:0000989" in message and "'fatigue'" in message
    assert any("HP:0012378" in s for s in info.value.suggestions["fatigue"])
    assert any("HP:0000988" in s for s in info.value.suggestions["HP:0000989"])


def test_contradictory_status_is_an_error(engine: DiagnosisEngine) -> None:
    with pytest.raises(InputError, match="both as PRESENT and as ABSENT"):
        engine.diagnose([Observation(RASH, P), Observation(RASH, A)])


def test_unknown_ids_are_dropped_with_a_warning_by_default(engine: DiagnosisEngine) -> None:
    d = engine.diagnose([Observation("HP:0000989", P), Observation("fatigue", P), Observation(RASH, P)])
    assert [o.finding for o in d.observations] == [RASH]
    assert [(w.code, w.id) for w in d.warnings] == [("UNKNOWN_ID_DROPPED", "HP:0000989"),
                                                    ("UNKNOWN_ID_DROPPED", "fatigue")]
    assert d.candidates == run(engine, [RASH]).candidates
    with pytest.raises(InputError, match="none of the findings given is known"):
        engine.diagnose([Observation("HP:0000989", P)])
