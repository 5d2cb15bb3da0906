"""The clinician web app at ``/`` and the static files every page of the server uses, at ``/static``.

    dxkb serve   # then open http://127.0.0.1:8000/ (the SPARQL page is /sparql, GraphiQL /graphql)

The app (api/static/app/: one HTML page, plain JavaScript modules and CSS, no build step) talks only to the public
GraphQL API at /graphql, as any frontend would. ``/static/vendor`` serves the browser libraries of the GraphiQL and
SPARQL pages (GraphiQL, React, YASGUI), copied from their npm packages by .ci/vendor.sh, so no page loads anything
from a CDN.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


@lru_cache(maxsize=1)
def _page() -> bytes:
    return (STATIC / "app" / "index.html").read_bytes()


async def app_page(_request: Request) -> Response:
    return Response(_page(), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": PAGE_POLICY, "Cache-Control": "no-cache"})


def web_routes() -> list[BaseRoute]:
    """``/`` (the clinician app) and ``/static`` (its files and the vendored libraries)."""
    return [Route("/", app_page, methods=["GET", "HEAD"], name="web-app"),
            Mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")]
