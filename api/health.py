"""/healthz: is the store there and answering, and which build does this process serve?"""

from __future__ import annotations

import os
import time
from typing import Any

from starlette.concurrency import run_in_threadpool

from dxkb.kb.errors import DxkbError
from dxkb.kb.service import KnowledgeBase


async def store_health(kb: KnowledgeBase) -> dict[str, Any]:
    start = time.perf_counter()
    base = {"store": kb.store_kind, "location": kb.public_location, "build": kb.build_id,
            "process": os.getpid()}  # which worker answered (several share the port)
    try:
        answered = await run_in_threadpool(kb.health)
    except DxkbError as error:
        return {"status": "unavailable", **base, "error": str(error)}
    return {"status": "ok" if answered else "empty", **base, "warm": kb.warmed,
            "latencyMs": round((time.perf_counter() - start) * 1000, 2)}
