"""Advice: the red flags present, and the one decision of the recommendation, the triage and the explanation
(:func:`decide`), so that the three cannot contradict each other.

The triage level is the most urgent level of the triage rules that fire (kb/engine/triage.py). When none fires, the
policy below applies, in this order (README, "Triage"):

1. the presentation lies outside every curated module: ROUTINE - the knowledge base cannot judge it (it models only
   rare diseases there), so it does not offer self care;
2. red-flag questions of the module are unanswered: ROUTINE with ANSWER_QUESTIONS - the source document asks them
   first (sentence 14; a common-presentation module cites its own guideline), and watchful waiting is offered only
   once they are answered;
3. a test is worth its cost: ROUTINE with FURTHER_TESTING;
4. otherwise SELF_CARE with WATCHFUL_WAITING (sentence 20: "it is often advisable to refrain from further diagnosis
   and to wait and see").

The explanation names only tests that are worth their cost, and names the rules that set the level."""

from __future__ import annotations

from dxkb.kb.engine.openworld import DOCUMENT_SOURCE
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import (URGENCY, Coverage, NextStep, Recommendation, RedFlag, Triage, TriageLevel,
                                  TriageReason)
from dxkb.kb.vocab import to_curie

#: The source of the policy reasons (no rule fired): the source document's sentences and the coverage rule.
DOCUMENT = "Leukemia rash (kb/data/sources/leukemia-rash.txt)"
SENTENCE_14 = (f"{DOCUMENT}, sentence 14: \"In order to make a diagnosis of a skin rash, questions should first be "
               "answered, such as when and where the changes occurred, how they developed and whether there are any "
               "other symptoms.\"")
SENTENCE_20 = (f"{DOCUMENT}, sentence 20: \"However, if the interview and examination do not reveal any evidence of "
               "a dangerous disease such as leukemia, it is often advisable to refrain from further diagnosis and to "
               "wait and see.\"")
OPEN_WORLD = ("dxkb triage policy (README, \"Triage\"): self care is offered only inside a curated module, whose "
              "sources say when waiting is safe; outside them the knowledge base models rare diseases only.")

#: What each level asks the patient to do.
ACTION = {TriageLevel.EMERGENCY: "Emergency: seek care now (call the emergency number or go to an emergency "
                                 "department)",
          TriageLevel.URGENT: "Urgent: see a doctor today",
          TriageLevel.ROUTINE: "See a doctor (routine appointment)",
          TriageLevel.SELF_CARE: "Self care: watchful waiting at home"}


def red_flags(retrieval: Retrieval, present: list[str]) -> list[RedFlag]:
    """The red flags among the PRESENT findings (IRIs), with the complaint they are red flags for."""
    if not present:
        return []
    flags: dict[str, RedFlag] = {}
    findings = retrieval.findings
    for row in retrieval.red_flags(sorted(present)):
        curie = to_curie(row.present)
        flags.setdefault(curie, RedFlag(
            finding=curie, label=findings.by_id[curie].label if curie in findings else curie,
            red_flag_for=to_curie(row.context),
            raises_suspicion_of=to_curie(row.suspicion) if row.suspicion else None,
            suspicion_label=row.suspicion_label, sentence=row.sentence, source=row.source))
    return [flags[k] for k in sorted(flags)]


def _policy_source(coverage: Coverage, sentence: str) -> str:
    """The source of a policy reason inside curated modules: the source document's sentence for the rash module,
    the cited main sources of every other module that covers the presentation."""
    parts = [sentence if source == DOCUMENT_SOURCE else source for source in coverage.sources]
    return "; ".join(parts) if parts else sentence


def decide(fired: list[TriageReason], flags: list[RedFlag], steps: list[NextStep], coverage: Coverage,
           unanswered: list[str], label: dict[str, str]) -> tuple[Recommendation, Triage, str]:
    """The recommendation, the triage and the explanation, decided together.

    ``fired``: the triage rules that fire (most urgent first); ``unanswered``: red-flag questions (CURIEs) not
    answered yet; ``label``: CURIE -> label for the questions."""
    worth = [n for n in steps if n.step.is_test and n.worth_cost]
    reasons = list(fired)
    if reasons:
        level = min((r.level for r in reasons), key=URGENCY.__getitem__)
    elif not coverage.curated:
        level = TriageLevel.ROUTINE
        reasons = [TriageReason(label="No curated module covers this presentation", level=level, findings=[],
                                source=OPEN_WORLD)]
    elif unanswered:
        level = TriageLevel.ROUTINE
        reasons = [TriageReason(label="Red-flag questions not answered yet: " + ", ".join(
            label.get(q, q) for q in unanswered), level=level, findings=[],
            source=_policy_source(coverage, SENTENCE_14))]
    elif worth or flags:
        level = TriageLevel.ROUTINE
        reasons = [TriageReason(label="A red flag is present or a test is worth its cost", level=level,
                                findings=sorted(f.finding for f in flags),
                                source=_policy_source(coverage, SENTENCE_14))]
    else:
        level = TriageLevel.SELF_CARE
        reasons = [TriageReason(label="No red flag after the red-flag questions were answered", level=level,
                                findings=[], source=_policy_source(coverage, SENTENCE_20))]
    triage = Triage(level=level, reasons=reasons, unanswered=list(unanswered))

    why = "; ".join(r.label for r in reasons if r.level is level)
    text = f"{ACTION[level]}. Why: {why}."
    if flags:
        text += " Red flag(s) present: " + ", ".join(f.label for f in flags) + "."
    if level is TriageLevel.EMERGENCY:
        return Recommendation.EMERGENCY_CARE, triage, text + " Do not wait for tests of this knowledge base."
    if worth:
        return Recommendation.FURTHER_TESTING, triage, text + f" Further testing: {worth[0].step.label} first."
    if level is TriageLevel.SELF_CARE:
        return Recommendation.WATCHFUL_WAITING, triage, text + (
            " No test is worth its cost: wait and see, and review if new complaints appear or the finding persists.")
    if unanswered and not fired and coverage.curated:
        return Recommendation.ANSWER_QUESTIONS, triage, text + (
            " Answer these questions (PRESENT, ABSENT or UNKNOWN) before watchful waiting can be considered.")
    tests = [n.step.label for n in steps if n.step.is_test]
    if tests:
        text += f" No test of this knowledge base is worth its cost yet ({', '.join(tests)} considered)."
    return Recommendation.SEE_A_DOCTOR, triage, text


def offered(steps: list[NextStep], triage: Triage) -> list[NextStep]:
    """The next steps to show: watchful waiting only with a SELF_CARE triage (never before the red-flag questions
    are answered, never next to a rule calling for a doctor)."""
    if triage.level is TriageLevel.SELF_CARE:
        return steps
    return [n for n in steps if n.step.kind != "WATCHFUL_WAITING"]
