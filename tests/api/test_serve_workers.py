"""`dxkb serve --workers 2` as users run it: both workers answer on one port, keep-alive clients that connect at
the same moment are spread over them (each worker listens on its own SO_REUSEPORT socket), and SIGTERM stops
every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import LiveServer, free_port

CLIENTS = 32


def serve_two_workers(store: Path, log_dir: Path) -> LiveServer:
    """`dxkb serve --workers 2` on a free loopback port (not waited for: see :func:`workers_answering`)."""
    port = free_port()
    log = log_dir / "serve.log"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen([sys.executable, "-m", "dxkb.api.cli", "serve", "--store", str(store),
                                    "--port", str(port), "--workers", "2"], stdout=output, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return LiveServer(url=f"http://127.0.0.1:{port}", process=process, log=log)


def workers_answering(server: LiveServer, wanted: int = 2, timeout: float = 120) -> set[int]:
    """The worker process IDs /healthz reports, polled on new connections until ``wanted`` differ or time is up."""
    deadline, seen = time.monotonic() + timeout, set()
    while time.monotonic() < deadline and len(seen) < wanted:
        try:
            seen.add(httpx.get(f"{server.url}/healthz", timeout=5).json()["process"])
        except (httpx.HTTPError, KeyError, ValueError):
            time.sleep(0.5)
    return seen


def test_two_workers_share_the_port_and_the_connections(curated_store: Path, tmp_path: Path) -> None:
    server = serve_two_workers(curated_store, tmp_path)
    try:
        seen = workers_answering(server)
        assert len(seen) == 2, server.output()
        # many clients connecting at once, each on its own keep-alive connection: each is served by one worker
        clients = [httpx.Client(base_url=server.url, timeout=30) for _ in range(CLIENTS)]
        try:
            owners = [c.get("/healthz").json()["process"] for c in clients]
            again = [c.get("/healthz").json()["process"] for c in clients]
            assert owners == again  # the same connection stays with its worker
            counts = sorted(owners.count(p) for p in set(owners))
            assert set(owners) == seen and counts[0] >= CLIENTS // 8, counts  # both carry a real share
            body = clients[0].post("/graphql", json={"query": '{ diagnose(input: {findings: [{id: "HP:0000988", '
                                                              'status: PRESENT}]}) { recommendation } }'}).json()
            assert body["data"]["diagnose"]["recommendation"], body
        finally:
            for c in clients:
                c.close()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(60) == 0
        for pid in seen:  # no worker left behind
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
    finally:
        server.stop()


def test_a_taken_port_is_one_clear_error(curated_store: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "dxkb.api.cli", "serve", "--store", str(curated_store),
                                 "--port", str(port), "--workers", "2"], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr, result.stderr
    assert str(port) in result.stderr + result.stdout, result.stderr


def test_a_worker_that_dies_later_is_replaced(curated_store: Path, tmp_path: Path) -> None:
    server = serve_two_workers(curated_store, tmp_path)
    try:
        first = workers_answering(server)
        assert len(first) == 2, server.output()
        time.sleep(11)  # past the start-up window (api/server.py WORKER_MIN_LIFE), in which a death stops the server
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        deadline, replaced = time.monotonic() + 120, set()
        while time.monotonic() < deadline and not replaced:
            replaced = workers_answering(server, timeout=10) - first
        assert replaced, server.output()
        assert server.process.poll() is None  # the server itself stays up
    finally:
        server.stop()
