"""Is dxkb's top probability a probability? Expected calibration error and a reliability table.

The confidence is the probability of the engine's overall first candidate (normalised over all its candidates);
it is right when that candidate is the true disease. Cases the engine did not rank at all have no top candidate
and are left out (they are counted as misses in the accuracy figures instead). Bins are ``BINS`` equal-width
intervals of [0, 1], the last one closed, so a confidence of exactly 1.0 is kept; ECE is the case-weighted mean of
|accuracy - mean confidence| over the bins (Guo et al. 2017).
"""

from __future__ import annotations

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
