"""Import loinc2hpo's mappings "LOINC lab test + interpretation -> HPO finding" as laboratory-test steps.

Example::

    from pathlib import Path
    from dxkb.kb.build.importers.loinc2hpo import import_loinc2hpo

    print(import_loinc2hpo(Path("loinc.nt")))   # the release shipped in kb/data/public/loinc2hpo/

What becomes what
-----------------
- Every LOINC code with at least one non-negated mapping (FHIR interpretation codes H, L, A, POS, NEG, ...) to a
  finding of the build's HPO is a step ``<https://loinc.org/{code}>`` ``rdfs:subClassOf dxkb:LaboratoryTest`` with
  the kind's default invasiveness and cost (ontology/dxkb.ttl), ``dxkb:stepOrder`` :data:`STEP_ORDER` and
  ``dcterms:source`` the dataset. LOINC's own names are under the LOINC licence and not in loinc2hpo's file, so
  the label names the code and the findings it reveals ("LOINC 718-7 (Anemia; Polycythemia)") and the definition
  says which result means which finding.
- The test reveals the findings of its interpretations: one ``dxkb:StepYield`` per (code, finding) with the
  laboratory kind's default sensitivity and specificity. Negated mappings (a normal result means NOT the parent
  abnormality) add no yield: the abnormality's more specific findings are already the yields.
- A curated step that declares ``skos:exactMatch`` a LOINC code receives its yields instead of a second step.
- Every mapping row, negated or not, is also a ``dxkb:ResultInterpretation`` (the LOINC code as ``dxkb:test``, the
  interpretation code, the finding, ``dxkb:negated``): what a FHIR lab result with that interpretation says about
  the finding (read by kb/exchange/fhir.py through queries/loinc_interpretations.rq).
- HPO IDs are resolved against the build's HPO; rows naming other terms, and rows of other code systems
  (SNOMED CT), are skipped and counted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from dxkb.kb.build.importers import public
from dxkb.kb.build.importers.writer import NTriplesWriter, decimal
from dxkb.kb.errors import BuildError
from dxkb.kb.vocab import DCTERMS, DEFINITION, DXKB, OWL, RDF_TYPE, RDFS, to_iri

SOURCE = "loinc2hpo"
ANNOTATIONS = "loinc2hpo-annotations.tsv"
STEP_ORDER = 200
VERSION_FILE = "VERSION"
MEANING = {"H": "a high result", "L": "a low result", "A": "an abnormal result", "POS": "a positive result",
           "NEG": "a negative result", "N": "a normal result"}
XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def read_mappings(path: Path) -> list[tuple[str, str, str, bool]]:
    """(LOINC code, interpretation code, HPO ID, negated) of the FHIR-interpretation rows."""
    rows: list[tuple[str, str, str, bool]] = []
    header: dict[str, int] | None = None
    for number, line in public.lines(path):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if header is None:
            header = {name: i for i, name in enumerate(cells)}
            missing = [c for c in ("loincId", "system", "code", "hpoTermId", "isNegated") if c not in header]
            if missing:
                raise BuildError(f"{path}, line {number}: missing column(s) {', '.join(missing)}")
            continue
        try:
            system, negated = cells[header["system"]].strip(), cells[header["isNegated"]].strip().lower()
            if system != "FHIR":
                continue
            if negated not in ("true", "false"):
                raise BuildError(f"{path}, line {number}: isNegated must be true or false, not {negated!r}")
            rows.append((cells[header["loincId"]].strip(), cells[header["code"]].strip().upper(),
                         cells[header["hpoTermId"]].strip(), negated == "true"))
        except IndexError:
            raise BuildError(f"{path}, line {number}: expected {len(header)} tab-separated columns") from None
    if header is None:
        raise BuildError(f"{path}: empty mapping file")
    return rows


def _version(source_dir: str | Path | None) -> str:
    """The release: the VERSION file next to the mappings (the TSV carries none), else "unknown"."""
    folder = Path(source_dir).expanduser() if source_dir else public.shipped(SOURCE, ANNOTATIONS).parent
    version = folder / VERSION_FILE
    return version.read_text(encoding="utf-8").strip().splitlines()[0] if version.is_file() else "unknown"


def import_loinc2hpo(target: Path, *, source_dir: str | Path | None = None, hpo_obo: Path | None = None) -> str:
    """Write the LOINC laboratory-test steps and their yields to ``target``; return a one-line summary."""
    rows = read_mappings(public.locate(SOURCE, ANNOTATIONS, source_dir))
    hpo = public.hpo_ids(hpo_obo)
    lab = public.kind_defaults()["LABORATORY_TEST"]
    aligned = public.curated_alignments("LOINC")
    skipped: Counter[str] = Counter()
    reveals: dict[str, dict[str, set[str]]] = {}  # code -> finding -> interpretation codes
    meanings: set[tuple[str, str, str, bool]] = set()  # (code, interpretation, finding, negated)
    for code, interpretation, hpo_id, negated in rows:
        finding = hpo.resolve(hpo_id)
        if finding is None:
            skipped["HPO term not in the build"] += 1
            continue
        meanings.add((code, interpretation, finding, negated))
        if negated:
            continue
        reveals.setdefault(code, {}).setdefault(finding, set()).add(interpretation)
    version = _version(source_dir)
    with open(target, "w", encoding="utf-8") as handle:
        out = NTriplesWriter(handle)
        dataset = out.iri(public.dataset_iri(SOURCE))
        out.line(dataset, out.iri(RDF_TYPE), out.iri(DXKB + "SourceDocument"))
        out.line(dataset, out.iri(RDFS + "label"), out.literal("loinc2hpo annotations (LOINC test results to HPO)"))
        out.line(dataset, out.iri(OWL + "versionInfo"), out.literal(version))
        out.line(dataset, out.iri(DCTERMS + "license"), out.iri("https://opensource.org/license/bsd-3-clause"))
        yields = 0
        for code in sorted(reveals):
            curie = f"LOINC:{code}"
            try:
                own_iri = str(to_iri(curie))
            except ValueError:
                skipped["malformed LOINC code"] += 1
                continue
            step = aligned.get(curie) or own_iri
            findings = reveals[code]
            if curie not in aligned:
                names = [hpo.labels.get(f, f) for f in sorted(findings, key=lambda f: (hpo.labels.get(f, f), f))]
                subject = out.iri(step)
                out.line(subject, out.iri(RDF_TYPE), out.iri(OWL + "Class"))
                out.line(subject, out.iri(RDFS + "subClassOf"), out.iri(lab.kind_class))
                out.line(subject, out.iri(RDFS + "label"), out.literal(f"LOINC {code} ({'; '.join(names)})"))
                meaning = "; ".join(
                    f"{' or '.join(MEANING.get(i, i) for i in sorted(findings[f]))} means {hpo.labels.get(f, f)}"
                    for f in sorted(findings, key=lambda f: (hpo.labels.get(f, f), f)))
                out.line(subject, out.iri(DEFINITION), out.literal(f"Laboratory test LOINC {code}: {meaning} "
                                                                     "(loinc2hpo)."))
                out.line(subject, out.iri(DXKB + "invasiveness"), out.literal(decimal(lab.invasiveness), XSD_DECIMAL))
                out.line(subject, out.iri(DXKB + "cost"), out.literal(decimal(lab.cost), XSD_DECIMAL))
                out.line(subject, out.iri(DXKB + "stepOrder"), out.literal(str(STEP_ORDER), XSD_INTEGER))
                out.line(subject, out.iri(DCTERMS + "source"), dataset)
            for finding in sorted(findings):
                node = out.fresh_iri(f"https://w3id.org/dxkb/loinc2hpo/yield/{code}/{finding.replace(':', '_')}")
                public.write_step_yield(out, node, step, finding, lab.sensitivity, lab.specificity, dataset)
                yields += 1
        interpretations = _write_interpretations(out, sorted(meanings), dataset)
        triples = out.count
    parts = [f"loinc2hpo {version}: {len(reveals):,} laboratory tests", f"{yields:,} yields",
             f"{interpretations:,} result interpretations",
             f"{len([c for c in reveals if f'LOINC:{c}' in aligned])} aligned to curated steps", f"{triples:,} triples"]
    parts += [f"{n:,} rows skipped ({reason})" for reason, n in sorted(skipped.items())]
    return ", ".join(parts)


def _write_interpretations(out: NTriplesWriter, meanings: list[tuple[str, str, str, bool]], dataset: str) -> int:
    """One ``dxkb:ResultInterpretation`` per (LOINC code, interpretation code, finding, negated); returns how many."""
    written = 0
    for code, interpretation, finding, negated in meanings:
        try:
            test = str(to_iri(f"LOINC:{code}"))
        except ValueError:
            continue  # counted as a malformed code with the steps
        node = out.fresh_iri(f"https://w3id.org/dxkb/loinc2hpo/interpretation/{code}/{interpretation}/"
                             f"{finding.replace(':', '_')}{'/not' if negated else ''}")
        out.line(node, out.iri(RDF_TYPE), out.iri(DXKB + "ResultInterpretation"))
        out.line(node, out.iri(DXKB + "test"), out.iri(test))
        out.line(node, out.iri(DXKB + "interpretationCode"), out.literal(interpretation))
        out.line(node, out.iri(DXKB + "finding"), out.iri(str(to_iri(finding))))
        out.line(node, out.iri(DXKB + "negated"), out.literal("true" if negated else "false", XSD_BOOLEAN))
        out.line(node, out.iri(DCTERMS + "source"), dataset)
        written += 1
    return written
