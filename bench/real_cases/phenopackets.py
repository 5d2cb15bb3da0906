"""GA4GH Phenopackets v2 (JSON) as users hold them: a folder of ``.json`` files or a phenopacket-store release ZIP.

Example::

    from bench.real_cases.phenopackets import read_cases

    cases, counts = read_cases(Path("phenopacket-store-dev.zip"))   # or a folder, searched recursively
    counts   # {"files": 7172, "unreadable": 0, "no_omim_diagnosis": 0, "cases": 7172, ...}

Only what a diagnosis benchmark needs is kept. A file that is not valid JSON, not a JSON object, or has no usable
``phenotypicFeatures`` list is counted and skipped rather than raised: one broken file in a folder of thousands
should not cost the whole run. A case without an OMIM diagnosis is skipped too (counted): the peer and the rank
are defined over OMIM diseases only.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

# "PMID:123", "PMID_123" (ids like PMID_36303223_Proband_7_from_PMID_12112661), "PMID 123"; not "XPMID"
_PMID = re.compile(r"(?<![A-Za-z])PMID[:_\s]*(\d{1,9})(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    id: str                       # phenopacket id (made unique with the cohort when two files share one)
    cohort: str                   # folder the file sits in (phenopacket-store: the gene/cohort name)
    disease: str                  # OMIM CURIE: the true diagnosis
    present: tuple[str, ...]      # HPO IDs observed, sorted, as given (no ID mapping)
    excluded: tuple[str, ...]     # HPO IDs looked for and not seen, sorted
    pmids: tuple[str, ...]        # every PMID the phenopacket names, "PMID:n", sorted


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def pmids_of(packet: dict) -> tuple[str, ...]:
    """The case's publications: metaData.externalReferences, and any other string naming a PMID, because
    phenopacket-store's reviews name the original report only in the ids ("Proband 7 from PMID 12112661")."""
    found = {f"PMID:{int(m)}" for text in _strings(packet) for m in _PMID.findall(text)}
    return tuple(sorted(found, key=lambda p: int(p.split(":")[1])))


def omim_diagnosis(packet: dict) -> str | None:
    """The first OMIM id of interpretations[].diagnosis.disease, else of diseases[].term (in file order: a
    phenopacket lists the diagnosis the curators settled on first)."""
    candidates = [(i.get("diagnosis") or {}).get("disease") or {} for i in packet.get("interpretations") or []
                  if isinstance(i, dict)]
    candidates += [d.get("term") or {} for d in packet.get("diseases") or [] if isinstance(d, dict)]
    for term in candidates:
        curie = str(term.get("id", "")).strip() if isinstance(term, dict) else ""
        if curie.upper().startswith("OMIM:"):
            return "OMIM:" + curie.split(":", 1)[1].strip()
    return None


def parse(packet: Any, cohort: str) -> tuple[Case | None, str | None]:
    """(case, None) or (None, reason it was skipped)."""
    if not isinstance(packet, dict) or not isinstance(packet.get("phenotypicFeatures", []), list):
        return None, "not_a_phenopacket"
    disease = omim_diagnosis(packet)
    if disease is None:
        return None, "no_omim_diagnosis"
    present, excluded = set(), set()
    for feature in packet.get("phenotypicFeatures") or []:
        term = feature.get("type") if isinstance(feature, dict) else None
        curie = str(term.get("id", "")).strip() if isinstance(term, dict) else ""
        if not curie:
            continue
        (excluded if feature.get("excluded") is True else present).add(curie)
    return Case(id=str(packet.get("id") or ""), cohort=cohort, disease=disease, present=tuple(sorted(present)),
                excluded=tuple(sorted(excluded)), pmids=pmids_of(packet)), None


def _documents(path: Path) -> Iterator[tuple[str, str, bytes | None]]:
    """(name, cohort, bytes or None when unreadable) for every .json file, in sorted order."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*.json") if p.is_file()):
            try:
                data: bytes | None = file.read_bytes()
            except OSError:
                data = None
            yield str(file.relative_to(path)), file.parent.name if file.parent != path else "", data
        return
    with zipfile.ZipFile(path) as archive:
        for name in sorted(n for n in archive.namelist() if n.lower().endswith(".json") and not n.endswith("/")):
            parts = PurePosixPath(name).parts
            try:
                data = archive.read(name)
            except (zipfile.BadZipFile, OSError, KeyError):
                data = None
            yield name, parts[-2] if len(parts) >= 2 else "", data


def read_cases(path: Path) -> tuple[list[Case], dict[str, int]]:
    """Every usable case, sorted by (cohort, id), and counts of files read and skipped by reason."""
    if not path.exists():
        raise SystemExit(f"no phenopackets at {path} (a folder of .json files or a phenopacket-store ZIP)")
    counts: Counter[str] = Counter()
    cases: list[Case] = []
    for name, cohort, data in _documents(path):
        counts["files"] += 1
        try:
            packet = json.loads(data) if data is not None else None
        except (ValueError, UnicodeDecodeError):
            packet = None
        if packet is None:
            counts["unreadable"] += 1
            continue
        case, reason = parse(packet, cohort)
        if case is None:
            counts[reason or "skipped"] += 1
            continue
        if not case.id:
            case = replace(case, id=PurePosixPath(name).stem)
        cases.append(case)
    seen: Counter[str] = Counter(c.id for c in cases)
    cases = [c if seen[c.id] == 1 else replace(c, id=f"{c.cohort}/{c.id}") for c in cases]
    cases.sort(key=lambda c: (c.cohort, c.id))
    counts["duplicate_ids_qualified"] = sum(n for n in seen.values() if n > 1)
    counts["cases"] = len(cases)
    counts["no_present_feature"] = sum(1 for c in cases if not c.present)
    for reason in ("unreadable", "not_a_phenopacket", "no_omim_diagnosis"):
        counts.setdefault(reason, 0)
    return cases, dict(sorted(counts.items()))
