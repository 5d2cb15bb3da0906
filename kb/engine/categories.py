"""Cause categories of diseases: the most specific one wins (a viral exanthem is a VIRAL_INFECTION)."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from rdflib import URIRef

from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store


class CauseCategories:
    """Loads the (small, static) category hierarchy once; answers batches of diseases with one query."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._broader: dict[str, set[str]] | None = None

    @property
    def broader(self) -> dict[str, set[str]]:
        """Kind code -> the codes of the categories it falls under (loaded once; a benign race at worst)."""
        if self._broader is None:
            pairs: dict[str, set[str]] = defaultdict(set)
            for row in sparql.select(self.store, "category_hierarchy"):
                pairs[row["narrower"]].add(row["broader"])
            self._broader = dict(pairs)
        return self._broader

    def most_specific(self, diseases: Iterable[str]) -> dict[str, str]:
        """Disease IRI -> the kind code of its most specific category (diseases without one are left out)."""
        iris = sorted(set(diseases))
        if not iris:
            return {}
        codes: dict[str, set[str]] = defaultdict(set)
        for row in sparql.select(self.store, "disease_categories", values={("disease",): [(URIRef(i),) for i in iris]}):
            codes[row["disease"]].add(row["code"])
        broader = self.broader
        result = {}
        for disease, found in codes.items():
            covered = set().union(*(broader.get(c, set()) for c in found))
            result[disease] = min(found - covered or found)  # ties (two unrelated categories): alphabetical
        return result
