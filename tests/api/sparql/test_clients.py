"""Standard clients against a real server: SPARQLWrapper in every format, rdflib's SPARQLStore, rdflib's parsers."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDFS
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from rdflib.query import Result
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

LEUKEMIA = URIRef("http://purl.obolibrary.org/obo/MONDO_0005059")
PREFIXES = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dxkb: <https://w3id.org/dxkb/vocab#>
PREFIX MONDO: <http://purl.obolibrary.org/obo/MONDO_>
PREFIX HP: <http://purl.obolibrary.org/obo/HP_>
"""
SELECT = PREFIXES + """SELECT ?finding ?frequency WHERE {
  ?a a dxkb:DiseaseFindingAssociation ; dxkb:disease MONDO:0005059 ; dxkb:finding ?finding ; dxkb:frequency ?frequency .
} ORDER BY ?finding"""
CONSTRUCT = PREFIXES + "CONSTRUCT { ?d rdfs:label ?l } WHERE { VALUES ?d { MONDO:0005059 HP:0000988 } ?d rdfs:label ?l }"


def wrapper(server, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    client = SPARQLWrapper(server.sparql)
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    client.setTimeout(20)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(sparql_server, method):
    result = wrapper(sparql_server, SELECT, JSON, method).query().convert()
    frequencies = {b["finding"]["value"]: b["frequency"] for b in result["results"]["bindings"]}
    rash = frequencies["http://purl.obolibrary.org/obo/HP_0000988"]
    assert rash["value"] == "0.05"
    assert rash["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"
    assert len(frequencies) == 9


def test_sparqlwrapper_select_xml(sparql_server):
    document = wrapper(sparql_server, SELECT, XML).query().convert()  # an xml.dom.minidom Document
    variables = [v.getAttribute("name") for v in document.getElementsByTagName("variable")]
    assert variables == ["finding", "frequency"]
    assert len(document.getElementsByTagName("result")) == 9
    literals = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert "0.05" in literals


def test_sparqlwrapper_select_csv(sparql_server):
    text = wrapper(sparql_server, SELECT, CSV).query().convert().decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["finding", "frequency"]
    assert ["http://purl.obolibrary.org/obo/HP_0000988", "0.05"] in rows  # bare IRI, bare lexical form
    assert len(rows) == 10


def test_sparqlwrapper_select_tsv(sparql_server):
    text = wrapper(sparql_server, SELECT, TSV).query().convert().decode("utf-8")
    lines = text.strip("\n").split("\n")
    assert lines[0] == "?finding\t?frequency"
    assert '<http://purl.obolibrary.org/obo/HP_0000988>\t"0.05"^^<http://www.w3.org/2001/XMLSchema#decimal>' in lines


def test_sparqlwrapper_ask(sparql_server):
    assert wrapper(sparql_server, PREFIXES + "ASK { MONDO:0005059 rdfs:label 'Leukemia' }", JSON).query().convert()["boolean"] is True
    document = wrapper(sparql_server, PREFIXES + "ASK { MONDO:0005059 rdfs:label 'Measles' }", XML).query().convert()
    assert document.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("fmt,rdflib_format", [(TURTLE, "turtle"), (N3, "turtle"), (JSONLD, "json-ld"),
                                                (RDFXML, "xml"), (XML, "xml")])
def test_sparqlwrapper_construct(sparql_server, fmt, rdflib_format):
    converted = wrapper(sparql_server, CONSTRUCT, fmt).query().convert()
    graph = converted if isinstance(converted, Graph) else Graph().parse(data=converted, format=rdflib_format)
    assert (LEUKEMIA, RDFS.label, Literal("Leukemia")) in graph
    assert len(graph) == 2


def test_sparqlwrapper_construct_ntriples(sparql_server):
    client = wrapper(sparql_server, CONSTRUCT, TURTLE)
    client.addCustomHttpHeader("Accept", "application/n-triples")
    client.setOnlyConneg(True)  # no format= parameter: the Accept header alone decides
    response = client.query()
    assert response.response.headers["Content-Type"].startswith("application/n-triples")
    graph = Graph().parse(data=response.response.read().decode("utf-8"), format="nt")
    assert (LEUKEMIA, RDFS.label, Literal("Leukemia")) in graph


def test_sparqlwrapper_reports_a_malformed_query(sparql_server):
    with pytest.raises(QueryBadFormed) as raised:
        wrapper(sparql_server, "SELECT ?x WHERE { ?x ?y }", JSON).query()
    assert "malformed query" in str(raised.value)


@pytest.mark.parametrize("content_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                          "text/csv", "text/tab-separated-values"])
def test_rdflib_parses_every_result_format(sparql_server, content_type):
    """Our serialisers, read back by an independent parser."""
    import httpx

    response = httpx.get(sparql_server.sparql, params={"query": SELECT}, headers={"Accept": content_type})
    result = Result.parse(io.BytesIO(response.content), content_type=content_type)
    values = {str(row[0]): str(row[1]) for row in result}
    assert values["http://purl.obolibrary.org/obo/HP_0000988"] == "0.05"
    assert len(values) == 9


def test_rdflib_sparqlstore_reads_the_graph(sparql_server):
    store = SPARQLStore(query_endpoint=sparql_server.sparql, returnFormat="json")
    graph = Graph(store=store, identifier=DATASET_DEFAULT_GRAPH_ID)
    assert graph.value(LEUKEMIA, RDFS.label) == Literal("Leukemia")
    labels = {str(o) for o in graph.objects(URIRef("http://purl.obolibrary.org/obo/HP_0000988"), RDFS.label)}
    assert labels == {"Skin rash"}
    assert len(graph) > 1000  # SPARQLStore counts with SELECT (COUNT(*) ...)
    rows = list(graph.query(SELECT))
    assert len(rows) == 9


def test_rdflib_sparqlstore_with_post(sparql_server):
    store = SPARQLStore(query_endpoint=sparql_server.sparql, method="POST_FORM", returnFormat="xml")
    graph = Graph(store=store, identifier=DATASET_DEFAULT_GRAPH_ID)
    triples = list(graph.triples((LEUKEMIA, RDFS.label, None)))
    assert triples == [(LEUKEMIA, RDFS.label, Literal("Leukemia"))]
    json.dumps([str(t) for t in triples])
