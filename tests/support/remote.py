"""Real SPARQL servers on 127.0.0.1 for the scale-out tests: Oxigraph server and Virtuoso open source.

The session fixtures of tests/conftest.py (``oxigraph_server``, ``virtuoso_server``) load the curated knowledge
base exported by `dxkb export` into a fresh database in a temporary folder with these starters, wait until it
answers, and stop it afterwards. `.ci/install` installs both servers (`pip install oxigraph`, Debian's
`virtuoso-opensource-7-bin`).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.servers import free_port, stop_process

GRAPH = "https://w3id.org/dxkb/graph"


@dataclass
class SparqlServer:
    name: str
    query_url: str
    process: subprocess.Popen
    update_url: str | None = None
    graph_store_url: str | None = None

    def stop(self) -> None:
        stop_process(self.process)


def wait_until_answering(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with code {process.returncode}")
        try:
            response = httpx.post(url, data={"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1"},
                                  headers={"Accept": "application/sparql-results+json"}, timeout=2)
            if response.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def require(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        pytest.fail(f"{binary} is not installed: run .ci/install (it installs the SPARQL servers the tests use)")
    return path


def start_oxigraph(folder: Path, data: Path | None, *, read_only: bool = True) -> SparqlServer:
    """Load `data` (N-Triples) with `oxigraph load` and serve it; the default graph is the union of all graphs."""
    oxigraph = require("oxigraph")
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "oxigraph-db"
    if data is not None:
        subprocess.run([oxigraph, "load", "--location", str(database), "--file", str(data)], check=True,
                       capture_output=True, timeout=300)
    else:
        database.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [oxigraph, "serve-read-only" if read_only else "serve", "--location", str(database),
               "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    server = SparqlServer("oxigraph", f"{base}/query", process, update_url=f"{base}/update",
                          graph_store_url=f"{base}/store")
    wait_until_answering(server.query_url, process)
    return server


VIRTUOSO_INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = ., {d}
DefaultIsolation = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
ServerThreads = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
HttpTimeout = 300
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""


def start_virtuoso(folder: Path, data: Path) -> SparqlServer:
    """Start virtuoso-t in the foreground with a config bound to 127.0.0.1 and load `data` with its RDF loader."""
    virtuoso, isql = require("virtuoso-t"), require("isql-vt")
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(d=folder, sql_port=sql_port, http_port=http_port), encoding="utf-8")
    process = subprocess.Popen([virtuoso, "+configfile", str(ini), "+foreground"], cwd=folder,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}/sparql"
    wait_until_answering(url, process, timeout=120)
    local = folder / data.name
    shutil.copy(data, local)
    load = f"DB.DBA.TTLP_MT(file_to_string_output('{local}'), '', '{GRAPH}', 255); checkpoint;"
    subprocess.run([isql, str(sql_port), "dba", "dba", f"exec={load}"], check=True, capture_output=True, timeout=300)
    return SparqlServer("virtuoso", url, process)
