"""Retrieval: the engine's only caller of SPARQL. It turns rows of queries/*.rq into typed records and keeps the
caches (the store is read-only while open, so nothing cached goes stale).

The rows of queries/candidates.rq come from its two halves, each cached per finding: finding_matches.rq (the
hierarchy walk from an observed finding: which annotated findings match it, how, with which specificity) and
annotations.rq (the annotations naming a finding). The one-query form costs ~20 us a row in embedded Oxigraph
(thousands of rows for five findings on the HPO build); from the caches a row costs a dictionary look-up.
"""

from __future__ import annotations

import gc
import math
import threading
from collections import OrderedDict, defaultdict
from typing import Iterable, NamedTuple

from rdflib import URIRef

from dxkb.kb.engine import model
from dxkb.kb.engine.catalog import LabelIndex
from dxkb.kb.engine.categories import CauseCategories
from dxkb.kb.engine.types import Precondition, Step, Yield
from dxkb.kb.store import queries as sparql
from dxkb.kb.store.base import Store
from dxkb.kb.vocab import to_curie

#: Findings per VALUES block when the engine asks the store for hierarchy matches or annotations.
RETRIEVAL_CHUNK = 2000

#: Observed findings whose hierarchy matches (queries/finding_matches.rq) stay cached; the annotations of every
#: finding are kept (queries/annotations.rq: about 30 MB for the 254,000 HPO annotations).
MATCH_CACHE_SIZE = 4096


class Match(NamedTuple):
    """One annotation of a disease that bears on an observed finding, and how it matches (a row of candidates.rq)."""

    observed: str  # IRI of the patient's finding
    disease: str  # IRI
    annotated: str  # IRI of the annotated finding: the observed one, an ancestor or a descendant
    relation: str  # exact | annotated-broader | annotated-narrower
    frequency: float | None
    negated: bool
    observed_specificity: float | None  # ln of the share of findings under the observed one
    annotated_specificity: float | None


class Replacement(NamedTuple):
    """An ID the release no longer uses as a finding: an alternative ID or an obsolete term (queries/replaced_ids.rq)."""

    kind: str  # alternative | obsolete
    current: str | None  # CURIE of the finding to use instead; None for an obsolete term without replacement
    label: str | None  # the obsolete term's name


class DiseaseTable(NamedTuple):
    """Every ranked disease (sorted IRIs) and the parts of its score that do not depend on the findings."""

    iris: list[str]
    curies: list[str]
    index: dict[str, int]  # IRI -> position
    priors: list[tuple[float, str | None, bool]]  # (prior, source, is the default)
    log_priors: list[float]
    totals: list[float]  # sum of the unreported-feature terms of all its features
    terms: list[dict[str, float]]  # feature IRI -> its unreported term
    pending: list[tuple[int, set[str]]]  # diseases with features that only a test reveals, and those features


class Summary(NamedTuple):
    label: str | None


class FlagRow(NamedTuple):
    present: str  # IRI
    context: str
    suspicion: str | None
    suspicion_label: str | None
    sentence: str | None
    source: str | None


#: Per disease: (sum over its features of ln(1 - rate x P(f|D)), feature IRI -> its term).
Features = tuple[float, dict[str, float]]
#: Disease IRI -> observed finding IRI -> the matches.
Grouped = dict[str, dict[str, list[Match]]]


def _number(value: object) -> float | None:
    """Numbers as floats whatever the backend gives (remote stores: Decimal for xsd:decimal)."""
    return float(value) if value is not None else None  # type: ignore[arg-type]


def unreported_features(features: Iterable[tuple[str, float | None]], ancestors: dict[str, frozenset[str]],
                        adopted: Iterable[str] = ()) -> list[tuple[str, float | None]]:
    """The features of one disease that the unreported-feature term counts: its own (not ``adopted`` from a copy),
    and of those only the most specific ones (not an ancestor of another). A disease annotated with "Abnormality
    of the lens" and "Ectopia lentis" has one feature stated at two levels, and a patient who does not mention it
    did not leave two features unreported; likewise an entry's own and its copy's curation name one feature under
    different terms. ``ancestors``: finding IRI -> itself and its ancestors, for every feature."""
    skip = set(adopted)
    rows = [(f, q) for f, q in features if f not in skip]
    inner: set[str] = set()
    for annotated in sorted({f for f, _ in rows}):
        inner |= ancestors[annotated] - {annotated}
    return [(f, q) for f, q in rows if f not in inner]


def feature_terms(features: Iterable[tuple[str, float | None]]) -> Features:
    """ln(1 - rate x P(f|D)) for each feature of a disease (the best frequency when listed twice) and their sum."""
    terms: dict[str, float] = {}
    for annotated, frequency in features:
        p = min(float(frequency) if frequency is not None else 0.5, model.MAX_LIKELIHOOD)
        terms[annotated] = min(terms.get(annotated, 0.0), math.log(1.0 - model.UNREPORTED_RATE * p))
    return math.fsum(terms[k] for k in sorted(terms)), terms


class Retrieval:
    """One per store; thread-safe. Static parts of the KB (indexes, steps, priors) load once, lazily."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._findings: LabelIndex | None = None
        self._steps: list[Step] | None = None
        self._priors: dict[str, tuple[float, str | None]] | None = None
        self._shares: dict[str, float] | None = None
        self.categories = CauseCategories(store)
        self._cache_lock = threading.Lock()
        self._matches_cache: OrderedDict[str, tuple[tuple, ...]] = OrderedDict()
        self._annotations_cache: dict[str, tuple[tuple[str, bool, float | None], ...]] = {}
        self._curies: dict[str, str] = {}  # disease IRI -> CURIE (thousands per diagnosis at HPO scale)
        self._features: dict[str, Features] = {}
        self._replacements: dict[str, Replacement] | None = None
        self._duplicates: dict[str, str] | None = None
        self._adopted: dict[str, frozenset[str]] | None = None
        self._scored: list[str] | None = None
        self._table: DiseaseTable | None = None
        self._pending: frozenset[str] | None = None
        self._ancestors: dict[str, frozenset[str]] = {}
        self._feature_rows: dict[str, list[tuple[str, float | None]]] | None = None  # every disease's, once prefetched
        self._summaries: dict[str, Summary | None] = {}
        self._sources: dict[str, dict[tuple[str, bool], str]] = {}
        self._flags: list[tuple[str, str, str | None, str | None, str | None, str | None]] | None = None

    # ------------------------------------------------------------------ static parts
    @property
    def findings(self) -> LabelIndex:
        with self._lock:
            if self._findings is None:
                self._findings = LabelIndex.findings(self.store)
            return self._findings

    @property
    def steps(self) -> list[Step]:
        with self._lock:
            if self._steps is None:
                self._steps = self._load_steps()
            return self._steps

    @property
    def priors(self) -> dict[str, tuple[float, str | None]]:
        """Disease IRI -> (prior, source); diseases without one take model.DEFAULT_PRIOR."""
        with self._lock:
            if self._priors is None:
                self._priors = {row["disease"]: (float(row["probability"]), row["source"])
                                for row in sparql.select(self.store, "priors")}
            return self._priors

    def share(self, finding: str) -> float | None:
        """The finding IRI's disease share (dxkb:diseaseShare, queries/finding_shares.rq; loaded once): 0.0 for a
        finding no annotated disease has, None when the store holds no shares at all (built before them)."""
        with self._lock:
            if self._shares is None:
                self._shares = {row["finding"]: float(row["share"])
                                for row in sparql.select(self.store, "finding_shares")}
            shares = self._shares
        return shares.get(finding, 0.0) if shares else None

    @property
    def replacements(self) -> dict[str, Replacement]:
        """CURIE of an alternative or obsolete ID -> what to do with it (loaded once)."""
        with self._lock:
            if self._replacements is None:
                found: dict[str, Replacement] = {}
                for row in sparql.select(self.store, "replaced_ids"):
                    current = to_curie(row["current"]) if row["current"] is not None else None
                    if row["alternative"] is not None:
                        found[str(row["alternative"])] = Replacement("alternative", current, None)
                    elif row["obsolete"] is not None:
                        found[to_curie(row["obsolete"])] = Replacement("obsolete", current, row["label"])
                self._replacements = dict(sorted(found.items()))
            return self._replacements

    @property
    def duplicates(self) -> dict[str, str]:
        """Disease IRI of a copy (ORPHA/DECIPHER) -> the OMIM entry ranked in its place (loaded once)."""
        with self._lock:
            if self._duplicates is None:
                self._duplicates = {row["copy"]: row["primary"]
                                    for row in sparql.select(self.store, "disease_duplicates")}
            return self._duplicates

    @property
    def adopted(self) -> dict[str, frozenset[str]]:
        """Disease IRI -> the finding IRIs it annotates only through its copy (queries/adopted_annotations.rq;
        loaded once)."""
        with self._lock:
            if self._adopted is None:
                found: dict[str, set[str]] = defaultdict(set)
                for row in sparql.select(self.store, "adopted_annotations"):
                    found[row["disease"]].add(row["annotated"])
                self._adopted = {d: frozenset(found[d]) for d in sorted(found)}
            return self._adopted

    @property
    def scored_diseases(self) -> list[str]:
        """Every disease the engine ranks (queries/scored_diseases.rq) minus the copies, sorted (loaded once)."""
        duplicates = self.duplicates
        with self._lock:
            if self._scored is None:
                self._scored = sorted(row["disease"] for row in sparql.select(self.store, "scored_diseases")
                                      if row["disease"] not in duplicates)
            return self._scored

    def table(self) -> "DiseaseTable":
        """The per-disease parts of the score that no finding changes, for every ranked disease (built once, after
        the features of all of them are held): most of the ~12,700 HPO diseases are reached by no finding, and
        their score is this base plus one constant per diagnosis."""
        with self._lock:
            found = self._table
        if found is not None:
            return found
        diseases = self.scored_diseases
        features = self.features(diseases)
        priors = self.priors
        pending = self.pending_results()
        table = DiseaseTable(iris=diseases, curies=[self.curie(d) for d in diseases],
                             index={d: i for i, d in enumerate(diseases)}, priors=[], log_priors=[], totals=[],
                             terms=[], pending=[])
        for i, disease in enumerate(diseases):
            prior, source = priors.get(disease, (model.DEFAULT_PRIOR, None))
            total, terms = features.get(disease, (0.0, {}))
            table.priors.append((prior, source, disease not in priors))
            table.log_priors.append(math.log(prior))
            table.totals.append(total)
            table.terms.append(terms)
            if disease in priors and pending & terms.keys():  # a curated disease's test result is not yet known,
                table.pending.append((i, pending & terms.keys()))  # not unreported (HPO's diseases keep theirs)
        with self._lock:
            self._table = table
        return table

    def broader(self, findings: Iterable[str]) -> dict[str, set[str]]:
        """Finding IRI -> its ancestors, from the cached hierarchy matches (the "annotated-broader" rows)."""
        return {f: {r[0] for r in rows if r[1] == "annotated-broader"} for f, rows in self._matches(findings).items()}

    def curie(self, iri: str) -> str:
        found = self._curies.get(iri)
        if found is None:
            found = self._curies[iri] = to_curie(iri)
        return found

    def label(self, iri: str) -> str:
        entry = self.findings.get(to_curie(iri))
        return entry.label if entry else to_curie(iri)

    def _load_steps(self) -> list[Step]:
        steps: dict[str, Step] = {}
        test_kinds = {row["kindClass"] for row in sparql.select(self.store, "test_kinds")}
        for row in sparql.select(self.store, "diagnostic_steps"):
            steps.setdefault(row["step"], Step(
                id=to_curie(row["step"]), iri=row["step"], label=row["label"], kind=row["kind"],
                is_test=row["kindClass"] in test_kinds,
                invasiveness=float(row["invasiveness"]) if row["invasiveness"] is not None else None,
                cost=float(row["cost"]) if row["cost"] is not None else 1.0,
                order=int(row["order"]) if row["order"] is not None else 999, definition=row["definition"],
                source=row["source"]))
        for row in sparql.select(self.store, "step_yields"):
            if row["step"] in steps:
                steps[row["step"]].yields.append(
                    Yield(row["finding"], float(row["sensitivity"]), float(row["specificity"])))
        grouped: dict[tuple[str, str], dict] = {}
        for row in sparql.select(self.store, "step_preconditions"):
            entry = grouped.setdefault((row["step"], row["precondition"]),
                                       {"condition": row["condition"], "findings": set(), "sentence": row["sentence"]})
            entry["findings"].add(row["finding"])
        for (step_iri, _node), entry in sorted(grouped.items()):
            if step_iri in steps:
                steps[step_iri].preconditions.append(
                    Precondition(entry["condition"], frozenset(entry["findings"]), entry["sentence"]))
        for step in steps.values():
            step.yields.sort(key=lambda y: y.finding)  # rows come in no fixed order (it differs between backends)
        return sorted(steps.values(), key=lambda s: (s.order, s.id))

    def pending_results(self) -> set[str]:
        """Findings only a test or time reveals (yields of steps other than history taking and examination): one
        not given is not yet known, not unreported, so it stays out of the unreported-feature term."""
        if self._pending is None:  # imported steps (MAxO, LOINC) say a finding *can* be seen through them, not
            # that only they reveal it: their yields stay reportable (in the unreported-feature term)
            self._pending = frozenset(y.finding for step in self.steps if step.source is None
                                      and step.kind not in ("HISTORY", "EXAMINATION") for y in step.yields)
        return set(self._pending)

    # ------------------------------------------------------------------ per-finding caches
    def _matches(self, findings: Iterable[str]) -> dict[str, tuple[tuple, ...]]:
        """Observed finding IRI -> (annotated, relation, observedSpecificity, annotatedSpecificity) tuples."""
        wanted = sorted(set(findings))
        found: dict[str, tuple[tuple, ...]] = {}
        with self._cache_lock:
            for finding in wanted:
                if finding in self._matches_cache:
                    self._matches_cache.move_to_end(finding)
                    found[finding] = self._matches_cache[finding]
        missing = [f for f in wanted if f not in found]
        if missing:
            fetched: dict[str, list[tuple]] = {f: [] for f in missing}
            for start in range(0, len(missing), RETRIEVAL_CHUNK):
                chunk = missing[start:start + RETRIEVAL_CHUNK]
                for row in sparql.select(self.store, "finding_matches",
                                         values={("observed",): [(URIRef(f),) for f in chunk]}):
                    fetched[row["observed"]].append((row["annotated"], row["relation"],
                                                     _number(row["observedSpecificity"]),
                                                     _number(row["annotatedSpecificity"])))
            with self._cache_lock:
                for finding, rows in fetched.items():
                    found[finding] = self._matches_cache[finding] = tuple(sorted(rows, key=lambda r: (r[0], r[1])))
                while len(self._matches_cache) > MATCH_CACHE_SIZE:
                    self._matches_cache.popitem(last=False)
        return found

    def _annotations(self, findings: Iterable[str]) -> dict[str, tuple[tuple[str, bool, float | None], ...]]:
        """Annotated finding IRI -> (disease, negated, frequency) of every annotation naming it."""
        cache = self._annotations_cache
        missing = sorted({f for f in findings if f not in cache})
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            fetched: dict[str, list[tuple[str, bool, float | None]]] = {f: [] for f in chunk}
            for row in sparql.select(self.store, "annotations",
                                     values={("annotated",): [(URIRef(f),) for f in chunk]}):
                fetched[row["annotated"]].append((row["disease"], bool(row["negated"]), _number(row["frequency"])))
            for finding, rows in fetched.items():
                cache[finding] = tuple(rows)  # one atomic store per key: concurrent fillers write equal values
        return cache

    def prefetch(self, *, freeze: bool = True) -> int:
        """Load the annotations of every finding now (6-9 s on the HPO build, 30 MB), so that no diagnosis waits
        for them; returns the number of annotations held. Optional: without it they load as diagnoses need them.

        With `freeze` (the default) it then calls ``gc.freeze()``: the caches, indexes and store objects loaded so
        far live as long as the process, and without it every full cyclic-garbage collection walks them again -
        at HPO scale a diagnosis allocates enough to trigger one every few requests, which doubled its time."""
        self._annotations(entry.iri for entry in self.findings.entries)
        self.share("")  # the findings' disease shares (queries/finding_shares.rq)
        by_disease: dict[str, list[tuple[str, float | None]]] = defaultdict(list)
        for annotated, rows in sorted(self._annotations_cache.items()):
            for disease, negated, frequency in rows:
                if not negated:
                    by_disease[disease].append((annotated, frequency))
        # every annotation is held now: disease_feature_rows answers from them (the same rows as its query, which
        # reads the 254,000 annotations again: 12-15 s on the HPO build)
        self._feature_rows = {d: _feature_order(rows) for d, rows in by_disease.items()}
        self.prefetch_ancestors()
        ancestors = self.ancestors(sorted(self._annotations_cache))
        adopted = self.adopted
        for disease, features in by_disease.items():
            self._features[disease] = feature_terms(unreported_features(features, ancestors,
                                                                        adopted.get(disease, ())))
        if freeze:
            gc.freeze()
        return sum(len(rows) for rows in list(self._annotations_cache.values()))  # a copy: requests may add keys

    def hierarchy(self, finding: str) -> tuple[tuple[str, str, float | None, float | None], ...]:
        """The hierarchy half of candidates.rq for one observed finding IRI (cached): (annotated finding IRI,
        relation, observed specificity, annotated specificity) rows, sorted (kb/engine/ranking.py)."""
        return self._matches([finding])[finding]

    def annotations(self, annotated: Iterable[str]) -> dict[str, tuple[tuple[str, bool, float | None], ...]]:
        """Annotated finding IRI -> (disease IRI, negated, frequency) of every annotation naming it (cached)."""
        wanted = sorted(set(annotated))
        cache = self._annotations(wanted)
        return {f: cache[f] for f in wanted}

    def features(self, diseases: Iterable[str]) -> dict[str, Features]:
        """Per disease: its features' unreported terms and their sum (queried for diseases not yet held)."""
        features = self._features
        missing = sorted({d for d in diseases if d not in features})
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            found: dict[str, list[tuple[str, float | None]]] = {d: [] for d in chunk}
            for row in sparql.select(self.store, "disease_annotations",
                                     values={("disease",): [(URIRef(d),) for d in chunk]}):
                found[row["disease"]].append((row["annotated"], _number(row["frequency"])))
            ancestors = self.ancestors(sorted({f for rows in found.values() for f, _ in rows}))
            adopted = self.adopted
            for disease, rows in found.items():
                kept = unreported_features(sorted(rows, key=lambda r: r[0]), ancestors, adopted.get(disease, ()))
                features[disease] = feature_terms(kept)  # one atomic store per key
        return features

    def matches(self, findings: Iterable[str], diseases: Iterable[str] | None = None) -> Grouped:
        """The matches candidates.rq gives for these findings (only those of `diseases` when given), grouped by
        disease and observed finding: the same rows, from the cached halves."""
        matches = self._matches(findings)
        annotations = self._annotations({m[0] for rows in matches.values() for m in rows})
        keep = set(diseases) if diseases is not None else None
        grouped: Grouped = {}
        for observed, rows in matches.items():
            for annotated, relation, observed_specificity, annotated_specificity in rows:
                for disease, negated, frequency in annotations[annotated]:
                    if keep is not None and disease not in keep:
                        continue
                    match = Match(observed, disease, annotated, relation, frequency, negated, observed_specificity,
                                  annotated_specificity)
                    by_observed = grouped.get(disease)
                    if by_observed is None:
                        grouped[disease] = {observed: [match]}
                    elif observed in by_observed:
                        by_observed[observed].append(match)
                    else:
                        by_observed[observed] = [match]
        return grouped

    def sources(self, diseases: Iterable[str]) -> dict[str, dict[tuple[str, bool], str]]:
        """Disease IRI -> (annotated finding IRI, negated) -> the annotation's source (the first in string order),
        for the evidence of the shown candidates (queries/annotation_sources.rq); cached per disease."""
        cache = self._sources
        wanted = sorted(set(diseases))
        missing = [d for d in wanted if d not in cache]
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            found: dict[str, dict[tuple[str, bool], str]] = {d: {} for d in chunk}
            for row in sparql.select(self.store, "annotation_sources", values={("disease",): [(URIRef(d),) for d in chunk]}):
                if row["source"] is not None:
                    found[row["disease"]][(row["annotated"], bool(row["negated"]))] = str(row["source"])
            for disease in chunk:
                cache[disease] = found[disease]  # one atomic store per key
        return {d: cache[d] for d in wanted}

    # ------------------------------------------------------------------ other look-ups
    def summaries(self, diseases: list[str]) -> dict[str, Summary]:
        """Disease IRI -> its summary (label), cached per disease (the store is read-only while open)."""
        cache = self._summaries
        missing = sorted({d for d in diseases if d not in cache})
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            found = {row["disease"]: Summary(row["label"]) for row in sparql.select(
                self.store, "disease_summaries", values={("disease",): [(URIRef(d),) for d in chunk]})}
            for disease in chunk:
                cache[disease] = found.get(disease)  # one atomic store per key
        return {d: cache[d] for d in diseases if cache.get(d) is not None}

    def flag_table(self) -> list[tuple[str, str, str | None, str | None, str | None, str | None]]:
        """Every red flag (flag finding, context, suspicion, its label, sentence, source), loaded once
        (queries/red_flag_table.rq): a few dozen curated rows."""
        with self._lock:
            if self._flags is None:
                self._flags = sorted({(r["flagFinding"], r["context"], r["suspicion"], r["suspicionLabel"],
                                       r["sentence"], r["source"])
                                      for r in sparql.select(self.store, "red_flag_table")},
                                     key=lambda row: tuple(str(x) for x in row))
            return self._flags

    def red_flags(self, present: list[str]) -> list[FlagRow]:
        """The red flags the PRESENT findings raise: a flag finding (or a more specific one) present together with
        the complaint it is a red flag for (or a more specific one)."""
        closure = self.ancestors(present)
        context_closure = set().union(*closure.values()) if closure else set()
        hits = {(p, flag, context, suspicion, label, sentence, source)
                for flag, context, suspicion, label, sentence, source in self.flag_table() if context in context_closure
                for p in present if flag in closure[p]}
        return sorted((FlagRow(p, context, suspicion, label, sentence, source)
                       for p, _flag, context, suspicion, label, sentence, source in hits),
                      key=lambda f: tuple(str(x) for x in f))

    def prefetch_ancestors(self) -> None:
        """The ancestors of every finding of the index at once, from the direct subclass edges
        (queries/subclass_edges.rq) and their closure here: the same sets as ancestors.rq gives (checked on the
        HPO build) in 1 s instead of 20 s."""
        cache = self._ancestors
        entries = [entry.iri for entry in self.findings.entries if entry.iri not in cache]
        if not entries:
            return
        parents: dict[str, list[str]] = defaultdict(list)
        for row in sparql.select(self.store, "subclass_edges"):
            parents[row["class"]].append(row["parent"])
        for iri in entries:
            seen = {iri}
            stack = [iri]
            while stack:  # a walk, not a recursion: equivalent classes make cycles, deep chains no stack overflow
                for parent in parents.get(stack.pop(), ()):
                    if parent not in seen:
                        seen.add(parent)
                        stack.append(parent)
            cache[iri] = frozenset(seen)

    def ancestors(self, findings: Iterable[str]) -> dict[str, frozenset[str]]:
        """Finding IRI -> itself and its ancestors (queries/ancestors.rq), cached per finding."""
        cache = self._ancestors
        wanted = list(findings)
        missing = sorted({f for f in wanted if f not in cache})
        for start in range(0, len(missing), RETRIEVAL_CHUNK):
            chunk = missing[start:start + RETRIEVAL_CHUNK]
            found: dict[str, set[str]] = {f: {f} for f in chunk}
            for row in sparql.select(self.store, "ancestors", values={("finding",): [(URIRef(i),) for i in chunk]}):
                found[row["finding"]].add(row["ancestor"])
            for f in chunk:
                cache[f] = frozenset(found[f])  # one atomic store per key
        return {f: cache[f] for f in wanted}

    # ------------------------------------------------------------------ next steps and questions
    def disease_feature_rows(self, diseases: Iterable[str]) -> dict[str, list[tuple[str, float | None]]]:
        """Disease IRI -> its positive annotations (annotated finding IRI, frequency or None), sorted; uncached
        (kb/engine/nextsteps.Observability caches what it derives from them); after :meth:`prefetch` from the
        annotations it holds."""
        wanted = sorted(set(diseases))
        held = self._feature_rows
        if held is not None:
            return {d: held.get(d, []) for d in wanted}
        found: dict[str, list[tuple[str, float | None]]] = {d: [] for d in wanted}
        for start in range(0, len(wanted), RETRIEVAL_CHUNK):
            chunk = wanted[start:start + RETRIEVAL_CHUNK]
            for row in sparql.select(self.store, "disease_annotations",
                                     values={("disease",): [(URIRef(d),) for d in chunk]}):
                found[row["disease"]].append((row["annotated"], _number(row["frequency"])))
        return {d: _feature_order(rows) for d, rows in found.items()}

    def context_red_flags(self, present: Iterable[str]) -> list[FlagRow]:
        """The red flags in the work-up of the PRESENT complaints (the flag's context is a present finding or one
        of its ancestors), whether or not the flag itself is known: the interview asks about them first.
        ``FlagRow.present`` holds the flag finding."""
        closure = self.ancestors(sorted(set(present)))
        context_closure = set().union(*closure.values()) if closure else set()
        return sorted({FlagRow(flag, context, suspicion, label, sentence, source)
                       for flag, context, suspicion, label, sentence, source in self.flag_table()
                       if context in context_closure}, key=lambda f: tuple(str(x) for x in f))

    def disease_iris(self) -> list[str]:
        """Every disease of the store (queries/disease_index.rq), sorted."""
        return sorted({row["disease"] for row in sparql.select(self.store, "disease_index")})


def _feature_order(rows: list[tuple[str, float | None]]) -> list[tuple[str, float | None]]:
    """A disease's annotations by finding, the highest frequency first (an unstated one counts as 0.5)."""
    return sorted(rows, key=lambda r: (r[0], -(r[1] if r[1] is not None else 0.5)))
