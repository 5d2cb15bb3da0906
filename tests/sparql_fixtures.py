"""A real dxkb server (uvicorn on 127.0.0.1) over the curated store, for the SPARQL tests.

    from tests.sparql_fixtures import sparql_server  # noqa: F401  (pytest finds it by name; curated_store: conftest)

The session server runs with a 2 s query timeout and a 500-row cap, so that the limit tests can hit both quickly
(the curated store has about 1,100 triples: ``SELECT * { ?s ?p ?o }`` is over the cap, every example is under).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import start_server as start_live_server, stop_process

TIMEOUT_S = 2
MAX_ROWS = 500
# Room for the explosive ORDER BY query (about 1 GB/s here) to reach the 2 s timeout; the 700 MB cap of
# test_sparql_backends.py checks the memory limit itself.
MEMORY_MB = 4096
WORKER_COMM = "dxkb-sparql"  # the process name workers give themselves (api/sparql/worker.py)


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log: Path

    @property
    def sparql(self) -> str:
        return f"{self.base}/sparql"

    def worker_pids(self) -> list[int]:
        """The live SPARQL worker processes of this server (children named dxkb-sparql)."""
        return worker_pids(self.process.pid)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def worker_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # field 4, after the parenthesised command name
        state = stat.rsplit(")", 1)[1].split()[0]
        if ppid == parent and comm == WORKER_COMM and state != "Z":
            pids.append(int(entry.name))
    return sorted(pids)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_server(store: str, log: Path, **settings: str) -> Server:
    """Start the app on uvicorn with DXKB_* settings (tests/conftest.py's starter); waits until /healthz answers."""
    live = start_live_server(store, log.parent, env={f"DXKB_{k.upper()}": v for k, v in settings.items()})
    return Server(live.url, live.process, live.log)


def stop_server(server: Server) -> None:
    stop_process(server.process)


@pytest.fixture(scope="session")
def sparql_server(curated_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:  # noqa: F811
    log = tmp_path_factory.mktemp("sparql-server") / "server.log"
    server = start_server(str(curated_store), log, sparql_timeout=str(TIMEOUT_S), sparql_max_rows=str(MAX_ROWS),
                          sparql_workers="2", sparql_memory_mb=str(MEMORY_MB))
    try:
        yield server
    finally:
        stop_server(server)
