"""Unit tests of what needs no server: the refusal of updates and SERVICE, and content negotiation.

The screening is a security boundary (SERVICE would let anyone make the server fetch URLs), so it is checked
against the tricky spellings: the keyword glued to other tokens, and the word hidden in strings, IRIs, comments,
variables, prefixed names and language tags - where it is not the keyword.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from dxkb.api.sparql.formats import GRAPH_FORMATS, HTML, RESULT_FORMATS, FormatError, choose
from dxkb.api.sparql.screening import explain_syntax_error, keywords, screen, undeclared_prefixes

SERVICE_CALLS = [
    "SELECT * { SERVICE <http://e.org/s> { ?s ?p ?o } }",
    "select * { service <http://e.org/s> { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o .SERVICE <http://e.org/s> { ?a ?b ?c } }",
    "SELECT * { FILTER(?a<1)SERVICE<http://e.org/s>{?a ?b ?c} }",
    "SELECT * { ?s ?p ?o OPTIONAL { SERVICE SILENT ?endpoint { } } }",
    "PREFIX ex: <http://e.org/>\nSELECT * { ?s ex:a\\#b ?o . SERVICE <http://e.org/s> { } }",
    "SELECT * { ?s ?p 'x'@en SERVICE <http://e.org/s> { } }",
    "SELECT * { ?s ?p '''a ''' SERVICE <http://e.org/s> { } }",
    "SELECT * { # comment\n SERVICE <http://e.org/s> { } }",
]
NOT_SERVICE = [
    "SELECT * { ?s <http://e.org/SERVICE> ?o }",
    "SELECT * { ?s ?p 'SERVICE <http://e.org/s> { }' }",
    'SELECT * { ?s ?p """multi\nSERVICE <http://e.org/s> {}""" }',
    "SELECT ?SERVICE $SERVICE { ?SERVICE ?p ?o }",
    "SELECT * { ?s ?p ?o } # SERVICE <http://e.org/s> { }",
    "PREFIX SERVICE: <http://e.org/> SELECT * { ?s SERVICE:x ?o }",
    "PREFIX ex: <http://e.org/> SELECT * { ?s ex:SERVICE ?o . ?s ex:a.SERVICE ?o }",
    "SELECT * { _:SERVICE ?p ?o }",
    "SELECT * { ?s ?p 'x'@SERVICE }",
]


@pytest.mark.parametrize("query", SERVICE_CALLS)
def test_service_calls_are_refused(query):
    refusal = screen(query, allow_service=False)
    assert refusal is not None and refusal.status == 403 and "SERVICE" in refusal.message


@pytest.mark.parametrize("query", SERVICE_CALLS)
def test_service_calls_pass_when_allowed(query):
    assert screen(query, allow_service=True) is None


@pytest.mark.parametrize("query", NOT_SERVICE)
def test_the_word_service_elsewhere_is_not_the_keyword(query):
    assert "SERVICE" not in keywords(query)
    assert screen(query, allow_service=False) is None


@pytest.mark.parametrize("query", SERVICE_CALLS)
def test_every_refused_spelling_is_one_oxigraph_would_run(query):
    """The refusals are not of our own imagination: Oxigraph parses each as a SERVICE call (it would then try to
    reach the endpoint - here a port nothing listens on, or it fails on the unbound variable)."""
    store = ox.Store()
    text = query.replace("http://e.org/s", "http://127.0.0.1:1/s")
    try:
        list(store.query(text, prefixes={"ex": "http://e.org/"}))
    except SyntaxError as error:
        pytest.fail(f"Oxigraph does not parse {query!r}: {error}")
    except OSError:
        pass  # the SERVICE call itself failed: it was attempted


@pytest.mark.parametrize("update,keyword", [
    ("INSERT DATA { <a:s> <a:p> <a:o> }", "INSERT"),
    ("PREFIX ex: <http://e.org/>\nBASE <http://e.org/>\n# INSERT is not this\nDELETE WHERE { ?s ex:p ?o }", "DELETE"),
    ("load <http://e.org/data>", "LOAD"),
    ("CLEAR ALL", "CLEAR"),
    ("DROP SILENT GRAPH <a:g>", "DROP"),
    ("CREATE GRAPH <a:g>", "CREATE"),
    ("COPY <a:g> TO <a:h>", "COPY"),
    ("MOVE DEFAULT TO <a:h>", "MOVE"),
    ("ADD <a:g> TO <a:h>", "ADD"),
    ("WITH <a:g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
    ("INSERT DATA { malformed", "INSERT"),
])
def test_updates_are_refused_even_when_malformed(update, keyword):
    refusal = screen(update, allow_service=True)
    assert refusal is not None and refusal.status == 403
    assert f"({keyword})" in refusal.message and "read-only" in refusal.message


@pytest.mark.parametrize("query", ["SELECT * { ?s ?p ?o }", "ASK { ?s ?p ?o }", "DESCRIBE <a:b>",
                                   "PREFIX insert: <http://e.org/> CONSTRUCT WHERE { ?s insert:p ?o }"])
def test_queries_pass(query):
    assert screen(query, allow_service=False) is None


def test_empty_query_is_400():
    assert screen(" \n# only a comment\n", allow_service=False).status == 400


def test_syntax_error_names_the_undeclared_prefix():
    assert undeclared_prefixes("PREFIX a: <http://e/> SELECT * { ?s a:p ?o ; b:q ?x ; rdfs:label ?l }", ["rdfs"]) == ["b"]
    message = explain_syntax_error("SELECT * { ?s b:q ?o }", "error at 1:17: expected ...").message
    assert message.startswith("malformed query: undeclared prefix b:") and "error at 1:17" in message


# ------------------------------------------------------------------ content negotiation
@pytest.mark.parametrize("accept,family,expected", [
    (None, RESULT_FORMATS, "json"),
    ("", GRAPH_FORMATS, "turtle"),
    ("*/*", RESULT_FORMATS, "json"),
    ("text/*", RESULT_FORMATS, "csv"),
    ("application/sparql-results+xml;q=0.8, application/sparql-results+json;q=0.9", RESULT_FORMATS, "json"),
    ("text/csv;q=0, */*;q=0.1", RESULT_FORMATS, "json"),
    ("application/json", GRAPH_FORMATS, "jsonld"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", GRAPH_FORMATS + (HTML,), "html"),
    ("*/*", GRAPH_FORMATS + (HTML,), "turtle"),
    ("text/html;q=garbage, text/turtle", GRAPH_FORMATS + (HTML,), "turtle"),
])
def test_accept_header(accept, family, expected):
    assert choose(accept, [], family).name == expected


def test_nothing_acceptable_is_none():
    assert choose("image/png", [], RESULT_FORMATS) is None
    assert choose("text/turtle", [], RESULT_FORMATS) is None


def test_format_parameter_follows_the_query_family():
    assert choose(None, ["json"], RESULT_FORMATS).name == "json"
    assert choose(None, ["json"], GRAPH_FORMATS).name == "jsonld"
    assert choose(None, ["xml"], GRAPH_FORMATS).name == "rdfxml"
    assert choose(None, ["csv"], GRAPH_FORMATS) is None  # a CONSTRUCT cannot be CSV: the endpoint says 406
    assert choose(None, ["tsv", "text/tab-separated-values"], RESULT_FORMATS).name == "tsv"  # SPARQLWrapper
    assert choose(None, ["n3"], GRAPH_FORMATS).name == "turtle"
    with pytest.raises(FormatError, match="yaml"):
        choose(None, ["yaml"], RESULT_FORMATS)


# ------------------------------------------------------------------ bad input never crashes
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_screening_never_raises(text):
    refusal = screen(text, allow_service=False)
    assert refusal is None or refusal.status in (400, 403)
    explain_syntax_error(text, "error", ["rdfs"])


@settings(max_examples=300, deadline=None)
@given(st.text(), st.lists(st.text(max_size=20), max_size=3))
def test_negotiation_never_raises_anything_but_format_error(accept, formats):
    for family in (RESULT_FORMATS, GRAPH_FORMATS, GRAPH_FORMATS + (HTML,)):
        try:
            choose(accept, formats, family)
        except FormatError:
            assert formats
