"""The interview: single findings worth asking about or examining next, by expected information gain, each with
the step that would reveal it; answers come back as PRESENT, ABSENT or UNKNOWN.

- Candidates for a question: the features (positive annotations) of the leading candidates
  (``model.EIG_CANDIDATES``) and the findings broader than them (the hierarchy closure,
  Observability.closure), that are not known yet: not given (with any status), not implied PRESENT (an ancestor
  of a present finding), not implied ABSENT (a descendant of an absent one) and not under a finding answered
  UNKNOWN (it is not asked again, nor anything more specific in its branch: whoever could not say whether there is
  an abnormality of the lens cannot say whether there is ectopia lentis; that takes the examination that would
  have answered both). A broader finding is then worth what the rest of its branch adds (Observability.closure
  leaves the features under an unknown answer out).
- Gain: the mutual information (bits) between the disease and the answer, taken as reliable (the ranking takes
  answers as given); P(f | d) through the hierarchy as the ranking scores a present finding: the noisy-OR of the
  disease's features that are f or more specific (a disease with five eye features shows "abnormality of the eye"
  more often than one with one), the background rate for a disease with none. A broad finding is worth asking when
  it splits the candidates better than any one feature does, and whoever has any finding of its branch answers it.
- A finding that only a step reveals (a yield) is asked only when one of those steps is indicated (its
  preconditions hold): "is the blood count suspicious?" comes after the reasons for a blood count. The question's
  step is the cheapest such step (cost, order, ID); a finding no step reveals is a question without a step.
- Red flags first: the knowledge base's red flags in the work-up of a present complaint that are not yet known are
  asked before anything else, whatever their gain, because their answer changes what to do (the source document
  asks for them first), then the rest by gain.
- Stop rule: questions gaining less than :data:`MIN_QUESTION_GAIN` are not asked; when none is left the list is
  empty and :func:`stop_reason` says why.
"""

from __future__ import annotations

from dxkb.kb.engine import model
from dxkb.kb.engine.nextsteps import (Observability, candidate_names, columns_of, pool_of, safe, separated,
                                      single_gains)
from dxkb.kb.engine.retrieval import Retrieval
from dxkb.kb.engine.types import Candidate, NextQuestion, Observation, Status, Step
from dxkb.kb.vocab import to_curie, to_iri

#: A question is worth asking when its answer is expected to gain at least this many bits about the candidates
#: (a hundredth of a bit: the same threshold as a test's gain per unit of cost, model.MIN_GAIN_PER_COST, for a
#: question, whose cost is a consultation's, 1).
MIN_QUESTION_GAIN = model.MIN_GAIN_PER_COST

#: Questions returned, best first.
QUESTIONS_SHOWN = 10


def next_questions(retrieval: Retrieval, observability: Observability, observations: list[Observation],
                   ranked: list[Candidate]) -> tuple[list[NextQuestion], str | None]:
    """The questions, best first, and (when there are none) the reason why none is worth asking."""
    if not ranked:
        return [], "No question is worth asking: no candidate explains the findings."
    iri = {o.finding: str(to_iri(o.finding)) for o in observations}
    given = set(iri.values())
    present = {iri[o.finding] for o in observations if o.status is Status.PRESENT}
    absent = {iri[o.finding] for o in observations if o.status is Status.ABSENT}
    unknown = frozenset(iri[o.finding] for o in observations if o.status is Status.UNKNOWN)
    pool, disease_iris, prior = pool_of(ranked)
    features = observability.closure(disease_iris, unknown)
    columns = columns_of([features[d] for d in disease_iris])
    given_ancestors = retrieval.ancestors(sorted(given))
    implied_present = set().union(*(given_ancestors[p] for p in present)) if present else set()
    flags = retrieval.context_red_flags(present)
    flag_findings = {f.present for f in flags}
    asked = sorted((set(columns) | flag_findings) - given - implied_present)
    ancestors = retrieval.ancestors(asked)
    asked = [f for f in asked if not (ancestors[f] & absent) and not (ancestors[f] & unknown)]
    steps = indicated_steps(retrieval, observability, given, present | implied_present)

    by_yield = observability.by_yield()
    gains = dict(zip(asked, single_gains(prior, [columns.get(f, {}) for f in asked], [1.0] * len(asked),
                                         [1.0] * len(asked))))
    scored: list[tuple[bool, float, str, Step | None, dict[int, float]]] = []
    for finding in asked:
        revealing = by_yield.get(finding)
        step: Step | None = None
        if revealing:
            open_steps = [s for s, _y in revealing if s.id in steps]
            if not open_steps:
                continue  # only a step that is not indicated yet would reveal it
            step = open_steps[0]
        column = columns.get(finding, {})
        gain = gains[finding]
        flag = finding in flag_findings
        if flag or gain >= MIN_QUESTION_GAIN:
            scored.append((flag, gain, finding, step, column))
    # on equal gain the more specific finding first (more ancestors): it says what to look for, and which step
    scored.sort(key=lambda s: (not s[0], -round(s[1], 12), -len(ancestors[s[2]]), s[2]))
    scored = scored[:QUESTIONS_SHOWN]
    if not scored:
        best = max(gains.values(), default=0.0)
        return [], (f"No question is worth asking: the best one would gain {best:.3f} bits, less than "
                    f"{MIN_QUESTION_GAIN:g} (the candidates' features are known or do not separate them).")
    names = candidate_names(retrieval, pool)
    flag_text = {f.present: f for f in flags}
    questions: list[NextQuestion] = []
    for flag, gain, finding, step, column in scored:
        label = retrieval.label(finding)
        parts = [safe(f"Ask about {label}" if step is None or step.kind == "HISTORY" else f"Look for {label}")]
        if flag:
            row = flag_text[finding]
            parts.append(safe(f"a red flag for {retrieval.label(row.context)}"
                              + (f" ('{row.sentence}')" if row.sentence else "")))
        parts.append(separated(prior, [column]) if column else "no leading candidate is annotated with it")
        if step is not None:
            parts.append(safe(f"revealed by {step.label} ({step.kind.lower().replace('_', ' ')})"))
        parts.append(f"expected information gain {gain:.3f} bits")
        rationale = ("; ".join(p for p in parts if p) + ".").format_map(_Names(names))
        questions.append(NextQuestion(finding=to_curie(finding), label=label, expected_information_gain=gain,
                                      step=step, rationale=rationale, red_flag=flag))
    return questions, None


class _Names(dict):
    def __missing__(self, key: str) -> str:
        return key


def indicated_steps(retrieval: Retrieval, observability: Observability, given: set[str],
                    present_closure: set[str]) -> set[str]:
    """IDs of the steps whose preconditions hold."""
    found: set[str] = set()
    for step in retrieval.steps:
        ok = True
        for pre in step.preconditions:
            hits = pre.findings & present_closure
            if (pre.condition == "ANY" and not hits) or (pre.condition == "NONE" and hits):
                ok = False
                break
        if ok:
            found.add(step.id)
    return found


__all__ = ["MIN_QUESTION_GAIN", "QUESTIONS_SHOWN", "indicated_steps", "next_questions"]
