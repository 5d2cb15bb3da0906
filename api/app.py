"""The ASGI application: assembles the GraphQL and SPARQL doors over one knowledge base."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kb.service import KnowledgeBase
from kb.settings import Settings


def create_app(settings: Settings | None = None, kb: KnowledgeBase | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    kb = kb or KnowledgeBase(settings)

    async def healthz(_request: Request) -> JSONResponse:
        from api.health import store_health

        status = await store_health(kb)
        return JSONResponse(status, status_code=200 if status["status"] == "ok" else 503)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    from api.graphql import graphql_routes  # the GraphQL door (api/graphql/)
    from api.sparql import sparql_routes  # the SPARQL door (api/sparql/)

    routes += graphql_routes(settings, kb)
    routes += sparql_routes(settings, kb)
    middleware = []
    if settings.cors_origins:
        middleware.append(Middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                                     allow_methods=["GET", "POST", "OPTIONS"], allow_headers=["*"]))
    app = Starlette(routes=routes, middleware=middleware)
    app.state.kb = kb
    app.state.settings = settings
    return app
