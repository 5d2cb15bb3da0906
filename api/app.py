"""The ASGI application: assembles the GraphQL and SPARQL doors over one knowledge base."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dxkb.api.sparql import start_sparql, stop_sparql
from dxkb.kb.service import KnowledgeBase
from dxkb.kb.settings import Settings


log = logging.getLogger("dxkb.api")


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    kb = kb or KnowledgeBase(settings)

    async def healthz(_request: Request) -> JSONResponse:
        from dxkb.api.health import store_health

        status = await store_health(kb)
        return JSONResponse(status, status_code=200 if status["status"] == "ok" else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    from dxkb.api.graphql import graphql_routes  # the GraphQL door (api/graphql/)
    from dxkb.api.sparql import sparql_routes  # the SPARQL door (api/sparql/)

    routes += graphql_routes(settings, kb)
    routes += sparql_routes(settings, kb)
    from dxkb.api.web import web_routes  # the clinician web app at / and the static files (api/static/)

    routes += web_routes()
    middleware = []
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"]))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        # Load the label indexes, steps and annotations in the background (a thread: they are store queries), so
        # the server answers at once; diagnoses wait for it within their time limit, or get WARMING_UP. A store
        # that does not answer yet must not stop the server: /healthz reports it and requests fail cleanly.
        kb.warm_in_background(lambda error: log.error("could not load the knowledge base indexes at start-up: %s",
                                                      error))
        await start_sparql()  # the SPARQL worker processes start with the server and stop with it
        try:
            yield
        finally:
            await stop_sparql()

    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.kb = kb
    app.state.settings = settings
    return app
