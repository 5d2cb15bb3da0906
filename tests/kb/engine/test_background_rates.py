"""Frequency-aware background rates (model.py BACKGROUND_RATE, MIN_BACKGROUND_RATE): a finding the disease is not
annotated with is as likely as the finding is common among all annotated diseases (dxkb:diseaseShare, written by
the build), so missing a rare, specific finding costs a disease more than missing a common one. On a small HPO
excerpt built here through the real build: sixty diseases with seizures, one with ectopia lentis."""

from __future__ import annotations

import math

import pytest

from dxkb.kb.engine import model, scoring
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import Candidate, Observation, Status
from dxkb.kb.vocab import to_iri
from tests.support.small_hpo import small_hpo_engine

EYE, LENS, NERVOUS, SEIZURE, WEIGHT_LOSS = "HP:0000478", "HP:0001083", "HP:0000707", "HP:0001250", "HP:0001824"
LENS_SYNDROME, SEIZURE_SYNDROME, UNRELATED = "OMIM:300001", "OMIM:300002", "OMIM:300003"

EXTRA_TERMS = """
[Term]
id: HP:0000478
name: Abnormality of the eye
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001083
name: Ectopia lentis
is_a: HP:0000478 ! Abnormality of the eye

[Term]
id: HP:0000707
name: Abnormality of the nervous system
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001250
name: Seizure
is_a: HP:0000707 ! Abnormality of the nervous system
"""
ROWS = [(f"OMIM:2{i:05d}", f"Epilepsy {i}", "", SEIZURE, f"PMID:{1000 + i}", "PCS", "", "1/2", "P") for i in range(60)]
ROWS += [
    (LENS_SYNDROME, "Lens syndrome", "", LENS, "PMID:1", "PCS", "", "1/2", "P"),
    (SEIZURE_SYNDROME, "Seizure syndrome", "", SEIZURE, "PMID:2", "PCS", "", "1/2", "P"),
    (UNRELATED, "Wasting syndrome", "", WEIGHT_LOSS, "PMID:3", "PCS", "", "1/2", "P"),
]
@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DiagnosisEngine:
    return small_hpo_engine(tmp_path_factory.mktemp("background-rates"), EXTRA_TERMS, ROWS)


def share(engine: DiagnosisEngine, finding: str) -> float:
    found = engine.retrieval.share(str(to_iri(finding)))
    assert found is not None  # the build wrote the shares
    return found


def ranked(engine: DiagnosisEngine, present: list[str]) -> dict[str, Candidate]:
    return {c.disease: c for c in engine.rank([Observation(f, Status.PRESENT) for f in present])}


def test_the_build_writes_each_findings_share_of_the_diseases(engine: DiagnosisEngine) -> None:
    # 61 of the HPO diseases have seizures (1/2 each, as shrunk), one has ectopia lentis (1/2); a curated module
    # may name seizures too (the fever module's febrile seizure)
    assert share(engine, SEIZURE) >= 61 * share(engine, LENS) * (1 - 1e-9)
    # an annotation counts for its finding's ancestors too: the only eye finding is ectopia lentis
    assert share(engine, EYE) == pytest.approx(share(engine, LENS), rel=1e-12)
    assert share(engine, NERVOUS) == pytest.approx(share(engine, SEIZURE), rel=1e-12)
    assert 0 < share(engine, LENS) < model.BACKGROUND_RATE < share(engine, SEIZURE) < 1


def test_background_rates_stay_within_floor_and_cap() -> None:
    assert scoring.background_rate(None) == model.BACKGROUND_RATE  # a store built before the shares
    assert scoring.background_rate(0.0) == model.MIN_BACKGROUND_RATE
    assert scoring.background_rate(0.5) == model.BACKGROUND_RATE
    assert scoring.background_rate(0.005) == 0.005
    assert scoring.disease_background(0.005, default_prior=False) == model.BACKGROUND_RATE  # curated diseases


def test_an_unannotated_finding_costs_a_disease_its_background_rate(engine: DiagnosisEngine) -> None:
    # the wasting syndrome has neither finding: each costs ln(its background rate), the rare one more
    for finding, other in ((LENS, SEIZURE), (SEIZURE, LENS)):
        both = ranked(engine, [other, finding])[UNRELATED].score
        alone = ranked(engine, [other])[UNRELATED].score
        expected = math.log(scoring.background_rate(share(engine, finding))) / model.TEMPERATURE
        assert both - alone == pytest.approx(expected, rel=1e-9)
    assert scoring.background_rate(share(engine, LENS)) < scoring.background_rate(share(engine, SEIZURE))


def test_missing_a_rare_finding_costs_more_than_missing_a_common_one(engine: DiagnosisEngine) -> None:
    # each syndrome explains one of the two findings equally well (1/2); with one rate for every finding they would
    # tie, but a seizure is common among diseases (often present for another reason) and ectopia lentis is not
    by_id = ranked(engine, [LENS, SEIZURE])
    assert by_id[LENS_SYNDROME].rank < by_id[SEIZURE_SYNDROME].rank
    assert by_id[LENS_SYNDROME].probability > 2 * by_id[SEIZURE_SYNDROME].probability
