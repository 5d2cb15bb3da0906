"""The Query type: each resolver translates GraphQL arguments into one kb call (in a worker thread) and back."""

from __future__ import annotations

from typing import Any, Iterable

import strawberry
from strawberry.types import Info

from dxkb.api.graphql import convert
from dxkb.api.graphql import types as t
from dxkb.api.graphql.errors import BadUserInput, NotFound
from dxkb.api.graphql.pagination import check_search, encode_cursor, page
from dxkb.kb.errors import InputError
from dxkb.kb.service import (KnowledgeBase, LabelIndex, Observation, Patient, Setting, Sex, Status,
                              canonical_id)

MAX_LIMIT = 100
MAX_FINDINGS = 500  # per diagnose call: real case reports carry up to 192 findings; the cost grows linearly


def _normalise(curie: str) -> str | None:
    """The canonical CURIE (prefix case fixed), or None when the text is not a CURIE of a known prefix."""
    return canonical_id(curie)


#: The longest ID accepted: CURIEs are under 30 characters. A longer one is refused before any look-up, and error
#: messages show at most SHOWN_ID characters of what was sent (a 1 MB ID was echoed three times: a 3 MB error).
MAX_ID_LENGTH = 200
SHOWN_ID = 60


def _shown(given: str) -> str:
    """The ID as error messages show it: cut to SHOWN_ID characters."""
    return given if len(given) <= SHOWN_ID else f"{given[:SHOWN_ID]}... ({len(given):,} characters)"


def _check_id_length(given: str, argument: str) -> None:
    if len(given) > MAX_ID_LENGTH:
        raise BadUserInput(f"{argument}: the ID {_shown(given)!r} is {len(given):,} characters long; IDs are at "
                           f"most {MAX_ID_LENGTH} (a CURIE such as HP:0000988)", argument=argument)


def _lookup(index: LabelIndex, what: str, given: str) -> str:
    """The ID in the index, or NOT_FOUND / BAD_USER_INPUT naming close matches."""
    _check_id_length(given, "id")
    curie = _normalise(given)
    if curie is not None and curie in index:
        return curie
    suggestions = index.suggest(given)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    if curie is None:
        raise BadUserInput(f"id: {given!r} is not a {what} ID (a CURIE such as "
                           f"{'MONDO:0005059' if what == 'disease' else 'HP:0000988'}){hint}",
                           argument="id", suggestions={given: suggestions})
    raise NotFound(f"no {what} with ID {curie!r}{hint}", argument="id", suggestions={given: suggestions})


#: The Candidate fields whose values the engine computes only when a query selects them (DiagnosisEngine.diagnose).
EVIDENCE_FIELDS = frozenset({"supporting", "opposing"})
#: The fields that need the interview's next questions (the explanation says why none is asked).
QUESTION_FIELDS = frozenset({"nextQuestions", "explanation"})


def selects(selections: Iterable[Any], names: frozenset[str]) -> bool:
    """Whether a selection set (strawberry's Info.selected_fields, fragments included) names one of these fields
    at any depth: a field under @skip or @include counts as selected (computed, then perhaps not shown)."""
    for selection in selections:
        if getattr(selection, "name", None) in names or selects(getattr(selection, "selections", ()), names):
            return True
    return False


def _diagnose(kb: KnowledgeBase, data: t.DiagnoseInput, evidence: bool = True, questions: bool = True
              ) -> t.Diagnosis:
    limit = 10 if data.limit is None else data.limit
    if not 1 <= limit <= MAX_LIMIT:
        raise BadUserInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", argument="input.limit")
    if len(data.findings) > MAX_FINDINGS:
        raise BadUserInput(f"{len(data.findings)} findings given; at most {MAX_FINDINGS} are accepted",
                           argument="input.findings")
    for position, f in enumerate(data.findings):
        _check_id_length(f.id, f"input.findings[{position}].id")
    observations = [Observation(f.id, Status(f.status.value)) for f in data.findings]
    return convert.diagnosis(kb, kb.diagnose(observations, limit=limit, patient=_patient(data.patient),
                                             evidence=evidence, questions=questions))


#: The longest phenopacket or FHIR bundle accepted (characters of JSON); the request body is at most 1 MB anyway.
MAX_DOCUMENT_CHARACTERS = 1_000_000


def _diagnose_document(kb: KnowledgeBase, kind: str, text: str, limit: int | None,
                       setting: t.CareSetting | None = None) -> t.Diagnosis:
    """diagnosePhenopacket / diagnoseFhir: the document's errors are BAD_USER_INPUT naming the argument, and the
    message names the field of the document."""
    argument = "phenopacket" if kind == "phenopacket" else "bundle"
    limit = 10 if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise BadUserInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}", argument="limit")
    if len(text) > MAX_DOCUMENT_CHARACTERS:
        raise BadUserInput(f"{argument}: {len(text):,} characters; at most {MAX_DOCUMENT_CHARACTERS:,} are accepted",
                           argument=argument)
    try:
        where = Setting(setting.value) if setting is not None else None
        diagnosis = (kb.diagnose_phenopacket(text, limit=limit, setting=where) if kind == "phenopacket"
                     else kb.diagnose_fhir(text, limit=limit, setting=where))
    except InputError as error:
        raise BadUserInput(str(error), argument=argument, suggestions=error.suggestions or None) from None
    if len(diagnosis.observations) > MAX_FINDINGS:
        raise BadUserInput(f"{argument}: {len(diagnosis.observations)} findings; at most {MAX_FINDINGS} are accepted",
                           argument=argument)
    return convert.diagnosis(kb, diagnosis)


def _patient(given: t.PatientInput | None) -> Patient | None:
    """The patient context; an age outside 0-130 years is BAD_USER_INPUT naming input.patient.ageYears."""
    if given is None:
        return None
    age = given.age_years
    if age is not None and not 0 <= age <= 130:
        raise BadUserInput(f"patient.ageYears must be between 0 and 130 years, got {age:g}",
                           argument="input.patient.ageYears")
    return Patient(age_years=age, sex=Sex(given.sex.value) if given.sex is not None else None,
                   setting=Setting(given.setting.value) if given.setting is not None else None)


def _disease(kb: KnowledgeBase, id: str) -> t.Disease:
    return convert.disease(kb, _lookup(kb.diseases, "disease", id))


def _finding(kb: KnowledgeBase, id: str) -> t.Finding:
    return convert.finding(kb, _lookup(kb.findings, "finding", id))


def _step(kb: KnowledgeBase, id: str) -> t.DiagnosticStep:
    _check_id_length(id, "id")
    curie = _normalise(id)
    found = kb.step(curie) if curie else None
    if found is None:
        known = ", ".join(f"{s.id} ({s.label})" for s in kb.steps)
        error = BadUserInput if curie is None else NotFound
        raise error(f"no diagnostic step with ID {id!r} (known steps: {known})", argument="id",
                    suggestions={id: [f"{s.id} ({s.label})" for s in kb.steps]})
    return convert.step(kb, found)


def _diseases(kb: KnowledgeBase, search: str | None, first: int | None, after: str | None) -> t.DiseaseConnection:
    matches = kb.diseases.search(check_search(search))
    p = page(matches, "disease", first, after)
    edges = [t.DiseaseEdge(node=convert.disease(kb, m.entry.id), cursor=encode_cursor("disease", i), matched=m.matched)
             for i, m in p.items]
    return t.DiseaseConnection(edges=edges, page_info=_page_info(edges, p.has_next, p.has_previous),
                               total_count=p.total)


def _findings(kb: KnowledgeBase, search: str | None, first: int | None, after: str | None) -> t.FindingConnection:
    matches = kb.findings.search(check_search(search))
    p = page(matches, "finding", first, after)
    edges = [t.FindingEdge(node=convert.finding(kb, m.entry.id), cursor=encode_cursor("finding", i), matched=m.matched)
             for i, m in p.items]
    return t.FindingConnection(edges=edges, page_info=_page_info(edges, p.has_next, p.has_previous),
                               total_count=p.total)


def _page_info(edges: list, has_next: bool, has_previous: bool) -> t.PageInfo:
    return t.PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                      start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None)


@strawberry.type(description="dxkb: what could be causing these findings, and what should be checked next? "
                             "Decision support, not a diagnosis.")
class Query:
    @strawberry.field(description="Rank candidate causes of the findings, choose next diagnostic steps and recommend "
                                  "further testing or watchful waiting. " + t.DECISION_SUPPORT + " Unknown or missing "
                                  "finding IDs give BAD_USER_INPUT with suggestions.")
    async def diagnose(self, info: Info, input: t.DiagnoseInput) -> t.Diagnosis:
        return await info.context.run(_diagnose, info.context.kb, input,
                                      selects(info.selected_fields, EVIDENCE_FIELDS),
                                      selects(info.selected_fields, QUESTION_FIELDS))

    @strawberry.field(description="`diagnose` for a GA4GH Phenopacket v2 (its JSON as a string): its observed and "
                                  "excluded phenotypicFeatures, the age of subject.timeAtLastEncounter and "
                                  "subject.sex. " + t.DECISION_SUPPORT + " Text that is not JSON or not a "
                                  "Phenopacket v2 gives BAD_USER_INPUT naming the field. `setting`: where the "
                                  "patient is seen (a phenopacket does not say; PRIMARY_CARE when not given).")
    async def diagnose_phenopacket(self, info: Info, phenopacket: str, limit: int | None = 10,
                                   setting: t.CareSetting | None = None) -> t.Diagnosis:
        return await info.context.run(_diagnose_document, info.context.kb, "phenopacket", phenopacket, limit,
                                      setting)

    @strawberry.field(description="`diagnose` for a FHIR R4 Bundle (its JSON as a string) of Observations and "
                                  "Conditions: LOINC results with an interpretation through loinc2hpo, HPO codes, "
                                  "SNOMED CT codes through the knowledge base's xrefs; the Patient's gender and age. "
                                  "Resources that give no finding are listed in `warnings` (UNMAPPED_RESOURCE). "
                                  + t.DECISION_SUPPORT + " Text that is not a Bundle gives BAD_USER_INPUT naming the "
                                  "field. `setting` as for diagnosePhenopacket.")
    async def diagnose_fhir(self, info: Info, bundle: str, limit: int | None = 10,
                            setting: t.CareSetting | None = None) -> t.Diagnosis:
        return await info.context.run(_diagnose_document, info.context.kb, "fhir", bundle, limit, setting)

    @strawberry.field(description="A disease by ID; null (with a NOT_FOUND error naming close matches) when there is "
                                  "none.")
    async def disease(self, info: Info, id: strawberry.ID) -> t.Disease | None:
        return await info.context.run(_disease, info.context.kb, id)

    @strawberry.field(description="Diseases, optionally filtered by a case-insensitive search over labels and "
                                  "synonyms (prefix matches first).")
    async def diseases(self, info: Info, search: str | None = None, first: int | None = 20,
                       after: str | None = None) -> t.DiseaseConnection:
        return await info.context.run(_diseases, info.context.kb, search, first, after)

    @strawberry.field(description="A finding by ID; null (with a NOT_FOUND error naming close matches) when there is "
                                  "none.")
    async def finding(self, info: Info, id: strawberry.ID) -> t.Finding | None:
        return await info.context.run(_finding, info.context.kb, id)

    @strawberry.field(description="Autocomplete over findings: case-insensitive search over labels and synonyms, "
                                  "prefix matches of labels first, then of synonyms, then word prefixes, then "
                                  "substrings. Without `search`, all findings by label.")
    async def findings(self, info: Info, search: str | None = None, first: int | None = 20,
                       after: str | None = None) -> t.FindingConnection:
        return await info.context.run(_findings, info.context.kb, search, first, after)

    @strawberry.field(description="A diagnostic step by ID; null (with NOT_FOUND) when there is none.")
    async def diagnostic_step(self, info: Info, id: strawberry.ID) -> t.DiagnosticStep | None:
        return await info.context.run(_step, info.context.kb, id)

    @strawberry.field(description="Every diagnostic step of the knowledge base, in work-up order.")
    async def diagnostic_steps(self, info: Info) -> list[t.DiagnosticStep]:
        return await info.context.run(lambda kb: [convert.step(kb, s) for s in kb.steps], info.context.kb)
