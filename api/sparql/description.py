"""What the endpoint says about itself: a SPARQL 1.1 Service Description and VoID statistics of the dataset.

    GET /sparql        (no query, Accept: text/turtle)  -> the service description
    GET /sparql/void   (Accept: text/turtle)            -> VoID: triples, classes, properties, partitions

Both are RDF built with rdflib and serialised in the negotiated format. The statistics come from
``queries/sparql/void_*.rq``, run once through the same engine as researchers' queries and cached for the life
of the process (a rebuild of the store is picked up by a server restart).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, XSD

from dxkb.api.sparql.errors import EndpointError
from dxkb.api.sparql.execution import Job
from dxkb.kb.service import query_text
from dxkb.kb.vocab import NAMESPACES

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENT = Namespace("http://www.w3.org/ns/entailment/")
DXKB = Namespace("https://w3id.org/dxkb/vocab#")

#: Prefixes every query may use without declaring them (also declared in the service description, sh:declare).
PREDEFINED_PREFIXES: dict[str, str] = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "prov": "http://www.w3.org/ns/prov#",
    "obo": "http://purl.obolibrary.org/obo/",
    **NAMESPACES,
}
RESULT_FORMAT_IRIS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                      "Turtle", "N-Triples", "JSON-LD", "RDF_XML")
RDFLIB_FORMATS = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}
INTERNAL_TIMEOUT = 120.0  # statistics over a large store may take longer than a researcher's query may


def _bind(graph: Graph) -> Graph:
    for prefix, namespace in (("sd", SD), ("void", VOID), ("formats", FORMATS), ("ent", ENT), ("sh", SH),
                              ("dcterms", DCTERMS), ("dxkb", DXKB)):
        graph.bind(prefix, namespace, override=True)
    return graph


def serialise(graph: Graph, fmt: str) -> bytes:
    return graph.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8")


def service_description(endpoint: str, *, timeout: float, max_rows: int, allow_service: bool) -> Graph:
    """SPARQL 1.1 Service Description (https://www.w3.org/TR/sparql11-service-description/)."""
    graph = _bind(Graph())
    service = URIRef(endpoint)
    dataset = URIRef(f"{endpoint}/void#dataset")
    default_graph = BNode("defaultGraph")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.defaultEntailmentRegime, ENT.Simple))
    for name in RESULT_FORMAT_IRIS:
        graph.add((service, SD.resultFormat, FORMATS[name]))
    if allow_service:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    graph.add((service, DCTERMS.title, Literal("dxkb SPARQL endpoint: a diagnostic knowledge graph")))
    graph.add((service, DCTERMS.description, Literal(
        f"Read-only SPARQL 1.1 query endpoint. Limits: each query is stopped after {timeout:g} s (error 504, "
        f"never a partial answer); results are capped at {max_rows} rows or triples (header X-DXKB-Truncated, "
        f"and a \"dxkb\" member in JSON results); SPARQL Update is refused (403); SERVICE is "
        f"{'allowed' if allow_service else 'refused (403)'}. Decision support, not a diagnosis.")))
    graph.add((service, RDFS.seeAlso, URIRef(f"{endpoint}/void")))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, SD.defaultGraph, default_graph))
    graph.add((default_graph, RDF.type, SD.Graph))
    for prefix, namespace in PREDEFINED_PREFIXES.items():  # the prefix convention UniProt and others use
        declaration = BNode(f"prefix_{prefix}")
        graph.add((service, SH.declare, declaration))
        graph.add((declaration, SH.prefix, Literal(prefix)))
        graph.add((declaration, SH.namespace, Literal(namespace, datatype=XSD.anyURI)))
    return graph


@dataclass
class VoidStatistics:
    numbers: dict[str, int]
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    build: dict[str, Any] = field(default_factory=dict)


def _rows(body: bytes) -> list[dict[str, str]]:
    document = json.loads(body)
    return [{name: cell["value"] for name, cell in binding.items()} for binding in document["results"]["bindings"]]


class VoidCache:
    """Computes the statistics on first request through the query engine; later requests get the cached ones."""

    def __init__(self) -> None:
        self._statistics: VoidStatistics | None = None
        self._lock = asyncio.Lock()

    async def get(self, engine: Any, max_rows: int) -> VoidStatistics:
        async with self._lock:
            if self._statistics is None:
                self._statistics = await self._compute(engine, max_rows)
            return self._statistics

    @staticmethod
    async def _select(engine: Any, name: str, max_rows: int) -> list[dict[str, str]]:
        job = Job(query=query_text(f"sparql/{name}"), results_format="json", graph_format=None,
                  max_rows=max_rows)
        outcome = await engine.run(job, INTERNAL_TIMEOUT)
        if outcome.status != 200:
            raise EndpointError(503, f"VoID statistics could not be computed ({name}): "
                                     f"{outcome.body.decode('utf-8', 'replace')}")
        return _rows(outcome.body)

    async def _compute(self, engine: Any, max_rows: int) -> VoidStatistics:
        numbers = (await self._select(engine, "void_statistics", 1) or [{}])[0]
        classes = await self._select(engine, "void_class_partitions", max_rows)
        properties = await self._select(engine, "void_property_partitions", max_rows)
        build_rows = await self._select(engine, "void_build", max_rows)
        build: dict[str, Any] = {}
        if build_rows:
            build = {"created": build_rows[0].get("created"), "version": build_rows[0].get("version"),
                     "sources": sorted({r["source"] for r in build_rows if r.get("source")})}
        return VoidStatistics(numbers={k: int(v) for k, v in numbers.items()},
                              classes=[(r["class"], int(r["entities"])) for r in classes],
                              properties=[(r["property"], int(r["triples"])) for r in properties], build=build)


def void_description(endpoint: str, statistics: VoidStatistics) -> Graph:
    """VoID (https://www.w3.org/TR/void/): the dataset behind the endpoint, with class and property partitions."""
    graph = _bind(Graph())
    dataset = URIRef(f"{endpoint}/void#dataset")
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, DCTERMS.title, Literal("dxkb: diagnostic knowledge graph")))
    graph.add((dataset, DCTERMS.description, Literal(
        "Diseases, findings and diagnostic steps as OWL classes; disease-finding associations with frequencies, "
        "priors, red flags, step yields and preconditions as sourced assertions. Decision support, not a "
        "diagnosis.")))
    graph.add((dataset, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    graph.add((dataset, VOID.sparqlEndpoint, URIRef(endpoint)))
    graph.add((dataset, VOID.uriSpace, Literal("https://w3id.org/dxkb/")))
    for namespace in ("https://w3id.org/dxkb/vocab#", "http://purl.obolibrary.org/obo/HP_",
                      "http://purl.obolibrary.org/obo/MONDO_", "http://www.geneontology.org/formats/oboInOwl#"):
        graph.add((dataset, VOID.vocabulary, URIRef(namespace)))
    void_names = {"triples": VOID.triples, "distinctSubjects": VOID.distinctSubjects,
                  "distinctObjects": VOID.distinctObjects, "properties": VOID.properties,
                  "classes": VOID.classes, "entities": VOID.entities}
    for key, predicate in void_names.items():
        if key in statistics.numbers:
            graph.add((dataset, predicate, Literal(statistics.numbers[key])))
    if statistics.build.get("created"):
        graph.add((dataset, DCTERMS.modified, Literal(statistics.build["created"], datatype=XSD.dateTime)))
    if statistics.build.get("version"):
        graph.add((dataset, DCTERMS.hasVersion, Literal(statistics.build["version"])))
    for source in statistics.build.get("sources", []):
        graph.add((dataset, DCTERMS.source, Literal(source)))
    for index, (cls, entities) in enumerate(statistics.classes):
        partition = BNode(f"class{index}")
        graph.add((dataset, VOID.classPartition, partition))
        graph.add((partition, VOID["class"], URIRef(cls)))
        graph.add((partition, VOID.entities, Literal(entities)))
    for index, (prop, count) in enumerate(statistics.properties):
        partition = BNode(f"property{index}")
        graph.add((dataset, VOID.propertyPartition, partition))
        graph.add((partition, VOID.property, URIRef(prop)))
        graph.add((partition, VOID.triples, Literal(count)))
    return graph
