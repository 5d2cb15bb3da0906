"""The GraphQL door (Strawberry). Placeholder until the GraphQL issue lands its schema here."""

from __future__ import annotations

from starlette.routing import BaseRoute


def graphql_routes(settings, kb) -> list[BaseRoute]:
    return []
