"""Scoring: P(finding | disease) from the matching annotations, the log-likelihood of the observations, and the
posterior over candidates. One function (:func:`term`) gives every observation's contribution, used alike by the
ranking (which only adds them up) and by the evidence shown for a candidate, so the two can never disagree.
The model and its constants are in model.py and the README ("The model")."""

from __future__ import annotations

import math
from typing import Iterable, Mapping, NamedTuple, Sequence, TypeVar

import numpy as np

from dxkb.kb.engine import model
from dxkb.kb.engine.retrieval import Match

Probabilities = TypeVar("Probabilities", float, np.ndarray)


class Likelihood(NamedTuple):
    p: float  # P(observed finding | disease) used in the score (before the ABSENT complement)
    match: Match | None  # the annotation used; None for the background rate
    relation: str  # exact | annotated-broader | annotated-narrower | negated | background


class Term(NamedTuple):
    log: float  # ln P(observation | disease): ln p when PRESENT, ln(1 - p) when ABSENT
    ratio: float  # likelihood ratio against the finding's background rate (> 1 supports, < 1 opposes)
    likelihood: Likelihood


def background_rate(share: float | None) -> float:
    """P(finding | a disease not annotated with it) from the finding's disease share (dxkb:diseaseShare), kept
    within [MIN_BACKGROUND_RATE, BACKGROUND_RATE] (model.py); None: the store holds no shares (built before them),
    so the single rate of that model."""
    if share is None:
        return model.BACKGROUND_RATE
    return min(model.BACKGROUND_RATE, max(model.MIN_BACKGROUND_RATE, share))


def disease_background(share: float | None, default_prior: bool) -> float:
    """The background rate of a finding in one disease: :func:`background_rate` for the diseases of the HPO
    annotations (``default_prior``: no curated prior); a curated disease keeps model.BACKGROUND_RATE, because its
    module states the likelihoods of its presentation's findings against that rate, and the share among rare
    diseases says nothing about a common cause of a rash."""
    return background_rate(share) if default_prior else model.BACKGROUND_RATE


#: The relations through which a NOT annotation speaks against the patient's finding: of the finding itself or of a
#: broader one (a disease "NOT seizures" has no focal seizures); a NOT annotation of a narrower finding does not.
NEGATING_RELATIONS = ("exact", "annotated-broader")


def match_weight(relation: str, observed_specificity: float | None, annotated_specificity: float | None) -> float:
    """The factor on an annotation's frequency for the patient's finding: 1, except for an annotation broader than
    the finding, which says the disease has something under it, the finding itself only in its share to the power
    model.BROADER_MATCH_POWER (specificities: ln share of the finding hierarchy, dxkb:logSpecificity)."""
    if relation == "annotated-broader" and observed_specificity is not None and annotated_specificity is not None:
        return math.exp(model.BROADER_MATCH_POWER * min(0.0, observed_specificity - annotated_specificity))
    return 1.0


def negated_rate(background: Probabilities) -> Probabilities:
    """P(finding | disease) under a NOT annotation: a quarter of the finding's background rate (model.NEGATED_RATE
    at the cap BACKGROUND_RATE), so a NOT annotation always counts against the disease."""
    return background * model.NEGATED_RATE / model.BACKGROUND_RATE


def likelihood(matches: Sequence[Match], background: float = model.BACKGROUND_RATE,
               any_narrower: bool = True) -> Likelihood:
    """P(observed finding | disease) from the annotations that match it, with the one used; ``background``: the
    finding's background rate (:func:`background_rate`), the floor of an annotated likelihood; ``any_narrower``:
    annotations narrower than the finding combine (:func:`any_of`). A curated disease passes False: its module
    states the likelihood of each finding of its presentation, and the likeliest one stands for the finding."""
    best_p, best, negated = -1.0, None, None
    narrower: dict[str, float] = {}  # annotated IRI -> its highest frequency, for the noisy-OR
    for m in matches:
        if m.negated:
            if m.relation in NEGATING_RELATIONS and (negated is None or m.annotated < negated.annotated):
                negated = m
            continue
        p = m.frequency if m.frequency is not None else 0.5
        if any_narrower and m.relation == "annotated-narrower":
            narrower[m.annotated] = max(p, narrower.get(m.annotated, 0.0))
        p = p * match_weight(m.relation, m.observed_specificity, m.annotated_specificity)
        if p > best_p or (p == best_p and best is not None and m.annotated < best.annotated):
            best_p, best = p, m  # ties broken by IRI: rows arrive in no particular order
    if best is not None:
        if narrower:
            best_p = max(best_p, any_of(narrower[a] for a in sorted(narrower)))
        return Likelihood(min(max(best_p, background), model.MAX_LIKELIHOOD), best, best.relation)
    if negated is not None:
        return Likelihood(negated_rate(background), negated, "negated")
    return Likelihood(background, None, "background")


def any_of(frequencies: Iterable[float]) -> float:
    """P(the patient has at least one of several narrower features): a finding broader than a disease's annotated
    features is present when any of them is (noisy-OR, each feature independent and capped at MAX_LIKELIHOOD), so
    "Abnormality of the eye" is likelier in a disease with five eye features than in one with the likeliest of
    them alone. Each annotated feature counts once (its highest frequency), and the product runs in the order
    given (sorted by the caller), so the float is the same in every process."""
    missed = 1.0
    for f in frequencies:
        missed *= 1.0 - min(f, model.MAX_LIKELIHOOD)
    return 1.0 - missed


def absent_probability(p: Probabilities, result: bool, matched: bool) -> Probabilities:
    """P(the finding is reported ABSENT | disease) for P(finding | disease) ``p`` (a float or an array of them).

    The clinician looked and did not see it; one who looked sees a feature the patient has with probability
    ABSENT_SENSITIVITY, and looks for the features of the diseases in question rather than at random
    (EXCLUDED_ASKED_RATIO, applied where an annotation matched: ``matched``; model.py), so absence is weak evidence,
    never a veto. A finding of the knowledge base's own work-up (``result``: one a step of history, examination or
    a test asks of every such patient, with the step's sensitivity in its frequency) is neither missed nor
    selected: 1 - P(f|D) as it stands."""
    seen = 1.0 if result else model.ABSENT_SENSITIVITY
    absent = 1.0 - seen * p
    if matched and not result:
        absent = absent * model.EXCLUDED_ASKED_RATIO
    return absent


def _term(found: Likelihood, present: bool, result: bool, background: float) -> Term:
    if present:
        return Term(math.log(found.p), found.p / background, found)
    absent = absent_probability(found.p, result, found.match is not None)
    seen = 1.0 if result else model.ABSENT_SENSITIVITY
    return Term(math.log(absent), absent / (1.0 - seen * background), found)


def term_logs(p: np.ndarray, present: bool, result: bool = False) -> np.ndarray:
    """The log terms of one observation for many diseases at once (kb/engine/ranking.py), from each disease's
    P(finding | disease) as :func:`likelihood` gives it for its matching annotations: the same formula as
    :func:`term` (every ``p`` here comes from a matching annotation)."""
    return np.log(p) if present else np.log(absent_probability(p, result, True))


def term(matches: Sequence[Match] | None, present: bool, result: bool = False,
         background: float = model.BACKGROUND_RATE, any_narrower: bool = True) -> Term:
    """One observation's contribution to a disease's score; ``result``: the finding is one the knowledge base's
    work-up of the presentation asks about (nextsteps.workup_questions); ``background``: the finding's background
    rate (:func:`disease_background` of Retrieval.share); ``any_narrower``: as :func:`likelihood` (False for a
    curated disease)."""
    return _term(likelihood(matches or (), background, any_narrower), present, result, background)


def log_likelihood(matches: dict[str, list[Match]], keys: Sequence[tuple[str, bool]],
                   results: frozenset[str] | set[str] = frozenset(),
                   backgrounds: Mapping[str, float] | None = None) -> float:
    """Sum of the observations' log terms, in the order of ``keys`` (the canonical observation order);
    ``results``: the findings the work-up of the presentation asks about (nextsteps.workup_questions);
    ``backgrounds``: finding IRI -> its background rate (model.BACKGROUND_RATE where not given)."""
    total = 0.0
    for finding, present in keys:
        background = (backgrounds or {}).get(finding, model.BACKGROUND_RATE)
        total += term(matches.get(finding), present, finding in results, background).log
    return total


def unreported(total: float, terms: dict[str, float], mentioned: set[str]) -> float:
    """The unreported-feature term: the disease's features minus those the findings mention (model.UNREPORTED_RATE),
    subtracted in sorted order so that the float is the same in every process."""
    return total - math.fsum(terms[a] for a in sorted(mentioned) if a in terms)


def posterior(scores: np.ndarray) -> np.ndarray:
    """Normalised probabilities from an array of log scores (every disease at once; log-sum-exp, stable for scores
    thousands of nats apart)."""
    if not len(scores):
        return scores
    top = scores.max()
    if top == -np.inf:
        return np.zeros_like(scores)
    weights = np.exp(scores - top)
    return weights / weights.sum()
