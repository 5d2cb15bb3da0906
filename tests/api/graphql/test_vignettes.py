"""The common-presentation modules answer their vignettes through GraphQL on the HPO store (issue 15): each vignette
is written from the module's sources (tests/api/graphql/vignettes/<slug>.json, one file per kb/data/complaint_<slug>.ttl)
and names the triage level and the cause that must be among the top 3 candidates, with the rare diseases of HPO
competing. Every module has a vignette of each level, and every triage rule of a module fires in one of them."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from dxkb.kb.engine.triage import TriageRules
from dxkb.kb.service import open_store_at
from tests.api.graphql.test_safety import CASES
from tests.support.servers import GraphQLClient

VIGNETTES = Path(__file__).parent / "vignettes"
MODULES = Path(__file__).parents[3] / "kb" / "data"
LEVELS = {"SELF_CARE", "ROUTINE", "URGENT", "EMERGENCY"}

QUERY = """
query($f: [FindingInput!]!, $p: PatientInput) {
  diagnose(input: {findings: $f, patient: $p, limit: 3}) {
    recommendation otherCausesProbability
    triage { level reasons { rule level label } unansweredQuestions { id } }
    coverage { curated modules }
    candidates { disease { id label } probability }
  }
}"""


@cache
def vignettes() -> list[tuple[str, int, dict[str, Any]]]:
    """(module slug, index, vignette) for every vignette file, in file and list order."""
    found = []
    for path in sorted(VIGNETTES.glob("*.json")):
        for i, vignette in enumerate(json.loads(path.read_text(encoding="utf-8"))["vignettes"]):
            found.append((path.stem, i, vignette))
    return found


def ask(gql: GraphQLClient, vignette: dict[str, Any]) -> dict[str, Any]:
    findings = [{"id": f, "status": status} for key, status in (("present", "PRESENT"), ("absent", "ABSENT"),
                                                                ("unknown", "UNKNOWN"))
                for f in vignette.get(key, [])]
    return gql.data(QUERY, {"f": findings, "p": vignette.get("patient")})["diagnose"]


def test_every_module_has_a_vignette_of_each_level() -> None:
    slugs = sorted(p.stem.removeprefix("complaint_") for p in MODULES.glob("complaint_*.ttl"))
    assert slugs, "no common-presentation module in kb/data"
    for slug in slugs:
        path = VIGNETTES / f"{slug}.json"
        assert path.exists(), f"module {slug} has no vignettes ({path})"
        cases = json.loads(path.read_text(encoding="utf-8"))["vignettes"]
        assert len(cases) >= 4, slug
        assert LEVELS <= {c["triage"] for c in cases}, f"{slug}: levels {sorted({c['triage'] for c in cases})}"
        assert all(c.get("source") and c.get("top3") and c.get("present") for c in cases), slug


@pytest.mark.parametrize("slug,index,vignette", vignettes(), ids=[f"{s}-{i}" for s, i, _ in vignettes()])
def test_vignette(hpo_gql: GraphQLClient, slug: str, index: int, vignette: dict[str, Any]) -> None:
    d = ask(hpo_gql, vignette)
    top = [c["disease"]["id"] for c in d["candidates"]]
    why = f"{vignette['name']}: triage {d['triage']}, top 3 {[(c['disease']['label'], round(c['probability'], 3)) for c in d['candidates']]}"
    assert d["coverage"]["curated"], why
    assert d["triage"]["level"] == vignette["triage"], why
    assert vignette["top3"] in top, why


def test_every_rule_of_a_module_fires_in_a_vignette(hpo_gql: GraphQLClient, hpo_store: Path) -> None:
    """The rules of kb/data/triage_rules.ttl and the rash module have their cases in test_safety.CASES; the rules of
    the common-presentation modules are covered by the modules' vignettes."""
    rules = {r.iri for r in TriageRules(open_store_at(str(hpo_store))).rules} - set(CASES)
    fired = {r["rule"] for _s, _i, v in vignettes() for r in ask(hpo_gql, v)["triage"]["reasons"] if r["rule"]}
    assert sorted(rules - fired) == []
