"""Helpers of the phenopacket and FHIR tests: a small store with loinc2hpo built through the real build, FHIR R4
resources as JSON, and the phenopacket-store release of the shared data folder (../shared or /work/shared)."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from dxkb.kb.build import importers
from dxkb.kb.build.pipeline import build
from tests.support import public_data

ROOT = Path(__file__).resolve().parent.parent.parent
_RELEASE = Path("data") / "phenopacket-store" / "phenopacket-store-dev.zip"
#: The shared data folder: DXKB_SHARED_DIR, else ../shared beside the repository, else /work/shared (the CI machine's).
PHENOPACKET_STORE = next((folder / _RELEASE for folder in (
    Path(os.environ["DXKB_SHARED_DIR"]) if os.environ.get("DXKB_SHARED_DIR") else None,
    ROOT.parent / "shared", Path("/work/shared")) if folder is not None and (folder / _RELEASE).exists()),
    ROOT.parent / "shared" / _RELEASE)
#: A case report with observed and excluded features, an age and a sex (palmoplantar keratoderma, OMIM:148600).
CASE = "phenopacket-store/AAGAB/PMID_24573067_CASE_REPORT.json"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
HPO = "http://purl.obolibrary.org/obo/hp.owl"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
HEMOGLOBIN = "718-7"  # loinc2hpo (tests/support/public_data.py): L -> HP:0001903 Anemia, N -> NOT HP:0001871
ANEMIA, BLOOD_ABNORMALITY, SEIZURE, RASH = "HP:0001903", "HP:0001871", "HP:0001250", "HP:0000988"
RASH_SNOMED = "271807003"  # an xref of HP:0000988 Skin rash in the curated module (kb/data/rash_leukemia.ttl)


def phenopacket_text(name: str = CASE) -> bytes:
    """One phenopacket of the phenopacket-store release in ../shared/data (CI has it beside the repository)."""
    with zipfile.ZipFile(PHENOPACKET_STORE) as archive:
        return archive.read(name)


def small_loinc_store(root: Path) -> Path:
    """A store built through the real build from the small HPO and loinc2hpo files of tests/support/public_data.py,
    next to the curated modules (so it has LOINC result interpretations, HPO terms and SNOMED CT xrefs)."""
    folder = public_data.write_public_data(root / "public")
    public_data.FOLDER[:] = [folder]
    store = root / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(importers.IMPORTERS, "hpo", "tests.support.public_data:small_hpo")
        patch.setitem(importers.IMPORTERS, "loinc2hpo", "tests.support.public_data:small_loinc2hpo")
        build(store, include=("hpo", "loinc2hpo"), progress=False, source_dir=str(folder))
    return store


def bundle(*resources: dict[str, Any], timestamp: str | None = "2024-05-01T10:00:00Z") -> str:
    """A FHIR R4 collection Bundle of the resources, as JSON text."""
    data: dict[str, Any] = {"resourceType": "Bundle", "type": "collection",
                            "entry": [{"fullUrl": f"urn:uuid:{i}", "resource": r} for i, r in enumerate(resources)]}
    if timestamp is not None:
        data["timestamp"] = timestamp
    return json.dumps(data)


def coding(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def lab(id: str, loinc: str, interpretation: str | None = None, **fields: Any) -> dict[str, Any]:
    """An Observation of a LOINC-coded laboratory result, with an interpretation code if given."""
    resource: dict[str, Any] = {"resourceType": "Observation", "id": id, "status": "final",
                                "code": coding(LOINC, loinc), **fields}
    if interpretation is not None:
        resource["interpretation"] = [coding(INTERPRETATION, interpretation)]
    return resource


def phenotype(id: str, system: str, code: str, **fields: Any) -> dict[str, Any]:
    """An Observation of a phenotype coded in HPO or SNOMED CT."""
    return {"resourceType": "Observation", "id": id, "status": "final", "code": coding(system, code), **fields}


def condition(id: str, system: str, code: str, verification: str | None = None) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Condition", "id": id, "subject": {"reference": "Patient/p"},
                                "code": coding(system, code)}
    if verification is not None:
        resource["verificationStatus"] = coding(
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", verification)
    return resource


def patient(gender: str = "female", birth_date: str | None = "2020-05-01") -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Patient", "id": "p", "gender": gender}
    if birth_date is not None:
        resource["birthDate"] = birth_date
    return resource
