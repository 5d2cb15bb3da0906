"""Small HPO, phenotype.hpoa, MAxO, maxo-annotations and loinc2hpo files, written by the tests that need a store
with rare diseases and the steps of public data (a Marfan-like and a Loeys-Dietz-like disease that an
echocardiography separates, a renal ultrasonography nothing is annotated with, a blood count aligned to the
curated one), and the importer stand-ins that read them."""

from __future__ import annotations

from pathlib import Path

HP_OBO = """format-version: 1.2
data-version: hp/releases/2099-01-01

[Term]
id: HP:0000001
name: All

[Term]
id: HP:0000118
name: Phenotypic abnormality
is_a: HP:0000001 ! All

[Term]
id: HP:0001166
name: Arachnodactyly
is_a: HP:0000118

[Term]
id: HP:0001083
name: Ectopia lentis
is_a: HP:0000118

[Term]
id: HP:0000098
name: Tall stature
is_a: HP:0000118

[Term]
id: HP:0030962
name: Abnormal aortic morphology
is_a: HP:0000118

[Term]
id: HP:0002616
name: Aortic root aneurysm
is_a: HP:0030962

[Term]
id: HP:0001634
name: Mitral valve prolapse
is_a: HP:0000118

[Term]
id: HP:0001250
name: Seizure
is_a: HP:0000118

[Term]
id: HP:0001871
name: Abnormality of blood and blood-forming tissues
is_a: HP:0000118

[Term]
id: HP:0001903
name: Anemia
alt_id: HP:0009998
is_a: HP:0001871

[Term]
id: HP:0000107
name: Renal cyst
is_a: HP:0000118

[Term]
id: HP:0000988
name: Skin rash
is_a: HP:0000118

[Term]
id: HP:0012378
name: Fatigue
is_a: HP:0000118

[Term]
id: HP:0001824
name: Weight loss
is_a: HP:0000118

[Term]
id: HP:0002719
name: Recurrent infections
is_a: HP:0000118

[Term]
id: HP:0040280
name: Obligate
"""

HPOA_HEADER = ("#date: 2099-01-01\n#tracker: none\n#HPO-version: 2099-01-01\n"
               "database_id\tdisease_name\tqualifier\thpo_id\treference\tevidence\tonset\tfrequency\tsex\tmodifier"
               "\taspect\tbiocuration\n")
#: (disease, name, HPO ID, frequency)
HPOA_ROWS = [
    ("OMIM:154700", "Marfan-like syndrome", "HP:0001166", "9/10"),
    ("OMIM:154700", "Marfan-like syndrome", "HP:0001083", "6/10"),
    ("OMIM:154700", "Marfan-like syndrome", "HP:0000098", "9/10"),
    ("OMIM:154700", "Marfan-like syndrome", "HP:0002616", "8/10"),
    ("OMIM:154700", "Marfan-like syndrome", "HP:0001634", "7/10"),
    ("OMIM:609192", "Loeys-Dietz-like syndrome", "HP:0001166", "5/10"),
    ("OMIM:609192", "Loeys-Dietz-like syndrome", "HP:0000098", "3/10"),
    ("OMIM:609192", "Loeys-Dietz-like syndrome", "HP:0001083", "1/10"),
    ("OMIM:609192", "Loeys-Dietz-like syndrome", "HP:0002616", "1/10"),
    ("OMIM:609192", "Loeys-Dietz-like syndrome", "HP:0001634", "1/10"),
    ("OMIM:100100", "Seizure-anemia syndrome", "HP:0001250", "9/10"),
    ("OMIM:100100", "Seizure-anemia syndrome", "HP:0001903", "5/10"),
    ("OMIM:100100", "Seizure-anemia syndrome", "HP:0000098", "1/10"),
]

MAXO_OBO = """format-version: 1.2
data-version: releases/2099-02-02

[Term]
id: MAXO:0000001
name: medical action

[Term]
id: MAXO:0000003
name: diagnostic procedure
is_a: MAXO:0000001 ! medical action

[Term]
id: MAXO:0000005
name: clinical imaging procedure
is_a: MAXO:0000003

[Term]
id: MAXO:0010203
name: echocardiography
def: "The use of ultrasound to produce images of the heart." []
synonym: "echo" EXACT []
synonym: "heart sonography" RELATED []
is_a: MAXO:0000005

[Term]
id: MAXO:0010217
name: renal ultrasonography
is_a: MAXO:0000005

[Term]
id: MAXO:0000520
name: fetal ultrasonography
is_a: MAXO:0000005

[Term]
id: MAXO:0000006
name: clinical laboratory procedure
is_a: MAXO:0000003

[Term]
id: MAXO:0001509
name: blood cell count
synonym: "complete blood count" EXACT []
is_a: MAXO:0000006

[Term]
id: MAXO:0000483
name: medical professional evaluation
is_a: MAXO:0000001

[Term]
id: MAXO:0000665
name: medical specialist evaluation
is_a: MAXO:0000483

[Term]
id: MAXO:0000703
name: ophthalmologist evaluation
is_a: MAXO:0000665

[Term]
id: MAXO:0000002
name: therapeutic procedure
is_a: MAXO:0000001

[Term]
id: MAXO:0000777
name: some therapy
is_a: MAXO:0000002

[Term]
id: MAXO:0000888
name: obsolete diagnostic thing
is_obsolete: true
"""

MAXO_ANNOTATIONS = """#description: test excerpt
#version: 2099-03-03
hpo_id\thpo_label\tpredicate_id\tmaxo_id\tmaxo_label\tcreator_id
HP:0002616\tAortic root aneurysm\tis_observable_through\tMAXO:0010203\techocardiography\tX
HP:0001634\tMitral valve prolapse\tis_observable_through\tMAXO:0010203\techocardiography\tX
HP:0002616\tAortic root aneurysm\tis_prenatally_observable_through\tMAXO:0000520\tfetal ultrasonography\tX
HP:0001083\tEctopia lentis\tis_observable_through\tMAXO:0000703\tophthalmologist evaluation\tX
HP:0000107\tRenal cyst\tis_observable_through\tMAXO:0010217\trenal ultrasonography\tX
HP:0009998\tAnemia (alternative ID)\tis_observable_through\tMAXO:0001509\tblood cell count\tX
HP:9999999\tnot in this HPO\tis_observable_through\tMAXO:0010203\techocardiography\tX
HP:0001250\tSeizure\tis_observable_through\tMAXO:0000777\tsome therapy\tX
HP:0001250\tSeizure\tis_observable_through\tMAXO:0000888\tobsolete diagnostic thing\tX
"""

LOINC = """loincId\tloincScale\tsystem\tcode\thpoTermId\tisNegated\tcreatedOn\tcreatedBy\tlastEditedOn\tlastEditedBy\tversion\tisFinalized\tcomment
718-7\tQn\tFHIR\tL\tHP:0001903\tfalse\tx\tx\tNA\tNA\t0.1\ttrue\tNA
718-7\tQn\tFHIR\tN\tHP:0001871\ttrue\tx\tx\tNA\tNA\t0.1\ttrue\tNA
718-7\tQn\tFHIR\tH\tHP:7777777\tfalse\tx\tx\tNA\tNA\t0.1\ttrue\tNA
718-7\tQn\tSNOMED\t123\tHP:0001250\tfalse\tx\tx\tNA\tNA\t0.1\ttrue\tNA
"""


def write_public_data(folder: Path) -> Path:
    """The small files, under their official names, in ``folder`` (a --source-dir); returns it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hp.obo").write_text(HP_OBO, encoding="utf-8")
    rows = "".join(f"{d}\t{n}\t\t{h}\tPMID:1\tPCS\t\t{f}\t\t\tP\tHPO:test[2099-01-01]\n" for d, n, h, f in HPOA_ROWS)
    (folder / "phenotype.hpoa").write_text(HPOA_HEADER + rows, encoding="utf-8")
    (folder / "maxo.obo").write_text(MAXO_OBO, encoding="utf-8")
    (folder / "maxo_diagnostic_annotations.tsv").write_text(MAXO_ANNOTATIONS, encoding="utf-8")
    (folder / "loinc2hpo-annotations.tsv").write_text(LOINC, encoding="utf-8")
    (folder / "VERSION").write_text("2099-04-04\n", encoding="utf-8")
    return folder


#: The folder the stand-ins read (set by the fixture that builds the store).
FOLDER: list[Path] = []


def small_hpo(target: Path) -> str:
    from dxkb.kb.build.importers.hpo import import_hpo

    return import_hpo(target, obo=FOLDER[0] / "hp.obo", hpoa=FOLDER[0] / "phenotype.hpoa")


def small_maxo(target: Path, source_dir: str | None = None) -> str:
    from dxkb.kb.build.importers.maxo import import_maxo

    return import_maxo(target, source_dir=source_dir or FOLDER[0], hpo_obo=FOLDER[0] / "hp.obo")


def small_loinc2hpo(target: Path, source_dir: str | None = None) -> str:
    from dxkb.kb.build.importers.loinc2hpo import import_loinc2hpo

    return import_loinc2hpo(target, source_dir=source_dir or FOLDER[0], hpo_obo=FOLDER[0] / "hp.obo")
