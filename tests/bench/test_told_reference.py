"""Protocol item 10 of bench/interview: the asker told the true disease, and the bands of where cases start."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.interview.run import START_BANDS, TOLD, Interview, start_band, told_reference

MARFAN = "OMIM:154700"
ARACHNODACTYLY = "HP:0001166"
SKELETAL = "HP:0000924"  # abnormality of the skeletal system


@pytest.fixture(scope="module")
def interview(hpo_store: Path) -> Interview:
    return Interview(hpo_store)


def frequencies(interview: Interview, disease: str) -> dict[str, float]:
    from dxkb.kb.vocab import to_curie, to_iri

    iri = str(to_iri(disease))
    return {to_curie(f): p for f, p in interview.engine.observability.features([iri])[iri].items()}


def test_the_told_asker_asks_the_diseases_most_frequent_features_first(interview: Interview) -> None:
    frequency = frequencies(interview, MARFAN)
    answers = {ARACHNODACTYLY: "PRESENT"}
    implied = interview.closure([ARACHNODACTYLY])[ARACHNODACTYLY]
    asked = []
    for _ in range(4):
        obs, _ranked = interview.state(answers)
        question = interview.told_question(obs, MARFAN)
        assert question is not None and question in frequency and question not in set(answers) | implied
        left = [c for c in frequency if c not in answers and c not in implied and c in interview.engine.findings]
        assert frequency[question] == max(frequency[c] for c in left)
        assert question == min(c for c in left if frequency[c] == frequency[question])  # ties by ID
        asked.append(question)
        answers[question] = "UNKNOWN"
    assert len(set(asked)) == 4


def test_nothing_under_an_absent_finding_nor_implied_by_a_present_one(interview: Interview) -> None:
    frequency = frequencies(interview, MARFAN)
    skeletal = {c for c in frequency if SKELETAL in interview.closure([c])[c]}
    assert skeletal  # Marfan syndrome has skeletal features (arachnodactyly, tall stature, ...)
    answers = {SKELETAL: "ABSENT", "HP:0001083": "PRESENT"}  # ectopia lentis
    for _ in range(5):
        obs, _ranked = interview.state(answers)
        question = interview.told_question(obs, MARFAN)
        assert question is not None and question not in skeletal
        answers[question] = "PRESENT"
    obs, _ranked = interview.state(answers)
    implied = set().union(*interview.closure(list(answers)).values())
    assert interview.told_question(obs, MARFAN) not in implied


def result(start: int | None, end: int | None, told_end: int | None, cohort: str = "c") -> dict:
    return {"cohort": cohort, "dxkb": {"ranks": [start, end], "asked": [("HP:1", "UNKNOWN")]},
            "baseline": {"ranks": [start, start], "asked": []},
            TOLD: {"ranks": [start, told_end], "asked": [("HP:2", "PRESENT"), ("HP:3", "ABSENT")]}}


def test_start_bands() -> None:
    assert [start_band(r) for r in (1, 10, 11, 50, 51, None)] == [START_BANDS[0]] * 2 + [START_BANDS[1]] * 2 + [
        START_BANDS[2]] * 2


def test_the_told_reference_counts_by_start_band_and_keeps_dxkb_beyond_the_top_50() -> None:
    chosen = [result(3, 3, 1), result(5, 12, 2), result(30, 8, 4), result(40, 41, 9), result(200, 9, 150),
              result(None, None, 7)]
    found = told_reference(chosen)
    assert found["dxkb"]["bands"] == {"top 10": [2, 1], "11-50": [2, 1], "beyond 50": [2, 1]}
    assert found[TOLD]["bands"] == {"top 10": [2, 2], "11-50": [2, 2], "beyond 50": [2, 1]}
    assert found["dxkb"]["top10_gain"] == round((-1 + 1 + 1) / 6, 4)
    assert found[TOLD]["top10_gain"] == round((1 + 1 + 1) / 6, 4)
    assert found["baseline"]["top10_gain"] == 0.0
    assert found[TOLD]["answers"] == {"ABSENT": 6, "PRESENT": 6} and found["baseline"]["answers"] == {}
    # the told asker's result at start ranks up to 50 (+2: ranks 30 and 40), dxkb's beyond (+1: rank 200)
    assert found["told_within_top50_gain"] == round(3 / 6, 4)


def test_no_cases_give_no_gain() -> None:
    assert told_reference([])["told_within_top50_gain"] == 0.0
