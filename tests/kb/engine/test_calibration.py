"""The rare-disease setting and its calibration (kb/engine/calibration.py): the logistic fit, the case temperature,
the shipped coefficients, and the engine's probabilities in that setting on a small HPO excerpt built here (with the
curated modules, whose complaint-conditional priors must not compete there)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dxkb.kb.engine import calibration, model
from dxkb.kb.engine import patient as context
from dxkb.kb.engine.diagnosis import RARE_DISEASE_NOTE, DiagnosisEngine
from dxkb.kb.engine.types import Observation, Patient, Setting, Status
from dxkb.kb.errors import InputError
from tests.kb.engine.test_real_case_model import EXTRA_TERMS, LENS, RASH, ROWS, SYNDROME_A
from tests.support.small_hpo import small_hpo_engine

P, A = Status.PRESENT, Status.ABSENT
RARE = Patient(setting=Setting.RARE_DISEASE)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DiagnosisEngine:
    return small_hpo_engine(tmp_path_factory.mktemp("small-hpo-calibration"), EXTRA_TERMS, ROWS)


def test_the_fit_recovers_a_known_logistic_relation() -> None:
    rng = np.random.default_rng(7)
    truth = np.array([-1.0, 0.8, 2.0, -1.5])
    rows = []
    for _ in range(4000):
        inputs = calibration.Inputs(top_probability=float(rng.uniform(0.01, 0.99)), exact=float(rng.uniform()),
                                    reached=float(rng.uniform()))
        p = 1 / (1 + math.exp(-float(truth @ inputs.vector())))
        rows.append((inputs, bool(rng.uniform() < p)))
    fitted = calibration.fit(rows)
    assert np.allclose(fitted, truth, atol=0.35), fitted
    assert calibration.fit(rows) == fitted  # deterministic
    with pytest.raises(ValueError):
        calibration.fit([])


def test_the_case_temperature_gives_the_leading_candidate_the_target_and_keeps_the_order() -> None:
    priors = np.full(5, math.log(1e-6))
    likelihoods = np.array([-3.0, -5.0, -9.0, -np.inf, -4.0])  # one disease not ranked (-inf)
    for target in (0.3, 0.6, 0.95):
        temperature = calibration.temperature_for(priors, likelihoods, 0, target)
        tempered = calibration.tempered(priors, likelihoods, temperature)
        assert tempered[0] == pytest.approx(target, abs=1e-4)
        assert tempered.sum() == pytest.approx(1.0) and tempered[3] == 0.0
        assert list(np.argsort(-tempered)) == [0, 4, 1, 2, 3]


@pytest.mark.parametrize("document, named", [
    ({"features": ["intercept", "logit_top"], "coefficients": [1, 2]}, "features"),
    ({"features": ["intercept", *calibration.FEATURES], "coefficients": [1, 2, 3]}, "coefficients"),
    ({"features": ["intercept", *calibration.FEATURES], "coefficients": [1, 2, 3, float("nan")]}, "coefficients"),
    ({"features": ["intercept", *calibration.FEATURES], "coefficients": [1, 2, 3, True]}, "coefficients"),
    ({"features": ["intercept", *calibration.FEATURES], "coefficients": [1, 2, 3, 4], "fitted": []}, "fitted"),
])
def test_a_bad_calibration_document_is_an_error_naming_the_field(document: dict, named: str) -> None:
    with pytest.raises(InputError, match=named):
        calibration.parse(document)


def test_the_shipped_calibration_says_what_it_was_fitted_on() -> None:
    shipped = calibration.shipped()
    assert shipped.fitted["cases"] >= 500 and shipped.fitted["hpo_version"]
    assert "bench/real_cases/run.py" in shipped.fitted["command"]
    assert shipped.fitted["cross_validated_ece"]["all"] is not None
    # the signal it learned: a leading candidate whose annotations state the patient's findings exactly is more
    # often right than one that only reaches them through the hierarchy, at the same model probability
    exact = shipped.probability(calibration.Inputs(0.9, exact=1.0, reached=1.0))
    reached = shipped.probability(calibration.Inputs(0.9, exact=0.0, reached=1.0))
    assert exact > reached


def test_the_setting_is_checked_and_primary_care_is_the_default() -> None:
    assert context.check(Patient(setting=Setting.PRIMARY_CARE)) is None
    assert context.check(Patient(setting="rare_disease")).setting is Setting.RARE_DISEASE  # type: ignore[arg-type]
    with pytest.raises(InputError, match="patient.setting must be one of PRIMARY_CARE, RARE_DISEASE"):
        context.check(Patient(setting="genetics"))  # type: ignore[arg-type]


def test_the_rare_disease_setting_ranks_the_catalogued_diseases_with_a_calibrated_leader(
        engine: DiagnosisEngine) -> None:
    observations = [Observation(LENS, P), Observation(RASH, P)]
    primary = engine.ranking(observations)
    rare = engine.ranking(observations, RARE)
    assert primary.other_causes_probability > 0 and rare.other_causes_probability == 0.0
    assert primary.calibration is None and rare.calibration is not None
    # a rash reaches the curated common causes of a rash: they compete in primary care, not in a genetics clinic
    curated = {d for d, prior in zip(primary.diseases, primary.log_priors) if prior != math.log(model.DEFAULT_PRIOR)}
    assert any(d.startswith("DXKB:") for d in curated)
    assert rare.diseases == [d for d in primary.diseases if d not in curated]  # the same order, without them
    assert rare.diseases[0] == SYNDROME_A
    assert rare.calibration.exact == 1.0 and rare.calibration.reached == 1.0  # A has both findings annotated
    assert rare.probabilities.sum() == pytest.approx(1.0)
    assert rare.probabilities[0] == pytest.approx(calibration.shipped().probability(rare.calibration), abs=1e-4)
    # what the calibration saw is the model's own posterior among these diseases
    modelled = np.exp(rare.scores - rare.scores.max())
    assert rare.calibration.top_probability == pytest.approx(modelled[0] / modelled.sum(), rel=1e-9)
    assert np.all(np.diff(rare.probabilities) <= 1e-15)


def test_a_leader_that_only_reaches_the_findings_through_the_hierarchy_counts_as_such(
        engine: DiagnosisEngine) -> None:
    eye = "HP:0000478"  # broader than A's ectopia lentis: reached, not stated exactly
    rare = engine.ranking([Observation(eye, P)], RARE)
    assert rare.diseases[0] == SYNDROME_A
    assert rare.calibration.exact == 0.0 and rare.calibration.reached == 1.0


def test_diagnose_in_the_rare_disease_setting_says_what_its_probabilities_are(engine: DiagnosisEngine) -> None:
    d = engine.diagnose([Observation(LENS, P), Observation(RASH, A)], patient=RARE)
    assert d.other_causes_probability == 0.0 and d.patient.setting is Setting.RARE_DISEASE
    assert RARE_DISEASE_NOTE in d.explanation
    assert sum(c.probability for c in engine.rank([Observation(LENS, P)], RARE)) == pytest.approx(1.0)
    plain = engine.diagnose([Observation(LENS, P), Observation(RASH, A)])
    assert RARE_DISEASE_NOTE not in plain.explanation and plain.other_causes_probability > 0
    assert model.DEFAULT_PRIOR == pytest.approx(d.candidates[0].prior)
