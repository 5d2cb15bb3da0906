"""The SPARQL door for researchers: a read-only SPARQL 1.1 Protocol endpoint at /sparql.

    from dxkb.api.sparql import sparql_routes, sparql_lifespan
    app = Starlette(routes=sparql_routes(settings, kb), lifespan=sparql_lifespan)

Queries on the embedded store run in worker processes that are killed at the deadline (see pool.py); they start
on the first query. ``sparql_lifespan`` is optional: it starts the workers with the app (so the first query does
not wait for them) and stops them on shutdown (otherwise they exit with the server process).

Imports stay inside the functions: worker processes import this package, and should not pay for Starlette.
"""

from __future__ import annotations

import contextlib
import weakref
from typing import Any, AsyncIterator

_endpoints: "weakref.WeakSet[Any]" = weakref.WeakSet()


def sparql_routes(settings: Any, kb: Any) -> list[Any]:
    """The routes of /sparql, /sparql/void, /sparql/examples and /sparql/static for this knowledge base."""
    from dxkb.api.sparql.endpoint import SparqlEndpoint

    endpoint = SparqlEndpoint(settings, kb)
    _endpoints.add(endpoint)
    return endpoint.routes()


async def start_sparql() -> None:
    """Start the worker pools of every endpoint created in this process (optional warm-up)."""
    for endpoint in list(_endpoints):
        start = getattr(getattr(endpoint.engine, "pool", None), "start", None)
        if start is not None:
            await start()


async def stop_sparql() -> None:
    """Stop the worker processes and close remote connections of every endpoint created in this process."""
    for endpoint in list(_endpoints):
        await endpoint.engine.close()


@contextlib.asynccontextmanager
async def sparql_lifespan(_app: Any) -> AsyncIterator[None]:
    """A Starlette lifespan: workers up with the app, down with it."""
    await start_sparql()
    try:
        yield
    finally:
        await stop_sparql()
