"""Serialise query results (pyoxigraph terms) in the SPARQL 1.1 result formats, with an explicit truncation note.

Why not Oxigraph's own serialisers: they write a whole ``QuerySolutions`` iterator, so a result cap could only be
applied by rewriting the user's query; serialising the capped list here keeps the query untouched and lets the
JSON carry a ``"dxkb": {"truncated": ..., "limit": ...}`` member (clients ignore members they do not know).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any, Sequence
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"
_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
Row = Sequence[Term | None]


@dataclass(frozen=True)
class Table:
    """A SELECT result after the cap: the variables, at most ``limit`` rows, and whether rows were dropped."""

    variables: list[str]
    rows: list[Row]
    truncated: bool
    limit: int


def _datatype(literal: ox.Literal) -> str | None:
    """The datatype worth writing: plain and language-tagged strings carry none in the result formats."""
    datatype = literal.datatype.value
    return None if datatype in (XSD_STRING, RDF_LANG_STRING, RDF_DIR_LANG_STRING) else datatype


# ---------------------------------------------------------------- JSON (https://www.w3.org/TR/sparql11-results-json/)
def json_term(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Triple):  # SPARQL 1.2 / SPARQL-star triple terms
        return {"type": "triple", "value": {"subject": json_term(term.subject),
                                            "predicate": json_term(term.predicate),
                                            "object": json_term(term.object)}}
    out: dict[str, Any] = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif (datatype := _datatype(term)) is not None:
        out["datatype"] = datatype
    return out


def _note(truncated: bool, limit: int, count: int) -> dict[str, Any]:
    return {"truncated": truncated, "limit": limit, "rows": count}


def select_json(table: Table) -> bytes:
    bindings = [{name: json_term(value) for name, value in zip(table.variables, row) if value is not None}
                for row in table.rows]
    document = {"head": {"vars": table.variables}, "results": {"bindings": bindings},
                "dxkb": _note(table.truncated, table.limit, len(table.rows))}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ask_json(answer: bool) -> bytes:
    return json.dumps({"head": {}, "boolean": answer}).encode("utf-8")


# ---------------------------------------------------------------- XML (https://www.w3.org/TR/rdf-sparql-XMLres/)
def _xml_text(text: str) -> str:
    """XML 1.0 cannot carry some control characters at all; they become U+FFFD rather than a broken document."""
    return escape(_XML_INVALID.sub("\ufffd", text))


def xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{xml_term(term.subject)}</subject><predicate>{xml_term(term.predicate)}"
                f"</predicate><object>{xml_term(term.object)}</object></triple>")
    attributes = ""
    if term.language:
        attributes = f" xml:lang={quoteattr(term.language)}"
    elif (datatype := _datatype(term)) is not None:
        attributes = f" datatype={quoteattr(_XML_INVALID.sub('', datatype))}"
    return f"<literal{attributes}>{_xml_text(term.value)}</literal>"


_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'


def select_xml(table: Table) -> bytes:
    parts = [_XML_HEAD]
    if table.truncated:
        parts.append(f"<!-- dxkb: truncated to the first {table.limit} rows (the endpoint's result cap) -->\n")
    parts.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in table.variables) + "</head>\n")
    parts.append("<results>\n")
    for row in table.rows:
        cells = "".join(f"<binding name={quoteattr(name)}>{xml_term(value)}</binding>"
                        for name, value in zip(table.variables, row) if value is not None)
        parts.append(f"<result>{cells}</result>\n")
    parts.append("</results>\n</sparql>\n")
    return "".join(parts).encode("utf-8")


def ask_xml(answer: bool) -> bytes:
    return (_XML_HEAD + f"<head/>\n<boolean>{'true' if answer else 'false'}</boolean>\n</sparql>\n").encode("utf-8")


# -------------------------------------------------- CSV and TSV (https://www.w3.org/TR/sparql11-results-csv-tsv/)
def csv_term(term: Term | None) -> str:
    """CSV keeps values only: bare IRIs, lexical forms without datatype or language, ``_:`` blank nodes."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Triple):
        return f"<< {tsv_term(term.subject)} {tsv_term(term.predicate)} {tsv_term(term.object)} >>"
    return term.value


def tsv_term(term: Term | None) -> str:
    """TSV keeps full RDF terms in Turtle/N-Triples syntax; Oxigraph's str() is that syntax, with escapes."""
    return "" if term is None else str(term)


def select_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.variables)
    for row in table.rows:
        writer.writerow([csv_term(value) for value in row])
    return buffer.getvalue().encode("utf-8")


def select_tsv(table: Table) -> bytes:
    lines = ["\t".join(f"?{v}" for v in table.variables)]
    lines += ["\t".join(tsv_term(value) for value in row) for row in table.rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def ask_csv(answer: bool) -> bytes:
    return f"_askResult\r\n{'true' if answer else 'false'}\r\n".encode("utf-8")


def ask_tsv(answer: bool) -> bytes:
    return f"?_askResult\n{'true' if answer else 'false'}\n".encode("utf-8")


SELECT_WRITERS = {"json": select_json, "xml": select_xml, "csv": select_csv, "tsv": select_tsv}
ASK_WRITERS = {"json": ask_json, "xml": ask_xml, "csv": ask_csv, "tsv": ask_tsv}


# ---------------------------------------------------------------- graphs (CONSTRUCT, DESCRIBE)
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "jsonld": ox.RdfFormat.JSON_LD, "rdfxml": ox.RdfFormat.RDF_XML}


def _iris(term: Term, into: set[str]) -> None:
    if isinstance(term, ox.NamedNode):
        into.add(term.value)
    elif isinstance(term, ox.Literal):
        into.add(term.datatype.value)
    elif isinstance(term, ox.Triple):
        for part in (term.subject, term.predicate, term.object):
            _iris(part, into)


def used_prefixes(triples: list[ox.Triple], prefixes: dict[str, str]) -> dict[str, str]:
    """Only the prefixes the graph uses, so that a three-triple answer does not open with twenty declarations."""
    iris: set[str] = set()
    for triple in triples:
        _iris(triple, iris)
    return {prefix: namespace for prefix, namespace in prefixes.items()
            if any(iri.startswith(namespace) for iri in iris)}


def graph(triples: list[ox.Triple], fmt: str, prefixes: dict[str, str], truncated: bool, limit: int) -> bytes:
    """Serialise with Oxigraph; Turtle and N-Triples also say in a comment that the graph was cut at the cap."""
    rdf_format = GRAPH_FORMATS[fmt]
    declared = used_prefixes(triples, prefixes) if fmt in ("turtle", "rdfxml") else None
    body = ox.serialize(triples, format=rdf_format, prefixes=declared) or b""
    if truncated and fmt in ("turtle", "ntriples"):
        body = f"# dxkb: truncated to the first {limit} triples (the endpoint's result cap)\n".encode() + body
    return body
