"""What every benchmark needs: a free loopback port, a server that has finished its warm-up, and a description of
the machine it ran on."""

from __future__ import annotations

import json
import os
import platform
import socket
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_warm(port: int, workers: int = 1, timeout: float = 600) -> None:
    """Until the server reports its warm-up (indexes and prefetch) done: /healthz ``warm``. With several worker
    processes each request lands on one of them, so ``workers`` x 4 answers in a row must say so. Measuring before
    would time the warm-up thread, not the requests."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                streak = streak + 1 if response.status == 200 and json.load(response).get("warm") else 0
                if streak >= 4 * workers:
                    return
        except OSError:
            streak = 0
        time.sleep(0.2 if streak else 1.0)
    raise RuntimeError(f"the server on port {port} did not finish its warm-up within {timeout:.0f} s")


def machine() -> dict:
    """CPU count and model, memory, Python and platform: figures mean little without them."""
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    return {"cpus": os.cpu_count(), "cpu": model or platform.processor(), "memory": memory,
            "python": platform.python_version(), "platform": platform.platform()}
