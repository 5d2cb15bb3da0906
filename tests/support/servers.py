"""Real uvicorn servers on 127.0.0.1 and the clients the HTTP tests drive them with.

The HTTP tests drive a real server process over loopback (as frontends will); in-process apps are only for what
a live server cannot show (e.g. an exception inside a resolver).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(process: subprocess.Popen, timeout: float = 15.0) -> None:
    """Terminate a server process, kill it if it does not end in time; a process already gone is fine."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class LiveServer:
    """A uvicorn process serving dxkb.api.server:app_factory; ``log`` holds its output for failure messages."""

    url: str
    process: subprocess.Popen
    log: Path

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop_process(self.process)


def start_server(store: str, log_dir: Path, *, healthy_status: tuple[int, ...] = (200,),
                 env: dict[str, str] | None = None, timeout: float = 60.0) -> LiveServer:
    """Start ``python -m uvicorn dxkb.api.server:app_factory --factory`` on a free loopback port; wait for /healthz."""
    port = free_port()
    log = log_dir / f"uvicorn-{port}.log"
    environment = {**os.environ, "DXKB_STORE": store, "PYTHONUNBUFFERED": "1", **(env or {})}
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "dxkb.api.server:app_factory", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log"],
            cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    server = LiveServer(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=2).status_code in healthy_status:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"uvicorn not answering /healthz after {timeout} s:\n{server.output()}")


class GraphQLClient:
    """Posts GraphQL requests as a frontend does; returns status and decoded body."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def post(self, query: str, variables: dict[str, Any] | None = None, *,
             accept: str = "application/graphql-response+json", **extra: Any) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        body.update(extra)
        return self.http.post("/graphql", json=body, headers={"accept": accept})

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a request that must succeed (asserts: no errors, status 200)."""
        response = self.post(query, variables)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def errors(self, query: str, variables: dict[str, Any] | None = None, **kwargs: Any) -> list[dict[str, Any]]:
        body = self.post(query, variables, **kwargs).json()
        assert body.get("errors"), body
        return body["errors"]


class InProcess:
    """The ASGI app called in-process through httpx (for what a live server cannot show, e.g. a planted bug)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                response = await client.request(method, url, **kwargs)
                await response.aread()
                return response

        return asyncio.run(send())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)
