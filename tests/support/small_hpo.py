"""A small HPO excerpt built through the real build: the curated modules plus the HPO importer run on an hp.obo and
a phenotype.hpoa that a test writes (tests/kb/build/importers/test_hpo.py's OBO with the test's extra terms)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import pytest

from dxkb.kb.build import importers
from dxkb.kb.build.pipeline import build
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.service import open_store_at
from tests.kb.build.importers.test_hpo import OBO, hpoa_text, write_inputs

_INPUTS: tuple[Path, Path] | None = None  # the files the registered importer reads (set while a build runs)


def import_small_hpo(target: Path) -> str:
    """The HPO importer on the files of the build under way (registered under "hpo" while it runs)."""
    from dxkb.kb.build.importers.hpo import import_hpo

    assert _INPUTS is not None
    return import_hpo(target, obo=_INPUTS[0], hpoa=_INPUTS[1])


def small_hpo_engine(folder: Path, extra_terms: str, rows: Sequence[tuple[str, ...]]) -> DiagnosisEngine:
    """Build a store in ``folder`` from the test OBO plus ``extra_terms`` and the annotation ``rows`` (hpoa_text's
    columns), and an engine on it."""
    global _INPUTS
    _INPUTS = write_inputs(folder / "data", obo=OBO + extra_terms, hpoa=hpoa_text(rows))
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(importers.IMPORTERS, "hpo", f"{__name__}:import_small_hpo")
        build(folder / "store", include=("hpo",), progress=False)
    return DiagnosisEngine(open_store_at(str(folder / "store")))
