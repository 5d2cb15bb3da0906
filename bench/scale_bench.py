"""Speed at HPO scale: `python bench/scale_bench.py [--store DIR]` (about 3 minutes on 2 cores).

    python bench/scale_bench.py                        # builds a store with HPO into a temporary folder first
    python bench/scale_bench.py --store /tmp/h6-store  # still times a fresh build; serves the given store

Measures, against the targets of issue 6:

- **build**: ``dxkb build --store <tmp> --quiet`` (HPO included by default) under ``/usr/bin/time -v``: wall time and
  peak resident memory of the largest process (target <= 3 min, <= 2 GB). ``--skip-build`` leaves it out.
- **start**: ``dxkb serve --store DIR --port N`` until ``/healthz`` answers 200, three times (target <= 2 s).
- **diagnose**: ``diagnose`` with 5 PRESENT findings through ``POST /graphql`` (candidates with probability, next
  steps, recommendation), one request at a time on a keep-alive connection, 100 requests with 100 *different*
  finding sets - 5 HPO terms drawn from the annotations of a random disease (fixed seed) - so neither the
  server's result cache nor its diagnosis cache answers (target p50 <= 100 ms, p95 <= 250 ms). Measured on
  ``dxkb serve`` as it is (it loads every annotation in a background thread after start-up).
- **autocomplete**: ``findings(search: "<prefix>", first: 10)`` with 100 prefixes (3-6 characters) of real finding
  labels (target p50 <= 20 ms).
- **baseline**: ``{ __typename }`` on the same connection: what HTTP, routing and Strawberry cost on their own;
  the table gives each query's p50 as a multiple of it.

Prints a table and writes bench/results/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import free_port, machine, wait_warm  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "scale.json"
TARGETS = {"build_seconds": 180.0, "build_peak_rss_mb": 2048.0, "start_seconds": 2.0, "diagnose_p50_ms": 100.0,
           "diagnose_p95_ms": 250.0, "autocomplete_p50_ms": 20.0}
DIAGNOSE = ("query Diagnose($findings: [FindingInput!]!) { diagnose(input: {findings: $findings}) { "
            "candidates { disease { id } probability } nextSteps { step { id } } recommendation } }")
AUTOCOMPLETE = ("query Complete($search: String!) { findings(search: $search, first: 10) { "
                "edges { node { id label } } } }")
TYPENAME = "{ __typename }"


# ---------------------------------------------------------------------------------------------------- workloads

def finding_sets(count: int, seed: int, size: int = 5) -> list[list[str]]:
    """`count` different sets of `size` HPO terms, each drawn from the positive annotations of a random disease."""
    from bench.accuracy.hpo_data import load

    data = load()
    rnd = random.Random(seed)
    diseases = sorted(d for d, terms in data.annotations.items() if len(terms) >= size)
    sets: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    while len(sets) < count:
        terms = tuple(sorted(rnd.sample([t for t, _ in data.annotations[rnd.choice(diseases)]], size)))
        if terms not in seen:
            seen.add(terms)
            sets.append(list(terms))
    return sets


def label_prefixes(count: int, seed: int) -> list[str]:
    from bench.accuracy.hpo_data import load

    labels = sorted(load().labels.values())
    rnd = random.Random(seed)
    return [label[: rnd.randint(3, 6)] for label in rnd.sample(labels, count)]


# ---------------------------------------------------------------------------------------------------- build

def measure_build(scratch: Path) -> dict:
    store = scratch / "build-store"
    command = ["/usr/bin/time", "-v", "dxkb", "build", "--store", str(store), "--quiet"]
    began = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"dxkb build failed:\n{done.stdout}\n{done.stderr}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    triples = re.search(r"([\d,]+) triples", done.stdout + done.stderr)
    return {"seconds": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024), "store": str(store),
            "triples": int(triples.group(1).replace(",", "")) if triples else None,
            "command": "dxkb build --store DIR --quiet"}


# ---------------------------------------------------------------------------------------------------- server

class Server:
    """`dxkb serve` on a free port."""

    def __init__(self, store: Path, scratch: Path) -> None:
        self.port = free_port()
        self.log = scratch / f"server-{self.port}.log"
        env = {**os.environ, "DXKB_STORE": str(store), "PYTHONUNBUFFERED": "1"}
        command = ["dxkb", "serve", "--store", str(store), "--port", str(self.port)]
        self.started = time.perf_counter()
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def wait_healthy(self, timeout: float = 120.0) -> float:
        import httpx

        deadline = self.started + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise SystemExit(f"server exited with {self.process.returncode}:\n{self.log.read_text()}")
                try:
                    if client.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise SystemExit(f"server not healthy after {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()



def latencies(port: int, bodies: list[dict], warmup: list[dict]) -> list[float]:
    """Seconds per request, one at a time on one keep-alive connection; any error stops the bench."""
    import httpx

    url = f"http://127.0.0.1:{port}/graphql"
    headers = {"Accept": "application/graphql-response+json, application/json"}
    result = []
    with httpx.Client(timeout=60.0, headers=headers) as client:
        for i, body in enumerate(warmup + bodies):
            began = time.perf_counter()
            response = client.post(url, json=body)
            elapsed = time.perf_counter() - began
            answer = response.json()
            if response.status_code != 200 or answer.get("errors"):
                raise SystemExit(f"request failed ({response.status_code}): {json.dumps(body)[:300]} -> "
                                 f"{response.text[:500]}")
            if i >= len(warmup):
                result.append(elapsed)
    return result


def stats(seconds: list[float]) -> dict:
    ordered = sorted(seconds)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 1)

    return {"requests": len(ordered), "p50_ms": pct(0.50), "p95_ms": pct(0.95), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.mean(ordered) * 1000, 1)}


def diagnose_body(terms: list[str]) -> dict:
    return {"query": DIAGNOSE, "variables": {"findings": [{"id": t, "status": "PRESENT"} for t in terms]}}


def serve_and_measure(store: Path, scratch: Path, sets: list[list[str]], warm_sets: list[list[str]],
                      prefixes: list[str]) -> dict:
    with Server(store, scratch) as server:
        start = server.wait_healthy()
        block: dict = {"healthz_seconds": round(start, 2)}
        began = time.perf_counter()
        wait_warm(server.port)  # requests are served at once; the latencies below are those after the warm-up
        block["warm_seconds"] = round(start + time.perf_counter() - began, 1)
        typename = latencies(server.port, [{"query": TYPENAME}] * 100, [{"query": TYPENAME}] * 20)
        diagnose = latencies(server.port, [diagnose_body(s) for s in sets], [diagnose_body(s) for s in warm_sets])
        complete = latencies(server.port, [{"query": AUTOCOMPLETE, "variables": {"search": p}} for p in prefixes],
                             [{"query": AUTOCOMPLETE, "variables": {"search": "abn"}}] * 5)
        block.update({"typename": stats(typename), "diagnose": stats(diagnose), "autocomplete": stats(complete)})
        return block


# ---------------------------------------------------------------------------------------------------- report

def table(report: dict) -> str:
    rows = []
    t = TARGETS

    def line(name: str, value: str, target: str, ok: bool | None) -> None:
        rows.append(f"{name:<44} {value:>16} {target:>12} {'' if ok is None else ('met' if ok else 'NOT MET'):>8}")

    rows.append(f"{'measure':<44} {'value':>16} {'target':>12} {'':>8}")
    if "build" in report:
        b = report["build"]
        line("build with HPO: wall time", f"{b['seconds']} s", "<= 180 s", b["seconds"] <= t["build_seconds"])
        line("build with HPO: peak RSS", f"{b['peak_rss_mb']} MB", "<= 2048 MB",
             b["peak_rss_mb"] <= t["build_peak_rss_mb"])
    s = report["start"]
    line("server start to /healthz 200 (median of 3)", f"{s['median_seconds']} s", "<= 2 s",
         s["median_seconds"] <= t["start_seconds"])
    for mode, title in (("served", "dxkb serve"),):
        m = report[mode]
        line(f"[{title}] start to warm-up done (healthz warm)", f"{m['warm_seconds']} s", "", None)
        base = m["typename"]["p50_ms"]
        line(f"[{title}] {{ __typename }} p50 (baseline)", f"{base} ms", "", None)
        d = m["diagnose"]
        line(f"[{title}] diagnose, 5 findings: p50", f"{d['p50_ms']} ms ({d['p50_ms'] / base:.0f}x)", "<= 100 ms",
             d["p50_ms"] <= t["diagnose_p50_ms"])
        line(f"[{title}] diagnose, 5 findings: p95", f"{d['p95_ms']} ms", "<= 250 ms",
             d["p95_ms"] <= t["diagnose_p95_ms"])
        a = m["autocomplete"]
        line(f"[{title}] autocomplete first:10: p50", f"{a['p50_ms']} ms ({a['p50_ms'] / base:.0f}x)", "<= 20 ms",
             a["p50_ms"] <= t["autocomplete_p50_ms"])
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, help="a store built with HPO to serve (default: the fresh build)")
    parser.add_argument("--skip-build", action="store_true", help="do not time a build (needs --store)")
    parser.add_argument("--requests", type=int, default=100, help="diagnose and autocomplete requests per run")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.skip_build and not args.store:
        parser.error("--skip-build needs --store")

    from bench.accuracy.hpo_store import has_hpo

    sets = finding_sets(args.requests + 10, args.seed)
    sets, warm_sets = sets[:args.requests], sets[args.requests:]
    prefixes = label_prefixes(args.requests, args.seed)
    report: dict = {"benchmark": "scale", "command": "python bench/scale_bench.py", "machine": machine(),
                    "targets": TARGETS, "seed": args.seed}
    with tempfile.TemporaryDirectory(prefix="dxkb-scale-") as scratch_name:
        scratch = Path(scratch_name)
        if not args.skip_build:
            print("timing dxkb build (HPO included) ...", file=sys.stderr)
            report["build"] = measure_build(scratch)
        store = args.store or Path(report["build"]["store"])
        if not has_hpo(store):
            raise SystemExit(f"{store} is not a built store with HPO")
        report["store"] = str(store)
        starts = []
        for _ in range(3):
            with Server(store, scratch) as server:
                starts.append(server.wait_healthy())
        report["start"] = {"seconds": [round(s, 2) for s in starts], "median_seconds": round(statistics.median(starts), 2),
                           "command": "dxkb serve --store DIR --port N, polled every 10 ms"}
        print("measuring dxkb serve ...", file=sys.stderr)
        report["served"] = serve_and_measure(store, scratch, sets, warm_sets, prefixes)
    report["workload"] = {"diagnose_sets": len(sets), "example_set": sets[0], "autocomplete_prefixes": prefixes[:10]}
    met = {}
    if "build" in report:
        met["build_time"] = report["build"]["seconds"] <= TARGETS["build_seconds"]
        met["build_memory"] = report["build"]["peak_rss_mb"] <= TARGETS["build_peak_rss_mb"]
    met["start"] = report["start"]["median_seconds"] <= TARGETS["start_seconds"]
    for mode in ("served",):
        if mode in report:
            met[f"{mode}_diagnose_p50"] = report[mode]["diagnose"]["p50_ms"] <= TARGETS["diagnose_p50_ms"]
            met[f"{mode}_diagnose_p95"] = report[mode]["diagnose"]["p95_ms"] <= TARGETS["diagnose_p95_ms"]
            met[f"{mode}_autocomplete_p50"] = report[mode]["autocomplete"]["p50_ms"] <= TARGETS["autocomplete_p50_ms"]
    report["met"] = met
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(table(report))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
