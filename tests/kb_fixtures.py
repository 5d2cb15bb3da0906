"""Fixtures for the kb layer: one curated store built per test session, through the real build."""

from __future__ import annotations

from pathlib import Path

import pytest

from dxkb.kb.build.pipeline import build
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.service import open_store_at as open_graph


@pytest.fixture(scope="session")
def curated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store folder holding the ontology and curated modules (no HPO), built like `dxkb build --without hpo`."""
    folder = tmp_path_factory.mktemp("curated-store")
    build(folder, include=(), progress=False)
    return folder


@pytest.fixture(scope="session")
def engine(curated_store: Path) -> DiagnosisEngine:
    return DiagnosisEngine(open_graph(str(curated_store)))
