"""The GraphQL door for frontends (Strawberry): the contract of shared/DESIGN.md at ``/graphql``.

Modules: ``types`` (the contract), ``resolvers`` (Query: one kb call each, in a worker thread), ``loaders``
(DataLoaders batching nested look-ups), ``convert`` (kb objects -> GraphQL objects), ``pagination`` (Relay pages),
``errors`` (extensions.code for every error), ``limits`` (depth/alias/token limits, caches, introspection switch),
``http`` (GraphQL over HTTP: content negotiation, status codes, clear 4xx answers), ``schema`` (assembly).
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from dxkb.kb.service import KnowledgeBase
from dxkb.kb.settings import Settings


def graphql_routes(settings: Settings, kb: KnowledgeBase) -> list[BaseRoute]:
    from dxkb.api.graphql.http import STATIC, GraphQLView
    from dxkb.api.graphql.schema import build_schema

    # /graphql/static: the GraphiQL page's own script and style (GraphiQL and React come from /static/vendor)
    return [Route("/graphql", GraphQLView(build_schema(settings), kb, settings)),
            Mount("/graphql/static", StaticFiles(directory=STATIC), name="graphql-static")]
