"""Does a heavy SPARQL query slow down the GraphQL door of the same server?

    python bench/sparql_isolation_bench.py            # builds the curated store in a temp folder
    python bench/sparql_isolation_bench.py --store DIR --seconds 12 --timeout 5

Starts a real server (uvicorn, one process, 2 SPARQL workers), then measures the latency of a GraphQL ``diagnose``
request (``/healthz`` if /graphql is not there) and of a small SPARQL query:

- idle;
- while one explosive SPARQL query runs (a cross product with ORDER BY; it is killed at the timeout and sent again
  at once, so kills and worker restarts are inside the window);
- while explosive queries keep every SPARQL worker busy;
- while CPU-bound queries (a COUNT over the same cross product, constant memory) keep every worker busy until
  the timeout stops them.

Prints a table and writes bench/results/sparql_isolation.json. The target is a loaded/idle ratio of at most 2 for
the GraphQL request. Also reports the workers' resident memory before, at the peak and after the runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port  # noqa: E402

EXPLOSIVE = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a ?d ?g"  # memory-bound: ~1 GB/s
ENDLESS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # CPU-bound until the timeout
SMALL_SPARQL = "SELECT ?label WHERE { MONDO:0005059 rdfs:label ?label }"
DIAGNOSE = '{ diagnose(input:{findings:[{id:"HP:0000988",status:PRESENT}]}) { recommendation } }'
WORKERS = 2


def start_server(store: str, timeout: float, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "DXKB_STORE": store, "DXKB_SPARQL_TIMEOUT": str(timeout),
           "DXKB_SPARQL_WORKERS": str(WORKERS)}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "dxkb.api.server:app_factory", "--factory",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               env=env, cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start:\n{log.read_text()}")


def worker_rss_mb(server_pid: int) -> float:
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "dxkb-sparql":
                continue
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != server_pid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


class Probe:
    """One kind of request whose latency we watch."""

    def __init__(self, name: str, client: httpx.Client, send) -> None:
        self.name, self.client, self.send = name, client, send

    def measure(self, count: int, stop: threading.Event | None = None, pause: float = 0.0) -> list[float]:
        latencies = []
        for _ in range(count):
            if stop is not None and stop.is_set():
                break
            started = time.perf_counter()
            response = self.send(self.client)
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{self.name} failed: {response.status_code} {response.text[:200]}")
            if pause:
                time.sleep(pause)
        return latencies


def probes(base: str) -> list[Probe]:
    client = httpx.Client(timeout=30)
    graphql = client.post(f"{base}/graphql", json={"query": DIAGNOSE})
    found = [Probe("GraphQL diagnose" if graphql.status_code == 200 else "/healthz (no /graphql)", client,
                   (lambda c: c.post(f"{base}/graphql", json={"query": DIAGNOSE})) if graphql.status_code == 200
                   else (lambda c: c.get(f"{base}/healthz")))]
    found.append(Probe("small SPARQL query", client,
                       lambda c: c.post(f"{base}/sparql", data={"query": SMALL_SPARQL},
                                        headers={"Accept": "application/sparql-results+json"})))
    return found


class Load:
    """``parallel`` copies of a heavy query, each re-sent as soon as it is stopped, until ``stop``."""

    def __init__(self, base: str, query: str, parallel: int, server_pid: int) -> None:
        self.base, self.query, self.parallel, self.server_pid = base, query, parallel, server_pid
        self.stop = threading.Event()
        self.statuses: list[int] = []
        self.peak_rss_mb = 0.0
        self.threads = [threading.Thread(target=self._loop) for _ in range(parallel)]
        self.threads.append(threading.Thread(target=self._watch_memory))

    def _loop(self) -> None:
        with httpx.Client(timeout=60) as client:
            while not self.stop.is_set():
                self.statuses.append(client.post(f"{self.base}/sparql", data={"query": self.query}).status_code)

    def _watch_memory(self) -> None:
        while not self.stop.is_set():
            self.peak_rss_mb = max(self.peak_rss_mb, worker_rss_mb(self.server_pid))
            time.sleep(0.1)

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)  # let the queries get going
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


def summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
            "max_ms": round(ordered[-1], 2)}


def timed(probe: Probe, seconds: float, pause: float) -> list[float]:
    """Probe for the whole window (a request every ``pause`` seconds), so that kills and restarts fall inside."""
    stop = threading.Event()
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    try:
        return probe.measure(10**9, stop, pause)
    finally:
        timer.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="a built store folder (default: build the curated store in a temp folder)")
    parser.add_argument("--seconds", type=float, default=12.0, help="length of each measuring window")
    parser.add_argument("--pause", type=float, default=0.01, help="seconds between two probe requests")
    parser.add_argument("--timeout", type=float, default=5.0, help="DXKB_SPARQL_TIMEOUT of the server")
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "sparql_isolation.json"))
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="dxkb-bench-"))
    store = args.store
    if store is None:
        from dxkb.kb.build.pipeline import build

        store = str(scratch / "store")
        build(store, include=(), progress=False)
    process, base = start_server(store, args.timeout, scratch / "server.log")
    try:
        watched = probes(base)
        for probe in watched:
            probe.measure(30)  # warm-up: caches, worker start, connections
        rss_idle = worker_rss_mb(process.pid)
        results: dict[str, dict] = {}
        for probe in watched:
            results.setdefault(probe.name, {})["idle"] = summary(timed(probe, args.seconds, args.pause))
        loads: dict[str, dict] = {}
        everything, graphql_only = [p.name for p in watched], [watched[0].name]
        for label, query, parallel, names in (
                ("1 explosive ORDER BY query", EXPLOSIVE, 1, everything),
                (f"{WORKERS} explosive ORDER BY queries", EXPLOSIVE, WORKERS, graphql_only),
                (f"{WORKERS} CPU-bound COUNT queries", ENDLESS, WORKERS, graphql_only)):
            with Load(base, query, parallel, process.pid) as load:
                for probe in watched:
                    if probe.name in names:
                        results[probe.name][label] = summary(timed(probe, args.seconds, args.pause))
            loads[label] = {"query": query, "statuses": sorted(set(load.statuses)), "stopped": len(load.statuses),
                            "peak_worker_rss_mb": round(load.peak_rss_mb, 1)}
        time.sleep(1.5)  # replacement workers open the store
        rss_after = worker_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(15)

    print(f"\nSPARQL isolation on {os.cpu_count()} cores, {WORKERS} SPARQL workers, timeout {args.timeout:g} s\n")
    header = f"{'request':<26} {'condition':<34} {'n':>5} {'median ms':>10} {'p95 ms':>9} {'x idle (median)':>16}"
    print(header)
    print("-" * len(header))
    for name, conditions in results.items():
        idle = conditions["idle"]["median_ms"]
        for condition, figures in conditions.items():
            figures["ratio_to_idle"] = round(figures["median_ms"] / idle, 2) if idle else None
            figures["p95_ratio_to_idle"] = round(figures["p95_ms"] / conditions["idle"]["p95_ms"], 2)
            print(f"{name:<26} {condition:<34} {figures['n']:>5} {figures['median_ms']:>10.2f} "
                  f"{figures['p95_ms']:>9.2f} {figures['ratio_to_idle']:>16.2f}")
    for label, figures in loads.items():
        print(f"load '{label}': {figures['stopped']} queries stopped with status {figures['statuses']}, "
              f"peak worker memory {figures['peak_worker_rss_mb']} MB")
    print(f"worker memory (all workers, resident): idle {rss_idle:.1f} MB, after the runs {rss_after:.1f} MB")
    graphql = results[watched[0].name]
    worst = max(v["ratio_to_idle"] for k, v in graphql.items() if k != "idle")
    print(f"\n{watched[0].name}: worst slowdown {worst:.2f}x (target: at most 2x) -> {'OK' if worst <= 2 else 'MISSED'}")

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "settings": {"sparql_workers": WORKERS, "sparql_timeout_s": args.timeout, "window_s": args.seconds,
                     "store": "curated (temp build)" if args.store is None else args.store},
        "probes": results, "loads": loads,
        "worker_rss_mb": {"idle": round(rss_idle, 1), "after": round(rss_after, 1)},
        "graphql_worst_ratio": worst, "target_ratio": 2.0,
    }, indent=2) + "\n")
    print(f"written {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


if __name__ == "__main__":
    main()
