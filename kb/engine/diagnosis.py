"""Rank candidate causes and choose the next diagnostic steps.

SPARQL (queries/*.rq) retrieves: the hierarchy matches of each finding and the annotations of each finding, which
this module caches per finding (the store is read-only while open) and joins. Python does the arithmetic SPARQL
lacks: Bayesian scores with log sums, normalisation, and expected information gain. The model and its constants
are in kb/model.py and the README ("The model"). The output is decision support for a clinician, not a diagnosis.
"""

from __future__ import annotations

import gc
import math
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from enum import Enum
from itertools import product
from typing import Iterable

from rdflib import URIRef

from dxkb.kb.engine import model
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store
from dxkb.kb.engine.catalog import LabelIndex
from dxkb.kb.engine.categories import CauseCategories
from dxkb.kb.vocab import InvalidCurie, to_curie, to_iri
from dxkb.kb.errors import InputError
from dxkb.kb.engine.types import (Candidate, Diagnosis, Evidence, NextStep, Observation, Precondition,
                                  Recommendation, RedFlag, Status, Step, Yield)

#: Findings per VALUES block when the engine asks the store for hierarchy matches or annotations.
RETRIEVAL_CHUNK = 2000

#: Observed findings whose hierarchy matches (queries/finding_matches.rq) stay cached; the annotations of every
#: finding are kept (queries/annotations.rq: about 30 MB for the 254,000 HPO annotations).
MATCH_CACHE_SIZE = 4096



def _entropy(probabilities: Iterable[float]) -> float:
    return -sum(p * math.log2(p) for p in probabilities if p > 0)


class DiagnosisEngine:
    """One per store; thread-safe. Static parts of the KB (indexes, steps) are loaded once, lazily."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._findings: LabelIndex | None = None
        self._steps: list[Step] | None = None
        self._priors: dict[str, tuple[float, str | None]] | None = None
        self.categories = CauseCategories(store)
        # Retrieval caches (see _candidate_rows); the store is read-only while the engine has it open.
        self._cache_lock = threading.Lock()
        self._matches_cache: OrderedDict[str, tuple[tuple, ...]] = OrderedDict()
        self._annotations_cache: dict[str, tuple[tuple[str, bool, float | None], ...]] = {}
        self._curies: dict[str, str] = {}  # disease IRI -> CURIE (thousands per diagnosis at HPO scale)
        # disease IRI -> (sum over its features of ln(1 - rate x P(f|D)), feature IRI -> its term)
        self._features: dict[str, tuple[float, dict[str, float]]] = {}

    # ------------------------------------------------------------------ static parts
    @property
    def findings(self) -> LabelIndex:
        with self._lock:
            if self._findings is None:
                self._findings = LabelIndex.findings(self.store)
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
                                for row in sparql.select(self.store, "priors")}
            return self._priors

    def _load_steps(self) -> list[Step]:
        steps: dict[str, Step] = {}
        test_kinds = {row["kindClass"] for row in sparql.select(self.store, "test_kinds")}
        for row in sparql.select(self.store, "diagnostic_steps"):
            steps.setdefault(row["step"], Step(
                id=to_curie(row["step"]), iri=row["step"], label=row["label"], kind=row["kind"],
                is_test=row["kindClass"] in test_kinds,
                invasiveness=float(row["invasiveness"]) if row["invasiveness"] is not None else None,
                cost=float(row["cost"]) if row["cost"] is not None else 1.0,
                order=int(row["order"]) if row["order"] is not None else 999, definition=row["definition"]))
        for row in sparql.select(self.store, "step_yields"):
            if row["step"] in steps:
                steps[row["step"]].yields.append(
                    Yield(row["finding"], float(row["sensitivity"]), float(row["specificity"])))
        grouped: dict[tuple[str, str], dict] = {}
        for row in sparql.select(self.store, "step_preconditions"):
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

    # ------------------------------------------------------------------ retrieval
    # The rows of queries/candidates.rq come from its two halves, each cached per finding: finding_matches.rq (the
    # hierarchy walk from an observed finding: which annotated findings match it, how, with which specificity) and
    # annotations.rq (the annotations naming a finding). The one-query form costs ~20 us a row in embedded Oxigraph
    # (thousands of rows for five findings on the HPO build); from the caches a row costs a dictionary look-up.
    def _matches(self, findings: Iterable[str]) -> dict[str, tuple[tuple, ...]]:
        """Observed finding IRI -> (annotated, relation, observedSpecificity, annotatedSpecificity) tuples."""
        wanted = sorted(set(findings))
        found: dict[str, tuple[tuple, ...]] = {}
        with self._cache_lock:
            for finding in wanted:
                if finding in self._matches_cache:
                    self._matches_cache.move_to_end(finding)
                    found[finding] = self._matches_cache[finding]
        missing = [f for f in wanted if f not in found]
        if missing:
            fetched: dict[str, list[tuple]] = {f: [] for f in missing}
            for start in range(0, len(missing), RETRIEVAL_CHUNK):
                chunk = missing[start:start + RETRIEVAL_CHUNK]
                for row in sparql.select(self.store, "finding_matches", values={("observed",): [(URIRef(f),) for f in chunk]}):
                    fetched[row["observed"]].append((row["annotated"], row["relation"], row["observedSpecificity"],
                                                     row["annotatedSpecificity"]))
            with self._cache_lock:
                for finding, rows in fetched.items():
                    found[finding] = self._matches_cache[finding] = tuple(rows)
                while len(self._matches_cache) > MATCH_CACHE_SIZE:
                    self._matches_cache.popitem(last=False)
        return found

    def _annotations(self, findings: Iterable[str]) -> dict[str, tuple[tuple[str, bool, float | None], ...]]:
        """Annotated finding IRI -> (disease, negated, frequency) of every annotation naming it."""
        cache = self._annotations_cache
        missing = sorted({f for f in findings if f not in cache})
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            fetched: dict[str, list[tuple[str, bool, float | None]]] = {f: [] for f in chunk}
            for row in sparql.select(self.store, "annotations", values={("annotated",): [(URIRef(f),) for f in chunk]}):
                fetched[row["annotated"]].append((row["disease"], row["negated"], row["frequency"]))
            for finding, rows in fetched.items():
                cache[finding] = tuple(rows)  # one atomic store per key: concurrent fillers write equal values
        return cache

    def prefetch(self, *, freeze: bool = True) -> int:
        """Load the annotations of every finding now (6-9 s on the HPO build, 30 MB), so that no diagnosis waits
        for them; returns the number of annotations held. Optional: without it they load as diagnoses need them.

        With `freeze` (the default) it then calls ``gc.freeze()``: the caches, indexes and store objects loaded so
        far live as long as the process, and without it every full cyclic-garbage collection walks them again -
        at HPO scale a diagnosis allocates enough to trigger one every few requests, which doubled its time."""
        self._annotations(entry.iri for entry in self.findings.entries)
        by_disease: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
        for annotated, rows in list(self._annotations_cache.items()):
            for disease, negated, frequency in rows:
                if not negated:
                    by_disease[disease].append((annotated, frequency))
        for disease, features in by_disease.items():
            self._features[disease] = _feature_terms(features)
        if freeze:
            gc.freeze()
        return sum(len(rows) for rows in list(self._annotations_cache.values()))  # a copy: requests may add keys

    def _pending_results(self) -> set[str]:
        """Findings only a test or time reveals (yields of steps other than history taking and examination): one
        not given is not yet known, not unreported, so it stays out of the unreported-feature term."""
        return {y.finding for step in self.steps if step.kind not in ("HISTORY", "EXAMINATION") for y in step.yields}

    def _unreported(self, diseases: Iterable[str]) -> dict[str, tuple[float, dict[str, float]]]:
        """Per disease: the features' ln(1 - rate x P(f|D)) terms and their sum (queried for diseases not yet held)."""
        features = self._features
        missing = sorted({d for d in diseases if d not in features})
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            found: dict[str, list[tuple[str, float | None]]] = {d: [] for d in chunk}
            for row in sparql.select(self.store, "disease_annotations", values={("disease",): [(URIRef(d),) for d in chunk]}):
                found[row["disease"]].append((row["annotated"], row["frequency"]))
            for disease, rows in found.items():
                features[disease] = _feature_terms(rows)  # one atomic store per key, as in _annotations
        return features

    def _candidate_rows(self, findings: Iterable[str], diseases: Iterable[str] | None = None
                        ) -> dict[str, dict[str, list[dict]]]:
        """The rows candidates.rq gives for these findings (only those of `diseases` when given), grouped by disease
        and observed finding: the same rows, from the cached halves."""
        matches = self._matches(findings)
        annotations = self._annotations({m[0] for rows in matches.values() for m in rows})
        keep = set(diseases) if diseases is not None else None
        grouped: dict[str, dict[str, list[dict]]] = {}
        for observed, rows in matches.items():
            for annotated, relation, observed_specificity, annotated_specificity in rows:
                for disease, negated, frequency in annotations[annotated]:
                    if keep is not None and disease not in keep:
                        continue
                    row = {"observed": observed, "disease": disease, "annotated": annotated, "relation": relation,
                           "frequency": frequency, "negated": negated, "observedSpecificity": observed_specificity,
                           "annotatedSpecificity": annotated_specificity}
                    by_observed = grouped.get(disease)
                    if by_observed is None:
                        grouped[disease] = {observed: [row]}
                    elif observed in by_observed:
                        by_observed[observed].append(row)
                    else:
                        by_observed[observed] = [row]
        return grouped

    def _evidence_rows(self, query: str, findings: Iterable[str], diseases: Iterable[str] | None = None
                       ) -> dict[str, dict[str, list[dict]]]:
        values = {("observed",): [(URIRef(f),) for f in sorted(set(findings))]}
        if diseases is not None:
            values[("disease",)] = [(URIRef(d),) for d in sorted(set(diseases))]
        grouped: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
        for row in sparql.select(self.store, query, values=values):
            grouped[row["disease"]][row["observed"]].append(row)
        return grouped

    # ------------------------------------------------------------------ the pipeline
    def diagnose(self, observations: Iterable[Observation], limit: int = 10) -> Diagnosis:
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
        obs = self.validate(observations)
        iri_of = {o.finding: str(to_iri(o.finding)) for o in obs}
        present = {iri_of[o.finding] for o in obs if o.status is Status.PRESENT}
        ranked = self._rank(obs, iri_of)
        shown = ranked[:limit]
        if shown:  # labels, categories and sourced evidence of the candidates shown (same matching, same numbers)
            shown_iris = [str(to_iri(c.disease)) for c in shown]
            summaries = {row["disease"]: row for row in sparql.select(
                self.store, "disease_summaries", values={("disease",): [(URIRef(d),) for d in shown_iris]})}
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

    def rank(self, observations: Iterable[Observation]) -> list[Candidate]:
        """Every candidate, most probable first, as `diagnose` ranks them, without labels, evidence or next steps
        (for benchmarks that need the rank of one disease among thousands)."""
        obs = self.validate(observations)
        return self._rank(obs, {o.finding: str(to_iri(o.finding)) for o in obs})

    def _rank(self, obs: list[Observation], iri_of: dict[str, str]) -> list[Candidate]:
        present = {iri_of[o.finding] for o in obs if o.status is Status.PRESENT}
        absent = {iri_of[o.finding] for o in obs if o.status is Status.ABSENT}
        rows = self._candidate_rows(present | absent)
        reachable = sorted(d for d, by_obs in rows.items()
                           if any(not r["negated"] for f in present for r in by_obs.get(f, ())))
        scored: list[tuple[float, Candidate]] = []
        priors, curies = self.priors, self._curies
        keys = [(iri_of[o.finding], o.status is Status.PRESENT) for o in obs]
        features = self._unreported(reachable)
        pending = self._pending_results()
        for disease in reachable:
            prior, prior_source = priors.get(disease, (model.DEFAULT_PRIOR, None))
            curie = curies.get(disease) or curies.setdefault(disease, to_curie(disease))
            candidate = Candidate(disease=curie, label=curie, probability=0.0, rank=0,
                                  prior=prior, prior_is_default=disease not in priors, prior_source=prior_source,
                                  cause_category=None)
            total, terms = features.get(disease, (0.0, {}))
            mentioned = {r["annotated"] for by_finding in rows[disease].values() for r in by_finding if not r["negated"]}
            unreported = total - sum(terms.get(a, 0.0) for a in mentioned | (pending & terms.keys()))
            scored.append((math.log(prior) + self._log_likelihood(rows[disease], keys) + unreported, candidate))
        if scored:
            top = max(s for s, _ in scored)
            weights = [math.exp(s - top) for s, _ in scored]
            total = sum(weights)
            for (_, candidate), w in zip(scored, weights):
                candidate.probability = w / total
        ranked = sorted((c for _, c in scored), key=lambda c: (-c.probability, c.disease))
        for i, candidate in enumerate(ranked, start=1):
            candidate.rank = i
        return ranked

    def _log_likelihood(self, rows: dict[str, list[dict]], keys: list[tuple[str, bool]]) -> float:
        """What `_weigh` returns without `explain`, computed the same way (the same terms added in the same order,
        so the same float) with less work per candidate: thousands of candidates match none of most findings."""
        total = 0.0
        for finding, present in keys:
            matched = rows.get(finding)
            if matched:
                p = self._likelihood(matched)[0]
                total += math.log(p) if present else math.log(1.0 - p)
            else:
                total += _LOG_NO_MATCH if present else _LOG_NO_MATCH_ABSENT
        return total

    def _weigh(self, candidate: Candidate, rows: dict[str, list[dict]], obs: list[Observation],
               iri_of: dict[str, str], *, explain: bool) -> float:
        """Sum of log-likelihoods of the observations for one disease; with `explain`, fill in its evidence."""
        total = 0.0
        for o in obs:
            matched = rows.get(iri_of[o.finding])
            p, row, relation = self._likelihood(matched) if matched else _NO_MATCH
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
        for row in sparql.select(self.store, "red_flags", values={("present",): terms, ("context_present",): terms}):
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
        for row in sparql.select(self.store, "ancestors", values={("finding",): [(URIRef(i),) for i in sorted(iri_of.values())]}):
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
        rows = self._candidate_rows(yield_findings, disease_iris) if pool else {}  # sources are not needed here
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


def _feature_terms(features: Iterable[tuple[str, float | None]]) -> tuple[float, dict[str, float]]:
    """ln(1 - rate x P(f|D)) for each feature of a disease (the best frequency when listed twice) and their sum."""
    terms: dict[str, float] = {}
    for annotated, frequency in features:
        p = min(float(frequency) if frequency is not None else 0.5, model.MAX_LIKELIHOOD)
        terms[annotated] = min(terms.get(annotated, 0.0), math.log(1.0 - model.UNREPORTED_RATE * p))
    return sum(terms.values()), terms


#: What `_likelihood` gives for a finding no annotation of the disease matches (most pairs at HPO scale): computed
#: once, so scoring thousands of candidates does not call it for each of them.
_NO_MATCH = DiagnosisEngine._likelihood([])
_LOG_NO_MATCH, _LOG_NO_MATCH_ABSENT = math.log(_NO_MATCH[0]), math.log(1.0 - _NO_MATCH[0])
