"""The files a build reads: the ontology, its SHACL shapes, the curated modules and their source documents.

Imported public data comes from the importers (``dxkb.kb.build.importers``), chosen by name."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Iterator

from rdflib import Graph

from dxkb.kb.errors import BuildError


def ontology_files() -> list[Path]:
    return [Path(str(resources.files("dxkb.ontology").joinpath("dxkb.ttl")))]


def shapes_file() -> Path:
    return Path(str(resources.files("dxkb.ontology").joinpath("shapes.ttl")))


def curated_files() -> list[Path]:
    data = resources.files("dxkb.kb").joinpath("data")
    return sorted(Path(str(p)) for p in data.iterdir() if p.name.endswith(".ttl"))


def source_document(name: str) -> Path:
    return Path(str(resources.files("dxkb.kb").joinpath("data", "sources", name)))


def iter_sources(extra: list[Path] | None = None) -> Iterator[Path]:
    yield from ontology_files()
    yield from curated_files()
    yield from extra or []


def load_graph(paths: list[Path]) -> Graph:
    """Parse Turtle files into one in-memory graph; a parse error names the file and line."""
    graph = Graph()
    for path in paths:
        if not path.is_file():
            raise BuildError(f"module not found: {path}")
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several parser error types
            raise BuildError(f"malformed Turtle in {path}: {str(error).strip().splitlines()[0]}") from error
    return graph

