"""The diagnosis engine: validates the findings, ranks candidate causes, proposes next steps and advises.

It orchestrates the parts, each with one job: retrieval (the only SPARQL caller, typed records, caches), scoring
(likelihoods and posteriors), nextsteps (expected information gain) and advice (red flags, recommendation,
explanation). The output is decision support for a clinician, not a diagnosis.
"""

from __future__ import annotations

import gc
import math
from typing import Iterable

import numpy as np

from dxkb.kb.engine import advice, calibration, model, nextsteps, scoring
from dxkb.kb.engine import patient as context
from dxkb.kb.engine import triage
from dxkb.kb.engine.questions import next_questions as questions_of
from dxkb.kb.engine.catalog import LabelIndex
from dxkb.kb.engine.categories import CauseCategories
from dxkb.kb.engine.openworld import OpenWorld
from dxkb.kb.engine.ranking import Ranker
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import (Candidate, Diagnosis, Evidence, Observation, Patient, Ranking, Status, Step,
                                  Warning)
from dxkb.kb.errors import InputError
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import PREFIXES, InvalidCurie, to_curie, to_iri


#: What the probabilities of the rare-disease setting are (kb/engine/calibration.py), said in every explanation.
RARE_DISEASE_NOTE = ("Rare-disease setting: the probabilities are among the catalogued rare diseases, assuming the "
                     "patient has one of them (causes outside the catalogue are not weighed), and the leading "
                     "candidate's is calibrated on published case reports (how often a candidate ranked first "
                     "with this much support was right).")


class DiagnosisEngine:
    """One per store; thread-safe (the retrieval caches are)."""

    def __init__(self, store: Store, *, strict_ids: bool = False) -> None:
        self.store = store
        self.retrieval = Retrieval(store)
        self.ranker = Ranker(self.retrieval)
        self.strict_ids = strict_ids  # unknown IDs: BAD_USER_INPUT (True) or dropped with a warning (False)
        self.observability = nextsteps.Observability(self.retrieval)
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
        held = self.retrieval.prefetch(freeze=False)
        self.observability.prefetch()  # after: it reads the annotations and ancestors retrieval now holds
        self.ranker.arrays()  # the table as arrays (a second or two at HPO scale)
        self.open_world.complaint_rates(self.retrieval.priors)  # and the disease count behind it (4 s at HPO scale)
        if freeze:
            gc.freeze()  # see Retrieval.prefetch: what is loaded now lives as long as the process
        return held

    # ------------------------------------------------------------------ input
    def validate(self, observations: Iterable[Observation]) -> list[Observation]:
        """Check IDs and statuses; return the de-duplicated observations in a canonical order (see :meth:`checked`)."""
        return self.checked(observations)[0]

    def checked(self, observations: Iterable[Observation]) -> tuple[list[Observation], list[Warning]]:
        """The observations as the engine uses them, and what was changed on the way, in a canonical order.

        IDs as users send them: an alternative ID or an obsolete ID with a replacement (hp.obo's alt_id and
        replaced_by, written into the store by the importer) is replaced by the current finding; an obsolete ID
        without one and an ID the release does not know are dropped. Each change is a :class:`Warning`. With
        ``strict_ids`` an unknown or dropped ID is an :class:`InputError` naming it, with suggestions (as before
        warnings existed); replacements are accepted in both modes. A finding given twice with different statuses
        is always an error, and so is input that leaves nothing to weigh."""
        given = list(observations)
        if not given:
            raise InputError("no findings given: state at least one finding as PRESENT or ABSENT")
        unknown: dict[str, list[str]] = {}
        statuses: dict[str, Status] = {}
        warnings: list[Warning] = []
        replacements = self.retrieval.replacements
        for obs in given:
            try:
                curie = to_curie(str(to_iri(obs.finding)))
            except InvalidCurie:
                curie = obs.finding
            status = Status(obs.status)
            if curie not in self.findings:
                replaced = replacements.get(curie)
                if replaced is not None and replaced.current is not None and replaced.current in self.findings:
                    label = self.findings.by_id[replaced.current].label
                    if replaced.kind == "alternative":
                        warnings.append(Warning("ALTERNATIVE_ID", f"{curie} is an alternative ID of {replaced.current} "
                                                f"({label}); used as {replaced.current}", obs.finding))
                    else:
                        warnings.append(Warning("OBSOLETE_ID_REPLACED", f"{curie} ({replaced.label or 'obsolete'}) "
                                                f"is obsolete; replaced by {replaced.current} ({label})", obs.finding))
                    curie = replaced.current
                elif self.strict_ids:
                    # fuzzy suggestions cost a scan of every label: only for the first few unknown IDs
                    unknown[obs.finding] = self.findings.suggest(obs.finding) if len(unknown) < 5 else []
                    continue
                else:
                    if replaced is not None:
                        warnings.append(Warning("OBSOLETE_ID_DROPPED", f"{curie} ({replaced.label or 'obsolete'}) "
                                                "is obsolete without a replacement in this release; ignored",
                                                obs.finding))
                    else:
                        warnings.append(Warning("UNKNOWN_ID_DROPPED", f"{obs.finding!r} is not a finding of this "
                                                "knowledge base (newer than its HPO release, misspelt, or not a "
                                                "phenotypic abnormality); ignored", obs.finding))
                    continue
            if statuses.get(curie, status) != status:
                raise InputError(f"finding {curie} is given both as {statuses[curie].value} and as {status.value}")
            statuses[curie] = status
        if unknown:
            names = ", ".join(repr(u) for u in unknown)
            hints = "; ".join(f"{u}: did you mean {', '.join(s) if s else 'nothing close'}" for u, s in unknown.items())
            raise InputError(f"unknown finding ID(s) {names} ({hints})", suggestions=unknown)
        if not statuses:  # nothing left to weigh: an error after all, naming every ID with suggestions
            dropped = [w.id for w in warnings if w.id is not None][:5]
            suggestions = {d: self.findings.suggest(d) for d in dropped}
            hints = "; ".join(f"{d}: did you mean {', '.join(s) if s else 'nothing close'}"
                              for d, s in suggestions.items())
            names = ", ".join(repr(d) for d in suggestions)
            raise InputError(f"unknown finding ID(s) {names}: none of the findings given is known to this knowledge "
                             f"base ({hints})", suggestions=suggestions)
        if all(s is Status.UNKNOWN for s in statuses.values()):
            raise InputError("only UNKNOWN findings given: state at least one finding as PRESENT or ABSENT")
        return sorted(Observation(c, s) for c, s in statuses.items()), sorted(set(warnings))

    def implied(self, obs: list[Observation]) -> dict[str, str]:
        """Findings another finding already implies, which therefore neither add nor remove evidence: a PRESENT
        ancestor of a PRESENT finding ("Abnormality of the eye" next to "Ectopia lentis"), an ABSENT descendant of
        an ABSENT finding, and an ABSENT ancestor of a PRESENT finding (a contradiction: the PRESENT one wins).
        CURIE -> the reason, for the warning."""
        iri = {o.finding: str(to_iri(o.finding)) for o in obs if o.status is not Status.UNKNOWN}
        broader = self.retrieval.broader(iri.values())
        present = {o.finding for o in obs if o.status is Status.PRESENT}
        absent = {o.finding for o in obs if o.status is Status.ABSENT}
        reasons: dict[str, str] = {}
        for o in obs:
            if o.status is Status.UNKNOWN:
                continue
            mine = iri[o.finding]
            if o.status is Status.PRESENT:
                by = sorted(p for p in present if p != o.finding and mine in broader[iri[p]])
                if by:
                    reasons[o.finding] = f"implied by the PRESENT finding {by[0]}"
            else:
                by = sorted(a for a in absent if a != o.finding and iri[a] in broader[mine])
                if by:
                    reasons[o.finding] = f"implied by the ABSENT finding {by[0]}"
                    continue
                by = sorted(p for p in present if mine in broader[iri[p]])
                if by:
                    reasons[o.finding] = f"contradicts the PRESENT finding {by[0]} (an ABSENT ancestor of it)"
        return reasons

    # ------------------------------------------------------------------ the pipeline
    def diagnose(self, observations: Iterable[Observation], limit: int = 10,
                 patient: Patient | None = None, evidence: bool = True, questions: bool = True) -> Diagnosis:
        """``evidence``: fill in each shown candidate's supporting and opposing evidence (with cited sources);
        a door whose client does not ask for it (a GraphQL query without those fields) saves about a quarter of
        the work. Nothing else depends on it. ``questions``: the interview's next questions and, when there are
        none, the stop reason in the explanation (about half of a real case's diagnosis); without them
        ``next_questions`` is empty and the explanation lacks that sentence, nothing else differs."""
        if limit < 1:
            raise InputError(f"limit must be at least 1, got {limit}")
        patient = context.check(patient)
        obs, warnings = self.checked(observations)
        iri_of = {o.finding: str(to_iri(o.finding)) for o in obs}
        present = {iri_of[o.finding] for o in obs if o.status is Status.PRESENT}
        ranked, other = self._rank_open(obs, iri_of, keep=max(limit, model.EIG_CANDIDATES), patient=patient)
        implied = self.implied(obs)
        warnings = sorted(set(warnings) | {Warning("IMPLIED_FINDING", f"{f} adds no evidence: {why}", f)
                                           for f, why in implied.items()})
        ancestors = self.retrieval.ancestors(sorted(present)) if present else {}
        workup = self.workup_results(nextsteps.workup_questions(
            self.retrieval, set().union(*ancestors.values()) if ancestors else set()))
        shown = ranked[:limit]
        if shown:  # labels, categories and sourced evidence of the candidates shown (same matching, same numbers)
            shown_iris = [str(to_iri(c.disease)) for c in shown]
            summaries = self.retrieval.summaries(shown_iris)
            # the matches the ranking weighed (retrieval's caches); only the cited sources come from the store
            matched = self.retrieval.matches(sorted({iri_of[o.finding] for o in obs if o.status is not Status.UNKNOWN}),
                                             shown_iris) if evidence else {}
            sources = self.retrieval.sources(shown_iris) if evidence else {}
            categories = self.categories.most_specific(shown_iris)
            weighed = [o for o in obs if o.finding not in implied and o.status is not Status.UNKNOWN]
            for candidate, iri in zip(shown, shown_iris):
                summary = summaries.get(iri)
                candidate.label = (summary.label if summary else None) or candidate.disease
                candidate.cause_category = categories.get(iri)
                if evidence:
                    self._explain(candidate, matched.get(iri, {}), sources[iri], weighed, iri_of, workup)
        flags = advice.red_flags(self.retrieval, sorted(present))
        steps = nextsteps.next_steps(self.retrieval, set(iri_of.values()), present, ranked, self.observability)
        coverage = self.open_world.coverage(ancestors)
        red_flag_questions = triage.unanswered(self.triage_rules.questions, ancestors, set(iri_of.values()),
                                               self.retrieval.pending_results())
        unanswered = [to_curie(q) for q in red_flag_questions]
        recommendation, level, explanation = advice.decide(
            triage.fired(self.triage_rules.rules, ancestors, patient), flags, steps, coverage, unanswered,
            {q: self.retrieval.label(str(to_iri(q))) for q in unanswered})
        steps = advice.offered(steps, level)
        asked, stop = (questions_of(self.retrieval, self.observability, obs, ranked) if questions
                       else ([], None))
        if stop:
            explanation = f"{explanation} {stop}"
        if context.rare_disease(patient):
            explanation = f"{explanation} {RARE_DISEASE_NOTE}"
        return Diagnosis(observations=obs, candidates=shown, total_candidates=len(self.retrieval.table().iris),
                         next_steps=steps, red_flags=flags, recommendation=recommendation, explanation=explanation,
                         warnings=warnings, next_questions=asked, triage=level, other_causes_probability=other,
                         coverage=coverage, patient=patient)

    def rank(self, observations: Iterable[Observation], patient: Patient | None = None) -> list[Candidate]:
        """Every candidate, most probable first, as `diagnose` ranks them, without labels, evidence or next steps
        (for benchmarks that need the rank of one disease among thousands)."""
        obs = self.validate(observations)
        return self._rank_open(obs, {o.finding: str(to_iri(o.finding)) for o in obs},
                               patient=context.check(patient))[0]

    def ranking(self, observations: Iterable[Observation], patient: Patient | None = None) -> Ranking:
        """:meth:`rank` as arrays: every ranked disease's CURIE, probability, score and prior, most probable
        first, without a Candidate object each (building 12,700 of them costs more than the ranking itself)."""
        obs = self.validate(observations)
        order, probabilities, scores, other, inputs = self._order(
            obs, {o.finding: str(to_iri(o.finding)) for o in obs}, context.check(patient))
        table, arrays, _features = self.ranker.arrays()
        curies = table.curies
        return Ranking(diseases=[curies[i] for i in order.tolist()], probabilities=probabilities[order],
                       scores=scores[order], log_priors=arrays.log_priors[order], other_causes_probability=other,
                       calibration=inputs)

    def _rank_open(self, obs: list[Observation], iri_of: dict[str, str], keep: int | None = None,
                   patient: Patient | None = None) -> tuple[list[Candidate], float]:
        """The first ``keep`` diseases of :meth:`_order` (all when None) as Candidate objects, and the probability
        of the causes the knowledge base does not model."""
        ranked, probabilities, scores, other, _inputs = self._order(obs, iri_of, patient)
        if keep is not None:
            ranked = ranked[:keep]
        table, _arrays, _features = self.ranker.arrays()
        curies = table.curies
        candidates: list[Candidate] = []
        for rank, i in enumerate(ranked.tolist(), start=1):
            prior, source, is_default = table.priors[i]
            candidates.append(Candidate(disease=curies[i], label=curies[i], probability=float(probabilities[i]),
                                        rank=rank, prior=prior, prior_is_default=is_default, prior_source=source,
                                        cause_category=None, score=float(scores[i])))
        return candidates, other

    def _order(self, obs: list[Observation], iri_of: dict[str, str], patient: Patient | None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, calibration.Inputs | None]:
        """Every disease of the knowledge base, most probable first (ties by ID: positions in the table), every
        disease's probability and score (table order), and the probability of the causes the knowledge base does
        not model (openworld.py), normalised together. With the patient's age, onsets that do not fit count
        against a disease (patient.py).

        A disease that no finding reaches still has a score: its prior, the background rate for each finding and
        its unreported features, so no true disease is left unranked. Findings implied by another finding
        (:meth:`implied`) are left out entirely, so giving them changes nothing. ORPHA/DECIPHER copies of an OMIM
        entry are not ranked (retrieval.duplicates). probability ∝ prior x likelihood^(1/TEMPERATURE)."""
        implied = self.implied(obs)
        keys = [(iri_of[o.finding], o.status is Status.PRESENT) for o in obs
                if o.status is not Status.UNKNOWN and o.finding not in implied]  # UNKNOWN weighs as never asked
        table, arrays, _features = self.ranker.arrays()
        present = sorted(f for f, p in keys if p)
        closure = set().union(*self.retrieval.ancestors(present).values()) if present else set()
        waiting = nextsteps.workup_questions(self.retrieval, closure)
        scores, reached = self.ranker.scores(keys, waiting - {f for f, _ in keys}, self.workup_results(waiting))
        if patient is not None and patient.age_years is not None:  # onset: weighed where a finding reaches
            hit = reached.tolist()
            scores[reached] += np.array(self.onsets.log_factors([table.iris[i] for i in hit], patient),
                                        dtype=np.float64)
        # A curated prior is conditional on the complaint it was curated for (e.g. among people presenting with a
        # rash): a disease carrying one is ranked only when a PRESENT finding reaches it, else its prior would claim
        # a share of presentations outside its module (a Marfan picture is not a viral exanthem).
        # In the rare-disease setting those priors (shares of primary-care presentations) do not hold at all.
        rare = context.rare_disease(patient)
        outside = arrays.curated if rare else np.setdiff1d(arrays.curated, reached)
        scores[outside] = -np.inf
        inputs = None
        if rare:  # among the catalogued rare diseases only, calibrated (kb/engine/calibration.py)
            probabilities, inputs = self._calibrated(scores, keys)
            other = 0.0
        else:  # the open-world hypothesis (kb/engine/openworld.py), on the same scale as the diseases' scores
            tempering = 1.0 / model.TEMPERATURE
            other_prior = math.log(self.open_world.prior(self.retrieval.priors))
            lineage = self.retrieval.ancestors([f for f, _ in keys])
            other_score = other_prior + tempering * (
                self.open_world.log_score(keys, self.retrieval.priors, lineage) - other_prior)
            probabilities = scoring.posterior(np.append(scores, other_score))
            other = float(probabilities[-1])
            probabilities = probabilities[:-1]
        ranked = np.lexsort((arrays.curie_rank, -probabilities))  # most probable first, ties by CURIE
        if len(outside):
            ranked = ranked[~np.isin(ranked, outside)]
        return ranked, probabilities, scores, other, inputs

    def _calibrated(self, scores: np.ndarray, keys: list[tuple[str, bool]]
                    ) -> tuple[np.ndarray, calibration.Inputs]:
        """The probabilities of the rare-disease setting: the model's posterior among the ranked diseases, then
        tempered so that the leading candidate has the probability the shipped calibration gives it for what it
        explains (its model probability, and the shares of the PRESENT findings its annotations state exactly or
        reach); all these diseases share DEFAULT_PRIOR, so the order is the model's at every temperature."""
        _table, arrays, features = self.ranker.arrays()
        modelled = scoring.posterior(scores)
        best = np.flatnonzero(scores == scores.max())  # the first of the final order: ties broken by CURIE
        leading = int(best[np.argmin(arrays.curie_rank[best])])
        present = [f for f, is_present in keys if is_present]
        own = features.ids[leading]
        exact = sum(1 for f in present if f in own)
        reached = 0
        for f in present:
            positive = self.ranker.column(f).positive  # ascending positions
            at = int(np.searchsorted(positive, leading))
            reached += int(at < len(positive) and positive[at] == leading)
        inputs = calibration.Inputs(top_probability=float(modelled[leading]),
                                    exact=exact / len(present) if present else 0.0,
                                    reached=reached / len(present) if present else 0.0)
        target = calibration.shipped().probability(inputs)
        log_likelihoods = scores - arrays.log_priors
        temperature = calibration.temperature_for(arrays.log_priors, log_likelihoods, leading, target)
        return calibration.tempered(arrays.log_priors, log_likelihoods, temperature), inputs

    def workup_results(self, indicated: set[str]) -> set[str]:
        """The findings whose absence is scored as a curated step reports it (scoring.absent_probability): what the
        work-up indicated for the presentation asks about (``indicated``: its questions and tests depend on the
        complaint), and the knowledge base's own test results (DXKB findings, e.g. a blood count suspicious for
        leukemia: a measured result is a systematic look, whatever made someone order the test). An HPO term a
        curated test also reveals (elevated CRP) is weighed, outside that work-up, as case reports state it."""
        own = {f for f in self.retrieval.pending_results() if f.startswith(PREFIXES["DXKB"])}
        return indicated | own

    def _explain(self, candidate: Candidate, matches: dict[str, list], sources: dict[tuple[str, bool], str],
                 obs: list[Observation], iri_of: dict[str, str], workup: set[str]) -> None:
        """Fill in the candidate's evidence: each observation's term, from the same function the ranking adds up
        (``workup``: the findings the indicated curated work-up asks about, nextsteps.workup_questions). A finding
        no annotation of the disease reaches has a likelihood ratio of exactly 1 (its background rate
        against itself) and is no evidence, so only the matched ones are weighed here."""
        for o in obs:
            finding = iri_of[o.finding]
            found = matches.get(finding)
            if not found:
                continue
            t = scoring.term(found, o.status is Status.PRESENT, finding in workup,
                             scoring.disease_background(self.retrieval.share(finding), candidate.prior_is_default),
                             any_narrower=candidate.prior_is_default)
            if abs(t.ratio - 1.0) <= 1e-9:
                continue
            m = t.likelihood.match
            evidence = Evidence(
                finding=o.finding, finding_label=self.findings.by_id[o.finding].label, status=o.status,
                likelihood=t.likelihood.p, likelihood_ratio=t.ratio,
                frequency=float(m.frequency) if m is not None and m.frequency is not None else None,
                matched=to_curie(m.annotated) if m is not None else None, relation=t.likelihood.relation,
                source=sources.get((m.annotated, m.negated)) if m is not None else None)
            (candidate.supporting if t.ratio > 1.0 else candidate.opposing).append(evidence)
