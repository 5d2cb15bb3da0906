"""`dxkb build`: validation, reasoning, quality checks, provenance and atomic writes, on real stores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import RDF, RDFS, Namespace, URIRef

from dxkb.kb.store import queries as sparql
from dxkb.kb.build.pipeline import build
from dxkb.kb.errors import BuildError
from dxkb.kb.build.sources import curated_files, load_graph, ontology_files, source_document
from dxkb.kb.build.reasoning import reason
from dxkb.kb.service import open_store_at
from dxkb.kb.store.oxigraph import graph_over
from dxkb.kb.store.folder import CURRENT_LINK, current_build
from dxkb.kb.build.validation import check_shapes

DXKB = Namespace("https://w3id.org/dxkb/vocab#")
ITEM = Namespace("https://w3id.org/dxkb/DXKB_")
PREFIXES = """@prefix dxkb: <https://w3id.org/dxkb/vocab#> . @prefix DXKB: <https://w3id.org/dxkb/DXKB_> .
@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> . @prefix HP: <http://purl.obolibrary.org/obo/HP_> .
"""


def module(tmp_path: Path, body: str, name: str = "extra.ttl") -> Path:
    path = tmp_path / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


def test_sources_conform_to_shapes_and_are_consistent() -> None:
    graph = load_graph(ontology_files() + curated_files())
    check_shapes(graph)  # raises on any violation
    inferred = reason(graph).graph
    assert (ITEM["0000001"], RDFS.subClassOf, DXKB.ViralInfection) in inferred
    assert (URIRef("http://purl.obolibrary.org/obo/MONDO_0005059"), RDFS.subClassOf, DXKB.Malignancy) in inferred
    assert (ITEM["assoc-viral-marrow"], RDF.type, DXKB.NegatedAssociation) in inferred
    assert (ITEM["assoc-leukemia-cutis"], RDF.type, DXKB.VeryRareAssociation) in inferred


def open_graph(location: str):
    """An rdflib Graph over an in-process store, for triple-level assertions."""
    return graph_over(open_store_at(location).native)


def test_store_holds_materialised_inferences_and_derived_weights(curated_store: Path) -> None:
    graph = open_graph(str(curated_store))
    assert (ITEM["0000004"], RDFS.subClassOf, DXKB.AllergicReaction) in graph
    assert (ITEM["assoc-viral-marrow"], RDF.type, DXKB.NegatedAssociation) in graph
    log_f = graph.value(ITEM["assoc-leukemia-rash"], DXKB.logFrequency)
    assert log_f is not None and abs(float(log_f) - (-2.995732)) < 1e-5


def test_every_clinical_assertion_has_a_cited_source_or_a_verbatim_sentence(curated_store: Path) -> None:
    graph = open_graph(str(curated_store))
    document = " ".join(source_document("leukemia-rash.txt").read_text(encoding="utf-8").split())
    assertions = set()
    for kind in (DXKB.DiseaseFindingAssociation, DXKB.Prior, DXKB.RedFlag, DXKB.StepYield, DXKB.Precondition,
                 DXKB.CauseShare, DXKB.PresentationRate):
        assertions |= set(graph.subjects(RDF.type, kind))
    assert len(assertions) > 40
    citation = URIRef("http://purl.org/dc/terms/bibliographicCitation")
    for node in assertions:
        source = graph.value(node, URIRef("http://purl.org/dc/terms/source"))
        assert source is not None, node
        assert graph.value(node, DXKB.rationale) is not None, node
        if graph.value(node, DXKB.derivedFrom) is not None:  # a prior the build derived from cause shares
            assert (source, RDF.type, DXKB.CauseShare) in graph, node
            continue
        if (source, RDF.type, DXKB.GuidelineSection) in graph:  # a common-presentation module: a cited source
            assert str(graph.value(source, citation) or "").strip(), node
            continue
        sentence = graph.value(node, DXKB.supportingSentence)
        assert sentence is not None, node
        text = str(graph.value(sentence, RDF.value))
        assert text in document, f"{node}: sentence not found verbatim in the source document: {text!r}"
        assert graph.value(node, DXKB.rationale) is not None, node


def test_shape_violation_names_the_offending_node(tmp_path: Path, curated_store: Path) -> None:
    broken = module(tmp_path, """
DXKB:9999901 rdfs:subClassOf dxkb:Disease .
DXKB:assoc-broken a dxkb:DiseaseFindingAssociation ; dxkb:disease DXKB:9999901 ; dxkb:finding HP:0000988 ;
    dxkb:negated false ; dxkb:frequency 1.7 ; dcterms:source DXKB:somewhere .
""")
    with pytest.raises(BuildError) as info:
        build(tmp_path / "store", extra_modules=[broken], progress=False)
    message = str(info.value)
    assert "https://w3id.org/dxkb/DXKB_9999901" in message and "rdfs:label" in message
    assert "https://w3id.org/dxkb/DXKB_assoc-broken" in message and "frequency" in message


def test_inconsistent_module_is_rejected_by_the_reasoner(tmp_path: Path) -> None:
    broken = module(tmp_path, """
DXKB:9999902 rdfs:subClassOf dxkb:Disease , dxkb:Finding ; rdfs:label "a disease that is also a finding" .
""")
    with pytest.raises(BuildError, match="unsatisfiable.*DXKB_9999902"):
        build(tmp_path / "store", extra_modules=[broken], progress=False)


def test_quality_check_names_what_it_forbids(tmp_path: Path) -> None:
    broken = module(tmp_path, """
DXKB:pre-broken a dxkb:Precondition ; dxkb:step DXKB:0000203 ; dxkb:conditionType dxkb:AnyPresent ;
    dxkb:finding DXKB:0000102 ; dcterms:source DXKB:somewhere .
""")
    with pytest.raises(BuildError, match="step-requires-its-own-result"):
        build(tmp_path / "store", extra_modules=[broken], progress=False)


def test_malformed_turtle_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix : <http://x/> .\n:a :b ", encoding="utf-8")
    with pytest.raises(BuildError, match="malformed Turtle in .*broken.ttl"):
        build(tmp_path / "store", extra_modules=[broken], progress=False)


def test_failed_build_leaves_the_previous_store_intact(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    build(folder, progress=False)
    live = current_build(folder)
    broken = module(tmp_path, "DXKB:9999903 rdfs:subClassOf dxkb:Disease .")
    with pytest.raises(BuildError):
        build(folder, extra_modules=[broken], progress=False)
    assert current_build(folder) == live
    assert sorted(p.name for p in (folder / "builds").iterdir()) == [live.name]
    assert len(sparql.select(open_store_at(str(folder)), "disease_index")) >= 5


def test_interrupted_build_leaves_the_previous_store_usable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "store"
    build(folder, progress=False)
    live = current_build(folder)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("dxkb.kb.build.pipeline.run_checks", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build(folder, progress=False)
    assert current_build(folder) == live
    assert [p.name for p in (folder / "builds").iterdir()] == [live.name]
    assert len(sparql.select(open_store_at(str(folder)), "finding_index")) > 5


def test_killed_build_process_leaves_the_previous_store_usable(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    build(folder, progress=False)
    live = current_build(folder)
    process = subprocess.Popen([sys.executable, "-m", "dxkb.api.cli", "build", "--store", str(folder), "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(p.name.endswith(".building") for p in (folder / "builds").iterdir()):
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert current_build(folder) == live
    assert len(sparql.select(open_store_at(str(folder)), "disease_index")) >= 5
    build(folder, progress=False)  # the next build cleans up the leftovers (and keeps the build before it)
    assert sorted(p.name for p in (folder / "builds").iterdir()) == sorted({live.name, current_build(folder).name})


def test_in_memory_store_matches_the_built_store(curated_store: Path) -> None:
    disk = open_graph(str(curated_store))
    memory = open_graph("memory:")
    assert len(memory) == len(disk)


def test_store_folder_is_an_atomic_symlink(curated_store: Path) -> None:
    link = curated_store / CURRENT_LINK
    assert link.is_symlink() and os.readlink(link).startswith("builds/")


def test_triage_rule_without_a_cited_source_stops_the_build(tmp_path: Path) -> None:
    broken = module(tmp_path, """
DXKB:triage-uncited a dxkb:TriageRule ; rdfs:label "Uncited rule" ; dxkb:triageLevel dxkb:Urgent ;
    dxkb:findingGroup [ dxkb:anyFinding HP:0000988 ] ; dcterms:source DXKB:nowhere ; dxkb:rationale "none" .
""")
    with pytest.raises(BuildError, match="triage-rule-without-source"):
        build(tmp_path / "store", extra_modules=[broken], progress=False)


def test_triage_rule_without_a_level_or_finding_fails_the_shapes(tmp_path: Path) -> None:
    broken = module(tmp_path, """
DXKB:triage-empty a dxkb:TriageRule ; rdfs:label "Empty rule" ; dcterms:source DXKB:nowhere ; dxkb:rationale "x" .
""")
    with pytest.raises(BuildError, match="triage-empty"):
        build(tmp_path / "store", extra_modules=[broken], progress=False)


def test_every_triage_rule_names_a_citation(curated_store: Path) -> None:
    rows = sparql.select(open_store_at(str(curated_store)), "triage_rules")
    assert len({r["rule"] for r in rows}) >= 19
    assert all(r["citation"] or r["sentence"] for r in rows)
    assert {r["level"] for r in rows} == {"EMERGENCY", "URGENT", "ROUTINE"}
