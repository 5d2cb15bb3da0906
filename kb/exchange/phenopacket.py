"""GA4GH Phenopacket v2 in and out: a phenopacket's phenotypic features, age and sex as the diagnosis's input, and a
diagnosis as phenopacket Interpretations.

Example::

    from pathlib import Path
    from dxkb.kb.exchange import phenopacket

    case = phenopacket.read(Path("PMID_24573067_CASE_REPORT.json").read_text())
    case.observations   # [Observation("HP:0000486", PRESENT), ..., Observation("HP:0001249", ABSENT)]
    case.patient        # Patient(age_years=80.0, sex=Sex.FEMALE)

What is read
------------
- ``phenotypicFeatures[]``: ``type.id`` PRESENT, or ABSENT when ``excluded`` is true. A term given both ways (e.g.
  excluded at one visit, observed at a later one) is PRESENT, with a ``CONFLICTING_STATUS`` warning. Severity,
  modifiers, onset and evidence are not used.
- the age: ``subject.timeAtLastEncounter`` as an ISO 8601 ``age`` (``P3Y6M``), the middle of an ``ageRange``, or a
  ``timestamp`` together with ``subject.dateOfBirth``; a gestational age, an ontology class (an onset term) or an
  interval give no age (an ``AGE_IGNORED`` warning).
- the sex: ``subject.sex`` (``UNKNOWN_SEX`` is the same as none).

Parsing goes through GA4GH's own protobuf bindings (the ``phenopackets`` package) and protobuf's JSON mapping, so
what the schema refuses is refused here: text that is not JSON, a field the schema does not have (a Phenopacket v1's
``negated``), a value of the wrong type. Each is an :class:`InputError` naming the field, e.g.
``phenopacket: phenotypicFeatures[0].excluded: expected true or false without quotes``.

What is written
---------------
:func:`write` turns a diagnosis into a phenopacket: the input phenopacket (or one made from the findings and the
patient) with one ``Interpretation`` per ranked candidate (``id`` ``dxkb-<rank>``, ``progressStatus`` IN_PROGRESS:
a candidate, not a settled diagnosis; the ``summary`` gives the rank, probability and evidence), and ``metaData``
resources for the ontologies the candidates come from.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping

from google.protobuf import json_format
from phenopackets import (Age, Diagnosis as PacketDiagnosis, Individual, Interpretation, MetaData, OntologyClass,
                          Phenopacket, PhenotypicFeature, Resource, Sex as PacketSex, TimeElement)

from dxkb.kb.engine.types import Diagnosis, Evidence, Observation, Patient, Sex, Status, Warning
from dxkb.kb.errors import InputError
from dxkb.kb.exchange.statuses import record
from dxkb.kb.vocab import PREFIXES, InvalidCurie, to_curie, to_iri

#: The largest phenopacket accepted (bytes of JSON): the biggest of phenopacket-store is ~120 kB.
MAX_BYTES = 5_000_000
#: The oldest age accepted, as kb/engine/patient.py (an older one is a typing error).
MAX_AGE_YEARS = 130.0
SCHEMA_VERSION = "2.0"
CREATED_BY = "dxkb"
INTERPRETATION_PREFIX = "dxkb-"
DAYS_PER_YEAR = 365.25
SHOWN = 300  # characters of the schema's message shown (it may quote the offending value)

#: The ontologies whose terms dxkb writes into a phenopacket: metaData.resources entries (id, name, url).
RESOURCES: dict[str, tuple[str, str, str]] = {
    "HP": ("hp", "human phenotype ontology", "http://purl.obolibrary.org/obo/hp.owl"),
    "OMIM": ("omim", "Online Mendelian Inheritance in Man", "https://www.omim.org"),
    "MONDO": ("mondo", "Mondo Disease Ontology", "http://purl.obolibrary.org/obo/mondo.obo"),
    "ORPHA": ("ordo", "Orphanet Rare Disease Ontology", "https://www.orpha.net"),
    "DOID": ("doid", "Human Disease Ontology", "http://purl.obolibrary.org/obo/doid.owl"),
    "DECIPHER": ("decipher", "DECIPHER", "https://www.deciphergenomics.org"),
    "DXKB": ("dxkb", "dxkb knowledge base", "https://w3id.org/dxkb"),
}
#: The source whose release versions a resource (owl:versionInfo of <https://w3id.org/dxkb/source/NAME>).
RESOURCE_SOURCES = {"HP": "hpo", "OMIM": "hpo", "ORPHA": "hpo", "DECIPHER": "hpo"}

_DURATION = re.compile(r"^P(?!$)(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_FAILED_FIELD = re.compile(r"^Failed to parse (\w+) field: ")
_AT_PATH = re.compile(r"""\s+at "?Phenopacket\.?([^"\s]*?)"?\.?$""")


@dataclass
class PhenopacketCase:
    """What a phenopacket says for the diagnosis, and where each finding came from (for warnings and errors)."""

    packet: Phenopacket
    observations: list[Observation]
    patient: Patient | None
    warnings: list[Warning] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # finding ID as given -> its field, e.g. phenotypicFeatures[3]


def parse(text: str | bytes) -> Phenopacket:
    """The phenopacket message; InputError naming the field when the text is not a Phenopacket v2 in JSON."""
    if isinstance(text, bytes):
        if len(text) > MAX_BYTES:
            raise InputError(f"phenopacket: {len(text):,} bytes; at most {MAX_BYTES:,} are accepted")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"phenopacket: not UTF-8 text (byte {error.start})") from None
    if len(text) > MAX_BYTES:
        raise InputError(f"phenopacket: {len(text):,} characters; at most {MAX_BYTES:,} are accepted")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise InputError(f"phenopacket: not valid JSON ({error})") from None
    except RecursionError:
        raise InputError("phenopacket: JSON nested too deeply to be a phenopacket") from None
    if not isinstance(data, dict):
        raise InputError(f"phenopacket: expected a JSON object (a GA4GH Phenopacket v2), got {_json_kind(data)}")
    packet = Phenopacket()
    try:
        json_format.ParseDict(data, packet)
    except json_format.ParseError as error:
        raise InputError(f"phenopacket: {_field_error(str(error), data)}") from None
    except RecursionError:
        raise InputError("phenopacket: JSON nested too deeply to be a phenopacket") from None
    return packet


def read(text: str | bytes) -> PhenopacketCase:
    """The findings, age and sex of a Phenopacket v2 (JSON); InputError naming the field when it is not one, or
    when it has no phenotypic feature to weigh."""
    packet = parse(text)
    if not packet.phenotypic_features:
        raise InputError("phenopacket: phenotypicFeatures: the phenopacket has no phenotypic features (at least one "
                         "observed or excluded HPO term is needed)")
    statuses: dict[str, Status] = {}
    given: dict[str, str] = {}
    fields: dict[str, str] = {}
    warnings: list[Warning] = []
    for position, feature in enumerate(packet.phenotypic_features):
        where = f"phenotypicFeatures[{position}]"
        raw = feature.type.id.strip()
        if not raw:
            raise InputError(f"phenopacket: {where}.type.id: missing (every feature needs a term, e.g. HP:0001250)")
        curie = _canonical(raw)
        status = Status.ABSENT if feature.excluded else Status.PRESENT
        fields.setdefault(raw, where)
        conflict = record(statuses, given, curie, status, where, "observed and excluded; used as observed (PRESENT)",
                          raw)
        if conflict is not None:
            warnings.append(conflict)
    observations = [Observation(curie, status) for curie, status in statuses.items()]
    patient, age_warnings = _patient(packet)
    return PhenopacketCase(packet=packet, observations=observations, patient=patient,
                           warnings=sorted(set(warnings + age_warnings)), fields=fields)


def years_of(duration: str, where: str) -> float:
    """Years of an ISO 8601 duration (``P3Y6M``, ``P10D``, ``P2W``); InputError naming ``where`` otherwise."""
    match = _DURATION.match(duration.strip())
    if match is None:
        raise InputError(f"phenopacket: {where}: {duration!r} is not an ISO 8601 duration (e.g. P3Y6M, P10D)")
    years, months, weeks, days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return (years + months / 12 + (weeks * 7 + days + hours / 24 + minutes / 1440 + seconds / 86400) / DAYS_PER_YEAR)


def _patient(packet: Phenopacket) -> tuple[Patient | None, list[Warning]]:
    subject = packet.subject
    sex = {PacketSex.FEMALE: Sex.FEMALE, PacketSex.MALE: Sex.MALE, PacketSex.OTHER_SEX: Sex.OTHER}.get(subject.sex)
    age: float | None = None
    warnings: list[Warning] = []
    where = "subject.timeAtLastEncounter"
    if subject.HasField("time_at_last_encounter"):
        element = subject.time_at_last_encounter
        kind = element.WhichOneof("element")
        if kind == "age":
            age = years_of(element.age.iso8601duration, f"{where}.age.iso8601duration")
        elif kind == "age_range":
            ends = [years_of(a.iso8601duration, f"{where}.ageRange.{name}.iso8601duration")
                    for name, a in (("start", element.age_range.start), ("end", element.age_range.end))
                    if a.iso8601duration]
            age = sum(ends) / len(ends) if ends else None
        elif kind == "timestamp" and subject.HasField("date_of_birth"):
            days = (element.timestamp.seconds - subject.date_of_birth.seconds) / 86400
            if days < 0:
                raise InputError(f"phenopacket: {where}.timestamp: before subject.dateOfBirth")
            age = days / DAYS_PER_YEAR
        elif kind is not None:
            reason = {"gestational_age": "a gestational age (the patient is not born yet)",
                      "timestamp": "a date without subject.dateOfBirth",
                      "ontology_class": "an ontology class, not an age", "interval": "an interval, not an age"}[kind]
            warnings.append(Warning("AGE_IGNORED", f"{where}: {reason}; no age used", None))
    if age is not None and not 0 <= age <= MAX_AGE_YEARS:
        raise InputError(f"phenopacket: {where}: an age of {age:g} years; ages are 0-{MAX_AGE_YEARS:g} years")
    if age is None and sex is None:
        return None, warnings
    return Patient(age_years=age, sex=sex), warnings


# ---------------------------------------------------------------------------------------------------- out

def interpretations(diagnosis: Diagnosis) -> list[Interpretation]:
    """One Interpretation per ranked candidate: a candidate (IN_PROGRESS), with rank, probability and evidence."""
    total = diagnosis.total_candidates
    result = []
    for c in diagnosis.candidates:
        evidence = "; ".join(part for part in (
            _evidence("for", c.supporting), _evidence("against", c.opposing)) if part)
        summary = (f"dxkb candidate {c.rank} of {total}: probability {c.probability:.4g}"
                   + (f"; {evidence}" if evidence else "") + f". {diagnosis.disclaimer}")
        result.append(Interpretation(
            id=f"{INTERPRETATION_PREFIX}{c.rank}", progress_status=Interpretation.ProgressStatus.IN_PROGRESS,
            diagnosis=PacketDiagnosis(disease=OntologyClass(id=c.disease, label=c.label)), summary=summary))
    return result


def write(diagnosis: Diagnosis, *, packet: Phenopacket | None = None, labels: Mapping[str, str] | None = None,
          created: datetime | None = None, versions: Mapping[str, str] | None = None,
          case_id: str = "dxkb-case") -> dict[str, Any]:
    """The diagnosis as a phenopacket (JSON-ready): ``packet`` (the input phenopacket; made from the diagnosis's
    findings and patient when None) with dxkb's interpretations in place of any earlier ones of dxkb.
    ``created`` (the knowledge base's build time) and ``versions`` (source name -> release) fill metaData, so the
    same diagnosis of the same build gives the same bytes."""
    labels = labels or {}
    out = Phenopacket()
    if packet is not None:
        out.CopyFrom(packet)
        kept = [i for i in out.interpretations if not i.id.startswith(INTERPRETATION_PREFIX)]
        del out.interpretations[:]
        out.interpretations.extend(kept)
    else:
        out.id = case_id
        out.subject.CopyFrom(_subject(diagnosis.patient))
        for o in diagnosis.observations:
            if o.status is Status.UNKNOWN:
                continue
            out.phenotypic_features.append(PhenotypicFeature(
                type=OntologyClass(id=o.finding, label=labels.get(o.finding, o.finding)),
                excluded=o.status is Status.ABSENT))
    out.interpretations.extend(interpretations(diagnosis))
    meta = out.meta_data
    if packet is None or not packet.HasField("meta_data"):
        meta.CopyFrom(MetaData(created_by=CREATED_BY, phenopacket_schema_version=SCHEMA_VERSION))
        if created is not None:
            meta.created.FromDatetime(created.astimezone(timezone.utc).replace(tzinfo=None))
    listed = {r.namespace_prefix.upper() for r in meta.resources}
    terms = [c.disease for c in diagnosis.candidates] + [f.type.id for f in out.phenotypic_features]
    used = {term.split(":", 1)[0] for term in terms if ":" in term}
    for prefix in sorted(used - listed):
        if prefix not in RESOURCES:
            continue
        identifier, name, url = RESOURCES[prefix]
        meta.resources.append(Resource(
            id=identifier, name=name, url=url, namespace_prefix=prefix, iri_prefix=PREFIXES.get(prefix, ""),
            version=(versions or {}).get(RESOURCE_SOURCES.get(prefix, ""), "unknown")))
    return json_format.MessageToDict(out)


def duration(years: float) -> str:
    """An age as an ISO 8601 duration: P1Y6M from one year on, P3M from a month, P10D below."""
    if years >= 1:
        whole = int(years)
        months = int(round((years - whole) * 12))
        if months == 12:
            whole, months = whole + 1, 0
        return f"P{whole}Y{months}M" if months else f"P{whole}Y"
    if years >= 1 / 12:
        return f"P{max(1, int(round(years * 12)))}M"
    return f"P{int(round(years * DAYS_PER_YEAR))}D"


def _subject(patient: Patient | None) -> Individual:
    subject = Individual(id="patient")
    if patient is None:
        return subject
    if patient.sex is not None:
        subject.sex = {Sex.FEMALE: PacketSex.FEMALE, Sex.MALE: PacketSex.MALE, Sex.OTHER: PacketSex.OTHER_SEX}.get(
            patient.sex, PacketSex.UNKNOWN_SEX)
    if patient.age_years is not None and math.isfinite(patient.age_years):
        subject.time_at_last_encounter.CopyFrom(TimeElement(age=Age(iso8601duration=duration(patient.age_years))))
    return subject


def _evidence(direction: str, evidence: list[Evidence]) -> str:
    if not evidence:
        return ""
    return f"{direction}: " + ", ".join(f"{e.finding_label} ({e.finding}, LR {e.likelihood_ratio:.3g})"
                                        for e in evidence)


# ---------------------------------------------------------------------------------------------------- errors

def _canonical(curie: str) -> str:
    try:
        return to_curie(str(to_iri(curie)))
    except InvalidCurie:
        return curie


def _json_kind(value: object) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(value), "a number")


def _field_error(message: str, data: dict) -> str:
    """protobuf's message ("Failed to parse phenotypicFeatures field: Failed to parse excluded field: Expected true
    or false ... at Phenopacket.phenotypicFeatures[0].excluded.") as "phenotypicFeatures[0].excluded: expected ..."."""
    first, _, rest = message.partition("\n")
    names: list[str] = []
    while (match := _FAILED_FIELD.match(first)) is not None:
        names.append(match.group(1))
        first = first[match.end():]
    path = ".".join(names)
    at = _AT_PATH.search(first)
    if at is not None:
        first = first[:at.start()]
        if at.group(1).strip("."):
            path = at.group(1).strip(".")
    elif names:
        path = _indexed(names, data)
    detail = first.strip().rstrip(".")
    detail = detail[:1].lower() + detail[1:] if detail[:2] != detail[:2].upper() else detail
    fields = re.search(r"Available Fields\(except extensions\): \"\[(.*)\]\"", rest)
    if fields:
        detail += f" (fields there: {fields.group(1).replace(chr(39), '')})"
    detail = detail if len(detail) <= SHOWN else detail[:SHOWN] + "..."
    return f"{path}: {detail}" if path else detail


def _indexed(names: list[str], data: dict) -> str:
    """The path with the index of the first element the schema refuses, when the path starts at a list of the
    phenopacket (protobuf names the fields along the path but not the element)."""
    field = Phenopacket.DESCRIPTOR.fields_by_camelcase_name.get(names[0])
    items = data.get(names[0])
    if field is not None and field.message_type is not None and isinstance(items, list):
        for position, item in enumerate(items):
            element = getattr(Phenopacket(), field.name).add()
            try:
                json_format.ParseDict(item, element)
            except json_format.ParseError:
                return ".".join([f"{names[0]}[{position}]", *names[1:]])
    return ".".join(names)
