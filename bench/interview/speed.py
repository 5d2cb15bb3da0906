"""Speed of a full diagnosis with next steps and next questions through GraphQL on the HPO store (issue 13 item 5,
target p50 <= 100 ms for a 10-finding case):

    python bench/interview/speed.py --store /work/wt-13/.store-hpo --requests 60

Starts the real server (uvicorn, one worker, result cache off) on the store, waits until it answers, sends
``--warmup`` requests, then ``--requests`` sequential requests (one connection, C = 1), each a different set of 10
observed features of a real phenopacket (so that neither the GraphQL result cache nor the diagnose cache can
answer), asking for the candidates, nextSteps and nextQuestions with their rationales and steps. Prints p50, p95
and the mean, and writes bench/results/interview_speed.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from bench.graphql_bench import latency_summary, sequential  # noqa: E402
from bench.real_cases.phenopackets import read_cases  # noqa: E402

DEFAULT_CASES = ROOT.parent / "shared" / "data" / "phenopacket-store" / "phenopacket-store-dev.zip"
RESULTS = ROOT / "bench" / "results" / "interview_speed.json"
QUERY = """query($f: [FindingInput!]!) { diagnose(input: {findings: $f, limit: 10}) {
  recommendation explanation
  candidates { rank probability disease { id label } }
  nextSteps { step { id label kind } rationale expectedInformationGain }
  nextQuestions { finding { id label } expectedInformationGain step { id label } rationale }
} }"""


def finding_sets(cases: Path, known: set[str], count: int) -> list[list[str]]:
    every, _counts = read_cases(cases)
    sets, seen = [], set()
    for case in sorted(every, key=lambda c: c.id):
        chosen = tuple(sorted(t for t in case.present if t in known)[:10])
        if len(chosen) == 10 and chosen not in seen:
            seen.add(chosen)
            sets.append(list(chosen))
        if len(sets) >= count:
            break
    return sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--cases", type=Path, default=DEFAULT_CASES)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from dxkb.kb.service import open_store_at  # only to know which IDs the store holds as findings
    from dxkb.kb.engine.diagnosis import DiagnosisEngine

    known = set(DiagnosisEngine(open_store_at(str(args.store))).findings.by_id)
    sets = finding_sets(args.cases, known, args.warmup + args.requests)
    bodies = [{"query": QUERY, "variables": {"f": [{"id": f, "status": "PRESENT"} for f in present]}}
              for present in sets]
    seconds, answers = sequential(args.store, bodies, args.warmup)
    first = answers[args.warmup]["diagnose"]
    example = {"nextSteps": len(first["nextSteps"]), "nextQuestions": len(first["nextQuestions"])}
    # in primary care the open-world mass often leaves no question worth asking (the stop rule): say how many did
    asking = sum(1 for a in answers[args.warmup:] if a["diagnose"]["nextQuestions"])
    result = {"benchmark": "interview_speed", **latency_summary(seconds), "findings_per_request": 10,
              "target_p50_ms": 100, "example": example, "responses_with_questions": asking,
              "machine": machine()}
    print(f"{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}  (target p50 <= 100 ms)")
    print(f"{result['requests']:>9}{result['p50_ms']:>9}{result['p95_ms']:>9}{result['mean_ms']:>9}"
          f"  ({asking} of {len(answers) - args.warmup} responses with next questions)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
