"""Simulated patients in the protocol of Phenomizer (Köhler et al. 2009) and LIRICAL (Robinson et al. 2020).

Example::

    from bench.accuracy.hpo_data import load
    from bench.accuracy.simulate import simulate

    patients = simulate(load(), diseases=1000, seed=2025)   # 4 patients per disease, one per condition

For each sampled OMIM disease (a fixed seed; diseases with at least ``MIN_TERMS`` positive annotations):

1. **Draw** its phenotype: each positive annotation is present with its annotated frequency (NOT annotations are
   never drawn). Fewer than ``MIN_TERMS`` drawn: draw again (up to 50 times, then the ``MIN_TERMS`` most frequent
   terms); more than ``MAX_TERMS``: keep a random ``MAX_TERMS`` of them (case reports list a handful of features).
2. **Conditions**, each from the same draw so that they are paired:
   - ``exact``: the drawn terms as they are;
   - ``noise``: plus ``NOISE_TERMS`` random *unrelated* terms, taken from the terms of OMIM annotations and related
     to none of the disease's annotated terms (not the same term, an ancestor or a descendant);
   - ``imprecision``: each drawn term is replaced, with probability ``IMPRECISION``, by one of its parents chosen at
     random (never by HP:0000118 "Phenotypic abnormality" or one of its organ-system children: those say nothing);
   - ``noise+imprecision``: both.

Every random choice comes from a ``random.Random`` seeded with the seed, the disease and the step, so a patient
does not change when the number of diseases or the list of conditions changes.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from bench.accuracy.hpo_data import PHENOTYPIC_ABNORMALITY, HpoData

MIN_TERMS = 3
MAX_TERMS = 8
NOISE_TERMS = 2
IMPRECISION = 0.5
CONDITIONS = ("exact", "noise", "imprecision", "noise+imprecision")


@dataclass(frozen=True)
class Patient:
    id: int
    disease: str        # OMIM CURIE: the true diagnosis
    condition: str      # one of CONDITIONS
    terms: tuple[str, ...]

    def to_json(self) -> dict:
        return asdict(self)


def sample_diseases(data: HpoData, count: int, seed: int) -> list[str]:
    pool = data.omim(minimum_terms=MIN_TERMS)
    if count > len(pool):
        raise SystemExit(f"only {len(pool)} OMIM diseases have {MIN_TERMS}+ annotations; asked for {count}")
    return sorted(random.Random(f"{seed}:diseases").sample(pool, count))


def draw(data: HpoData, disease: str, rnd: random.Random) -> list[str]:
    annotations = data.annotations[disease]
    for _ in range(50):
        terms = [t for t, frequency in annotations if rnd.random() < frequency]
        if len(terms) >= MIN_TERMS:
            break
    else:
        terms = [t for t, _ in sorted(annotations, key=lambda a: (-a[1], a[0]))[:MIN_TERMS]]
    if len(terms) > MAX_TERMS:
        terms = rnd.sample(terms, MAX_TERMS)
    return sorted(terms)


def imprecise(data: HpoData, terms: list[str], rnd: random.Random) -> list[str]:
    too_general = {PHENOTYPIC_ABNORMALITY} | {t for t, ps in data.parents.items() if PHENOTYPIC_ABNORMALITY in ps}
    result = []
    for term in terms:
        parents = [p for p in data.parents.get(term, ()) if p not in too_general]
        if parents and rnd.random() < IMPRECISION:
            term = rnd.choice(sorted(parents))
        result.append(term)
    return sorted(set(result))


def noise(data: HpoData, disease: str, pool: list[str], rnd: random.Random) -> list[str]:
    related: set[str] = set()
    for term in [t for t, _ in data.annotations[disease]] + sorted(data.negated.get(disease, ())):
        related |= {term} | data.ancestors.get(term, frozenset()) | data.descendants.get(term, frozenset())
    chosen: list[str] = []
    while len(chosen) < NOISE_TERMS:
        term = rnd.choice(pool)
        if term not in related and term not in chosen:
            chosen.append(term)
    return chosen


def simulate(data: HpoData, diseases: int, seed: int, conditions: tuple[str, ...] = CONDITIONS) -> list[Patient]:
    unknown = set(conditions) - set(CONDITIONS)
    if unknown:
        raise SystemExit(f"unknown condition(s) {', '.join(sorted(unknown))} (known: {', '.join(CONDITIONS)})")
    too_general = {PHENOTYPIC_ABNORMALITY} | {t for t, ps in data.parents.items() if PHENOTYPIC_ABNORMALITY in ps}
    pool = sorted({t for d in data.omim() for t, _ in data.annotations[d]} - too_general)
    patients: list[Patient] = []
    for disease in sample_diseases(data, diseases, seed):
        base = draw(data, disease, random.Random(f"{seed}:{disease}:draw"))
        vague = imprecise(data, base, random.Random(f"{seed}:{disease}:imprecision"))
        extra = noise(data, disease, pool, random.Random(f"{seed}:{disease}:noise"))
        variants = {"exact": base, "noise": sorted(set(base) | set(extra)), "imprecision": vague,
                    "noise+imprecision": sorted(set(vague) | set(extra))}
        for condition in conditions:
            patients.append(Patient(len(patients), disease, condition, tuple(variants[condition])))
    return patients
