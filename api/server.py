"""Run the app on uvicorn (one or more worker processes).

Several workers each listen on their own socket bound with SO_REUSEPORT, so the kernel spreads new connections
over them. uvicorn's own ``--workers`` shares one listening socket, and whichever worker wakes first accepts: 16
keep-alive clients connecting at once could all land on one worker while the other idled (the load benchmark saw
40 to 111 answers/s from run to run with 2 workers, depending on that split).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import time

import uvicorn

from dxkb.kb.settings import Settings

#: What every worker runs, with the same options whether uvicorn or :func:`_run_balanced` starts it.
APP = "dxkb.api.server:app_factory"
UVICORN_OPTIONS: dict = {"factory": True, "log_level": "info", "proxy_headers": False, "server_header": False}

#: A worker that exits sooner than this after its start is not restarted: the server stops with its exit code.
WORKER_MIN_LIFE = 10.0


def app_factory():
    """uvicorn factory: each worker process opens the store itself (read-only, shared on disk)."""
    from dxkb.api.app import create_app

    return create_app(Settings.from_env())


def run(settings: Settings, build: str | None = None) -> None:
    # Workers are separate processes: hand them the settings through the environment they read. ``build`` (the
    # build the command checked) pins every worker - also one uvicorn restarts later - to that build.
    os.environ["DXKB_STORE"] = settings.store
    if build is not None:
        os.environ["DXKB_BUILD"] = build
    if settings.workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        _run_balanced(settings.host, settings.port, settings.workers)
        return
    uvicorn.run(APP, host=settings.host, port=settings.port, workers=settings.workers, **UVICORN_OPTIONS)


def _listener(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _serve_worker(host: str, port: int) -> None:
    """One worker process: its own SO_REUSEPORT socket on the shared port, one uvicorn server on it."""
    sock = _listener(host, port)
    sock.listen(2048)
    uvicorn.Server(uvicorn.Config(APP, host=host, port=port, **UVICORN_OPTIONS)).run(sockets=[sock])


def _run_balanced(host: str, port: int, workers: int) -> None:
    """Start ``workers`` processes on one port and restart any that dies, until SIGINT or SIGTERM. The parent
    binds the port first (it fails here, once, when the port is taken, and port 0 becomes one real port for all)
    without listening, so it never accepts a connection itself."""
    try:
        reserved = _listener(host, port)
    except OSError as error:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {error.strerror or error}") from None
    port = reserved.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    processes = [context.Process(target=_serve_worker, args=(host, port), daemon=False) for _ in range(workers)]
    started = [time.monotonic()] * workers
    try:
        for process in processes:
            process.start()
        print(f"dxkb: {workers} workers on http://{host}:{port} (SO_REUSEPORT)", flush=True)
        while not stopping:
            time.sleep(0.5)
            for k, process in enumerate(processes):
                if process.is_alive() or stopping:
                    continue
                if time.monotonic() - started[k] < WORKER_MIN_LIFE:  # dies at start: restarting would only loop
                    raise SystemExit(f"dxkb: a worker exited with {process.exitcode} within "
                                     f"{WORKER_MIN_LIFE:.0f} s of its start; stopping (see its log above)")
                processes[k] = context.Process(target=_serve_worker, args=(host, port), daemon=False)
                processes[k].start()  # a worker died later (memory cap, crash): replace it
                started[k] = time.monotonic()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
        reserved.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
