"""Where a query runs, by store kind: nothing above this module knows which one it got.

- ``oxigraph`` (a store folder): a pool of worker processes, killed at the deadline (pool.py);
- ``memory``: the in-process Oxigraph store, evaluated in a thread (a timeout answers the client, but the thread
  cannot be stopped - fine for tests and experiments, which is what ``memory:`` is for);
- ``sparql`` (a URL): passed through to the remote endpoint with the same screening and the same timeout.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from api.sparql.errors import EndpointError
from api.sparql.execution import Job, Outcome, execute
from api.sparql.formats import BY_NAME, GRAPH_FORMATS, RESULT_FORMATS
from api.sparql.pool import WorkerPool
from api.sparql.screening import screen
from kb.service import KnowledgeBase
from kb.settings import Settings


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

    def __init__(self, url: str, user: str | None, password: str | None) -> None:
        self.url = url
        self._client = httpx.AsyncClient(auth=(user, password or "") if user else None, follow_redirects=False)

    async def run(self, job: Job, timeout: float) -> Outcome:
        refusal = screen(job.query, allow_service=job.allow_service)
        if refusal:
            return Outcome.refused(refusal)
        accept = ", ".join(BY_NAME[name].media_type for name in (job.results_format, job.graph_format) if name)
        data = [("query", job.query)] + [("default-graph-uri", g) for g in job.default_graphs] \
            + [("named-graph-uri", g) for g in job.named_graphs]
        try:
            response = await self._client.post(self.url, content=urlencode(data).encode("ascii"), timeout=timeout,
                                               headers={"Accept": accept,
                                                        "Content-Type": "application/x-www-form-urlencoded"})
        except httpx.TimeoutException:
            raise _timeout_error(timeout) from None
        except httpx.HTTPError as error:
            raise EndpointError(502, f"the remote SPARQL store did not answer: {type(error).__name__}") from None
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
        await self._client.aclose()


def engine_for(settings: Settings, kb: KnowledgeBase) -> Engine:
    """The engine matching the knowledge base's store location."""
    location = kb.location
    if location.kind == "oxigraph":
        return PoolEngine(WorkerPool(location.target, size=settings.sparql_workers,
                                     memory_mb=settings.sparql_memory_mb))
    if location.kind == "memory":
        return ThreadEngine(kb.graph.store._inner, settings.sparql_workers)  # oxrdflib keeps the ox.Store there
    return RemoteEngine(location.target, settings.store_user, settings.store_password)
