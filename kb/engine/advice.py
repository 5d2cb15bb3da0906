"""Advice: the red flags present, the overall recommendation and the explanation text. One function decides the
recommendation and the text together (:func:`advise`), so they cannot contradict each other."""

from __future__ import annotations

from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import NextStep, Recommendation, RedFlag
from dxkb.kb.vocab import to_curie


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


def advise(flags: list[RedFlag], steps: list[NextStep]) -> tuple[Recommendation, str]:
    """The recommendation and its explanation."""
    worth = [n for n in steps if n.step.is_test and n.worth_cost]
    if not flags and not worth:
        return Recommendation.WATCHFUL_WAITING, (
            "No red flag is present and no test is worth its cost: wait and see, and review if new complaints "
            "appear or the finding persists.")
    tests = [n.step.label for n in steps if n.step.is_test]
    names = ", ".join(f.label for f in flags)
    text = f"Red flag(s) present: {names}. " if names else ""
    if tests:
        return Recommendation.FURTHER_TESTING, text + f"Further testing: {tests[0]} first."
    return Recommendation.FURTHER_TESTING, text + "The tests of this knowledge base are done; evaluate for other " \
                                                  "serious causes."
