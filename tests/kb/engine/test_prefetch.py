"""The warm-up's shortcuts give what the per-request queries give: the ancestors of every finding from the direct
subclass edges (queries/subclass_edges.rq) equal queries/ancestors.rq's, the diseases' features from the loaded
annotations equal queries/disease_annotations.rq's, and a prefetched engine diagnoses exactly as a cold one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import Observation, Status
from dxkb.kb.service import open_store_at

CASES = [  # a Marfan picture, a rash with red flags, an excluded finding
    [("HP:0001083", Status.PRESENT), ("HP:0002616", Status.PRESENT), ("HP:0001166", Status.PRESENT)],
    [("HP:0000988", Status.PRESENT), ("HP:0012378", Status.PRESENT), ("HP:0001824", Status.PRESENT)],
    [("HP:0001250", Status.PRESENT), ("HP:0001263", Status.PRESENT), ("HP:0000252", Status.ABSENT)],
]


@pytest.fixture(scope="module")
def engines(hpo_store: Path) -> tuple[DiagnosisEngine, DiagnosisEngine]:
    warm = DiagnosisEngine(open_store_at(str(hpo_store)))
    warm.prefetch(freeze=False)
    return warm, DiagnosisEngine(open_store_at(str(hpo_store)))


def test_the_ancestors_from_the_edges_are_those_of_the_path_query(engines) -> None:
    warm, cold = engines
    findings = [entry.iri for entry in cold.retrieval.findings.entries]
    sample = findings[::40]  # ancestors.rq costs ~1 ms a finding: a spread of 1 in 40 of them
    assert len(sample) > 300
    expected = cold.retrieval.ancestors(sample)
    assert warm.retrieval.ancestors(sample) == expected
    assert any(len(a) > 10 for a in expected.values())  # deep terms among them, not only roots


def test_the_features_from_the_annotations_are_those_of_their_query(engines) -> None:
    warm, cold = engines
    diseases = cold.retrieval.disease_iris()[::20] + ["https://w3id.org/dxkb/no-such-disease"]
    expected = cold.retrieval.disease_feature_rows(diseases)
    assert warm.retrieval.disease_feature_rows(diseases) == expected
    assert sum(len(rows) for rows in expected.values()) > 5000 and expected[diseases[-1]] == []


@pytest.mark.parametrize("case", CASES, ids=["marfan", "rash-red-flags", "excluded"])
def test_a_prefetched_engine_diagnoses_as_a_cold_one(engines, case) -> None:
    warm, cold = engines
    observations = [Observation(f, s) for f, s in case]
    hot, fresh = warm.diagnose(observations, limit=20), cold.diagnose(observations, limit=20)
    assert [(c.disease, c.probability) for c in hot.candidates] == \
           [(c.disease, c.probability) for c in fresh.candidates]
    assert [q.finding for q in hot.next_questions] == [q.finding for q in fresh.next_questions]
    assert [s.step.id for s in hot.next_steps] == [s.step.id for s in fresh.next_steps]
