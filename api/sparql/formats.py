"""Result formats and HTTP content negotiation for the SPARQL endpoint.

    >>> choose("text/csv, */*;q=0.1", [], RESULT_FORMATS).name
    'csv'
    >>> choose(None, ["turtle"], GRAPH_FORMATS).media_type
    'text/turtle'

A query's form (SELECT/ASK vs CONSTRUCT/DESCRIBE) is only known once the engine has parsed it, so the endpoint
negotiates both families up front and lets the engine pick; a family with no acceptable format becomes a 406
only if the query turns out to need it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Sequence

Family = Literal["results", "graph", "page"]


class FormatError(ValueError):
    """The ``format`` parameter names no format this endpoint knows."""


@dataclass(frozen=True)
class Format:
    name: str  # the short name for ?format=
    media_type: str  # what the response's Content-Type says
    family: Family
    extension: str  # for downloads
    aliases: tuple[str, ...] = ()  # other media types that select this format in Accept or ?format=
    names: tuple[str, ...] = ()  # other short names

    @property
    def content_type(self) -> str:
        """Text formats carry their charset so that browsers and curl decode UTF-8 correctly."""
        return f"{self.media_type}; charset=utf-8" if self.media_type.startswith("text/") else self.media_type

    def matches(self, media_type: str) -> bool:
        return media_type == self.media_type or media_type in self.aliases


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results", "srj", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "results", "srx", ("application/xml", "text/xml")),
    Format("csv", "text/csv", "results", "csv"),
    Format("tsv", "text/tab-separated-values", "results", "tsv"),
)
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "graph", "ttl", ("application/x-turtle", "text/n3", "text/rdf+n3"),
           ("ttl", "n3")),  # Turtle is valid N3: SPARQLWrapper's N3 return format gets Turtle
    Format("ntriples", "application/n-triples", "graph", "nt", ("text/plain",), ("nt", "n-triples")),
    Format("jsonld", "application/ld+json", "graph", "jsonld", ("application/json",), ("json-ld", "json")),
    Format("rdfxml", "application/rdf+xml", "graph", "rdf", ("application/xml", "text/xml"),
           ("rdf", "xml", "rdf+xml")),
)
HTML = Format("html", "text/html", "page", "html", ("application/xhtml+xml",))

BY_NAME: dict[str, Format] = {f.name: f for f in RESULT_FORMATS + GRAPH_FORMATS}


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")

    def covers(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return self.type in ("*", kind) and self.subtype in ("*", sub)


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header leniently: a malformed range is skipped rather than failing the request."""
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        pieces = [p.strip() for p in part.split(";")]
        media, _, subtype = pieces[0].lower().partition("/")
        if not media or not subtype:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(media, subtype, q))
    return ranges


def _quality(fmt: Format, ranges: Sequence[MediaRange]) -> tuple[float, bool]:
    """The q of the most specific range covering the format (RFC 9110 section 12.5.1), and whether the range
    covers the format's own media type rather than an alias (``text/*`` means CSV and TSV, not text/xml)."""
    best: MediaRange | None = None
    canonical = False
    for candidate in (fmt.media_type, *fmt.aliases):
        for media_range in ranges:
            if media_range.covers(candidate) and (best is None or media_range.specificity > best.specificity
                                                  or (media_range.specificity == best.specificity
                                                      and media_range.q > best.q)):
                best, canonical = media_range, candidate == fmt.media_type
    return (best.q, canonical) if best else (0.0, False)


def by_format_parameter(value: str, family: Sequence[Format]) -> Format | None:
    """``?format=`` takes a short name or a media type; returns None when it names another family's format."""
    wanted = value.strip().lower()
    everything = RESULT_FORMATS + GRAPH_FORMATS
    known = [f for f in everything if wanted == f.name or wanted in f.names or f.matches(wanted)]
    if not known:
        names = ", ".join(f.name for f in everything)
        raise FormatError(f"unknown format {value!r}: use one of {names} or a media type")
    return next((f for f in family if f in known), None)


def choose(accept: str | None, format_parameters: Sequence[str], family: Sequence[Format]) -> Format | None:
    """The format to answer in, or None when the client accepts none of this family's formats.

    ``format_parameters`` are the values of ``?format=`` (SPARQLWrapper sends a short name and a media type);
    the first one this endpoint knows decides, and it overrides the Accept header.
    """
    errors: list[FormatError] = []
    for value in format_parameters:
        try:
            return by_format_parameter(value, family)
        except FormatError as error:
            errors.append(error)
    if errors:
        raise errors[0]
    ranges = parse_accept(accept)
    if not ranges:
        return family[0]
    best, best_key = None, (0.0, False)
    for fmt in family:  # server preference breaks ties: the first format of the family wins
        key = _quality(fmt, ranges)
        if key[0] > 0 and key > best_key:
            best, best_key = fmt, key
    return best


def supported_media_types(family: Sequence[Format]) -> str:
    return ", ".join(f.media_type for f in family)
