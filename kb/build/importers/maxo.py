"""Import the diagnostic actions of the Medical Action Ontology (MAxO) and the curated links "HPO finding
``is_observable_through`` MAxO action" (maxo-annotations) as N-Triples: diagnostic steps for every disease.

Example::

    from pathlib import Path
    from dxkb.kb.build.importers.maxo import import_maxo

    print(import_maxo(Path("maxo.nt")))       # the release shipped in kb/data/public/maxo/
    import_maxo(Path("maxo.nt"), source_dir="~/maxo-2025")   # a newer release: maxo.obo + the annotations TSV

What becomes what
-----------------
- Every MAxO action that an annotation names and that lies under MAXO:0000003 (diagnostic procedure) or
  MAXO:0000483 (medical professional evaluation) or MAXO:0000130 (endoscopic procedure) is a diagnostic step: an ``owl:Class`` ``rdfs:subClassOf`` its
  step kind (below) and its MAxO parents, with ``rdfs:label``, ``IAO:0000115`` (definition), ``oboInOwl:has*Synonym``
  by scope, ``dxkb:invasiveness`` and ``dxkb:cost`` (the kind's defaults, ontology/dxkb.ttl), ``dxkb:stepOrder``
  :data:`STEP_ORDER` (after the curated work-up) and ``dcterms:source`` the dataset. Their MAxO ancestors are
  written as labelled classes (the hierarchy, for SPARQL users), not as steps. Actions outside those branches
  (MAXO:0000001 "medical action" itself, therapeutic procedures) and IDs the ontology does not have are skipped and
  counted.
- Kind, from the first branch (:data:`KIND_BRANCHES`) the action lies under: BIOPSY (clinical biopsy), IMAGING
  (clinical imaging procedure), LABORATORY_TEST (clinical laboratory procedure, chemistry, hematology, chemical
  measurement), SPECIALIST_EVALUATION (medical specialist evaluation), EXAMINATION (physical examination,
  examination by clinical professional), CLINICAL_ASSESSMENT (clinical assessment, other professional
  evaluations), else PROCEDURE (ECG, EEG, endoscopy, ...).
- Every ``is_observable_through`` row is a ``dxkb:StepYield`` of the step for the finding, with the kind's
  default sensitivity and specificity and ``dcterms:source`` the dataset. ``is_prenatally_observable_through`` rows
  are kept apart as ``finding dxkb:prenatallyObservableThrough action`` (before birth, not in the patient).
- HPO IDs are resolved against the build's HPO (alternative and obsolete IDs to the current term); rows naming a
  term that is not a finding of it are skipped and counted.
- A curated step that declares ``skos:exactMatch`` a MAxO action (the complete blood count, MAXO:0001509) receives
  that action's yields, and no second step is written: one test, one step, the curated preconditions kept.

Errors: a missing or malformed file raises :class:`dxkb.kb.errors.BuildError` naming the file (and line).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dxkb.kb.build.importers import public
from dxkb.kb.build.importers.writer import NTriplesWriter, decimal
from dxkb.kb.errors import BuildError
from dxkb.kb.vocab import DCTERMS, DEFINITION, DXKB, OBOINOWL, OWL, RDF_TYPE, RDFS, to_iri

SOURCE = "maxo"
OBO = "maxo.obo"
ANNOTATIONS = "maxo_diagnostic_annotations.tsv"
OBSERVABLE = "is_observable_through"
PRENATAL = "is_prenatally_observable_through"
STEP_ORDER = 100
ROOTS = ("MAXO:0000003", "MAXO:0000483", "MAXO:0000130")  # diagnostic procedure, professional evaluation, endoscopy
#: (kind code, MAxO branches), the first that contains the action wins.
KIND_BRANCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("BIOPSY", ("MAXO:0001269",)),
    ("IMAGING", ("MAXO:0000005",)),
    ("LABORATORY_TEST", ("MAXO:0000006", "MAXO:0000566", "MAXO:0000147", "MAXO:0001236")),
    ("SPECIALIST_EVALUATION", ("MAXO:0000665",)),
    ("EXAMINATION", ("MAXO:0000527", "MAXO:0000526")),
    ("CLINICAL_ASSESSMENT", ("MAXO:0000487", "MAXO:0000483")),
)
OTHER_KIND = "PROCEDURE"
SCOPES = {"EXACT": "hasExactSynonym", "RELATED": "hasRelatedSynonym", "BROAD": "hasBroadSynonym",
          "NARROW": "hasNarrowSynonym"}


@dataclass
class Action:
    id: str
    name: str = ""
    definition: str | None = None
    parents: list[str] = field(default_factory=list)
    synonyms: list[tuple[str, str]] = field(default_factory=list)
    obsolete: bool = False


@dataclass
class Maxo:
    version: str
    actions: dict[str, Action]

    def ancestors(self, term: str) -> set[str]:
        found: set[str] = set()
        stack = list(self.actions[term].parents) if term in self.actions else []
        while stack:
            parent = stack.pop()
            if parent not in found:
                found.add(parent)
                stack.extend(self.actions[parent].parents if parent in self.actions else ())
        return found

    def kind(self, term: str) -> str | None:
        lineage = self.ancestors(term) | {term}
        if not lineage & set(ROOTS):
            return None
        for kind, branches in KIND_BRANCHES:
            if lineage & set(branches):
                return kind
        return OTHER_KIND


def read_obo(path: Path) -> Maxo:
    """A line reader for OBO 1.4 [Term] stanzas (id, name, def, synonym, is_a, is_obsolete): fast, and it reads
    the full release as well as the shipped subset."""
    version, actions, current = "", {}, None
    for number, line in public.lines(path):
        if line.startswith("data-version:") and not version:
            version = line.split(":", 1)[1].strip().removeprefix("releases/")
        elif line.startswith("["):
            current = None
            if line.strip() == "[Term]":
                current = Action("")
        elif current is None:
            continue
        elif line.startswith("id: "):
            current.id = line[4:].strip()
            if current.id.startswith("MAXO:"):
                actions[current.id] = current
        elif line.startswith("name: "):
            current.name = line[6:].strip()
        elif line.startswith("def: "):
            current.definition = _quoted(line[5:], path, number)
        elif line.startswith("synonym: "):
            text = _quoted(line[9:], path, number)
            rest = line[9:].rsplit('"', 1)[-1].split()
            scope = rest[0] if rest and rest[0] in SCOPES else "RELATED"
            if text and text != current.name:
                current.synonyms.append((scope, text))
        elif line.startswith("is_a: "):
            current.parents.append(line[6:].split("!")[0].split("{")[0].strip())
        elif line.startswith("is_obsolete: true"):
            current.obsolete = True
    actions = {k: a for k, a in actions.items() if not a.obsolete and a.name}
    if not actions:
        raise BuildError(f"{path}: no MAxO terms found (not a MAxO OBO file?)")
    return Maxo(version or "unknown", actions)


def _quoted(text: str, path: Path, number: int) -> str:
    """The quoted string at the start of an OBO value, with OBO escapes undone."""
    text = text.strip()
    if not text.startswith('"'):
        raise BuildError(f"malformed OBO file {path}, line {number}: expected a quoted string")
    out, escaped = [], False
    for ch in text[1:]:
        if escaped:
            out.append({"n": "\n", "t": "\t"}.get(ch, ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            return "".join(out)
        else:
            out.append(ch)
    raise BuildError(f"malformed OBO file {path}, line {number}: unterminated quoted string")


@dataclass
class Annotations:
    version: str
    rows: list[tuple[str, str, str]]  # (hpo id, predicate, maxo id)


def read_annotations(path: Path) -> Annotations:
    version, rows, header = "", [], None
    for number, line in public.lines(path):
        if line.startswith("#"):
            if line.startswith("#version:"):
                version = line.split(":", 1)[1].strip()
            continue
        if not line.strip():
            continue
        cells = line.split("\t")
        if header is None:
            header = {name: i for i, name in enumerate(cells)}
            missing = [c for c in ("hpo_id", "predicate_id", "maxo_id") if c not in header]
            if missing:
                raise BuildError(f"{path}, line {number}: missing column(s) {', '.join(missing)}")
            continue
        try:
            rows.append((cells[header["hpo_id"]].strip(), cells[header["predicate_id"]].strip(),
                         cells[header["maxo_id"]].strip()))
        except IndexError:
            raise BuildError(f"{path}, line {number}: expected {len(header)} tab-separated columns") from None
    if header is None:
        raise BuildError(f"{path}: empty annotation file")
    return Annotations(version or "unknown", rows)


def import_maxo(target: Path, *, source_dir: str | Path | None = None, hpo_obo: Path | None = None) -> str:
    """Write the MAxO diagnostic steps and their yields to ``target``; return a one-line summary."""
    maxo = read_obo(public.locate(SOURCE, OBO, source_dir))
    annotations = read_annotations(public.locate(SOURCE, ANNOTATIONS, source_dir))
    hpo = public.hpo_ids(hpo_obo)
    kinds = public.kind_defaults()
    aligned = public.curated_alignments("MAXO")
    skipped: Counter[str] = Counter()
    yields: dict[str, set[str]] = {}
    prenatal: dict[str, set[str]] = {}
    for hpo_id, predicate, maxo_id in annotations.rows:
        if predicate not in (OBSERVABLE, PRENATAL):
            skipped["other predicate"] += 1
            continue
        finding = hpo.resolve(hpo_id)
        if finding is None:
            skipped["HPO term not in the build"] += 1
            continue
        if maxo_id not in maxo.actions:
            skipped["MAxO ID not in the ontology"] += 1
            continue
        if maxo_id not in aligned and maxo.kind(maxo_id) is None:
            skipped["not a diagnostic action"] += 1
            continue
        (yields if predicate == OBSERVABLE else prenatal).setdefault(maxo_id, set()).add(finding)
    steps = sorted(set(yields) | set(prenatal))
    with open(target, "w", encoding="utf-8") as handle:
        out = NTriplesWriter(handle)
        dataset = out.iri(public.dataset_iri(SOURCE))
        out.line(dataset, out.iri(RDF_TYPE), out.iri(DXKB + "SourceDocument"))
        out.line(dataset, out.iri(RDFS + "label"), out.literal("Medical Action Ontology (MAxO) and its diagnostic "
                                                                  "annotations (maxo-annotations)"))
        out.line(dataset, out.iri(OWL + "versionInfo"), out.literal(f"{maxo.version}, annotations "
                                                                       f"{annotations.version}"))
        out.line(dataset, out.iri(DCTERMS + "license"), out.iri("https://creativecommons.org/licenses/by/4.0/"))
        written: set[str] = set()
        by_kind: Counter[str] = Counter()
        for maxo_id in steps:  # the steps first: an action can be another step's ancestor
            if maxo_id in aligned:
                continue
            kind = maxo.kind(maxo_id) or OTHER_KIND
            by_kind[kind] += 1
            _write_action(out, maxo, maxo_id, dataset, kinds[kind], written)
        for maxo_id in steps:
            for ancestor in sorted(maxo.ancestors(maxo_id)):
                _write_action(out, maxo, ancestor, dataset, None, written)
        count = 0
        for maxo_id in steps:
            step_iri = aligned.get(maxo_id) or str(to_iri(maxo_id))
            kind = kinds["LABORATORY_TEST"] if maxo_id in aligned else kinds[maxo.kind(maxo_id) or OTHER_KIND]
            for finding in sorted(yields.get(maxo_id, ())):
                node = out.fresh_iri(f"https://w3id.org/dxkb/maxo/yield/{maxo_id.replace(':', '_')}/"
                                     f"{finding.replace(':', '_')}")
                public.write_step_yield(out, node, step_iri, finding, kind.sensitivity, kind.specificity,
                                        dataset)
                count += 1
            for finding in sorted(prenatal.get(maxo_id, ())):
                out.line(out.iri(str(to_iri(finding))), out.iri(DXKB + "prenatallyObservableThrough"),
                         out.iri(step_iri))
        triples = out.count
    kinds_text = ", ".join(f"{n} {k.lower().replace('_', ' ')}" for k, n in sorted(by_kind.items()))
    parts = [f"MAxO {maxo.version} (annotations {annotations.version}): {sum(by_kind.values())} diagnostic steps "
             f"({kinds_text})", f"{count:,} yields",
             f"{sum(len(v) for v in prenatal.values()):,} prenatal links",
             f"{len([m for m in steps if m in aligned])} aligned to curated steps", f"{triples:,} triples"]
    parts += [f"{n:,} rows skipped ({reason})" for reason, n in sorted(skipped.items())]
    return ", ".join(parts)


XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"


def _write_action(out: NTriplesWriter, maxo: Maxo, maxo_id: str, dataset: str, kind: public.KindDefaults | None,
                  written: set[str]) -> None:
    if maxo_id in written or maxo_id not in maxo.actions:
        return
    written.add(maxo_id)
    action = maxo.actions[maxo_id]
    subject = out.iri(str(to_iri(maxo_id)))
    out.line(subject, out.iri(RDF_TYPE), out.iri(OWL + "Class"))
    out.line(subject, out.iri(RDFS + "label"), out.literal(action.name))
    if kind is not None:
        out.line(subject, out.iri(RDFS + "subClassOf"), out.iri(kind.kind_class))
        out.line(subject, out.iri(DXKB + "invasiveness"), out.literal(decimal(kind.invasiveness), XSD_DECIMAL))
        out.line(subject, out.iri(DXKB + "cost"), out.literal(decimal(kind.cost), XSD_DECIMAL))
        out.line(subject, out.iri(DXKB + "stepOrder"), out.literal(str(STEP_ORDER),
                                                                    "http://www.w3.org/2001/XMLSchema#integer"))
        out.line(subject, out.iri(DCTERMS + "source"), dataset)
    for parent in action.parents:
        if parent in maxo.actions:
            out.line(subject, out.iri(RDFS + "subClassOf"), out.iri(str(to_iri(parent))))
    if action.definition:
        out.line(subject, out.iri(DEFINITION), out.literal(action.definition))
    for scope, text in sorted(set(action.synonyms)):
        out.line(subject, out.iri(OBOINOWL + SCOPES[scope]), out.literal(text))


# ---------------------------------------------------------------------------------------------------- shipping

def ship(obo: Path, annotations: Path, folder: Path) -> str:
    """Write the shipped copies: the annotation file as it is, and the part of the ontology the import reads
    (the annotated actions and their ancestors, stanzas verbatim), both gzip-compressed."""
    wanted: set[str] = set()
    maxo = read_obo(obo)
    for _hpo, _predicate, maxo_id in read_annotations(annotations).rows:
        if maxo_id in maxo.actions:
            wanted |= {maxo_id} | maxo.ancestors(maxo_id)
    folder.mkdir(parents=True, exist_ok=True)
    with _gzip_text(folder / (OBO + ".gz")) as out:
        stanza: list[str] = []
        in_header = True

        def flush() -> None:
            if stanza and stanza[0].strip() == "[Term]" and any(l.startswith("id: ") and l[4:].strip() in wanted
                                                                for l in stanza):
                out.write("\n".join(stanza).rstrip("\n") + "\n\n")

        for _n, line in public.lines(obo):
            if line.startswith("["):
                if in_header:
                    in_header = False
                else:
                    flush()
                stanza = [line]
            elif in_header:
                if not line.startswith(("synonymtypedef", "subsetdef", "import")):
                    out.write(line + "\n")
            else:
                stanza.append(line)
        flush()
    with _gzip_text(folder / (ANNOTATIONS + ".gz")) as out:
        for _n, line in public.lines(annotations):
            out.write(line + "\n")
    return f"{len(wanted)} MAxO terms shipped"


def _gzip_text(path: Path):  # type: ignore[no-untyped-def]
    """A text handle writing a reproducible gzip file (no timestamp in the header)."""
    import gzip
    import io

    return io.TextIOWrapper(gzip.GzipFile(filename="", mode="wb", fileobj=open(path, "wb"), mtime=0),
                            encoding="utf-8")
