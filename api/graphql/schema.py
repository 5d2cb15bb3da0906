"""The Strawberry schema with the protections of api/graphql/limits.py."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.types import ExecutionContext

from dxkb.api.graphql.errors import is_user_error
from dxkb.api.graphql.limits import extensions
from dxkb.api.graphql.resolvers import Query
from dxkb.kb.settings import Settings

log = logging.getLogger("dxkb.api.graphql")


class Schema(strawberry.Schema):
    """Logs client mistakes quietly; failures of ours (with their traceback) once, in ErrorCodes."""

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            if is_user_error(error):
                log.debug("client error: %s", error.message)


def build_schema(settings: Settings) -> Schema:
    return Schema(query=Query, extensions=extensions(settings))


def sdl(settings: Settings | None = None) -> str:
    """The schema in SDL: what frontends generate their types from (and what the fuzz tests walk)."""
    return build_schema(settings or Settings()).as_str()
