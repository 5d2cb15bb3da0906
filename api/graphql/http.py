"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/): Strawberry's ASGI view, made strict.

What this adds to Strawberry's view:

- content negotiation: ``application/graphql-response+json`` when the client asks for it (then parse, validation
  and variable errors are ``400`` and the body has no ``data``), ``application/json`` otherwise (``200`` for every
  GraphQL result, as legacy clients expect); ``406`` when neither is acceptable;
- clear 4xx answers with a GraphQL-shaped JSON body for everything that is not a GraphQL request: malformed JSON
  (400), a body that is not an object (400), bad ``operationName``/``variables``/``extensions`` (400), a missing
  or wrong Content-Type (415), a body over the size limit (413), other methods (405) and mutations over GET (405);
- no WebSocket transport (there are no subscriptions).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from dxkb.api.graphql.context import Context
from dxkb.api.graphql.errors import INTERNAL, INTERNAL_MESSAGE, TIMEOUT, WARMING_UP, classify
from dxkb.kb.service import KnowledgeBase, deadline
from dxkb.kb.settings import Settings

log = logging.getLogger("dxkb.api.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1_000_000  # a GraphQL document plus variables; the token limit stops far smaller ones anyway

STATIC = Path(__file__).parent / "static"
#: GraphiQL's editors set inline styles; scripts come only from this server.
GRAPHIQL_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
                   "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; frame-ancestors 'none'")


@lru_cache(maxsize=1)
def graphiql_page() -> str:
    return (STATIC / "graphiql.html").read_text(encoding="utf-8")


_HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE",
               413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 500: INTERNAL}


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header; None when the client accepts neither JSON type.

    An exact mention beats a wildcard; on a tie between exact mentions the GraphQL response type wins (clients
    that list it understand it), on a tie between wildcards plain JSON wins (``*/*`` means legacy clients too).
    """
    if accept is None or not accept.strip():
        return JSON
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q <= 0:
            continue
        media = media.lower()
        for candidate in (GRAPHQL_RESPONSE, JSON):
            if media == candidate:
                specificity = 2
            elif media in ("application/*", "*/*"):
                specificity = 1 if media == "application/*" else 0
            else:
                continue
            preferred = int((candidate == GRAPHQL_RESPONSE) == (specificity == 2))
            score = (q, specificity, preferred)
            if best is None or score > best:
                best, chosen = score, candidate
    return chosen


def error_body(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, f"Request body larger than {MAX_BODY_BYTES:,} bytes")


def _limited(receive: Receive) -> Receive:
    """The request body, stopped at MAX_BODY_BYTES even when the client sends no Content-Length."""
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > MAX_BODY_BYTES:
                raise BodyTooLarge()
        return message

    return receive_limited


class GraphQLView(GraphQL):
    """Strawberry's ASGI view with the stricter HTTP handling described in the module docstring."""

    def __init__(self, schema: Any, kb: KnowledgeBase, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.graphiql else None, allow_queries_via_get=True,
                         subscription_protocols=(), multipart_uploads_enabled=False)
        self.kb = kb
        self.timeout = settings.graphql_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no subscriptions, so no WebSocket transport
            await send({"type": "websocket.close", "code": 1003})
            return
        request = Request(scope, receive=_limited(receive))
        try:
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                raise BodyTooLarge() if length.isdigit() else HTTPException(400, "Invalid Content-Length header")
            response = await self.run(request)
        except HTTPException as error:
            response = self.error_response(request, error.status_code, error.reason)
        except Exception:  # a bug of ours: log it, tell the client nothing about it
            log.exception("unhandled error serving /graphql")
            response = self.error_response(request, 500, INTERNAL_MESSAGE)
        await response(scope, receive, send)

    def error_response(self, request: Request, status: int, message: str) -> Response:
        media = negotiate(request.headers.get("accept")) or JSON
        headers = {"Allow": "GET, POST"} if status == 405 else None
        return JSONResponse(error_body(message, _HTTP_CODES.get(status, "BAD_REQUEST")), status_code=status,
                            headers=headers, media_type=f"{media}; charset=utf-8")

    # ------------------------------------------------------------------ request
    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page instead of Strawberry's, whose page loads React and GraphiQL from a CDN (blank
        without internet): the same GraphiQL, served by this app (static/graphiql.html, /static/vendor)."""
        return HTMLResponse(graphiql_page(), headers={"Content-Security-Policy": GRAPHIQL_POLICY})

    def should_render_graphql_ide(self, request: Any) -> bool:
        return self.graphql_ide is not None and super().should_render_graphql_ide(request)

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        media = negotiate(request.headers.get("accept"))
        if media is None and not self.should_render_graphql_ide(self.request_adapter_class(request)):
            raise HTTPException(406, f"Not acceptable: this endpoint answers with {GRAPHQL_RESPONSE} or {JSON}; "
                                     f"send an Accept header that allows one of them")
        response = await super().run(request, context, root_value)
        if isinstance(response, HTMLResponse):
            return response
        response.headers["content-type"] = f"{media}; charset=utf-8"
        retry_after = getattr(request.state, "graphql_retry_after", None)
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        if getattr(request.state, "graphql_timeout", False):
            response.status_code = 504
        elif retry_after is not None and getattr(request.state, "graphql_no_data", False):
            response.status_code = 503  # warming up, and nothing else of the request was answered
        elif media == GRAPHQL_RESPONSE and getattr(request.state, "graphql_request_error", False):
            response.status_code = 400
        return response

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "POST":
            self._check_content_type(request.content_type)
            body = await request.get_body()
            if not body.strip():
                raise HTTPException(400, "Empty request body: send a JSON object such as {\"query\": \"{ __typename }\"}")
            data = self.parse_json(body)
            if isinstance(data, list):
                raise HTTPException(400, "Batching (a JSON array of operations) is not supported: send one JSON "
                                         "object with a \"query\" member per request")
            if not isinstance(data, dict):
                raise HTTPException(400, f"The request body must be a JSON object with a \"query\" member, "
                                         f"not a JSON {type(data).__name__}")
            operation = data.get("operationName")
            if operation is not None and not isinstance(operation, str):
                raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, "
                                         "if provided.")
        return await super().parse_http_body(request)

    @staticmethod
    def _check_content_type(content_type: str | None) -> None:
        if not content_type:
            raise HTTPException(415, f"Missing Content-Type header: send the request body as {JSON}")
        media, *params = (p.strip() for p in content_type.split(";"))
        if media.lower() != JSON:
            raise HTTPException(415, f"Unsupported Content-Type {media!r}: send the request body as {JSON}")
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
                raise HTTPException(415, f"Unsupported charset {value.strip()!r}: send the request body as UTF-8")

    def parse_json(self, data: str | bytes) -> Any:
        try:
            # Decode explicitly: json.loads would guess UTF-16/32 from the bytes, and the spec says UTF-8.
            return super().parse_json(data.decode("utf-8-sig") if isinstance(data, bytes) else data)
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8") from None
        except HTTPException:
            raise HTTPException(400, "Malformed JSON in the request: the body (or the `variables`/`extensions` "
                                     "query parameter) does not parse as JSON") from None
        except RecursionError:
            raise HTTPException(400, "The JSON of the request is nested too deeply") from None
        except ValueError as error:  # json.loads: an integer of more than 4,300 digits (int_max_str_digits)
            raise HTTPException(400, "A number in the JSON of the request is too large (more than "
                                     f"{sys.get_int_max_str_digits():,} digits): "
                                     f"{' '.join(str(error).split())[:160]}") from None

    async def execute_single(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """Execute within the request's time limit (DXKB_GRAPHQL_TIMEOUT). At the deadline the operation's task
        is cancelled, so no further resolver starts, and kb calls already handed to worker threads find the
        deadline passed before their next store query (service.deadline): the threads are free again within one
        store call, whether or not the client is still there. The answer is 504 with code TIMEOUT."""
        request, data = kwargs.get("request"), kwargs.get("request_data")
        if request is not None and data is not None:
            # Strawberry's ExecutionContext.operation_name falls back to the first operation's name; the rule
            # "several operations need operationName" (limits.RequestRules) needs what the client sent.
            request.state.operation_name_sent = data.operation_name is not None
        try:
            with deadline(self.timeout):
                return await asyncio.wait_for(super().execute_single(*args, **kwargs), self.timeout)
        except asyncio.TimeoutError:
            if request is not None:
                request.state.graphql_timeout = True
            log.warning("graphql request stopped at its time limit of %g s", self.timeout)
            return ExecutionResult(data=None, errors=[GraphQLError(
                f"The request was stopped after {self.timeout:g} s, the time limit of this endpoint "
                "(DXKB_GRAPHQL_TIMEOUT); no partial result is sent. Ask for less (fewer items or aliases).",
                extensions={"code": TIMEOUT})])
        except HTTPException as error:
            if isinstance(error.__cause__, InvalidOperationTypeError):
                raise HTTPException(405, "Only queries are allowed over GET (and this API has no mutations)") from None
            raise

    async def get_context(self, request: Any, response: Any) -> Context:
        return Context(kb=self.kb, request=request, response=response)

    # ------------------------------------------------------------------ response
    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """The response body. Errors raised before execution (parse, validation, variables) leave no ``data``
        entry, as the GraphQL spec says; ``run`` then answers 400 to clients that accept the GraphQL type."""
        errors = [e if (e.extensions or {}).get("code") else classify(e, "execute") for e in result.errors or ()]
        request_error = result.data is None and bool(errors) and all(e.path is None for e in errors)
        body: GraphQLHTTPResponse = {}
        if errors:
            body["errors"] = [e.formatted for e in errors]
        if not request_error:
            body["data"] = result.data
        if result.extensions:
            body["extensions"] = result.extensions
        if request_error:
            request.state.graphql_request_error = True
        waits = [e.extensions["retryAfter"] for e in errors if (e.extensions or {}).get("code") == WARMING_UP]
        if waits:
            request.state.graphql_retry_after = max(waits)
            request.state.graphql_no_data = result.data is None
        return body
