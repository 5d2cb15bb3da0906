"""The diagnosis engine: validates the findings, ranks candidate causes, proposes next steps and advises.

It orchestrates the parts, each with one job: retrieval (the only SPARQL caller, typed records, caches), scoring
(likelihoods and posteriors), nextsteps (expected information gain) and advice (red flags, recommendation,
explanation). The output is decision support for a clinician, not a diagnosis.
"""

from __future__ import annotations

import math
from typing import Iterable

from dxkb.kb.engine import advice, model, nextsteps, scoring
from dxkb.kb.engine import patient as context
from dxkb.kb.engine import triage
from dxkb.kb.engine.openworld import OpenWorld
from dxkb.kb.engine.catalog import LabelIndex
from dxkb.kb.engine.categories import CauseCategories
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import Candidate, Diagnosis, Evidence, Observation, Patient, Status, Step
from dxkb.kb.errors import InputError
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import InvalidCurie, to_curie, to_iri


class DiagnosisEngine:
    """One per store; thread-safe (the retrieval caches are)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.retrieval = Retrieval(store)
        self.triage_rules = triage.TriageRules(store)
        self.open_world = OpenWorld(store)
        self.onsets = context.Onsets(store)

    @property
    def findings(self) -> LabelIndex:
        return self.retrieval.findings

    @property
    def steps(self) -> list[Step]:
        return self.retrieval.steps

    @property
    def categories(self) -> CauseCategories:
        return self.retrieval.categories

    def prefetch(self, *, freeze: bool = True) -> int:
        return self.retrieval.prefetch(freeze=freeze)

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
                raise InputError(f"finding {curie} is given both as {statuses[curie].value} and as {status.value}")
            statuses[curie] = status
        if statuses and all(s is Status.UNKNOWN for s in statuses.values()):
            raise InputError("only UNKNOWN findings given: state at least one finding as PRESENT or ABSENT")
        if unknown:
            names = ", ".join(repr(u) for u in unknown)
            hints = "; ".join(f"{u}: did you mean {', '.join(s) if s else 'nothing close'}" for u, s in unknown.items())
            raise InputError(f"unknown finding ID(s) {names} ({hints})", suggestions=unknown)
        return sorted(Observation(c, s) for c, s in statuses.items())

    # ------------------------------------------------------------------ the pipeline
    def diagnose(self, observations: Iterable[Observation], limit: int = 10,
                 patient: Patient | None = None) -> Diagnosis:
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
        patient = context.check(patient)
        obs = self.validate(observations)
        iri_of = {o.finding: str(to_iri(o.finding)) for o in obs}
        present = {iri_of[o.finding] for o in obs if o.status is Status.PRESENT}
        ranked, other = self._rank_open(obs, iri_of, patient)
        shown = ranked[:limit]
        if shown:  # labels, categories and sourced evidence of the candidates shown (same matching, same numbers)
            shown_iris = [str(to_iri(c.disease)) for c in shown]
            summaries = self.retrieval.summaries(shown_iris)
            sourced = self.retrieval.evidence(iri_of.values(), shown_iris)
            categories = self.categories.most_specific(shown_iris)
            for candidate, iri in zip(shown, shown_iris):
                summary = summaries.get(iri)
                candidate.label = (summary.label if summary else None) or candidate.disease
                candidate.cause_category = categories.get(iri)
                self._explain(candidate, sourced.get(iri, {}), obs, iri_of)
        flags = advice.red_flags(self.retrieval, sorted(present))
        steps = nextsteps.next_steps(self.retrieval, set(iri_of.values()), present, ranked)
        ancestors = self.retrieval.ancestors(present) if present else {}
        coverage = self.open_world.coverage(ancestors)
        questions = triage.unanswered(self.triage_rules.questions, ancestors, set(iri_of.values()),
                                      self.retrieval.pending_results())
        unanswered = [to_curie(q) for q in questions]
        recommendation, level, explanation = advice.decide(
            triage.fired(self.triage_rules.rules, ancestors, patient), flags, steps, coverage, unanswered,
            {q: self.retrieval.label(str(to_iri(q))) for q in unanswered})
        steps = advice.offered(steps, level)
        return Diagnosis(observations=obs, candidates=shown, total_candidates=len(ranked), next_steps=steps,
                         red_flags=flags, recommendation=recommendation, explanation=explanation, triage=level,
                         other_causes_probability=other, coverage=coverage, patient=patient)

    def rank(self, observations: Iterable[Observation], patient: Patient | None = None) -> list[Candidate]:
        """Every candidate, most probable first, as `diagnose` ranks them, without labels, evidence or next steps
        (for benchmarks that need the rank of one disease among thousands)."""
        obs = self.validate(observations)
        return self._rank_open(obs, {o.finding: str(to_iri(o.finding)) for o in obs}, context.check(patient))[0]

    def _rank(self, obs: list[Observation], iri_of: dict[str, str]) -> list[Candidate]:
        return self._rank_open(obs, iri_of)[0]

    def _rank_open(self, obs: list[Observation], iri_of: dict[str, str],
                   patient: Patient | None = None) -> tuple[list[Candidate], float]:
        """The candidates, most probable first, and the probability of the causes the knowledge base does not
        model (openworld.py), normalised together; with the patient's age, onsets that do not fit count against
        (patient.py)."""
        present = {iri_of[o.finding] for o in obs if o.status is Status.PRESENT}
        matches = self.retrieval.matches(sorted(iri_of.values()))
        reachable = sorted(d for d, by_obs in matches.items()
                           if any(not m.negated for f in present for m in by_obs.get(f, ())))
        priors = self.retrieval.priors
        keys = [(iri_of[o.finding], o.status is Status.PRESENT) for o in obs if o.status is not Status.UNKNOWN]
        stated = {finding for finding, _ in keys}  # UNKNOWN answers weigh exactly as if never asked
        features = self.retrieval.features(reachable)
        pending = self.retrieval.pending_results()
        candidates: list[Candidate] = []
        scores: list[float] = []
        for disease in reachable:
            prior, prior_source = priors.get(disease, (model.DEFAULT_PRIOR, None))
            curie = self.retrieval.curie(disease)
            candidates.append(Candidate(disease=curie, label=curie, probability=0.0, rank=0, prior=prior,
                                        prior_is_default=disease not in priors, prior_source=prior_source,
                                        cause_category=None))
            total, terms = features.get(disease, (0.0, {}))
            by_observed = matches[disease]
            mentioned = {m.annotated for f, found in by_observed.items() if f in stated for m in found if not m.negated}
            scores.append(math.log(prior) + scoring.log_likelihood(by_observed, keys)
                          + scoring.unreported(total, terms, mentioned | (pending & terms.keys())))
        if patient is not None and patient.age_years is not None:
            scores = [s + f for s, f in zip(scores, self.onsets.log_factors(reachable, patient))]
        probabilities = scoring.posterior(scores + [self.open_world.log_score(keys, priors)])
        other = probabilities.pop()  # the open-world hypothesis (kb/engine/openworld.py)
        for candidate, probability in zip(candidates, probabilities):
            candidate.probability = probability
        ranked = sorted(candidates, key=lambda c: (-c.probability, c.disease))
        for i, candidate in enumerate(ranked, start=1):
            candidate.rank = i
        return ranked, other

    def _explain(self, candidate: Candidate, matches: dict[str, list], obs: list[Observation],
                 iri_of: dict[str, str]) -> None:
        """Fill in the candidate's evidence: each observation's term, from the same function the ranking adds up."""
        for o in obs:
            if o.status is Status.UNKNOWN:
                continue
            t = scoring.term(matches.get(iri_of[o.finding]), o.status is Status.PRESENT)
            if abs(t.ratio - 1.0) <= 1e-9:
                continue
            m = t.likelihood.match
            evidence = Evidence(
                finding=o.finding, finding_label=self.findings.by_id[o.finding].label, status=o.status,
                likelihood=t.likelihood.p, likelihood_ratio=t.ratio,
                frequency=float(m.frequency) if m is not None and m.frequency is not None else None,
                matched=to_curie(m.annotated) if m is not None else None, relation=t.likelihood.relation,
                source=m.source if m is not None else None)
            (candidate.supporting if t.ratio > 1.0 else candidate.opposing).append(evidence)
