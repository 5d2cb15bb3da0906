"""The store backend compliance suite's parameter: the same curated knowledge base on every backend."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session", params=["embedded", "memory", "oxigraph", "virtuoso"])
def store_location(request: pytest.FixtureRequest, curated_store: Path) -> str:
    """The same curated knowledge base on each backend: a store folder, ``memory:`` (filled from the curated
    sources when the service opens it) or a SPARQL endpoint URL."""
    if request.param == "embedded":
        return str(curated_store)
    if request.param == "memory":
        return "memory:"
    return request.getfixturevalue(f"{request.param}_server").query_url
