"""The SPARQL door. Placeholder until the SPARQL issue lands its endpoint here."""

from __future__ import annotations

from starlette.routing import BaseRoute


def sparql_routes(settings, kb) -> list[BaseRoute]:
    return []
