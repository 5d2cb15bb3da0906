"""Where a query runs, by what the service's store offers (``KnowledgeBase.sparql_target``):

- a database folder (the embedded store): a pool of worker processes, killed at the deadline (pool.py);
- an in-process store (``memory:``): evaluated in a thread (a timeout answers the client, but the thread cannot be
  stopped - fine for tests and experiments, which is what ``memory:`` is for);
- a remote endpoint: passed through with the same screening and timeout, over the store's own HTTP client.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, Mapping, Protocol

import pyoxigraph as ox

from dxkb.api.sparql.errors import EndpointError
from dxkb.api.sparql.execution import Job, Outcome, answer_ask, answer_graph, answer_select, execute
from dxkb.api.sparql.pool import WorkerPool
from dxkb.api.sparql.screening import keywords, operation, screen
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
    """Pass-through to a remote SPARQL 1.1 endpoint with this endpoint's own rules: the same screening, our
    timeout, and our row cap and truncation markers. The upstream is asked for a format we can read (SPARQL JSON
    for SELECT/ASK, N-Triples for CONSTRUCT/DESCRIBE), and the answer is re-serialised by the same writers as a
    local one, cut at DXKB_SPARQL_MAX_ROWS: a remote store never sends an unbounded body or loses the
    ``X-DXKB-Truncated``/``X-DXKB-Result-Limit`` headers. An upstream that cut its own answer (a dxkb server's
    ``X-DXKB-Truncated: true``) makes ours truncated too, at the smaller cap."""

    kind = "sparql"

    def __init__(self, target: SparqlTarget) -> None:
        assert target.endpoint is not None and target.client is not None
        self.url = target.endpoint
        self._client = target.client

    async def run(self, job: Job, timeout: float) -> Outcome:
        refusal = screen(job.query, allow_service=job.allow_service)
        if refusal:
            return Outcome.refused(refusal)
        graph_form = operation(keywords(job.query)) in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples" if graph_form else "application/sparql-results+json"
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
        upstream = _upstream_limit(response.headers)
        capped = job if upstream is None else replace(job, max_rows=min(job.max_rows, upstream))
        try:
            return await asyncio.to_thread(_reserialise, response.content, graph_form, capped, job.max_rows,
                                           upstream is not None)
        except (SyntaxError, ValueError, OSError) as error:
            media = response.headers.get("content-type", "").split(";")[0].strip().lower()
            raise EndpointError(502, f"the remote SPARQL store sent an unreadable {media or 'untyped'} answer: "
                                     f"{' '.join(str(error).split())[:300]}") from None

    async def close(self) -> None:
        """The client belongs to the knowledge base's store, which closes it."""


def _upstream_limit(headers: Mapping[str, str]) -> int | None:
    """The upstream's row cap when it says it cut the answer (a dxkb server), else None."""
    if headers.get("x-dxkb-truncated", "").strip().lower() != "true":
        return None
    limit = headers.get("x-dxkb-result-limit", "").strip()
    return int(limit) if limit.isdigit() else None


def _reserialise(body: bytes, graph_form: bool, job: Job, our_limit: int, upstream_cut: bool) -> Outcome:
    """Parse the upstream's answer and write it as a local answer is written, cut at our cap. Runs in one
    thread from start to end: pyoxigraph's result iterators must be dropped on the thread that made them."""
    parsed: Any = None
    try:
        if graph_form:
            parsed = ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
            outcome = answer_graph((quad.triple for quad in parsed), job)
        else:
            parsed = ox.parse_query_results(_standard_json(body), format=ox.QueryResultsFormat.JSON)
            outcome = (answer_ask(bool(parsed), job) if isinstance(parsed, ox.QueryBoolean)
                       else answer_select(parsed, job))
    except (SyntaxError, ValueError, OSError) as error:
        parsed = None
        raise ValueError(" ".join(str(error).split())[:300]) from None
    finally:
        parsed = None
    if upstream_cut and outcome.status == 200 and outcome.limit is not None:
        outcome = replace(outcome, truncated=True)
    return outcome


def _standard_json(body: bytes) -> bytes:
    """SPARQL JSON results with only the members the standard defines (``head``, ``results``, ``boolean``):
    pyoxigraph's parser refuses others, such as the ``dxkb`` note a dxkb server adds to a cut answer."""
    document = json.loads(body)
    if not isinstance(document, dict):
        raise ValueError("the SPARQL JSON answer is not an object")
    return json.dumps({k: v for k, v in document.items() if k in ("head", "results", "boolean")}).encode("utf-8")


def engine_for(settings: Settings, kb: KnowledgeBase) -> Engine:
    """The engine matching what the knowledge base's store offers."""
    target = kb.sparql_target()
    if target.database is not None:
        return PoolEngine(WorkerPool(target.database, size=settings.sparql_workers,
                                     memory_mb=settings.sparql_memory_mb))
    if target.native is not None:
        return ThreadEngine(target.native, settings.sparql_workers)
    return RemoteEngine(target)
