"""Is dxkb's top probability a probability? Expected calibration error and a reliability table.

The confidence is the probability of the engine's overall first candidate (normalised over all its candidates);
it is right when that candidate is the true disease. Cases the engine did not rank at all have no top candidate
and are left out (they are counted as misses in the accuracy figures instead). Bins are ``BINS`` equal-width
intervals of [0, 1], the last one closed, so a confidence of exactly 1.0 is kept; ECE is the case-weighted mean of
|accuracy - mean confidence| over the bins (Guo et al. 2017).
"""

from __future__ import annotations

import math
from typing import Iterable

BINS = 10


def reliability(pairs: Iterable[tuple[float, bool]], bins: int = BINS) -> dict:
    """{"cases", "ece", "mean_confidence", "accuracy", "bins": [{"bin", "n", "mean_confidence", "accuracy"}]}"""
    counts = [0] * bins
    confidence = [0.0] * bins
    right = [0] * bins
    for probability, correct in pairs:
        b = min(int(probability * bins), bins - 1)
        counts[b] += 1
        confidence[b] += probability
        right[b] += int(correct)
    n = sum(counts)
    if not n:
        return {"cases": 0, "ece": None, "bins": []}
    table = [{"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "n": counts[b],
              "mean_confidence": round(confidence[b] / counts[b], 4) if counts[b] else None,
              "accuracy": round(right[b] / counts[b], 4) if counts[b] else None} for b in range(bins)]
    ece = sum(abs(right[b] / counts[b] - confidence[b] / counts[b]) * counts[b] / n for b in range(bins) if counts[b])
    return {"cases": n, "ece": round(ece, 4), "mean_confidence": round(sum(confidence) / n, 4),
            "accuracy": round(sum(right) / n, 4), "bins": table}


def _top_and_truth(case: dict, temperature: float) -> tuple[float, float, bool]:
    """(ln P(true disease), P(top candidate), top is true) at a temperature, from the kept scores."""
    scores = [(prior + likelihood / temperature, is_true) for likelihood, prior, is_true in case["scores"]]
    likelihood, prior, _ = case["truth_score"]
    truth_score = prior + likelihood / temperature
    if not any(is_true for _, is_true in scores):
        scores.append((truth_score, True))
    top, top_is_true = max(scores, key=lambda s: (s[0], not s[1]))  # ties count against the true disease
    total = math.fsum(math.exp(s - top) for s, _ in scores)
    return truth_score - top - math.log(total), 1.0 / total, top_is_true


def fit_temperature(cases: list[dict], grid: tuple[float, ...] = tuple(round(1 + 0.25 * i, 2) for i in range(37))
                    ) -> dict:
    """The temperature T (probability ∝ prior x likelihood^(1/T)) that minimises the negative log-likelihood of
    the true disease over ``cases`` (temperature scaling, Guo et al. 2017: one parameter, so it cannot overfit a
    thousand cases and it never changes the order of diseases with equal priors). Each case: {"scores": [(ln
    likelihood, ln prior, is the true disease), ...] of the leading candidates, "truth_score": the same for the
    true disease}. Fit on the development cases only, then judge the ECE on the others."""
    usable = [c for c in cases if c.get("truth_score") and c.get("scores")]
    if not usable:
        return {"temperature": None, "cases": 0}
    best = None
    for t in grid:
        nll = -math.fsum(_top_and_truth(c, t)[0] for c in usable) / len(usable)
        if best is None or nll < best[1] - 1e-12:
            best = (t, nll)
    return {"temperature": best[0], "nll": round(best[1], 4), "cases": len(usable), "grid": [grid[0], grid[-1]]}


def reliability_at(cases: list[dict], temperature: float) -> dict:
    """The reliability table (see :func:`reliability`) of the top candidate at another temperature."""
    return reliability((p, right) for _, p, right in (_top_and_truth(c, temperature) for c in cases
                                                      if c.get("truth_score") and c.get("scores")))


def folds_by_group(groups: list[str], folds: int = 5, seed: int = 0) -> list[int]:
    """A fold number per case; every case of one group (a cohort) in the same fold, so that no fold is judged on
    a cohort its fit saw (cases of one cohort resemble each other)."""
    import random

    distinct = sorted(set(groups))
    random.Random(seed).shuffle(distinct)
    fold_of = {g: i % folds for i, g in enumerate(distinct)}
    return [fold_of[g] for g in groups]


def cross_validated(rows: list[tuple[list[float], bool, str]], fit, predict, folds: int = 5, seed: int = 0
                    ) -> list[float]:
    """Out-of-fold calibrated probabilities: each case's from a calibration fitted on the other folds only.
    rows: (calibration inputs, top candidate is right, group: the case's cohort); ``fit``: [(inputs, right)] -> coefficients;
    ``predict``: (coefficients, inputs) -> probability (bench/real_cases/dxkb_side.py)."""
    fold = folds_by_group([g for _, _, g in rows], folds, seed)
    out = [0.0] * len(rows)
    for k in range(folds):
        coefficients = fit([(x, right) for (x, right, _), f in zip(rows, fold) if f != k])
        for i, ((x, _right, _g), f) in enumerate(zip(rows, fold)):
            if f == k:
                out[i] = predict(coefficients, x)
    return out
