"""The body of a SPARQL worker process: open the store read-only, answer jobs from a pipe until told to stop.

A worker is disposable by design. The pool kills it at a query's deadline (Oxigraph cannot cancel a running
query, e.g. an ORDER BY over a cross product), and the operating system then takes back its CPU and memory.
The worker also protects the machine: it caps its address space (a runaway query aborts the worker instead of
swapping the host), runs at idle priority off the first CPU (the web process keeps a CPU for GraphQL) and dies
with its parent.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
from multiprocessing.connection import Connection

READY = "ready"
FAILED = "failed"


PROCESS_NAME = b"dxkb-sparql"  # /proc/<pid>/comm of a worker: how operators (and tests) find them


def _linux_setup() -> None:
    """Linux only: name the process, and SIGKILL it when the server process goes away, even if that was killed."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(15, ctypes.c_char_p(PROCESS_NAME), 0, 0, 0)  # PR_SET_NAME
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def yield_cpu(pid: int, *, pin: bool = True) -> None:
    """Make a worker (0 = this process) give way to the web process, which answers GraphQL on the same machine:

    - SCHED_IDLE: the worker runs only when no normal task wants the CPU (the lowest nice level where that
      policy is not allowed);
    - on a machine with two or more CPUs, the worker stays off the first one, so the web process always has a
      CPU of its own, untouched by page faults and cache traffic of a runaway query (bench/sparql_isolation_bench.py
      measured the p95 of a GraphQL request under two explosive queries at 3-5 ms pinned vs 12 ms unpinned).

    Threads the worker starts later (Oxigraph's) inherit both. Called by the pool right after spawning (before
    the child's imports compete for the CPU; ``pin``: the CPU set is the server's) and by the worker itself.
    """
    if pin:
        try:
            cpus = sorted(os.sched_getaffinity(0))
            if len(cpus) >= 2:
                os.sched_setaffinity(pid, cpus[1:])
        except (AttributeError, OSError):
            pass
    try:
        os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 19)
        except (AttributeError, OSError):
            pass


def _limit_memory(megabytes: int) -> None:
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def main(conn: Connection, database: str, memory_mb: int, parent_pid: int) -> None:
    """Serve jobs until the pipe closes (the server stopped or went away) or a ``None`` job arrives."""
    _linux_setup()
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        return
    yield_cpu(0, pin=False)
    _limit_memory(memory_mb)
    import pyoxigraph as ox

    from dxkb.api.sparql.execution import Outcome, execute, resident_kb

    try:
        store = ox.Store.read_only(database)
    except (OSError, ValueError, RuntimeError) as error:  # RuntimeError: RocksDB "Corruption: ..."
        conn.send((FAILED, f"cannot open the store at {database}: {' '.join(str(error).split())[:300]}"))
        return
    conn.send((READY, os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the pool closed the pipe: shut down
        if job is None:
            return
        try:
            outcome = execute(store, job)
        except Exception as error:  # execute() already maps expected errors; this is the last line of defence
            outcome = Outcome.error(500, f"internal error while answering the query: {type(error).__name__}")
        try:
            conn.send(_with_rss(outcome, resident_kb()))
        except (BrokenPipeError, OSError):
            return


def _with_rss(outcome, rss_kb: int | None):
    from dataclasses import replace

    return replace(outcome, worker_rss_kb=rss_kb)


if __name__ == "__main__":  # python -m api.sparql.worker FD DATABASE MEMORY_MB PARENT_PID (see pool.spawn)
    _fd, _database, _memory_mb, _parent = sys.argv[1:5]
    main(Connection(int(_fd)), _database, int(_memory_mb), int(_parent))
