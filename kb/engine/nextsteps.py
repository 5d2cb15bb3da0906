"""Next steps at every scale: the diagnostic steps whose preconditions hold and whose findings are not yet known,
ranked by the expected information gain (bits) about the candidate distribution per unit of cost.

The candidates are all the ranked ones (the leading ``model.EIG_CANDIDATES``, which hold nearly all the mass),
curated or rare. P(step reports finding f | disease d) = sensitivity x q + (1 - specificity) x (1 - q), where q is
P(f | d): the disease's annotated frequency for f or for a more specific finding (a disease annotated with "aortic
root aneurysm" shows the echocardiography finding "dilatation of the aorta" at least as often), else the background
rate. The gain is the mutual information between the disease and the step's outcome. Diseases whose q are all the
background rate see the same outcome distribution, so they are one group: the computation is exact and its cost
grows with the informative diseases only. Steps with many informative findings (``model.MAX_JOINT_FINDINGS``) are
scored as the sum of their findings' gains, capped at the entropy of the distribution.

Nothing is offered that cannot change the ranking: a step none of whose unknown findings any candidate is annotated
with has a gain of exactly 0 and is left out. A test (laboratory, imaging, biopsy, specialist) is not credited with
findings a consultation step (history, examination, clinical assessment) reveals: ask before you test.
"""

from __future__ import annotations

import heapq
import math
import threading
from itertools import product
from typing import Iterable, Sequence

import numpy as np

from dxkb.kb.engine import model, scoring
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import Candidate, NextStep, Step, Yield
from dxkb.kb.vocab import to_iri

#: Kinds of the consultation: their findings are asked or looked for, not tested.
CONSULTATION = ("HISTORY", "EXAMINATION", "CLINICAL_ASSESSMENT")

#: The joint outcome distribution of a step is computed exactly while (informative diseases + 1) x 2^findings stays
#: below this (a few milliseconds); beyond it, the findings' gains are summed (an upper bound, capped).
JOINT_WORK = 1024

#: Steps shown, best first (the rest gain less per cost; they stay available through the `diagnosticSteps` query).
NEXT_STEPS_SHOWN = 20

#: A gain below this many bits cannot change the ranking in practice (floating-point noise of exact zeros).
NO_GAIN = 1e-9

#: Slack of the branch-and-bound of next_steps: a bound this close to a shown step's gain per cost is still scored
#: (the exact joint gain may exceed the sum of single gains by rounding only).
BOUND_MARGIN = 1e-9


def entropy(probabilities: Iterable[float]) -> float:
    return -math.fsum(p * math.log2(p) for p in probabilities if p > 0)


def binary_entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def information_gain(prior: list[float], positive: list[list[float]]) -> float:
    """Expected entropy reduction (bits) of the candidate distribution by observing the step's findings (the
    findings independent given the disease; ``positive[d][j]`` = P(finding j reported | disease d))."""
    if not prior:
        return 0.0
    m = len(positive[0])
    if m > model.MAX_JOINT_FINDINGS:  # score as independent single-finding tests
        return math.fsum(information_gain(prior, [[row[j]] for row in positive]) for j in range(m))
    outcome_entropy = 0.0
    for outcome in product((True, False), repeat=m):
        total = 0.0
        for p, row in zip(prior, positive):
            q = p
            for hit, r in zip(outcome, row):
                q *= r if hit else (1 - r)
            total += q
        if total > 0:
            outcome_entropy -= total * math.log2(total)
    conditional = math.fsum(p * math.fsum(binary_entropy(r) for r in row) for p, row in zip(prior, positive))
    return max(0.0, outcome_entropy - conditional)


class Observability:
    """What the steps and questions need of the knowledge base, derived once per disease and per finding (the
    store is read-only while open): each disease's P(f | d) of its features, their ancestors, and the steps by the
    findings they reveal. One per engine; thread-safe (each cache entry is one atomic store of an equal value)."""

    def __init__(self, retrieval: Retrieval) -> None:
        self.retrieval = retrieval
        self._lock = threading.Lock()
        self._features: dict[str, dict[str, float]] = {}
        self._reach: dict[str, dict[str, float]] = {}
        self._closure: dict[str, dict[str, float]] = {}
        self._finding_iris: frozenset[str] | None = None
        self._by_yield: dict[str, list[tuple[Step, Yield]]] | None = None
        self._consultation: frozenset[str] | None = None
        self._open_yields: dict[str, list[Yield]] = {}

    def by_yield(self) -> dict[str, list[tuple[Step, Yield]]]:
        """Finding IRI -> the steps that reveal it, cheapest first (cost, order, ID)."""
        with self._lock:
            if self._by_yield is None:
                index: dict[str, list[tuple[Step, Yield]]] = {}
                for step in self.retrieval.steps:
                    for y in step.yields:
                        index.setdefault(y.finding, []).append((step, y))
                for entries in index.values():
                    entries.sort(key=lambda e: (e[0].cost, e[0].order, e[0].id))
                self._by_yield = index
                self._consultation = frozenset(y.finding for step in self.retrieval.steps
                                               if step.kind in CONSULTATION for y in step.yields)
            return self._by_yield

    def open_yields(self, step: Step) -> list[Yield]:
        """The findings a step can be credited with: all its yields, but for a test not those a consultation step
        reveals (ask before you test). Cached per step."""
        found = self._open_yields.get(step.id)
        if found is None:
            consultation = self.consultation()
            found = self._open_yields[step.id] = [y for y in step.yields
                                                  if not (step.is_test and y.finding in consultation)]
        return found

    def consultation(self) -> frozenset[str]:
        self.by_yield()
        assert self._consultation is not None
        return self._consultation

    def features(self, diseases: Iterable[str]) -> dict[str, dict[str, float]]:
        """Disease IRI -> annotated finding IRI -> P(f | d) (as scoring.likelihood takes it: the frequency, 0.5 when
        none is stated, clamped to [BACKGROUND_RATE, MAX_LIKELIHOOD]; the best when annotated twice)."""
        wanted = list(diseases)
        missing = sorted({d for d in wanted if d not in self._features})
        if missing:
            for disease, rows in self.retrieval.disease_feature_rows(missing).items():
                found: dict[str, float] = {}
                for annotated, frequency in rows:
                    p = min(max(frequency if frequency is not None else 0.5, model.BACKGROUND_RATE),
                            model.MAX_LIKELIHOOD)
                    found[annotated] = max(found.get(annotated, 0.0), p)
                self._features[disease] = found
        return {d: self._features[d] for d in wanted}

    def prefetch(self) -> None:
        """Load every finding's ancestors and every disease's features now (about 40 MB at HPO scale; a second
        after Retrieval.prefetch, which holds the annotations and ancestors they come from), so that no diagnosis
        waits for them; optional, like Retrieval.prefetch."""
        self.by_yield()
        self.retrieval.prefetch_ancestors()
        self.features(self.retrieval.disease_iris())

    def reach(self, diseases: Iterable[str]) -> dict[str, dict[str, float]]:
        """Disease IRI -> step-yield finding -> P(f | d) through the hierarchy (the best frequency of the disease's
        features that are f or more specific than f)."""
        wanted = list(diseases)
        missing = [d for d in sorted(set(wanted)) if d not in self._reach]
        if missing:
            index = self.by_yield()
            features = self.features(missing)
            ancestors = self.retrieval.ancestors(sorted({f for d in missing for f in features[d]}))
            for disease in missing:
                reached: dict[str, float] = {}
                for annotated, p in sorted(features[disease].items()):
                    for finding in sorted(ancestors[annotated]):  # itself and its ancestors
                        if finding in index and p > reached.get(finding, 0.0):
                            reached[finding] = p
                self._reach[disease] = reached
        return {d: self._reach[d] for d in wanted}

    def closure(self, diseases: Iterable[str], unknown: frozenset[str] = frozenset()
                ) -> dict[str, dict[str, float]]:
        """Disease IRI -> finding IRI -> P(f | d) through the hierarchy, for every finding of the knowledge base that
        is one of the disease's features or broader: the noisy-OR of its features that are f or more specific
        (scoring.any_of, as the ranking scores a present finding broader than the annotations). The interview asks
        about these: "abnormality of the lens" separates the candidates with a lens feature from the rest as well as
        their features do one by one, and whoever has ectopia lentis answers it. Cached per disease (the store is
        read-only while open); a few hundred findings per disease.

        ``unknown``: findings answered UNKNOWN. Their branches cannot be told, so a disease's features under them
        are left out: nothing under an unknown finding is worth asking, and a broader finding is worth what the
        rest of its branch adds (after "abnormality of the oral cavity: unknown", "abnormality of the mouth" asks
        about the lips and teeth only)."""
        wanted = list(diseases)
        missing = [d for d in sorted(set(wanted)) if d not in self._closure]
        if not missing and not unknown:  # the hot path of a diagnosis: every pool disease cached
            return {d: self._closure[d] for d in wanted}
        features = self.features(sorted(set(wanted)))
        ancestors = self.retrieval.ancestors(sorted({f for d in set(wanted) for f in features[d]}))
        for disease in missing:
            self._closure[disease] = self._closure_of(features[disease], ancestors)
        if not unknown:
            return {d: self._closure[d] for d in wanted}
        found: dict[str, dict[str, float]] = {}
        for disease in sorted(set(wanted)):
            kept = {a: p for a, p in features[disease].items() if not (ancestors[a] & unknown)}
            found[disease] = (self._closure[disease] if len(kept) == len(features[disease])
                              else self._closure_of(kept, ancestors))
        return {d: found[d] for d in wanted}

    def _closure_of(self, features: dict[str, float], ancestors: dict[str, frozenset[str]]) -> dict[str, float]:
        known = self.finding_iris()
        under: dict[str, list[float]] = {}
        for annotated, p in sorted(features.items()):
            for finding in ancestors[annotated]:  # itself and its ancestors
                if finding in known:
                    under.setdefault(finding, []).append(p)
        return {f: min(scoring.any_of(under[f]), model.MAX_LIKELIHOOD) for f in sorted(under)}

    def finding_iris(self) -> frozenset[str]:
        """IRIs of the findings the knowledge base holds (an ancestor may be an ontology class such as dxkb:Sign)."""
        with self._lock:
            if self._finding_iris is None:
                self._finding_iris = frozenset(entry.iri for entry in self.retrieval.findings.entries)
            return self._finding_iris


def workup_questions(retrieval: Retrieval, present_closure: set[str]) -> set[str]:
    """Findings the curated work-up of this presentation asks about or reveals: the yields of the curated steps
    (not MAxO/LOINC) whose preconditions hold and name a present finding (e.g. the history taking of a skin rash
    asks about fatigue, weight loss and infections). Until answered they are not yet known: the ranking does not
    count them as unreported (the source document: "questions should first be answered")."""
    found: set[str] = set()
    for step in retrieval.steps:
        if step.source is not None or not any(pre.condition == "ANY" for pre in step.preconditions):
            continue
        if all(bool(pre.findings & present_closure) == (pre.condition == "ANY") for pre in step.preconditions):
            found.update(y.finding for y in step.yields)
    return found


def columns_of(per_disease: Sequence[dict[str, float]]) -> dict[str, dict[int, float]]:
    """Finding -> pool index -> P(f | d): the sparse columns of the gains, from each pool disease's finding ->
    P(f | d) in pool order."""
    columns: dict[str, dict[int, float]] = {}
    for i, found in enumerate(per_disease):
        for finding, p in found.items():
            columns.setdefault(finding, {})[i] = p
    return columns


def pool_of(ranked: list[Candidate]) -> tuple[list[Candidate], list[str], list[float]]:
    """The leading candidates, their IRIs and the model's posterior renormalised over the pool: exp(score), i.e.
    prior x likelihood^(1/TEMPERATURE), the same odds as the probabilities in primary care. Not the rare-disease
    setting's calibrated probabilities: that calibration is fitted to how often the *leader* is right and tempers
    every candidate alike to match it, so it moved with each refit while the candidates' relative odds, which the
    gain needs, did not (bench/interview: after a refit, top-10 +0.075 over the start with the calibrated
    probabilities, +0.100 with the model's)."""
    pool = ranked[: model.EIG_CANDIDATES]
    scores = [c.score for c in pool if math.isfinite(c.score)]
    if len(scores) < len(pool) or not pool:
        mass = math.fsum(c.probability for c in pool)
        prior = [c.probability / mass for c in pool] if mass > 0 else [1.0 / len(pool)] * len(pool) if pool else []
    else:
        top = max(scores)
        weights = [math.exp(c.score - top) for c in pool]
        total = math.fsum(weights)
        prior = [w / total for w in weights]
    return pool, [str(to_iri(c.disease)) for c in pool], prior


def single_gain(prior: list[float], q: dict[int, float], sensitivity: float = 1.0, specificity: float = 1.0
                ) -> float:
    """Mutual information (bits) between the disease and one finding's report, from the sparse q (pool index ->
    P(f | d)) of the diseases that differ from the background rate."""
    background = sensitivity * model.BACKGROUND_RATE + (1 - specificity) * (1 - model.BACKGROUND_RATE)
    h_background = binary_entropy(background)
    positive = background
    conditional = h_background
    for i in sorted(q):
        r = sensitivity * q[i] + (1 - specificity) * (1 - q[i])
        positive += prior[i] * (r - background)
        conditional += prior[i] * (binary_entropy(r) - h_background)
    return max(0.0, binary_entropy(min(max(positive, 0.0), 1.0)) - conditional)


def _entropies(p: np.ndarray) -> np.ndarray:
    """:func:`binary_entropy` of each element."""
    inside = (p > 0.0) & (p < 1.0)
    q = np.where(inside, p, 0.5)
    return np.where(inside, -(q * np.log2(q) + (1 - q) * np.log2(1 - q)), 0.0)


def single_gains(prior: Sequence[float], columns: Sequence[dict[int, float]], sensitivity: Sequence[float],
                 specificity: Sequence[float]) -> list[float]:
    """:func:`single_gain` of many findings at once (arrays over all their sparse entries): a diagnosis weighs
    hundreds of single findings (every yield of the indicated steps, every question), each over up to
    ``model.EIG_CANDIDATES`` candidates."""
    if not columns:
        return []
    lengths = np.fromiter((len(c) for c in columns), dtype=np.int64, count=len(columns))
    which = np.repeat(np.arange(len(columns)), lengths)
    total = int(lengths.sum())
    index = np.fromiter((i for c in columns for i in c), dtype=np.int64, count=total)
    q = np.fromiter((v for c in columns for v in c.values()), dtype=np.float64, count=total)
    sens = np.asarray(sensitivity, dtype=np.float64)
    spec = np.asarray(specificity, dtype=np.float64)
    weight = np.asarray(prior, dtype=np.float64)[index]
    background = sens * model.BACKGROUND_RATE + (1 - spec) * (1 - model.BACKGROUND_RATE)
    h_background = _entropies(background)
    r = sens[which] * q + (1 - spec[which]) * (1 - q)
    positive = background + np.bincount(which, weights=weight * (r - background[which]), minlength=len(columns))
    conditional = h_background + np.bincount(which, weights=weight * (_entropies(r) - h_background[which]),
                                             minlength=len(columns))
    gains = np.maximum(0.0, _entropies(np.clip(positive, 0.0, 1.0)) - conditional)
    return gains.tolist()


def step_gain(prior: list[float], columns: list[dict[int, float]], ys: list[Yield],
              singles: dict[tuple[str, float, float], float] | None = None, cap: float | None = None) -> float:
    """Mutual information (bits) between the disease and the step's joint report of the findings ``ys`` (sparse
    columns as in :func:`single_gain`); exact over the informative diseases plus one background group (for one
    finding that is its single gain, the same sum). ``cap``: the entropy of ``prior``, when known."""
    m = len(columns)
    if m == 1:
        return _single(prior, columns[0], ys[0], singles)
    informative = sorted(set().union(*(c.keys() for c in columns)))
    if m <= model.MAX_JOINT_FINDINGS and (len(informative) + 1) * (1 << m) <= JOINT_WORK:
        background_mass = max(0.0, 1.0 - math.fsum(prior[i] for i in informative))
        groups = [prior[i] for i in informative] + [background_mass]
        rows = [[y.sensitivity * c.get(i, model.BACKGROUND_RATE)
                 + (1 - y.specificity) * (1 - c.get(i, model.BACKGROUND_RATE)) for c, y in zip(columns, ys)]
                for i in informative]
        rows.append([y.sensitivity * model.BACKGROUND_RATE + (1 - y.specificity) * (1 - model.BACKGROUND_RATE)
                     for y in ys])
        return information_gain(groups, rows)
    total = math.fsum(_single(prior, c, y, singles) for c, y in zip(columns, ys))
    return min(total, entropy(prior) if cap is None else cap)


def _single(prior: list[float], column: dict[int, float], y: Yield,
            singles: dict[tuple[str, float, float], float] | None) -> float:
    if singles is None:
        return single_gain(prior, column, y.sensitivity, y.specificity)
    key = (y.finding, y.sensitivity, y.specificity)
    if key not in singles:
        singles[key] = single_gain(prior, column, y.sensitivity, y.specificity)
    return singles[key]


def next_steps(retrieval: Retrieval, observed: set[str], present: set[str], ranked: list[Candidate],
               observability: Observability | None = None) -> list[NextStep]:
    """``observed``/``present``: IRIs of the findings given (any status) and of those PRESENT."""
    observability = observability or Observability(retrieval)
    ancestors = retrieval.ancestors(sorted(present))  # each finding with its ancestors
    present_closure = set().union(*ancestors.values()) if present else set()

    known = observed | present_closure

    if not ranked:
        return []
    pool, disease_iris, prior = pool_of(ranked)
    reach = observability.reach(disease_iris)
    by_finding = columns_of([reach[d] for d in disease_iris])
    # only a step revealing something a candidate has can change the ranking (thousands of MAxO and LOINC steps
    # reveal nothing of the candidates at hand): look at those alone
    index = observability.by_yield()
    relevant = {step.id: step for f in by_finding for step, _y in index.get(f, ())}
    indicated: list[tuple[Step, list[Yield], list[str]]] = []  # step, its informative unknown findings, reasons
    for step in sorted(relevant.values(), key=lambda s: (s.order, s.id)):
        informative = [y for y in observability.open_yields(step) if y.finding in by_finding
                       and y.finding not in known]
        if not informative:
            continue  # nothing unknown that a candidate has: it cannot change the ranking
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
        if ok:
            indicated.append((step, informative, reasons))
    if not indicated:
        return []

    # one finding's gain, shared by the steps revealing it: all of them at once
    wanted = sorted({(y.finding, y.sensitivity, y.specificity) for _step, informative, _reasons in indicated
                     for y in informative})
    singles: dict[tuple[str, float, float], float] = dict(zip(wanted, single_gains(
        prior, [by_finding[f] for f, _s, _p in wanted], [s for _f, s, _p in wanted], [p for _f, _s, p in wanted])))
    # Branch and bound: the findings of a step are independent given the disease, so its gain is at most the sum
    # of their single gains (and the entropy): steps are taken best bound per cost first, and once that bound is
    # below the NEXT_STEPS_SHOWN-th exact gain per cost no later step can be shown (the output is the same as
    # scoring every step exactly; the exact joint gain costs milliseconds per step, and there are hundreds).
    cap = entropy(prior)
    bounded: list[tuple[float, Step, list[Yield], list[dict[int, float]], list[str]]] = []
    for step, informative, reasons in indicated:
        bound = min(math.fsum(singles[(y.finding, y.sensitivity, y.specificity)] for y in informative), cap)
        bounded.append((bound / step.cost if step.cost > 0 else bound, step, informative,
                        [by_finding[y.finding] for y in informative], reasons))
    bounded.sort(key=lambda b: (-b[0], b[1].order, b[1].id))
    scored: list[tuple[NextStep, list[Yield], list[dict[int, float]], list[str]]] = []
    best: list[float] = []  # min-heap of the NEXT_STEPS_SHOWN best exact gains per cost so far
    for bound_per_cost, step, informative, columns, reasons in bounded:
        if len(best) >= NEXT_STEPS_SHOWN and bound_per_cost < best[0] - BOUND_MARGIN:
            break
        gain = step_gain(prior, columns, informative, singles, cap)
        if gain <= NO_GAIN:
            continue
        per_cost = gain / step.cost if step.cost > 0 else gain
        scored.append((NextStep(step=step, expected_information_gain=gain, gain_per_cost=per_cost,
                                worth_cost=per_cost >= model.MIN_GAIN_PER_COST, rationale=""),
                       informative, columns, reasons))
        if len(best) < NEXT_STEPS_SHOWN:
            heapq.heappush(best, per_cost)
        elif per_cost > best[0]:
            heapq.heapreplace(best, per_cost)
    scored.sort(key=lambda s: (-round(s[0].gain_per_cost, 12), s[0].step.order, s[0].step.id))
    scored = scored[:NEXT_STEPS_SHOWN]
    names = _Names(candidate_names(retrieval, pool))
    for n, informative, columns, reasons in scored:
        n.rationale = _draft(retrieval, n.step, informative, columns, reasons, n.expected_information_gain,
                             prior, singles).format_map(names)
    return [n for n, *_rest in scored]


def safe(text: str) -> str:
    """Text that goes into a drafted rationale: braces are the name placeholders."""
    return text.replace("{", "(").replace("}", ")")


class _Names(dict):
    """Fills ``{i}`` placeholders of a drafted rationale with candidate labels (looked up once for all steps)."""

    def __missing__(self, key: str) -> str:
        return key


def candidate_names(retrieval: Retrieval, pool: list[Candidate], first: int = 10) -> dict[str, str]:
    """``c<pool index>`` -> label, for the leading candidates (labels of those not shown are looked up)."""
    lead = pool[:first]
    missing = [str(to_iri(c.disease)) for c in lead if c.label == c.disease]
    summaries = retrieval.summaries(missing) if missing else {}
    names: dict[str, str] = {}
    for i, c in enumerate(lead):
        label = c.label
        if label == c.disease:
            summary = summaries.get(str(to_iri(c.disease)))
            label = summary.label if summary and summary.label else c.disease
        names[f"c{i}"] = label
    return names


def separated(prior: list[float], columns: list[dict[int, float]], ys: list[Yield] | None = None,
              first: int = 5) -> str:
    """Which leading candidates the report separates: the most and the least likely to show it (drafted with
    ``{i}`` placeholders for the names)."""
    lead = range(min(first, len(prior)))
    rates: list[tuple[float, int]] = []
    for i in lead:
        miss = 1.0
        for j, c in enumerate(columns):
            q = c.get(i, model.BACKGROUND_RATE)
            sens, spec = (ys[j].sensitivity, ys[j].specificity) if ys else (1.0, 1.0)
            miss *= 1 - (sens * q + (1 - spec) * (1 - q))
        rates.append((1 - miss, i))
    if not rates:
        return ""
    # the candidates that weigh most on each side of the expected rate: probability x distance from it
    mass = math.fsum(prior[i] for _r, i in rates)
    mean = math.fsum(prior[i] * r for r, i in rates) / mass if mass > 0 else 0.0
    above = [r for r in rates if r[0] > mean]
    below = [r for r in rates if r[0] < mean]
    if not above or not below:
        return "it hardly separates the leading candidates"
    high = max(above, key=lambda r: (prior[r[1]] * (r[0] - mean), -r[1]))
    low = max(below, key=lambda r: (prior[r[1]] * (mean - r[0]), -r[1]))
    if high[0] - low[0] < 0.05:
        return "it hardly separates the leading candidates"
    return (f"separates {{c{high[1]}}} (positive in {high[0]:.0%}, now {prior[high[1]]:.1%}) from {{c{low[1]}}} "
            f"(positive in {low[0]:.0%}, now {prior[low[1]]:.1%})")


def _draft(retrieval: Retrieval, step: Step, informative: list[Yield], columns: list[dict[int, float]],
           reasons: list[str], gain: float, prior: list[float],
           singles: dict[tuple[str, float, float], float] | None = None) -> str:
    parts = [safe(f"{step.label} ({step.kind.lower().replace('_', ' ')})")]
    parts.append(safe("indicated because " + "; ".join(reasons)) if reasons else "part of the work-up")
    gains = sorted(((_single(prior, c, y, singles), y.finding) for c, y in zip(columns, informative)),
                   key=lambda g: (-g[0], g[1]))
    shown = [safe(retrieval.label(f)) for _g, f in gains[:5]]
    more = f" and {len(gains) - 5} more" if len(gains) > 5 else ""
    parts.append("reveals " + ", ".join(shown) + more)
    top = {f for _g, f in gains[:3]}  # a step revealing hundreds of findings is positive in nearly everyone
    picked = [(c, y) for c, y in zip(columns, informative) if y.finding in top]
    parts.append(separated(prior, [c for c, _y in picked], [y for _c, y in picked]))
    parts.append(f"expected information gain {gain:.3f} bits at relative cost {step.cost:g}")
    return "; ".join(p for p in parts if p) + "."


__all__ = ["Observability", "binary_entropy", "candidate_names", "columns_of", "entropy", "information_gain",
           "next_steps", "pool_of", "separated", "single_gain", "single_gains", "step_gain", "workup_questions"]
