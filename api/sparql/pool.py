"""A pool of SPARQL worker processes that can be killed at a query's deadline.

    pool = WorkerPool(Path("/path/to/store/builds/<id>"), size=2, memory_mb=2048)
    outcome = await pool.run(job, timeout=10.0)   # raises PoolError (503/504) when it cannot answer in time
    await pool.close()

Why processes: Oxigraph has no way to cancel a query from outside (an ORDER BY materialises everything first),
and a thread cannot be killed. A process can: at the deadline the pool SIGKILLs the worker, so the query's CPU
and memory go back to the system at once, and starts a fresh worker in the background. Why the event loop never
blocks: every wait on a worker happens in a helper thread that sleeps in ``poll()`` (no GIL held), and workers
serialise their answer themselves, so the web process only copies finished bytes.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from dxkb.api.sparql import worker as worker_module
from dxkb.api.sparql.errors import EndpointError
from dxkb.api.sparql.execution import Job, Outcome

log = logging.getLogger("dxkb.sparql")
STARTUP_TIMEOUT = 60.0  # seconds for a worker to open the store
#: How long a query may wait for a free worker, as a share of DXKB_SPARQL_TIMEOUT, before it is answered
#: 503 + Retry-After. Once it has a worker it gets the full time limit of its own, so a client waits at most
#: (1 + QUEUE_SHARE) x the time limit. A worker replaced after a kill needs ~1-2 s to start on a loaded machine:
#: a shorter wait would turn that gap into 503s.
QUEUE_SHARE = 1.0


class PoolError(EndpointError):
    """The pool could not answer in time or at all (503/504/500)."""


@dataclass(frozen=True)
class StartFailure:
    """Put in the idle queue when a worker cannot start, so a waiting request fails fast with the reason."""

    message: str
    at: float = field(default_factory=time.monotonic)


class Worker:
    """One worker process and the server's end of its socket."""

    def __init__(self, process: subprocess.Popen, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.pid: int = process.pid
        self._kill_lock = threading.Lock()  # stop() and a query's own thread may kill the same worker at once
        self._closed = False

    def call(self, job: Job, timeout: float) -> tuple[str, Any]:
        """Blocking (run in a helper thread): ("ok", Outcome) | ("timeout", None) | ("died", exitcode)."""
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                return "timeout", None
            return "ok", self.conn.recv()
        except (EOFError, OSError):
            return "died", self._wait(5)

    def _wait(self, timeout: float) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL and reap: the operating system frees the query's memory now, not when it finishes. Idempotent
        and safe from two threads at once (closing one descriptor twice would close another's, or fail)."""
        with self._kill_lock:
            if self.process.poll() is None:
                self.process.kill()
            self._wait(5)
            if not self._closed:
                self._closed = True
                self.conn.close()


def spawn(database: str, memory_mb: int) -> tuple[subprocess.Popen, Connection]:
    """Start ``python -m dxkb.api.sparql.worker`` with one end of a socket pair as an inherited descriptor.

    A plain subprocess rather than multiprocessing's spawn: the worker imports only what it needs (not the
    server's ``__main__`` - uvicorn, a console script, or nothing re-importable at all for ``python -c``), and
    no resource-tracker process comes along.
    """
    parent_end, child_end = multiprocessing.Pipe(duplex=True)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "dxkb.api.sparql.worker", str(child_end.fileno()), database, str(memory_mb),
             str(os.getpid())], pass_fds=(child_end.fileno(),), stdin=subprocess.DEVNULL)
    finally:
        child_end.close()
    return process, parent_end


class WorkerPool:
    """``size`` workers over one build's database (the one the serving process pinned when it opened the store,
    so workers started after a rebuild still answer from the same build); started lazily inside the event loop."""

    def __init__(self, database: Path, *, size: int = 2, memory_mb: int = 2048,
                 recycle_rss_mb: int | None = None) -> None:
        if size < 1:
            raise ValueError(f"the SPARQL worker pool needs at least one worker (got {size})")
        self.database = Path(database)
        self.size = size
        self.memory_mb = memory_mb
        # A worker that kept much memory after a heavy (but finished) query is replaced rather than reused.
        self.recycle_rss_kb = (recycle_rss_mb if recycle_rss_mb is not None
                               else (memory_mb // 2 if memory_mb > 0 else 1024)) * 1024
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: asyncio.Queue[Worker | StartFailure] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._workers: set[Worker] = set()
        self._pending = 0  # workers alive or starting
        self._closed = False

    # ------------------------------------------------------------------ lifecycle
    def _ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        _stop_all(list(self._workers))  # workers of a previous event loop (tests) cannot be reached any more
        self._loop = loop
        self._idle = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=2 * self.size + 2, thread_name_prefix="dxkb-sparql")
        self._workers.clear()
        self._pending = 0

    async def start(self) -> None:
        """Start the workers now (optional: ``run`` starts them on first use)."""
        self._ensure_started()
        self._top_up()

    def _top_up(self) -> None:
        while not self._closed and self._pending < self.size:
            self._pending += 1
            assert self._executor is not None
            self._executor.submit(self._start_one)

    def _start_one(self) -> None:
        """In a helper thread: spawn a worker and wait until it has opened the store."""
        database = str(self.database)
        if not os.path.isdir(database):
            self._settle_start(None, f"the store's database {database} does not exist (run `dxkb build`, then "
                                     "restart the server to serve the new build)")
            return
        try:
            process, parent_end = spawn(database, self.memory_mb)
        except OSError as error:
            self._settle_start(None, f"cannot start a SPARQL worker process: {error}")
            return
        worker_module.yield_cpu(process.pid)  # before the child's imports start competing for the CPU
        worker = Worker(process, parent_end)
        try:
            if not parent_end.poll(STARTUP_TIMEOUT):
                worker.kill()
                self._settle_start(None, f"a SPARQL worker did not open the store within {STARTUP_TIMEOUT:g} s")
                return
            status, detail = parent_end.recv()
        except (EOFError, OSError):
            worker.kill()
            self._settle_start(None, f"a SPARQL worker exited while opening the store (exit code "
                                     f"{process.returncode})")
            return
        if status != worker_module.READY:
            worker.kill()
            self._settle_start(None, str(detail))
            return
        self._settle_start(worker, None)

    def _settle_start(self, worker: Worker | None, failure: str | None) -> None:
        def settle() -> None:
            assert self._idle is not None
            if worker is None:
                self._pending -= 1
                log.error("SPARQL worker failed to start: %s", failure)
                self._idle.put_nowait(StartFailure(failure or "a SPARQL worker failed to start"))
            elif self._closed:
                worker.kill()
            else:
                self._workers.add(worker)
                self._idle.put_nowait(worker)

        self._call_in_loop(settle)

    def _retire(self, worker: Worker) -> None:
        """In the loop: forget a dead or killed worker and start its replacement."""
        self._workers.discard(worker)
        self._pending -= 1
        self._top_up()

    def _call_in_loop(self, callback: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(callback)
        except RuntimeError:  # the loop closed meanwhile (server shutting down)
            pass

    async def close(self) -> None:
        """Stop every worker; pending queries fail. Safe to call twice."""
        self._closed = True
        workers = list(self._workers)
        self._workers.clear()
        if self._executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, _stop_all, workers)
            self._executor.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        return sorted(w.pid for w in self._workers)

    # ------------------------------------------------------------------ queries
    async def run(self, job: Job, timeout: float) -> Outcome:
        """The worker's Outcome, or PoolError: 504 at the deadline, 503 when no worker can take the query."""
        if self._closed:
            raise PoolError(503, "the SPARQL endpoint is shutting down")
        self._ensure_started()
        self._top_up()
        assert self._idle is not None and self._executor is not None and self._loop is not None
        started = time.monotonic()
        item = await self._acquire(started, timeout * QUEUE_SHARE)
        # Once it has a worker the query gets the whole time limit of its own: a query that waited in the queue
        # must not be stopped with a misleading "after 10 s" when it ran for a fraction of that.
        future = self._executor.submit(self._call, item, job, timeout)
        verdict, detail = await asyncio.wrap_future(future, loop=self._loop)
        if verdict == "ok":
            return detail
        if self._closed:
            raise PoolError(503, "the SPARQL endpoint is shutting down")
        if verdict == "timeout":
            raise PoolError(504, f"query stopped after {timeout:g} s, the time limit of this endpoint "
                                 "(DXKB_SPARQL_TIMEOUT); no partial result is sent. Narrow the query "
                                 "(VALUES, more specific patterns, LIMIT without ORDER BY) or run it locally")
        if detail == -signal.SIGABRT:
            raise PoolError(503, f"query stopped: it needed more than the {self.memory_mb} MB a SPARQL worker "
                                 "may use (DXKB_SPARQL_MEMORY_MB); narrow the query")
        raise PoolError(500, f"the SPARQL worker answering this query crashed (exit code {detail})")

    async def _acquire(self, started: float, timeout: float) -> Worker:
        """An idle worker; a start failure that happened while this request waited fails it with the reason
        (older ones are stale: the store may have been built since)."""
        assert self._idle is not None
        while True:
            remaining = timeout - (time.monotonic() - started)
            try:
                item = await asyncio.wait_for(self._idle.get(), max(remaining, 0.0))
            except asyncio.TimeoutError:
                raise PoolError(503, f"all {self.size} SPARQL workers stayed busy for {timeout:g} s (the queue "
                                     "wait limit, DXKB_SPARQL_TIMEOUT); try again later",
                                {"Retry-After": str(max(1, math.ceil(timeout)))}) from None
            if isinstance(item, Worker):
                return item
            if item.at >= started - 1.0:
                raise PoolError(503, f"the SPARQL endpoint cannot reach the store: {item.message}")

    def _call(self, worker: Worker, job: Job, timeout: float) -> tuple[str, Any]:
        """In a helper thread: run the job and settle the worker's fate whether or not anyone still waits."""
        verdict, detail = worker.call(job, timeout)
        if verdict == "ok" and not (detail.worker_rss_kb and detail.worker_rss_kb > self.recycle_rss_kb):
            self._call_in_loop(lambda: self._idle.put_nowait(worker) if not self._closed else worker.kill())
            return verdict, detail
        if verdict == "ok":
            log.info("recycling SPARQL worker %s (resident %s kB after a query)", worker.pid, detail.worker_rss_kb)
        elif verdict == "timeout":
            log.warning("SPARQL query exceeded %.1f s; killing worker %s", timeout, worker.pid)
        else:
            log.error("SPARQL worker %s died (exit code %s)", worker.pid, detail)
        worker.kill()
        self._call_in_loop(lambda: self._retire(worker))
        return verdict, detail


def _stop_all(workers: list[Worker]) -> None:
    """Kill without asking: workers only read a read-only store, so there is nothing to flush or lose."""
    for worker in workers:
        worker.kill()
