"""SPARQL 1.1 Protocol edge cases against a real server, with plain HTTP (httpx)."""

from __future__ import annotations

import json

import httpx
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF

from dxkb.kb.store.embedded import open_read_only
from dxkb.kb.store.folder import current_build

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
LABELS = "SELECT ?label WHERE { <http://purl.obolibrary.org/obo/MONDO_0005059> rdfs:label ?label }"
JSON = "application/sparql-results+json"


def labels(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [b["label"]["value"] for b in response.json()["results"]["bindings"]]


# ------------------------------------------------------------------ the three ways to send a query
def test_get_with_query_parameter(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS}, headers={"Accept": JSON})
    assert labels(response) == ["Leukemia"]
    assert response.headers["content-type"].startswith(JSON)


def test_post_form_encoded(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": LABELS}, headers={"Accept": JSON})
    assert labels(response) == ["Leukemia"]


def test_post_sparql_query_body(sparql_server):
    response = httpx.post(sparql_server.sparql, content=LABELS.encode(),
                          headers={"Content-Type": "application/sparql-query; charset=utf-8", "Accept": JSON})
    assert labels(response) == ["Leukemia"]


def test_head_is_allowed_and_other_methods_are_not(sparql_server):
    assert httpx.head(sparql_server.sparql, params={"query": LABELS}).status_code == 200
    assert httpx.put(sparql_server.sparql, content=LABELS).status_code == 405
    assert httpx.delete(sparql_server.sparql).status_code == 405


# ------------------------------------------------------------------ missing, doubled, malformed
def test_post_without_query_is_400(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"format": "json"})
    assert response.status_code == 400
    assert "missing query" in response.text


def test_empty_query_is_400(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": "  "})
    assert response.status_code == 400
    assert "empty" in response.text


def test_two_query_parameters_are_400(sparql_server):
    response = httpx.get(sparql_server.sparql, params=[("query", LABELS), ("query", LABELS)])
    assert response.status_code == 400
    assert "exactly one" in response.text


def test_query_in_body_and_url_is_400(sparql_server):
    response = httpx.post(sparql_server.sparql, params={"query": LABELS}, content=LABELS,
                          headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400


def test_query_and_update_together_are_400(sparql_server):
    response = httpx.post(sparql_server.sparql, data={"query": LABELS, "update": "CLEAR ALL"})
    assert response.status_code == 400
    assert "both a query and an update" in response.text


def test_malformed_query_is_400_with_the_parser_message(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/plain")
    assert "malformed query" in response.text
    assert "1:" in response.text  # the parser's line:column


def test_undeclared_prefix_is_400(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": "SELECT * WHERE { ?s nope:p ?o }"})
    assert response.status_code == 400
    assert "nope" in response.text


def test_predefined_prefixes_need_no_declaration(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": "SELECT ?label WHERE { MONDO:0005059 rdfs:label ?label }"})
    assert labels(response) == ["Leukemia"]


def test_body_that_is_not_utf8_is_400(sparql_server):
    response = httpx.post(sparql_server.sparql, content=b"SELECT * { ?s ?p \xff }",
                          headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 400
    assert "UTF-8" in response.text


def test_unsupported_content_type_is_415(sparql_server):
    response = httpx.post(sparql_server.sparql, content=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 415
    assert "application/sparql-query" in response.text


def test_oversized_body_is_413(sparql_server):
    huge = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_100_000
    response = httpx.post(sparql_server.sparql, content=huge, headers={"Content-Type": "application/sparql-query"})
    assert response.status_code == 413


# ------------------------------------------------------------------ read-only and SERVICE
@pytest.mark.parametrize("update", [
    "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }",
    "DELETE WHERE { ?s ?p ?o }",
    "LOAD <http://example.org/data.ttl>",
    "CLEAR ALL",
    "DROP GRAPH <http://example.org/g>",
    "PREFIX ex: <http://example.org/>\n# a comment\nWITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
])
def test_updates_are_403(sparql_server, update):
    response = httpx.post(sparql_server.sparql, data={"query": update})
    assert response.status_code == 403, response.text
    assert "read-only" in response.text


def test_update_parameter_and_update_content_type_are_403(sparql_server):
    assert httpx.post(sparql_server.sparql, data={"update": "CLEAR ALL"}).status_code == 403
    response = httpx.post(sparql_server.sparql, content="CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert response.status_code == 403
    assert "read-only" in response.text


def test_store_is_unchanged_after_update_attempts(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                         headers={"Accept": JSON})
    assert int(response.json()["results"]["bindings"][0]["n"]["value"]) > 1000


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o . OPTIONAL { service silent <http://example.org/sparql> { ?s ?p ?x } } }",
    "SELECT * WHERE { ?s ?p ?o .SERVICE ?endpoint { ?a ?b ?c } }",
])
def test_service_is_refused(sparql_server, query):
    response = httpx.post(sparql_server.sparql, data={"query": query})
    assert response.status_code == 403
    assert "SERVICE" in response.text


def test_the_word_service_elsewhere_is_not_refused(sparql_server):
    query = ('SELECT ?SERVICE WHERE { BIND("SERVICE <http://x>" AS ?SERVICE) '
             '?s <http://example.org/SERVICE> ?o } # SERVICE')
    response = httpx.post(sparql_server.sparql, data={"query": query}, headers={"Accept": JSON})
    assert response.status_code == 200, response.text


# ------------------------------------------------------------------ content negotiation
@pytest.mark.parametrize("accept,expected", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
    ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
    ("*/*", "application/sparql-results+json"),
])
def test_select_negotiation(sparql_server, accept, expected):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS}, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected
    assert "Leukemia" in response.text


@pytest.mark.parametrize("accept,expected", [
    ("text/turtle", "text/turtle"),
    ("application/n-triples", "application/n-triples"),
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("*/*", "text/turtle"),
])
def test_construct_negotiation(sparql_server, accept, expected):
    query = "CONSTRUCT WHERE { MONDO:0005059 rdfs:label ?label }"
    response = httpx.get(sparql_server.sparql, params={"query": query}, headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == expected
    graph = Graph().parse(data=response.text, format={"text/turtle": "turtle", "application/n-triples": "nt",
                                                      "application/ld+json": "json-ld",
                                                      "application/rdf+xml": "xml"}[expected])
    assert len(graph) == 1


def test_csv_has_bare_iris_and_crlf(sparql_server):
    query = "SELECT ?d ?label WHERE { VALUES ?d { MONDO:0005059 } ?d rdfs:label ?label }"
    response = httpx.get(sparql_server.sparql, params={"query": query, "format": "csv"})
    assert response.content == b"d,label\r\nhttp://purl.obolibrary.org/obo/MONDO_0005059,Leukemia\r\n"


def test_tsv_has_rdf_terms(sparql_server):
    query = 'SELECT ?d ?label WHERE { VALUES ?d { MONDO:0005059 } ?d rdfs:label ?label }'
    response = httpx.get(sparql_server.sparql, params={"query": query, "format": "tsv"})
    assert response.text == '?d\t?label\n<http://purl.obolibrary.org/obo/MONDO_0005059>\t"Leukemia"\n'


def test_unsupported_accept_is_406(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


def test_graph_only_accept_for_a_select_is_406(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert "SELECT" in response.text


def test_format_parameter_overrides_accept(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS, "format": "xml"},
                         headers={"Accept": "text/csv"})
    assert response.headers["content-type"].startswith("application/sparql-results+xml")


def test_unknown_format_parameter_is_400(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS, "format": "yaml"})
    assert response.status_code == 400
    assert "yaml" in response.text and "json" in response.text


def test_ask_json(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": "ASK { MONDO:0005059 rdfs:label 'Leukemia' }"},
                         headers={"Accept": JSON})
    assert response.json()["boolean"] is True


# ------------------------------------------------------------------ dataset parameters
def test_default_graph_uri_selects_an_empty_named_graph(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS, "default-graph-uri": "http://example.org/g"},
                         headers={"Accept": JSON})
    assert labels(response) == []


def test_named_graph_uri_is_accepted(sparql_server):
    query = "SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    response = httpx.post(sparql_server.sparql, params={"named-graph-uri": "http://example.org/g"}, content=query,
                          headers={"Content-Type": "application/sparql-query", "Accept": JSON})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []


def test_default_graph_uri_must_be_an_iri(sparql_server):
    response = httpx.get(sparql_server.sparql, params={"query": LABELS, "default-graph-uri": "Nb3f0a"})
    assert response.status_code == 400
    assert "default-graph-uri" in response.text


# ------------------------------------------------------------------ service description, page, VoID
def test_service_description_by_default(sparql_server):
    response = httpx.get(sparql_server.sparql)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.text, format="turtle")
    service = URIRef(sparql_server.sparql)
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) not in graph


def test_service_description_is_negotiated(sparql_server):
    response = httpx.get(sparql_server.sparql, headers={"Accept": "application/ld+json"})
    assert response.headers["content-type"].startswith("application/ld+json")
    assert Graph().parse(data=response.text, format="json-ld").value(predicate=RDF.type, object=SD.Service)


def test_browsers_get_the_query_page(sparql_server):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = httpx.get(sparql_server.sparql, headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<textarea" in response.text
    assert "http" not in response.headers["content-security-policy"]  # nothing from other origins
    for asset in ("/sparql/static/app.js", "/sparql/static/style.css"):
        assert httpx.get(sparql_server.base + asset).status_code == 200


def test_void_statistics(sparql_server, curated_store):
    response = httpx.get(f"{sparql_server.sparql}/void")
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    dataset = graph.value(predicate=RDF.type, object=VOID.Dataset)
    assert dataset is not None
    assert int(graph.value(dataset, VOID.triples)) == len(open_read_only(current_build(curated_store)))
    for statistic in (VOID.classes, VOID.properties, VOID.distinctSubjects, VOID.distinctObjects):
        assert int(graph.value(dataset, statistic)) > 0
    partitions = {graph.value(p, VOID["class"]): int(graph.value(p, VOID.entities))
                  for p in graph.objects(dataset, VOID.classPartition)}
    red_flags = open_read_only(current_build(curated_store)).query(
        "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a <https://w3id.org/dxkb/vocab#RedFlag> }")
    assert partitions[URIRef("https://w3id.org/dxkb/vocab#RedFlag")] == int(next(iter(red_flags))["n"].value) >= 4
    assert graph.value(dataset, VOID.sparqlEndpoint) == URIRef(sparql_server.sparql)


def test_examples_listing(sparql_server):
    data = httpx.get(f"{sparql_server.sparql}/examples").json()
    assert data["prefixes"]["HP"] == "http://purl.obolibrary.org/obo/HP_"
    names = [e["name"] for e in data["examples"]]
    assert "01_causes_of_finding" in names
    for example in data["examples"]:
        assert example["title"] and example["purpose"] and example["query"].lstrip().startswith("#")
    json.dumps(data)  # plain JSON, nothing exotic


# ------------------------------------------------------------------ bad input never crashes the server
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SPARQLISH = st.lists(st.sampled_from(["SELECT", "ASK", "CONSTRUCT", "WHERE", "{", "}", "?s", "?p", "?o", ".", "<",
                                      ">", "<http://e.org/x>", "'x'", '"', "#", "\n", "SERVICE", "INSERT", "FILTER",
                                      "(", ")", "ORDER BY", "LIMIT", "1", "rdfs:label", "\\", "\x00", "é"]),
                     max_size=25).map(" ".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.one_of(st.text(max_size=200), SPARQLISH), accept=st.sampled_from(
    ["*/*", "text/csv", "application/sparql-results+xml;q=0.5", "text/turtle", "image/*", "x", ""]))
def test_bad_input_gets_a_clear_client_error_never_a_crash(sparql_server, query, accept):
    response = httpx.post(sparql_server.sparql, data={"query": query}, headers={"Accept": accept}, timeout=30)
    assert response.status_code in (200, 400, 403, 406, 504), response.text
    if response.status_code != 200:
        assert response.headers["content-type"].startswith("text/plain") and response.text.strip()
