"""The diagnosis engine: validates the findings, ranks candidate causes, proposes next steps and advises.

It orchestrates the parts, each with one job: retrieval (the only SPARQL caller, typed records, caches), scoring
(likelihoods and posteriors), nextsteps (expected information gain) and advice (red flags, recommendation,
explanation). The output is decision support for a clinician, not a diagnosis.
"""

from __future__ import annotations

import math
from typing import Iterable

from dxkb.kb.engine import advice, model, nextsteps, questions, scoring
from dxkb.kb.engine.catalog import LabelIndex
from dxkb.kb.engine.categories import CauseCategories
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import Candidate, Diagnosis, Evidence, Observation, Status, Step
from dxkb.kb.errors import InputError
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import InvalidCurie, to_curie, to_iri


class DiagnosisEngine:
    """One per store; thread-safe (the retrieval caches are)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.retrieval = Retrieval(store)
        self.observability = nextsteps.Observability(self.retrieval)

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
        self.observability.prefetch()  # first: retrieval.prefetch freezes what is loaded by then
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
            summaries = self.retrieval.summaries(shown_iris)
            sourced = self.retrieval.evidence(iri_of.values(), shown_iris)
            categories = self.categories.most_specific(shown_iris)
            for candidate, iri in zip(shown, shown_iris):
                summary = summaries.get(iri)
                candidate.label = (summary.label if summary else None) or candidate.disease
                candidate.cause_category = categories.get(iri)
                self._explain(candidate, sourced.get(iri, {}), obs, iri_of)
        flags = advice.red_flags(self.retrieval, sorted(present))
        steps = nextsteps.next_steps(self.retrieval, set(iri_of.values()), present, ranked, self.observability)
        recommendation, explanation = advice.advise(flags, steps)
        asked, stop = questions.next_questions(self.retrieval, self.observability, obs, ranked)
        if stop:
            explanation = f"{explanation} {stop}"
        return Diagnosis(observations=obs, candidates=shown, total_candidates=len(ranked), next_steps=steps,
                         red_flags=flags, recommendation=recommendation, explanation=explanation,
                         next_questions=asked)

    def rank(self, observations: Iterable[Observation]) -> list[Candidate]:
        """Every candidate, most probable first, as `diagnose` ranks them, without labels, evidence or next steps
        (for benchmarks that need the rank of one disease among thousands)."""
        obs = self.validate(observations)
        return self._rank(obs, {o.finding: str(to_iri(o.finding)) for o in obs})

    def _rank(self, obs: list[Observation], iri_of: dict[str, str]) -> list[Candidate]:
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
        for candidate, probability in zip(candidates, scoring.posterior(scores)):
            candidate.probability = probability
        ranked = sorted(candidates, key=lambda c: (-c.probability, c.disease))
        for i, candidate in enumerate(ranked, start=1):
            candidate.rank = i
        return ranked

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
