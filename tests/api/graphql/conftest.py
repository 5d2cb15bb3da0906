"""The GraphQL tests' fixtures: clients of the real uvicorn process on the curated store (tests/api/conftest.py).

tests/api/graphql/test_http.py overrides ``live_server``, ``http`` and ``gql`` with module-scoped ones that are
parametrised over the backends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.servers import GraphQLClient, LiveServer, start_server


@pytest.fixture(scope="session")
def http(live_server: LiveServer) -> Iterator[httpx.Client]:
    """A keep-alive client of the live server."""
    with httpx.Client(base_url=live_server.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def gql(http: httpx.Client) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture(scope="session")
def hpo_gql(hpo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphQLClient]:
    """A GraphQL client of a real uvicorn process on the HPO store (started once per session)."""
    # The first requests load the HPO annotations themselves while the server warms up in the background (several
    # seconds on a loaded machine): these tests check answers, not the deadline, so they get a generous one.
    server = start_server(str(hpo_store), tmp_path_factory.mktemp("hpo-server"), timeout=240.0,
                          env={"DXKB_GRAPHQL_TIMEOUT": "120"})
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            yield GraphQLClient(client)
    finally:
        server.stop()
