"""The worker pool in-process (no HTTP): the lifespan hooks the app can call, and a store that cannot be opened."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from dxkb.api.sparql.endpoint import check_settings
from dxkb.api.sparql.errors import EndpointError
from dxkb.api.sparql.execution import Job
from dxkb.api.sparql.pool import WorkerPool
from dxkb.kb.settings import Settings
from dxkb.kb.store.folder import current_build
from tests.support.sparql import worker_pids

ASK = Job("ASK { ?s ?p ?o }", "json", None, 10)
ENDLESS = Job("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "json", None, 10)


def test_start_run_and_stop_with_a_query_running(curated_store):
    async def scenario() -> tuple[list[int], int, str, float]:
        pool = WorkerPool(current_build(curated_store), size=2)
        await pool.start()
        outcome = await pool.run(ASK, 10)
        started = worker_pids(os.getpid())
        running = asyncio.create_task(pool.run(ENDLESS, 30))
        await asyncio.sleep(0.5)
        began = time.monotonic()
        await pool.close()
        try:
            await running
            message = "no error"
        except EndpointError as error:
            message = f"{error.status} {error.message}"
        return started, outcome.status, message, time.monotonic() - began

    started, status, message, stop_seconds = asyncio.run(scenario())
    assert status == 200
    assert len(started) == 2
    assert message == "503 the SPARQL endpoint is shutting down"
    assert stop_seconds < 2
    assert worker_pids(os.getpid()) == []
    assert not any(Path(f"/proc/{pid}").exists() for pid in started)  # killed and reaped


def test_a_store_that_cannot_be_opened_is_a_503_naming_it(tmp_path):
    async def scenario() -> EndpointError:
        pool = WorkerPool(tmp_path / "nowhere", size=1)
        try:
            await pool.run(ASK, 5)
        except EndpointError as error:
            return error
        finally:
            await pool.close()
        raise AssertionError("the query ran without a store")

    started = time.monotonic()
    error = asyncio.run(scenario())
    assert error.status == 503
    assert "nowhere" in error.message and "dxkb build" in error.message
    assert time.monotonic() - started < 3  # fails fast, not at the timeout


def test_limits_that_cannot_work_are_refused_at_start_up():
    check_settings(Settings())
    with pytest.raises(ValueError) as raised:
        check_settings(Settings(sparql_timeout=0, sparql_max_rows=0, sparql_workers=0, sparql_memory_mb=10))
    for name in ("DXKB_SPARQL_TIMEOUT", "DXKB_SPARQL_MAX_ROWS", "DXKB_SPARQL_WORKERS", "DXKB_SPARQL_MEMORY_MB"):
        assert name in str(raised.value)
