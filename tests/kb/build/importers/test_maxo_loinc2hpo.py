"""The MAxO and loinc2hpo importers on small files written here (tests/support/public_data.py), and the releases
shipped in the package."""

from __future__ import annotations

import gzip
from pathlib import Path

import pyoxigraph as ox
import pytest

from dxkb.kb.build import importers
from dxkb.kb.build.importers import public
from dxkb.kb.build.importers.loinc2hpo import import_loinc2hpo
from dxkb.kb.build.importers.maxo import import_maxo, read_obo
from dxkb.kb.errors import BuildError
from dxkb.kb.settings import Settings
from tests.support.public_data import write_public_data

PREFIXES = """
PREFIX dxkb: <https://w3id.org/dxkb/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX MAXO: <http://purl.obolibrary.org/obo/MAXO_>
PREFIX HP: <http://purl.obolibrary.org/obo/HP_>
PREFIX DXKB: <https://w3id.org/dxkb/DXKB_>
PREFIX LOINC: <https://loinc.org/>
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_public_data(tmp_path_factory.mktemp("public"))


def load(path: Path) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    return store


def values(store: ox.Store, query: str) -> list[str]:
    return sorted(str(row[0].value) for row in store.query(PREFIXES + query))


@pytest.fixture(scope="module")
def maxo(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[ox.Store, str]:
    target = tmp_path_factory.mktemp("maxo") / "maxo.nt"
    summary = import_maxo(target, source_dir=folder, hpo_obo=folder / "hp.obo")
    return load(target), summary


def test_diagnostic_actions_become_steps_of_their_kind(maxo: tuple[ox.Store, str]) -> None:
    store, _ = maxo
    assert values(store, "SELECT ?k WHERE { MAXO:0010203 rdfs:subClassOf ?k FILTER(STRSTARTS(STR(?k), STR(dxkb:))) }") == [
        "https://w3id.org/dxkb/vocab#Imaging"]
    assert values(store, "SELECT ?k WHERE { MAXO:0000703 rdfs:subClassOf ?k FILTER(STRSTARTS(STR(?k), STR(dxkb:))) }") == [
        "https://w3id.org/dxkb/vocab#SpecialistEvaluation"]
    assert values(store, "SELECT ?c WHERE { MAXO:0010203 dxkb:cost ?c }") == ["4"]  # the imaging default
    assert values(store, "SELECT ?s WHERE { MAXO:0010203 <http://www.geneontology.org/formats/oboInOwl#hasExactSynonym> ?s }") == ["echo"]
    # the therapy is not a diagnostic action, the obsolete term is not in the ontology: no step for either
    assert values(store, "SELECT ?c WHERE { MAXO:0000777 dxkb:cost ?c }") == []
    assert values(store, "SELECT ?c WHERE { MAXO:0000888 ?p ?c }") == []
    # ancestors are written as labelled classes, not steps
    assert values(store, "SELECT ?l WHERE { MAXO:0000005 rdfs:label ?l }") == ["clinical imaging procedure"]
    assert values(store, "SELECT ?c WHERE { MAXO:0000005 dxkb:cost ?c }") == []


def test_observable_findings_become_yields_and_prenatal_links_stay_apart(maxo: tuple[ox.Store, str]) -> None:
    store, summary = maxo
    assert values(store, "SELECT ?f WHERE { ?y a dxkb:StepYield ; dxkb:step MAXO:0010203 ; dxkb:finding ?f ; "
                         "dxkb:sensitivity 0.9 ; dcterms:source <https://w3id.org/dxkb/source/maxo> }") == [
        "http://purl.obolibrary.org/obo/HP_0001634", "http://purl.obolibrary.org/obo/HP_0002616"]
    assert values(store, "SELECT ?s WHERE { HP:0002616 dxkb:prenatallyObservableThrough ?s }") == [
        "http://purl.obolibrary.org/obo/MAXO_0000520"]
    assert values(store, "SELECT ?y WHERE { ?y dxkb:step MAXO:0000520 }") == []
    assert "rows skipped (HPO term not in the build)" in summary and "2099-02-02" in summary


def test_an_action_aligned_to_a_curated_step_adds_its_yields_there(maxo: tuple[ox.Store, str]) -> None:
    store, summary = maxo
    # DXKB:0000203 (complete blood count) declares skos:exactMatch MAXO:0001509; the alternative ID is resolved
    assert values(store, "SELECT ?f WHERE { ?y dxkb:step DXKB:0000203 ; dxkb:finding ?f }") == [
        "http://purl.obolibrary.org/obo/HP_0001903"]
    assert values(store, "SELECT ?l WHERE { MAXO:0001509 rdfs:label ?l }") == []
    assert "1 aligned to curated steps" in summary


def test_loinc_tests_reveal_the_findings_of_their_interpretations(folder: Path, tmp_path: Path) -> None:
    summary = import_loinc2hpo(tmp_path / "l.nt", source_dir=folder, hpo_obo=folder / "hp.obo")
    store = load(tmp_path / "l.nt")
    assert values(store, "SELECT ?f WHERE { ?y dxkb:step LOINC:718-7 ; dxkb:finding ?f }") == [
        "http://purl.obolibrary.org/obo/HP_0001903"]  # negated N row: no yield; unknown H term and SNOMED: skipped
    [label] = values(store, "SELECT ?l WHERE { LOINC:718-7 rdfs:label ?l }")
    assert "718-7" in label and "Anemia" in label
    assert values(store, "SELECT ?v WHERE { <https://w3id.org/dxkb/source/loinc2hpo> <http://www.w3.org/2002/07/owl#versionInfo> ?v }") == ["2099-04-04"]
    assert "1 rows skipped (HPO term not in the build)" in summary


def test_missing_and_malformed_files_are_named(folder: Path, tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="maxo.obo .*not found in the source folder"):
        import_maxo(tmp_path / "x.nt", source_dir=tmp_path, hpo_obo=folder / "hp.obo")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "maxo.obo").write_text('[Term]\nid: MAXO:1\nname: x\ndef: "unterminated\n', encoding="utf-8")
    (bad / "maxo_diagnostic_annotations.tsv").write_text("hpo_id\tmaxo_id\n", encoding="utf-8")
    with pytest.raises(BuildError, match="line 4: unterminated"):
        import_maxo(tmp_path / "x.nt", source_dir=bad, hpo_obo=folder / "hp.obo")
    (bad / "loinc2hpo-annotations.tsv").write_bytes(gzip.compress(b"x"))  # compressed data under a plain name
    with pytest.raises(BuildError, match="loinc2hpo-annotations.tsv"):
        import_loinc2hpo(tmp_path / "x.nt", source_dir=bad, hpo_obo=folder / "hp.obo")


def test_gzip_sources_are_read_like_plain_ones(folder: Path, tmp_path: Path) -> None:
    zipped = tmp_path / "zipped"
    zipped.mkdir()
    for name in ("maxo.obo", "maxo_diagnostic_annotations.tsv"):
        (zipped / (name + ".gz")).write_bytes(gzip.compress((folder / name).read_bytes()))
    import_maxo(tmp_path / "a.nt", source_dir=zipped, hpo_obo=folder / "hp.obo")
    import_maxo(tmp_path / "b.nt", source_dir=folder, hpo_obo=folder / "hp.obo")
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()


def test_shipped_releases_carry_licence_and_version_and_hold_echocardiography() -> None:
    for source, names in (("maxo", ("maxo.obo", "maxo_diagnostic_annotations.tsv")),
                          ("loinc2hpo", ("loinc2hpo-annotations.tsv",))):
        folder = public.shipped(source, names[0]).parent
        assert (folder / "LICENSE").read_text(encoding="utf-8").strip()
        assert (folder / "VERSION").read_text(encoding="utf-8").strip()
        for name in names:
            assert public.shipped(source, name).stat().st_size > 1000
    maxo = read_obo(public.shipped("maxo", "maxo.obo"))
    assert maxo.actions["MAXO:0010203"].name == "echocardiography" and maxo.kind("MAXO:0010203") == "IMAGING"


def test_registered_and_built_by_default_after_hpo() -> None:
    assert {"maxo", "loinc2hpo"} <= set(importers.IMPORTERS)
    defaults = Settings().build_modules
    assert defaults.index("hpo") < defaults.index("maxo") and "loinc2hpo" in defaults
    assert importers.requirements_met(("maxo", "loinc2hpo")) == ()
    assert importers.requirements_met(("hpo", "maxo")) == ("hpo", "maxo")
    assert Settings.from_env({"DXKB_SOURCE_DIR": "/data/new"}).source_dir == "/data/new"


def test_kind_defaults_come_from_the_ontology() -> None:
    kinds = public.kind_defaults()
    assert {"CLINICAL_ASSESSMENT", "SPECIALIST_EVALUATION", "IMAGING", "LABORATORY_TEST", "BIOPSY",
            "PROCEDURE"} <= set(kinds)
    assert kinds["CLINICAL_ASSESSMENT"].cost < kinds["LABORATORY_TEST"].cost < kinds["IMAGING"].cost \
        < kinds["BIOPSY"].cost
