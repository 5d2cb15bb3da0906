"""The doors' shared fixture: one real uvicorn process on the curated store for the GraphQL and web-app tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import LiveServer, start_server


@pytest.fixture(scope="session")
def live_server(curated_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real uvicorn process on the curated store, with the default settings (limits, GraphiQL, introspection)."""
    server = start_server(str(curated_store), tmp_path_factory.mktemp("live-server"))
    yield server
    server.stop()
