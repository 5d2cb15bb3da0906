"""Run the app on uvicorn (one or more worker processes)."""

from __future__ import annotations

import os

import uvicorn

from dxkb.kb.settings import Settings


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
    uvicorn.run("dxkb.api.server:app_factory", factory=True, host=settings.host, port=settings.port,
                workers=settings.workers, log_level="info", proxy_headers=False, server_header=False)
