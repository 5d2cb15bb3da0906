"""Per-request context: the knowledge base, fresh DataLoaders, and a way to run kb calls off the event loop."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from dxkb.api.graphql.loaders import Loaders
from dxkb.kb.service import KnowledgeBase

T = TypeVar("T")


@dataclass
class Context:
    kb: KnowledgeBase
    request: Request | None = None
    response: Response | None = None
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        # DataLoaders cache per request: a new set for each one, so no request sees another's batch.
        self.loaders = Loaders(self.kb)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run a kb call in a worker thread: store queries block, and the event loop must keep serving."""
        return await run_in_threadpool(function, *args)
