"""kb objects -> GraphQL objects. Called in worker threads (the label indexes may still need loading)."""

from __future__ import annotations

from dxkb.kb import service as dx
from dxkb.kb.service import Step
from dxkb.kb.service import DiseaseFindingLink, KnowledgeBase
from dxkb.kb.vocab import to_curie

from dxkb.api.graphql import types as t


def finding(kb: KnowledgeBase, curie: str) -> t.Finding:
    entry = kb.findings.get(curie)
    if entry is None:  # a finding named by an assertion but without a label: still show its ID
        return t.Finding(id=curie, label=curie, synonyms=[])
    return t.Finding(id=entry.id, label=entry.label, synonyms=list(entry.synonyms))


def disease(kb: KnowledgeBase, curie: str, label: str | None = None) -> t.Disease:
    entry = kb.diseases.get(curie)
    if entry is None:
        return t.Disease(id=curie, label=label or curie, synonyms=[])
    return t.Disease(id=entry.id, label=entry.label, synonyms=list(entry.synonyms))


def step(kb: KnowledgeBase, s: Step) -> t.DiagnosticStep:
    requires = sorted({f for p in s.preconditions if p.condition == "ANY" for f in p.findings})
    excluded = sorted({f for p in s.preconditions if p.condition == "NONE" for f in p.findings})
    return t.DiagnosticStep(
        id=s.id, label=s.label, kind=s.kind, invasiveness=s.invasiveness,
        reveals=[finding(kb, to_curie(y.finding)) for y in s.yields],
        requires=[finding(kb, to_curie(f)) for f in requires],
        not_indicated_with=[finding(kb, to_curie(f)) for f in excluded],
        definition=s.definition, cost=s.cost, is_test=s.is_test)


def disease_finding(kb: KnowledgeBase, link: DiseaseFindingLink) -> t.DiseaseFinding:
    return t.DiseaseFinding(finding=finding(kb, link.finding), frequency=link.frequency, negated=link.negated,
                            source=link.source)


def _evidence(kb: KnowledgeBase, e: dx.Evidence) -> t.Evidence:
    return t.Evidence(
        finding=finding(kb, e.finding), status=t.FindingStatus(e.status.value), frequency=e.frequency,
        likelihood_ratio=e.likelihood_ratio, likelihood=e.likelihood, relation=e.relation,
        matched_finding=finding(kb, e.matched) if e.matched else None, source=e.source)


def diagnosis(kb: KnowledgeBase, d: dx.Diagnosis) -> t.Diagnosis:
    steps = {s.id: step(kb, s) for s in {n.step.id: n.step for n in d.next_steps}.values()}
    return t.Diagnosis(
        candidates=[t.Candidate(
            disease=disease(kb, c.disease, c.label), probability=c.probability, rank=c.rank,
            supporting=[_evidence(kb, e) for e in c.supporting], opposing=[_evidence(kb, e) for e in c.opposing],
            prior=c.prior, prior_is_default=c.prior_is_default) for c in d.candidates],
        next_steps=[t.NextStep(step=steps[n.step.id], rationale=n.rationale,
                               expected_information_gain=n.expected_information_gain,
                               gain_per_cost=n.gain_per_cost, worth_cost=n.worth_cost) for n in d.next_steps],
        red_flags=[finding(kb, f.finding) for f in d.red_flags],
        red_flag_details=[t.RedFlag(
            finding=finding(kb, f.finding), presenting_complaint=finding(kb, f.red_flag_for),
            raises_suspicion_of=disease(kb, f.raises_suspicion_of, f.suspicion_label) if f.raises_suspicion_of else None,
            sentence=f.sentence, source=f.source) for f in d.red_flags],
        recommendation=t.Recommendation(d.recommendation.value), explanation=d.explanation, disclaimer=d.disclaimer,
        total_candidates=d.total_candidates,
        findings=[t.ObservedFinding(finding=finding(kb, o.finding), status=t.FindingStatus(o.status.value))
                  for o in d.observations],
        warnings=[t.InputWarning(code=w.code, message=w.message, id=w.id) for w in d.warnings],
        next_questions=next_questions(kb, d, steps),
        triage=_triage(kb, d), other_causes_probability=d.other_causes_probability,
        coverage=t.Coverage(curated=d.coverage.curated, modules=list(d.coverage.modules), note=d.coverage.note)
        if d.coverage else t.Coverage(curated=False, modules=[], note=""),
        patient=t.Patient(age_years=d.patient.age_years, sex=t.Sex(d.patient.sex.value) if d.patient.sex else None,
                          setting=t.CareSetting(d.patient.setting.value) if d.patient.setting
                          else t.CareSetting.PRIMARY_CARE)
        if d.patient else None)


def next_questions(kb: KnowledgeBase, d: dx.Diagnosis, steps: dict[str, t.DiagnosticStep]) -> list[t.NextQuestion]:
    """The interview's questions; a question's step is converted once, shared with the next steps."""
    questions = []
    for q in d.next_questions:
        if q.step is not None and q.step.id not in steps:
            steps[q.step.id] = step(kb, q.step)
        questions.append(t.NextQuestion(
            finding=finding(kb, q.finding), expected_information_gain=q.expected_information_gain,
            step=steps[q.step.id] if q.step is not None else None, rationale=q.rationale, red_flag=q.red_flag))
    return questions


def _triage(kb: KnowledgeBase, d: dx.Diagnosis) -> t.Triage:
    if d.triage is None:  # the engine always sets it; a Diagnosis built elsewhere may not
        return t.Triage(level=t.TriageLevel.ROUTINE, reasons=[], unanswered_questions=[])
    return t.Triage(
        level=t.TriageLevel(d.triage.level.value),
        reasons=[t.TriageReason(label=r.label, findings=[finding(kb, f) for f in r.findings], source=r.source,
                                level=t.TriageLevel(r.level.value), rule=r.rule, rationale=r.rationale)
                 for r in d.triage.reasons],
        unanswered_questions=[finding(kb, q) for q in d.triage.unanswered])
