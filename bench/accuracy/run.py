"""Diagnostic accuracy on simulated patients, dxkb against pyhpo's set similarity: `python bench/accuracy/run.py`.

    python bench/accuracy/run.py --store /tmp/h6-store      # reuse a built store with HPO (else one is built)

Simulates patients for 1,000 OMIM diseases in four conditions (exact, noise, imprecision, noise+imprecision; see
simulate.py), ranks every OMIM disease for each patient with

- **dxkb**: ``DiagnosisEngine.rank`` in process on the embedded store (Bayesian: prior x P(finding | disease));
- **pyhpo graphic / resnik**: hpo3's ``HPOSet.similarity`` (funSimAvg) of the patient against each OMIM disease,
  in its own virtual environment (bench/.venv-peer, created on first use) on the same HPO release (the main
  environment's pyhpo data folder, loaded with ``Ontology(path)``);

and reports top-1, top-3, top-10 and mean reciprocal rank of the true disease among OMIM diseases (ties count
against it; metrics.py). Prints a table and writes bench/results/accuracy.json. About 5 minutes on 2 cores; the
peer runs beside dxkb on one thread (RAYON_NUM_THREADS=1), so each side has a core.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.accuracy import dxkb_side, peer_env  # noqa: E402
from bench.accuracy.hpo_data import load, pyhpo_data_folder  # noqa: E402
from bench.accuracy.hpo_store import hpo_store  # noqa: E402
from bench.accuracy.metrics import summary  # noqa: E402
from bench.accuracy import simulate as protocol  # noqa: E402
from bench.common import machine  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "accuracy.json"
PEER = Path(__file__).resolve().parent / "peer.py"


def start_peer(patients: list[protocol.Patient], methods: list[str], validate: int, threads: int,
               scratch: Path) -> tuple[subprocess.Popen, Path]:
    python = peer_env.ensure()
    request, answer = scratch / "peer-request.json", scratch / "peer-answer.json"
    request.write_text(json.dumps({"data": str(pyhpo_data_folder()), "methods": methods, "validate": validate,
                                   "patients": [p.to_json() for p in patients]}), encoding="utf-8")
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads)}
    return subprocess.Popen([str(python), str(PEER), str(request), str(answer)], env=env), answer


def table(report: dict) -> str:
    lines = [f"{'condition':<19} {'method':<17} {'top-1':>6} {'top-3':>6} {'top-10':>6} {'MRR':>6} {'unranked':>8}"]
    for condition, by_method in report["conditions"].items():
        for method, s in by_method.items():
            lines.append(f"{condition:<19} {method:<17} {s['top1']:>6.3f} {s['top3']:>6.3f} {s['top10']:>6.3f} "
                         f"{s['mrr']:>6.3f} {s['unranked']:>8}")
        lines.append("")
    return "\n".join(lines).rstrip()


def _dumps(report: dict) -> str:
    """Indented JSON with one line per patient (4,000 of them)."""
    patients = report["patients"]
    text = json.dumps({**report, "patients": "@PATIENTS@"}, indent=1)
    rows = ",\n  ".join(json.dumps(row, separators=(",", ":")) for row in patients)
    return text.replace('"@PATIENTS@"', "[\n  " + rows + "\n ]") + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store built with HPO (default: build one, ~1 min)")
    parser.add_argument("--diseases", type=int, default=1000, help="OMIM diseases sampled (one patient each "
                                                                   "per condition)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--conditions", nargs="+", default=list(protocol.CONDITIONS), choices=protocol.CONDITIONS)
    parser.add_argument("--methods", nargs="+", default=["graphic", "resnik"], help="pyhpo similarity methods")
    parser.add_argument("--validate", type=int, default=20,
                        help="patients also scored with hpo3's batch_set_similarity itself, per method")
    parser.add_argument("--peer-threads", type=int, default=1)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    started = time.perf_counter()
    data = load()
    patients = protocol.simulate(data, args.diseases, args.seed, tuple(args.conditions))
    print(f"{len(patients)} simulated patients ({args.diseases} OMIM diseases x {len(args.conditions)} "
          f"conditions), HPO {data.version}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="dxkb-accuracy-") as scratch, hpo_store(args.store) as store:
        peer, answer_path = start_peer(patients, args.methods, args.validate, args.peer_threads, Path(scratch))
        try:
            dxkb = dxkb_side.score(store, patients)
        finally:
            if peer.wait() != 0:
                raise SystemExit(f"the peer failed with exit code {peer.returncode}")
        peer_answer = json.loads(answer_path.read_text(encoding="utf-8"))

    ranks: dict[str, dict[int, int | None]] = {"dxkb": {r["id"]: r["rank"] for r in dxkb["results"]}}
    optimistic: dict[str, dict[int, int | None]] = {"dxkb": {r["id"]: r["rank_optimistic"] for r in dxkb["results"]}}
    for method, block in peer_answer["methods"].items():
        ranks[f"pyhpo {method}"] = {r["id"]: r["rank"] for r in block["results"]}
        optimistic[f"pyhpo {method}"] = {r["id"]: r["rank_optimistic"] for r in block["results"]}
    conditions: dict[str, dict[str, dict]] = {}
    for condition in args.conditions:
        ids = [p.id for p in patients if p.condition == condition]
        conditions[condition] = {m: {**summary([by_id[i] for i in ids]),
                                     "optimistic": summary([optimistic[m][i] for i in ids])}
                                 for m, by_id in ranks.items()}
    targets = {}
    for condition, by_method in conditions.items():
        peers = {m: s for m, s in by_method.items() if m.startswith("pyhpo")}
        targets[condition] = {}
        mine = by_method["dxkb"]
        targets[condition]["top1_better_than_every_peer"] = all(mine["top1"] > s["top1"] for s in peers.values())
        targets[condition]["top10_better_than_every_peer"] = all(mine["top10"] > s["top10"] for s in peers.values())
    report = {
        "benchmark": "accuracy", "command": "python bench/accuracy/run.py", "machine": machine(),
        "hpo_version": data.version, "peer": {"package": "hpo3", "version": peer_answer["hpo3_version"],
                                              "hpo_version": peer_answer["hpo_version"],
                                              "omim_diseases": peer_answer["omim_diseases"],
                                              "combine": "funSimAvg", "kind": "omim",
                                              "validation": {m: b["validation"]
                                                             for m, b in peer_answer["methods"].items()},
                                              "seconds": {m: b["seconds"] for m, b in peer_answer["methods"].items()}},
        "protocol": {"seed": args.seed, "diseases": args.diseases, "patients": len(patients),
                     "conditions": list(args.conditions), "min_terms": protocol.MIN_TERMS,
                     "max_terms": protocol.MAX_TERMS, "noise_terms": protocol.NOISE_TERMS,
                     "imprecision": protocol.IMPRECISION,
                     "mean_terms": {c: round(sum(len(p.terms) for p in patients if p.condition == c) /
                                             max(1, sum(1 for p in patients if p.condition == c)), 2)
                                    for c in args.conditions},
                     "ranking": "among OMIM diseases only (dxkb's ORPHA, DECIPHER and curated candidates are not "
                                "counted); ties count against the true disease"},
        "dxkb": {k: v for k, v in dxkb.items() if k != "results"},
        "conditions": conditions,
        "targets": targets,
        "seconds_total": round(time.perf_counter() - started, 1),
        "patients": [[p.id, p.disease, p.condition, *(ranks[m].get(p.id) for m in ranks)] for p in patients],
        "patient_columns": ["id", "disease", "condition", *(f"rank {m}" for m in ranks)],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(_dumps(report), encoding="utf-8")

    print(table(report))
    print(f"\ndxkb: {dxkb['p50_ms']} ms p50, {dxkb['p95_ms']} ms p95 a patient (rank only, in process; "
          f"annotations loaded in {dxkb['load_seconds']} s); peer: "
          + ", ".join(f"{m} {s} s" for m, s in report["peer"]["seconds"].items())
          + "; peer check against batch_set_similarity: "
          + ", ".join(f"{m} {v['rank_agreement']}/{v['patients']} ranks equal, max diff {v['max_abs_difference']:.1e}"
                      for m, v in report["peer"]["validation"].items()))
    for condition, t in targets.items():
        line = (f"target {condition}: dxkb better than both peer methods on top-1: "
                f"{'yes' if t['top1_better_than_every_peer'] else 'NO'}, top-10: "
                f"{'yes' if t['top10_better_than_every_peer'] else 'NO'}")
        print(line)
    print(f"total {report['seconds_total']} s; wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")


if __name__ == "__main__":
    main()
