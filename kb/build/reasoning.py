"""OWL 2 reasoning at build time with owlready2's HermiT (Java): consistency, then what it infers.

Run once per build, never per request. Only the ontology and curated modules go through the reasoner: the HPO
import is a plain class hierarchy with annotation-property associations, which adds nothing to classify.
"""

from __future__ import annotations

import io
import logging
import shutil
from dataclasses import dataclass

from rdflib import OWL, RDF, RDFS, Graph, URIRef

log = logging.getLogger(__name__)


_BUILTIN = ("http://www.w3.org/2002/07/owl#", "http://www.w3.org/2000/01/rdf-schema#",
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#")


class ReasoningError(RuntimeError):
    """The ontology is inconsistent, a class is unsatisfiable, or the reasoner could not run."""


@dataclass
class Inferences:
    graph: Graph  # inferred rdf:type and rdfs:subClassOf triples between named entities, not asserted before
    seconds: float


def java_available() -> bool:
    return shutil.which("java") is not None


def reason(asserted: Graph) -> Inferences:
    """Classify with HermiT and return the new named-class memberships and subclass links."""
    import time

    import owlready2

    if not java_available():
        raise ReasoningError("Java is not installed: HermiT needs a Java runtime (apt-get install default-jre-headless)")
    start = time.perf_counter()
    world = owlready2.World()
    without_imports = Graph()
    without_imports += (t for t in asserted if t[1] != OWL.imports)  # everything is local; never fetch imports
    data = without_imports.serialize(format="nt", encoding="utf-8")
    onto = world.get_ontology("https://w3id.org/dxkb/build-input")
    onto.load(fileobj=io.BytesIO(data), format="ntriples")
    try:
        with onto:
            owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError as error:
        raise ReasoningError(f"the ontology is inconsistent (HermiT): {_explain_inconsistency(asserted)}") from error
    except owlready2.base.OwlReadyJavaError as error:  # type: ignore[attr-defined]
        raise ReasoningError(f"HermiT failed: {str(error).strip().splitlines()[-1] if str(error).strip() else error}") from error
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c is not owlready2.Nothing)
    if unsatisfiable:
        raise ReasoningError("unsatisfiable classes (HermiT): " + ", ".join(unsatisfiable))
    inferred = Graph()
    for cls in world.classes():
        for parent in cls.is_a:
            if isinstance(parent, owlready2.ThingClass) and parent is not owlready2.Thing:
                triple = (URIRef(cls.iri), RDFS.subClassOf, URIRef(parent.iri))
                if triple not in asserted and URIRef(cls.iri) != URIRef(parent.iri):
                    inferred.add(triple)
    # world.individuals() lists only owl:NamedIndividual-declared ones; look up every typed IRI instead.
    typed = {s for s, o in asserted.subject_objects(RDF.type)
             if isinstance(s, URIRef) and isinstance(o, URIRef) and not str(o).startswith(_BUILTIN)}
    for iri in sorted(typed):
        individual = world[str(iri)]
        if individual is None or isinstance(individual, owlready2.EntityClass) or not hasattr(individual, "is_a"):
            continue
        for cls in individual.is_a:
            if isinstance(cls, owlready2.ThingClass) and cls is not owlready2.Thing:
                triple = (URIRef(individual.iri), RDF.type, URIRef(cls.iri))
                if triple not in asserted:
                    inferred.add(triple)
    world.close()
    return Inferences(inferred, time.perf_counter() - start)


def _explain_inconsistency(asserted: Graph) -> str:
    """Name the likely culprits: individuals typed with disjoint classes or with two values of a functional property."""
    problems: list[str] = []
    functional = set(asserted.subjects(RDF.type, OWL.FunctionalProperty))
    for prop in functional:
        for subject in set(asserted.subjects(prop, None)):
            values = set(asserted.objects(subject, prop))
            if len(values) > 1:
                problems.append(f"{subject} has {len(values)} values of functional property {prop}")
    return "; ".join(problems[:5]) or "see the asserted axioms of the modules"
