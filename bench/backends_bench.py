"""Diagnose latency on each backend, side by side: embedded Oxigraph, Oxigraph server, Virtuoso.

    python bench/backends_bench.py [--rounds 30]

Builds the curated knowledge base, exports it, loads it into a real Oxigraph server and a real Virtuoso on
127.0.0.1 (both installed by .ci/install), then times `DiagnosisEngine.diagnose` (all SPARQL of a diagnosis plus the
arithmetic) for the source document's five cases on each backend. Prints a table, writes bench/results/backends.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dxkb.kb.build.pipeline import build  # noqa: E402
from dxkb.kb.engine.diagnosis import DiagnosisEngine, Observation, Status  # noqa: E402
from dxkb.kb.build.publish import export  # noqa: E402
from dxkb.kb.service import open_store_at as open_graph  # noqa: E402
from tests.support.remote import start_oxigraph, start_virtuoso  # noqa: E402
from tests.support.vignettes import CASES  # noqa: E402


def observations(case: str) -> list[Observation]:
    present, absent = CASES[case]
    return [Observation(f, Status.PRESENT) for f in present] + [Observation(f, Status.ABSENT) for f in absent]


def measure(location: str, rounds: int) -> dict[str, float]:
    engine = DiagnosisEngine(open_graph(location))
    engine.findings, engine.steps, engine.priors  # static indexes load once per process, not per request
    for case in CASES:  # warm-up
        engine.diagnose(observations(case))
    samples = []
    for _ in range(rounds):
        for case in CASES:
            start = time.perf_counter()
            engine.diagnose(observations(case))
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"n": len(samples), "p50_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))],
            "mean_ms": statistics.fmean(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dxkb-backends-") as scratch:
        root = Path(scratch)
        store = root / "store"
        build(store, include=(), progress=False)
        dump = root / "dxkb.nt"
        export(str(store), dump, "nt")
        servers = [start_oxigraph(root / "oxigraph", dump), start_virtuoso(root / "virtuoso", dump)]
        try:
            results = {"embedded": measure(str(store), args.rounds)}
            for server in servers:
                results[f"{server.name} server"] = measure(server.query_url, args.rounds)
        finally:
            for server in servers:
                server.stop()
    base = results["embedded"]["p50_ms"]
    print(f"{'backend':<18} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'p50 vs embedded':>16}")
    for name, r in results.items():
        print(f"{name:<18} {r['n']:>5} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['mean_ms']:>8.1f} {r['p50_ms'] / base:>15.1f}x")
    out = ROOT / "bench" / "results" / "backends.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "python": platform.python_version(),
                               "knowledge_base": "curated (no HPO)", "cases": list(CASES), "results": results},
                              indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
