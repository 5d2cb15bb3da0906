"""Which cases are scored, which of them are independent of the annotations, and what their HPO IDs are.

Sampling: phenopacket-store is dominated by a few large cohorts (hundreds of cases of one disease), so at most
``per_disease`` cases of each disease are drawn, then ``limit`` of those. Every draw sorts first and uses its own
``random.Random`` seeded from the seed (and the disease), so a disease's cases do not change when other diseases
are added or the limit changes.

Independence: since 2024 HPO curates many disease annotations from phenopacket-store itself, so a case can be the
very evidence its disease was annotated from. A case is *independent* when none of its PMIDs is among the
``reference`` PMIDs of any row of its disease in ``phenotype.hpoa`` (all aspects: any use of the paper for that
disease counts). A case without any PMID cannot be shown independent and is not.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from bench.real_cases.phenopackets import Case

_PMID = re.compile(r"PMID:\s*(\d+)", re.IGNORECASE)


def sample(cases: Sequence[Case], per_disease: int, seed: int, limit: int | None) -> list[Case]:
    """At most ``per_disease`` cases per disease, then at most ``limit`` cases; sorted by (disease, id)."""
    by_disease: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_disease[case.disease].append(case)
    pool: list[Case] = []
    for disease in sorted(by_disease):
        group = sorted(by_disease[disease], key=lambda c: c.id)
        if len(group) > per_disease:
            group = random.Random(f"{seed}:{disease}").sample(group, per_disease)
        pool.extend(group)
    pool.sort(key=lambda c: (c.disease, c.id))
    if limit is not None and len(pool) > limit:
        pool = random.Random(f"{seed}:limit").sample(pool, limit)
    return sorted(pool, key=lambda c: (c.disease, c.id))


def hpoa_references(hpoa: Path) -> tuple[str, dict[str, set[str]]]:
    """(release version, disease -> PMIDs named in the ``reference`` column of its rows)."""
    version, references = "", defaultdict(set)
    columns: dict[str, int] = {}
    with hpoa.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#"):
                if line.startswith("#version:"):
                    version = line.split(":", 1)[1].strip()
                continue
            cells = line.rstrip("\n").split("\t")
            if not columns:
                columns = {name: i for i, name in enumerate(cells)}
                continue
            disease, reference = cells[columns["database_id"]], cells[columns["reference"]]
            for item in reference.split(";"):
                match = _PMID.match(item.strip())  # the file has typos such as "PMID:20037588P"
                if match:
                    references[disease].add(f"PMID:{int(match.group(1))}")
    return version, dict(references)


def independent(case: Case, references: dict[str, set[str]]) -> bool:
    return bool(case.pmids) and not (set(case.pmids) & references.get(case.disease, set()))


@dataclass
class ObsoleteMap:
    """What hp.obo says about IDs that are not current findings: enough to tell *why* an ID is unknown."""
    current: set[str] = field(default_factory=set)          # non-obsolete term IDs (any sub-ontology)
    alternative: dict[str, str] = field(default_factory=dict)   # alt_id -> current ID
    obsolete: dict[str, str | None] = field(default_factory=dict)  # obsolete ID -> replaced_by (or None)


def read_obo_ids(obo: Path) -> ObsoleteMap:
    """A line scan of hp.obo (ids, alt_id, is_obsolete, replaced_by), for the report only: the knowledge base's
    own reading of the file is dxkb.kb.build.importers.hpo, reached through bench.accuracy.hpo_data."""
    result = ObsoleteMap()
    stanza: dict[str, list[str]] = {}

    def close() -> None:
        ids = stanza.get("id", [])
        if not ids or not ids[0].startswith("HP:"):
            return
        term = ids[0]
        if stanza.get("is_obsolete", ["false"])[0] == "true":
            result.obsolete[term] = (stanza.get("replaced_by") or [None])[0]
        else:
            result.current.add(term)
            for alt in stanza.get("alt_id", []):
                result.alternative[alt] = term

    with obo.open(encoding="utf-8") as lines:
        for line in lines:
            line = line.strip()
            if line.startswith("["):
                close()
                stanza = {} if line == "[Term]" else {"id": ["-"]}
                continue
            key, sep, value = line.partition(": ")
            if sep and stanza.get("id") != ["-"]:
                stanza.setdefault(key, []).append(value.split(" !")[0].strip())
    close()
    return result


def classify(term: str, findings: set[str], ids: ObsoleteMap) -> str:
    """Why a case's HPO ID is or is not a finding of this release."""
    if term in findings:
        return "finding"
    if term in ids.alternative:
        return "alternative_id"
    if term in ids.obsolete:
        return "obsolete_replaced" if ids.obsolete[term] else "obsolete"
    if term in ids.current:
        return "not_a_phenotypic_abnormality"
    return "not_in_release"


def audit(cases: Iterable[Case], findings: set[str], ids: ObsoleteMap) -> dict:
    """Counts of IDs that the release does not know as findings: distinct IDs and cases touched, per reason."""
    distinct: dict[str, set[str]] = defaultdict(set)
    touched: dict[str, set[str]] = defaultdict(set)
    for case in cases:
        for term in set(case.present) | set(case.excluded):
            reason = classify(term, findings, ids)
            if reason != "finding":
                distinct[reason].add(term)
                touched[reason].add(case.id)
    return {reason: {"ids": len(distinct[reason]), "cases": len(touched[reason]),
                     "examples": sorted(distinct[reason])[:5]} for reason in sorted(distinct)}
