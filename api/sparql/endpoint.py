"""HTTP handlers of the SPARQL door: /sparql (protocol, service description, query page), /sparql/void,
/sparql/examples and the page's static files.

    curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 3' http://127.0.0.1:8000/sparql

Handlers stay thin: protocol.py reads the request, formats.py negotiates, an engine (engines.py) does the work
off the event loop and hands back finished bytes, and this module turns them into a response.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from dxkb.api.sparql import description, protocol
from dxkb.api.sparql.engines import Engine, engine_for
from dxkb.api.sparql.errors import EndpointError
from dxkb.api.sparql.examples import load_examples
from dxkb.api.sparql.execution import Job
from dxkb.api.sparql.formats import BY_NAME, GRAPH_FORMATS, HTML, RESULT_FORMATS, FormatError, choose
from dxkb.kb.service import KnowledgeBase
from dxkb.kb.settings import Settings

log = logging.getLogger("dxkb.sparql")
STATIC = Path(__file__).parent / "static"
EXPOSED_HEADERS = "X-DXKB-Truncated, X-DXKB-Result-Limit, X-DXKB-Rows, X-DXKB-Query-Time-Ms"
#: YASGUI's editor and table set inline styles ('unsafe-inline' for styles only); scripts come only from this server.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; "
               "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'self'; "
               "frame-ancestors 'none'")


def error_response(error: EndpointError) -> Response:
    """SPARQL errors as text/plain: what curl, SPARQLWrapper and YASGUI all show to the person as-is."""
    return PlainTextResponse(error.message.rstrip() + "\n", status_code=error.status, headers=error.headers)


def check_settings(settings: Settings) -> None:
    """Refuse limits that cannot work, at start-up and naming the variable, rather than failing every query."""
    problems = []
    if not settings.sparql_timeout > 0:
        problems.append(f"DXKB_SPARQL_TIMEOUT must be more than 0 seconds (got {settings.sparql_timeout})")
    if settings.sparql_max_rows < 1:
        problems.append(f"DXKB_SPARQL_MAX_ROWS must be at least 1 (got {settings.sparql_max_rows})")
    if settings.sparql_workers < 1:
        problems.append(f"DXKB_SPARQL_WORKERS must be at least 1 (got {settings.sparql_workers})")
    if settings.sparql_memory_mb < 0 or 0 < settings.sparql_memory_mb < 512:  # an idle worker maps ~400 MB
        problems.append("DXKB_SPARQL_MEMORY_MB must be 0 (no cap) or at least 512 "
                        f"(got {settings.sparql_memory_mb})")
    if problems:
        raise ValueError("; ".join(problems))


@lru_cache(maxsize=1)
def _page() -> bytes:
    return (STATIC / "index.html").read_bytes()


class SparqlEndpoint:
    """One per app: the engine for the configured store, the cached VoID statistics, the handlers."""

    def __init__(self, settings: Settings, kb: KnowledgeBase) -> None:
        check_settings(settings)
        self.settings = settings
        self.engine: Engine = engine_for(settings, kb)
        self.void_cache = description.VoidCache()

    def _endpoint_url(self, request: Request) -> str:
        return str(request.url_for("sparql"))

    async def sparql(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            parsed = await protocol.read(request)
            if parsed.query is None:
                return self._about(request, parsed.formats)
            results_format = choose(request.headers.get("accept"), parsed.formats, RESULT_FORMATS)
            graph_format = choose(request.headers.get("accept"), parsed.formats, GRAPH_FORMATS)
        except FormatError as error:
            return error_response(EndpointError(400, str(error)))
        except EndpointError as error:
            return error_response(error)
        if results_format is None and graph_format is None:
            return error_response(EndpointError(406, "none of the formats in the Accept header is offered: use "
                                                     f"{', '.join(f.media_type for f in RESULT_FORMATS)} for "
                                                     "SELECT/ASK or "
                                                     f"{', '.join(f.media_type for f in GRAPH_FORMATS)} for "
                                                     "CONSTRUCT/DESCRIBE (or ?format=)"))
        job = Job(query=parsed.query, results_format=results_format and results_format.name,
                  graph_format=graph_format and graph_format.name, max_rows=self.settings.sparql_max_rows,
                  allow_service=self.settings.sparql_allow_service, default_graphs=parsed.default_graphs,
                  named_graphs=parsed.named_graphs,
                  prefixes=tuple(description.PREDEFINED_PREFIXES.items()))
        try:
            outcome = await self.engine.run(job, self.settings.sparql_timeout)
        except EndpointError as error:
            log.info("sparql %s after %.0f ms: %s", error.status, (time.perf_counter() - started) * 1000,
                     error.message)
            return error_response(error)
        elapsed_ms = (time.perf_counter() - started) * 1000
        log.info("sparql %s in %.0f ms (%s rows)", outcome.status, elapsed_ms, outcome.rows)
        if outcome.status != 200 or outcome.format is None:
            return error_response(EndpointError(outcome.status, outcome.body.decode("utf-8", "replace")))
        headers = {"Vary": "Accept", "X-DXKB-Query-Time-Ms": f"{elapsed_ms:.0f}",
                   "Access-Control-Expose-Headers": EXPOSED_HEADERS}
        if outcome.limit is not None:
            headers["X-DXKB-Truncated"] = "true" if outcome.truncated else "false"
            headers["X-DXKB-Result-Limit"] = str(outcome.limit)
        if outcome.rows is not None:
            headers["X-DXKB-Rows"] = str(outcome.rows)
        return Response(outcome.body, media_type=BY_NAME[outcome.format].content_type, headers=headers)

    def _about(self, request: Request, formats: tuple[str, ...]) -> Response:
        """GET without a query: the query page for browsers, the service description for everyone else."""
        if request.method != "GET" and request.method != "HEAD":
            raise EndpointError(400, "missing query")
        try:
            chosen = choose(request.headers.get("accept"), formats, GRAPH_FORMATS + (HTML,))
        except FormatError as error:
            raise EndpointError(400, str(error)) from None
        if chosen is None:
            raise EndpointError(406, "the service description is offered as "
                                     f"{', '.join(f.media_type for f in GRAPH_FORMATS)}, the query page as text/html")
        if chosen is HTML:
            return Response(_page(), media_type="text/html; charset=utf-8",
                            headers={"Content-Security-Policy": PAGE_POLICY, "Vary": "Accept"})
        graph = description.service_description(self._endpoint_url(request), timeout=self.settings.sparql_timeout,
                                                max_rows=self.settings.sparql_max_rows,
                                                allow_service=self.settings.sparql_allow_service)
        return Response(description.serialise(graph, chosen.name), media_type=chosen.content_type,
                        headers={"Vary": "Accept"})

    async def void(self, request: Request) -> Response:
        try:
            chosen = choose(request.headers.get("accept"), request.query_params.getlist("format"), GRAPH_FORMATS)
            if chosen is None:
                raise EndpointError(406, f"VoID is offered as {', '.join(f.media_type for f in GRAPH_FORMATS)}")
            statistics = await self.void_cache.get(self.engine, self.settings.sparql_max_rows)
        except FormatError as error:
            return error_response(EndpointError(400, str(error)))
        except EndpointError as error:
            return error_response(error)
        graph = description.void_description(self._endpoint_url(request), statistics)
        return Response(description.serialise(graph, chosen.name), media_type=chosen.content_type,
                        headers={"Vary": "Accept"})

    async def examples(self, _request: Request) -> JSONResponse:
        return JSONResponse({"prefixes": description.PREDEFINED_PREFIXES,
                             "examples": [example.as_json() for example in load_examples()]})

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/sparql", self.sparql, methods=["GET", "POST"], name="sparql"),
            Route("/sparql/void", self.void, methods=["GET"], name="sparql-void"),
            Route("/sparql/examples", self.examples, methods=["GET"], name="sparql-examples"),
            Mount("/sparql/static", StaticFiles(directory=STATIC), name="sparql-static"),
        ]
