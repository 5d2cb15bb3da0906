"""Calibrated probabilities for the rare-disease setting: how often the leading candidate is the patient's disease,
learned from published case reports, instead of the naive-Bayes posterior, which is far too sure of itself.

Why: the model multiplies correlated findings as if independent, and how well a disease's annotations describe a
new patient varies from disease to disease. On the development cases of phenopacket-store the posterior of the
leading candidate is nearly right for cases whose own publication the annotations were curated from, and far too
high for the others (README "Real patients"); one global temperature cannot tell the two apart. What can is
visible at inference time: how many of the patient's findings the leading candidate's annotations state *exactly*
(a curated description of this very picture) against how many it only reaches through the hierarchy.

So the probability that the leading candidate is right is a logistic function of

- ``logit_top``: the logit of its probability under the model (among the modelled diseases, T = 1);
- ``exact``: the share of the patient's PRESENT findings (implied ones left out) that are annotated features of it;
- ``reached``: the share its annotations reach at all (exactly, more or less specifically);

with coefficients fitted on development cases by ``bench/real_cases/run.py --fit-calibration`` and shipped in
``kb/data/calibration.json`` with what they were fitted on (cases, HPO release, cross-validated error). The whole
distribution then follows at the one temperature that gives the leading candidate that probability
(:func:`temperature_for`), so the order of the candidates never changes and the probabilities still sum to 1.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

import numpy as np

from dxkb.kb.errors import InputError

#: The feature names, in the order of the coefficients after the intercept.
FEATURES = ("logit_top", "exact", "reached")

#: The case temperature is searched within these bounds (a factor on the likelihood's log): beyond them the
#: leading probability no longer moves measurably.
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.05, 1000.0

#: Probabilities are clamped this far from 0 and 1 before taking a logit.
EPSILON = 1e-9


@dataclass(frozen=True)
class Inputs:
    """What the calibration sees of one diagnosis (DiagnosisEngine computes it; benchmarks fit on it)."""

    top_probability: float  # the leading candidate's probability under the model, among the modelled diseases
    exact: float  # share of the PRESENT findings that are annotated features of the leading candidate
    reached: float  # share of the PRESENT findings its annotations reach through the hierarchy

    def vector(self) -> np.ndarray:
        p = min(max(self.top_probability, EPSILON), 1.0 - EPSILON)
        return np.array([1.0, math.log(p / (1.0 - p)), self.exact, self.reached], dtype=np.float64)


@dataclass(frozen=True)
class Calibration:
    """A fitted logistic calibration of the leading candidate, with its provenance (what it was fitted on)."""

    coefficients: tuple[float, ...]  # intercept, then one per FEATURES
    fitted: Mapping[str, Any]

    def probability(self, inputs: Inputs) -> float:
        """P(the leading candidate is the patient's disease | these inputs)."""
        z = float(np.dot(np.array(self.coefficients, dtype=np.float64), inputs.vector()))
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {"features": ["intercept", *FEATURES], "coefficients": list(self.coefficients),
                "fitted": dict(self.fitted)}


def parse(document: Mapping[str, Any], where: str = "calibration") -> Calibration:
    """A Calibration from its JSON document; InputError naming what is wrong otherwise."""
    names = document.get("features")
    if names != ["intercept", *FEATURES]:
        raise InputError(f"{where}: features must be {['intercept', *FEATURES]}, got {names!r}")
    values = document.get("coefficients")
    if (not isinstance(values, list) or len(values) != len(names)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values)):
        raise InputError(f"{where}: coefficients must be {len(names)} finite numbers, got {values!r}")
    fitted = document.get("fitted", {})
    if not isinstance(fitted, dict):
        raise InputError(f"{where}: fitted must be an object, got {type(fitted).__name__}")
    return Calibration(coefficients=tuple(float(v) for v in values), fitted=fitted)


@lru_cache(maxsize=1)
def shipped() -> Calibration:
    """The calibration that ships with the package (kb/data/calibration.json)."""
    text = resources.files("dxkb.kb").joinpath("data", "calibration.json").read_text(encoding="utf-8")
    return parse(json.loads(text), "kb/data/calibration.json")


def fit(rows: list[tuple[Inputs, bool]], ridge: float = 1e-2, iterations: int = 50) -> tuple[float, ...]:
    """Logistic regression (Newton's method with a small ridge penalty, deterministic) of "the leading candidate
    is right" on the inputs: the coefficients of a Calibration."""
    if not rows:
        raise ValueError("no cases to fit the calibration on")
    x = np.array([inputs.vector() for inputs, _ in rows])
    y = np.array([1.0 if right else 0.0 for _, right in rows])
    w = np.zeros(x.shape[1])
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -700, 700)))
        gradient = x.T @ (p - y) + ridge * w
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + ridge * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return tuple(round(float(v), 6) for v in w)


def tempered(log_priors: np.ndarray, log_likelihoods: np.ndarray, temperature: float) -> np.ndarray:
    """probability ∝ prior x likelihood^(1/temperature) over the diseases (-inf likelihood: not ranked)."""
    scores = log_priors + log_likelihoods / temperature
    finite = np.isfinite(scores)
    out = np.zeros_like(scores)
    if finite.any():
        top = scores[finite].max()
        weights = np.exp(scores[finite] - top)
        out[finite] = weights / weights.sum()
    return out


def temperature_for(log_priors: np.ndarray, log_likelihoods: np.ndarray, leading: int, target: float) -> float:
    """The temperature at which disease ``leading`` (the most probable at every temperature) has probability
    ``target``: its probability falls monotonically as the temperature rises, so bisection on its logarithm."""
    low, high = math.log(MIN_TEMPERATURE), math.log(MAX_TEMPERATURE)
    for _ in range(60):
        middle = (low + high) / 2.0
        if tempered(log_priors, log_likelihoods, math.exp(middle))[leading] > target:
            low = middle  # still too sure: warmer
        else:
            high = middle
        if high - low < 1e-6:
            break
    return math.exp((low + high) / 2.0)


__all__ = ["Calibration", "FEATURES", "Inputs", "fit", "parse", "shipped", "temperature_for", "tempered"]
