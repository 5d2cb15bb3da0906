"""The open world: "causes the knowledge base does not model" as one more hypothesis, and the coverage of a
presentation by the curated modules.

Without it, probabilities are normalised over whatever the knowledge base happens to contain (five common causes of
a rash and twelve thousand rare diseases), so a headache alone makes some rare disease "likely". The other-causes
hypothesis has

- a prior: 1 minus the priors of every modelled disease (the curated priors plus model.DEFAULT_PRIOR for each disease
  without one), since the priors are shares of the same population (people presenting with a new complaint);
- a likelihood per finding: its background rate (dxkb:BackgroundRate, kb/data/open_world.ttl: how common the finding
  is among people who present with a cause the knowledge base does not model), model.BACKGROUND_RATE where no rate is
  curated; P(f) for PRESENT, 1 - P(f) for ABSENT, nothing for UNKNOWN. The presented complaint of a
  common-presentation module has no curated rate: it is derived from the module (:meth:`OpenWorld.complaint_rates`),
  (1 - the shares of the modelled causes) x the complaint's presentation rate / P(other causes), so that the complaint
  alone gives the unmodelled causes the share the module's sources leave them.

Its log score joins the candidates' scores before normalising (diagnosis._rank), so the candidates' probabilities
and otherCausesProbability sum to 1 and the ranking among modelled diseases is unchanged."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Sequence

from dxkb.kb.engine import model
from dxkb.kb.engine.types import Coverage
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store

#: The other-causes prior never drops below this, whatever the priors add up to (a knowledge base never models
#: every cause of a complaint). Curator's estimate: 1 in 100 presenting complaints.
MIN_OTHER_PRIOR = 0.01

#: Coverage.sources names the user's source document (the rash module) by this marker, so that the triage policy
#: quotes its sentences (kb/engine/advice.py) rather than a guideline.
DOCUMENT_SOURCE = "source document"

#: A derived complaint rate never drops below this: the modules' shares may leave (almost) nothing to other causes,
#: and a rate of 0 would exclude them outright. Curator's estimate: 1 in 1,000.
MIN_COMPLAINT_RATE = 0.001


@dataclass(frozen=True)
class Module:
    iri: str
    label: str
    complaints: frozenset[str]  # IRIs
    document: bool = False  # its source is the user's source document (the rash module), not guidelines


class OpenWorld:
    """Background rates, the other-causes prior and the curated modules of one store, loaded once (thread-safe)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._rates: dict[str, float] | None = None
        self._modules: list[Module] | None = None
        self._diseases: int | None = None
        self._complaints: dict[str, float] | None = None

    @property
    def rates(self) -> dict[str, float]:
        """Finding IRI -> its curated background rate."""
        with self._lock:
            if self._rates is None:
                self._rates = {row["finding"]: float(row["probability"])
                               for row in sparql.select(self.store, "background_rates")}
            return self._rates

    @property
    def modules(self) -> list[Module]:
        with self._lock:
            if self._modules is None:
                found: dict[str, tuple[str, set[str], set[bool]]] = {}
                for row in sparql.select(self.store, "curated_modules"):
                    label, complaints, document = found.setdefault(
                        row["module"], (row["label"] or row["module"], set(), set()))
                    complaints.add(row["complaint"])
                    document.add(row["document"] is not None)
                self._modules = [Module(iri, label, frozenset(c), any(d))
                                 for iri, (label, c, d) in sorted(found.items())]
            return self._modules

    @property
    def disease_count(self) -> int:
        with self._lock:
            if self._diseases is None:
                rows = sparql.select(self.store, "disease_count")
                self._diseases = int(rows[0]["diseases"]) if rows else 0
            return self._diseases

    def complaint_rates(self, priors: dict[str, tuple[float, str | None]]) -> dict[str, float]:
        """Complaint IRI -> P(complaint | other causes), derived from its module (queries/complaint_rates.rq)."""
        if self._complaints is None:
            other = self.prior(priors)
            derived = {row["complaint"]: min(model.MAX_LIKELIHOOD, max(
                MIN_COMPLAINT_RATE, (1.0 - float(row["shared"])) * float(row["rate"]) / other))
                for row in sparql.select(self.store, "complaint_rates")}
            with self._lock:
                self._complaints = dict(sorted(derived.items()))
        return self._complaints

    def rate(self, finding: str, priors: dict[str, tuple[float, str | None]],
             ancestors: frozenset[str] = frozenset()) -> float:
        """P(finding | a cause the knowledge base does not model): its curated or derived rate, else
        model.BACKGROUND_RATE or the smallest rate of its ``ancestors`` if that is lower (a more specific finding is
        at most as common as its ancestor: "productive cough" is no more common than cough under other causes)."""
        derived = self.complaint_rates(priors)
        own = self.rates.get(finding, derived.get(finding))
        if own is not None:
            return own
        inherited = [self.rates.get(a, derived.get(a)) for a in sorted(ancestors) if a != finding]
        inherited = [r for r in inherited if r is not None]
        return min([model.BACKGROUND_RATE, *inherited])

    def prior(self, priors: dict[str, tuple[float, str | None]]) -> float:
        """1 - the modelled diseases' priors (summed in sorted order: the same float in every process)."""
        curated = math.fsum(priors[d][0] for d in sorted(priors))
        defaults = max(0, self.disease_count - len(priors)) * model.DEFAULT_PRIOR
        return max(MIN_OTHER_PRIOR, 1.0 - curated - defaults)

    def log_score(self, keys: Sequence[tuple[str, bool]], priors: dict[str, tuple[float, str | None]],
                  ancestors: dict[str, frozenset[str]] | None = None) -> float:
        """ln P(other causes) + the log-likelihood of the stated (PRESENT/ABSENT) findings under them;
        ``ancestors``: each finding's IRI -> itself and its ancestors (for the inherited rates)."""
        total = math.log(self.prior(priors))
        for finding, present in keys:
            p = self.rate(finding, priors, (ancestors or {}).get(finding, frozenset()))
            total += math.log(p) if present else math.log(1.0 - p)
        return total

    def coverage(self, ancestors: dict[str, set[str]]) -> Coverage:
        """Whether a PRESENT finding falls under a presenting complaint of a curated module.

        ``ancestors``: each PRESENT finding's IRI -> itself and its ancestors."""
        closure = set().union(*ancestors.values()) if ancestors else set()
        modules = [m for m in self.modules if m.complaints & closure]
        hit = [m.label for m in modules]
        if hit:
            sources = sorted(DOCUMENT_SOURCE if m.document else
                             f"{m.label}: its red flags, each with its cited source (redFlagDetails)" for m in modules)
            return Coverage(curated=True, modules=hit, sources=sources, note=(
                "The presentation lies within curated knowledge (" + "; ".join(hit) + "): its common causes are "
                "modelled with sourced priors and frequencies."))
        return Coverage(curated=False, modules=[], note=(
            "The presentation lies outside every curated module: the ranking covers rare diseases only (HPO "
            "annotations, where loaded) and the common causes of these findings are not modelled; their share is "
            "otherCausesProbability."))


__all__ = ["DOCUMENT_SOURCE", "MIN_COMPLAINT_RATE", "MIN_OTHER_PRIOR", "Module", "OpenWorld"]
