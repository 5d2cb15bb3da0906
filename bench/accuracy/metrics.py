"""Ranks of the true disease and what the benchmark reports about them.

A rank is 1-based among the OMIM diseases a method scores. Ties count against the true disease: a disease scored
exactly as high as the true one ranks before it (``rank``), so a method cannot gain from the order in which it
happens to list tied diseases; ``rank_optimistic`` (ties in its favour) is kept in the JSON too. A true disease the
method does not rank at all (dxkb: none of the patient's findings reaches it) has rank None: a miss at every k and
a reciprocal rank of 0.
"""

from __future__ import annotations

import random
from typing import Iterable, Sequence


def ranks_of(true_score: float | None, scores: Iterable[float]) -> tuple[int | None, int | None]:
    """(pessimistic, optimistic) rank of a score among all scores (which include it)."""
    if true_score is None:
        return None, None
    higher = tied = 0
    for score in scores:
        if score > true_score:
            higher += 1
        elif score == true_score:
            tied += 1
    return higher + tied, higher + 1


def summary(ranks: Sequence[int | None]) -> dict:
    n = len(ranks)
    if not n:
        return {"patients": 0}

    def share(k: int) -> float:
        return round(sum(1 for r in ranks if r is not None and r <= k) / n, 4)

    return {"patients": n, "top1": share(1), "top3": share(3), "top10": share(10),
            "mrr": round(sum(1.0 / r for r in ranks if r) / n, 4),
            "unranked": sum(1 for r in ranks if r is None)}


def cluster_interval(values: Sequence[tuple[str, float]], reps: int = 2000, seed: int = 0,
                     level: float = 0.95) -> dict:
    """The mean of per-case values and its percentile bootstrap interval, resampling whole clusters.

    Cases of one cohort (one gene, one paper) are not independent: they share a disease, its annotations and an
    author's way of reporting. Resampling cohorts, not cases, keeps that, so the interval says how far another
    sample of cohorts could move the figure. ``values``: (cluster, value) per case.
    """
    if not values:
        return {"mean": 0.0, "low": 0.0, "high": 0.0, "clusters": 0, "reps": reps}
    totals: dict[str, list[float]] = {}  # cluster -> [sum of its values, its cases]
    for cluster, value in values:
        row = totals.setdefault(cluster, [0.0, 0])
        row[0] += value
        row[1] += 1
    names = sorted(totals)
    sums = [totals[n] for n in names]
    rng = random.Random(seed)
    means = []
    for _ in range(reps):
        total = count = 0.0
        for _k in range(len(names)):
            s, c = sums[rng.randrange(len(names))]
            total += s
            count += c
        means.append(total / count)
    means.sort()
    tail = (1.0 - level) / 2.0
    low, high = means[int(tail * (reps - 1))], means[int((1.0 - tail) * (reps - 1))]
    mean = sum(v for _c, v in values) / len(values)
    return {"mean": round(mean, 4), "low": round(low, 4), "high": round(high, 4), "clusters": len(names),
            "reps": reps}
