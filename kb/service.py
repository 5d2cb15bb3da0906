"""The knowledge base as the API and CLI see it: one object per store, opened from the settings.

Besides the diagnosis engine and the label indexes it offers batched look-ups (many IDs, one query each) so that
the GraphQL DataLoaders never ask the store once per object. The store is read-only while a process has it open,
so results of identical inputs may be cached for the life of the object.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Iterable, Sequence

from rdflib import Graph

from kb import sparql
from kb.catalog import LabelIndex
from kb.curie import InvalidCurie, to_curie, to_iri
from kb.diagnosis import Diagnosis, DiagnosisEngine, Observation, Step
from kb.settings import Settings
from kb.store import StoreLocation, open_graph

#: Distinct (observation set, limit) results kept per process. A Diagnosis of the curated KB is a few kB; the
#: engine takes ~5-10 ms per call, a cache hit microseconds, and a symptom checker's users repeat the same sets.
DIAGNOSE_CACHE_SIZE = 2048


@dataclass(frozen=True)
class DiseaseDetails:
    definition: str | None
    prior: float | None  # the curated prior; None when the disease has none (the engine then uses its default)
    prior_source: str | None
    cause_category: str | None  # the most specific kind code, e.g. VIRAL_INFECTION


@dataclass(frozen=True)
class DiseaseFindingLink:
    finding: str  # CURIE
    frequency: float | None
    negated: bool
    source: str | None


@dataclass(frozen=True)
class FindingDetails:
    definition: str | None
    is_red_flag: bool


class KnowledgeBase:
    """Opens the configured store once; indexes load lazily and are shared by all requests (read-only)."""

    def __init__(self, settings: Settings, graph: Graph | None = None) -> None:
        self.settings = settings
        self.location = StoreLocation.parse(settings.store)
        self.graph = graph if graph is not None else open_graph(
            self.location, user=settings.store_user, password=settings.store_password, timeout=settings.store_timeout)
        self.engine = DiagnosisEngine(self.graph)
        self._lock = threading.Lock()
        self._diagnose_cached = lru_cache(maxsize=DIAGNOSE_CACHE_SIZE)(self._diagnose_canonical)

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

    def warm(self) -> None:
        """Load the indexes and steps now, so that the first request does not pay for them (or block on them); on
        the embedded store also every annotation (~8 s, 30 MB on the HPO build: diagnoses then touch no store)."""
        _ = self.findings, self.steps
        if self.location.kind == "oxigraph":
            self.engine.prefetch()
        _ = self.diseases

    def step(self, curie: str) -> Step | None:
        return next((s for s in self.steps if s.id == curie), None)

    # ------------------------------------------------------------------ diagnosis
    def diagnose(self, observations: Iterable[Observation], limit: int = 10) -> Diagnosis:
        """The engine's diagnosis, cached by the canonical observation set (IDs normalised, de-duplicated, sorted),
        so that the same findings in another order or spelling hit the cache. Bad input raises InputError."""
        canonical = tuple(self.engine.validate(observations))
        return self._diagnose_cached(canonical, limit)

    def _diagnose_canonical(self, observations: tuple[Observation, ...], limit: int) -> Diagnosis:
        return self.engine.diagnose(observations, limit=limit)

    # ------------------------------------------------------------------ batched look-ups (one query per batch)
    def disease_details(self, curies: Sequence[str]) -> dict[str, DiseaseDetails]:
        rows = self._select("disease_details", "disease", curies)
        categories = self.engine.categories.most_specific(r["disease"] for r in rows)
        return {to_curie(r["disease"]): DiseaseDetails(
            definition=r["definition"], prior=_float(r["prior"]), prior_source=r["priorSource"],
            cause_category=categories.get(r["disease"])) for r in rows}

    def disease_findings(self, curies: Sequence[str]) -> dict[str, list[DiseaseFindingLink]]:
        links: dict[str, dict[tuple[str, bool], DiseaseFindingLink]] = defaultdict(dict)
        for r in self._select("disease_findings", "disease", curies):
            link = DiseaseFindingLink(to_curie(r["finding"]), _float(r["frequency"]), bool(r["negated"]), r["source"])
            links[to_curie(r["disease"])].setdefault((link.finding, link.negated), link)  # one per finding and sign
        return {d: sorted(by_key.values(), key=lambda k: (k.negated, -(k.frequency or 0.0), k.finding))
                for d, by_key in links.items()}

    def disease_parents(self, curies: Sequence[str]) -> dict[str, list[str]]:
        parents: dict[str, list[str]] = defaultdict(list)
        for r in self._select("disease_parents", "disease", curies):
            parents[to_curie(r["disease"])].append(to_curie(r["parent"]))
        return dict(parents)

    def finding_details(self, curies: Sequence[str]) -> dict[str, FindingDetails]:
        return {to_curie(r["finding"]): FindingDetails(definition=r["definition"], is_red_flag=bool(r["isRedFlag"]))
                for r in self._select("finding_details", "finding", curies)}

    def xrefs(self, curies: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for r in self._select("term_xrefs", "term", curies):
            found[to_curie(r["term"])].append(str(r["xref"]))
        return dict(found)

    def _select(self, query: str, variable: str, curies: Sequence[str]) -> list[dict]:
        """Run a query whose one parameter is a VALUES block of IRIs; IDs that are not CURIEs simply find nothing."""
        iris = []
        for curie in dict.fromkeys(curies):
            try:
                iris.append((to_iri(curie),))
            except InvalidCurie:
                continue
        if not iris:
            return []
        return sparql.select(self.graph, query, values={(variable,): iris})


def _float(value: object) -> float | None:
    return float(value) if value is not None else None


__all__ = ["KnowledgeBase", "DiseaseDetails", "DiseaseFindingLink", "FindingDetails"]
