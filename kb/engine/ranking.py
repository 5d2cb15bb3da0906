"""Ranking every disease at once: the score of all ~12,700 HPO diseases as arrays (numpy), one column per observed
finding, instead of a Python loop over the (finding, annotation, disease) matches of each diagnosis.

A finding's column holds, for each disease it reaches through the hierarchy, P(finding | disease) from
:func:`scoring.likelihood` (the same function the evidence uses, over the same matches) and the disease's features
it mentions. Columns are built once per finding from Retrieval's cached matches and kept in a bounded LRU. A
diagnosis then costs a few vector additions per finding:

    score(D) = ln prior(D) + (1/T) x [ sum over findings of term(f, D) + unreported(D) ]

where a finding the disease's annotations do not reach gives its background term (from the finding's own background
rate, scoring.background_rate: one constant per finding and diagnosis) and
the unreported-feature term subtracts each mentioned feature's own term once (a feature two findings mention is
subtracted once: the union of the columns' feature ids). Sums run in a fixed order (columns in the canonical
observation order, feature ids sorted), so the result is the same in every process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Iterable, NamedTuple, Sequence

import numpy as np

from dxkb.kb.engine import model, scoring
from dxkb.kb.engine.retrieval import DiseaseTable, Retrieval

#: Bytes of finding columns kept (a broad finding such as "Abnormality of the nervous system" reaches most diseases:
#: ~1 MB; a specific one a few kB).
COLUMN_CACHE_BYTES = 256 * 1024 * 1024


class Column(NamedTuple):
    """What one observed finding says about every disease it reaches (positions in the DiseaseTable)."""

    reached: np.ndarray  # int64 positions, ascending: diseases an annotation matches (a NOT annotation included)
    p: np.ndarray  # float64 P(finding | disease) per reached disease (scoring.likelihood)
    positive: np.ndarray  # int64 positions of the diseases a non-negated annotation matches
    features: np.ndarray  # int64 ids of the (disease, feature) pairs the finding mentions (FeatureIndex)
    background: float  # the finding's background rate (scoring.background_rate): its P where nothing matches in
    # a disease of the HPO annotations; curated diseases (a curated prior) keep model.BACKGROUND_RATE

    @property
    def nbytes(self) -> int:
        return int(self.reached.nbytes + self.p.nbytes + self.positive.nbytes + self.features.nbytes)


class FeatureIndex(NamedTuple):
    """Every (disease, positive feature) pair of the table, numbered disease by disease, features sorted."""

    disease: np.ndarray  # int64 position of the pair's disease
    term: np.ndarray  # float64 its unreported term ln(1 - UNREPORTED_RATE x P(f|D))
    ids: list[dict[str, int]]  # per disease position: feature IRI -> pair id
    pending: np.ndarray  # ids of the features only a test reveals (never unreported; curated diseases)
    by_feature: dict[str, np.ndarray]  # feature IRI -> the ids of its pairs (every disease that has it), ascending


class Annotated(NamedTuple):
    """The annotations naming one finding, as arrays over the ranked diseases (copies left out)."""

    positions: np.ndarray  # int64 position of each annotation's disease
    negated: np.ndarray  # bool: a NOT annotation
    frequency: np.ndarray  # float64 its frequency (0.5 when none is stated)
    pairs: np.ndarray  # int64 the (disease, feature) pair id of a positive annotation (FeatureIndex), else -1


class Arrays(NamedTuple):
    """The table as arrays, and the order of its CURIEs (ties of probability are broken by CURIE)."""

    log_priors: np.ndarray
    totals: np.ndarray
    curie_rank: np.ndarray
    curated: np.ndarray  # positions of diseases with a curated (complaint-conditional) prior
    is_curated: np.ndarray  # bool per position: the same diseases as a mask


class Ranker:
    """One per engine; thread-safe (columns are immutable; the LRU is locked)."""

    def __init__(self, retrieval: Retrieval) -> None:
        self.retrieval = retrieval
        self._lock = threading.Lock()
        self._columns: OrderedDict[str, Column] = OrderedDict()
        self._bytes = 0
        self._annotated_cache: dict[str, Annotated] = {}
        self._build_lock = threading.Lock()
        self._built: tuple[DiseaseTable, Arrays, FeatureIndex] | None = None

    def arrays(self) -> tuple[DiseaseTable, Arrays, FeatureIndex]:
        """The table and its arrays (built once, from Retrieval.table; a first request during the warm-up waits
        for the warm-up's build instead of building them a second time)."""
        built = self._built
        if built is not None:
            return built
        with self._build_lock:
            if self._built is None:
                self._built = self._build()
            return self._built

    def _build(self) -> tuple[DiseaseTable, Arrays, FeatureIndex]:
        table = self.retrieval.table()
        n = len(table.iris)
        order = sorted(range(n), key=table.curies.__getitem__)
        curie_rank = np.empty(n, dtype=np.int64)
        curie_rank[order] = np.arange(n, dtype=np.int64)
        curated = np.array([i for i, (_p, _s, is_default) in enumerate(table.priors) if not is_default],
                           dtype=np.int64)
        is_curated = np.zeros(n, dtype=bool)
        is_curated[curated] = True
        arrays = Arrays(log_priors=np.array(table.log_priors, dtype=np.float64),
                        totals=np.array(table.totals, dtype=np.float64), curie_rank=curie_rank,
                        curated=curated, is_curated=is_curated)
        disease: list[int] = []
        term: list[float] = []
        ids: list[dict[str, int]] = []
        for i, terms in enumerate(table.terms):
            mine: dict[str, int] = {}
            for feature in sorted(terms):
                mine[feature] = len(disease)
                disease.append(i)
                term.append(terms[feature])
            ids.append(mine)
        pending = sorted(ids[i][f] for i, waiting in table.pending for f in waiting)
        grouped: dict[str, list[int]] = {}
        for mine in ids:
            for feature, k in mine.items():
                grouped.setdefault(feature, []).append(k)
        features = FeatureIndex(disease=np.array(disease, dtype=np.int64), term=np.array(term, dtype=np.float64),
                                ids=ids, pending=np.array(pending, dtype=np.int64),
                                by_feature={f: np.array(k, dtype=np.int64) for f, k in sorted(grouped.items())})
        return table, arrays, features

    def column(self, finding: str) -> Column:
        """The column of one observed finding IRI (cached)."""
        with self._lock:
            found = self._columns.get(finding)
            if found is not None:
                self._columns.move_to_end(finding)
                return found
        column = self._compute(finding)
        with self._lock:
            if finding not in self._columns:
                self._columns[finding] = column
                self._bytes += column.nbytes
                while self._bytes > COLUMN_CACHE_BYTES and len(self._columns) > 1:
                    _key, old = self._columns.popitem(last=False)
                    self._bytes -= old.nbytes
        return column

    def _annotated(self, annotated: Sequence[str]) -> list[Annotated]:
        """The annotations of these annotated finding IRIs as arrays (built once per finding, kept: about 10 MB
        for all 254,000 HPO annotations)."""
        missing = sorted({a for a in annotated if a not in self._annotated_cache})
        if missing:
            table, _arrays, features = self.arrays()
            for term, rows in self.retrieval.annotations(missing).items():
                kept = [(table.index[d], negated, frequency) for d, negated, frequency in rows if d in table.index]
                positions = np.array([k[0] for k in kept], dtype=np.int64)
                pairs = np.array([-1 if k[1] else features.ids[k[0]].get(term, -1) for k in kept], dtype=np.int64)
                self._annotated_cache[term] = Annotated(  # one atomic store per key: concurrent fillers agree
                    positions=positions, negated=np.array([k[1] for k in kept], dtype=bool),
                    frequency=np.array([k[2] if k[2] is not None else 0.5 for k in kept], dtype=np.float64),
                    pairs=pairs)
        return [self._annotated_cache[a] for a in annotated]

    def _compute(self, finding: str) -> Column:
        """The column as scoring.likelihood defines it disease by disease, over arrays: each disease's best
        positive match (its frequency, 0.5 when none is stated, weighted by specificity when the annotation is
        broader; at least the noisy-OR of its annotations narrower than the finding, scoring.any_of, unless it is
        curated), clamped to [its background rate, MAX_LIKELIHOOD]; a disease with only NOT annotations of this
        finding or a broader one gets the NOT rate; one with only NOT annotations of narrower ones is left out (the
        background rate, as unmatched). tests/kb/engine/test_ranking.py holds it to the per-disease definition."""
        table, arrays, _features = self.arrays()
        n = len(table.iris)
        share = self.retrieval.share(finding)
        background = scoring.background_rate(share)
        rows = self.retrieval.hierarchy(finding)
        found = self._annotated([r[0] for r in rows])
        best = np.full(n, -1.0)
        vetoed = np.zeros(n, dtype=bool)  # a NOT annotation of the finding or of a broader one
        pairs: list[np.ndarray] = []
        narrower: list[tuple[np.ndarray, np.ndarray, int]] = []  # (positions, frequencies, feature number)
        for k, ((_annotated, relation, observed, annotated), a) in enumerate(
                sorted(zip(rows, found), key=lambda r: r[0][0])):  # by annotated IRI: scoring.any_of's order
            if not len(a.positions):
                continue
            keep = ~a.negated
            weight = scoring.match_weight(relation, observed, annotated)
            np.maximum.at(best, a.positions[keep], a.frequency[keep] * weight)
            if relation == "annotated-narrower":
                narrower.append((a.positions[keep], a.frequency[keep], k))
            if relation in scoring.NEGATING_RELATIONS:
                vetoed[a.positions[a.negated]] = True
            pairs.append(a.pairs[keep])
        if narrower:  # the noisy-OR of the narrower features (scoring.any_of), each (disease, feature) once;
            # not for a curated disease, whose module states each finding's likelihood (scoring.likelihood)
            at = np.concatenate([q for q, _f, _k in narrower])
            frequency = np.concatenate([f for _q, f, _k in narrower])
            number = np.concatenate([np.full(len(q), k, dtype=np.int64) for q, _f, k in narrower])
            order = np.lexsort((-frequency, number, at))  # by disease, then feature, highest frequency first
            at, frequency, number = at[order], frequency[order], number[order]
            first = np.ones(len(at), dtype=bool)
            first[1:] = (at[1:] != at[:-1]) | (number[1:] != number[:-1])
            missed = np.ones(n)
            np.multiply.at(missed, at[first], 1.0 - np.minimum(frequency[first], model.MAX_LIKELIHOOD))
            missed[arrays.is_curated] = 1.0
            best = np.where(best >= 0.0, np.maximum(best, 1.0 - missed), best)
        positive = best >= 0.0
        reached = np.flatnonzero(positive | vetoed)
        rates = np.where(arrays.is_curated[reached], model.BACKGROUND_RATE, background)
        p = np.where(positive[reached], np.minimum(np.maximum(best[reached], rates), model.MAX_LIKELIHOOD),
                     scoring.negated_rate(rates))
        mentioned = np.unique(np.concatenate(pairs)) if pairs else np.zeros(0, dtype=np.int64)
        return Column(reached=reached, p=p, positive=np.flatnonzero(positive),
                      features=mentioned[mentioned >= 0], background=background)

    def scores(self, keys: Sequence[tuple[str, bool]], waiting: Iterable[str] = (),
               worked_up: frozenset[str] | set[str] = frozenset()) -> tuple[np.ndarray, np.ndarray]:
        """Every disease's log score (table order) for the stated observations ``keys`` (finding IRI, PRESENT?) in
        the canonical order, and the positions a PRESENT finding reaches through a non-negated annotation.
        ``waiting``: features the indicated work-up will ask about: not yet known, so not unreported either;
        ``worked_up``: the findings that work-up asks about and the curated tests reveal
        (DiagnosisEngine.workup_results), scored as their steps report them (scoring.absent_probability)."""
        table, arrays, features = self.arrays()
        columns = [self.column(finding) for finding, _present in keys]
        backgrounds = {finding: column.background for (finding, _present), column in zip(keys, columns)}
        background = scoring.log_likelihood({}, keys, worked_up, backgrounds)  # each term where nothing matches
        likelihood = arrays.totals + background
        if len(arrays.curated):  # the curated diseases' own rate (scoring.disease_background)
            likelihood[arrays.curated] += scoring.log_likelihood({}, keys, worked_up) - background
        mentioned: list[np.ndarray] = [features.pending]
        mentioned += [features.by_feature[f] for f in sorted(set(waiting)) if f in features.by_feature]
        reached: list[np.ndarray] = []
        for (finding, present), column in zip(keys, columns):
            if not len(column.reached):
                continue
            result = finding in worked_up
            unmatched = np.where(arrays.is_curated[column.reached], scoring.term(None, present, result).log,
                                 scoring.term(None, present, result, column.background).log)
            likelihood[column.reached] += scoring.term_logs(column.p, present, result) - unmatched
            mentioned.append(column.features)
            if present:
                reached.append(column.positive)
        seen = np.zeros(len(features.disease), dtype=bool)  # the union of the mentioned features (each once)
        for ids in mentioned:
            seen[ids] = True
        ids = np.flatnonzero(seen)  # ascending: the same order of summation in every process
        likelihood -= np.bincount(features.disease[ids], weights=features.term[ids], minlength=len(table.iris))
        scores = arrays.log_priors + likelihood / model.TEMPERATURE
        hit = np.unique(np.concatenate(reached)) if reached else np.zeros(0, dtype=np.int64)
        return scores, hit


__all__ = ["COLUMN_CACHE_BYTES", "Column", "FeatureIndex", "Ranker"]
