"""/healthz of the real server: answers at once, and says when the background warm-up (indexes, prefetch) is
done, so that a load balancer or a benchmark can wait for it."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.support.servers import start_server


def test_healthz_reports_the_warm_up(curated_store: Path, tmp_path: Path) -> None:
    server = start_server(str(curated_store), tmp_path)
    try:
        first = httpx.get(f"{server.url}/healthz", timeout=10).json()
        assert first["status"] == "ok" and first["warm"] in (True, False)
        deadline = time.monotonic() + 60
        while not httpx.get(f"{server.url}/healthz", timeout=10).json()["warm"]:
            assert time.monotonic() < deadline, f"the warm-up did not finish within 60 s:\n{server.output()}"
            time.sleep(0.1)
        assert httpx.get(f"{server.url}/healthz", timeout=10).json()["warm"] is True
    finally:
        server.stop()
