"""The benchmarks' bootstrap interval over cohorts (bench/accuracy/metrics.py cluster_interval)."""

from __future__ import annotations

from bench.accuracy.metrics import cluster_interval


def test_constant_values_give_a_point_interval() -> None:
    ci = cluster_interval([(f"c{i % 7}", 0.25) for i in range(40)])
    assert (ci["mean"], ci["low"], ci["high"], ci["clusters"]) == (0.25, 0.25, 0.25, 7)


def test_the_interval_holds_the_mean_and_is_reproducible() -> None:
    values = [(f"c{i % 11}", float(i % 3 == 0)) for i in range(90)]
    first, again = cluster_interval(values, seed=3), cluster_interval(values, seed=3)
    assert first == again
    assert first["low"] <= first["mean"] <= first["high"]
    assert first["low"] < first["high"]


def test_correlated_cases_widen_the_interval() -> None:
    """The same 60 values, 30 zeros and 30 ones: in 30 cohorts of two, or in 6 cohorts of ten. Resampling cohorts
    must see that the second sample holds fewer independent units."""
    spread = [(f"c{i % 30}", float(i % 2)) for i in range(60)]
    lumped = [(f"one{i % 3}" if i % 2 else f"zero{i % 3}", float(i % 2)) for i in range(60)]
    wide, narrow = cluster_interval(lumped), cluster_interval(spread)
    assert wide["mean"] == narrow["mean"] == 0.5
    assert wide["high"] - wide["low"] > 1.5 * (narrow["high"] - narrow["low"])


def test_no_cases() -> None:
    assert cluster_interval([])["clusters"] == 0
