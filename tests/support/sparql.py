"""Real dxkb servers (uvicorn on 127.0.0.1) for the SPARQL tests, and their worker processes.

The session server of tests/api/sparql/conftest.py (``sparql_server``) runs with a 2 s query timeout and a
500-row cap, so that the limit tests can hit both quickly (the curated store has about 1,100 triples:
``SELECT * { ?s ?p ?o }`` is over the cap, every example is under).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import start_server as start_live_server, stop_process

# A 2 s limit stopped one of the example queries (02_diagnostic_pathway) in a full run on a loaded 2-core VM
# (2026-12-07), so the limit leaves them room; the endless queries of test_limits.py wait it out.
TIMEOUT_S = 4
MAX_ROWS = 500
# Room for the explosive ORDER BY query (about 1 GB/s here) to reach the timeout or this cap (either answer is
# checked); the 700 MB cap of tests/api/sparql/test_backends.py checks the memory limit itself.
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
    """Start the app on uvicorn with DXKB_* settings (tests/support/servers.py's starter); waits until /healthz answers."""
    live = start_live_server(store, log.parent, env={f"DXKB_{k.upper()}": v for k, v in settings.items()})
    return Server(live.url, live.process, live.log)


def stop_server(server: Server) -> None:
    stop_process(server.process)
