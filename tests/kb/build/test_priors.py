"""Priors derived from the cause shares of a common-presentation module (kb/build/priors.py) and the quality checks
that guard the modules (queries/checks): a real build of the curated sources plus a small module written here."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from dxkb.kb.build.pipeline import build_in_memory
from dxkb.kb.errors import BuildError
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.oxigraph import InProcessStore
from tests.kb.build.test_build import module

#: Two complaints (presented in 5 % and 2 % of consultations); cause A of the first only, cause B of both.
BODY = """
DXKB:src a dxkb:GuidelineSection ; dcterms:bibliographicCitation "a test citation" .
DXKB:9999950 a owl:Class ; rdfs:subClassOf dxkb:Symptom ; rdfs:label "test complaint one" .
DXKB:9999951 a owl:Class ; rdfs:subClassOf dxkb:Symptom ; rdfs:label "test complaint two" .
DXKB:9999960 a owl:Class ; rdfs:subClassOf dxkb:Disease ; rdfs:label "test cause A" .
DXKB:9999961 a owl:Class ; rdfs:subClassOf dxkb:Disease ; rdfs:label "test cause B" .
DXKB:t-rate-1 a dxkb:PresentationRate ; dxkb:finding DXKB:9999950 ; dxkb:probability 0.05 ;
    dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .
DXKB:t-rate-2 a dxkb:PresentationRate ; dxkb:finding DXKB:9999951 ; dxkb:probability 0.02 ;
    dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .
DXKB:t-share-a1 a dxkb:CauseShare ; dxkb:complaint DXKB:9999950 ; dxkb:disease DXKB:9999960 ; dxkb:probability 0.4 ;
    dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .
DXKB:t-share-b1 a dxkb:CauseShare ; dxkb:complaint DXKB:9999950 ; dxkb:disease DXKB:9999961 ; dxkb:probability 0.2 ;
    dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .
DXKB:t-share-b2 a dxkb:CauseShare ; dxkb:complaint DXKB:9999951 ; dxkb:disease DXKB:9999961 ; dxkb:probability 0.1 ;
    dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .
DXKB:t-assoc-a1 a dxkb:DiseaseFindingAssociation ; dxkb:disease DXKB:9999960 ; dxkb:finding DXKB:9999950 ;
    dxkb:frequency 0.8 ; dxkb:negated false ; dcterms:source DXKB:src .
DXKB:t-assoc-b1 a dxkb:DiseaseFindingAssociation ; dxkb:disease DXKB:9999961 ; dxkb:finding DXKB:9999950 ;
    dxkb:frequency 0.5 ; dxkb:negated false ; dcterms:source DXKB:src .
DXKB:t-assoc-b2 a dxkb:DiseaseFindingAssociation ; dxkb:disease DXKB:9999961 ; dxkb:finding DXKB:9999951 ;
    dxkb:frequency 0.25 ; dxkb:negated false ; dcterms:source DXKB:src .
"""
ITEM = "https://w3id.org/dxkb/DXKB_"


def priors_of(store) -> dict[str, tuple[float, str | None]]:
    return {row["disease"]: (float(row["probability"]), row["source"])
            for row in sparql.select(InProcessStore(store), "priors")}


def test_priors_are_derived_from_the_shares_by_bayes_rule(tmp_path: Path) -> None:
    priors = priors_of(build_in_memory(extra_modules=[module(tmp_path, BODY)]))
    # A: P(A | c1) P(c1) / P(c1 | A) = 0.4 x 0.05 / 0.8
    assert priors[ITEM + "9999960"] == (pytest.approx(0.025), ITEM + "t-share-a1")
    # B: the geometric mean of 0.2 x 0.05 / 0.5 = 0.02 and 0.1 x 0.02 / 0.25 = 0.008
    assert priors[ITEM + "9999961"][0] == pytest.approx(math.sqrt(0.02 * 0.008))
    # the curated rash module keeps its own priors
    assert priors[ITEM + "0000001"][0] == pytest.approx(0.03)


def test_a_derived_prior_names_its_shares_and_how_it_was_computed(tmp_path: Path) -> None:
    store = InProcessStore(build_in_memory(extra_modules=[module(tmp_path, BODY)]))
    rows = store.query("""PREFIX dxkb: <https://w3id.org/dxkb/vocab#>
        SELECT ?share ?rationale WHERE { ?p a dxkb:Prior ; dxkb:disease <%s> ; dxkb:derivedFrom ?share ;
        dxkb:rationale ?rationale } ORDER BY ?share""" % (ITEM + "9999961"))
    rows = [(str(r[0]), str(r[1])) for r in rows]
    assert [share for share, _ in rows] == [ITEM + "t-share-b1", ITEM + "t-share-b2"]
    assert "geometric mean" in rows[0][1] and "DXKB:t-share-b2" in rows[0][1]


@pytest.mark.parametrize("extra,check", [
    ("""DXKB:t-share-x a dxkb:CauseShare ; dxkb:complaint DXKB:9999951 ; dxkb:disease DXKB:9999960 ;
        dxkb:probability 0.95 ; dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .
        DXKB:t-assoc-x a dxkb:DiseaseFindingAssociation ; dxkb:disease DXKB:9999960 ; dxkb:finding DXKB:9999951 ;
        dxkb:frequency 0.5 ; dxkb:negated false ; dcterms:source DXKB:src .""", "cause-shares-exceed-one"),
    ("""DXKB:t-share-y a dxkb:CauseShare ; dxkb:complaint DXKB:9999951 ; dxkb:disease DXKB:9999960 ;
        dxkb:probability 0.1 ; dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .""",
     "cause-share-without-association"),
    ("DXKB:t-share-b2 dxkb:cantMiss true .", "cant-miss-without-triage-rule"),
    ("DXKB:t-rate-3 a dxkb:PresentationRate ; dxkb:finding DXKB:9999951 ; dxkb:probability 0.03 ; "
     'dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .', "cause-share-without-presentation-rate"),
    ("DXKB:t-bg a dxkb:BackgroundRate ; dxkb:finding DXKB:9999950 ; dxkb:probability 0.03 ; "
     'dxkb:population "p" ; dcterms:source DXKB:src ; dxkb:rationale "r" .', "background-rate-of-a-presented-complaint"),
    ("""DXKB:t-assoc-a1bis a dxkb:DiseaseFindingAssociation , dxkb:CuratedAssertion ; dxkb:disease DXKB:9999960 ;
        dxkb:finding DXKB:9999950 ; dxkb:frequency 0.7 ; dxkb:negated false ; dcterms:source DXKB:src ; dxkb:rationale "r" .
        DXKB:t-assoc-a1 a dxkb:CuratedAssertion ; dxkb:rationale "r" .""", "curated-association-twice"),
    ('DXKB:9999960 rdfs:label "test cause A, declared again" .', "DXKB_9999960: a disease needs exactly one rdfs:label"),
])
def test_a_broken_module_is_named_by_its_quality_check(tmp_path: Path, extra: str, check: str) -> None:
    with pytest.raises(BuildError, match=check):
        build_in_memory(extra_modules=[module(tmp_path, BODY + extra)])


def test_a_guarded_cant_miss_cause_builds(tmp_path: Path) -> None:
    guarded = BODY + """DXKB:t-share-b2 dxkb:cantMiss true .
DXKB:t-rule a dxkb:TriageRule ; rdfs:label "test rule" ; dxkb:triageLevel dxkb:Urgent ;
    dxkb:findingGroup [ dxkb:anyFinding DXKB:9999951 ] ; dcterms:source DXKB:src ;
    dcterms:bibliographicCitation "a test citation" ; dxkb:rationale "r" ; dxkb:concernsDisease DXKB:9999961 .
"""
    assert ITEM + "9999961" in priors_of(build_in_memory(extra_modules=[module(tmp_path, guarded)]))
