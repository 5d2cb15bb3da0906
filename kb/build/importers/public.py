"""What the importers of shipped public data share (MAxO, loinc2hpo): where their files are, how they are read,
the HPO IDs their links may name, and the per-kind defaults of the steps they write.

Where the files come from: each importer's release ships in the package, compressed, under
``kb/data/public/<source>/`` with its LICENSE and VERSION (so that ``pip install . && dxkb serve`` works offline).
A newer release is taken from a folder (``dxkb build --source-dir DIR``, or ``DXKB_SOURCE_DIR``) holding the files
under their official names, plain or ``.gz``; ``dxkb build --download`` first fetches them from their official
locations (:data:`OFFICIAL_URLS`) into a scratch folder. Tests pass their own small files.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterator, TextIO

from dxkb.kb.errors import BuildError
from dxkb.kb.build.importers.writer import NTriplesWriter, decimal
from dxkb.kb.vocab import DCTERMS, DXKB, RDF_TYPE, SOURCE_BASE, XSD, to_iri

#: Official locations of the files, by file name (``dxkb build --download``).
OFFICIAL_URLS: dict[str, str] = {
    "maxo.obo": "http://purl.obolibrary.org/obo/maxo.obo",
    "maxo_diagnostic_annotations.tsv": "https://raw.githubusercontent.com/monarch-initiative/maxo-annotations/"
                                       "master/annotations/maxo_diagnostic_annotations.tsv",
    "loinc2hpo-annotations.tsv": "https://raw.githubusercontent.com/TheJacksonLaboratory/loinc2hpoAnnotation/"
                                 "master/Data/TSVSingleFile/annotations.tsv",
}

PHENOTYPIC_ABNORMALITY = "HP:0000118"


def shipped(source: str, name: str) -> Path:
    """The compressed copy of ``name`` shipped in the package (kb/data/public/<source>/<name>.gz)."""
    return Path(str(resources.files("dxkb.kb").joinpath("data", "public", source, name + ".gz")))


def locate(source: str, name: str, source_dir: str | Path | None) -> Path:
    """``name`` in ``source_dir`` (plain or .gz) when given, else the shipped copy; a clear error when missing."""
    if source_dir:
        folder = Path(source_dir).expanduser()
        for candidate in (folder / name, folder / (name + ".gz")):
            if candidate.is_file():
                return candidate
        raise BuildError(f"{name} (or {name}.gz) not found in the source folder {folder}")
    path = shipped(source, name)
    if not path.is_file():
        raise BuildError(f"the shipped copy of {name} is missing ({path}): reinstall dxkb or pass --source-dir")
    return path


def open_text(path: Path) -> TextIO:
    """A text handle on a plain or gzip-compressed UTF-8 file; errors name the file."""
    try:
        if path.suffix == ".gz":
            return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
        return open(path, encoding="utf-8")
    except OSError as error:
        raise BuildError(f"cannot read {path}: {error.strerror or error}") from None


def lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line without the newline); a corrupt gzip or non-UTF-8 file is a BuildError naming it."""
    handle = open_text(path)
    number = 0
    try:
        with handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\n").rstrip("\r")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise BuildError(f"cannot read {path} (line {number + 1}): {error}") from None


def dataset_iri(source: str) -> str:
    return SOURCE_BASE + source


# ---------------------------------------------------------------------------------------------------- HPO IDs

@dataclass(frozen=True)
class HpoIds:
    """The HPO findings of the build (terms under HP:0000118) and the map from old IDs to current ones."""

    version: str
    findings: frozenset[str]
    primary: dict[str, str]
    labels: dict[str, str]

    def resolve(self, curie: str) -> str | None:
        """The current finding ID, or None when the ID is not a finding of this HPO release."""
        seen: set[str] = set()
        while curie not in self.findings:
            if curie in seen or curie not in self.primary:
                return None
            seen.add(curie)
            curie = self.primary[curie]
        return curie


_HPO_CACHE: dict[Path, HpoIds] = {}


def hpo_ids(obo: Path | None = None) -> HpoIds:
    """The IDs of ``hp.obo`` (default: the one the HPO importer reads) by a line scan (0.3 s, not fastobo's 8 s):
    links to findings outside the build's HPO would fail the build's checks, so they are skipped and counted."""
    if obo is None:
        from dxkb.kb.build.importers.hpo import data_files

        obo = data_files()[0]
    obo = Path(obo)
    if obo in _HPO_CACHE:
        return _HPO_CACHE[obo]
    if not obo.is_file():
        raise BuildError(f"HPO ontology not found: {obo}")
    version, current, obsolete = "", None, False
    parents: dict[str, list[str]] = {}
    primary: dict[str, str] = {}
    alts: list[str] = []
    replaced: str | None = None
    labels: dict[str, str] = {}

    def close() -> None:
        if current is None:
            return
        if obsolete:
            parents.pop(current, None)
            if replaced:
                primary[current] = replaced
        else:
            for alt in alts:
                primary[alt] = current

    for _number, line in lines(obo):
        if line.startswith("data-version:") and not version:
            version = line.split(":", 1)[1].strip().removeprefix("hp/releases/")
        elif line.startswith("["):
            close()
            current, obsolete, alts, replaced = None, False, [], None
        elif line.startswith("id: HP:"):
            current = line[4:].strip()
            parents[current] = []
        elif current is None:
            continue
        elif line.startswith("name: "):
            labels[current] = line[6:].strip()
        elif line.startswith("is_a: "):
            parents[current].append(line[6:].split("!")[0].split("{")[0].strip())
        elif line.startswith("alt_id: "):
            alts.append(line[8:].strip())
        elif line.startswith("is_obsolete: true"):
            obsolete = True
        elif line.startswith("replaced_by: "):
            replaced = line[13:].strip()
    close()
    children: dict[str, list[str]] = {}
    for term, ps in parents.items():
        for p in ps:
            children.setdefault(p, []).append(term)
    findings: set[str] = set()
    stack = [PHENOTYPIC_ABNORMALITY] if PHENOTYPIC_ABNORMALITY in parents else []
    while stack:
        term = stack.pop()
        if term not in findings:
            findings.add(term)
            stack.extend(children.get(term, ()))
    result = _HPO_CACHE[obo] = HpoIds(version, frozenset(findings), primary,
                                      {t: labels[t] for t in findings if t in labels})
    return result


# ---------------------------------------------------------------------------------------------------- kinds

@dataclass(frozen=True)
class KindDefaults:
    kind_class: str  # IRI, e.g. https://w3id.org/dxkb/vocab#Imaging
    invasiveness: float
    cost: float
    sensitivity: float
    specificity: float


_KINDS: dict[str, KindDefaults] = {}


def kind_defaults() -> dict[str, KindDefaults]:
    """kindCode -> the defaults the ontology states for the kind (one place: ontology/dxkb.ttl)."""
    if _KINDS:
        return _KINDS
    from rdflib import Graph, Literal, URIRef

    from dxkb.kb.build.sources import ontology_files

    graph = Graph()
    for path in ontology_files():
        graph.parse(path, format="turtle")
    prop = {name: URIRef(DXKB + name) for name in ("kindCode", "defaultInvasiveness", "defaultCost",
                                                    "defaultSensitivity", "defaultSpecificity")}
    for kind_class in sorted(set(graph.subjects(prop["defaultCost"], None))):
        values = {name: graph.value(kind_class, p) for name, p in prop.items()}
        if any(not isinstance(v, Literal) for v in values.values()):
            raise BuildError(f"step kind {kind_class} states incomplete defaults in the ontology")
        _KINDS[str(values["kindCode"])] = KindDefaults(
            str(kind_class), float(values["defaultInvasiveness"]), float(values["defaultCost"]),
            float(values["defaultSensitivity"]), float(values["defaultSpecificity"]))
    return _KINDS


_ALIGN = re.compile(r"^(MAXO:\d+|LOINC:[0-9]+-[0-9])$")


def curated_alignments(prefix: str) -> dict[str, str]:
    """External step ID (e.g. ``MAXO:0001509``) -> the curated step IRI that declares it its ``skos:exactMatch``:
    the importers write that action's yields on the curated step (which keeps its preconditions) instead of a
    second step for the same test."""
    from rdflib import Graph, URIRef

    from dxkb.kb.build.sources import curated_files
    from dxkb.kb.vocab import SKOS, to_curie

    graph = Graph()
    for path in curated_files():
        graph.parse(path, format="turtle")
    found: dict[str, str] = {}
    for step, target in sorted(graph.subject_objects(URIRef(SKOS + "exactMatch"))):
        curie = to_curie(str(target))
        if curie.startswith(prefix + ":") and _ALIGN.match(curie):
            found.setdefault(curie, str(step))
    return found


def write_step_yield(out: NTriplesWriter, node: str, step: str, finding: str, sensitivity: float,
                     specificity: float, dataset: str) -> None:
    """One ``dxkb:StepYield``: the step (IRI) reveals the finding (CURIE) with this sensitivity and specificity;
    ``node`` and ``dataset`` already serialised. Written alike by every importer of diagnostic steps."""
    out.line(node, out.iri(RDF_TYPE), out.iri(DXKB + "StepYield"))
    out.line(node, out.iri(DXKB + "step"), out.iri(step))
    out.line(node, out.iri(DXKB + "finding"), out.iri(str(to_iri(finding))))
    out.line(node, out.iri(DXKB + "sensitivity"), out.literal(decimal(sensitivity), XSD + "decimal"))
    out.line(node, out.iri(DXKB + "specificity"), out.literal(decimal(specificity), XSD + "decimal"))
    out.line(node, out.iri(DCTERMS + "source"), dataset)
