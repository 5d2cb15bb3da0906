"""Next steps: the diagnostic steps whose preconditions hold and whose findings are not yet known, ranked by the
expected information gain (bits) about the candidate distribution per unit of cost."""

from __future__ import annotations

import math
from itertools import product
from typing import Iterable

from dxkb.kb.engine import model, scoring
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import Candidate, NextStep, Step, Yield
from dxkb.kb.vocab import to_iri


def entropy(probabilities: Iterable[float]) -> float:
    return -math.fsum(p * math.log2(p) for p in probabilities if p > 0)


def information_gain(prior: list[float], positive: list[list[float]]) -> float:
    """Expected entropy reduction (bits) of the candidate distribution by observing the step's findings."""
    if not prior:
        return 0.0
    m = len(positive[0])
    h0 = entropy(prior)
    if m > model.MAX_JOINT_FINDINGS:  # score as independent single-finding tests
        return math.fsum(information_gain(prior, [[row[j]] for row in positive]) for j in range(m))
    expected = 0.0
    for outcome in product((True, False), repeat=m):
        joint = []
        for p, row in zip(prior, positive):
            q = p
            for hit, r in zip(outcome, row):
                q *= r if hit else (1 - r)
            joint.append(q)
        total = math.fsum(joint)
        if total > 0:
            expected += total * entropy(j / total for j in joint)
    return max(0.0, h0 - expected)


def next_steps(retrieval: Retrieval, observed: set[str], present: set[str],
               ranked: list[Candidate]) -> list[NextStep]:
    """``observed``/``present``: IRIs of the findings given (any status) and of those PRESENT."""
    ancestors = retrieval.ancestors(observed)
    present_closure = set().union(*(ancestors[p] | {p} for p in present)) if present else set()

    def known(finding: str) -> bool:
        return finding in observed or finding in present_closure

    indicated: list[tuple[Step, list[Yield], list[str]]] = []
    for step in retrieval.steps:
        reasons: list[str] = []
        ok = True
        for pre in step.preconditions:
            hits = pre.findings & present_closure
            if pre.condition == "ANY" and not hits:
                ok = False
            elif pre.condition == "NONE" and hits:
                ok = False
            elif pre.condition == "ANY":
                reasons.append(", ".join(sorted(retrieval.label(h) for h in hits)) + " present")
            else:
                reasons.append("no sign of " + ", ".join(sorted(retrieval.label(f) for f in pre.findings)))
        unknown = [y for y in step.yields if not known(y.finding)]
        if ok and unknown:
            indicated.append((step, unknown, reasons))
    if not indicated:
        return []

    pool = ranked[: model.EIG_CANDIDATES]
    mass = math.fsum(c.probability for c in pool)
    prior = [c.probability / mass for c in pool] if mass > 0 else []
    yield_findings = sorted({y.finding for _, ys, _ in indicated for y in ys})
    disease_iris = [str(to_iri(c.disease)) for c in pool]
    matches = retrieval.matches(yield_findings, disease_iris) if pool else {}  # sources are not needed here
    likelihood = {(d, f): scoring.likelihood(matches.get(d, {}).get(f, [])).p
                  for d in disease_iris for f in yield_findings}

    result: list[NextStep] = []
    for step, unknown, reasons in indicated:
        positive = [[y.sensitivity * likelihood[(d, y.finding)] + (1 - y.specificity) * (1 - likelihood[(d, y.finding)])
                     for y in unknown] for d in disease_iris]
        gain = information_gain(prior, positive)
        per_cost = gain / step.cost if step.cost > 0 else gain
        worth = per_cost >= model.MIN_GAIN_PER_COST
        result.append(NextStep(step=step, expected_information_gain=gain, gain_per_cost=per_cost, worth_cost=worth,
                               rationale=rationale(retrieval, step, unknown, reasons, gain, pool, positive)))
    result.sort(key=lambda n: (-round(n.gain_per_cost, 12), n.step.order, n.step.id))
    return result


def rationale(retrieval: Retrieval, step: Step, unknown: list[Yield], reasons: list[str], gain: float,
              pool: list[Candidate], positive: list[list[float]]) -> str:
    parts = [f"{step.label} ({step.kind.lower().replace('_', ' ')})"]
    parts.append("indicated because " + "; ".join(reasons) if reasons else "part of the basic work-up")
    parts.append("reveals " + ", ".join(retrieval.label(y.finding) for y in unknown))
    top = list(zip(pool, positive))[:3]
    if top:
        parts.append("a positive result is expected in " + ", ".join(
            f"{row[0]:.0%} of {c.label} (now {c.probability:.1%})" for c, row in top))
    parts.append(f"expected information gain {gain:.3f} bits at relative cost {step.cost:g}")
    return "; ".join(parts) + "."


__all__ = ["entropy", "information_gain", "next_steps", "rationale"]
