"""The SPARQL tests' session server: the app on uvicorn over the curated store, with small limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sparql import MAX_ROWS, MEMORY_MB, TIMEOUT_S, Server, start_server, stop_server


@pytest.fixture(scope="session")
def sparql_server(curated_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("sparql-server") / "server.log"
    server = start_server(str(curated_store), log, sparql_timeout=str(TIMEOUT_S), sparql_max_rows=str(MAX_ROWS),
                          sparql_workers="2", sparql_memory_mb=str(MEMORY_MB))
    try:
        yield server
    finally:
        stop_server(server)
