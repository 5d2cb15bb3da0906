"""Speed of `diagnose` for real cases through GraphQL (issue 11 item 4): up to 20 present + 20 excluded findings of a
published case, limit 100, candidates with labels and xrefs.

    python bench/real_cases/graphql_speed.py --store DIR [--requests 60] [--warmup 10]

Starts the real server (uvicorn, one worker, GraphQL result cache off) on the store, waits until it has finished
its warm-up (/healthz ``warm``), then sends ``--warmup`` unmeasured and ``--requests`` measured requests one after
another (C = 1), each the findings of a different phenopacket of the development part of phenopacket-store (the
cases with the most findings first, at most 20 present and 20 excluded that the store holds as findings), so that
neither cache can answer. Prints p50 / p95 / mean and the findings per request, and writes
bench/results/real_cases_graphql_speed.json. Target: p50 <= 50 ms, p95 <= 150 ms. The peer's time per case (hpo3
scoring all OMIM diseases) is measured by bench/real_cases/run.py on the same machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from bench.graphql_bench import latency_summary, sequential  # noqa: E402
from bench.real_cases.phenopackets import read_cases  # noqa: E402

DEFAULT_CASES = ROOT.parent / "shared" / "data" / "phenopacket-store" / "phenopacket-store-dev.zip"
RESULTS = ROOT / "bench" / "results" / "real_cases_graphql_speed.json"
QUERY = """query($f: [FindingInput!]!) { diagnose(input: {findings: $f, limit: 100}) {
  recommendation totalCandidates otherCausesProbability
  candidates { rank probability disease { id label xrefs } }
} }"""
MOST = 20


def finding_sets(cases: Path, known: set[str], count: int) -> list[list[dict]]:
    """The ``count`` cases with the most usable findings (ties by case ID): at most 20 present and 20 excluded."""
    every, _counts = read_cases(cases)
    chosen: list[tuple[int, str, list[dict]]] = []
    seen: set[tuple] = set()
    for case in every:
        present = sorted(t for t in set(case.present) if t in known)[:MOST]
        excluded = sorted(t for t in set(case.excluded) - set(case.present) if t in known)[:MOST]
        key = (tuple(present), tuple(excluded))
        if not present or key in seen:
            continue
        seen.add(key)
        findings = [{"id": f, "status": "PRESENT"} for f in present] + [{"id": f, "status": "ABSENT"} for f in excluded]
        chosen.append((-len(findings), case.id, findings))
    chosen.sort(key=lambda c: (c[0], c[1]))
    return [findings for _n, _id, findings in chosen[:count]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from dxkb.kb.engine.diagnosis import DiagnosisEngine
    from dxkb.kb.service import open_store_at  # only to know which IDs the store holds as findings

    known = set(DiagnosisEngine(open_store_at(str(args.store))).findings.by_id)
    sets = finding_sets(args.cases, known, args.warmup + args.requests)
    seconds, _answers = sequential(args.store, [{"query": QUERY, "variables": {"f": f}} for f in sets], args.warmup)
    measured = sets[args.warmup:]
    result = {"benchmark": "real_cases_graphql_speed", **latency_summary(seconds), "limit": 100,
              "present_per_request": round(statistics.fmean(
                  sum(f["status"] == "PRESENT" for f in s) for s in measured), 1),
              "absent_per_request": round(statistics.fmean(sum(f["status"] == "ABSENT" for f in s) for s in measured), 1),
              "target": {"p50_ms": 50, "p95_ms": 150}, "machine": machine()}
    print(f"{'requests':>9}{'present':>9}{'absent':>8}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}"
          "  (target p50 <= 50 ms, p95 <= 150 ms)")
    print(f"{result['requests']:>9}{result['present_per_request']:>9}{result['absent_per_request']:>8}"
          f"{result['p50_ms']:>9}{result['p95_ms']:>9}{result['mean_ms']:>9}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
