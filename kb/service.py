"""The knowledge base as the API and CLI see it: one object per store, opened from the settings."""

from __future__ import annotations

import threading
from functools import cached_property

from rdflib import Graph

from kb.catalog import LabelIndex
from kb.diagnosis import DiagnosisEngine, Step
from kb.settings import Settings
from kb.store import StoreLocation, open_graph


class KnowledgeBase:
    """Opens the configured store once; indexes load lazily and are shared by all requests (read-only)."""

    def __init__(self, settings: Settings, graph: Graph | None = None) -> None:
        self.settings = settings
        self.location = StoreLocation.parse(settings.store)
        self.graph = graph if graph is not None else open_graph(
            self.location, user=settings.store_user, password=settings.store_password, timeout=settings.store_timeout)
        self.engine = DiagnosisEngine(self.graph)
        self._lock = threading.Lock()

    @property
    def findings(self) -> LabelIndex:
        return self.engine.findings

    @cached_property
    def diseases(self) -> LabelIndex:
        with self._lock:
            return LabelIndex.diseases(self.graph)

    @property
    def steps(self) -> list[Step]:
        return self.engine.steps
