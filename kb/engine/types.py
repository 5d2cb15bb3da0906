"""The engine's types: what goes in (observations) and what comes out (a diagnosis with candidates, evidence,
next steps, red flags and the recommendation). Plain dataclasses, shared by every part of the engine and by the
doors through the service."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple

import numpy as np

from dxkb.kb.engine.calibration import Inputs

DISCLAIMER = ("Decision support, not a diagnosis: probabilities are estimates from the knowledge base's priors and "
              "finding frequencies, each traceable to its source; a clinician must interpret them.")


class Status(str, Enum):
    """PRESENT: observed; ABSENT: looked for and not found; UNKNOWN: asked, not known (changes no probability, but
    the finding no longer counts as never asked)."""

    PRESENT = "PRESENT"
    ABSENT = "ABSENT"
    UNKNOWN = "UNKNOWN"


class Recommendation(str, Enum):
    """What to do overall. Decided in one place (`advice.decide`), together with the triage and the explanation.
    WATCHFUL_WAITING goes with SELF_CARE only; EMERGENCY_CARE with EMERGENCY; ANSWER_QUESTIONS when the red-flag
    questions of the presentation's module are not answered yet; SEE_A_DOCTOR when a rule calls for a doctor and
    no test of the knowledge base is worth its cost."""

    WATCHFUL_WAITING = "WATCHFUL_WAITING"
    FURTHER_TESTING = "FURTHER_TESTING"
    EMERGENCY_CARE = "EMERGENCY_CARE"
    SEE_A_DOCTOR = "SEE_A_DOCTOR"
    ANSWER_QUESTIONS = "ANSWER_QUESTIONS"


class TriageLevel(str, Enum):
    """How urgently to act: EMERGENCY (now), URGENT (today), ROUTINE (see a doctor), SELF_CARE (watchful waiting at
    home). From sourced triage rules (kb/data/triage_rules.ttl), evaluated in kb/engine/triage.py."""

    EMERGENCY = "EMERGENCY"
    URGENT = "URGENT"
    ROUTINE = "ROUTINE"
    SELF_CARE = "SELF_CARE"


#: Most urgent first: the triage level of a presentation is the most urgent level of the rules that fire.
URGENCY = {TriageLevel.EMERGENCY: 0, TriageLevel.URGENT: 1, TriageLevel.ROUTINE: 2, TriageLevel.SELF_CARE: 3}


class Sex(str, Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


class Setting(str, Enum):
    """Where the patient is seen, which decides what the probabilities are conditional on (README "The model")."""

    PRIMARY_CARE = "PRIMARY_CARE"  # a new complaint: the curated common causes, the rare diseases and other causes
    RARE_DISEASE = "RARE_DISEASE"  # referred for a suspected rare (Mendelian) disease: among the catalogued ones


@dataclass(frozen=True)
class Patient:
    """Optional patient context: triage rules may depend on age bands and sex (kb/engine/patient.py); the setting
    decides which hypotheses compete (None: PRIMARY_CARE)."""

    age_years: float | None = None
    sex: Sex | None = None
    setting: Setting | None = None


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
    score: float = 0.0  # ln(prior x likelihood), before normalisation (benchmarks fit the temperature on it)


class Ranking(NamedTuple):
    """Every ranked disease as arrays, most probable first (DiagnosisEngine.ranking): for benchmarks that need the
    rank of one disease among thousands."""

    diseases: list[str]  # CURIEs
    probabilities: np.ndarray  # float64, normalised with other_causes_probability
    scores: np.ndarray  # float64 ln(prior) + ln(likelihood) / TEMPERATURE (Candidate.score)
    log_priors: np.ndarray  # float64 ln(prior)
    other_causes_probability: float
    calibration: Inputs | None = None  # what the calibration saw (the rare-disease setting; kb/engine/calibration.py)


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
    source: str | None = None  # the imported dataset (MAxO, loinc2hpo) of a public step; None for curated steps


@dataclass
class NextStep:
    step: Step
    expected_information_gain: float  # bits
    gain_per_cost: float
    worth_cost: bool
    rationale: str


@dataclass
class NextQuestion:
    """A single finding worth asking about or examining next (the interview), by expected information gain."""

    finding: str  # CURIE
    label: str
    expected_information_gain: float  # bits, over the candidate distribution, if the answer is PRESENT or ABSENT
    step: Step | None  # the cheapest indicated step that reveals it (None: a question any clinician can ask)
    rationale: str
    red_flag: bool = False  # a red flag of a present complaint: asked first, whatever its gain


@dataclass
class RedFlag:
    finding: str  # the patient's finding (CURIE)
    label: str
    red_flag_for: str  # the presenting complaint (CURIE)
    raises_suspicion_of: str | None
    suspicion_label: str | None
    sentence: str | None
    source: str | None


@dataclass(frozen=True, order=True)
class Warning:
    """Input accepted with a change (contract v2): an ID replaced or dropped, or a finding implied by another."""

    code: str  # ALTERNATIVE_ID | OBSOLETE_ID_REPLACED | OBSOLETE_ID_DROPPED | UNKNOWN_ID_DROPPED | IMPLIED_FINDING
    message: str
    id: str | None = None  # the ID as the user sent it


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
    warnings: list[Warning] = field(default_factory=list)
    next_questions: list[NextQuestion] = field(default_factory=list)
    triage: Triage | None = None  # always set by the engine; optional only to keep the constructor additive
    other_causes_probability: float = 0.0  # the share of "causes the knowledge base does not model"
    coverage: Coverage | None = None
    patient: Patient | None = None


@dataclass
class TriageReason:
    """Why the triage is what it is: a rule that fired (or the policy that applied when none did)."""

    label: str
    level: TriageLevel
    findings: list[str]  # the patient's findings (CURIEs) that made the rule fire
    source: str  # the citation: a guideline section, or the source document's sentence
    rule: str | None = None  # the rule's IRI; None for the policy reasons (no rule fired)
    rationale: str | None = None


@dataclass
class Triage:
    level: TriageLevel
    reasons: list[TriageReason]
    unanswered: list[str] = field(default_factory=list)  # red-flag questions (CURIEs) not answered yet


@dataclass
class Coverage:
    """Whether the presentation lies within a curated module; if not, the ranking covers rare diseases only."""

    curated: bool
    modules: list[str]  # labels of the curated modules whose presenting complaints are present
    note: str
    sources: list[str] = field(default_factory=list)  # what those modules' triage policy rests on (advice.py)
