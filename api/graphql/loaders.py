"""DataLoaders: every detail a request asks for, of however many objects, in one store query per kind.

``{ diseases(first: 50) { edges { node { prior xrefs findings { finding { isRedFlag } } } } } }`` runs four
queries (details, xrefs, findings, finding details), each with a VALUES block of all the IDs of its level.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from strawberry.dataloader import DataLoader

from dxkb.api.graphql import convert
from dxkb.api.graphql import types as t
from dxkb.kb.service import DiseaseDetails, FindingDetails, KnowledgeBase

K = TypeVar("K")
V = TypeVar("V")

#: IDs per store query; a deeper page is split into several batches rather than one huge VALUES block.
MAX_BATCH = 500

NO_DISEASE_DETAILS = DiseaseDetails(definition=None, prior=None, prior_source=None, cause_category=None)
NO_FINDING_DETAILS = FindingDetails(definition=None, is_red_flag=False)


def _loader(batch: Callable[[Sequence[str]], dict[str, Any]], missing: Callable[[], Any]) -> DataLoader[str, Any]:
    """A DataLoader over a batched kb call that runs in a worker thread (store queries block)."""

    async def load(keys: list[str]) -> list[Any]:
        found = await run_in_threadpool(batch, keys)
        return [found[k] if k in found else missing() for k in keys]

    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


class Loaders:
    """One set per request (DataLoaders cache results; sharing them across requests would serve stale batches
    and keep memory forever)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.xrefs: DataLoader[str, list[str]] = _loader(kb.xrefs, list)
        self.finding_details: DataLoader[str, FindingDetails] = _loader(kb.finding_details, lambda: NO_FINDING_DETAILS)
        self.disease_details: DataLoader[str, DiseaseDetails] = _loader(kb.disease_details, lambda: NO_DISEASE_DETAILS)

        def findings(curies: Sequence[str]) -> dict[str, list[t.DiseaseFinding]]:
            return {d: [convert.disease_finding(kb, link) for link in links]
                    for d, links in kb.disease_findings(curies).items()}

        def parents(curies: Sequence[str]) -> dict[str, list[t.Disease]]:
            return {d: [convert.disease(kb, p) for p in ps] for d, ps in kb.disease_parents(curies).items()}

        self.disease_findings: DataLoader[str, list[t.DiseaseFinding]] = _loader(findings, list)
        self.disease_parents: DataLoader[str, list[t.Disease]] = _loader(parents, list)
