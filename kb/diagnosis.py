"""Rank candidate causes and choose the next diagnostic steps.

SPARQL (queries/*.rq) retrieves; this module does only the arithmetic SPARQL lacks: Bayesian scores with log
sums, normalisation, and expected information gain. The model and its constants are in kb/model.py and the
README ("The model"). The output is decision support for a clinician, not a diagnosis.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from itertools import product
from typing import Iterable

from rdflib import Graph, URIRef

from kb import model, sparql
from kb.catalog import LabelIndex
from kb.categories import CauseCategories
from kb.curie import InvalidCurie, to_curie, to_iri
from kb.errors import InputError

DISCLAIMER = ("Decision support, not a diagnosis: probabilities are estimates from the knowledge base's priors and "
              "finding frequencies, each traceable to its source; a clinician must interpret them.")


class Status(str, Enum):
    PRESENT = "PRESENT"
    ABSENT = "ABSENT"


class Recommendation(str, Enum):
    """What to do overall. Decided in one place (`_recommend`), so further levels (e.g. urgent referral) slot in."""

    WATCHFUL_WAITING = "WATCHFUL_WAITING"
    FURTHER_TESTING = "FURTHER_TESTING"


@dataclass(frozen=True, order=True)
class Observation:
    finding: str  # CURIE, e.g. HP:0000988
    status: Status


@dataclass
class Evidence:
    finding: str  # the patient's finding (CURIE)
    finding_label: str
    status: Status
    likelihood: float  # P(finding | disease) used in the score (before the ABSENT complement)
    likelihood_ratio: float  # relative to the background rate; > 1 supports, < 1 opposes
    frequency: float | None  # the annotated frequency, when an annotation matched
    matched: str | None  # the annotated finding (CURIE) that matched, possibly an ancestor or descendant
    relation: str  # exact | annotated-broader | annotated-narrower | negated | background
    source: str | None


@dataclass
class Candidate:
    disease: str  # CURIE
    label: str
    probability: float
    rank: int
    prior: float
    prior_is_default: bool
    prior_source: str | None
    cause_category: str | None
    supporting: list[Evidence] = field(default_factory=list)
    opposing: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class Yield:
    finding: str  # IRI
    sensitivity: float
    specificity: float


@dataclass(frozen=True)
class Precondition:
    condition: str  # ANY | NONE
    findings: frozenset[str]  # IRIs
    sentence: str | None


@dataclass
class Step:
    id: str
    iri: str
    label: str
    kind: str
    is_test: bool
    invasiveness: float | None
    cost: float
    order: int
    definition: str | None
    yields: list[Yield] = field(default_factory=list)
    preconditions: list[Precondition] = field(default_factory=list)


@dataclass
class NextStep:
    step: Step
    expected_information_gain: float  # bits
    gain_per_cost: float
    worth_cost: bool
    rationale: str


@dataclass
class RedFlag:
    finding: str  # the patient's finding (CURIE)
    label: str
    red_flag_for: str  # the presenting complaint (CURIE)
    raises_suspicion_of: str | None
    suspicion_label: str | None
    sentence: str | None
    source: str | None


@dataclass
class Diagnosis:
    observations: list[Observation]
    candidates: list[Candidate]
    total_candidates: int
    next_steps: list[NextStep]
    red_flags: list[RedFlag]
    recommendation: Recommendation
    explanation: str
    disclaimer: str = DISCLAIMER


def _entropy(probabilities: Iterable[float]) -> float:
    return -sum(p * math.log2(p) for p in probabilities if p > 0)


class DiagnosisEngine:
    """One per store; thread-safe. Static parts of the KB (indexes, steps) are loaded once, lazily."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._lock = threading.Lock()
        self._findings: LabelIndex | None = None
        self._steps: list[Step] | None = None
        self._priors: dict[str, tuple[float, str | None]] | None = None
        self.categories = CauseCategories(graph)

    # ------------------------------------------------------------------ static parts
    @property
    def findings(self) -> LabelIndex:
        with self._lock:
            if self._findings is None:
                self._findings = LabelIndex.findings(self.graph)
            return self._findings

    @property
    def steps(self) -> list[Step]:
        with self._lock:
            if self._steps is None:
                self._steps = self._load_steps()
            return self._steps

    @property
    def priors(self) -> dict[str, tuple[float, str | None]]:
        """Disease IRI -> (prior, source); diseases without one take model.DEFAULT_PRIOR."""
        with self._lock:
            if self._priors is None:
                self._priors = {row["disease"]: (float(row["probability"]), row["source"])
                                for row in sparql.select(self.graph, "priors")}
            return self._priors

    def _load_steps(self) -> list[Step]:
        steps: dict[str, Step] = {}
        test_kinds = {row["kindClass"] for row in sparql.select(self.graph, "test_kinds")}
        for row in sparql.select(self.graph, "diagnostic_steps"):
            steps.setdefault(row["step"], Step(
                id=to_curie(row["step"]), iri=row["step"], label=row["label"], kind=row["kind"],
                is_test=row["kindClass"] in test_kinds,
                invasiveness=float(row["invasiveness"]) if row["invasiveness"] is not None else None,
                cost=float(row["cost"]) if row["cost"] is not None else 1.0,
                order=int(row["order"]) if row["order"] is not None else 999, definition=row["definition"]))
        for row in sparql.select(self.graph, "step_yields"):
            if row["step"] in steps:
                steps[row["step"]].yields.append(
                    Yield(row["finding"], float(row["sensitivity"]), float(row["specificity"])))
        grouped: dict[tuple[str, str], dict] = {}
        for row in sparql.select(self.graph, "step_preconditions"):
            entry = grouped.setdefault((row["step"], row["precondition"]),
                                       {"condition": row["condition"], "findings": set(), "sentence": row["sentence"]})
            entry["findings"].add(row["finding"])
        for (step_iri, _node), entry in sorted(grouped.items()):
            if step_iri in steps:
                steps[step_iri].preconditions.append(
                    Precondition(entry["condition"], frozenset(entry["findings"]), entry["sentence"]))
        return sorted(steps.values(), key=lambda s: (s.order, s.id))

    # ------------------------------------------------------------------ input
    def validate(self, observations: Iterable[Observation]) -> list[Observation]:
        """Check IDs and statuses; return the de-duplicated observations in a canonical order."""
        given = list(observations)
        if not given:
            raise InputError("no findings given: state at least one finding as PRESENT or ABSENT")
        unknown: dict[str, list[str]] = {}
        statuses: dict[str, Status] = {}
        for obs in given:
            try:
                curie = to_curie(str(to_iri(obs.finding)))
            except InvalidCurie:
                curie = obs.finding
            if curie not in self.findings:
                # fuzzy suggestions cost a scan of every label: only for the first few unknown IDs
                unknown[obs.finding] = self.findings.suggest(obs.finding) if len(unknown) < 5 else []
                continue
            status = Status(obs.status)
            if statuses.get(curie, status) != status:
                raise InputError(f"finding {curie} is given both as PRESENT and as ABSENT")
            statuses[curie] = status
        if unknown:
            names = ", ".join(repr(u) for u in unknown)
            hints = "; ".join(f"{u}: did you mean {', '.join(s) if s else 'nothing close'}" for u, s in unknown.items())
            raise InputError(f"unknown finding ID(s) {names} ({hints})", suggestions=unknown)
        return sorted(Observation(c, s) for c, s in statuses.items())

    # ------------------------------------------------------------------ likelihoods
    @staticmethod
    def _likelihood(rows: list[dict]) -> tuple[float, dict | None, str]:
        """P(observed finding | disease) from the annotation rows that match it, with the row used."""
        best_p, best_row, negated_row = -1.0, None, None
        for row in rows:
            if row["negated"]:
                if row["relation"] in ("exact", "annotated-broader") and (
                        negated_row is None or row["annotated"] < negated_row["annotated"]):
                    negated_row = row
                continue
            frequency = float(row["frequency"]) if row["frequency"] is not None else 0.5
            p = frequency
            if row["relation"] == "annotated-broader":
                obs_s, ann_s = row["observedSpecificity"], row["annotatedSpecificity"]
                if obs_s is not None and ann_s is not None:
                    p = frequency * math.exp(min(0.0, float(obs_s) - float(ann_s)))
            if p > best_p or (p == best_p and best_row is not None and row["annotated"] < best_row["annotated"]):
                best_p, best_row = p, row  # ties broken by IRI: rows arrive in no particular order
        if best_row is not None:
            return min(max(best_p, model.BACKGROUND_RATE), model.MAX_LIKELIHOOD), best_row, best_row["relation"]
        if negated_row is not None:
            return model.NEGATED_RATE, negated_row, "negated"
        return model.BACKGROUND_RATE, None, "background"

    def _evidence_rows(self, query: str, findings: Iterable[str], diseases: Iterable[str] | None = None
                       ) -> dict[str, dict[str, list[dict]]]:
        values = {("observed",): [(URIRef(f),) for f in sorted(set(findings))]}
        if diseases is not None:
            values[("disease",)] = [(URIRef(d),) for d in sorted(set(diseases))]
        grouped: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for row in sparql.select(self.graph, query, values=values):
            grouped[row["disease"]][row["observed"]].append(row)
        return grouped

    # ------------------------------------------------------------------ the pipeline
    def diagnose(self, observations: Iterable[Observation], limit: int = 10) -> Diagnosis:
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
        obs = self.validate(observations)
        iri_of = {o.finding: str(to_iri(o.finding)) for o in obs}
        present = {iri_of[o.finding] for o in obs if o.status is Status.PRESENT}
        absent = {iri_of[o.finding] for o in obs if o.status is Status.ABSENT}
        rows = self._evidence_rows("candidates", present | absent)
        reachable = sorted(d for d, by_obs in rows.items()
                           if any(not r["negated"] for f in present for r in by_obs.get(f, ())))
        scored: list[tuple[float, Candidate]] = []
        priors = self.priors
        for disease in reachable:
            prior, prior_source = priors.get(disease, (model.DEFAULT_PRIOR, None))
            candidate = Candidate(disease=to_curie(disease), label=to_curie(disease), probability=0.0, rank=0,
                                  prior=prior, prior_is_default=disease not in priors, prior_source=prior_source,
                                  cause_category=None)
            scored.append((math.log(prior) + self._weigh(candidate, rows[disease], obs, iri_of, explain=False), candidate))
        if scored:
            top = max(s for s, _ in scored)
            weights = [math.exp(s - top) for s, _ in scored]
            total = sum(weights)
            for (_, candidate), w in zip(scored, weights):
                candidate.probability = w / total
        ranked = sorted((c for _, c in scored), key=lambda c: (-c.probability, c.disease))
        for i, candidate in enumerate(ranked, start=1):
            candidate.rank = i
        shown = ranked[:limit]
        if shown:  # labels, categories and sourced evidence of the candidates shown (same matching, same numbers)
            shown_iris = [str(to_iri(c.disease)) for c in shown]
            summaries = {row["disease"]: row for row in sparql.select(
                self.graph, "disease_summaries", values={("disease",): [(URIRef(d),) for d in shown_iris]})}
            sourced = self._evidence_rows("evidence", iri_of.values(), shown_iris)
            categories = self.categories.most_specific(shown_iris)
            for candidate, iri in zip(shown, shown_iris):
                candidate.label = summaries.get(iri, {}).get("label") or candidate.disease
                candidate.cause_category = categories.get(iri)
            for candidate in shown:
                self._weigh(candidate, sourced[str(to_iri(candidate.disease))], obs, iri_of, explain=True)

        red_flags = self._red_flags(sorted(present))
        next_steps = self._next_steps(obs, iri_of, present, ranked)
        recommendation = self._recommend(red_flags, next_steps)
        return Diagnosis(observations=obs, candidates=shown, total_candidates=len(ranked),
                         next_steps=next_steps, red_flags=red_flags, recommendation=recommendation,
                         explanation=self._explain(recommendation, red_flags, next_steps))

    def _weigh(self, candidate: Candidate, rows: dict[str, list[dict]], obs: list[Observation],
               iri_of: dict[str, str], *, explain: bool) -> float:
        """Sum of log-likelihoods of the observations for one disease; with `explain`, fill in its evidence."""
        total = 0.0
        for o in obs:
            p, row, relation = self._likelihood(rows.get(iri_of[o.finding], []))
            if o.status is Status.PRESENT:
                total += math.log(p)
                ratio = p / model.BACKGROUND_RATE
            else:
                total += math.log(1.0 - p)
                ratio = (1.0 - p) / (1.0 - model.BACKGROUND_RATE)
            if not explain or abs(ratio - 1.0) <= 1e-9:
                continue
            evidence = Evidence(
                finding=o.finding, finding_label=self.findings.by_id[o.finding].label, status=o.status,
                likelihood=p, likelihood_ratio=ratio,
                frequency=float(row["frequency"]) if row and row["frequency"] is not None else None,
                matched=to_curie(row["annotated"]) if row else None, relation=relation,
                source=row.get("source") if row else None)
            (candidate.supporting if ratio > 1.0 else candidate.opposing).append(evidence)
        return total

    def _red_flags(self, present: list[str]) -> list[RedFlag]:
        if not present:
            return []
        terms = [(URIRef(p),) for p in present]
        flags: dict[str, RedFlag] = {}
        for row in sparql.select(self.graph, "red_flags", values={("present",): terms, ("context_present",): terms}):
            curie = to_curie(row["present"])
            flags.setdefault(curie, RedFlag(
                finding=curie, label=self.findings.by_id[curie].label if curie in self.findings else curie,
                red_flag_for=to_curie(row["context"]),
                raises_suspicion_of=to_curie(row["suspicion"]) if row["suspicion"] else None,
                suspicion_label=row["suspicionLabel"], sentence=row["sentence"], source=row["source"]))
        return [flags[k] for k in sorted(flags)]

    # ------------------------------------------------------------------ next steps
    def _next_steps(self, obs: list[Observation], iri_of: dict[str, str], present: set[str],
                    ranked: list[Candidate]) -> list[NextStep]:
        ancestors: dict[str, set[str]] = defaultdict(set)
        for row in sparql.select(self.graph, "ancestors", values={("finding",): [(URIRef(i),) for i in sorted(iri_of.values())]}):
            ancestors[row["finding"]].add(row["ancestor"])
        present_closure = set().union(*(ancestors[p] | {p} for p in present)) if present else set()
        observed = set(iri_of.values())

        def known(finding: str) -> bool:
            return finding in observed or finding in present_closure

        indicated: list[tuple[Step, list[Yield], list[str]]] = []
        for step in self.steps:
            reasons: list[str] = []
            ok = True
            for pre in step.preconditions:
                hits = pre.findings & present_closure
                if pre.condition == "ANY" and not hits:
                    ok = False
                elif pre.condition == "NONE" and hits:
                    ok = False
                elif pre.condition == "ANY":
                    reasons.append(", ".join(sorted(self._label(h) for h in hits)) + " present")
                else:
                    reasons.append("no sign of " + ", ".join(sorted(self._label(f) for f in pre.findings)))
            unknown = [y for y in step.yields if not known(y.finding)]
            if ok and unknown:
                indicated.append((step, unknown, reasons))
        if not indicated:
            return []

        pool = ranked[: model.EIG_CANDIDATES]
        mass = sum(c.probability for c in pool)
        prior = [c.probability / mass for c in pool] if mass > 0 else []
        yield_findings = {y.finding for _, ys, _ in indicated for y in ys}
        disease_iris = [str(to_iri(c.disease)) for c in pool]
        rows = self._evidence_rows("evidence", yield_findings, disease_iris) if pool else {}
        likelihood = {(d, f): self._likelihood(rows.get(d, {}).get(f, []))[0] for d in disease_iris for f in yield_findings}

        result: list[NextStep] = []
        for step, unknown, reasons in indicated:
            positive = [[y.sensitivity * likelihood[(d, y.finding)] + (1 - y.specificity) * (1 - likelihood[(d, y.finding)])
                         for y in unknown] for d in disease_iris]
            gain = self._information_gain(prior, positive)
            per_cost = gain / step.cost if step.cost > 0 else gain
            worth = per_cost >= model.MIN_GAIN_PER_COST
            result.append(NextStep(step=step, expected_information_gain=gain, gain_per_cost=per_cost, worth_cost=worth,
                                   rationale=self._step_rationale(step, unknown, reasons, gain, pool, positive)))
        result.sort(key=lambda n: (-round(n.gain_per_cost, 12), n.step.order, n.step.id))
        return result

    @staticmethod
    def _information_gain(prior: list[float], positive: list[list[float]]) -> float:
        """Expected entropy reduction (bits) of the candidate distribution by observing the step's findings."""
        if not prior:
            return 0.0
        m = len(positive[0])
        h0 = _entropy(prior)
        if m > model.MAX_JOINT_FINDINGS:  # score as independent single-finding tests
            return sum(DiagnosisEngine._information_gain(prior, [[row[j]] for row in positive]) for j in range(m))
        expected = 0.0
        for outcome in product((True, False), repeat=m):
            joint = []
            for p, row in zip(prior, positive):
                q = p
                for hit, r in zip(outcome, row):
                    q *= r if hit else (1 - r)
                joint.append(q)
            total = sum(joint)
            if total > 0:
                expected += total * _entropy(j / total for j in joint)
        return max(0.0, h0 - expected)

    def _step_rationale(self, step: Step, unknown: list[Yield], reasons: list[str], gain: float,
                        pool: list[Candidate], positive: list[list[float]]) -> str:
        parts = [f"{step.label} ({step.kind.lower().replace('_', ' ')})"]
        parts.append("indicated because " + "; ".join(reasons) if reasons else "part of the basic work-up")
        reveals = ", ".join(self._label(y.finding) for y in unknown)
        parts.append(f"reveals {reveals}")
        top = [(c, row) for c, row in zip(pool, positive)][:3]
        if top:
            parts.append("a positive result is expected in " + ", ".join(
                f"{row[0]:.0%} of {c.label} (now {c.probability:.1%})" for c, row in top))
        parts.append(f"expected information gain {gain:.3f} bits at relative cost {step.cost:g}")
        return "; ".join(parts) + "."

    def _label(self, iri: str) -> str:
        entry = self.findings.get(to_curie(iri))
        return entry.label if entry else to_curie(iri)

    # ------------------------------------------------------------------ recommendation
    @staticmethod
    def _recommend(red_flags: list[RedFlag], next_steps: list[NextStep]) -> Recommendation:
        if red_flags or any(n.step.is_test and n.worth_cost for n in next_steps):
            return Recommendation.FURTHER_TESTING
        return Recommendation.WATCHFUL_WAITING

    @staticmethod
    def _explain(recommendation: Recommendation, red_flags: list[RedFlag], next_steps: list[NextStep]) -> str:
        if recommendation is Recommendation.WATCHFUL_WAITING:
            return ("No red flag is present and no test is worth its cost: wait and see, and review if new complaints "
                    "appear or the finding persists.")
        tests = [n.step.label for n in next_steps if n.step.is_test]
        flags = ", ".join(f.label for f in red_flags)
        text = f"Red flag(s) present: {flags}. " if flags else ""
        if tests:
            return text + f"Further testing: {tests[0]} first."
        return text + "The tests of this knowledge base are done; evaluate for other serious causes."
