"""Next steps over all candidates and the interview (kb/engine/nextsteps.py, questions.py) on a store built here
through the real build from small HPO, MAxO and loinc2hpo files (tests/support/public_data.py), next to the
curated module; and the source document's presentations on the curated store."""

from __future__ import annotations


import pytest

from dxkb.kb.build import importers
from dxkb.kb.build.pipeline import build
from dxkb.kb.engine import nextsteps
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import Observation, Status
from dxkb.kb.service import open_store_at
from dxkb.kb.vocab import to_iri
from tests.support import public_data

MARFAN, LOEYS_DIETZ = "OMIM:154700", "OMIM:609192"
ARACHNODACTYLY, ECTOPIA_LENTIS, TALL, AORTIC_ROOT, MVP = "HP:0001166", "HP:0001083", "HP:0000098", "HP:0002616", \
    "HP:0001634"
ECHO, RENAL_US = "MAXO:0010203", "MAXO:0010217"
RASH, RED_FLAGS = "HP:0000988", {"HP:0012378", "HP:0001824", "HP:0002719"}
AORTIC, ROOT_TERM = "HP:0030962", "HP:0000118"  # abnormal aortic morphology (above aortic root aneurysm); the root


@pytest.fixture(scope="module")
def rare(tmp_path_factory: pytest.TempPathFactory) -> DiagnosisEngine:
    folder = public_data.write_public_data(tmp_path_factory.mktemp("public"))
    public_data.FOLDER[:] = [folder]
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(importers.IMPORTERS, "hpo", "tests.support.public_data:small_hpo")
        patch.setitem(importers.IMPORTERS, "maxo", "tests.support.public_data:small_maxo")
        patch.setitem(importers.IMPORTERS, "loinc2hpo", "tests.support.public_data:small_loinc2hpo")
        store = tmp_path_factory.mktemp("store")
        build(store, include=("hpo", "maxo", "loinc2hpo"), progress=False, source_dir=str(folder))
    return DiagnosisEngine(open_store_at(str(store)))


def present(*ids: str) -> list[Observation]:
    return [Observation(i, Status.PRESENT) for i in ids]


def test_the_marfan_picture_calls_for_echocardiography(rare: DiagnosisEngine) -> None:
    d = rare.diagnose(present(ARACHNODACTYLY, ECTOPIA_LENTIS, TALL))
    assert d.candidates[0].disease == MARFAN
    steps = [n.step.id for n in d.next_steps]
    assert ECHO in steps
    echo = next(n for n in d.next_steps if n.step.id == ECHO)
    assert "Marfan-like syndrome" in echo.rationale and "Loeys-Dietz-like syndrome" in echo.rationale
    assert "separates" in echo.rationale and echo.expected_information_gain > 0
    # nothing that cannot change the ranking: no candidate has renal cysts, no rash is given
    assert RENAL_US not in steps
    assert not any(s.startswith("DXKB:") for s in steps if s != "DXKB:0000203")
    assert all(n.expected_information_gain > 0 for n in d.next_steps)


def test_known_findings_are_not_revealed_again(rare: DiagnosisEngine) -> None:
    d = rare.diagnose(present(ARACHNODACTYLY, ECTOPIA_LENTIS, TALL, AORTIC_ROOT, MVP))
    assert ECHO not in [n.step.id for n in d.next_steps]


def test_questions_ask_what_separates_the_leading_candidates(rare: DiagnosisEngine) -> None:
    d = rare.diagnose(present(ARACHNODACTYLY, TALL))
    asked = [q.finding for q in d.next_questions]
    # the candidates' features not given, and the broader findings whose branch holds one of them
    assert asked and set(asked) <= {ECTOPIA_LENTIS, AORTIC_ROOT, MVP, "HP:0001250", "HP:0001903", AORTIC,
                                    "HP:0001871"}
    gains = [q.expected_information_gain for q in d.next_questions]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0.01
    by_id = {q.finding: q for q in d.next_questions}
    assert by_id[AORTIC_ROOT].step is not None and by_id[AORTIC_ROOT].step.id == ECHO
    assert by_id[ECTOPIA_LENTIS].step.id == "MAXO:0000703"
    assert "Marfan-like syndrome" in by_id[AORTIC_ROOT].rationale


def test_an_unknown_answer_changes_nothing_and_is_not_asked_again(rare: DiagnosisEngine) -> None:
    before = rare.diagnose(present(ARACHNODACTYLY, TALL))
    first = before.next_questions[0].finding
    after = rare.diagnose(present(ARACHNODACTYLY, TALL) + [Observation(first, Status.UNKNOWN)])
    assert first not in [q.finding for q in after.next_questions]
    assert [(c.disease, c.probability) for c in after.candidates] == [(c.disease, c.probability)
                                                                      for c in before.candidates]


def test_a_broader_finding_is_scored_through_the_hierarchy(rare: DiagnosisEngine) -> None:
    marfan = str(to_iri(MARFAN))
    features = rare.observability.features([marfan])[marfan]
    closure = rare.observability.closure([marfan])[marfan]
    iri = "http://purl.obolibrary.org/obo/{}".format
    # one feature under "abnormal aortic morphology": its frequency; the root: any of the five (noisy-OR)
    assert closure[iri("HP_0030962")] == pytest.approx(features[iri("HP_0002616")])
    missed = 1.0
    for p in features.values():
        missed *= 1.0 - p
    assert closure[iri("HP_0000118")] == pytest.approx(min(1.0 - missed, 0.99))
    assert len(features) == 5 and closure[iri("HP_0000118")] > max(features.values())
    assert all(f.startswith(iri("HP_")) for f in closure)  # ontology classes above the root are not findings

    d = rare.diagnose(present(ARACHNODACTYLY, TALL))
    gains = {q.finding: q.expected_information_gain for q in d.next_questions}
    # the broader finding splits the candidates exactly as its one annotated feature does; the specific one first
    assert gains[AORTIC] == pytest.approx(gains[AORTIC_ROOT])
    order = [q.finding for q in d.next_questions]
    assert order.index(AORTIC_ROOT) < order.index(AORTIC)
    assert ROOT_TERM not in gains  # every candidate has some feature: the root separates nothing


def test_a_broader_finding_is_worth_what_its_branch_adds_beyond_an_unknown_answer(rare: DiagnosisEngine) -> None:
    lds = str(to_iri(LOEYS_DIETZ))  # low frequencies: the root's noisy-OR stays below the cap
    iri = "http://purl.obolibrary.org/obo/{}".format
    features = rare.observability.features([lds])[lds]
    full = rare.observability.closure([lds])[lds]
    hidden = rare.observability.closure([lds], frozenset({iri("HP_0030962")}))[lds]
    assert iri("HP_0030962") not in hidden and iri("HP_0002616") not in hidden
    missed = 1.0
    for f, p in sorted(features.items()):
        if f != iri("HP_0002616"):
            missed *= 1.0 - p
    assert hidden[iri("HP_0000118")] == pytest.approx(1.0 - missed) and 1.0 - missed < full[iri("HP_0000118")] < 0.99
    # the cached closure without unknown answers is unchanged
    assert iri("HP_0030962") in rare.observability.closure([lds])[lds]


def test_nothing_under_an_unknown_answer_is_asked(rare: DiagnosisEngine) -> None:
    d = rare.diagnose(present(ARACHNODACTYLY, TALL) + [Observation(AORTIC, Status.UNKNOWN)])
    asked = [q.finding for q in d.next_questions]
    assert AORTIC not in asked and AORTIC_ROOT not in asked
    assert ECTOPIA_LENTIS in asked  # other branches are still asked


def test_an_absent_finding_excludes_its_descendants_from_the_questions(rare: DiagnosisEngine) -> None:
    d = rare.diagnose(present(ARACHNODACTYLY, TALL) + [Observation("HP:0030962", Status.ABSENT)])
    assert AORTIC_ROOT not in [q.finding for q in d.next_questions]


def test_the_interview_stops_when_nothing_is_worth_asking(rare: DiagnosisEngine) -> None:
    everything = [ARACHNODACTYLY, ECTOPIA_LENTIS, TALL, AORTIC_ROOT, MVP]
    d = rare.diagnose(present(*everything) + [Observation("HP:0001250", Status.ABSENT),
                                             Observation("HP:0001903", Status.ABSENT)])
    assert d.next_questions == []
    assert "No question is worth asking" in d.explanation


def test_rash_alone_asks_about_the_source_documents_red_flags_first(engine: DiagnosisEngine) -> None:
    d = engine.diagnose(present(RASH))
    first = d.next_questions[:3]
    assert {q.finding for q in first} == RED_FLAGS
    assert all(q.red_flag and q.step is not None and q.step.id == "DXKB:0000201" for q in first)
    assert "red flag for Skin rash" in first[0].rationale
    # the blood count's result is not asked before a reason for a blood count
    assert "DXKB:0000102" not in [q.finding for q in d.next_questions]


def test_with_red_flags_the_blood_count_result_is_worth_asking(engine: DiagnosisEngine) -> None:
    d = engine.diagnose(present(RASH, *sorted(RED_FLAGS)))
    assert d.next_questions[0].finding == "DXKB:0000102"
    assert d.next_questions[0].step.id == "DXKB:0000203"


def test_information_gain_of_a_step_is_the_mutual_information() -> None:
    # two equally likely diseases, a perfect test positive in one only: exactly one bit
    assert nextsteps.information_gain([0.5, 0.5], [[1.0], [0.0]]) == pytest.approx(1.0)
    assert nextsteps.information_gain([0.5, 0.5], [[0.3], [0.3]]) == pytest.approx(0.0, abs=1e-12)
    # the sparse single-finding form agrees with the dense one
    prior = [0.5, 0.3, 0.2]
    dense = nextsteps.information_gain(prior, [[0.9], [0.02], [0.02]])
    assert nextsteps.single_gain(prior, {0: 0.9}) == pytest.approx(dense)


def test_the_gain_weighs_candidates_by_the_model_posterior_not_the_calibrated_probability() -> None:
    import math

    from dxkb.kb.engine.types import Candidate

    def candidate(disease: str, probability: float, score: float) -> Candidate:
        return Candidate(disease, disease, probability, 1, 1e-6, True, None, None, score=score)

    # calibrated probabilities 0.6 / 0.3 / 0.1 (the leader's is what the calibration fits), model odds 1 : e^-1 : e^-3
    ranked = [candidate("OMIM:1", 0.6, -10.0), candidate("OMIM:2", 0.3, -11.0), candidate("OMIM:3", 0.1, -13.0)]
    _pool, iris, prior = nextsteps.pool_of(ranked)
    total = 1 + math.exp(-1) + math.exp(-3)
    assert prior == pytest.approx([1 / total, math.exp(-1) / total, math.exp(-3) / total])
    assert iris == [str(to_iri(c.disease)) for c in ranked]
    # a candidate without a finite score (none is ranked so today) falls back to the probabilities
    fallback = nextsteps.pool_of([candidate("OMIM:1", 0.6, -math.inf), candidate("OMIM:2", 0.2, -11.0)])[2]
    assert fallback == pytest.approx([0.75, 0.25])
