"""The sources a build reads: the ontology, the curated modules, and optional importers (by name)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Callable, Iterator

from rdflib import Graph

#: Optional sources, by name: a function that writes N-Triples into a file and returns a short summary.
#: Importers register here (see kb/importers); `dxkb build --without NAME` leaves one out.
Importer = Callable[[Path], str]
OPTIONAL_SOURCES: dict[str, Callable[[], Importer]] = {}


def ontology_files() -> list[Path]:
    return [Path(str(resources.files("ontology").joinpath("dxkb.ttl")))]


def shapes_file() -> Path:
    return Path(str(resources.files("ontology").joinpath("shapes.ttl")))


def curated_files() -> list[Path]:
    data = resources.files("kb").joinpath("data")
    return sorted(Path(str(p)) for p in data.iterdir() if p.name.endswith(".ttl"))


def source_document(name: str) -> Path:
    return Path(str(resources.files("kb").joinpath("data", "sources", name)))


def iter_sources(extra: list[Path] | None = None) -> Iterator[Path]:
    yield from ontology_files()
    yield from curated_files()
    yield from extra or []


def load_graph(paths: list[Path]) -> Graph:
    """Parse Turtle files into one in-memory graph; a parse error names the file and line."""
    from kb.errors import BuildError

    graph = Graph()
    for path in paths:
        if not path.is_file():
            raise BuildError(f"module not found: {path}")
        try:
            graph.parse(path, format="turtle")
        except Exception as error:  # rdflib raises several parser error types
            raise BuildError(f"malformed Turtle in {path}: {str(error).strip().splitlines()[0]}") from error
    return graph


import kb.importers  # noqa: E402,F401  (registers OPTIONAL_SOURCES["hpo"]; after the definitions above)
