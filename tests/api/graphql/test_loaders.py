"""Nested fields are batched (no N+1 store queries) and store work runs off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from pathlib import Path

import httpx

from dxkb.api.app import create_app
from dxkb.kb.service import KnowledgeBase, open_store
from dxkb.kb.settings import Settings
from tests.support.stores import ObservedStore


class SlowKnowledgeBase(KnowledgeBase):
    """The real curated KB, with a diagnosis that blocks its thread until released (a slow remote store)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.waiting = 0

    def diagnose(self, observations, limit=10, patient=None, evidence=True, questions=True):  # type: ignore[override]
        with self.lock:
            self.waiting += 1
        self.release.wait(timeout=60)
        return super().diagnose(observations, limit, patient, evidence, questions)


async def _post(app, queries: list[dict]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", timeout=60) as client:
        return await asyncio.gather(*(client.post("/graphql", json=q) for q in queries))


def test_nested_details_cost_one_query_per_kind_not_per_object(curated_store: Path) -> None:
    settings = Settings(store=str(curated_store))
    store = ObservedStore(open_store(settings))
    kb = KnowledgeBase(settings, store)
    # first: 10 curated diseases; first: 100 with every detail is above the cost maximum (cost.py).
    query = """{ diseases(first: 10) { totalCount edges { node {
        id prior causeCategory definition xrefs parents { id }
        findings { frequency finding { id isRedFlag definition xrefs } } } } } }"""
    app = create_app(settings, kb)
    asyncio.run(_post(app, [{"query": query}]))  # the first request also loads the label indexes
    store.ran.clear()
    (response,) = asyncio.run(_post(app, [{"query": query}]))
    body = response.json()
    assert "errors" not in body, body
    nodes = [e["node"] for e in body["data"]["diseases"]["edges"]]
    assert len(nodes) == min(10, body["data"]["diseases"]["totalCount"]) and sum(len(n["findings"]) for n in nodes) > 20
    # One query per kind of detail for all 10 diseases, one for all their findings; xrefs at two levels.
    assert Counter(store.ran) == {"disease_details": 1, "disease_categories": 1, "disease_parents": 1,
                                  "disease_findings": 1, "finding_details": 1, "term_xrefs": 2}


def test_slow_store_work_does_not_block_other_requests(curated_store: Path) -> None:
    settings = Settings(store=str(curated_store))
    kb = SlowKnowledgeBase(settings)
    app = create_app(settings, kb)
    findings = ["HP:0000988", "HP:0012378", "HP:0001824", "HP:0002719", "DXKB:0000102", "DXKB:0000104"]
    slow = [{"query": "query($f: [FindingInput!]!) { diagnose(input: {findings: $f}) { recommendation } }",
             "variables": {"f": [{"id": f, "status": "PRESENT"}, {"id": g, "status": "ABSENT"}]}}
            for f in findings for g in findings if f != g][:16]

    async def scenario() -> tuple[int, bool, list[httpx.Response]]:
        pending = asyncio.ensure_future(_post(app, slow))
        for _ in range(600):  # all 16 diagnoses blocked in worker threads at once (no timing assumption)
            if kb.waiting == len(slow):
                break
            await asyncio.sleep(0.05)
        blocked = kb.waiting
        (quick,) = await _post(app, [{"query": "{ findings(search: \"fat\") { totalCount } }"}])
        assert quick.json() == {"data": {"findings": {"totalCount": 1}}}
        still_pending = not pending.done()  # answered while every diagnosis was still held
        kb.release.set()
        return blocked, still_pending, await pending

    try:
        blocked, still_pending, responses = asyncio.run(scenario())
    finally:
        kb.release.set()
    assert blocked == len(slow)  # the 16 slow calls overlapped instead of running one after another
    assert still_pending
    assert all("errors" not in r.json() for r in responses)
