"""The vocabulary: namespaces, CURIE prefixes and CURIE <-> IRI conversion for the public vocabularies dxkb reuses.

One prefix map for the whole project, so that IDs in the API, the CLI, the importers and the store agree.
"""

from __future__ import annotations

import re

from rdflib import URIRef

PREFIXES: dict[str, str] = {
    "HP": "http://purl.obolibrary.org/obo/HP_",
    "MONDO": "http://purl.obolibrary.org/obo/MONDO_",
    "DOID": "http://purl.obolibrary.org/obo/DOID_",
    "OMIM": "https://omim.org/entry/",
    "ORPHA": "http://www.orpha.net/ORDO/Orphanet_",
    "DECIPHER": "https://www.deciphergenomics.org/syndrome/",
    "DXKB": "https://w3id.org/dxkb/DXKB_",
    "MAXO": "http://purl.obolibrary.org/obo/MAXO_",
    "LOINC": "https://loinc.org/",
}

DXKB = "https://w3id.org/dxkb/vocab#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCTERMS = "http://purl.org/dc/terms/"
OBOINOWL = "http://www.geneontology.org/formats/oboInOwl#"
IAO = "http://purl.obolibrary.org/obo/IAO_"
DEFINITION = IAO + "0000115"
#: The build's provenance node (dxkb:BuildInfo) and the source node of each imported dataset.
BUILD_INFO = "https://w3id.org/dxkb/build"
SOURCE_BASE = "https://w3id.org/dxkb/source/"

#: Namespaces used in queries and serialisations (prefix -> namespace IRI).
NAMESPACES: dict[str, str] = {
    "dxkb": DXKB,
    "rdfs": RDFS,
    "owl": OWL,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "oboInOwl": OBOINOWL,
    "IAO": IAO,
    **PREFIXES,
}

_CURIE = re.compile(r"^(?P<prefix>[A-Za-z][A-Za-z0-9_]*):(?P<local>[A-Za-z0-9_.\-]+)$")


class InvalidCurie(ValueError):
    """An ID that is not a CURIE with a known prefix."""


def to_iri(curie: str) -> URIRef:
    """Expand a CURIE such as ``HP:0000988``; rejects anything that could smuggle syntax into a query."""
    match = _CURIE.match(curie.strip())
    if not match:
        raise InvalidCurie(f"not a CURIE (PREFIX:LOCAL_ID): {curie!r}")
    prefix = match.group("prefix").upper()
    if prefix not in PREFIXES:
        known = ", ".join(sorted(PREFIXES))
        raise InvalidCurie(f"unknown prefix {match.group('prefix')!r} in {curie!r} (known: {known})")
    return URIRef(PREFIXES[prefix] + match.group("local"))


def to_curie(iri: str) -> str:
    """Contract an IRI; IRIs outside the known namespaces are returned unchanged."""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    return str(iri)
