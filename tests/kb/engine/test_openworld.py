"""The open world with a common-presentation module (kb/engine/openworld.py): a complaint entered alone gives each
modelled cause about the share its module states, and the causes the module leaves out keep theirs as
otherCausesProbability (the complaint's rate under other causes is derived from the module, not curated)."""

from __future__ import annotations


import pytest

from dxkb.kb.build.pipeline import build_in_memory
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.openworld import OpenWorld
from dxkb.kb.engine.types import Observation, Status
from dxkb.kb.store.oxigraph import InProcessStore
from tests.kb.build.test_build import module
from tests.kb.build.test_priors import BODY, ITEM


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> InProcessStore:
    return InProcessStore(build_in_memory(extra_modules=[module(tmp_path_factory.mktemp("module"), BODY)]))


def test_a_complaint_alone_gives_its_causes_their_shares(store: InProcessStore) -> None:
    d = DiagnosisEngine(store).diagnose([Observation("DXKB:9999950", Status.PRESENT)], limit=5)
    share = {c.disease: c.probability for c in d.candidates}
    # the module: cause A 0.4, cause B 0.2, other causes 0.4 (B and the rash module's diseases also explain a
    # little of the complaint through the unreported and background terms, hence the tolerance)
    assert share["DXKB:9999960"] == pytest.approx(0.4, abs=0.05)
    # B's prior is the geometric mean of its two complaints' estimates (0.02 from this one, 0.008 from the other),
    # so its share here is 0.2 x sqrt(0.008 / 0.02), slightly less for its unreported second complaint
    assert share["DXKB:9999961"] == pytest.approx(0.2 * (0.008 / 0.02) ** 0.5 * (1 - 0.3 * 0.25), abs=0.02)
    assert d.other_causes_probability == pytest.approx(0.4, abs=0.05)


def test_the_complaint_rate_under_other_causes_is_derived_from_the_module(store: InProcessStore) -> None:
    engine = DiagnosisEngine(store)
    world = OpenWorld(store)
    priors = engine.retrieval.priors
    expected = (1 - 0.6) * 0.05 / world.prior(priors)
    assert world.rate(ITEM + "9999950", priors) == pytest.approx(expected)
    assert world.rate(ITEM + "9999951", priors) == pytest.approx((1 - 0.1) * 0.02 / world.prior(priors))
