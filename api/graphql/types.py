"""The GraphQL types of the frontend contract (shared/DESIGN.md, "API contract for frontends").

Field names are the contract: fields may be added, none renamed. Plain fields are filled when the object is built
(from the in-memory label indexes or a diagnosis); fields that need the store resolve through the request's
DataLoaders, so a list of 50 diseases asks the store once per kind of detail, not 50 times.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

DECISION_SUPPORT = ("Decision support for a clinician, not a diagnosis: probabilities are estimates from the "
                    "knowledge base's priors and finding frequencies, each traceable to its source.")


@strawberry.enum(description="Whether a finding was observed in the patient (PRESENT), looked for and not found "
                             "(ABSENT), or asked about and not known (UNKNOWN: it changes no probability).")
class FindingStatus(Enum):
    PRESENT = "PRESENT"
    ABSENT = "ABSENT"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="What to do overall, decided together with the triage: EMERGENCY_CARE (triage EMERGENCY), "
                             "FURTHER_TESTING (a test is worth its cost), SEE_A_DOCTOR (a rule calls for a doctor, no "
                             "test is worth its cost), ANSWER_QUESTIONS (the red-flag questions come first), "
                             "WATCHFUL_WAITING (triage SELF_CARE only). Decision support, not a diagnosis.")
class Recommendation(Enum):
    WATCHFUL_WAITING = "WATCHFUL_WAITING"
    FURTHER_TESTING = "FURTHER_TESTING"
    EMERGENCY_CARE = "EMERGENCY_CARE"
    SEE_A_DOCTOR = "SEE_A_DOCTOR"
    ANSWER_QUESTIONS = "ANSWER_QUESTIONS"


@strawberry.enum(description="How urgently to act: EMERGENCY (now), URGENT (today), ROUTINE (see a doctor), "
                             "SELF_CARE (watchful waiting at home).")
class TriageLevel(Enum):
    EMERGENCY = "EMERGENCY"
    URGENT = "URGENT"
    ROUTINE = "ROUTINE"
    SELF_CARE = "SELF_CARE"


@strawberry.enum(description="The patient's sex (UNKNOWN is the same as not giving it).")
class Sex(Enum):
    FEMALE = "FEMALE"
    MALE = "MALE"
    OTHER = "OTHER"
    UNKNOWN = "UNKNOWN"


@strawberry.enum(description="Where the patient is seen, which decides what the probabilities are conditional on.")
class CareSetting(Enum):
    PRIMARY_CARE = strawberry.enum_value("PRIMARY_CARE", description=(
        "A new complaint (the default): the curated common causes, the rare diseases of the HPO annotations and the "
        "causes the knowledge base does not model (otherCausesProbability) compete."))
    RARE_DISEASE = strawberry.enum_value("RARE_DISEASE", description=(
        "Seen for a suspected rare (Mendelian) disease, e.g. in a genetics clinic: probabilities are among the "
        "catalogued rare diseases (the patient is assumed to have one of them; otherCausesProbability is 0), and "
        "the leading candidate's probability is calibrated on published case reports (README \"The model\")."))


@strawberry.type(description="A symptom, sign or test result (HPO terms and the project's own findings).")
class Finding:
    id: strawberry.ID = strawberry.field(description="CURIE, e.g. HP:0000988.")
    label: str
    synonyms: list[str]

    @strawberry.field(description="Cross-references to other vocabularies, e.g. UMLS:C0015230.")
    async def xrefs(self, info: Info) -> list[str]:
        return await info.context.loaders.xrefs.load(self.id)

    @strawberry.field(description="True when this finding (or a more general one) is a red flag in the work-up of "
                                  "some presenting complaint, e.g. fatigue next to a skin rash.")
    async def is_red_flag(self, info: Info) -> bool:
        return (await info.context.loaders.finding_details.load(self.id)).is_red_flag

    @strawberry.field(description="Textual definition, when the source gives one.")
    async def definition(self, info: Info) -> str | None:
        return (await info.context.loaders.finding_details.load(self.id)).definition


@strawberry.type(description="A finding annotated to a disease: how often the disease shows it, or that it does not "
                             "(negated).")
class DiseaseFinding:
    finding: Finding
    frequency: float | None = strawberry.field(description="P(finding | disease), 0..1; null when the source gives "
                                                           "no frequency.")
    negated: bool = strawberry.field(description="True for a NOT annotation: the disease is known not to show it.")
    source: str | None = strawberry.field(default=None, description="Where the annotation comes from.")


@strawberry.type(description="A disease or other cause of findings (MONDO, OMIM, ORPHA or project IDs).")
class Disease:
    id: strawberry.ID = strawberry.field(description="CURIE, e.g. MONDO:0005059.")
    label: str
    synonyms: list[str]

    @strawberry.field
    async def definition(self, info: Info) -> str | None:
        return (await info.context.loaders.disease_details.load(self.id)).definition

    @strawberry.field(description="Cross-references to other vocabularies, e.g. DOID:1240.")
    async def xrefs(self, info: Info) -> list[str]:
        return await info.context.loaders.xrefs.load(self.id)

    @strawberry.field(description="How common the disease is among the people who present (the curated prior, "
                                  "with a source); null when the knowledge base has none.")
    async def prior(self, info: Info) -> float | None:
        return (await info.context.loaders.disease_details.load(self.id)).prior

    @strawberry.field(description="The most specific cause category, e.g. VIRAL_INFECTION, MALIGNANCY.")
    async def cause_category(self, info: Info) -> str | None:
        return (await info.context.loaders.disease_details.load(self.id)).cause_category

    @strawberry.field(description="Annotated findings, most frequent first; NOT annotations last.")
    async def findings(self, info: Info) -> list[DiseaseFinding]:
        return await info.context.loaders.disease_findings.load(self.id)

    @strawberry.field(description="Direct parent diseases in the disease hierarchy.")
    async def parents(self, info: Info) -> list[Disease]:
        return await info.context.loaders.disease_parents.load(self.id)


@strawberry.type(description="A step of the diagnostic work-up: history, examination, laboratory test, biopsy or "
                             "watchful waiting.")
class DiagnosticStep:
    id: strawberry.ID
    label: str
    kind: str = strawberry.field(description="HISTORY, EXAMINATION, LABORATORY_TEST, BIOPSY, WATCHFUL_WAITING, or for "
                                             "the steps of public data (MAxO, LOINC) CLINICAL_ASSESSMENT, "
                                             "SPECIALIST_EVALUATION, IMAGING, PROCEDURE.")
    invasiveness: float | None = strawberry.field(description="0 = none (talking) to 1 = surgical.")
    reveals: list[Finding] = strawberry.field(description="Findings whose presence or absence the step establishes.")
    requires: list[Finding] = strawberry.field(description="The step is indicated only when one of these findings "
                                                          "is present (empty: no such precondition).")
    not_indicated_with: list[Finding] = strawberry.field(description="The step is not indicated when any of these "
                                                                    "findings is present (e.g. watchful waiting).")
    definition: str | None
    cost: float = strawberry.field(description="Burden relative to taking a history (= 1).")
    is_test: bool = strawberry.field(description="True for tests beyond the consultation (laboratory, biopsy).")


@strawberry.type(description="How one of the patient's findings bears on a candidate.")
class Evidence:
    finding: Finding = strawberry.field(description="The patient's finding.")
    status: FindingStatus
    frequency: float | None = strawberry.field(description="The annotated frequency that matched, if any.")
    likelihood_ratio: float = strawberry.field(description="Relative to the background rate: above 1 supports the "
                                                          "candidate, below 1 opposes it.")
    likelihood: float = strawberry.field(description="P(finding | disease) used in the score.")
    relation: str = strawberry.field(description="exact, annotated-broader, annotated-narrower, negated or "
                                                "background: how the finding matched the disease's annotations.")
    matched_finding: Finding | None = strawberry.field(description="The annotated finding that matched (possibly a "
                                                                  "more general or more specific one).")
    source: str | None


@strawberry.type(description="A possible cause of the findings, with its estimated probability and the evidence for "
                             "and against it. " + DECISION_SUPPORT)
class Candidate:
    disease: Disease
    probability: float = strawberry.field(description="Posterior among the candidates reached by the findings.")
    rank: int
    supporting: list[Evidence]
    opposing: list[Evidence]
    prior: float = strawberry.field(description="The prior used in the score.")
    prior_is_default: bool = strawberry.field(description="True when the disease has no curated prior and the "
                                                          "model's default for rare diseases was used.")


@strawberry.type(description="A diagnostic step worth considering next, ranked by expected information gain per "
                             "unit of cost.")
class NextStep:
    step: DiagnosticStep
    rationale: str
    expected_information_gain: float = strawberry.field(description="Expected entropy reduction of the candidate "
                                                                   "distribution, in bits.")
    gain_per_cost: float
    worth_cost: bool


@strawberry.type(description="A single finding worth asking about or examining next (the interview), by expected "
                             "information gain; answer it as PRESENT, ABSENT or UNKNOWN.")
class NextQuestion:
    finding: Finding
    expected_information_gain: float = strawberry.field(description="Expected entropy reduction of the candidate "
                                                                   "distribution by a PRESENT or ABSENT answer, in bits.")
    step: DiagnosticStep | None = strawberry.field(description="The cheapest indicated step that reveals it; null for "
                                                               "a question any clinician can ask.")
    rationale: str = strawberry.field(description="Why: the candidates it separates, or the red flag it is.")
    red_flag: bool = strawberry.field(default=False, description="A red flag of a present complaint: asked first.")


@strawberry.type(description="A red flag raised by the findings, with what it raises suspicion of.")
class RedFlag:
    finding: Finding
    presenting_complaint: Finding
    raises_suspicion_of: Disease | None
    sentence: str | None = strawberry.field(description="The source sentence behind the red flag.")
    source: str | None


@strawberry.type(description="A finding as given to diagnose, after normalisation.")
class ObservedFinding:
    finding: Finding
    status: FindingStatus


@strawberry.type(name="Warning", description="Something about the input that the server changed or ignored (contract v2).")
class InputWarning:
    code: str = strawberry.field(description="ALTERNATIVE_ID, OBSOLETE_ID_REPLACED, OBSOLETE_ID_DROPPED, "
                                             "UNKNOWN_ID_DROPPED or IMPLIED_FINDING; for phenopackets and FHIR "
                                             "bundles also UNMAPPED_RESOURCE (a resource that gives no finding), "
                                             "CONFLICTING_STATUS (a finding both present and absent: used as "
                                             "present) and AGE_IGNORED.")
    message: str
    id: strawberry.ID | None = strawberry.field(default=None, description="The ID as it was sent (for "
                                                   "UNMAPPED_RESOURCE the resource, e.g. Observation/hb).")


@strawberry.type(description="Ranked candidate causes, next diagnostic steps, red flags and an overall "
                             "recommendation for a set of findings. " + DECISION_SUPPORT + " It is not a diagnosis "
                             "and does not replace a clinician's examination and judgement.")
class Diagnosis:
    candidates: list[Candidate] = strawberry.field(description="Most probable first, at most `limit`.")
    next_steps: list[NextStep]
    red_flags: list[Finding] = strawberry.field(description="The patient's findings that are red flags.")
    recommendation: Recommendation
    red_flag_details: list[RedFlag]
    explanation: str = strawberry.field(description="Why this recommendation, in one or two sentences.")
    disclaimer: str = strawberry.field(description="Decision support, not a diagnosis.")
    total_candidates: int = strawberry.field(description="How many candidates the findings reach (before `limit`).")
    findings: list[ObservedFinding] = strawberry.field(description="The findings as understood: IDs normalised, "
                                                                  "duplicates merged.")
    warnings: list[InputWarning] = strawberry.field(default_factory=list, description=(
        "Input accepted with a change: alternative or obsolete IDs replaced, unknown IDs ignored (unless the server "
        "runs with DXKB_STRICT_IDS, which rejects them), findings implied by another finding left out."))

    next_questions: list[NextQuestion] = strawberry.field(
        default_factory=list, description="Single findings worth asking or examining next, best first (red flags of "
                                          "a present complaint first); empty when none is worth asking, and the "
                                          "explanation says why.")

    triage: Triage = strawberry.field(description="How urgently to act, from sourced triage rules.")
    other_causes_probability: float = strawberry.field(description="The share of causes the knowledge base does not "
                                                                   "model; with the candidates' probabilities over "
                                                                   "all reached candidates it sums to 1.")
    coverage: Coverage = strawberry.field(description="Whether the presentation lies within a curated module.")
    patient: Patient | None = strawberry.field(description="The patient context used (null: none given).")


@strawberry.type(description="Why the triage is what it is: a sourced triage rule that fired, or the policy that "
                             "applied when none did.")
class TriageReason:
    label: str
    findings: list[Finding] = strawberry.field(description="The patient's findings that made the rule fire.")
    source: str = strawberry.field(description="The guideline or textbook section (cited), or the source "
                                               "document's sentence.")
    level: TriageLevel = strawberry.field(description="The level this reason calls for.")
    rule: str | None = strawberry.field(default=None, description="The rule's IRI (null for a policy reason).")
    rationale: str | None = strawberry.field(default=None, description="Why the rule calls for its level.")


@strawberry.type(description="How urgently to act, from sourced triage rules evaluated for every presentation.")
class Triage:
    level: TriageLevel
    reasons: list[TriageReason]
    unanswered_questions: list[Finding] = strawberry.field(description="Red-flag questions of the presentation's "
                                                                      "curated module not answered yet (self care "
                                                                      "is offered only once they are).")


@strawberry.type(description="Whether the presentation lies within curated knowledge.")
class Coverage:
    curated: bool
    modules: list[str] = strawberry.field(description="The curated modules whose presenting complaints are present.")
    note: str


@strawberry.type(description="The patient context as understood.")
class Patient:
    age_years: float | None
    sex: Sex | None
    setting: CareSetting = strawberry.field(description="The care setting the probabilities are conditional on.")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class DiseaseEdge:
    node: Disease
    cursor: str
    matched: str = strawberry.field(description="The label or synonym that matched the search.")


@strawberry.type(description="A page of diseases (Relay connection).")
class DiseaseConnection:
    edges: list[DiseaseEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="All matches, on every page.")


@strawberry.type
class FindingEdge:
    node: Finding
    cursor: str
    matched: str = strawberry.field(description="The label or synonym that matched the search (for highlighting).")


@strawberry.type(description="A page of findings (Relay connection); with `search`, an autocomplete list: prefix "
                             "matches of labels first, then of synonyms, then word prefixes, then substrings.")
class FindingConnection:
    edges: list[FindingEdge]
    page_info: PageInfo
    total_count: int = strawberry.field(description="All matches, on every page.")


@strawberry.input(description="A finding of the patient.")
class FindingInput:
    id: strawberry.ID = strawberry.field(description="CURIE of a finding, e.g. HP:0000988 (see `findings`).")
    status: FindingStatus


@strawberry.input(description="Optional patient context: triage rules may depend on age bands and sex; the care "
                              "setting decides which hypotheses compete.")
class PatientInput:
    age_years: float | None = strawberry.field(default=None, description="Age in years (0-130; e.g. 0.1 for five "
                                                                         "weeks).")
    sex: Sex | None = None
    setting: CareSetting | None = strawberry.field(default=None, description="Where the patient is seen "
                                                   "(PRIMARY_CARE when not given).")


@strawberry.input
class DiagnoseInput:
    findings: list[FindingInput] = strawberry.field(description="At least one finding, PRESENT or ABSENT.")
    limit: int | None = strawberry.field(default=10, description="How many candidates to return (1-100).")
    patient: PatientInput | None = strawberry.field(default=None, description="The patient's age, sex and care "
                                                                             "setting.")
