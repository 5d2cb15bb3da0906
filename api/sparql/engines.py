"""Where a query runs, by what the service's store offers (``KnowledgeBase.sparql_target``):

- a database folder (the embedded store): a pool of worker processes, killed at the deadline (pool.py);
- an in-process store (``memory:``): evaluated in a thread (a timeout answers the client, but the thread cannot be
  stopped - fine for tests and experiments, which is what ``memory:`` is for);
- a remote endpoint: passed through with the same screening and timeout, over the store's own HTTP client.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol
from urllib.parse import urlencode

import pyoxigraph as ox

from dxkb.api.sparql.errors import EndpointError
from dxkb.api.sparql.execution import Job, Outcome, execute
from dxkb.api.sparql.formats import BY_NAME, GRAPH_FORMATS, RESULT_FORMATS
from dxkb.api.sparql.pool import WorkerPool
from dxkb.api.sparql.screening import screen
from dxkb.kb.errors import StoreTimeout, StoreUnavailable
from dxkb.kb.service import KnowledgeBase, SparqlTarget
from dxkb.kb.settings import Settings


class Engine(Protocol):
    kind: str

    async def run(self, job: Job, timeout: float) -> Outcome:
        """The finished answer, or EndpointError (e.g. 504 at the deadline)."""

    async def close(self) -> None: ...


def _timeout_error(timeout: float, detail: str = "") -> EndpointError:
    return EndpointError(504, f"query stopped after {timeout:g} s, the time limit of this endpoint "
                              f"(DXKB_SPARQL_TIMEOUT); no partial result is sent.{detail}")


class PoolEngine:
    kind = "oxigraph"

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool

    async def run(self, job: Job, timeout: float) -> Outcome:
        return await self.pool.run(job, timeout)

    async def close(self) -> None:
        await self.pool.close()


class ThreadEngine:
    kind = "memory"

    def __init__(self, store: ox.Store, threads: int) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=max(threads, 1), thread_name_prefix="dxkb-sparql-mem")

    async def run(self, job: Job, timeout: float) -> Outcome:
        future = asyncio.get_running_loop().run_in_executor(self._executor, execute, self.store, job)
        try:
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise _timeout_error(timeout, " (The in-memory store cannot stop a running query: it finishes in the "
                                          "background. Serve a built store folder for killable workers.)") from None

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class RemoteEngine:
    """Pass-through to a remote SPARQL 1.1 endpoint; the remote's own limits apply, plus our timeout."""

    kind = "sparql"

    def __init__(self, target: SparqlTarget) -> None:
        assert target.endpoint is not None and target.client is not None
        self.url = target.endpoint
        self._client = target.client

    async def run(self, job: Job, timeout: float) -> Outcome:
        refusal = screen(job.query, allow_service=job.allow_service)
        if refusal:
            return Outcome.refused(refusal)
        accept = ", ".join(BY_NAME[name].media_type for name in (job.results_format, job.graph_format) if name)
        extra = [("default-graph-uri", g) for g in job.default_graphs] \
            + [("named-graph-uri", g) for g in job.named_graphs]
        try:
            response = await asyncio.to_thread(self._client.query, self.url, job.query, accept=accept, extra=extra,
                                               timeout=timeout, retry=False, check=False)
        except StoreTimeout:
            raise _timeout_error(timeout) from None
        except StoreUnavailable as error:
            raise EndpointError(502, f"the remote SPARQL store did not answer: {error}") from None
        if response.status_code >= 500:
            raise EndpointError(502, f"the remote SPARQL store failed ({response.status_code}): "
                                     f"{response.text[:2000]}")
        if response.status_code != 200:
            return Outcome.error(response.status_code, response.text[:10000])
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        for fmt in RESULT_FORMATS + GRAPH_FORMATS:
            if fmt.name in (job.results_format, job.graph_format) and fmt.matches(media):
                return Outcome(200, response.content, fmt.name)
        raise EndpointError(502, f"the remote SPARQL store answered with an unexpected type {media!r}")

    async def close(self) -> None:
        """The client belongs to the knowledge base's store, which closes it."""


def engine_for(settings: Settings, kb: KnowledgeBase) -> Engine:
    """The engine matching what the knowledge base's store offers."""
    target = kb.sparql_target()
    if target.database is not None:
        return PoolEngine(WorkerPool(target.database, size=settings.sparql_workers,
                                     memory_mb=settings.sparql_memory_mb))
    if target.native is not None:
        return ThreadEngine(target.native, settings.sparql_workers)
    return RemoteEngine(target)
