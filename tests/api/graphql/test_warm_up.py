"""Diagnoses during the server's warm-up: they wait for it within their time limit instead of loading the same
annotations alongside it, and when it is not done in time the answer is 503 WARMING_UP with Retry-After, not a
504 TIMEOUT. The warm-up of the HPO build takes 25-35 s; here a real curated knowledge base's warm-up is held
until the test lets it go, so the timing is the test's, not the machine's."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dxkb.api.app import create_app
from dxkb.kb.engine.types import Observation, Status
from dxkb.kb.service import KnowledgeBase
from dxkb.kb.settings import Settings
from tests.support.servers import InProcess

DIAGNOSE = '{ diagnose(input: {findings: [{id: "HP:0000988", status: PRESENT}]}) { recommendation } }'
GRAPHQL_RESPONSE = "application/graphql-response+json"


class HeldWarmUp(KnowledgeBase):
    """The curated knowledge base whose warm-up starts only when ``release`` is set (a large store's warm-up),
    and fails instead when ``fail`` is set (a store that does not answer at start)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.release = threading.Event()
        self.fail = False
        self.errors: list[Exception] = []

    def warm(self) -> None:
        self._hold()
        super().warm()

    def _hold(self) -> None:
        self.release.wait(60)
        if self.fail:
            raise OSError("the store did not answer")


def warming(curated_store: Path, timeout: float) -> tuple[HeldWarmUp, InProcess]:
    settings = Settings(store=str(curated_store), graphql_timeout=timeout)
    kb = HeldWarmUp(settings)
    client = InProcess(create_app(settings, kb))
    kb.warm_in_background(kb.errors.append)  # what the server's lifespan does at start
    return kb, client


def test_a_diagnosis_that_cannot_wait_long_enough_is_told_to_come_back(curated_store: Path) -> None:
    kb, client = warming(curated_store, timeout=3.0)
    try:
        start = time.monotonic()
        response = client.post("/graphql", json={"query": DIAGNOSE}, headers={"accept": GRAPHQL_RESPONSE})
        waited = time.monotonic() - start
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == "5"
        body = response.json()
        assert body["data"] is None
        (error,) = body["errors"]
        assert error["extensions"] == {"code": "WARMING_UP", "retryAfter": 5}
        assert "warm-up" in error["message"] and "/healthz" in error["message"]
        assert 1.9 <= waited < 3.0  # it waited, and kept a third of its 3 s for its own work
        assert kb.warmed is False
        # what needs no annotations is answered meanwhile
        assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {"data": {"__typename": "Query"}}
        # a legacy client gets the same 503: nothing of its request was answered
        legacy = client.post("/graphql", json={"query": DIAGNOSE})
        assert legacy.status_code == 503 and legacy.headers["retry-after"] == "5"
    finally:
        kb.release.set()


def test_a_diagnosis_waits_for_the_warm_up_and_then_is_answered(curated_store: Path) -> None:
    kb, client = warming(curated_store, timeout=20)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.post, "/graphql", json={"query": DIAGNOSE})
        time.sleep(0.5)
        assert not pending.done()  # waiting for the warm-up, not loading alongside it
        kb.release.set()
        response = pending.result(timeout=30)
    assert response.status_code == 200 and "retry-after" not in response.headers
    assert response.json()["data"]["diagnose"]["recommendation"]
    assert kb.warmed is True


def test_a_failed_warm_up_ends_the_wait(curated_store: Path) -> None:
    kb, client = warming(curated_store, timeout=20)
    kb.fail = True
    kb.release.set()
    deadline = time.monotonic() + 10
    while not kb.errors:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert kb.warmed is False
    start = time.monotonic()
    response = client.post("/graphql", json={"query": DIAGNOSE})  # loads what it needs itself
    assert response.status_code == 200 and response.json()["data"]["diagnose"]["recommendation"]
    assert time.monotonic() - start < 15
    assert [str(e) for e in kb.errors] == ["the store did not answer"]


def test_without_a_time_limit_the_wait_lasts_until_the_warm_up_is_done(curated_store: Path) -> None:
    """In process (no door's deadline: the CLI, a notebook) a diagnosis simply waits."""
    kb = HeldWarmUp(Settings(store=str(curated_store)))
    kb.warm_in_background(kb.errors.append)
    threading.Timer(0.5, kb.release.set).start()
    start = time.monotonic()
    diagnosis = kb.diagnose([Observation("HP:0000988", Status.PRESENT)])
    assert time.monotonic() - start >= 0.4 and kb.warmed is True
    assert diagnosis.candidates
