"""Every GraphQL error leaves with ``extensions.code``; internal errors leave with nothing else.

Frontends branch on the code, people read the message. The codes (DESIGN.md, "API contract"):

- BAD_USER_INPUT: the request is well-formed GraphQL but an argument is wrong (unknown or empty finding IDs, a bad
  cursor, ``first`` out of range, a variable of the wrong type); carries ``suggestions`` where we have some.
- NOT_FOUND: a well-formed ID that names nothing (the nullable field is null, the error says why).
- QUERY_TOO_COMPLEX: the document breaks the depth, alias or token limit.
- GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED: the document is not GraphQL, or not valid against the schema.
- STORE_UNAVAILABLE: the store (e.g. a remote SPARQL server) is down, slow or failing; the message names it.
- TIMEOUT: the request ran past its time limit (DXKB_GRAPHQL_TIMEOUT); its remaining work was stopped (HTTP 504).
- WARMING_UP: the server is still loading the knowledge base after its start and a diagnosis could not wait for it
  within the time limit; ``extensions.retryAfter`` (and the Retry-After header) says when to send it again (HTTP
  503 when nothing else of the request was answered).
- INTERNAL: anything else. The message is fixed; the exception and its traceback go to the server log only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError, ValidationContext, ValidationRule
from graphql.language import VariableDefinitionNode
from strawberry.extensions import SchemaExtension

from dxkb.kb.errors import DeadlineExceeded, InputError, QueryError, StoreError, WarmingUp

log = logging.getLogger("dxkb.api.graphql")

BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
INTERNAL = "INTERNAL"
STORE_UNAVAILABLE = "STORE_UNAVAILABLE"
TIMEOUT = "TIMEOUT"
WARMING_UP = "WARMING_UP"

INTERNAL_MESSAGE = "Internal server error: the request could not be completed. It has been logged."
STORE_MESSAGE = "The knowledge base store is unavailable; try again later (GET /healthz shows its status):"


class ApiError(Exception):
    """An error a client caused or should know about; raised by resolvers, shown with its code and extras."""

    code = BAD_USER_INPUT

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions = {k: v for k, v in extensions.items() if v is not None}


class BadUserInput(ApiError):
    code = BAD_USER_INPUT


class NotFound(ApiError):
    code = NOT_FOUND


def coded(rule: type[ValidationRule], code: str) -> type[ValidationRule]:
    """A validation rule whose reported errors carry ``code``: how limit violations become QUERY_TOO_COMPLEX
    without matching on message texts of strawberry's limiters."""

    class Coded(rule):  # type: ignore[valid-type, misc]
        def __init__(self, context: ValidationContext) -> None:
            report = context.report_error

            def report_with_code(error: GraphQLError) -> None:
                error.extensions = {**(error.extensions or {}), "code": code}
                report(error)

            context.report_error = report_with_code  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                context.report_error = report  # type: ignore[method-assign]

    Coded.__name__ = Coded.__qualname__ = f"{code.title().replace('_', '')}{rule.__name__}"
    return Coded


def _copy(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    """A new error (errors of the validation cache are shared between requests: never mutate them)."""
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
                        original_error=None, extensions=extensions)


def _is_token_limit(error: GraphQLSyntaxError) -> bool:
    return "tokens" in error.message and "Parsing aborted" in error.message


def classify(error: GraphQLError, phase: str) -> GraphQLError:
    """The error as the client sees it. ``phase`` is where the operation stopped: parse, validate or execute."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error  # errors re-raised through nested resolvers
    if isinstance(original, ApiError):
        return _copy(error, str(original), {"code": original.code, **original.extensions})
    if isinstance(original, InputError):
        extensions: dict[str, Any] = {"code": BAD_USER_INPUT}
        if original.suggestions:
            extensions["suggestions"] = original.suggestions
        return _copy(error, str(original), extensions)
    if isinstance(original, DeadlineExceeded):
        return _copy(error, str(original), {"code": TIMEOUT})
    if isinstance(original, WarmingUp):
        return _copy(error, str(original), {"code": WARMING_UP, "retryAfter": original.retry_after})
    unavailable = _store_failure(original)
    if unavailable is not None:
        log.error("store unavailable: %s", unavailable)
        return _copy(error, f"{STORE_MESSAGE} {unavailable}", {"code": STORE_UNAVAILABLE})
    if isinstance(original, (QueryError, StoreError)):
        log.error("store failure: %s", original)
        return _copy(error, INTERNAL_MESSAGE, {"code": INTERNAL})
    if original is None or isinstance(original, GraphQLError):
        code = (error.extensions or {}).get("code")
        if code:
            return _copy(error, error.message, {**(error.extensions or {})})
        if isinstance(error, GraphQLSyntaxError) or phase == "parse":
            return _copy(error, error.message, {"code": QUERY_TOO_COMPLEX if isinstance(error, GraphQLSyntaxError)
                                                and _is_token_limit(error) else PARSE_FAILED})
        if phase == "validate":
            return _copy(error, error.message, {"code": VALIDATION_FAILED})
        if error.path is None and (not error.nodes or isinstance(error.nodes[0], VariableDefinitionNode)):
            return _copy(error, error.message, {"code": BAD_USER_INPUT})  # variable values that do not coerce
    log.error("internal error at %s: %r", error.path, original or error, exc_info=original or error)
    return _copy(error, INTERNAL_MESSAGE, {"code": INTERNAL})


def _store_failure(error: BaseException | None) -> StoreError | None:
    """The StoreError (e.g. a remote endpoint down or slow) behind an error, if any; its message names the
    endpoint without credentials."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, StoreError):
            return error
        error, seen = error.__cause__, seen + 1
    return None


def is_user_error(error: GraphQLError) -> bool:
    """Whether strawberry should log it as a failure of ours (False) or as a client's mistake (True)."""
    original = error.original_error
    return original is None or isinstance(original, (ApiError, InputError, GraphQLError, DeadlineExceeded,
                                                     WarmingUp))


class ErrorCodes(SchemaExtension):
    """Rewrites the errors of every result: codes for all, fixed text for internal ones (MaskErrors' job, with
    codes). Runs on the way out of the operation, after parse, validation and execution."""

    def __init__(self) -> None:
        self.phase = "parse"

    def on_validate(self) -> Iterator[None]:
        self.phase = "validate"
        yield

    def on_execute(self) -> Iterator[None]:
        self.phase = "execute"
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [classify(e, self.phase) for e in result.errors]
