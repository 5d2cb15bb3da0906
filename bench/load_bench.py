"""Throughput under load on the HPO store: `python bench/load_bench.py --store .store-hpo [--workers 1 2]`.

Starts the real server as users do (`dxkb serve --workers W`: W uvicorn worker processes, each on its own
SO_REUSEPORT socket of the port, sharing the read-only store, each prefetching the annotations at start) and
drives it with 16 keep-alive connections in a closed loop, the load generator on the same machine:

- ``typename``: ``{ __typename }``, the framework's ceiling, in the same run;
- ``diagnose-distinct``: a different diagnosis on every request, 3-6 findings drawn (fixed seed) from findings
  annotated to HPO diseases, more distinct sets than the caches keep; the GraphQL result cache and the
  service's diagnose cache are off and the measured requests follow the warm-up's instead of replaying them, so
  every measured request runs the engine.

Reports answers/s, p50/p95/p99 and the load generator's own CPU time per request (it competes for the same
cores); writes bench/results/load.json. Target (issue 14): diagnose-distinct >= 4x 20-25 answers/s with p99 <= 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "load.json"

from bench.common import free_port, machine, wait_warm  # noqa: E402
from bench.graphql_bench import measure, request_bytes  # noqa: E402

DIAGNOSE = """query Diagnose($findings: [FindingInput!]!) {
  diagnose(input: {findings: $findings, limit: 10}) {
    recommendation candidates { rank probability disease { id label } } redFlags { id }
  }
}"""
CONCURRENCY = 16


def annotated_findings(store: str, count: int = 400) -> list[str]:
    """Findings annotated to many diseases (so every set reaches candidates), most annotated first."""
    from dxkb.kb.service import open_store_at

    rows = open_store_at(store).rows("""PREFIX dxkb: <https://w3id.org/dxkb/vocab#>
        SELECT ?f (COUNT(?a) AS ?n) WHERE { ?a dxkb:finding ?f ; dxkb:disease ?d } GROUP BY ?f
        ORDER BY DESC(?n) ?f LIMIT 2000""")
    from dxkb.kb.vocab import to_curie

    return [to_curie(r["f"]) for r in rows if r["f"].startswith("http://purl.obolibrary.org/obo/HP_")][:count]


def cases(findings: list[str], n: int, seed: int = 14) -> list[list[dict]]:
    rng = random.Random(seed)
    return [[{"id": f, "status": "PRESENT"} for f in sorted(rng.sample(findings, rng.randint(3, 6)))]
            for _ in range(n)]


def run(store: str, workers: int, seconds: float) -> list[dict]:
    import os
    import subprocess

    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="dxkb-load-")) / "server.log"
    env = {**os.environ, "DXKB_GRAPHQL_RESULT_CACHE": "false", "DXKB_DIAGNOSE_CACHE_MB": "0",
           "PYTHONUNBUFFERED": "1"}  # the store comes from --store
    with log.open("wb") as output:
        server = subprocess.Popen([sys.executable, "-m", "dxkb.api.cli", "serve", "--store", store,
                                   "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                                  cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_warm(port, workers)
        typename = [request_bytes(port, {"query": "{ __typename }"})]
        distinct = [request_bytes(port, {"query": DIAGNOSE, "variables": {"findings": c}})
                    for c in cases(annotated_findings(store), 6000)]
        rows = []
        for name, requests in (("typename", typename), ("diagnose-distinct", distinct)):
            cpu = resource.getrusage(resource.RUSAGE_SELF)
            result = asyncio.run(measure(port, name, requests, CONCURRENCY, seconds, warmup=10.0))
            used = resource.getrusage(resource.RUSAGE_SELF)
            generator_ms = ((used.ru_utime + used.ru_stime) - (cpu.ru_utime + cpu.ru_stime)) * 1000
            row = {**asdict(result), "workers": workers,
                   "generator_cpu_ms_per_request": round(generator_ms / max(result.requests, 1), 3)}
            rows.append(row)
            print(f"{workers:>2} {name:<18} {result.rps:>8.1f}/s  p50 {result.p50_ms:>7.1f} ms  "
                  f"p99 {result.p99_ms:>7.1f} ms  failures {result.failures}  "
                  f"generator {row['generator_cpu_ms_per_request']} ms CPU/request", flush=True)
        return rows
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="an HPO store folder (dxkb build --store ...)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    print("W  query              answers/s   latency (16 concurrent clients)")
    rows = [row for w in args.workers for row in run(str(Path(args.store).resolve()), w, args.seconds)]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine(), "concurrency": CONCURRENCY, "runs": rows}, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
