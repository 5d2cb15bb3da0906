"""/healthz: is the store there and answering?"""

from __future__ import annotations

import time
from typing import Any

from starlette.concurrency import run_in_threadpool

from kb.service import KnowledgeBase
from kb import sparql
from kb.sparql import QueryError


async def store_health(kb: KnowledgeBase) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        answered = bool(await run_in_threadpool(sparql.select, kb.graph, "health"))
    except QueryError as error:
        return {"status": "unavailable", "store": kb.location.kind, "location": _public(kb), "error": str(error)}
    return {"status": "ok" if answered else "empty", "store": kb.location.kind, "location": _public(kb),
            "latencyMs": round((time.perf_counter() - start) * 1000, 2)}


def _public(kb: KnowledgeBase) -> str:
    """The store location without credentials."""
    from urllib.parse import urlsplit, urlunsplit

    target = kb.location.target
    if kb.location.kind != "sparql":
        return target
    parts = urlsplit(target)
    return urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""), parts.path, "", ""))
