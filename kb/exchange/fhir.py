"""FHIR in: a FHIR R4 Bundle of Observations and Conditions as findings, for the diagnosis.

Example::

    from dxkb.kb.exchange import fhir

    case = fhir.read(bundle_text)              # the bundle's coded statements, its patient, what was ignored
    observations, warnings, fields = fhir.findings(case, store)
    # Observation LOINC 718-7 (hemoglobin) interpreted L -> HP:0001903 Anemia PRESENT (loinc2hpo)

How a resource becomes findings
-------------------------------
- **LOINC** (``http://loinc.org``) results with an interpretation: the loinc2hpo mapping of the code and the
  interpretation, as the build imported it (``dxkb:ResultInterpretation``, queries/loinc_interpretations.rq):
  the finding PRESENT, or ABSENT for a negated mapping (a normal result excludes the abnormality). The
  interpretation is ``Observation.interpretation`` (v3 ObservationInterpretation: HH and HU count as H, LL and LU
  as L, AA as A, DET as POS, ND as NEG), else a coded value (Positive, Negative, Detected, Not detected), else
  ``valueQuantity`` against the first ``referenceRange`` of the same unit (below low: L, above high: H, else N).
  An H, L or POS without a mapping of its own uses the code's A (abnormal) mapping when there is one.
- **HPO** codes (``http://purl.obolibrary.org/obo/hp.owl`` and the other usual systems, or a code ``HP:nnnnnnn``):
  that finding.
- **SNOMED CT** (``http://snomed.info/sct``): the findings whose ``oboInOwl:hasDbXref`` is ``SNOMEDCT_US:<code>``
  (queries/xref_findings.rq); a code that names a disease is not a finding and is not used.
- HPO and SNOMED CT statements are PRESENT unless the resource says otherwise: an Observation interpreted NEG or N,
  ``valueBoolean`` false or a coded value No / Absent / Negative; a Condition whose ``verificationStatus`` is
  refuted. Components of an Observation are read like Observations.
- The ``Patient``'s gender is the sex; its ``birthDate`` gives the age at the bundle's ``timestamp`` (else at the
  latest date of its Observations and Conditions), so the same bundle gives the same age on any day.

Every resource that gives no finding is listed as an ``UNMAPPED_RESOURCE`` warning naming it (``Observation/hb``,
or its ``entry[i]`` when it has no id) and why: no mapping, no interpretation, entered in error, or a kind of
resource that is not read (Encounter, MedicationStatement, ...). Text that is not JSON, not a Bundle, or that the
FHIR model refuses (``fhir.resources``, its R4B models: R4's Bundle, Observation, Condition and Patient read the
same) is an :class:`InputError` naming the field, e.g. ``fhir: entry[0].resource.status: field required``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Iterable

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError
from rdflib import Literal

from dxkb.kb.engine.types import Observation, Patient, Sex, Status, Warning
from dxkb.kb.errors import InputError
from dxkb.kb.exchange.statuses import record
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import InvalidCurie, to_curie, to_iri

#: The largest bundle accepted (bytes of JSON).
MAX_BYTES = 5_000_000
#: At most this many validation problems are named in one error.
SHOWN_ERRORS = 3
SHOWN = 200  # characters of each message shown (the model's messages may quote the offending value)
DAYS_PER_YEAR = 365.25

LOINC_SYSTEM = "http://loinc.org"
SNOMED_SYSTEM = "http://snomed.info/sct"
HPO_SYSTEMS = frozenset({
    "http://purl.obolibrary.org/obo/hp.owl", "http://purl.obolibrary.org/obo/hp.obo", "http://purl.obolibrary.org/obo/hp",
    "http://human-phenotype-ontology.org", "http://human-phenotype-ontology.org/", "https://hpo.jax.org",
    "https://hpo.jax.org/app/", "http://www.human-phenotype-ontology.org", "HP", "HPO"})
_HPO_CODE = re.compile(r"^(?:HP[:_])?(\d{7})$", re.IGNORECASE)

#: v3 ObservationInterpretation codes as loinc2hpo names them.
INTERPRETATIONS = {"H": "H", "HH": "H", "HU": "H", "H>": "H", ">": "H", "L": "L", "LL": "L", "LU": "L", "L<": "L",
                   "<": "L", "A": "A", "AA": "A", "N": "N", "POS": "POS", "DET": "POS", "NEG": "NEG", "ND": "NEG"}
#: An interpretation without a mapping of its own may use these of the same code.
FALLBACKS = {"H": ("A",), "L": ("A",), "POS": ("A",)}
#: Coded answers (SNOMED CT, LOINC answer lists) that say a finding or a result is there or not.
POSITIVE_ANSWERS = frozenset({"10828004", "260373001", "52101004", "373066001", "LA6576-8", "LA11882-0", "LA33-6",
                              "LA9633-4"})
NEGATIVE_ANSWERS = frozenset({"260385009", "260415000", "2667000", "373067005", "LA6577-6", "LA11883-8", "LA32-8",
                              "LA9634-2"})
#: Interpretations that say a phenotype coded in HPO or SNOMED CT is absent.
NEGATIVE_INTERPRETATIONS = frozenset({"NEG", "N"})
IGNORED_STATUSES = frozenset({"entered-in-error", "cancelled"})
READ_TYPES = ("Observation", "Condition", "Patient")


@dataclass(frozen=True)
class Statement:
    """One coded statement of a resource (an Observation, a component of one, or a Condition)."""

    resource: str  # "Observation/hb", or "entry[3]" for a resource without an id
    where: str  # its place in the bundle: "entry[3]", "entry[3].component[1]"
    codes: tuple[tuple[str, str], ...]  # (system, code) of code.coding and of a coded value that is not an answer
    interpretation: str | None  # H, L, N, A, POS or NEG (for LOINC results)
    status: Status  # what the resource says of a phenotype it names (HPO, SNOMED CT)


@dataclass
class FhirCase:
    statements: list[Statement]
    patient: Patient | None
    warnings: list[Warning] = field(default_factory=list)


def parse(text: str | bytes) -> Bundle:
    """The Bundle; InputError naming the field when the text is not a FHIR R4 Bundle in JSON."""
    if len(text) > MAX_BYTES:
        raise InputError(f"fhir: {len(text):,} bytes; at most {MAX_BYTES:,} are accepted")
    try:
        data = json.loads(text)
    except UnicodeDecodeError as error:
        raise InputError(f"fhir: not UTF-8 text (byte {error.start})") from None
    except ValueError as error:
        raise InputError(f"fhir: not valid JSON ({error})") from None
    except RecursionError:
        raise InputError("fhir: JSON nested too deeply to be a FHIR Bundle") from None
    if not isinstance(data, dict):
        raise InputError("fhir: expected a JSON object (a FHIR Bundle)")
    if data.get("resourceType") != "Bundle":
        raise InputError(f"fhir: resourceType: expected \"Bundle\" (of Observations and Conditions), got "
                         f"{str(data.get('resourceType'))[:SHOWN]!r}")
    entries = data.get("entry", [])
    if isinstance(entries, list):
        for position, entry in enumerate(entries):
            kind = entry.get("resource", {}).get("resourceType") if isinstance(entry, dict) and isinstance(
                entry.get("resource"), dict) else None
            if kind is None:
                continue  # the model names what is missing
            try:
                get_fhir_model_class(str(kind))
            except (ValueError, KeyError):
                raise InputError(f"fhir: entry[{position}].resource.resourceType: {str(kind)[:SHOWN]!r} is not a FHIR "
                                 "R4 resource type") from None
    try:
        return Bundle.model_validate(data)
    except ValidationError as error:
        problems = [f"{_path(e['loc'])}: {_message(e)}" for e in error.errors()[:SHOWN_ERRORS]]
        more = error.error_count() - len(problems)
        raise InputError("fhir: " + "; ".join(problems) + (f" (and {more} more)" if more > 0 else "")) from None
    except RecursionError:
        raise InputError("fhir: JSON nested too deeply to be a FHIR Bundle") from None


def read(text: str | bytes) -> FhirCase:
    """The coded statements, the patient and the resources that are not read, of a FHIR R4 Bundle (JSON)."""
    bundle = parse(text)
    statements: list[Statement] = []
    warnings: list[Warning] = []
    patients: list[tuple[str, Any]] = []
    dates: list[datetime] = []
    for position, entry in enumerate(bundle.entry or []):
        resource = entry.resource
        where = f"entry[{position}]"
        if resource is None:
            continue
        kind = resource.get_resource_type()
        name = f"{kind}/{resource.id}" if getattr(resource, "id", None) else where
        if kind == "Patient":
            patients.append((name, resource))
            continue
        if kind not in READ_TYPES:
            warnings.append(_unmapped(name, where, f"a {kind}: only Observations, Conditions and the Patient are read"))
            continue
        status = str(resource.status) if kind == "Observation" else _code(resource.verificationStatus)
        if status in IGNORED_STATUSES:
            warnings.append(_unmapped(name, where, f"status {status}: ignored"))
            continue
        dates += [d for d in _dates(resource, kind) if d is not None]
        if kind == "Observation":
            found = [_observation(resource, name, where)]
            found += [_observation(c, name, f"{where}.component[{i}]") for i, c in enumerate(resource.component or [])]
        else:
            found = [Statement(name, where, _codings(resource.code), None,
                               Status.ABSENT if status == "refuted" else Status.PRESENT)]
        statements += [s for s in found if s.codes]
        if not any(s.codes for s in found):
            warnings.append(_unmapped(name, where, "no coded concept (code.coding)"))
    patient, patient_warnings = _patient(patients, bundle, dates)
    return FhirCase(statements=statements, patient=patient, warnings=warnings + patient_warnings)


class CodeMaps:
    """The store's look-ups for one bundle: one query for all its LOINC codes, one for all its SNOMED CT codes."""

    def __init__(self, store: Store, statements: Iterable[Statement]) -> None:
        statements = list(statements)
        loinc = sorted({c for s in statements for system, c in s.codes if system == LOINC_SYSTEM})
        snomed = sorted({c for s in statements for system, c in s.codes if system == SNOMED_SYSTEM})
        self.loinc: dict[str, dict[str, list[tuple[str, bool]]]] = {}
        iris = [(to_iri(f"LOINC:{c}"),) for c in loinc if _is_local(c)]
        if iris:
            for row in sparql.select(store, "loinc_interpretations", values={("test",): iris}):
                code = to_curie(row["test"]).split(":", 1)[1]
                self.loinc.setdefault(code, {}).setdefault(str(row["code"]), []).append(
                    (to_curie(row["finding"]), bool(row["negated"])))
        self.snomed: dict[str, list[str]] = {}
        xrefs = [(Literal(f"SNOMEDCT_US:{c}"),) for c in snomed if _is_local(c)]
        if xrefs:
            for row in sparql.select(store, "xref_findings", values={("xref",): xrefs}):
                self.snomed.setdefault(str(row["xref"]).split(":", 1)[1], []).append(to_curie(row["finding"]))


def findings(case: FhirCase, store: Store) -> tuple[list[Observation], list[Warning], dict[str, str]]:
    """The findings the bundle's statements map to (a finding named PRESENT by one resource and ABSENT by another
    is PRESENT, with a warning), the warnings (the bundle's unmapped resources first), and for each finding where
    in the bundle it came from."""
    maps = CodeMaps(store, case.statements)
    statuses: dict[str, Status] = {}
    sources: dict[str, str] = {}
    warnings = list(case.warnings)
    for s in case.statements:
        mapped, reason = _map(s, maps)
        if not mapped:
            warnings.append(_unmapped(s.resource, s.where, reason))
            continue
        for finding, status in mapped:
            label = f"{s.where} ({s.resource})" if s.resource != s.where else s.where
            conflict = record(statuses, sources, finding, status, label, "present and absent; used as PRESENT",
                              finding)
            if conflict is not None:
                warnings.append(conflict)
    return [Observation(f, s) for f, s in statuses.items()], warnings, sources


# ---------------------------------------------------------------------------------------------------- mapping

def _map(s: Statement, maps: CodeMaps) -> tuple[list[tuple[str, Status]], str]:
    """The (finding, status) pairs of a statement, or none and why."""
    hpo = [c for system, c in s.codes if system == "HPO"]
    if hpo:
        return [(c, s.status) for c in hpo], ""
    snomed = [c for system, c in s.codes if system == SNOMED_SYSTEM]
    found = [(f, s.status) for c in snomed for f in maps.snomed.get(c, [])]
    if found:
        return found, ""
    loinc = [c for system, c in s.codes if system == LOINC_SYSTEM]
    for code in loinc:
        by_interpretation = maps.loinc.get(code)
        if not by_interpretation:
            continue
        if s.interpretation is None:
            return [], f"LOINC {code} without an interpretation (H, L, N, POS, NEG...) or a reference range to derive one"
        for wanted in (s.interpretation, *FALLBACKS.get(s.interpretation, ())):
            rows = by_interpretation.get(wanted)
            if rows:
                return [(f, Status.ABSENT if negated else Status.PRESENT) for f, negated in rows], ""
        return [], (f"loinc2hpo has no mapping of LOINC {code} interpreted {s.interpretation} (only "
                    f"{', '.join(sorted(by_interpretation))})")
    named = ", ".join(f"{_system_name(system)} {c}" for system, c in s.codes)
    if loinc:
        return [], (f"no loinc2hpo mapping for {named} in this knowledge base (built without loinc2hpo, or not a "
                    "mapped test)")
    return [], f"no finding of this knowledge base for {named}"


def _observation(node: Any, name: str, where: str) -> Statement:
    """An Observation or one of its components: its codes, interpretation and what it says of a phenotype."""
    codes = list(_codings(node.code))
    answer: str | None = None
    value = getattr(node, "valueCodeableConcept", None)
    for coding in (value.coding or []) if value is not None else []:
        code = str(coding.code or "")
        if code in POSITIVE_ANSWERS:
            answer = answer or "POS"
        elif code in NEGATIVE_ANSWERS:
            answer = answer or "NEG"
    if answer is None and value is not None:
        codes += [c for c in _codings(value) if c not in codes]
    interpretation = _interpretation(node) or answer or _from_range(node)
    status = Status.PRESENT
    if getattr(node, "valueBoolean", None) is False or answer == "NEG" or interpretation in NEGATIVE_INTERPRETATIONS:
        status = Status.ABSENT
    return Statement(name, where, tuple(codes), interpretation, status)


def _codings(concept: Any) -> tuple[tuple[str, str], ...]:
    """(system, code) of a CodeableConcept's codings; HPO codes as ("HPO", "HP:nnnnnnn")."""
    found: list[tuple[str, str]] = []
    for coding in (concept.coding or []) if concept is not None else []:
        system, code = str(coding.system or "").strip(), str(coding.code or "").strip()
        if not code:
            continue
        hpo = _HPO_CODE.match(code)
        if hpo and (system in HPO_SYSTEMS or code.upper().startswith("HP")):
            found.append(("HPO", f"HP:{hpo.group(1)}"))
        elif system in (LOINC_SYSTEM, SNOMED_SYSTEM):
            found.append((system, code))
        else:
            found.append((system or "(no system)", code))
    return tuple(found)


def _interpretation(node: Any) -> str | None:
    for concept in getattr(node, "interpretation", None) or []:
        for coding in concept.coding or []:
            code = INTERPRETATIONS.get(str(coding.code or "").strip().upper())
            if code is not None:
                return code
    return None


def _from_range(node: Any) -> str | None:
    """H, L or N from valueQuantity against the first reference range in the same unit, if any."""
    quantity = getattr(node, "valueQuantity", None)
    if quantity is None or quantity.value is None:
        return None
    unit = quantity.code or quantity.unit
    for reference in getattr(node, "referenceRange", None) or []:
        low, high = reference.low, reference.high
        bounds = [b for b in (low, high) if b is not None and b.value is not None]
        if not bounds or any((b.code or b.unit) not in (None, unit) for b in bounds):
            continue
        value = Decimal(str(quantity.value))
        if low is not None and low.value is not None and value < Decimal(str(low.value)):
            return "L"
        if high is not None and high.value is not None and value > Decimal(str(high.value)):
            return "H"
        return "N"
    return None


def _patient(patients: list[tuple[str, Any]], bundle: Bundle,
             dates: list[datetime]) -> tuple[Patient | None, list[Warning]]:
    warnings = [_unmapped(name, name, "a second Patient: the first one is used") for name, _ in patients[1:]]
    if not patients:
        return None, warnings
    name, resource = patients[0]
    sex = {"female": Sex.FEMALE, "male": Sex.MALE, "other": Sex.OTHER}.get(str(resource.gender or ""))
    age: float | None = None
    born = resource.birthDate
    if born is not None:
        reference = _utc(bundle.timestamp) if bundle.timestamp is not None else (max(dates) if dates else None)
        if reference is None:
            warnings.append(Warning("AGE_IGNORED", f"{name}: a birthDate but no date to take the age at (the bundle's "
                                    "timestamp, or an effective or recorded date); no age used", name))
        else:
            birth = born if isinstance(born, date) else date.fromisoformat(str(born)[:10])
            days = (reference.date() - birth).days
            if days < 0:
                raise InputError(f"fhir: {name}.birthDate: after the bundle's date {reference.date().isoformat()}")
            age = days / DAYS_PER_YEAR
    if age is None and sex is None:
        return None, warnings
    return Patient(age_years=age, sex=sex), warnings


def _dates(resource: Any, kind: str) -> list[datetime | None]:
    if kind == "Observation":
        values = [resource.effectiveDateTime, resource.issued]
    else:
        values = [resource.recordedDate, resource.onsetDateTime]
    return [_utc(v) for v in values if v is not None]


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    try:
        return _utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return None


def _code(concept: Any) -> str | None:
    for coding in (concept.coding or []) if concept is not None else []:
        if coding.code:
            return str(coding.code)
    return None


def _unmapped(name: str, where: str, reason: str) -> Warning:
    place = where if name == where else f"{where} ({name})"
    return Warning("UNMAPPED_RESOURCE", f"{place}: {reason}; not used", name)


def _system_name(system: str) -> str:
    return {LOINC_SYSTEM: "LOINC", SNOMED_SYSTEM: "SNOMED CT", "HPO": "HPO"}.get(system, system)


def _is_local(code: str) -> bool:
    try:
        to_iri(f"LOINC:{code}")
    except InvalidCurie:
        return False
    return True


def _path(location: tuple) -> str:
    """pydantic's ('entry', 0, 'resource', 'status') as entry[0].resource.status."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(bundle)"


def _message(error: dict) -> str:
    message = " ".join(str(error.get("msg", "")).split())
    message = message if len(message) <= SHOWN else message[:SHOWN] + "..."
    return message[:1].lower() + message[1:] if message else "invalid"
