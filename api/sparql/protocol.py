"""Read a SPARQL 1.1 Protocol request (https://www.w3.org/TR/sparql11-protocol/) into one plain object.

Three ways to send a query, all equivalent here:

    GET  /sparql?query=SELECT...&default-graph-uri=...
    POST /sparql            Content-Type: application/x-www-form-urlencoded   body: query=SELECT...
    POST /sparql?default-graph-uri=...   Content-Type: application/sparql-query   body: SELECT...

Anything the protocol forbids or this endpoint refuses (two queries, an update, a body that is not UTF-8, an IRI
that is not absolute) becomes an EndpointError naming the parameter at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import pyoxigraph as ox
from starlette.requests import Request

from dxkb.api.sparql.errors import EndpointError

MAX_BODY_BYTES = 1_000_000  # a query longer than this is not a query a person wrote
MAX_FIELDS = 1000  # parameters per query string or form body
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
READ_ONLY = ("SPARQL Update is refused: this endpoint is read-only and answers only SELECT, ASK, CONSTRUCT "
             "and DESCRIBE queries")


@dataclass(frozen=True)
class SparqlRequest:
    query: str | None
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()  # values of ?format= (browsers, SPARQLWrapper)


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def _charset(header: str | None) -> str:
    for param in (header or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"').lower()
    return "utf-8"


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise EndpointError(413, f"request body of {declared} bytes is larger than the {MAX_BODY_BYTES} allowed")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise EndpointError(413, f"request body is larger than the {MAX_BODY_BYTES} bytes allowed")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(body: bytes, charset: str, what: str) -> str:
    if charset not in ("utf-8", "utf8"):
        raise EndpointError(415, f"{what} must be UTF-8 (got charset={charset})")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EndpointError(400, f"{what} is not valid UTF-8 (byte {error.start})") from None


def _iris(values: list[str], name: str) -> tuple[str, ...]:
    for value in values:
        try:
            ox.NamedNode(value)
        except ValueError as error:
            raise EndpointError(400, f"{name}={value!r} is not an absolute IRI ({error}). rdflib users: open the "
                                     "graph with identifier=rdflib.graph.DATASET_DEFAULT_GRAPH_ID (or a Dataset) "
                                     "so that no default-graph-uri is sent") from None
    return tuple(values)


def _decode(part: bytes) -> str:
    return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")


def _pairs(raw: bytes, what: str) -> list[tuple[str, str]]:
    """Decode ``name=value&...`` strictly: a percent-escape that is not UTF-8 (``%FF``) is a 400 naming the
    parameter, exactly as raw non-UTF-8 bytes are, rather than silently becoming U+FFFD in the query."""
    pairs = []
    for field_bytes in raw.split(b"&"):
        if not field_bytes:
            continue
        name, _, value = field_bytes.partition(b"=")
        try:
            pairs.append((_decode(name), _decode(value)))
        except UnicodeDecodeError as error:
            shown = unquote_to_bytes(name).decode("utf-8", "replace")[:40]
            raise EndpointError(400, f"{what}: parameter {shown!r} is not valid UTF-8 once percent-decoded "
                                     f"(byte {error.start}); encode the text as UTF-8 before percent-encoding "
                                     "it") from None
        if len(pairs) > MAX_FIELDS:
            raise EndpointError(400, f"{what} has more than {MAX_FIELDS} parameters")
    return pairs


async def read(request: Request) -> SparqlRequest:
    """The request's query and dataset; raises EndpointError (400, 403, 413, 415) with the reason."""
    pairs = _pairs(request.scope.get("query_string", b""), "the URL's query string")
    if request.method == "POST":
        content_type = request.headers.get("content-type")
        media = _media_type(content_type)
        body = await _body(request)
        if media == UPDATE:
            raise EndpointError(403, READ_ONLY)
        if media == FORM:
            _text(body, _charset(content_type), "the form body")  # raw bytes: UTF-8 (400 naming the byte)
            pairs += _pairs(body, "the form body")
        elif media == QUERY:
            if any(name == "query" for name, _ in pairs):
                raise EndpointError(400, "a query was sent both in the body (application/sparql-query) and as "
                                         "a query= URL parameter; send it once")
            pairs.append(("query", _text(body, _charset(content_type), "the query body")))
        elif body or media:
            raise EndpointError(415, f"unsupported Content-Type {media or '(none)'!r}: POST a query as {QUERY} "
                                     f"or as a query= parameter in {FORM}")
    values: dict[str, list[str]] = {}
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    queries, updates = values.get("query", []), values.get("update", [])
    if queries and updates:
        raise EndpointError(400, "the request has both a query and an update parameter; send exactly one query")
    if updates:
        raise EndpointError(403, READ_ONLY)
    if len(queries) > 1:
        raise EndpointError(400, f"the request has {len(queries)} query parameters; send exactly one")
    if request.method == "POST" and not queries:
        raise EndpointError(400, "missing query: POST a query= parameter (form-encoded) or a body of type "
                                 f"{QUERY}")
    return SparqlRequest(
        query=queries[0] if queries else None,
        default_graphs=_iris(values.get("default-graph-uri", []), "default-graph-uri"),
        named_graphs=_iris(values.get("named-graph-uri", []), "named-graph-uri"),
        formats=tuple(v for v in values.get("format", []) if v.strip()),
    )
