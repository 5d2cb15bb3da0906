"""GraphQL throughput and latency: `python bench/graphql_bench.py` (about a minute on 2 cores).

Builds the curated knowledge base into a temporary folder, starts the real server (uvicorn, one worker) on
loopback, and drives it with a bounded closed-loop load generator: C connections (keep-alive), each sending its
next request as soon as the previous answer is read, for a fixed time. Measured at C = 1, 8 and 32:

- ``typename``: ``{ __typename }``, the framework's own ceiling (HTTP, routing, Strawberry, JSON);
- ``diagnose``: the source document's case with 4 findings, the same request every time (what a symptom checker
  sends over and over): served from the result cache, so execution is skipped (parse and validation still run);
- ``diagnose-executed``: the same request to a second server started with DXKB_GRAPHQL_RESULT_CACHE=false: the
  diagnosis comes from the diagnosis cache but every field of the answer is resolved by Strawberry;
- ``diagnose-distinct``: a different finding set on every request, cycling through more sets than the cache
  holds, so every request runs the diagnosis engine (what the cache saves; not part of the target).

Prints a table, writes bench/results/graphql.json, and reports diagnose/typename throughput (target: >= 0.5).
The load generator shares the 2 cores with the server, so absolute numbers are lower than on a separate client.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "graphql.json"

from bench.common import free_port, machine  # noqa: E402

TYPENAME = "{ __typename }"
DIAGNOSE = """query Diagnose($findings: [FindingInput!]!) {
  diagnose(input: {findings: $findings, limit: 10}) {
    recommendation
    candidates { rank probability disease { id label } }
    nextSteps { step { id label kind } expectedInformationGain rationale }
    redFlags { id label }
  }
}"""
CASE = [{"id": f, "status": "PRESENT"} for f in ("HP:0000988", "HP:0012378", "HP:0001824", "HP:0002719")]
FINDINGS = ["HP:0000988", "HP:0012378", "HP:0001824", "HP:0002719", "HP:0001871",
            "DXKB:0000101", "DXKB:0000102", "DXKB:0000103", "DXKB:0000104", "DXKB:0000105"]


def distinct_cases() -> list[list[dict]]:
    """Every 4-finding set with every PRESENT/ABSENT pattern that has a PRESENT finding: 3,150 sets, more than the
    server's diagnosis cache holds, so cycling through them misses the cache every time."""
    cases = []
    for ids in itertools.combinations(FINDINGS, 4):
        for pattern in itertools.product(("PRESENT", "ABSENT"), repeat=4):
            if "PRESENT" in pattern:
                cases.append([{"id": i, "status": s} for i, s in zip(ids, pattern)])
    return cases


def request_bytes(port: int, body: dict) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    head = (f"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/graphql-response+json\r\nContent-Length: {len(payload)}\r\n\r\n")
    return head.encode() + payload


@dataclass
class Run:
    query: str
    concurrency: int
    seconds: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = next(int(line.split(":", 1)[1]) for line in lines[1:] if line.lower().startswith("content-length:"))
    return status, await reader.readexactly(length)


async def _client(port: int, requests: list[bytes], until: float, start_at: int,
                  latencies: list[float], failures: list[int]) -> int:
    """Send requests from ``start_at`` on until ``until``; the position of the next one."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    i = start_at
    try:
        while time.perf_counter() < until:
            begin = time.perf_counter()
            writer.write(requests[i % len(requests)])
            status, body = await _read_response(reader)
            latencies.append(time.perf_counter() - begin)
            if status != 200 or b'"errors"' in body:
                failures.append(status)
            i += 1
    finally:
        writer.close()
    return i


async def measure(port: int, name: str, requests: list[bytes], concurrency: int, seconds: float,
                  warmup: float) -> Run:
    stride = max(1, len(requests) // concurrency)
    positions = [k * stride for k in range(concurrency)]
    for phase, duration in (("warmup", warmup), ("measure", seconds)):
        latencies: list[float] = []
        failures: list[int] = []
        until = time.perf_counter() + duration
        begin = time.perf_counter()
        # each client goes on where it stopped in the warm-up: the measured requests are not replays of it
        positions = list(await asyncio.gather(*(_client(port, requests, until, positions[k], latencies, failures)
                                                for k in range(concurrency))))
        elapsed = time.perf_counter() - begin
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 2) if latencies else 0.0

    return Run(query=name, concurrency=concurrency, seconds=round(elapsed, 2), requests=len(latencies),
               failures=len(failures), rps=round(len(latencies) / elapsed, 1), p50_ms=pct(0.50), p95_ms=pct(0.95),
               p99_ms=pct(0.99))


def start_server(store: Path, port: int, log: Path, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {**os.environ, "DXKB_STORE": str(store), "PYTHONUNBUFFERED": "1", **extra_env}
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "dxkb.api.server:app_factory", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_healthy(port: int, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server not healthy after {timeout} s:\n{log.read_text()}")


def sequential(store: Path, bodies: list[dict], warmup: int) -> tuple[list[float], list[dict]]:
    """Start the real server on ``store`` (one worker, result cache off), wait until it has finished its warm-up,
    and send ``bodies`` one after another on one connection (C = 1). Returns the seconds of each request after the
    first ``warmup`` and the ``data`` of every answer; a failed request stops the benchmark with its errors."""
    import httpx

    from bench.common import wait_warm

    port = free_port()
    seconds: list[float] = []
    answers: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="dxkb-sequential-") as scratch:
        log = Path(scratch) / "server.log"
        server = start_server(store, port, log, {"DXKB_GRAPHQL_RESULT_CACHE": "false"})
        try:
            wait_healthy(port, server, log, timeout=180)
            wait_warm(port)  # the prefetch runs in a background thread after start
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                for i, body in enumerate(bodies):
                    started = time.perf_counter()
                    response = client.post("/graphql", json=body)
                    elapsed = time.perf_counter() - started
                    data = response.json()
                    if response.status_code != 200 or data.get("errors"):
                        raise SystemExit(f"request failed: {response.status_code} {data.get('errors')}")
                    answers.append(data["data"])
                    if i >= warmup:
                        seconds.append(elapsed)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return seconds, answers


def latency_summary(seconds: list[float]) -> dict:
    """p50, p95 and mean in milliseconds, as the sequential benchmarks report them."""
    import statistics

    ms = sorted(s * 1000 for s in seconds)
    return {"requests": len(ms), "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1), "mean_ms": round(statistics.fmean(ms), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured time before each run")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    from dxkb.kb.build.pipeline import build

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="dxkb-bench-") as scratch:
        store = Path(scratch) / "store"
        build(store, include=(), progress=False)
        for env, names in ((DEFAULT, ("typename", "diagnose", "diagnose-distinct")),
                           (NO_RESULT_CACHE, ("diagnose-executed",))):
            port, log = free_port(), Path(scratch) / f"server-{len(runs)}.log"
            server = start_server(store, port, log, env)
            try:
                wait_healthy(port, server, log)
                for concurrency in args.concurrency:
                    for name in names:
                        run = asyncio.run(measure(port, name, workload(name, port), concurrency, args.seconds,
                                                  args.warmup))
                        runs.append(run)
                        print(f"  {name:<18} c={concurrency:<3} {run.rps:>8.1f} req/s", file=sys.stderr)
            finally:
                server.terminate()
                server.wait(timeout=10)
    order = ["typename", "diagnose", "diagnose-executed", "diagnose-distinct"]
    runs.sort(key=lambda r: (r.concurrency, order.index(r.query)))
    report(runs, args.output)


DEFAULT: dict[str, str] = {}
NO_RESULT_CACHE = {"DXKB_GRAPHQL_RESULT_CACHE": "false"}


def workload(name: str, port: int) -> list[bytes]:
    if name == "typename":
        return [request_bytes(port, {"query": TYPENAME})]
    if name in ("diagnose", "diagnose-executed"):
        return [request_bytes(port, {"query": DIAGNOSE, "variables": {"findings": CASE}})]
    return [request_bytes(port, {"query": DIAGNOSE, "variables": {"findings": c}}) for c in distinct_cases()]


def report(runs: list[Run], output: Path) -> None:
    print(f"\n{'query':<18} {'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
          f"{'failed':>6}")
    for r in runs:
        print(f"{r.query:<18} {r.concurrency:>7} {r.requests:>9} {r.rps:>8.1f} {r.p50_ms:>8.2f} {r.p95_ms:>8.2f} "
              f"{r.p99_ms:>8.2f} {r.failures:>6}")
    by = {(r.query, r.concurrency): r for r in runs}
    ceiling = max(r.rps for r in runs if r.query == "typename")
    ratios: dict[str, dict[str, float]] = {}
    for name in ("diagnose", "diagnose-executed", "diagnose-distinct"):
        ratios[name] = {str(c): round(by[(name, c)].rps / by[("typename", c)].rps, 3)
                        for (q, c) in by if q == name and ("typename", c) in by}
        best = max((r.rps for r in runs if r.query == name), default=0.0)
        ratios[name]["best"] = round(best / ceiling, 3)
        print(f"{name} / typename throughput: "
              + ", ".join(f"{c} clients {v:.2f}" for c, v in ratios[name].items() if c != "best")
              + f"; best vs best {ratios[name]['best']:.2f}")
    met = ratios["diagnose"]["best"] >= 0.5
    print(f"target (diagnose best >= 0.5 x typename best): {'met' if met else 'NOT met'}")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({
        "benchmark": "graphql", "machine": machine(), "load": os.getloadavg(),
        "server": "uvicorn, 1 worker, curated knowledge base", "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": [asdict(r) for r in runs], "ratio_to_typename": ratios, "target_met": met,
    }, indent=2) + "\n")
    print(f"wrote {output.relative_to(ROOT) if output.is_relative_to(ROOT) else output}")


if __name__ == "__main__":
    main()
