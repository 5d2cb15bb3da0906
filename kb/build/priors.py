"""Priors derived from the common-presentation modules (issue 15): the engine needs one prior per disease, a share of
one population (people presenting to primary care with a new complaint), while the sources of a module state how
common each cause is among the people presenting with that complaint (dxkb:CauseShare) and how often the complaint
is presented (dxkb:PresentationRate).

Bayes' rule links them: P(d | c) = P(d) P(c | d) / P(c), so P(d) = P(d | c) P(c) / P(c | d), with P(c | d) the
frequency of the complaint in the disease (its dxkb:DiseaseFindingAssociation). The engine then gives back the
module's share P(d | c) when the complaint alone is entered. A cause of several complaints (influenza: cough,
fever) gets one estimate per complaint; they estimate one number, so the prior is their geometric mean (the
estimates differ by factors, not by amounts). A disease with a curated dxkb:Prior of its own keeps it.

Each derived prior names the shares it came from (dxkb:derivedFrom) and says how it was computed (dxkb:rationale),
so a SPARQL user can trace the number to the cited shares; dcterms:source is the first share (sorted by IRI)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

import pyoxigraph as ox

from dxkb.kb import vocab
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store

DERIVED_PRIOR = "https://w3id.org/dxkb/derived/prior/"
POPULATION = "people presenting to primary care with a new complaint"
_XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Estimate:
    share: str  # the dxkb:CauseShare IRI
    complaint: str
    given_complaint: float  # P(d | c)
    rate: float  # P(c)
    frequency: float  # P(c | d)

    @property
    def prior(self) -> float:
        return min(1.0, self.given_complaint * self.rate / self.frequency)


def estimates(graph: Store) -> dict[str, list[Estimate]]:
    """Disease IRI -> its prior estimates, one per cause share that can be computed (sorted by share IRI).

    A share whose complaint has no presentation rate, or whose disease has no frequency for the complaint, gives no
    estimate: queries/checks name it and stop the build. Diseases with a curated prior are left out."""
    found: dict[str, list[Estimate]] = {}
    seen: set[tuple[str, str]] = set()
    for row in sparql.select(graph, "build/cause_shares"):
        if row["curated"] is not None or row["rate"] is None or row["frequency"] is None:
            continue
        frequency = float(row["frequency"])
        key = (row["share"], row["disease"])
        if frequency <= 0 or key in seen:  # one estimate per share, whatever duplicate rows the joins give
            continue
        seen.add(key)
        found.setdefault(row["disease"], []).append(Estimate(
            share=row["share"], complaint=row["complaint"], given_complaint=float(row["probability"]),
            rate=float(row["rate"]), frequency=frequency))
    return {d: sorted(found[d], key=lambda e: e.share) for d in sorted(found)}


def combined(found: list[Estimate]) -> float:
    """The geometric mean of the estimates (in their sorted order: the same float in every process)."""
    return math.exp(math.fsum(math.log(e.prior) for e in found) / len(found))


def decimal_text(value: float) -> str:
    """Six significant digits as a plain xsd:decimal: every SPARQL store returns a decimal as written (a double's
    last digits differ between stores, and the engine's answers must not)."""
    return format(Decimal(f"{value:.6g}"), "f")


def rationale(found: list[Estimate]) -> str:
    parts = [f"P(cause | {vocab.to_curie(e.complaint)}) {e.given_complaint:g} x presentation rate {e.rate:g} / "
             f"P({vocab.to_curie(e.complaint)} | cause) {e.frequency:g} = {e.prior:.3g} ({vocab.to_curie(e.share)})"
             for e in found]
    how = "the geometric mean of " + "; ".join(parts) if len(parts) > 1 else parts[0]
    return (f"Derived by dxkb build from the cause shares of the common-presentation modules (Bayes' rule, "
            f"kb/build/priors.py): {how}.")


def quads(graph: Store) -> list[ox.Quad]:
    """The derived dxkb:Prior nodes."""
    typed = ox.NamedNode(vocab.RDF_TYPE)
    node_of = ox.NamedNode
    out: list[ox.Quad] = []
    for disease, found in estimates(graph).items():
        node = node_of(DERIVED_PRIOR + quote(disease.rsplit("/", 1)[-1], safe=""))
        out += [
            ox.Quad(node, typed, node_of(vocab.DXKB + "Prior")),
            ox.Quad(node, node_of(vocab.DXKB + "disease"), node_of(disease)),
            ox.Quad(node, node_of(vocab.DXKB + "probability"),
                    ox.Literal(decimal_text(combined(found)), datatype=node_of(_XSD + "decimal"))),
            ox.Quad(node, node_of(vocab.DXKB + "population"), ox.Literal(POPULATION)),
            ox.Quad(node, node_of(vocab.DCTERMS + "source"), node_of(found[0].share)),
            ox.Quad(node, node_of(vocab.DXKB + "rationale"), ox.Literal(rationale(found))),
        ]
        out += [ox.Quad(node, node_of(vocab.DXKB + "derivedFrom"), node_of(e.share)) for e in found]
    return out


__all__ = ["DERIVED_PRIOR", "Estimate", "combined", "decimal_text", "estimates", "quads", "rationale"]
