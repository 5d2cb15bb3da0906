"""The parts of the model that real case reports need, on a small HPO excerpt built here through the real build
(curated modules + the HPO importer on these files): weak excluded findings, implied findings, every disease
ranked, OMIM/ORPHA copies grouped, and IDs as users send them (alternative, obsolete, unknown) with warnings."""

from __future__ import annotations

import math

import pytest

from dxkb.kb.engine import model
from dxkb.kb.engine.diagnosis import DiagnosisEngine
from dxkb.kb.engine.types import Candidate, Observation, Patient, Setting, Status
from dxkb.kb.errors import InputError
from tests.support.small_hpo import small_hpo_engine

P, A = Status.PRESENT, Status.ABSENT
EYE, LENS, RASH, FATIGUE, WEIGHT_LOSS = "HP:0000478", "HP:0001083", "HP:0000988", "HP:0012378", "HP:0001824"
SYNDROME_A, SYNDROME_B, SYNDROME_C, COPY_OF_A = "OMIM:100001", "OMIM:100002", "OMIM:100003", "ORPHA:1"
SYNDROME_D = "OMIM:100004"

EXTRA_TERMS = """
[Term]
id: HP:0000478
name: Abnormality of the eye
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001083
name: Ectopia lentis
is_a: HP:0000478 ! Abnormality of the eye
"""
ROWS = [
    (SYNDROME_A, "Syndrome A", "", LENS, "PMID:1", "PCS", "", "1/1", "P"),
    (SYNDROME_A, "Syndrome A", "", RASH, "PMID:1", "PCS", "", "3/4", "P"),
    (SYNDROME_B, "Syndrome B", "", RASH, "PMID:2", "PCS", "", "1/2", "P"),
    (SYNDROME_B, "Syndrome B", "", FATIGUE, "PMID:2", "PCS", "", "1/2", "P"),
    (SYNDROME_C, "Syndrome C", "", WEIGHT_LOSS, "PMID:3", "PCS", "", "17%", "P"),
    (COPY_OF_A, "Syndrome A", "", LENS, "ORPHA:1", "TAS", "", "HP:0040281", "P"),
]
#: Only this module's engine: adopted annotations and a feature stated at two levels.
MORE_ROWS = [
    (COPY_OF_A, "Syndrome A", "", WEIGHT_LOSS, "ORPHA:1", "TAS", "", "HP:0040282", "P"),  # only Orphanet has it
    (SYNDROME_D, "Syndrome D", "", EYE, "PMID:4", "PCS", "", "HP:0040281", "P"),  # one feature at two levels
    (SYNDROME_D, "Syndrome D", "", LENS, "PMID:4", "PCS", "", "1/2", "P"),
]
@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> DiagnosisEngine:
    return small_hpo_engine(tmp_path_factory.mktemp("small-hpo"), EXTRA_TERMS, ROWS + MORE_ROWS)


def ranked(engine: DiagnosisEngine, present: list[str], absent: list[str] = ()) -> dict[str, Candidate]:
    return {c.disease: c for c in engine.rank([Observation(f, P) for f in present] +
                                              [Observation(f, A) for f in absent])}


def test_an_excluded_feature_is_weak_evidence_not_a_veto(engine: DiagnosisEngine) -> None:
    # Syndrome A has ectopia lentis in 1 of 1 patient: shrunk to 2/3; a clinician who looked sees it with
    # probability ABSENT_SENSITIVITY, so stating it absent multiplies A by 1 - 0.8 x 2/3 (not by 1 - 0.99)
    alone = ranked(engine, [RASH])[SYNDROME_A].score
    excluded = ranked(engine, [RASH], [LENS])[SYNDROME_A].score
    background = ranked(engine, [RASH], [LENS])[SYNDROME_C].score - ranked(engine, [RASH])[SYNDROME_C].score
    # ... is looked for EXCLUDED_ASKED_RATIO times as often in a disease that has it, and no longer counts as
    # unreported (1 - UNREPORTED_RATE x 2/3)
    expected = math.log(model.EXCLUDED_ASKED_RATIO * (1 - model.ABSENT_SENSITIVITY * 2 / 3)
                        / (1 - model.ABSENT_SENSITIVITY * model.BACKGROUND_RATE)) \
        - math.log(1 - model.UNREPORTED_RATE * 2 / 3)
    assert excluded - alone - background == pytest.approx(expected, rel=1e-5)  # 2/3 is stored as 0.666667
    assert math.exp(excluded - alone - background) > 0.4  # the old model: (1 - 0.99) / 0.98 / 0.7 = 0.015


def test_an_absent_finding_of_the_curated_work_up_keeps_its_full_weight(engine: DiagnosisEngine) -> None:
    # fatigue is asked by the curated history taking: its absence is 1 - P(f|D), neither missed nor selected; and
    # before it is answered it is not yet known, so not unreported either (no 1 - UNREPORTED_RATE x P term)
    alone = ranked(engine, [RASH])[SYNDROME_B].score
    excluded = ranked(engine, [RASH], [FATIGUE])[SYNDROME_B].score
    background = ranked(engine, [RASH], [FATIGUE])[SYNDROME_C].score - ranked(engine, [RASH])[SYNDROME_C].score
    expected = math.log((1 - 0.5) / (1 - model.BACKGROUND_RATE))
    assert excluded - alone - background == pytest.approx(expected, rel=1e-9)  # 1/2 shrunk: (1+1)/(2+2) = 0.5


def test_a_feature_the_indicated_work_up_asks_is_not_unreported(engine: DiagnosisEngine) -> None:
    # Syndrome B has rash 1/2 and fatigue 1/2 (both shrunk to 0.5). With a rash the curated history taking asks
    # about fatigue: not mentioning it is "not asked yet", no unreported term. Without a rash that step is not
    # indicated, and each unmentioned feature is unreported: 1 - UNREPORTED_RATE x 0.5.
    prior = math.log(model.DEFAULT_PRIOR)
    assert ranked(engine, [RASH])[SYNDROME_B].score == pytest.approx(prior + math.log(0.5), rel=1e-9)
    unreported = math.log(1 - model.UNREPORTED_RATE * 0.5)
    assert ranked(engine, [LENS])[SYNDROME_B].score == pytest.approx(
        prior + math.log(model.BACKGROUND_RATE) + 2 * unreported, rel=1e-9)


def test_every_disease_is_ranked_even_when_no_finding_reaches_it(engine: DiagnosisEngine) -> None:
    by_id = ranked(engine, [LENS])
    assert SYNDROME_C in by_id and SYNDROME_B in by_id  # neither has ectopia lentis nor an ancestor of it
    assert by_id[SYNDROME_A].rank < by_id[SYNDROME_C].rank
    assert [c.rank for c in sorted(by_id.values(), key=lambda c: c.rank)] == list(range(1, len(by_id) + 1))


def test_an_orpha_copy_of_an_omim_disease_is_not_ranked_twice(engine: DiagnosisEngine) -> None:
    assert COPY_OF_A not in ranked(engine, [LENS])


def test_an_omim_entry_adopts_the_features_only_its_orpha_copy_annotates(engine: DiagnosisEngine) -> None:
    # Orphanet lists weight loss (frequent, 30-79 %: 0.545) for Syndrome A, OMIM does not: A explains it
    def shown(findings: list[str]) -> dict[str, Candidate]:
        rare = Patient(setting=Setting.RARE_DISEASE)  # weight loss is also a complaint of the curated modules
        return {c.disease: c for c in engine.diagnose([Observation(f, P) for f in findings], limit=10,
                                                      patient=rare).candidates}

    by_id = shown([WEIGHT_LOSS])
    evidence = {e.finding: e for e in by_id[SYNDROME_A].supporting}
    assert evidence[WEIGHT_LOSS].likelihood == pytest.approx(0.545)
    assert by_id[SYNDROME_A].rank < by_id[SYNDROME_B].rank
    # where both annotate a term, OMIM's own frequency stands (ectopia lentis 1/1 shrunk to 2/3, not Orphanet's 0.895)
    lens = {e.finding: e for e in shown([LENS])[SYNDROME_A].supporting}[LENS]
    assert lens.likelihood == pytest.approx(2 / 3, rel=1e-5)


def test_the_unreported_term_counts_own_most_specific_features_only(engine: DiagnosisEngine) -> None:
    from dxkb.kb.vocab import to_iri
    a, d = str(to_iri(SYNDROME_A)), str(to_iri(SYNDROME_D))
    terms = engine.retrieval.features([a, d])
    # A: its own lens and rash, not the adopted weight loss (two curations name overlapping features)
    assert sorted(terms[a][1]) == sorted(str(to_iri(f)) for f in (LENS, RASH))
    # D: ectopia lentis and "abnormality of the eye" are one feature at two levels: only the specific one counts
    assert list(terms[d][1]) == [str(to_iri(LENS))]
    assert terms[d][0] == pytest.approx(math.log(1 - model.UNREPORTED_RATE * 0.5))
    # so a patient with weight loss only: D carries one unreported feature, not two
    from dxkb.kb.engine import scoring
    background = scoring.background_rate(engine.retrieval.share(str(to_iri(WEIGHT_LOSS))))
    assert ranked(engine, [WEIGHT_LOSS])[SYNDROME_D].score == pytest.approx(
        math.log(model.DEFAULT_PRIOR) + math.log(background) + math.log(1 - model.UNREPORTED_RATE * 0.5), rel=1e-9)


def test_unreported_features_drop_ancestors_and_adopted_terms() -> None:
    from dxkb.kb.engine.retrieval import unreported_features
    ancestors = {"lens": frozenset({"lens", "eye", "root"}), "eye": frozenset({"eye", "root"}),
                 "rash": frozenset({"rash", "skin", "root"}), "skin": frozenset({"skin", "root"})}
    rows = [("eye", 0.9), ("lens", 0.5), ("rash", None), ("skin", 0.2)]
    assert unreported_features(rows, ancestors) == [("lens", 0.5), ("rash", None)]
    assert unreported_features(rows, ancestors, adopted={"rash"}) == [("lens", 0.5), ("skin", 0.2)]
    assert unreported_features([("eye", 0.9)], ancestors) == [("eye", 0.9)]


def test_implied_findings_neither_add_nor_remove_evidence(engine: DiagnosisEngine) -> None:
    plain = ranked(engine, [LENS], [FATIGUE])
    with_ancestor = ranked(engine, [LENS, EYE], [FATIGUE])
    assert {d: c.probability for d, c in with_ancestor.items()} == {d: c.probability for d, c in plain.items()}
    d = engine.diagnose([Observation(LENS, P), Observation(EYE, P)])
    assert [(w.code, w.id) for w in d.warnings] == [("IMPLIED_FINDING", EYE)]
    assert all(e.finding != EYE for c in d.candidates for e in c.supporting + c.opposing)
    # an absent descendant of an absent finding is implied too
    assert ranked(engine, [RASH], [EYE, LENS]) == ranked(engine, [RASH], [EYE])


def test_alternative_and_obsolete_ids_are_replaced_with_a_warning(engine: DiagnosisEngine) -> None:
    d = engine.diagnose([Observation("HP:0009999", P), Observation("HP:0000002", P), Observation(RASH, P)])
    assert [o.finding for o in d.observations] == [RASH, WEIGHT_LOSS, FATIGUE]
    assert [(w.code, w.id) for w in d.warnings] == [("ALTERNATIVE_ID", "HP:0009999"),
                                                    ("OBSOLETE_ID_REPLACED", "HP:0000002")]
    assert "Weight loss" in d.warnings[1].message and "obsolete Weight reduction" in d.warnings[1].message
    same = engine.diagnose([Observation(FATIGUE, P), Observation(WEIGHT_LOSS, P), Observation(RASH, P)])
    assert [(c.disease, c.probability) for c in d.candidates] == [(c.disease, c.probability) for c in same.candidates]


def test_obsolete_and_unknown_ids_are_dropped_by_default_and_rejected_in_strict_mode(engine: DiagnosisEngine) -> None:
    d = engine.diagnose([Observation("HP:0000003", P), Observation("HP:6001166", P), Observation(RASH, P)])
    assert [o.finding for o in d.observations] == [RASH]
    assert [(w.code, w.id) for w in d.warnings] == [("OBSOLETE_ID_DROPPED", "HP:0000003"),
                                                    ("UNKNOWN_ID_DROPPED", "HP:6001166")]
    strict = DiagnosisEngine(engine.store, strict_ids=True)
    with pytest.raises(InputError, match="HP:6001166") as info:
        strict.diagnose([Observation("HP:6001166", P), Observation(RASH, P)])
    assert "HP:6001166" in info.value.suggestions
    assert strict.validate([Observation("HP:0009999", P)]) == [Observation(FATIGUE, P)]  # replacements still apply


def test_a_broad_finding_is_any_of_the_narrower_features_a_disease_has() -> None:
    from dxkb.kb.engine import scoring
    from dxkb.kb.engine.retrieval import Match

    def narrower(annotated: str, frequency: float) -> Match:
        return Match("eye", "D", annotated, "annotated-narrower", frequency, False, -1.0, -3.0)

    # two eye features of one half each: the patient has "an eye abnormality" with 1 - 0.5 x 0.5, not 0.5
    both = scoring.likelihood([narrower("lens", 0.5), narrower("cornea", 0.5)], background=0.01)
    assert both.p == pytest.approx(0.75)
    # one feature stated by two sources counts once (its highest frequency), not as two features
    twice = scoring.likelihood([narrower("lens", 0.5), narrower("lens", 0.4)], background=0.01)
    assert twice.p == pytest.approx(0.5)
    # an exact annotation above the narrower features' noisy-OR wins (it is not combined with them); the cap holds
    exact = Match("eye", "D", "eye", "exact", 0.9, False, -1.0, -1.0)
    assert scoring.likelihood([exact, narrower("lens", 0.5)], background=0.01).p == pytest.approx(0.9)
    assert scoring.likelihood([narrower("a", 1.0), narrower("b", 1.0)]).p == model.MAX_LIKELIHOOD


def test_a_finding_more_specific_than_the_annotation_counts_with_its_share_squared() -> None:
    from dxkb.kb.engine import scoring

    # the patient's finding holds 1 of the 10 terms under the annotated one (log-specificities -3 and -0.7)
    share = math.exp(-3.0 - (-0.7))
    weight = scoring.match_weight("annotated-broader", -3.0, -0.7)
    assert weight == pytest.approx(share ** model.BROADER_MATCH_POWER) and model.BROADER_MATCH_POWER == 2.0
    assert weight < share < 1.0  # less than the uniform share: a broad annotation rarely means this very finding
    assert scoring.match_weight("exact", -3.0, -3.0) == 1.0
    assert scoring.match_weight("annotated-narrower", -0.7, -3.0) == 1.0  # narrower ones: the noisy-OR instead
